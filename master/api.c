/*
 * api.c - the master's HTTP API: each request's body (a JSON object, or a
 * packed report page's bytes for a route that takes them), its route (the
 * tables of api_client.c, api_chunkserver.c, api_admin.c, api_tree.c and
 * api_ha.c), whether an HA master's role lets it answer (ha.h), who sent
 * it on a secure master (a signed chunkserver or a user's bearer
 * token) and whether the route takes it from them, and the checks and
 * answers the handlers share (a path normalised, a namespace refusal
 * worded), and batches: many items' requests in one, each run through the
 * single request's handler, made durable by one journal sync, answered in
 * one list; and how many pages of full chunk reports are judged at once
 * (--report-pages-at-once; the rest are told to come back), so that a
 * thousand servers reporting after a restart keep no client waiting long.
 * Runs on the HTTP thread pool, many requests at once. Owns only
 * per-request buffers and that count. Must never touch chunk bytes (the master is not in
 * the data path) and never call a chunkserver while holding the namespace
 * lock.
 */
#include "api.h"
#include "api_impl.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "chunkid.h"
#include "escape.h"
#include "ha.h"
#include "httpd.h"
#include "jsonf.h"
#include "log.h"
#include "perm.h"
#include "protocol.h"

typedef struct {
    httpd_body body;
} master_req;

enum MHD_Result master_api_not_durable(master *m, struct MHD_Connection *c)
{
    const char *why = m->j ? journal_failure(m->j) : NULL;
    return httpd_reply_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "%s",
                             why ? why : "metadata journal unavailable");
}

bool master_api_is_live(void *ud, uint16_t server)
{
    master_list_ctx *l = ud;
    return registry_live(l->m->reg, server, l->now);
}

/* A refused chunkserver asks again with every heartbeat: one log line per
 * this many ms says it to the operator without drowning the log. */
#define MASTER_REFUSAL_LOG_MS 10000

void master_api_log_refusal(const char *msg)
{
    static _Atomic int64_t last = INT64_MIN / 2;
    int64_t now = registry_now_ms(), prev = atomic_load(&last);
    if (now - prev >= MASTER_REFUSAL_LOG_MS && atomic_compare_exchange_strong(&last, &prev, now))
        log_warn("%s", msg);
}

bool master_api_same_cluster(master *m, struct MHD_Connection *c, json_t *req,
                                    const char *who, enum MHD_Result *ret)
{
    char err[256];
    const char *cid = NULL;
    if (json_object_get(req, PROTO_F_CLUSTER_ID) &&
        !jsonf_string(req, PROTO_F_CLUSTER_ID, &cid, err, sizeof err)) {
        *ret = httpd_reply_error(c, MHD_HTTP_BAD_REQUEST, "%s", err);
        return false;
    }
    if (cid && !clusterid_valid(cid)) {
        *ret = httpd_reply_error(c, MHD_HTTP_BAD_REQUEST, "field \"%s\" must be %d lowercase hex "
                                 "digits", PROTO_F_CLUSTER_ID, CLUSTERID_LEN);
        return false;
    }
    if (!cid || !m->cluster_id[0] || strcmp(cid, m->cluster_id) == 0)
        return true;
    char msg[600];
    snprintf(msg, sizeof msg, "chunkserver %.300s belongs to cluster %s, not to this master's "
             "cluster %s: refused (is this master's --meta-dir the right one?)", who, cid,
             m->cluster_id);
    master_api_log_refusal(msg);
    *ret = httpd_reply_error(c, MHD_HTTP_CONFLICT, "%s", msg);
    return false;
}

int master_api_known_server(master *m, struct MHD_Connection *c, json_t *req, const char *key,
                            unsigned unknown_status, char addr[PROTO_MAX_SERVER_ADDR],
                            enum MHD_Result *ret)
{
    char err[256], peer[128] = "";
    const char *value;
    if (!jsonf_string(req, key, &value, err, sizeof err)) {
        *ret = httpd_reply_error(c, MHD_HTTP_BAD_REQUEST, "%s", err);
        return -1;
    }
    httpd_peer_host(c, peer, sizeof peer);
    if (!addr_canon_server(value, peer, addr, PROTO_MAX_SERVER_ADDR, err, sizeof err)) {
        *ret = httpd_reply_error(c, MHD_HTTP_BAD_REQUEST, "field \"%s\": %s", key, err);
        return -1;
    }
    if (!master_api_same_cluster(m, c, req, addr, ret))
        return -1;
    int idx = registry_find(m->reg, addr);
    if (idx < 0 && unknown_status == MHD_HTTP_SERVICE_UNAVAILABLE)   /* it will be soon */
        *ret = httpd_reply_retry(c, unknown_status, MASTER_RETRY_MS, "chunkserver %s is not "
                                 "registered (yet: a master that restarted hears from it within "
                                 "a heartbeat)", addr);
    else if (idx < 0)
        *ret = httpd_reply_error(c, unknown_status, "chunkserver %s is not registered", addr);
    return idx;
}


/* The old version of a file an overwrite replaced, a replacement dropped. */
void master_api_drain_doomed(master *m)
{
    ns_doomed d;
    while (namespace_take_doomed(m->ns, &d)) {
        log_info("%zu chunk replicas of %s (a replaced or dropped version) to remove", d.n,
                 d.fileid);
        outbox_delete_doomed(m->outbox, &d);
        namespace_doomed_free(&d);
    }
}


/* ---- permissions ---- */

enum MHD_Result master_api_refused(struct MHD_Connection *c, ns_status st, const ns_who *who,
                                   const char *name, const char *what)
{
    if (st == NS_NOT_FOUND)
        return httpd_reply_error(c, namespace_http_status(st), "no file named \"%.200s\"", name);
    return httpd_reply_error(c, namespace_http_status(st), "%s may not %s \"%.200s\" (see the "
                             "owner and mode of it and of the directories above it: minidfs ls -l)",
                             who ? who->user : "nobody", what, name);
}

enum MHD_Result master_api_ns_error(struct MHD_Connection *c, ns_status st, const ns_who *who,
                                    const char *path, const char *what)
{
    unsigned code = namespace_http_status(st);
    switch (st) {
    case NS_NOT_FOUND:
        return httpd_reply_error(c, code, "no such file or directory: \"%.200s\"", path);
    case NS_EXISTS:
        return httpd_reply_error(c, code, "cannot %s \"%.200s\": it exists", what, path);
    case NS_NOT_DIR:
        return httpd_reply_error(c, code, "cannot %s \"%.200s\": a file is where a directory "
                                 "would be", what, path);
    case NS_IS_DIR:
        return httpd_reply_error(c, code, "cannot %s \"%.200s\": it is a directory", what, path);
    case NS_NOT_EMPTY:
        return httpd_reply_error(c, code, "cannot %s \"%.200s\": the directory is not empty "
                                 "(remove it recursively)", what, path);
    case NS_INVALID:
        return httpd_reply_error(c, code, "cannot %s \"%.200s\": the root stays, and a "
                                 "directory cannot move into itself", what, path);
    case NS_FORBIDDEN:
        return master_api_refused(c, st, who, path, what);
    case NS_ID_TAKEN:
        return httpd_reply_error(c, code, "cannot %s \"%.200s\": a file renamed away from this "
                                 "path still has its identifier, and this client writes chunks "
                                 "under the path's identifier only (use minidfs put)", what, path);
    case NS_BAD_SIZE:
        return httpd_reply_error(c, code, "cannot %s \"%.200s\": past the limits", what, path);
    default:
        return httpd_reply_error(c, code, "cannot %s \"%.200s\"", what, path);
    }
}

static void master_api_name_of(const ns_file *f, void *ud)
{
    namespace_path(f, ud, NSPATH_MAX + 1);
}

bool master_api_path(struct MHD_Connection *c, const char *what, const char *in,
                     char out[NSPATH_MAX + 1], enum MHD_Result *ret)
{
    nspath_status st = nspath_normalize(in, out);
    if (st == NSPATH_OK)
        return true;
    char shown[256];
    escape_text(in ? in : "", shown, sizeof shown);
    *ret = httpd_reply_error(c, MHD_HTTP_BAD_REQUEST, "%s \"%s\": %s", what, shown,
                             nspath_status_text(st));
    return false;
}

bool master_api_may(master *m, struct MHD_Connection *c, const ns_who *who, const char *fileid,
                    const char *name, unsigned want, enum MHD_Result *ret)
{
    if (!who)
        return true;
    ns_status st = perm_check(m->ns, fileid, who, want);
    if (st == NS_OK)
        return true;
    char named[NSPATH_MAX + 1] = "";
    if (!name && st == NS_FORBIDDEN)   /* say which file, not which identifier */
        namespace_with_file(m->ns, fileid, master_api_name_of, named);
    if (st == NS_NOT_FOUND && !name)
        *ret = httpd_reply_error(c, namespace_http_status(st), "no file has identifier %s", fileid);
    else
        *ret = master_api_refused(c, st, who, name ? name : named[0] ? named : fileid,
                                  want & PERM_OWN ? "change" : want & PERM_WRITE ? "write to"
                                                                                  : "read");
    return false;
}


/* ---- batches ---- */

_Thread_local bool master_in_batch;

enum MHD_Result master_api_batch(master *m, struct MHD_Connection *c, const ns_who *who,
                                 json_t *req, const char *key, const char *const *shared,
                                 master_api_item_fn fn, json_t *extra)
{
    json_t *items = json_object_get(req, key);
    size_t n = json_array_size(items);
    if (!json_is_array(items) || n == 0 || n > PROTO_MAX_BATCH) {
        json_decref(extra);
        return httpd_reply_error(c, MHD_HTTP_BAD_REQUEST, "field \"%s\" must be an array of 1 "
                                 "to %u objects", key, PROTO_MAX_BATCH);
    }
    json_t *out = json_array();
    master_in_batch = true;   /* one sync for them all, below */
    for (size_t i = 0; i < n && out; i++) {
        json_t *item = json_array_get(items, i);
        httpd_captured cap = { 0, NULL };
        if (!json_is_object(item)) {
            cap.status = MHD_HTTP_BAD_REQUEST;
            cap.body = json_pack("{s:s}", PROTO_F_ERROR, "not a JSON object");
        } else {
            for (size_t k = 0; shared && shared[k]; k++) {
                json_t *v = json_object_get(req, shared[k]);
                if (v)
                    json_object_set(item, shared[k], v);
            }
            httpd_capture_start(&cap);
            fn(m, c, who, item);
            httpd_capture_stop();
        }
        if (!cap.body) {
            cap.status = MHD_HTTP_INTERNAL_SERVER_ERROR;
            cap.body = json_pack("{s:s}", PROTO_F_ERROR, "no answer (out of memory?)");
        }
        if (cap.status != MHD_HTTP_OK)
            json_object_set_new(cap.body, PROTO_F_STATUS, json_integer(cap.status));
        if (json_array_append_new(out, cap.body) != 0) {
            json_decref(out);
            out = NULL;
        }
    }
    master_in_batch = false;
    json_t *answer = extra ? extra : json_object();
    if (!master_durable(m)) {   /* no item is answered before its change is durable */
        json_decref(out);
        json_decref(answer);
        return master_api_not_durable(m, c);
    }
    if (!out || !answer || json_object_set_new(answer, key, out) != 0) {
        json_decref(answer);
        return httpd_reply_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
    }
    return httpd_reply_json(c, MHD_HTTP_OK, answer);
}


/* ---- routing ---- */

/* Pages of full reports are judged --report-pages-at-once at a time (the
 * rest are asked to come back in MASTER_REPORT_RETRY_MS): after a restart
 * a thousand servers report at once, and a server thread busy with pages
 * keeps every other request on its connections waiting; with this bound a
 * client's /get waits for a page or so at most. */
#define MASTER_REPORT_RETRY_MS 100

/* Whether the request's body is a packed report page (chunkpack.h). */
static bool master_api_is_packed(struct MHD_Connection *c)
{
    const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    size_t n = strlen(PROTO_CONTENT_CHUNKPACK);
    return ct && strncasecmp(ct, PROTO_CONTENT_CHUNKPACK, n) == 0 &&
           (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

static enum MHD_Result master_api_call(master *m, struct MHD_Connection *c, master_req *r,
                                       const master_api_route *rt, const ns_who *who)
{
    if (!rt->with_json)
        return rt->plain(m, c, who);
    bool report = !strcmp(rt->path, PROTO_PATH_CHUNK_REPORT);
    unsigned at_once = m->report_pages ? m->report_pages : 2;
    if (report && atomic_fetch_add(&m->reports_busy, 1) >= at_once) {
        atomic_fetch_sub(&m->reports_busy, 1);
        return httpd_reply_retry(c, MHD_HTTP_SERVICE_UNAVAILABLE, MASTER_REPORT_RETRY_MS,
                                 "busy with other chunk reports: send this page again");
    }
    char err[256];
    const char *body = r->body.data ? r->body.data : "";
    enum MHD_Result ret;
    json_t *req = NULL;
    if (rt->packed && master_api_is_packed(c)) {
        ret = rt->packed(m, c, who, body, r->body.len);
    } else if (!(req = jsonf_parse_object(body, r->body.len, err, sizeof err))) {
        ret = httpd_reply_error(c, MHD_HTTP_BAD_REQUEST, "%s", err);
    } else {
        ret = rt->with_json(m, c, who, req);
        json_decref(req);
    }
    if (report)
        atomic_fetch_sub(&m->reports_busy, 1);
    return ret;
}

/* Finds url's route for method in one table; allowed collects the
 * methods the path has, for a 405. */
static const master_api_route *master_api_find_in(const master_api_route *t, size_t n,
                                                  const char *url, const char *method,
                                                  char *allowed, size_t allowedlen)
{
    bool head = !strcmp(method, "HEAD");
    for (size_t i = 0; i < n; i++) {
        if (strcmp(t[i].path, url) != 0)
            continue;
        if (!strcmp(t[i].method, method) || (head && !strcmp(t[i].method, "GET")))
            return &t[i];
        size_t l = strlen(allowed);
        snprintf(allowed + l, allowedlen - l, "%s%s", l ? ", " : "", t[i].method);
    }
    return NULL;
}

static const struct {
    const master_api_route *t;
    const size_t *n;
} master_api_tables[] = {
    { master_api_client_routes, &master_api_client_nroutes },
    { master_api_chunkserver_routes, &master_api_chunkserver_nroutes },
    { master_api_admin_routes, &master_api_admin_nroutes },
    { master_api_tree_routes, &master_api_tree_nroutes },
    { master_api_ha_routes, &master_api_ha_nroutes },
    { master_api_ops_routes, &master_api_ops_nroutes },
};
#define MASTER_API_NTABLES (sizeof master_api_tables / sizeof *master_api_tables)

metrics_http *master_api_metrics_new(void)
{
    size_t n = 0;
    for (size_t i = 0; i < MASTER_API_NTABLES; i++)
        n += *master_api_tables[i].n;
    metrics_endpoint *e = calloc(n ? n : 1, sizeof *e);
    if (!e)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < MASTER_API_NTABLES; i++)
        for (size_t j = 0; j < *master_api_tables[i].n; j++)
            e[k++] = (metrics_endpoint){ master_api_tables[i].t[j].path,
                                         master_api_tables[i].t[j].method };
    metrics_http *mh = metrics_http_new(e, n);
    free(e);
    return mh;
}

/* The route's place in master_api_metrics_new's list. */
static size_t master_api_route_index(const master_api_route *rt)
{
    size_t base = 0;
    for (size_t i = 0; i < MASTER_API_NTABLES; i++) {
        size_t n = *master_api_tables[i].n;
        if (rt >= master_api_tables[i].t && rt < master_api_tables[i].t + n)
            return base + (size_t)(rt - master_api_tables[i].t);
        base += n;
    }
    return SIZE_MAX;
}

const master_api_route *master_api_find(const char *url, const char *method, char *allowed,
                                        size_t allowedlen)
{
    allowed[0] = '\0';
    for (size_t i = 0; i < MASTER_API_NTABLES; i++) {
        const master_api_route *rt = master_api_find_in(master_api_tables[i].t,
                                                        *master_api_tables[i].n, url, method,
                                                        allowed, allowedlen);
        if (rt)
            return rt;
    }
    return NULL;
}

/* A secure master's gate: who sent the request, and whether the route
 * takes it from them. A signed request is a chunkserver's (checked before
 * a byte of it is believed, and answered signed, so no impostor can give
 * orders); anything else must carry a user's bearer token. */
static enum MHD_Result master_api_secure(master *m, struct MHD_Connection *c, master_req *r,
                                         const master_api_route *rt, const char *url,
                                         const char *method)
{
    enum MHD_Result ret;
    const char *sig = MHD_lookup_connection_value(c, MHD_HEADER_KIND, AUTH_HEADER);
    bool server = rt->access == MASTER_SERVERS || (rt->access == MASTER_EITHER && sig);
    if (server) {
        if (!secure_check_server(&m->sec, c, method, url, r->body.data, r->body.len, &ret))
            return ret;
        httpd_sign_answers(&m->sec.key, sig);
        ret = master_api_call(m, c, r, rt, NULL);
        httpd_sign_answers(NULL, NULL);
        return ret;
    }
    if (rt->access == MASTER_ANYONE)
        return master_api_call(m, c, r, rt, NULL);
    ns_who who;
    if (!secure_who(&m->sec, m->ns, c, &who, &ret))
        return ret;
    if (rt->access == MASTER_SUPER && !who.super)
        return httpd_reply_error(c, MHD_HTTP_FORBIDDEN, "%s %s is for superusers; %s is not one",
                                 method, url, who.user);
    return master_api_call(m, c, r, rt, &who);
}

enum MHD_Result master_api_handle(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    (void)version;
    master *m = cls;
    master_req *r = *con_cls;
    if (!r) {
        if (!(r = calloc(1, sizeof *r)))
            return MHD_NO;
        *con_cls = r;
        return MHD_YES;
    }
    if (*upload_data_size) {
        httpd_body_append(&r->body, upload_data, *upload_data_size, PROTO_MAX_JSON_BODY);
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (r->body.overflow)
        return httpd_reply_error(c, MHD_HTTP_CONTENT_TOO_LARGE,
                                 "request body larger than %u bytes", PROTO_MAX_JSON_BODY);

    char allowed[64];
    const master_api_route *rt = master_api_find(url, method, allowed, sizeof allowed);
    if (rt) {
        httpd_endpoint(c, master_api_route_index(rt));
    } else if (!strcmp(method, "GET") || !strcmp(method, "HEAD")) {
        enum MHD_Result ret;
        if (master_api_ui(m, c, url, &ret))   /* the dashboard's files */
            return ret;
    }
    if (rt && m->ha) {   /* a standby answers reads only, and names the active master */
        enum MHD_Result ret;
        if (ha_gate(m->ha, c, method, url, &ret))
            ret = m->sec.on ? master_api_secure(m, c, r, rt, url, method)
                            : master_api_call(m, c, r, rt, NULL);
        ha_gate_done();
        return ret;
    }
    if (rt)
        return m->sec.on ? master_api_secure(m, c, r, rt, url, method)
                         : master_api_call(m, c, r, rt, NULL);
    if (allowed[0])
        return httpd_reply_not_allowed(c, method, url, allowed);
    return httpd_reply_error(c, MHD_HTTP_NOT_FOUND, "no such endpoint: %s %.200s", method, url);
}

void master_api_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                          enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    master_req *r = *con_cls;
    if (!r)
        return;
    httpd_body_free(&r->body);
    free(r);
    *con_cls = NULL;
}

