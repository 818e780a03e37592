/*
 * api.c - the master's HTTP API: decodes each request, checks it, calls the
 * namespace, registry and placement, and encodes the answer. Runs on the
 * HTTP thread pool, many requests at once. Owns only per-request buffers.
 * Must never touch chunk bytes (the master is not in the data path) and
 * never call a chunkserver while holding the namespace lock.
 */
#include "api.h"
#include "master.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "allocate.h"
#include "append.h"
#include "chunkid.h"
#include "httpd.h"
#include "jsonf.h"
#include "lease.h"
#include "log.h"
#include "protocol.h"

#define MASTER_OUTBOX_PER_BEAT 2000   /* deletions handed over per heartbeat */

typedef struct {
    httpd_body body;
} master_req;

static enum MHD_Result master_api_not_durable(master *m, struct MHD_Connection *c)
{
    const char *why = m->j ? journal_failure(m->j) : NULL;
    return httpd_reply_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "%s",
                             why ? why : "metadata journal unavailable");
}

/* Liveness as the namespace asks for it: the registry at one moment. */
typedef struct {
    master *m;
    int64_t now;
    json_t *files;
} master_list_ctx;

static bool master_api_is_live(void *ud, uint16_t server)
{
    master_list_ctx *l = ud;
    return registry_live(l->m->reg, server, l->now);
}

/* How long a client or chunkserver told "not now" (503) waits. */
#define MASTER_RETRY_MS 1000

/* A refused chunkserver asks again with every heartbeat: one log line per
 * this many ms says it to the operator without drowning the log. */
#define MASTER_REFUSAL_LOG_MS 10000

static void master_api_log_refusal(const char *msg)
{
    static _Atomic int64_t last = INT64_MIN / 2;
    int64_t now = registry_now_ms(), prev = atomic_load(&last);
    if (now - prev >= MASTER_REFUSAL_LOG_MS && atomic_compare_exchange_strong(&last, &prev, now))
        log_warn("%s", msg);
}

/* A chunkserver's message that names its cluster must name ours (a master
 * without a cluster id, the stdio node, takes any). False with a 409
 * queued in *ret otherwise. who: the sender, for the message. */
static bool master_api_same_cluster(master *m, struct MHD_Connection *c, json_t *req,
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

/* The registered chunkserver a request names in its field key (an address,
 * canonical as at registration), of this cluster: its registry index, or
 * -1 with an error answer queued in *ret. Its last-seen time is left
 * alone: only its own heartbeat says it is alive. */
static int master_api_known_server(master *m, struct MHD_Connection *c, json_t *req,
                                   const char *key, const char *value, unsigned unknown_status,
                                   char addr[PROTO_MAX_SERVER_ADDR], enum MHD_Result *ret)
{
    char err[256], peer[128] = "";
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

/* ---- POST /chunkserver ---- */

static bool master_api_rack_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > PROTO_MAX_RACK_NAME)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
              (s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == '-' || s[i] == '_'))
            return false;
    return true;
}

static enum MHD_Result master_api_register(master *m, struct MHD_Connection *c, json_t *req)
{
    char err[256], peer[128] = "", addr[PROTO_MAX_SERVER_ADDR];
    const char *url;
    if (!jsonf_string(req, PROTO_F_URL, &url, err, sizeof err))
        return httpd_reply_error(c, MHD_HTTP_BAD_REQUEST, "%s", err);
    httpd_peer_host(c, peer, sizeof peer);
    if (!addr_canon_server(url, peer, addr, sizeof addr, err, sizeof err))
        return httpd_reply_error(c, MHD_HTTP_BAD_REQUEST, "field \"url\": %s", err);
    const char *rack = "default";
    long long capacity = 0, used = 0, load = 0, nchunks = 0, incarnation = 0;
    json_t *jr = json_object_get(req, PROTO_F_RACK);
    if (jr && !(json_is_string(jr) && master_api_rack_ok(json_string_value(jr))))
        return httpd_reply_error(c, MHD_HTTP_BAD_REQUEST,
                                 "field \"rack\" must be 1 to %d letters, digits, '.', '-' or '_'",
                                 PROTO_MAX_RACK_NAME);
    if (jr)
        rack = json_string_value(jr);
    if (!jsonf_int_opt(req, PROTO_F_CAPACITY, 0, INT64_MAX, &capacity, err, sizeof err) ||
        !jsonf_int_opt(req, PROTO_F_USED, 0, INT64_MAX, &used, err, sizeof err) ||
        !jsonf_int_opt(req, PROTO_F_LOAD, 0, UINT32_MAX, &load, err, sizeof err) ||
        !jsonf_int_opt(req, PROTO_F_CHUNK_COUNT, 0, INT64_MAX, &nchunks, err, sizeof err) ||
        !jsonf_int_opt(req, PROTO_F_INCARNATION, 0, INT64_MAX, &incarnation, err, sizeof err))
        return httpd_reply_error(c, MHD_HTTP_BAD_REQUEST, "%s", err);
    json_t *active = json_object_get(req, PROTO_F_ACTIVE);
    if (active && !json_is_array(active))
        return httpd_reply_error(c, MHD_HTTP_BAD_REQUEST, "field \"%s\" must be an array of "
                                 "chunk identifiers", PROTO_F_ACTIVE);
    /* Who may join: a server of this cluster, or one of none yet that
     * holds nothing. One of none that holds chunks (a directory from
     * before cluster ids) joins only a master whose namespace has a past:
     * to a new or empty one its chunks would all look like garbage. */
    enum MHD_Result ret;
    if (!master_api_same_cluster(m, c, req, addr, &ret))
        return ret;
    if (m->cluster_id[0] && !json_object_get(req, PROTO_F_CLUSTER_ID) && nchunks > 0 &&
        (m->ns_fresh || namespace_count(m->ns) == 0)) {
        char msg[600];
        snprintf(msg, sizeof msg, "chunkserver %.300s holds %lld chunks but has joined no "
                 "cluster, and this master's namespace is %s: refused, so that none of its "
                 "chunks is taken for garbage (if they are garbage, empty its --dir)", addr,
                 nchunks, m->ns_fresh ? "new" : "empty");
        master_api_log_refusal(msg);
        return httpd_reply_error(c, MHD_HTTP_CONFLICT, "%s", msg);
    }
    /* Only now, with everything checked, does it take a registry slot. */
    size_t before = registry_count(m->reg);
    int idx = registry_register(m->reg, addr, registry_now_ms());
    if (idx < 0)
        return httpd_reply_error(c, MHD_HTTP_SERVICE_UNAVAILABLE,
                                 "too many chunkservers (at most %d)", REGISTRY_MAX);
    registry_set_disk(m->reg, idx, rack, (uint64_t)capacity, (uint64_t)used, (uint32_t)load);
    registry_set_incarnation(m->reg, (uint16_t)idx, (uint64_t)incarnation);
    /* Chunks it is writing right now: their leases continue. */
    json_t *a;
    size_t ai;
    json_array_foreach(active, ai, a) {
        char fid[FILEID_LEN + 1];
        uint32_t cidx;
        if (json_is_string(a) && chunkid_parse(json_string_value(a), fid, &cidx))
            lease_renew(m->ns, fid, cidx, (uint16_t)idx, registry_now_ms(), m->lease_ms);
    }
    if (registry_count(m->reg) != before) {
        log_info("chunkserver %s registered (rack %s)", addr, rack);
        safemode_joined(&m->safe, registry_now_ms());
    }
    /* The cluster's members: the only addresses a chunkserver will pass
     * chunks on to. */
    json_t *peers = json_array();
    uint16_t live[REGISTRY_MAX];
    size_t nlive = registry_live_list(m->reg, registry_now_ms(), live, REGISTRY_MAX);
    for (size_t i = 0; i < nlive; i++)
        json_array_append_new(peers, json_string(registry_addr(m->reg, live[i])));
    /* The heartbeat's answer carries what this server owes: deletions
     * and verifications. */
    json_t *del, *ver, *copy;
    outbox_take(m->outbox, (uint16_t)idx, MASTER_OUTBOX_PER_BEAT, m->max_repl_streams, &del, &ver, &copy);
    json_t *ans = json_pack("{s:s,s:I,s:o,s:I,s:o,s:o,s:o}", PROTO_F_URL, addr,
                            PROTO_F_CHUNK_SIZE, (json_int_t)m->chunk_size, PROTO_F_CHUNKSERVERS,
                            peers, PROTO_F_EPOCH, (json_int_t)m->epoch, PROTO_F_DELETE, del,
                            PROTO_F_VERIFY, ver, PROTO_F_COPY, copy);
    if (ans && m->cluster_id[0])
        json_object_set_new(ans, PROTO_F_CLUSTER_ID, json_string(m->cluster_id));
    return httpd_reply_json(c, MHD_HTTP_OK, ans);
}

/* ---- POST /chunkreport ---- */

/* How often the sightings of unknown replicas are pruned. */
#define MASTER_SIGHTINGS_PRUNE_MS 600000

/* Deletions a report may order whatever share of it they are. */
#define MASTER_GC_FLOOR 4

/* Whether the deletions one page of a chunkserver's report calls for may
 * go ahead: not in safe mode (the namespace is right, but what the
 * chunkservers hold is not all in yet), and not when they are more than
 * --gc-max-fraction of what the server holds. A master that finds most of
 * a server's chunks unknown is far likelier to be the wrong master, or an
 * old copy of the right one, than to be looking at that much garbage; so
 * it deletes none of them and says why, and the operator decides. */
static bool master_api_may_delete(master *m, const char *addr, size_t reported, size_t doomed)
{
    if (doomed == 0)
        return true;
    if (safemode_on(&m->safe, registry_now_ms())) {
        log_info("chunk report from %s: %zu of %zu chunks unknown or stale; left until safe mode "
                 "is over (a later report deletes them)", addr, doomed, reported);
        return false;
    }
    if (doomed <= MASTER_GC_FLOOR || (double)doomed <= m->gc_max_fraction * (double)reported)
        return true;
    log_warn("chunk report from %s: %zu of %zu chunks (%.0f%%) are unknown to this master or "
             "older than it records: more than --gc-max-fraction %g, so none is deleted. If "
             "this master's namespace is right (say, many files were deleted just before a "
             "restart), let them go with --gc-max-fraction 1; if not, stop this master: its "
             "--meta-dir may be the wrong one, or an old copy", addr, doomed, reported,
             100.0 * (double)doomed / (double)reported, m->gc_max_fraction);
    return false;
}

/* One entry of a full report: [id, size, version, sha256, age_ms]. */
static enum MHD_Result master_api_chunk_report(master *m, struct MHD_Connection *c, json_t *req)
{
    char err[256], addr[PROTO_MAX_SERVER_ADDR];
    const char *url;
    enum MHD_Result ret;
    if (!jsonf_string(req, PROTO_F_URL, &url, err, sizeof err))
        return httpd_reply_error(c, MHD_HTTP_BAD_REQUEST, "%s", err);
    int idx = master_api_known_server(m, c, req, PROTO_F_URL, url,
                                      MHD_HTTP_SERVICE_UNAVAILABLE, addr, &ret);
    if (idx < 0)
        return ret;
    json_t *chunks = json_object_get(req, PROTO_F_CHUNKS);
    if (!json_is_array(chunks) || json_array_size(chunks) > PROTO_REPORT_PAGE)
        return httpd_reply_error(c, MHD_HTTP_BAD_REQUEST,
                                 "field \"chunks\" must be an array of at most %d "
                                 "[id, size, version, sha256, age_ms] entries", PROTO_REPORT_PAGE);
    json_t *del = json_array();
    size_t i, kept = 0, bad = 0;
    json_t *e;
    int64_t now = registry_now_ms(), pruned = atomic_load(&m->seen_pruned_ms);
    /* What was deleted, or became known, is no longer reported: forget it
     * now and then. */
    if (now - pruned >= MASTER_SIGHTINGS_PRUNE_MS &&
        atomic_compare_exchange_strong(&m->seen_pruned_ms, &pruned, now))
        sightings_prune(m->seen, now, 2 * m->gc_grace_ms + MASTER_SIGHTINGS_PRUNE_MS);
    json_array_foreach(chunks, i, e) {
        const char *id = json_string_value(json_array_get(e, 0));
        json_t *js = json_array_get(e, 1), *jv = json_array_get(e, 2), *ja = json_array_get(e, 4);
        const char *sha = json_string_value(json_array_get(e, 3));
        char fileid[FILEID_LEN + 1];
        uint32_t index;
        if (!id || !chunkid_parse(id, fileid, &index) || !json_is_integer(js) ||
            !json_is_integer(jv) || !json_is_integer(ja) || json_integer_value(js) < 0 ||
            json_integer_value(jv) < 0) {
            bad++;
            continue;
        }
        uint64_t version = (uint64_t)json_integer_value(jv);
        switch (namespace_check_replica(m->ns, fileid, index, (uint16_t)idx,
                                        (uint64_t)json_integer_value(js), version, sha)) {
        case NS_REPLICA_KEEP:
            kept++;
            break;
        case NS_REPLICA_STALE:
            json_array_append_new(del, json_pack("[s,I]", id, (json_int_t)(version ? version : 1)));
            break;
        case NS_REPLICA_UNKNOWN:
            /* Old by the chunkserver's wall clock and by the master's own
             * watch: a step of either wall clock cannot make a fresh chunk
             * (an upload whose report is on its way) look like garbage. */
            if (json_integer_value(ja) >= m->gc_grace_ms &&
                now - sightings_first(m->seen, (uint16_t)idx, id, now) >= m->gc_grace_ms)
                json_array_append_new(del, json_pack("[s,I]", id,
                                                     (json_int_t)(version ? version : 1)));
            break;
        case NS_REPLICA_PENDING:
            break;
        }
    }
    size_t doomed = json_array_size(del);
    if (!master_api_may_delete(m, addr, json_array_size(chunks), doomed))
        json_array_clear(del);
    else if (doomed || bad)
        log_info("chunk report from %s: %zu chunks, %zu current, %zu to delete, %zu unreadable",
                 addr, json_array_size(chunks), kept, doomed, bad);
    return httpd_reply_json(c, MHD_HTTP_OK, json_pack("{s:o}", PROTO_F_DELETE, del));
}

/* ---- POST /badChunk ---- */

/* A replica read back wrong. From a client, the holder is asked to check
 * it (a client alone cannot condemn a replica); from the holder itself,
 * after its own check, the replica is dropped and deleted, and repair
 * makes a new copy from a good one. */
static enum MHD_Result master_api_bad_chunk(master *m, struct MHD_Connection *c, json_t *req)
{
    char err[256], addr[PROTO_MAX_SERVER_ADDR], fileid[FILEID_LEN + 1];
    const char *id, *server;
    bool corrupt, lost;
    uint32_t index;
    if (!jsonf_string(req, PROTO_F_CHUNK_ID, &id, err, sizeof err) ||
        !jsonf_string(req, PROTO_F_CHUNKSERVER, &server, err, sizeof err) ||
        !jsonf_bool_opt(req, PROTO_F_CORRUPT, false, &corrupt, err, sizeof err) ||
        !jsonf_bool_opt(req, PROTO_F_LOST, false, &lost, err, sizeof err))
        return httpd_reply_error(c, MHD_HTTP_BAD_REQUEST, "%s", err);
    if (!chunkid_parse(id, fileid, &index))
        return httpd_reply_error(c, MHD_HTTP_BAD_REQUEST, "invalid chunk identifier \"%.80s\"", id);
    enum MHD_Result ret;
    int idx = master_api_known_server(m, c, req, PROTO_F_CHUNKSERVER, server, MHD_HTTP_NOT_FOUND,
                                      addr, &ret);
    if (idx < 0)
        return ret;
    if (corrupt && lost) {   /* nothing left there to keep */
        bool dropped = namespace_drop_replica(m->ns, fileid, index, (uint16_t)idx);
        log_warn("chunk %s vanished from %s%s", id, addr,
                 dropped ? "; replica dropped, a new copy will be made" : "");
        return httpd_reply_json(c, MHD_HTTP_OK, json_pack("{s:b}", PROTO_F_DELETE, 1));
    }
    if (corrupt) {
        master_list_ctx l = { .m = m, .now = registry_now_ms() };
        bool may_go = namespace_mark_corrupt(m->ns, fileid, index, (uint16_t)idx,
                                             master_api_is_live, &l);
        log_warn("chunk %s on %s is corrupt; %s", id, addr,
                 may_go ? "replica dropped, a new copy will be made from a good one"
                        : "no good copy is known, so this one is kept (marked corrupt)");
        return httpd_reply_json(c, MHD_HTTP_OK, json_pack("{s:b}", PROTO_F_DELETE, may_go));
    } else {
        log_warn("a client read chunk %s from %s back wrong; asking %s to check it", id, addr, addr);
        outbox_verify(m->outbox, (uint16_t)idx, id);
    }
    return httpd_reply_json(c, MHD_HTTP_OK, json_object());
}

/* ---- POST /unreachable ---- */

/* A client could not connect to a chunkserver that reaches the master.
 * Enough such reports shun it for a while (registry.h says how, and why
 * no client can shun a whole cluster). */
static enum MHD_Result master_api_unreachable(master *m, struct MHD_Connection *c, json_t *req)
{
    char err[256], addr[PROTO_MAX_SERVER_ADDR], peer[128] = "";
    const char *server;
    if (!jsonf_string(req, PROTO_F_CHUNKSERVER, &server, err, sizeof err))
        return httpd_reply_error(c, MHD_HTTP_BAD_REQUEST, "%s", err);
    enum MHD_Result ret;
    int idx = master_api_known_server(m, c, req, PROTO_F_CHUNKSERVER, server, MHD_HTTP_NOT_FOUND,
                                      addr, &ret);
    if (idx < 0)
        return ret;
    int64_t now = registry_now_ms();
    bool shunned = registry_report_unreachable(m->reg, (uint16_t)idx, now);
    httpd_peer_host(c, peer, sizeof peer);
    if (shunned)
        log_warn("chunkserver %s: clients cannot connect to it (the last of %d reports in %d s: "
                 "%s); no new chunks there and its copies counted out for %d s", addr,
                 REGISTRY_SHUN_REPORTS, REGISTRY_SHUN_MS / 1000, peer, REGISTRY_SHUN_MS / 1000);
    return httpd_reply_json(c, MHD_HTTP_OK, json_pack("{s:b}", PROTO_F_SHUNNED,
                                                      registry_shunned(m->reg, (uint16_t)idx, now)));
}

/* ---- plans: POST /upload, GET /plan ---- */

/* No new chunk is placed in safe mode: placed among the first servers
 * back after a restart, it would get fewer copies than it should. A 503
 * that says when to ask again; the others are back within seconds. */
static bool master_api_may_place(master *m, struct MHD_Connection *c, enum MHD_Result *ret)
{
    if (!safemode_on(&m->safe, registry_now_ms()))
        return true;
    *ret = httpd_reply_retry(c, MHD_HTTP_SERVICE_UNAVAILABLE, MASTER_RETRY_MS,
                             "the master has just restarted and waits for its chunkservers to "
                             "report (safe mode): new chunks are placed once they are back");
    return false;
}

/* The live chunkservers as placement facts, with their closeness to the
 * host this request came from (the writer). */
static bool master_api_live(master *m, struct MHD_Connection *c, placement_server **live,
                            size_t *nlive)
{
    char peer[128] = "";
    httpd_peer_host(c, peer, sizeof peer);
    return allocate_live_servers(m, peer, live, nlive);
}

/* Every live chunkserver, as addresses. */
static json_t *master_api_server_list(master *m, const placement_server *live, size_t nlive)
{
    json_t *servers = json_array();
    for (size_t i = 0; i < nlive; i++)
        json_array_append_new(servers, json_string(registry_addr(m->reg, live[i].index)));
    return servers;
}

/* Where chunks from .. from + count - 1 of file fileid go, as a plan's
 * "chunks" entries [{index, chunkIdentifier, replicas}]; *r receives the
 * replicas each got (0: no live server has room). A page at a time (count
 * at most PROTO_PAGE_CHUNKS), so what a plan costs the master stays
 * bounded whatever the file's size. NULL when memory runs out. */
static json_t *master_api_placements(master *m, const char *fileid, uint64_t from,
                                     uint32_t count, unsigned replication,
                                     const placement_server *live, size_t nlive, unsigned *r)
{
    uint16_t *plan = malloc(((size_t)count + 1) * replication * sizeof *plan);
    json_t *chunks = json_array();
    *r = 0;
    if (!plan || !chunks) {
        free(plan);
        json_decref(chunks);
        return NULL;
    }
    if (count > 0)
        *r = placement_plan(&m->place, live, nlive, count, replication, m->chunk_size, plan);
    for (uint32_t i = 0; *r && i < count; i++) {
        char id[CHUNKID_BUF];
        chunkid_format(id, fileid, (uint32_t)(from + i));
        json_t *reps = json_array();
        for (unsigned k = 0; k < *r; k++)
            json_array_append_new(reps, json_string(registry_addr(m->reg, plan[(size_t)i * *r + k])));
        json_array_append_new(chunks, json_pack("{s:I,s:s,s:o}", PROTO_F_INDEX,
                                                (json_int_t)(from + i), PROTO_F_CHUNK_ID, id,
                                                PROTO_F_REPLICAS, reps));
    }
    free(plan);
    return chunks;
}

static enum MHD_Result master_api_plan(master *m, struct MHD_Connection *c, const char *name,
                                       uint64_t size, uint64_t nchunks, bool overwrite,
                                       unsigned replication, const placement_server *live,
                                       size_t nlive);

/* Hands the outbox what the namespace left behind inside other changes: the
 * old version of a file an overwrite replaced, a replacement dropped. */
static void master_api_drain_doomed(master *m)
{
    ns_doomed d;
    while (namespace_take_doomed(m->ns, &d)) {
        log_info("%zu chunk replicas of %s (a replaced or dropped version) to remove", d.n,
                 d.fileid);
        outbox_delete_doomed(m->outbox, &d);
        namespace_doomed_free(&d);
    }
}

static enum MHD_Result master_api_upload(master *m, struct MHD_Connection *c, json_t *req)
{
    char err[256];
    const char *name;
    long long size, replication = m->replication;
    bool overwrite;
    if (!jsonf_string(req, PROTO_F_FILE_NAME, &name, err, sizeof err) ||
        !jsonf_int(req, PROTO_F_FILE_SIZE, 0, INT64_MAX, &size, err, sizeof err) ||
        !jsonf_bool_opt(req, PROTO_F_OVERWRITE, false, &overwrite, err, sizeof err) ||
        !jsonf_int_opt(req, PROTO_F_REPLICATION, 1, PROTO_MAX_REPLICATION, &replication, err,
                       sizeof err))
        return httpd_reply_error(c, MHD_HTTP_BAD_REQUEST, "%s", err);
    if (name[0] == '\0' || strlen(name) > PROTO_MAX_FILE_NAME)
        return httpd_reply_error(c, MHD_HTTP_BAD_REQUEST,
                                 "file name must be 1 to %d bytes", PROTO_MAX_FILE_NAME);
    uint64_t nchunks = ((uint64_t)size + m->chunk_size - 1) / m->chunk_size;
    if (nchunks > PROTO_MAX_CHUNKS)
        return httpd_reply_error(c, MHD_HTTP_BAD_REQUEST,
                                 "file of %lld bytes needs %llu chunks of %llu bytes; at most %u "
                                 "chunks per file", size, (unsigned long long)nchunks,
                                 (unsigned long long)m->chunk_size, PROTO_MAX_CHUNKS);

    placement_server *live;
    size_t nlive;
    if (!master_api_live(m, c, &live, &nlive))
        return httpd_reply_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
    enum MHD_Result ret = master_api_plan(m, c, name, (uint64_t)size, nchunks, overwrite,
                                          (unsigned)replication, live, nlive);
    free(live);
    return ret;
}

static void master_api_is_complete(const ns_file *f, void *ud)
{
    *(bool *)ud = namespace_file_complete(f);
}

/* The rest of /upload, once the live chunkservers are known. */
static enum MHD_Result master_api_plan(master *m, struct MHD_Connection *c, const char *name,
                                       uint64_t size, uint64_t nchunks, bool overwrite,
                                       unsigned replication, const placement_server *live,
                                       size_t nlive)
{
    enum MHD_Result ret;
    if (nchunks > 0 && !master_api_may_place(m, c, &ret))
        return ret;
    if (nchunks > 0 && nlive == 0)
        return httpd_reply_retry(c, MHD_HTTP_SERVICE_UNAVAILABLE, MASTER_RETRY_MS,
                                 "no live chunkservers");

    uint64_t generation;
    char fileid[FILEID_LEN + 1];
    fileid_of_name(name, fileid);
    /* The target is what was asked for, even if fewer servers are live now.
     * An overwrite writes beside the old file, which readers keep until
     * the new one is whole. */
    ns_status st = overwrite ? namespace_overwrite(m->ns, name, size, m->chunk_size, replication,
                                                   &generation, fileid)
                             : namespace_create(m->ns, name, size, m->chunk_size, replication,
                                                &generation);
    master_api_drain_doomed(m);
    if (!master_durable(m))
        return master_api_not_durable(m, c);
    if (st == NS_EXISTS) {
        bool complete = true;
        namespace_with_file(m->ns, fileid, master_api_is_complete, &complete);
        return httpd_reply_error(c, namespace_http_status(st),
                                 "file \"%.200s\" already exists%s (overwrite it with "
                                 "\"overwrite\":true, --overwrite in the client)", name,
                                 complete ? "" : ", incomplete: an upload that did not finish, "
                                 "removed once nothing has written to it for --upload-expiry-ms");
    }
    if (st == NS_BAD_SIZE)
        return httpd_reply_error(c, namespace_http_status(st), "file \"%.200s\" of %llu bytes is "
                                 "past the limits (%u chunks, a name of %d bytes)", name,
                                 (unsigned long long)size, PROTO_MAX_CHUNKS, PROTO_MAX_FILE_NAME);
    if (st != NS_OK)
        return httpd_reply_error(c, namespace_http_status(st), "out of memory");

    /* The first page of the plan; the client asks GET /plan for the rest. */
    unsigned r;
    uint32_t count = nchunks < PROTO_PAGE_CHUNKS ? (uint32_t)nchunks : PROTO_PAGE_CHUNKS;
    json_t *chunks = master_api_placements(m, fileid, 0, count, replication, live, nlive, &r);
    if (!chunks)
        return httpd_reply_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
    if (nchunks > 0 && r == 0) {
        json_decref(chunks);
        return httpd_reply_error(c, MHD_HTTP_INSUFFICIENT_STORAGE,
                                 "no live chunkserver has room for a chunk of %llu bytes",
                                 (unsigned long long)m->chunk_size);
    }
    log_info("upload \"%.200s\": %llu bytes, %llu chunks, %u replicas", name,
             (unsigned long long)size, (unsigned long long)nchunks, r);
    return httpd_reply_json(c, MHD_HTTP_OK,
                            json_pack("{s:s,s:I,s:I,s:o,s:o,s:I,s:I}", PROTO_F_IDENTIFIER, fileid,
                                      PROTO_F_CHUNK_SIZE, (json_int_t)m->chunk_size,
                                      PROTO_F_NUM_CHUNKS, (json_int_t)nchunks,
                                      PROTO_F_CHUNKSERVERS, master_api_server_list(m, live, nlive),
                                      PROTO_F_CHUNKS, chunks,
                                      PROTO_F_GENERATION, (json_int_t)generation,
                                      PROTO_F_REPLICATION, (json_int_t)r));
}

/* ---- GET /plan?id=&generation=&from= ---- */

typedef struct {
    uint64_t generation;
    uint32_t nchunks;
    unsigned replication;
} master_plan_facts;

static void master_api_plan_facts(const ns_file *f, void *ud)
{
    master_plan_facts *p = ud;
    p->generation = f->generation;
    p->nchunks = f->nchunks;
    p->replication = f->replication;
}

/* A query parameter that must be a non-negative integer up to max. */
static bool master_api_query_uint(struct MHD_Connection *c, const char *key, uint64_t max,
                                  bool required, uint64_t *out, enum MHD_Result *ret)
{
    const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, key);
    if (!v && !required)
        return true;
    char *end = NULL;
    errno = 0;
    unsigned long long n = v && v[0] >= '0' && v[0] <= '9' ? strtoull(v, &end, 10) : 0;
    if (!v || !end || *end || errno || n > max) {
        *ret = httpd_reply_error(c, MHD_HTTP_BAD_REQUEST, "query parameter \"%s\" must be an "
                                 "integer from 0 to %llu", key, (unsigned long long)max);
        return false;
    }
    *out = n;
    return true;
}

/* More of a plan than one answer holds: the placement of the next page of
 * a file's chunk slots (an upload's, or an append's new ones), placed now
 * among the servers live now. */
static enum MHD_Result master_api_plan_page(master *m, struct MHD_Connection *c)
{
    const char *id = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, PROTO_QUERY_ID);
    enum MHD_Result ret;
    uint64_t gen = 0, from = 0;
    if (!id || !fileid_valid(id))
        return httpd_reply_error(c, MHD_HTTP_BAD_REQUEST, "query parameter \"id\" must be a file "
                                 "identifier (64 lowercase hex digits)");
    if (!master_api_query_uint(c, PROTO_QUERY_GENERATION, INT64_MAX, true, &gen, &ret) ||
        !master_api_query_uint(c, PROTO_QUERY_FROM, PROTO_MAX_CHUNKS, true, &from, &ret))
        return ret;
    if (!master_api_may_place(m, c, &ret))
        return ret;
    master_plan_facts p = { 0 };
    if (namespace_with_file(m->ns, id, master_api_plan_facts, &p) == NS_NOT_FOUND)
        return httpd_reply_error(c, MHD_HTTP_NOT_FOUND, "no file has identifier %s", id);
    if (p.generation != gen)
        return httpd_reply_error(c, MHD_HTTP_GONE, "generation %llu of the file is gone: it was "
                                 "overwritten or deleted", (unsigned long long)gen);
    if (from >= p.nchunks)
        return httpd_reply_error(c, MHD_HTTP_BAD_REQUEST, "the file has %u chunk slots, none from "
                                 "%llu", p.nchunks, (unsigned long long)from);
    uint32_t count = p.nchunks - (uint32_t)from;
    if (count > PROTO_PAGE_CHUNKS)
        count = PROTO_PAGE_CHUNKS;
    placement_server *live;
    size_t nlive;
    if (!master_api_live(m, c, &live, &nlive))
        return httpd_reply_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
    unsigned r;
    json_t *chunks = master_api_placements(m, id, from, count, p.replication, live, nlive, &r);
    json_t *servers = chunks ? master_api_server_list(m, live, nlive) : NULL;
    free(live);
    if (!chunks)
        return httpd_reply_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
    if (r == 0) {
        json_decref(chunks);
        json_decref(servers);
        return httpd_reply_error(c, MHD_HTTP_INSUFFICIENT_STORAGE,
                                 "no live chunkserver has room for a chunk");
    }
    return httpd_reply_json(c, MHD_HTTP_OK,
                            json_pack("{s:s,s:I,s:o,s:o}", PROTO_F_IDENTIFIER, id,
                                      PROTO_F_GENERATION, (json_int_t)gen, PROTO_F_CHUNKSERVERS,
                                      servers, PROTO_F_CHUNKS, chunks));
}

/* ---- POST /uploadSuccessful ---- */

static enum MHD_Result master_api_upload_ok(master *m, struct MHD_Connection *c, json_t *req)
{
    char err[256], addr[PROTO_MAX_SERVER_ADDR], fileid[FILEID_LEN + 1];
    const char *id, *server, *sha = NULL;
    long long size = -1, generation = 0;
    uint32_t index;
    if (!jsonf_string(req, PROTO_F_CHUNK_ID, &id, err, sizeof err) ||
        !jsonf_string(req, PROTO_F_CHUNKSERVER, &server, err, sizeof err) ||
        !jsonf_int_opt(req, PROTO_F_SIZE, 0, INT64_MAX, &size, err, sizeof err) ||
        !jsonf_int_opt(req, PROTO_F_GENERATION, 0, INT64_MAX, &generation, err, sizeof err))
        return httpd_reply_error(c, MHD_HTTP_BAD_REQUEST, "%s", err);
    if (json_object_get(req, PROTO_F_SHA256) &&
        !jsonf_string(req, PROTO_F_SHA256, &sha, err, sizeof err))
        return httpd_reply_error(c, MHD_HTTP_BAD_REQUEST, "%s", err);
    if (!chunkid_parse(id, fileid, &index))
        return httpd_reply_error(c, MHD_HTTP_BAD_REQUEST, "invalid chunk identifier \"%.80s\"", id);
    enum MHD_Result ret;
    int idx = master_api_known_server(m, c, req, PROTO_F_CHUNKSERVER, server,
                                      MHD_HTTP_SERVICE_UNAVAILABLE, addr, &ret);
    if (idx < 0)
        return ret;
    uint64_t expected = 0, version = 0;
    ns_status st = namespace_report(m->ns, fileid, index, (uint16_t)idx, size,
                                    (uint64_t)generation, sha, &expected, &version);
    master_api_drain_doomed(m);   /* the last chunk of an overwrite: the old version goes */
    if (!master_durable(m))
        return master_api_not_durable(m, c);
    switch (st) {
    case NS_OK:
        log_debug("chunk %s stored on %s", id, addr);
        registry_reachable(m->reg, (uint16_t)idx);   /* someone reached it with the bytes */
        return httpd_reply_json(c, MHD_HTTP_OK,
                                json_pack("{s:I}", PROTO_F_VERSION, (json_int_t)version));
    case NS_BAD_SUM:
        return httpd_reply_error(c, namespace_http_status(st),
                                 "chunk %s: SHA-256 %.64s is not the one recorded for it", id,
                                 sha ? sha : "");
    case NS_NOT_FOUND:
        return httpd_reply_error(c, namespace_http_status(st), "no file has identifier %s", fileid);
    case NS_BAD_INDEX:
        return httpd_reply_error(c, namespace_http_status(st), "the file has no chunk %u", index);
    case NS_BAD_SIZE:
        return httpd_reply_error(c, namespace_http_status(st),
                                 "chunk %s has %lld bytes, expected %llu",
                                 id, size, (unsigned long long)expected);
    case NS_STALE:
        return httpd_reply_error(c, namespace_http_status(st),
                                 "chunk %s belongs to an earlier upload of the file (generation "
                                 "%lld), which was overwritten or deleted", id, generation);
    case NS_DUPLICATE:
        return httpd_reply_error(c, namespace_http_status(st),
                                 "chunk %s is already stored on %s", id, addr);
    default:
        return httpd_reply_error(c, namespace_http_status(st), "cannot record chunk");
    }
}

/* ---- POST /allocate ---- */

static const char *master_api_addr_of(void *ud, uint16_t index)
{
    return registry_addr(((master *)ud)->reg, index);
}

static enum MHD_Result master_api_allocate(master *m, struct MHD_Connection *c, json_t *req)
{
    char err[256];
    allocate_req r;
    if (!allocate_parse(req, &r, err, sizeof err))
        return httpd_reply_error(c, MHD_HTTP_BAD_REQUEST, "%s", err);
    enum MHD_Result ret;
    if (!master_api_may_place(m, c, &ret))
        return ret;
    placement_server *ps;
    size_t nlive;
    if (!master_api_live(m, c, &ps, &nlive))
        return httpd_reply_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
    json_t *ans = json_object();
    ns_status st = allocate_chunk(m, &r, ps, nlive, master_api_addr_of, m, ans);
    free(ps);
    if (!master_durable(m)) {
        json_decref(ans);
        return master_api_not_durable(m, c);
    }
    if (st == NS_OK)
        return httpd_reply_json(c, MHD_HTTP_OK, ans);
    json_decref(ans);
    switch (st) {
    case NS_BAD_INDEX:
        return httpd_reply_error(c, namespace_http_status(st),
                                 "chunk_index %u is past the end of %.200s",
                                 r.index, r.file);
    case NS_NO_SERVERS:
        return httpd_reply_error(c, namespace_http_status(st),
                                 "no live chunkserver with room for a new chunk");
    default:
        return httpd_reply_error(c, namespace_http_status(st), "cannot allocate");
    }
}

/* ---- POST /append, POST /appendDone ---- */

#define MASTER_APPEND_RETRY_MS 50

static enum MHD_Result master_api_append_busy(struct MHD_Connection *c, const char *name)
{
    char msg[400];
    snprintf(msg, sizeof msg, "another client is appending to \"%.200s\"; retry", name);
    log_debug("append to \"%.200s\" refused: busy", name);
    return httpd_reply_json(c, MHD_HTTP_CONFLICT,
                            json_pack("{s:s,s:i}", PROTO_F_ERROR, msg, PROTO_F_RETRY_MS,
                                      MASTER_APPEND_RETRY_MS));
}

static enum MHD_Result master_api_append_refused(master *m, struct MHD_Connection *c,
                                                 ns_status st, const char *name)
{
    if (!master_durable(m))
        return master_api_not_durable(m, c);
    switch (st) {
    case NS_NOT_FOUND:
        return httpd_reply_error(c, namespace_http_status(st), "no file named \"%.200s\"", name);
    case NS_BUSY:
        return master_api_append_busy(c, name);
    case NS_INCOMPLETE:
        return httpd_reply_error(c, namespace_http_status(st),
                                 "file \"%.200s\" is incomplete (or made "
                                 "of allocated chunks): only a complete file can grow", name);
    case NS_BAD_SIZE:
        return httpd_reply_error(c, namespace_http_status(st), "\"%.200s\" would need more than "
                                 "the %u chunks a file may have", name, PROTO_MAX_CHUNKS);
    case NS_NO_SERVERS:
        return httpd_reply_error(c, namespace_http_status(st),
                                 "no live chunkserver holds the file's last chunk");
    default:
        return httpd_reply_error(c, namespace_http_status(st), "cannot append");
    }
}

static enum MHD_Result master_api_append(master *m, struct MHD_Connection *c, json_t *req)
{
    char err[256];
    const char *name;
    long long bytes;
    if (!jsonf_string(req, PROTO_F_FILE_NAME, &name, err, sizeof err) ||
        !jsonf_int(req, PROTO_F_SIZE, 1, INT64_MAX, &bytes, err, sizeof err))
        return httpd_reply_error(c, MHD_HTTP_BAD_REQUEST, "%s", err);
    uint32_t nnew;
    uint16_t holders[PROTO_MAX_REPLICATION], fill_live[PROTO_MAX_REPLICATION];
    unsigned nholders, nfill = 0, replication = 1;
    ns_status st = append_needs(m->ns, name, (uint64_t)bytes, &nnew, holders, &nholders,
                                          &replication);
    if (st != NS_OK)
        return master_api_append_refused(m, c, st, name);
    enum MHD_Result ret;
    if (nnew > 0 && !master_api_may_place(m, c, &ret))
        return ret;
    int64_t now = registry_now_ms();
    for (unsigned k = 0; k < nholders; k++)
        if (registry_live(m->reg, holders[k], now))
            fill_live[nfill++] = holders[k];
    placement_server *live;
    size_t nlive;
    if (!master_api_live(m, c, &live, &nlive))
        return httpd_reply_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
    /* Room for the new chunks somewhere, before anything is begun. */
    uint16_t probe[PROTO_MAX_REPLICATION];
    if (nnew && placement_plan(&m->place, live, nlive, 1, replication, m->chunk_size, probe) == 0) {
        free(live);
        return httpd_reply_error(c, MHD_HTTP_INSUFFICIENT_STORAGE,
                                 "no live chunkserver has room for a new chunk");
    }
    append_plan ap;
    st = append_begin(m->ns, name, (uint64_t)bytes, fill_live, nfill, nnew, now,
                                m->lease_ms, &ap);
    if (st != NS_OK || !master_durable(m)) {
        free(live);
        return master_api_append_refused(m, c, st, name);
    }
    char id[CHUNKID_BUF];
    const char *fileid = ap.fileid;
    json_t *fill = json_null();
    if (ap.fill_index >= 0) {
        json_t *reps = json_array();
        for (unsigned k = 0; k < ap.fill_nrep; k++)
            json_array_append_new(reps, json_string(registry_addr(m->reg, ap.fill_rep[k])));
        chunkid_format(id, fileid, (uint32_t)ap.fill_index);
        fill = json_pack("{s:I,s:s,s:I,s:I,s:o}", PROTO_F_INDEX, (json_int_t)ap.fill_index,
                         PROTO_F_CHUNK_ID, id, PROTO_F_OFFSET, (json_int_t)ap.fill_offset,
                         PROTO_F_LENGTH, (json_int_t)ap.fill_length, PROTO_F_REPLICAS, reps);
    }
    /* The new chunks' first page; GET /plan has the rest. */
    unsigned r;
    json_t *chunks = master_api_placements(m, fileid, ap.first_new,
                                           ap.nnew < PROTO_PAGE_CHUNKS ? ap.nnew : PROTO_PAGE_CHUNKS,
                                           replication, live, nlive, &r);
    free(live);
    if (!chunks) {
        json_decref(fill);
        return httpd_reply_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
    }
    log_info("append to \"%.200s\": %lld bytes after %llu (token %llu)", name, bytes,
             (unsigned long long)ap.old_size, (unsigned long long)ap.token);
    return httpd_reply_json(
        c, MHD_HTTP_OK,
        json_pack("{s:I,s:I,s:s,s:I,s:I,s:I,s:I,s:o,s:o,s:I,s:I,s:I}", PROTO_F_TOKEN,
                  (json_int_t)ap.token, PROTO_F_VERSION, (json_int_t)ap.version,
                  PROTO_F_IDENTIFIER, fileid, PROTO_F_CHUNK_SIZE, (json_int_t)ap.chunk_size,
                  PROTO_F_FILE_SIZE, (json_int_t)ap.old_size, PROTO_F_NEW_SIZE,
                  (json_int_t)ap.new_size, PROTO_F_LEASE_MS, (json_int_t)ap.lease_left_ms,
                  PROTO_F_FILL, fill, PROTO_F_CHUNKS, chunks, PROTO_F_GENERATION,
                  (json_int_t)ap.generation, PROTO_F_FIRST_NEW, (json_int_t)ap.first_new,
                  PROTO_F_NEW_CHUNKS, (json_int_t)ap.nnew));
}

static enum MHD_Result master_api_append_done(master *m, struct MHD_Connection *c, json_t *req)
{
    char err[256];
    const char *name;
    long long token;
    bool abort;
    if (!jsonf_string(req, PROTO_F_FILE_NAME, &name, err, sizeof err) ||
        !jsonf_int(req, PROTO_F_TOKEN, 1, INT64_MAX, &token, err, sizeof err) ||
        !jsonf_bool_opt(req, PROTO_F_ABORT, false, &abort, err, sizeof err))
        return httpd_reply_error(c, MHD_HTTP_BAD_REQUEST, "%s", err);
    ns_status st = append_end(m->ns, name, (uint64_t)token, abort, registry_now_ms());
    if (!master_durable(m))
        return master_api_not_durable(m, c);
    switch (st) {
    case NS_OK:
        log_info("append to \"%s\" %s (token %lld)", name, abort ? "abandoned" : "committed",
                 token);
        return httpd_reply_json(c, MHD_HTTP_OK, json_object());
    case NS_NOT_FOUND:
        return httpd_reply_error(c, namespace_http_status(st), "no file named \"%.200s\"", name);
    case NS_BAD_TOKEN:
        return httpd_reply_error(c, namespace_http_status(st),
                                 "no append %lld in progress on \"%.200s\" "
                                 "(its lease ran out, or it ended)", token, name);
    case NS_INCOMPLETE:
        return httpd_reply_error(c, namespace_http_status(st), "append %lld to \"%.200s\" is not "
                                 "complete: a chunk of it has not been reported stored", token,
                                 name);
    default:
        return httpd_reply_error(c, namespace_http_status(st), "cannot end the append");
    }
}

/* ---- GET /get?id= ---- */

typedef struct {
    master *m;
    int64_t now;
    uint64_t turn;           /* this answer's rotation of the live replicas */
    uint64_t from, count;    /* the page of chunks wanted (count UINT64_MAX: all) */
    bool safe;               /* the master is in safe mode */
    json_t *out;
    unsigned status;
    char err[256];
} master_get_ctx;

static void master_api_describe(const ns_file *f, void *ud)
{
    master_get_ctx *g = ud;
    if (!namespace_file_complete(f)) {
        g->status = MHD_HTTP_CONFLICT;
        snprintf(g->err, sizeof g->err, "file \"%.100s\" is incomplete: %u of %u chunks stored",
                 f->name, f->nstored, f->ncommitted);
        return;
    }
    /* Every copy of a chunk rotten: say so, rather than send readers to
     * copies that fail their checksum. */
    for (uint32_t i = (uint32_t)g->from; i < f->ncommitted && i - g->from < g->count; i++) {
        const ns_chunk *ch = &f->chunks[i];
        bool good = false;
        for (unsigned k = 0; k < ch->nrep && !good; k++)
            good = !namespace_holder_corrupt(ch, k);
        if (ch->nrep > 0 && !good) {
            g->status = MHD_HTTP_CONFLICT;
            snprintf(g->err, sizeof g->err, "file \"%.100s\" is corrupt: every copy of chunk %u "
                     "failed its checksum (they are kept, for recovery)", f->name, i);
            return;
        }
    }
    /* Just after a restart a chunk may have no reported holder yet: that
     * passes within a heartbeat or two, so say when to ask again. */
    if (g->safe) {
        for (uint32_t i = (uint32_t)g->from; i < f->ncommitted && i - g->from < g->count; i++)
            if (f->chunks[i].nrep == 0) {
                g->status = MHD_HTTP_SERVICE_UNAVAILABLE;
                snprintf(g->err, sizeof g->err, "chunk %u of \"%.100s\" has no reported copy "
                         "yet: the chunkservers are still reporting to a restarted master", i,
                         f->name);
                return;
            }
    }
    json_t *locations = json_array(), *replicas = json_array(), *sums = json_array();
    uint64_t end = f->ncommitted;
    if (g->from > end) {
        g->status = MHD_HTTP_BAD_REQUEST;
        snprintf(g->err, sizeof g->err, "the file has %u chunks, none from %llu", f->ncommitted,
                 (unsigned long long)g->from);
        end = g->from;
    } else if (g->count < end - g->from) {
        end = g->from + g->count;
    }
    for (uint32_t i = (uint32_t)g->from; i < end; i++) {
        const ns_chunk *ch = &f->chunks[i];
        char hex[SHA256_HEX_LEN + 1];
        json_array_append_new(sums, namespace_chunk_sum(ch, hex) ? json_string(hex) : json_null());
        /* Live replicas first: readers try them in order. Which live one
         * leads turns with each answer and each chunk, so reads spread
         * over every copy (and a rotten one is met by a reader, not only
         * by the scrubber). */
        uint16_t live[PROTO_MAX_REPLICATION], dead[PROTO_MAX_REPLICATION];
        unsigned nlive = 0, ndead = 0;
        for (unsigned k = 0; k < ch->nrep; k++) {
            if (namespace_holder_corrupt(ch, k))
                continue;   /* a rotten copy, kept for recovery: not for readers */
            if (registry_live(g->m->reg, ch->rep[k], g->now))
                live[nlive++] = ch->rep[k];
            else
                dead[ndead++] = ch->rep[k];
        }
        /* In one order whatever order the copies were reported in, so the
         * turn below moves the lead from chunk to chunk (with the report
         * order, chunks placed round-robin could all turn to one server). */
        for (unsigned a = 1; a < nlive; a++)
            for (unsigned b = a; b > 0 && live[b - 1] > live[b]; b--) {
                uint16_t t = live[b];
                live[b] = live[b - 1];
                live[b - 1] = t;
            }
        json_t *reps = json_array();
        for (unsigned k = 0; k < nlive; k++) {
            uint16_t r = live[(g->turn + i + k) % nlive];
            json_array_append_new(reps, json_string(registry_addr(g->m->reg, r)));
        }
        for (unsigned k = 0; k < ndead; k++)
            json_array_append_new(reps, json_string(registry_addr(g->m->reg, dead[k])));
        json_array_append(locations, json_array_get(reps, 0));
        json_array_append_new(replicas, reps);
    }
    if (g->status == MHD_HTTP_BAD_REQUEST) {
        json_decref(locations);
        json_decref(replicas);
        json_decref(sums);
        return;
    }
    g->status = MHD_HTTP_OK;
    g->out = json_pack("{s:s,s:s,s:I,s:I,s:I,s:o,s:o,s:o,s:I}", PROTO_F_FILE_NAME, f->name,
                       PROTO_F_IDENTIFIER, f->fileid, PROTO_F_FILE_SIZE, (json_int_t)f->size,
                       PROTO_F_CHUNK_SIZE, (json_int_t)f->chunk_size, PROTO_F_NUM_CHUNKS,
                       (json_int_t)f->ncommitted, PROTO_F_LOCATIONS, locations,
                       PROTO_F_REPLICAS, replicas, PROTO_F_CHECKSUMS, sums,
                       PROTO_F_GENERATION, (json_int_t)f->generation);
    if (g->out && g->count != UINT64_MAX)
        json_object_set_new(g->out, PROTO_F_FROM, json_integer((json_int_t)g->from));
}

static enum MHD_Result master_api_get(master *m, struct MHD_Connection *c)
{
    const char *id = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, PROTO_QUERY_ID);
    if (!id)
        return httpd_reply_error(c, MHD_HTTP_BAD_REQUEST, "missing query parameter \"id\"");
    if (!fileid_valid(id))
        return httpd_reply_error(c, MHD_HTTP_BAD_REQUEST,
                                 "invalid identifier \"%.80s\": expected 64 lowercase hex digits", id);
    /* A page (from, count) when asked for one: our client always asks, so
     * no answer it gets grows with the file; without, the whole file, as
     * the Go client expects. */
    master_get_ctx g = { .m = m, .now = registry_now_ms(), .count = UINT64_MAX,
                         .safe = safemode_on(&m->safe, registry_now_ms()),
                         .turn = atomic_fetch_add_explicit(&m->read_turn, 1, memory_order_relaxed) };
    enum MHD_Result ret;
    bool paged = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, PROTO_QUERY_COUNT) != NULL;
    if (!master_api_query_uint(c, PROTO_QUERY_FROM, PROTO_MAX_CHUNKS, false, &g.from, &ret) ||
        (paged && !master_api_query_uint(c, PROTO_QUERY_COUNT, PROTO_PAGE_CHUNKS, true, &g.count,
                                          &ret)))
        return ret;
    if (namespace_with_file(m->ns, id, master_api_describe, &g) == NS_NOT_FOUND)
        return httpd_reply_error(c, MHD_HTTP_NOT_FOUND, "no file has identifier %s", id);
    if (g.status == MHD_HTTP_SERVICE_UNAVAILABLE)
        return httpd_reply_retry(c, g.status, MASTER_RETRY_MS, "%s", g.err);
    if (g.status != MHD_HTTP_OK)
        return httpd_reply_error(c, g.status, "%s", g.err);
    return httpd_reply_json(c, MHD_HTTP_OK, g.out);
}

/* ---- GET /files, DELETE /files?name= ---- */


static void master_api_list_one(const ns_file *f, void *ud)
{
    master_list_ctx *l = ud;
    ns_health h;
    namespace_health(f, master_api_is_live, l, &h);
    json_array_append_new(l->files, json_pack("{s:s,s:s,s:I,s:I,s:I,s:I,s:b,s:i,s:I,s:I,s:I}",
                                              PROTO_F_FILE_NAME, f->name, PROTO_F_IDENTIFIER,
                                              f->fileid, PROTO_F_FILE_SIZE, (json_int_t)f->size,
                                              PROTO_F_CHUNK_SIZE, (json_int_t)f->chunk_size,
                                              PROTO_F_NUM_CHUNKS, (json_int_t)f->ncommitted,
                                              "chunksStored", (json_int_t)f->nstored,
                                              PROTO_F_COMPLETE, namespace_file_complete(f),
                                              PROTO_F_REPLICATION, (int)f->replication,
                                              PROTO_F_UNDER_REPLICATED, (json_int_t)h.under,
                                              PROTO_F_UNAVAILABLE, (json_int_t)h.unavailable,
                                              PROTO_F_CORRUPT_CHUNKS, (json_int_t)h.corrupt));
}

static int master_api_by_name(const void *a, const void *b)
{
    json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    return strcmp(json_string_value(json_object_get(x, PROTO_F_FILE_NAME)),
                  json_string_value(json_object_get(y, PROTO_F_FILE_NAME)));
}

static enum MHD_Result master_api_list(master *m, struct MHD_Connection *c)
{
    json_t *files = json_array();
    master_list_ctx l = { .m = m, .now = registry_now_ms(), .files = files };
    namespace_each(m->ns, master_api_list_one, &l);
    size_t n = json_array_size(files);
    json_t **v = malloc((n ? n : 1) * sizeof *v);
    if (!v) {
        json_decref(files);
        return httpd_reply_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
    }
    for (size_t i = 0; i < n; i++)
        v[i] = json_incref(json_array_get(files, i));
    qsort(v, n, sizeof *v, master_api_by_name);
    json_array_clear(files);
    for (size_t i = 0; i < n; i++)
        json_array_append_new(files, v[i]);
    free(v);
    return httpd_reply_json(c, MHD_HTTP_OK, json_pack("{s:o}", PROTO_F_FILES, files));
}

static enum MHD_Result master_api_delete(master *m, struct MHD_Connection *c)
{
    const char *name = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, PROTO_QUERY_NAME);
    if (!name || !name[0])
        return httpd_reply_error(c, MHD_HTTP_BAD_REQUEST, "missing query parameter \"name\"");
    ns_doomed doomed;
    ns_status st = namespace_remove(m->ns, name, &doomed);
    if (st != NS_OK)
        return httpd_reply_error(c, namespace_http_status(st), st == NS_NOT_FOUND
                                 ? "no file named \"%.200s\"" : "cannot delete \"%.200s\"", name);
    /* The chunk files go lazily, with the holders' next heartbeats. */
    outbox_delete_doomed(m->outbox, &doomed);
    master_api_drain_doomed(m);   /* an overwrite that was under way */
    size_t n = doomed.n;
    namespace_doomed_free(&doomed);
    if (!master_durable(m))
        return master_api_not_durable(m, c);
    log_info("deleted \"%s\" (%zu chunk replicas to remove)", name, n);
    return httpd_reply_json(c, MHD_HTTP_OK, json_object());
}

/* ---- GET /chunkservers ---- */

static enum MHD_Result master_api_chunkservers(master *m, struct MHD_Connection *c)
{
    int64_t now = registry_now_ms();
    json_t *list = json_array();
    size_t n = registry_count(m->reg);
    for (size_t i = 0; i < n; i++)
        json_array_append_new(list, json_pack("{s:s,s:b,s:b,s:I,s:I,s:I}", PROTO_F_URL,
                                              registry_addr(m->reg, (uint16_t)i), PROTO_F_LIVE,
                                              registry_heard(m->reg, (uint16_t)i, now),
                                              PROTO_F_UNREACHABLE,
                                              registry_shunned(m->reg, (uint16_t)i, now),
                                              PROTO_F_LAST_SEEN_MS,
                                              (json_int_t)(now - registry_last_seen(m->reg, (uint16_t)i)),
                                              PROTO_F_LOAD,
                                              (json_int_t)registry_load(m->reg, (uint16_t)i),
                                              "pendingDeletes",
                                              (json_int_t)outbox_pending(m->outbox, (uint16_t)i)));
    json_t *ans = json_pack("{s:o}", PROTO_F_CHUNKSERVERS, list);
    if (ans && m->cluster_id[0])
        json_object_set_new(ans, PROTO_F_CLUSTER_ID, json_string(m->cluster_id));
    return httpd_reply_json(c, MHD_HTTP_OK, ans);
}

/* ---- routing ---- */

typedef enum MHD_Result (*master_json_route)(master *, struct MHD_Connection *, json_t *);

static enum MHD_Result master_api_with_json(master *m, struct MHD_Connection *c,
                                            master_req *r, master_json_route fn)
{
    char err[256];
    json_t *req = jsonf_parse_object(r->body.data ? r->body.data : "", r->body.len, err, sizeof err);
    if (!req)
        return httpd_reply_error(c, MHD_HTTP_BAD_REQUEST, "%s", err);
    enum MHD_Result ret = fn(m, c, req);
    json_decref(req);
    return ret;
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

    bool get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
    bool post = !strcmp(method, "POST");
    if (!strcmp(url, PROTO_PATH_UPLOAD))
        return post ? master_api_with_json(m, c, r, master_api_upload)
                    : httpd_reply_not_allowed(c, method, url, "POST");
    if (!strcmp(url, PROTO_PATH_UPLOAD_OK))
        return post ? master_api_with_json(m, c, r, master_api_upload_ok)
                    : httpd_reply_not_allowed(c, method, url, "POST");
    if (!strcmp(url, PROTO_PATH_ALLOCATE))
        return post ? master_api_with_json(m, c, r, master_api_allocate)
                    : httpd_reply_not_allowed(c, method, url, "POST");
    if (!strcmp(url, PROTO_PATH_APPEND))
        return post ? master_api_with_json(m, c, r, master_api_append)
                    : httpd_reply_not_allowed(c, method, url, "POST");
    if (!strcmp(url, PROTO_PATH_APPEND_DONE))
        return post ? master_api_with_json(m, c, r, master_api_append_done)
                    : httpd_reply_not_allowed(c, method, url, "POST");
    if (!strcmp(url, PROTO_PATH_CHUNK_REPORT))
        return post ? master_api_with_json(m, c, r, master_api_chunk_report)
                    : httpd_reply_not_allowed(c, method, url, "POST");
    if (!strcmp(url, PROTO_PATH_BAD_CHUNK))
        return post ? master_api_with_json(m, c, r, master_api_bad_chunk)
                    : httpd_reply_not_allowed(c, method, url, "POST");
    if (!strcmp(url, PROTO_PATH_UNREACHABLE))
        return post ? master_api_with_json(m, c, r, master_api_unreachable)
                    : httpd_reply_not_allowed(c, method, url, "POST");
    if (!strcmp(url, PROTO_PATH_REGISTER))
        return post ? master_api_with_json(m, c, r, master_api_register)
                    : httpd_reply_not_allowed(c, method, url, "POST");
    if (!strcmp(url, PROTO_PATH_GET))
        return get ? master_api_get(m, c) : httpd_reply_not_allowed(c, method, url, "GET");
    if (!strcmp(url, PROTO_PATH_PLAN))
        return get ? master_api_plan_page(m, c) : httpd_reply_not_allowed(c, method, url, "GET");
    if (!strcmp(url, PROTO_PATH_FILES)) {
        if (get)
            return master_api_list(m, c);
        if (!strcmp(method, "DELETE"))
            return master_api_delete(m, c);
        return httpd_reply_not_allowed(c, method, url, "GET, DELETE");
    }
    if (!strcmp(url, PROTO_PATH_CHUNKSERVERS))
        return get ? master_api_chunkservers(m, c)
                   : httpd_reply_not_allowed(c, method, url, "GET");
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
