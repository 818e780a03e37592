/*
 * api_chunkserver.c - what chunkservers tell the master, and what anyone
 * tells it about them: registration and heartbeats (whose answers carry
 * the outbox, and the live list only when it changed: a beat costs its
 * own news, not the cluster's size, and say the master reads packed
 * reports), full chunk reports (pages of JSON entries, or of packed
 * records, chunkpack.h), stored chunks (/uploadSuccessful, one or a batch), bad
 * copies (/badChunk, from scrubbers and readers), servers clients cannot
 * reach (/unreachable). On a secure master api.c has checked each one's
 * signature before it gets here, and signs the answer; /badChunk and
 * /unreachable also come from users (who set), who may only ask for a
 * replica to be checked, never condemn one. Every message that
 * names a chunkserver is checked against the registry and the cluster id
 * first. A standby of an HA cluster takes heartbeats and reports in (to
 * know where chunks live) but hands out no orders and deletes nothing.
 * Must never delete on a report's word more than --gc-max-fraction of a
 * server's chunks, nor call a chunkserver.
 */
#include "api_impl.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "chunkid.h"
#include "chunkpack.h"
#include "drain.h"
#include "httpd.h"
#include "jsonf.h"
#include "lease.h"
#include "log.h"
#include "protocol.h"
#include "sha256.h"

#define MASTER_OUTBOX_PER_BEAT 2000   /* deletions handed over per heartbeat */

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

static enum MHD_Result master_api_register(master *m, struct MHD_Connection *c, const ns_who *who,
                                           json_t *req)
{
    (void)who;
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
    /* A decommission journalled before a restart or a failover (drain.h),
     * or followed by a standby, holds again from this heartbeat on. */
    bool drained = drain_has(m->ns, addr);
    if (drained != registry_draining(m->reg, (uint16_t)idx))
        registry_set_draining(m->reg, (uint16_t)idx, drained, atomic_load(&m->census.seq));
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
     * chunks on to. Sent only when they changed since the list the
     * server holds (its version echoed back): a heartbeat stays the size
     * of its own news, not of the cluster. */
    char members[17];
    const char *held = json_string_value(json_object_get(req, PROTO_F_MEMBERS_VERSION));
    json_t *peers = NULL;
    registry_members(m->reg, registry_now_ms(), members, NULL, 0);
    if (!held || strcmp(held, members) != 0) {
        uint16_t live[REGISTRY_MAX];
        size_t nlive = registry_members(m->reg, registry_now_ms(), members, live, REGISTRY_MAX);
        peers = json_array();
        for (size_t i = 0; i < nlive; i++)
            json_array_append_new(peers, json_string(registry_addr(m->reg, live[i])));
    }
    /* The heartbeat's answer carries what this server owes: deletions
     * and verifications. */
    json_t *del, *ver, *copy;
    bool is_active = master_active(m);
    if (is_active) {
        outbox_take(m->outbox, (uint16_t)idx, MASTER_OUTBOX_PER_BEAT, m->max_repl_streams, &del,
                    &ver, &copy);
    } else {   /* a standby of an HA cluster orders nothing */
        del = json_array();
        ver = json_array();
        copy = json_array();
    }
    json_t *ans = json_pack("{s:s,s:I,s:s,s:I,s:i,s:o,s:o,s:o}", PROTO_F_URL, addr,
                            PROTO_F_CHUNK_SIZE, (json_int_t)m->chunk_size,
                            PROTO_F_MEMBERS_VERSION, members, PROTO_F_EPOCH,
                            (json_int_t)atomic_load(&m->epoch), PROTO_F_PACKED_REPORTS,
                            PROTO_PACKED_LAYOUT, PROTO_F_DELETE, del, PROTO_F_VERIFY, ver,
                            PROTO_F_COPY, copy);
    if (ans && peers)
        json_object_set_new(ans, PROTO_F_CHUNKSERVERS, peers);
    if (ans && m->cluster_id[0])
        json_object_set_new(ans, PROTO_F_CLUSTER_ID, json_string(m->cluster_id));
    if (ans && m->ha)
        json_object_set_new(ans, PROTO_F_ROLE, json_string(is_active ? "active" : "standby"));
    return httpd_reply_json(c, MHD_HTTP_OK, ans);
}

/* ---- POST /chunkreport ---- */

/* How often the sightings of unknown replicas are pruned. */
#define MASTER_SIGHTINGS_PRUNE_MS 600000

/* Deletions a report may order whatever share of it they are. */
#define MASTER_GC_FLOOR 4

/* Whether the deletions one page of a chunkserver's report calls for may
 * go ahead: not on a standby, not in safe mode (the namespace is right, but what the
 * chunkservers hold is not all in yet), and not when they are more than
 * --gc-max-fraction of what the server holds. A master that finds most of
 * a server's chunks unknown is far likelier to be the wrong master, or an
 * old copy of the right one, than to be looking at that much garbage; so
 * it deletes none of them and says why, and the operator decides. */
static bool master_api_may_delete(master *m, const char *addr, size_t reported, size_t doomed)
{
    if (doomed == 0)
        return true;
    if (!master_active(m))   /* a standby's namespace may be a moment behind */
        return false;
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

/* A page of a full report, read into what the namespace judges. */
typedef struct {
    ns_replica_in *in;
    size_t n;        /* entries read */
    size_t listed;   /* entries the page held, bad ones too */
    size_t bad;
} master_report_page;

static bool master_report_page_alloc(master_report_page *p, size_t listed)
{
    p->listed = listed;
    p->in = malloc((listed ? listed : 1) * sizeof *p->in);
    return p->in;
}

/* The JSON form: [[id, size, version, sha256, age_ms], ...]. An entry
 * that is not one is counted bad and skipped; a checksum that is not 64
 * hex digits is no checksum (the seed's chunkservers know none). */
static bool master_report_read_json(json_t *chunks, master_report_page *p)
{
    if (!master_report_page_alloc(p, json_array_size(chunks)))
        return false;
    size_t i;
    json_t *e;
    json_array_foreach(chunks, i, e) {
        ns_replica_in *r = &p->in[p->n];
        char fileid[FILEID_LEN + 1];
        const char *id = json_string_value(json_array_get(e, 0));
        const char *sha = json_string_value(json_array_get(e, 3));
        json_t *js = json_array_get(e, 1), *jv = json_array_get(e, 2), *ja = json_array_get(e, 4);
        if (!id || !chunkid_parse(id, fileid, &r->index) || !sha256_from_hex(fileid, r->fid) ||
            !json_is_integer(js) || !json_is_integer(jv) || !json_is_integer(ja) ||
            json_integer_value(js) < 0 || json_integer_value(jv) < 0) {
            p->bad++;
            continue;
        }
        r->size = (uint64_t)json_integer_value(js);
        r->version = (uint64_t)json_integer_value(jv);
        r->has_sha = sha && sha256_from_hex(sha, r->sha);
        r->age_ms = json_integer_value(ja);
        p->n++;
    }
    return true;
}

/* The packed form: n records (chunkpack.h), n bounded by the caller. */
static bool master_report_read_packed(const unsigned char *recs, size_t n,
                                      master_report_page *p)
{
    if (!master_report_page_alloc(p, n))
        return false;
    for (size_t k = 0; k < n; k++) {
        if (chunkpack_get(recs + k * CHUNKPACK_RECORD, &p->in[p->n]))
            p->n++;
        else
            p->bad++;
    }
    return true;
}

/* A deletion order names the chunk as the chunkserver stores it. */
static void master_report_chunk_id(const ns_replica_in *r, char id[CHUNKID_BUF])
{
    char fileid[FILEID_LEN + 1];
    sha256_to_hex(r->fid, fileid);
    chunkid_format(id, fileid, r->index);
}

/* Judges a page read from server idx (addr) and answers with what it
 * should delete. */
static enum MHD_Result master_report_judge(master *m, struct MHD_Connection *c, int idx,
                                           const char *addr, master_report_page *page)
{
    ns_replica_verdict *verdict = malloc((page->n ? page->n : 1) * sizeof *verdict);
    if (!verdict)
        return httpd_reply_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "out of memory");
    int64_t now = registry_now_ms(), pruned = atomic_load(&m->seen_pruned_ms);
    /* What was deleted, or became known, is no longer reported: forget it
     * now and then. */
    if (now - pruned >= MASTER_SIGHTINGS_PRUNE_MS &&
        atomic_compare_exchange_strong(&m->seen_pruned_ms, &pruned, now))
        sightings_prune(m->seen, now, 2 * m->gc_grace_ms + MASTER_SIGHTINGS_PRUNE_MS);
    /* A page that teaches a master in safe mode where chunks are keeps it
     * in safe mode a little longer (safemode.h). */
    if (namespace_check_replicas(m->ns, (uint16_t)idx, page->in, page->n, verdict) > 0)
        safemode_report(&m->safe, registry_now_ms());
    json_t *del = json_array();
    size_t kept = 0;
    for (size_t q = 0; q < page->n; q++) {
        const ns_replica_in *r = &page->in[q];
        char id[CHUNKID_BUF];
        switch (verdict[q]) {
        case NS_REPLICA_KEEP:
            kept++;
            break;
        case NS_REPLICA_STALE:
            master_report_chunk_id(r, id);
            json_array_append_new(del, json_pack("[s,I]", id,
                                                 (json_int_t)(r->version ? r->version : 1)));
            break;
        case NS_REPLICA_UNKNOWN:
            /* Old by the chunkserver's wall clock and by the master's own
             * watch: a step of either wall clock cannot make a fresh chunk
             * (an upload whose report is on its way) look like garbage. */
            if (r->age_ms < m->gc_grace_ms)
                break;
            master_report_chunk_id(r, id);
            if (now - sightings_first(m->seen, (uint16_t)idx, id, now) >= m->gc_grace_ms)
                json_array_append_new(del, json_pack("[s,I]", id,
                                                     (json_int_t)(r->version ? r->version : 1)));
            break;
        case NS_REPLICA_PENDING:
            break;
        }
    }
    free(verdict);
    size_t doomed = json_array_size(del);
    if (!master_api_may_delete(m, addr, page->listed, doomed))
        json_array_clear(del);
    else if (doomed || page->bad)
        log_info("chunk report from %s: %zu chunks, %zu current, %zu to delete, %zu unreadable",
                 addr, page->listed, kept, doomed, page->bad);
    return httpd_reply_json(c, MHD_HTTP_OK, json_pack("{s:o}", PROTO_F_DELETE, del));
}

/* The server a page comes from, by the envelope's "url" (and cluster):
 * its registry index, or -1 with the answer queued in *ret. A page keeps
 * a live server live: its heartbeats wait while it reports, and a busy
 * master takes a while. */
static int master_report_server(master *m, struct MHD_Connection *c, json_t *req,
                                char addr[PROTO_MAX_SERVER_ADDR], enum MHD_Result *ret)
{
    int idx = master_api_known_server(m, c, req, PROTO_F_URL, MHD_HTTP_SERVICE_UNAVAILABLE, addr,
                                      ret);
    if (idx >= 0)   /* from the server itself: api.c checked who may send it */
        registry_touch(m->reg, (uint16_t)idx, registry_now_ms());
    return idx;
}

/* A page of a server's full report as JSON: {"url", "chunks": [[id, size,
 * version, sha256, age_ms], ...]}. */
static enum MHD_Result master_api_chunk_report(master *m, struct MHD_Connection *c, const ns_who *who,
                                               json_t *req)
{
    (void)who;
    char addr[PROTO_MAX_SERVER_ADDR];
    enum MHD_Result ret;
    int idx = master_report_server(m, c, req, addr, &ret);
    if (idx < 0)
        return ret;
    json_t *chunks = json_object_get(req, PROTO_F_CHUNKS);
    if (!json_is_array(chunks) || json_array_size(chunks) > PROTO_REPORT_PAGE)
        return httpd_reply_error(c, MHD_HTTP_BAD_REQUEST,
                                 "field \"chunks\" must be an array of at most %d "
                                 "[id, size, version, sha256, age_ms] entries", PROTO_REPORT_PAGE);
    master_report_page page = { 0 };
    ret = master_report_read_json(chunks, &page)
              ? master_report_judge(m, c, idx, addr, &page)
              : httpd_reply_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "out of memory");
    free(page.in);
    return ret;
}

/* A packed page (chunkpack.h): the envelope's line, then records. */
static enum MHD_Result master_api_chunk_report_packed(master *m, struct MHD_Connection *c,
                                                      const ns_who *who, const char *body,
                                                      size_t len)
{
    (void)who;
    char err[256], addr[PROTO_MAX_SERVER_ADDR];
    const char *head;
    const unsigned char *recs;
    size_t headlen, n;
    if (!chunkpack_split(body, len, PROTO_REPORT_PAGE, &head, &headlen, &recs, &n, err,
                         sizeof err))
        return httpd_reply_error(c, MHD_HTTP_BAD_REQUEST, "%s", err);
    json_t *req = jsonf_parse_object(head, headlen, err, sizeof err);
    if (!req)
        return httpd_reply_error(c, MHD_HTTP_BAD_REQUEST, "a packed report's envelope: %s", err);
    enum MHD_Result ret;
    int idx = master_report_server(m, c, req, addr, &ret);
    json_decref(req);
    if (idx < 0)
        return ret;
    master_report_page page = { 0 };
    ret = master_report_read_packed(recs, n, &page)
              ? master_report_judge(m, c, idx, addr, &page)
              : httpd_reply_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "out of memory");
    free(page.in);
    return ret;
}

/* ---- POST /badChunk ---- */

/* What a client reports about chunkservers costs the master work (a
 * check ordered, a count kept): so much a second per client address
 * (--bad-chunk-rate), a 429 past it. */
static bool master_api_report_rate(master *m, struct MHD_Connection *c, enum MHD_Result *ret)
{
    char peer[128] = "";
    httpd_peer_host(c, peer, sizeof peer);
    if (!m->reports || ratelimit_take(m->reports, peer, registry_now_ms()))
        return true;
    *ret = httpd_reply_retry(c, MHD_HTTP_TOO_MANY_REQUESTS, 1000, "too many reports from %s: "
                             "at most --bad-chunk-rate a second", peer);
    return false;
}

/* A replica read back wrong. From a client, the holder is asked to check
 * it (a client alone cannot condemn a replica); from the holder itself,
 * after its own check, the replica is dropped and deleted, and repair
 * makes a new copy from a good one. */
static enum MHD_Result master_api_bad_chunk(master *m, struct MHD_Connection *c,
                                           const ns_who *who, json_t *req)
{
    char err[256], addr[PROTO_MAX_SERVER_ADDR], fileid[FILEID_LEN + 1];
    const char *id;
    bool corrupt, lost;
    uint32_t index;
    if (!jsonf_string(req, PROTO_F_CHUNK_ID, &id, err, sizeof err) ||
        !jsonf_bool_opt(req, PROTO_F_CORRUPT, false, &corrupt, err, sizeof err) ||
        !jsonf_bool_opt(req, PROTO_F_LOST, false, &lost, err, sizeof err))
        return httpd_reply_error(c, MHD_HTTP_BAD_REQUEST, "%s", err);
    if (!chunkid_parse(id, fileid, &index))
        return httpd_reply_error(c, MHD_HTTP_BAD_REQUEST, "invalid chunk identifier \"%.80s\"", id);
    enum MHD_Result ret;
    if (!corrupt && !lost && !master_api_report_rate(m, c, &ret))
        return ret;
    if (who && (corrupt || lost))   /* a user may only ask for a check */
        return httpd_reply_error(c, MHD_HTTP_FORBIDDEN, "only the chunkserver that holds a "
                                 "replica may condemn it; %s may report a bad read without "
                                 "\"corrupt\" or \"lost\"", who->user);
    int idx = master_api_known_server(m, c, req, PROTO_F_CHUNKSERVER, MHD_HTTP_NOT_FOUND, addr,
                                      &ret);
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
static enum MHD_Result master_api_unreachable(master *m, struct MHD_Connection *c, const ns_who *who,
                                              json_t *req)
{
    (void)who;
    char addr[PROTO_MAX_SERVER_ADDR], peer[128] = "";
    enum MHD_Result ret;
    if (!master_api_report_rate(m, c, &ret))
        return ret;
    int idx = master_api_known_server(m, c, req, PROTO_F_CHUNKSERVER, MHD_HTTP_NOT_FOUND, addr,
                                      &ret);
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


/* ---- POST /uploadSuccessful ---- */

/* One stored chunk, or many at once ({"reports": [...]}, each what one
 * report takes, under the batch's "chunkserver" and "clusterId"): a
 * chunkserver reports the chunks its uploads finished meanwhile in one
 * request and one journal sync. */
static enum MHD_Result master_api_upload_ok(master *m, struct MHD_Connection *c, const ns_who *who,
                                            json_t *req)
{
    static const char *const shared[] = { PROTO_F_CHUNKSERVER, PROTO_F_CLUSTER_ID, NULL };
    if (!master_in_batch && json_object_get(req, PROTO_F_REPORTS))
        return master_api_batch(m, c, who, req, PROTO_F_REPORTS, shared, master_api_upload_ok,
                                NULL);
    char err[256], addr[PROTO_MAX_SERVER_ADDR], fileid[FILEID_LEN + 1];
    const char *id, *sha = NULL;
    long long size = -1, generation = 0;
    uint32_t index;
    if (!jsonf_string(req, PROTO_F_CHUNK_ID, &id, err, sizeof err) ||
        !jsonf_int_opt(req, PROTO_F_SIZE, 0, INT64_MAX, &size, err, sizeof err) ||
        !jsonf_int_opt(req, PROTO_F_GENERATION, 0, INT64_MAX, &generation, err, sizeof err))
        return httpd_reply_error(c, MHD_HTTP_BAD_REQUEST, "%s", err);
    if (json_object_get(req, PROTO_F_SHA256) &&
        !jsonf_string(req, PROTO_F_SHA256, &sha, err, sizeof err))
        return httpd_reply_error(c, MHD_HTTP_BAD_REQUEST, "%s", err);
    if (!chunkid_parse(id, fileid, &index))
        return httpd_reply_error(c, MHD_HTTP_BAD_REQUEST, "invalid chunk identifier \"%.80s\"", id);
    enum MHD_Result ret;
    int idx = master_api_known_server(m, c, req, PROTO_F_CHUNKSERVER,
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

const master_api_route master_api_chunkserver_routes[] = {
    { PROTO_PATH_REGISTER, "POST", MASTER_SERVERS, master_api_register, NULL, NULL },
    { PROTO_PATH_CHUNK_REPORT, "POST", MASTER_SERVERS, master_api_chunk_report, NULL,
      master_api_chunk_report_packed },
    { PROTO_PATH_UPLOAD_OK, "POST", MASTER_SERVERS, master_api_upload_ok, NULL, NULL },
    { PROTO_PATH_BAD_CHUNK, "POST", MASTER_EITHER, master_api_bad_chunk, NULL, NULL },
    { PROTO_PATH_UNREACHABLE, "POST", MASTER_EITHER, master_api_unreachable, NULL, NULL },
};
const size_t master_api_chunkserver_nroutes =
    sizeof master_api_chunkserver_routes / sizeof *master_api_chunkserver_routes;
