/*
 * api_client.c - what clients ask the master: upload plans (POST /upload,
 * one file's or a batch of small ones', GET /plan), allocations, appends,
 * where a file's chunks are (GET /get, by identifier or by path;
 * master_api_describe builds that
 * answer for /ls's layouts too; the whole layout of a file of more than
 * a page, which the Go client asks for, is streamed a page at a time, so
 * no answer costs the master more than a page), the file
 * list and deletions (a file, or a directory's whole tree), the
 * chunkserver list. Every name a request gives is normalised into a path
 * first (a bad one is a 400 saying why). Each handler decodes
 * and checks its request, calls the namespace, registry and placement,
 * and makes its change durable before it answers; a secure master's
 * answers carry a capability for every chunk they send a client to. Must
 * never touch chunk bytes, nor place a chunk in safe mode, nor grant a
 * lease while an HA master that just took over waits out its
 * predecessor's.
 */
#include "api_impl.h"

#include <errno.h>
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
#include "perm.h"
#include "protocol.h"

/* ---- plans: POST /upload, GET /plan ---- */

/* No new chunk is placed in safe mode: placed among the first servers
 * back after a restart, it would get fewer copies than it should. A 503
 * that says when to ask again; the others are back within seconds. */
static bool master_api_may_place(master *m, struct MHD_Connection *c, enum MHD_Result *ret)
{
    if (!safemode_holds_placement(&m->safe, registry_now_ms()))
        return true;
    *ret = httpd_reply_retry(c, MHD_HTTP_SERVICE_UNAVAILABLE, MASTER_RETRY_MS,
                             "the master has just restarted and waits for its chunkservers to "
                             "report (safe mode): new chunks are placed once they are back");
    return false;
}

/* A master that just took over an HA cluster grants no lease (chunk or
 * append) until every lease its predecessor may have granted ran out, as
 * GFS's master does: two primaries of one chunk would interleave their
 * writes. A 503 that says when. */
static bool master_api_may_lease(master *m, struct MHD_Connection *c, enum MHD_Result *ret)
{
    int64_t left = atomic_load(&m->leases_from_ms) - registry_now_ms();
    if (left <= 0)
        return true;
    *ret = httpd_reply_retry(c, MHD_HTTP_SERVICE_UNAVAILABLE, left < 1000 ? left : 1000,
                             "this master took over the cluster moments ago and grants no "
                             "lease for another %lld ms (those of the master before it may "
                             "still run)", (long long)left);
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
        json_t *e = json_pack("{s:I,s:s,s:o}", PROTO_F_INDEX, (json_int_t)(from + i),
                              PROTO_F_CHUNK_ID, id, PROTO_F_REPLICAS, reps);
        secure_add_capability(&m->sec, e, AUTH_CAP_WRITE, id);
        json_array_append_new(chunks, e);
    }
    free(plan);
    return chunks;
}

static enum MHD_Result master_api_plan(master *m, struct MHD_Connection *c, const ns_who *who,
                                       const char *name, uint64_t size, uint64_t nchunks,
                                       bool overwrite, bool any_id, unsigned replication,
                                       const placement_server *live, size_t nlive);


static enum MHD_Result master_api_upload(master *m, struct MHD_Connection *c, const ns_who *who,
                                         json_t *req);

/* Many files' plans at once ({"files": [...]}, each what one /upload
 * takes): one request and one journal sync for a tree's small files. The
 * live chunkservers are listed once for all, and each plan places its
 * file's first PROTO_BATCH_PAGE_CHUNKS chunks (GET /plan: the rest), so
 * the answer stays small whatever the files. */
static enum MHD_Result master_api_upload_batch(master *m, struct MHD_Connection *c,
                                               const ns_who *who, json_t *req)
{
    /* What would refuse every file with data refuses the batch, with the
     * time to ask again: a 503 the client retries as it would one file's. */
    bool data = false;
    size_t i;
    json_t *item;
    json_array_foreach(json_object_get(req, PROTO_F_FILES), i, item)
        data = data || json_integer_value(json_object_get(item, PROTO_F_FILE_SIZE)) > 0;
    enum MHD_Result ret;
    if (data && !master_api_may_place(m, c, &ret))
        return ret;
    placement_server *live;
    size_t nlive;
    if (!master_api_live(m, c, &live, &nlive))
        return httpd_reply_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
    if (data && nlive == 0) {
        free(live);
        return httpd_reply_retry(c, MHD_HTTP_SERVICE_UNAVAILABLE, MASTER_RETRY_MS,
                                 "no live chunkservers");
    }
    json_t *servers = json_pack("{s:o}", PROTO_F_CHUNKSERVERS,
                                master_api_server_list(m, live, nlive));
    free(live);
    return master_api_batch(m, c, who, req, PROTO_F_FILES, NULL, master_api_upload, servers);
}

static enum MHD_Result master_api_upload(master *m, struct MHD_Connection *c, const ns_who *who,
                                         json_t *req)
{
    if (!master_in_batch && json_object_get(req, PROTO_F_FILES))
        return master_api_upload_batch(m, c, who, req);
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
    char path[NSPATH_MAX + 1];
    enum MHD_Result bad;
    if (!master_api_path(c, "file name", name, path, &bad))
        return bad;
    /* Our client sends "overwrite" always, and writes under whatever
     * identifier it is given; the seed's and the Go client's do not, and
     * name chunks by the path's identifier whatever the answer says. */
    bool any_id = json_object_get(req, PROTO_F_OVERWRITE) != NULL;
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
    /* The namespace takes the identifier from the spelling: "/x" or "x". */
    enum MHD_Result ret = master_api_plan(m, c, who, name[0] == '/' ? path : path + 1,
                                          (uint64_t)size, nchunks, overwrite, any_id,
                                          (unsigned)replication, live, nlive);
    free(live);
    return ret;
}

static void master_api_is_complete(const ns_file *f, void *ud)
{
    *(bool *)ud = namespace_file_complete(f);
}

/* The rest of /upload, once the live chunkservers are known. */
static enum MHD_Result master_api_plan(master *m, struct MHD_Connection *c, const ns_who *who,
                                       const char *name, uint64_t size, uint64_t nchunks,
                                       bool overwrite, bool any_id, unsigned replication,
                                       const placement_server *live, size_t nlive)
{
    enum MHD_Result ret;
    if (nchunks > 0 && !master_api_may_place(m, c, &ret))
        return ret;
    if (nchunks > 0 && nlive == 0)
        return httpd_reply_retry(c, MHD_HTTP_SERVICE_UNAVAILABLE, MASTER_RETRY_MS,
                                 "no live chunkservers");

    uint64_t generation;
    char fileid[FILEID_LEN + 1] = "";
    /* The target is what was asked for, even if fewer servers are live now.
     * An overwrite writes beside the old file, which readers keep until
     * the new one is whole. */
    ns_status st = overwrite ? namespace_overwrite(m->ns, name, size, m->chunk_size, replication,
                                                   who, &generation, fileid)
                             : namespace_create(m->ns, name, size, m->chunk_size, replication,
                                                who, any_id, &generation, fileid);
    master_api_drain_doomed(m);
    if (!master_durable(m))
        return master_api_not_durable(m, c);
    if (st == NS_EXISTS) {
        bool complete = true;
        if (namespace_nameid(name, fileid) == NS_OK)
            namespace_with_file(m->ns, fileid, master_api_is_complete, &complete);
        return httpd_reply_error(c, namespace_http_status(st),
                                 "file \"%.200s\" already exists%s (overwrite it with "
                                 "\"overwrite\":true, --overwrite in the client)", name,
                                 complete ? "" : ", incomplete: an upload that did not finish, "
                                 "removed once nothing has written to it for --upload-expiry-ms");
    }
    if (st == NS_FORBIDDEN)
        return master_api_refused(c, st, who, name, overwrite ? "overwrite" : "create");
    if (st == NS_TOO_MANY)
        return httpd_reply_retry(c, namespace_http_status(st), MASTER_RETRY_MS * 30,
                                 "too many uploads in progress (%zu of yours, %zu in all): "
                                 "finish or delete some, or wait for unfinished ones to expire",
                                 who ? namespace_open_uploads(m->ns, who->user) : 0,
                                 namespace_open_uploads(m->ns, NULL));
    if (st == NS_BAD_SIZE)
        return httpd_reply_error(c, namespace_http_status(st), "file \"%.200s\" of %llu bytes is "
                                 "past the limits (%u chunks, a name of %d bytes)", name,
                                 (unsigned long long)size, PROTO_MAX_CHUNKS, PROTO_MAX_FILE_NAME);
    if (st != NS_OK)
        return master_api_ns_error(c, st, who, name, "create");

    /* The first page of the plan; the client asks GET /plan for the rest. */
    unsigned r;
    uint32_t page = master_in_batch ? PROTO_BATCH_PAGE_CHUNKS : PROTO_PAGE_CHUNKS;
    uint32_t count = nchunks < page ? (uint32_t)nchunks : page;
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
    json_t *plan = json_pack("{s:s,s:I,s:I,s:o,s:I,s:I}", PROTO_F_IDENTIFIER, fileid,
                             PROTO_F_CHUNK_SIZE, (json_int_t)m->chunk_size,
                             PROTO_F_NUM_CHUNKS, (json_int_t)nchunks, PROTO_F_CHUNKS, chunks,
                             PROTO_F_GENERATION, (json_int_t)generation,
                             PROTO_F_REPLICATION, (json_int_t)r);
    if (plan && !master_in_batch)   /* a batch lists them once for all its files */
        json_object_set_new(plan, PROTO_F_CHUNKSERVERS, master_api_server_list(m, live, nlive));
    return httpd_reply_json(c, MHD_HTTP_OK, plan);
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

bool master_api_query_uint(struct MHD_Connection *c, const char *key, uint64_t max,
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
static enum MHD_Result master_api_plan_page(master *m, struct MHD_Connection *c,
                                            const ns_who *who)
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
    if (!master_api_may_place(m, c, &ret) ||
        !master_api_may(m, c, who, id, NULL, PERM_WRITE, &ret))
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


/* ---- POST /allocate ---- */

static const char *master_api_addr_of(void *ud, uint16_t index)
{
    return registry_addr(((master *)ud)->reg, index);
}

static enum MHD_Result master_api_allocate(master *m, struct MHD_Connection *c, const ns_who *who,
                                           json_t *req)
{
    char err[256];
    allocate_req r;
    if (!allocate_parse(req, &r, err, sizeof err))
        return httpd_reply_error(c, MHD_HTTP_BAD_REQUEST, "%s", err);
    enum MHD_Result ret;
    if (!master_api_may_place(m, c, &ret) || !master_api_may_lease(m, c, &ret))
        return ret;
    placement_server *ps;
    size_t nlive;
    if (!master_api_live(m, c, &ps, &nlive))
        return httpd_reply_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
    json_t *ans = json_object();
    ns_status st = allocate_chunk(m, &r, who, ps, nlive, master_api_addr_of, m, ans);
    free(ps);
    if (!master_durable(m)) {
        json_decref(ans);
        return master_api_not_durable(m, c);
    }
    if (st == NS_OK) {
        const char *handle = json_string_value(json_object_get(ans, PROTO_F_CHUNK_HANDLE));
        if (handle)
            secure_add_capability(&m->sec, ans, AUTH_CAP_WRITE, handle);
        return httpd_reply_json(c, MHD_HTTP_OK, ans);
    }
    json_decref(ans);
    switch (st) {
    case NS_BAD_INDEX:
        return httpd_reply_error(c, namespace_http_status(st),
                                 "chunk_index %u is past the end of %.200s",
                                 r.index, r.file);
    case NS_NO_SERVERS:
        return httpd_reply_error(c, namespace_http_status(st),
                                 "no live chunkserver with room for a new chunk");
    case NS_FORBIDDEN:
        return master_api_refused(c, st, who, r.file, "write to");
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

/* The identifier of a request's file name, and whether who may do want
 * to that file; false with the refusal queued in *ret. */
static bool master_api_may_name(master *m, struct MHD_Connection *c, const ns_who *who,
                                const char *name, unsigned want, enum MHD_Result *ret)
{
    char fileid[FILEID_LEN + 1];
    ns_status st = namespace_nameid(name, fileid);
    if (st != NS_OK) {
        char path[NSPATH_MAX + 1];
        return master_api_path(c, "file name", name, path, ret) &&
               (*ret = master_api_ns_error(c, st, who, name, "write to"), false);
    }
    return master_api_may(m, c, who, fileid, name, want, ret);
}

static enum MHD_Result master_api_append(master *m, struct MHD_Connection *c, const ns_who *who,
                                         json_t *req)
{
    char err[256];
    const char *name;
    long long bytes;
    if (!jsonf_string(req, PROTO_F_FILE_NAME, &name, err, sizeof err) ||
        !jsonf_int(req, PROTO_F_SIZE, 1, INT64_MAX, &bytes, err, sizeof err))
        return httpd_reply_error(c, MHD_HTTP_BAD_REQUEST, "%s", err);
    enum MHD_Result ret;
    if (who && !master_api_may_name(m, c, who, name, PERM_WRITE, &ret))
        return ret;
    if (!master_api_may_lease(m, c, &ret))
        return ret;
    uint32_t nnew;
    uint16_t holders[PROTO_MAX_REPLICATION], fill_live[PROTO_MAX_REPLICATION];
    unsigned nholders, nfill = 0, replication = 1;
    ns_status st = append_needs(m->ns, name, (uint64_t)bytes, &nnew, holders, &nholders,
                                          &replication);
    if (st != NS_OK)
        return master_api_append_refused(m, c, st, name);
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
        secure_add_capability(&m->sec, fill, AUTH_CAP_WRITE, id);
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

static enum MHD_Result master_api_append_done(master *m, struct MHD_Connection *c,
                                              const ns_who *who, json_t *req)
{
    char err[256];
    const char *name;
    long long token;
    bool abort;
    if (!jsonf_string(req, PROTO_F_FILE_NAME, &name, err, sizeof err) ||
        !jsonf_int(req, PROTO_F_TOKEN, 1, INT64_MAX, &token, err, sizeof err) ||
        !jsonf_bool_opt(req, PROTO_F_ABORT, false, &abort, err, sizeof err))
        return httpd_reply_error(c, MHD_HTTP_BAD_REQUEST, "%s", err);
    enum MHD_Result ret;
    if (who && !master_api_may_name(m, c, who, name, PERM_WRITE, &ret))
        return ret;
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

/* A whole file's size and names, for the head of its streamed layout. */
typedef struct master_get_probe {
    bool taken;
    uint64_t n, generation, size, chunk_size;
    char path[NSPATH_MAX + 1], fid[FILEID_LEN + 1];
} master_get_probe;

/* Whether f's chunks from g->from (g->count of them) may be read now:
 * else g's status and err say why. */
static bool master_api_readable(const ns_file *f, master_get_ctx *g, const char *path)
{
    if (!namespace_file_complete(f)) {
        g->status = MHD_HTTP_CONFLICT;
        snprintf(g->err, sizeof g->err, "file \"%.100s\" is incomplete: %u of %u chunks stored",
                 path, f->nstored, f->ncommitted);
        return false;
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
                     "failed its checksum (they are kept, for recovery)", path, i);
            return false;
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
                         path);
                return false;
            }
    }
    return true;
}

void master_api_describe(const ns_file *f, void *ud)
{
    master_get_ctx *g = ud;
    char path[NSPATH_MAX + 1];
    namespace_path(f, path, sizeof path);
    if (!master_api_readable(f, g, path))
        return;
    if (g->big && g->from == 0 && g->count == UINT64_MAX && f->ncommitted > PROTO_PAGE_CHUNKS) {
        master_get_probe *p = g->big;
        p->taken = true;
        p->n = f->ncommitted;
        p->generation = f->generation;
        p->size = f->size;
        p->chunk_size = f->chunk_size;
        snprintf(p->path, sizeof p->path, "%s", path);
        namespace_file_id(f, p->fid);
        g->status = MHD_HTTP_OK;
        return;
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
    char fid[FILEID_LEN + 1];
    g->out = json_pack("{s:s,s:s,s:I,s:I,s:I,s:o,s:o,s:o,s:I}", PROTO_F_FILE_NAME, path + 1,
                       PROTO_F_IDENTIFIER, namespace_file_id(f, fid), PROTO_F_FILE_SIZE, (json_int_t)f->size,
                       PROTO_F_CHUNK_SIZE, (json_int_t)f->chunk_size, PROTO_F_NUM_CHUNKS,
                       (json_int_t)f->ncommitted, PROTO_F_LOCATIONS, locations,
                       PROTO_F_REPLICAS, replicas, PROTO_F_CHECKSUMS, sums,
                       PROTO_F_GENERATION, (json_int_t)f->generation);
    if (g->out && g->count != UINT64_MAX)
        json_object_set_new(g->out, PROTO_F_FROM, json_integer((json_int_t)g->from));
}

/* An unpaged /get of a file of more than a page (the Go client's: it
 * knows no pages) is streamed, a page of chunks at a time, each page
 * described under the lock like a paged answer and sent before the next
 * is made: what the master holds for it stays one page, whatever the
 * file's size. The arrays come one after the other, so each page is
 * described once per array; a page that finds the file gone or of
 * another generation (overwritten meanwhile) cuts the answer short,
 * which no reader takes for a whole one. */
enum { GET_ARRAYS_OPEN = 3, GET_ARRAYS_SECURE = 4 };   /* the last: capabilities */
static const char *const master_get_arrays[GET_ARRAYS_SECURE] = {
    PROTO_F_LOCATIONS, PROTO_F_REPLICAS, PROTO_F_CHECKSUMS, PROTO_F_CAPABILITIES
};

typedef struct {
    master *m;
    char id[FILEID_LEN + 1];
    int64_t now;
    uint64_t turn, generation, n;
    bool safe;
    unsigned arrays;      /* how many of master_get_arrays: the last only on a secure master */
    unsigned array;       /* the one being sent */
    uint64_t next;        /* its next chunk */
    bool done;            /* the last array's last page is made */
    char *text;           /* what is ready to send, from off on */
    size_t len, off;
} master_get_stream;

/* The stream's next text: the page after the last, with what closes one
 * array and opens the next; false when the file changed under it. */
static bool master_get_stream_page(master_get_stream *s)
{
    uint64_t count = s->n - s->next < PROTO_PAGE_CHUNKS ? s->n - s->next : PROTO_PAGE_CHUNKS;
    master_get_ctx g = { .m = s->m, .now = s->now, .turn = s->turn, .from = s->next,
                         .count = count, .safe = s->safe };
    if (namespace_with_file(s->m->ns, s->id, master_api_describe, &g) != NS_OK ||
        g.status != MHD_HTTP_OK ||
        json_integer_value(json_object_get(g.out, PROTO_F_GENERATION)) != (json_int_t)s->generation ||
        json_integer_value(json_object_get(g.out, PROTO_F_NUM_CHUNKS)) < (json_int_t)s->n) {
        json_decref(g.out);
        return false;
    }
    if (s->array == GET_ARRAYS_OPEN)   /* the capabilities: a secure master's */
        master_api_capabilities(s->m, g.out);
    json_t *arr = json_object_get(g.out, master_get_arrays[s->array]);
    char *items = json_array_size(arr) == count ? json_dumps(arr, JSON_COMPACT) : NULL;
    json_decref(g.out);
    if (!items)
        return false;
    size_t ilen = strlen(items);   /* "[...]": its inside goes out */
    s->next += count;
    bool last = s->next == s->n;
    const char *after = !last                       ? ""
                        : s->array + 1 < s->arrays ? NULL
                                                    : "]}";
    char open[64] = "";
    if (last && !after)
        snprintf(open, sizeof open, "],\"%s\":[", master_get_arrays[s->array + 1]);
    free(s->text);
    s->text = malloc(ilen + sizeof open + 4);
    if (!s->text) {
        free(items);
        return false;
    }
    s->len = (size_t)sprintf(s->text, "%s%.*s%s", s->next - count > 0 ? "," : "", (int)(ilen - 2),
                             items + 1, after ? after : open);
    s->off = 0;
    free(items);
    if (last) {
        s->next = 0;
        if (++s->array == s->arrays)
            s->done = true;
    }
    return true;
}

static ssize_t master_get_stream_read(void *cls, uint64_t pos, char *out, size_t max)
{
    (void)pos;
    master_get_stream *s = cls;
    while (s->off == s->len) {
        if (s->done)
            return MHD_CONTENT_READER_END_OF_STREAM;
        if (!master_get_stream_page(s)) {
            log_warn("/get?id=%s: the file changed while its layout was sent; the answer is cut "
                     "short", s->id);
            return MHD_CONTENT_READER_END_WITH_ERROR;
        }
    }
    size_t k = s->len - s->off < max ? s->len - s->off : max;
    memcpy(out, s->text + s->off, k);
    s->off += k;
    return (ssize_t)k;
}

static void master_get_stream_free(void *cls)
{
    master_get_stream *s = cls;
    free(s->text);
    free(s);
}

/* Streams the whole layout of the file p probed (more than a page). */
static enum MHD_Result master_api_get_stream(master *m, struct MHD_Connection *c, const char *id,
                                             const master_get_ctx *g, const master_get_probe *p)
{
    master_get_stream *s = calloc(1, sizeof *s);
    json_t *head = json_pack("{s:s,s:s,s:I,s:I,s:I,s:I}", PROTO_F_FILE_NAME, p->path + 1,
                             PROTO_F_IDENTIFIER, p->fid, PROTO_F_FILE_SIZE, (json_int_t)p->size,
                             PROTO_F_CHUNK_SIZE, (json_int_t)p->chunk_size, PROTO_F_NUM_CHUNKS,
                             (json_int_t)p->n, PROTO_F_GENERATION, (json_int_t)p->generation);
    char *text = head ? json_dumps(head, JSON_COMPACT) : NULL;
    json_decref(head);
    size_t len = text ? strlen(text) : 0;
    char *t = text ? realloc(text, len + 32) : NULL;
    if (!t)
        free(text);   /* realloc kept it, or there was none */
    if (!s || !t) {
        free(s);
        free(t);
        return httpd_reply_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
    }
    /* {"...":...} becomes {"...":...,"locations":[ */
    s->len = (size_t)snprintf(t + len - 1, 33, ",\"%s\":[", PROTO_F_LOCATIONS) + len - 1;
    s->text = t;
    s->m = m;
    snprintf(s->id, sizeof s->id, "%s", id);
    s->now = g->now;
    s->turn = g->turn;
    s->safe = g->safe;
    s->generation = p->generation;
    s->n = p->n;
    s->arrays = m->sec.on ? GET_ARRAYS_SECURE : GET_ARRAYS_OPEN;
    return httpd_reply_stream(c, MHD_HTTP_OK, master_get_stream_read, s, master_get_stream_free);
}

static enum MHD_Result master_api_get(master *m, struct MHD_Connection *c, const ns_who *who)
{
    const char *id = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, PROTO_QUERY_ID);
    const char *path = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, PROTO_QUERY_PATH);
    char norm[NSPATH_MAX + 1], byname[FILEID_LEN + 1];
    if (!id && path) {   /* by path (the dashboard's): its identifier */
        enum MHD_Result bad;
        if (!master_api_path(c, "path", path, norm, &bad))
            return bad;
        if (namespace_nameid(norm, byname) != NS_OK)
            return httpd_reply_error(c, MHD_HTTP_BAD_REQUEST, "path \"%.200s\" has no identifier",
                                     norm);
        id = byname;
    }
    if (!id)
        return httpd_reply_error(c, MHD_HTTP_BAD_REQUEST, "missing query parameter \"id\" (or \"path\")");
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
    if (!master_api_may(m, c, who, id, NULL, PERM_READ, &ret))
        return ret;
    bool paged = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, PROTO_QUERY_COUNT) != NULL;
    if (!master_api_query_uint(c, PROTO_QUERY_FROM, PROTO_MAX_CHUNKS, false, &g.from, &ret) ||
        (paged && !master_api_query_uint(c, PROTO_QUERY_COUNT, PROTO_PAGE_CHUNKS, true, &g.count,
                                          &ret)))
        return ret;
    master_get_probe big = { .taken = false };
    if (!paged && httpd_can_stream())
        g.big = &big;
    if (namespace_with_file(m->ns, id, master_api_describe, &g) == NS_NOT_FOUND)
        return httpd_reply_error(c, MHD_HTTP_NOT_FOUND, "no file has identifier %s", id);
    if (g.status == MHD_HTTP_SERVICE_UNAVAILABLE)
        return httpd_reply_retry(c, g.status, MASTER_RETRY_MS, "%s", g.err);
    if (g.status != MHD_HTTP_OK)
        return httpd_reply_error(c, g.status, "%s", g.err);
    if (big.taken)
        return master_api_get_stream(m, c, id, &g, &big);
    master_api_capabilities(m, g.out);
    return httpd_reply_json(c, MHD_HTTP_OK, g.out);
}

/* A secure master's readers get a capability per chunk, made with the
 * namespace's lock long released. */
void master_api_capabilities(master *m, json_t *layout)
{
    const char *fileid = json_string_value(json_object_get(layout, PROTO_F_IDENTIFIER));
    if (!m->sec.on || !fileid)
        return;
    size_t n = json_array_size(json_object_get(layout, PROTO_F_REPLICAS));
    json_t *from = json_object_get(layout, PROTO_F_FROM);
    json_int_t first = json_is_integer(from) ? json_integer_value(from) : 0;
    json_t *caps = json_array();
    for (size_t k = 0; caps && k < n; k++) {
        char cid[CHUNKID_BUF];
        chunkid_format(cid, fileid, (uint32_t)(first + (json_int_t)k));
        json_array_append_new(caps, secure_capability(&m->sec, AUTH_CAP_READ, cid));
    }
    json_object_set_new(layout, PROTO_F_CAPABILITIES, caps);
}

/* ---- GET /files, DELETE /files?name= ---- */

/* /files and /get name a file as the seed does, without the leading '/'
 * ("input.txt", "logs/a.txt"): the spelling whose SHA-256 is a new file's
 * identifier. /ls and /stat show absolute paths. */


static void master_api_list_one(const ns_file *f, void *ud)
{
    master_list_ctx *l = ud;
    ns_health h;
    namespace_health(f, master_api_is_live, l, &h);
    char path[NSPATH_MAX + 1], fid[FILEID_LEN + 1];
    namespace_path(f, path, sizeof path);
    json_t *e = json_pack("{s:s,s:s,s:I,s:I,s:I,s:I,s:b,s:i,s:I,s:I,s:I}",
                                              PROTO_F_FILE_NAME, path + 1, PROTO_F_IDENTIFIER,
                                              namespace_file_id(f, fid), PROTO_F_FILE_SIZE, (json_int_t)f->size,
                                              PROTO_F_CHUNK_SIZE, (json_int_t)f->chunk_size,
                                              PROTO_F_NUM_CHUNKS, (json_int_t)f->ncommitted,
                                              "chunksStored", (json_int_t)f->nstored,
                                              PROTO_F_COMPLETE, namespace_file_complete(f),
                                              PROTO_F_REPLICATION, (int)f->replication,
                                              PROTO_F_UNDER_REPLICATED, (json_int_t)h.under,
                                              PROTO_F_UNAVAILABLE, (json_int_t)h.unavailable,
                                              PROTO_F_CORRUPT_CHUNKS, (json_int_t)h.corrupt);
    if (e) {
        json_object_set_new(e, PROTO_F_MODE, json_integer(f->node.mode));
        const char *owner = namespace_owner(&f->node), *group = namespace_group(&f->node);
        if (owner)
            json_object_set_new(e, PROTO_F_OWNER, json_string(owner));
        if (group)
            json_object_set_new(e, PROTO_F_GROUP, json_string(group));
    }
    json_array_append_new(l->files, e);
}

static int master_api_by_name(const void *a, const void *b)
{
    json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    return strcmp(json_string_value(json_object_get(x, PROTO_F_FILE_NAME)),
                  json_string_value(json_object_get(y, PROTO_F_FILE_NAME)));
}

static enum MHD_Result master_api_list(master *m, struct MHD_Connection *c, const ns_who *who)
{
    (void)who;   /* the flat root lists for every user */
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

static enum MHD_Result master_api_delete(master *m, struct MHD_Connection *c, const ns_who *who)
{
    const char *name = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, PROTO_QUERY_NAME);
    if (!name || !name[0])
        return httpd_reply_error(c, MHD_HTTP_BAD_REQUEST, "missing query parameter \"name\"");
    const char *rec = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, PROTO_QUERY_RECURSIVE);
    if (rec && strcmp(rec, "true") != 0 && strcmp(rec, "false") != 0)
        return httpd_reply_error(c, MHD_HTTP_BAD_REQUEST, "query parameter \"%s\" is true or false",
                                 PROTO_QUERY_RECURSIVE);
    char path[NSPATH_MAX + 1];
    enum MHD_Result bad;
    if (!master_api_path(c, "path", name, path, &bad))
        return bad;
    size_t nfiles;
    ns_status st = namespace_remove_path(m->ns, path, rec && !strcmp(rec, "true"), who, &nfiles);
    /* The chunk files go lazily, with the holders' next heartbeats. */
    master_api_drain_doomed(m);
    if (!master_durable(m))
        return master_api_not_durable(m, c);
    if (st == NS_NOT_FOUND)   /* the seed's words */
        return httpd_reply_error(c, namespace_http_status(st), "no file named \"%.200s\"", path);
    if (st != NS_OK)
        return master_api_ns_error(c, st, who, path, "remove");
    log_info("removed \"%s\" (%zu files)", path, nfiles);
    return httpd_reply_json(c, MHD_HTTP_OK, json_pack("{s:I}", PROTO_F_FILES_REMOVED,
                                                      (json_int_t)nfiles));
}

/* ---- GET /chunkservers ---- */

static enum MHD_Result master_api_chunkservers(master *m, struct MHD_Connection *c,
                                               const ns_who *who)
{
    (void)who;
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

const master_api_route master_api_client_routes[] = {
    { PROTO_PATH_UPLOAD, "POST", MASTER_USERS, master_api_upload, NULL, NULL },
    { PROTO_PATH_PLAN, "GET", MASTER_USERS, NULL, master_api_plan_page, NULL },
    { PROTO_PATH_ALLOCATE, "POST", MASTER_USERS, master_api_allocate, NULL, NULL },
    { PROTO_PATH_APPEND, "POST", MASTER_USERS, master_api_append, NULL, NULL },
    { PROTO_PATH_APPEND_DONE, "POST", MASTER_USERS, master_api_append_done, NULL, NULL },
    { PROTO_PATH_GET, "GET", MASTER_USERS, NULL, master_api_get, NULL },
    { PROTO_PATH_FILES, "GET", MASTER_USERS, NULL, master_api_list, NULL },
    { PROTO_PATH_FILES, "DELETE", MASTER_USERS, NULL, master_api_delete, NULL },
    { PROTO_PATH_CHUNKSERVERS, "GET", MASTER_USERS, NULL, master_api_chunkservers, NULL },
};
const size_t master_api_client_nroutes =
    sizeof master_api_client_routes / sizeof *master_api_client_routes;
