/*
 * api_tree.c - the directory tree on the master's API: a page of a
 * directory (GET /ls, with small files' layouts when asked, as /get gives
 * them, for get -r), one entry (GET /stat), a new directory (POST
 * /mkdir), a move (POST /rename) and what a subtree holds (GET /du).
 * Every path a request names is normalised first (a bad one is a 400 that
 * says why); every change is durable before the answer. Builds answers
 * under the namespace's read lock from what it holds, never more than one
 * page (PROTO_PAGE_ENTRIES) at a time; signs capabilities only after the
 * lock is released.
 */
#include "api_impl.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "httpd.h"
#include "jsonf.h"
#include "log.h"
#include "perm.h"
#include "protocol.h"

/* A file's state: writing, or complete, or, when that is the truth now,
 * degraded (a chunk short of copies), missing (a chunk with no live
 * copy) or corrupt (a chunk whose only copies failed their checksum). */
static const char *master_api_state(master *m, const ns_file *f)
{
    if (!namespace_file_complete(f))
        return "writing";
    master_list_ctx l = { .m = m, .now = registry_now_ms() };
    ns_health h;
    namespace_health(f, master_api_is_live, &l, &h);
    return h.corrupt ? "corrupt" : h.unavailable ? "missing" : h.under ? "degraded" : "complete";
}

/* One entry as /ls and /stat show it. */
static json_t *master_api_entry(master *m, const ns_node *n)
{
    json_t *e = json_pack("{s:s,s:s,s:i,s:I,s:I}", PROTO_F_NAME, namespace_node_name(n), PROTO_F_TYPE,
                          n->dir ? "directory" : "file", PROTO_F_MODE, (int)n->mode,
                          PROTO_F_CREATED, (json_int_t)n->ctime_ms, PROTO_F_MODIFIED,
                          (json_int_t)n->mtime_ms);
    if (!e)
        return NULL;
    const char *owner = namespace_owner(n), *group = namespace_group(n);
    if (owner)
        json_object_set_new(e, PROTO_F_OWNER, json_string(owner));
    if (group)
        json_object_set_new(e, PROTO_F_GROUP, json_string(group));
    if (n->dir) {
        json_object_set_new(e, PROTO_F_ENTRY_COUNT,
                            json_integer((json_int_t)((const ns_dir *)n)->nentries));
        return e;
    }
    const ns_file *f = (const ns_file *)n;
    json_object_set_new(e, PROTO_F_FILE_SIZE, json_integer((json_int_t)f->size));
    json_object_set_new(e, PROTO_F_CHUNK_SIZE, json_integer((json_int_t)f->chunk_size));
    json_object_set_new(e, PROTO_F_NUM_CHUNKS, json_integer((json_int_t)f->ncommitted));
    json_object_set_new(e, PROTO_F_REPLICATION, json_integer(f->replication));
    json_object_set_new(e, PROTO_F_STATE, json_string(master_api_state(m, f)));
    char fid[FILEID_LEN + 1];
    json_object_set_new(e, PROTO_F_IDENTIFIER, json_string(namespace_file_id(f, fid)));
    return e;
}

/* The path a query names, normalised; false with the 400 queued. */
static bool master_api_query_path(struct MHD_Connection *c, char out[NSPATH_MAX + 1],
                                  enum MHD_Result *ret)
{
    const char *p = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, PROTO_QUERY_PATH);
    if (!p) {
        *ret = httpd_reply_error(c, MHD_HTTP_BAD_REQUEST, "missing query parameter \"%s\"",
                                 PROTO_QUERY_PATH);
        return false;
    }
    return master_api_path(c, "path", p, out, ret);
}

typedef struct {
    json_t *entries;
    const ns_who *who;
    bool layouts;            /* small files' layouts too (?layout=1) */
    master_get_ctx g;        /* what each layout is built with */
} master_ls_ctx;

/* Under the namespace's read lock: the entry, and with ?layout=1 the
 * layout of a file of at most PROTO_LS_LAYOUT_CHUNKS chunks that the
 * asker may read and that can be read now. Any other file's /get will
 * say why not; get -r asks it then. */
static void master_api_list_entry(const ns_node *n, void *ud)
{
    master_ls_ctx *l = ud;
    json_t *e = master_api_entry(l->g.m, n);
    const ns_file *f = (const ns_file *)n;
    if (e && l->layouts && !n->dir && f->ncommitted <= PROTO_LS_LAYOUT_CHUNKS &&
        namespace_file_complete(f) && perm_may(n, l->who, PERM_READ)) {
        l->g.turn++;   /* one file's lead replica after another's */
        l->g.out = NULL;
        l->g.status = 0;
        master_api_describe(f, &l->g);
        if (l->g.status == MHD_HTTP_OK && l->g.out)
            json_object_set_new(e, PROTO_F_LAYOUT, l->g.out);
        else
            json_decref(l->g.out);
    }
    json_array_append_new(l->entries, e);
}

static enum MHD_Result master_api_ls(master *m, struct MHD_Connection *c, const ns_who *who)
{
    char path[NSPATH_MAX + 1];
    enum MHD_Result ret;
    if (!master_api_query_path(c, path, &ret))
        return ret;
    const char *after = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, PROTO_QUERY_AFTER);
    if (after && strlen(after) > NSPATH_NAME_MAX)
        return httpd_reply_error(c, MHD_HTTP_BAD_REQUEST, "\"%s\" is a name: at most %d bytes",
                                 PROTO_QUERY_AFTER, NSPATH_NAME_MAX);
    const char *lim = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, PROTO_QUERY_LIMIT);
    unsigned long limit = PROTO_PAGE_ENTRIES;
    if (lim) {
        char *end;
        limit = strtoul(lim, &end, 10);
        if (!lim[0] || *end || limit < 1 || limit > PROTO_PAGE_ENTRIES)
            return httpd_reply_error(c, MHD_HTTP_BAD_REQUEST, "\"%s\" is 1 to %u",
                                     PROTO_QUERY_LIMIT, PROTO_PAGE_ENTRIES);
    }
    const char *lay = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, PROTO_QUERY_LAYOUT);
    if (lay && strcmp(lay, "0") != 0 && strcmp(lay, "1") != 0)
        return httpd_reply_error(c, MHD_HTTP_BAD_REQUEST, "\"%s\" is 0 or 1", PROTO_QUERY_LAYOUT);
    master_ls_ctx l = { .entries = json_array(), .who = who, .layouts = lay && !strcmp(lay, "1"),
                        .g = { .m = m } };
    if (l.layouts) {   /* what /get would be answered with now; a plain listing needs none */
        int64_t now = registry_now_ms();
        l.g = (master_get_ctx){ .m = m, .now = now, .from = 0, .count = PROTO_LS_LAYOUT_CHUNKS,
                                .safe = safemode_on(&m->safe, now),
                                .turn = atomic_fetch_add_explicit(&m->read_turn, 1,
                                                                  memory_order_relaxed) };
    }
    bool more;
    ns_status st = namespace_list(m->ns, path, after, limit, who, master_api_list_entry, &l,
                                  &more);
    if (st != NS_OK) {
        json_decref(l.entries);
        return master_api_ns_error(c, st, who, path, "list");
    }
    size_t i;
    json_t *e;
    if (l.layouts)
        json_array_foreach(l.entries, i, e)
            master_api_capabilities(m, json_object_get(e, PROTO_F_LAYOUT));
    return httpd_reply_json(c, MHD_HTTP_OK,
                            json_pack("{s:s,s:o,s:b}", PROTO_F_PATH, path, PROTO_F_ENTRIES,
                                      l.entries, PROTO_F_MORE, more));
}

typedef struct {
    master *m;
    json_t *e;
} master_stat_ctx;

static void master_api_stat_one(const ns_node *n, void *ud)
{
    master_stat_ctx *s = ud;
    s->e = master_api_entry(s->m, n);
}

static enum MHD_Result master_api_stat(master *m, struct MHD_Connection *c, const ns_who *who)
{
    char path[NSPATH_MAX + 1];
    enum MHD_Result ret;
    if (!master_api_query_path(c, path, &ret))
        return ret;
    master_stat_ctx s = { .m = m };
    ns_status st = namespace_with_path(m->ns, path, who, master_api_stat_one, &s);
    json_t *e = s.e;
    if (st != NS_OK)
        return master_api_ns_error(c, st, who, path, "stat");
    if (!e)
        return httpd_reply_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
    json_object_set_new(e, PROTO_F_PATH, json_string(path));
    return httpd_reply_json(c, MHD_HTTP_OK, e);
}

static enum MHD_Result master_api_du(master *m, struct MHD_Connection *c, const ns_who *who)
{
    char path[NSPATH_MAX + 1];
    enum MHD_Result ret;
    if (!master_api_query_path(c, path, &ret))
        return ret;
    ns_usage u;
    ns_status st = namespace_du(m->ns, path, who, &u);
    if (st != NS_OK)
        return master_api_ns_error(c, st, who, path, "sum up");
    return httpd_reply_json(c, MHD_HTTP_OK,
                            json_pack("{s:s,s:I,s:I,s:I,s:I,s:I}", PROTO_F_PATH, path,
                                      PROTO_F_FILES, (json_int_t)u.files, PROTO_F_DIRECTORIES,
                                      (json_int_t)u.dirs, PROTO_F_BYTES, (json_int_t)u.bytes,
                                      PROTO_F_CHUNK_COUNT, (json_int_t)u.chunks,
                                      PROTO_F_STORED_BYTES, (json_int_t)u.stored_bytes));
}

static enum MHD_Result master_api_mkdir(master *m, struct MHD_Connection *c, const ns_who *who,
                                        json_t *req)
{
    char err[256], path[NSPATH_MAX + 1];
    const char *asked;
    bool parents;
    long long mode = NS_DIR_MODE_DEFAULT;
    if (!jsonf_string(req, PROTO_F_PATH, &asked, err, sizeof err) ||
        !jsonf_bool_opt(req, PROTO_F_PARENTS, false, &parents, err, sizeof err) ||
        !jsonf_int_opt(req, PROTO_F_MODE, 0, 01777, &mode, err, sizeof err))
        return httpd_reply_error(c, MHD_HTTP_BAD_REQUEST, "%s", err);
    enum MHD_Result ret;
    if (!master_api_path(c, "path", asked, path, &ret))
        return ret;
    ns_status st = namespace_mkdir(m->ns, path, parents, (unsigned)mode, who);
    if (!master_durable(m))
        return master_api_not_durable(m, c);
    if (st != NS_OK)
        return master_api_ns_error(c, st, who, path, "make directory");
    return httpd_reply_json(c, MHD_HTTP_OK, json_pack("{s:s}", PROTO_F_PATH, path));
}

static enum MHD_Result master_api_rename(master *m, struct MHD_Connection *c, const ns_who *who,
                                         json_t *req)
{
    char err[256], from[NSPATH_MAX + 1], to[NSPATH_MAX + 1];
    const char *a, *b;
    bool replace;
    if (!jsonf_string(req, PROTO_F_RENAME_FROM, &a, err, sizeof err) ||
        !jsonf_string(req, PROTO_F_RENAME_TO, &b, err, sizeof err) ||
        !jsonf_bool_opt(req, PROTO_F_REPLACE, false, &replace, err, sizeof err))
        return httpd_reply_error(c, MHD_HTTP_BAD_REQUEST, "%s", err);
    enum MHD_Result ret;
    if (!master_api_path(c, "from", a, from, &ret) || !master_api_path(c, "to", b, to, &ret))
        return ret;
    ns_status st = namespace_rename(m->ns, from, to, replace, who);
    master_api_drain_doomed(m);   /* a file it replaced */
    if (!master_durable(m))
        return master_api_not_durable(m, c);
    if (st == NS_EXISTS)
        return httpd_reply_error(c, namespace_http_status(st), "cannot move \"%.200s\" to "
                                 "\"%.200s\": it exists (replace it with \"replace\":true, -f)",
                                 from, to);
    if (st == NS_INVALID)
        return httpd_reply_error(c, namespace_http_status(st), "cannot move \"%.200s\" to "
                                 "\"%.200s\": the root stays, and a directory cannot move into "
                                 "itself", from, to);
    if (st != NS_OK)
        return master_api_ns_error(c, st, who, st == NS_NOT_FOUND ? from : to, "move");
    log_info("moved \"%.200s\" to \"%.200s\"", from, to);
    return httpd_reply_json(c, MHD_HTTP_OK, json_pack("{s:s,s:s}", PROTO_F_RENAME_FROM, from,
                                                      PROTO_F_RENAME_TO, to));
}

const master_api_route master_api_tree_routes[] = {
    { PROTO_PATH_LS, "GET", MASTER_USERS, NULL, master_api_ls, NULL },
    { PROTO_PATH_STAT, "GET", MASTER_USERS, NULL, master_api_stat, NULL },
    { PROTO_PATH_DU, "GET", MASTER_USERS, NULL, master_api_du, NULL },
    { PROTO_PATH_MKDIR, "POST", MASTER_USERS, master_api_mkdir, NULL, NULL },
    { PROTO_PATH_RENAME, "POST", MASTER_USERS, master_api_rename, NULL, NULL },
};
const size_t master_api_tree_nroutes = sizeof master_api_tree_routes / sizeof *master_api_tree_routes;
