/*
 * api_ops.c - what operators ask the master: its metrics in Prometheus's
 * text format (GET /metrics), whether it is up (GET /healthz), the
 * cluster's report (GET /admin/report: totals, then every chunkserver),
 * a check of every file under a path against the master's view (GET
 * /fsck) and decommissioning (POST /admin/decommission, /recommission).
 * Reads the census (census.h) and the registry without the namespace
 * lock, except fsck, which walks files under the read lock and lists at
 * most a bounded number of problems. Changes nothing but a server's
 * decommission order (journalled with the namespace, drain.h), and that
 * only for a superuser of a secure master.
 */
#include "api_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "drain.h"
#include "ha.h"
#include "httpd.h"
#include "jsonf.h"
#include "log.h"
#include "metrics.h"
#include "monotime.h"
#include "protocol.h"
#include "repair.h"

/* ---- the chunkservers, as metrics and the report show them ---- */

static json_t *master_api_server_json(const registry_view *v, int64_t now)
{
    return json_pack("{s:s,s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:i}", "address", v->addr, "rack", v->rack,
                     PROTO_F_STATE, v->state, "lastContactMs", (json_int_t)(now - v->last_seen_ms),
                     "capacity", (json_int_t)v->capacity, "used", (json_int_t)v->used, "chunks",
                     (json_int_t)v->held, "decommissionRemaining",
                     (json_int_t)(v->draining ? v->needed : 0), "load", (int)v->load);
}

typedef struct {
    uint64_t live, dead, draining, capacity, used;   /* capacity, used: of the live ones */
} master_servers_sum;

/* Sums up every registered server, and (list not NULL) appends each to
 * list as /admin/report shows it. */
static void master_api_servers(master *m, int64_t now, master_servers_sum *sum, json_t *list)
{
    memset(sum, 0, sizeof *sum);
    size_t n = registry_count(m->reg);
    for (size_t i = 0; i < n; i++) {
        registry_view v;
        registry_view_of(m->reg, (uint16_t)i, now, &v);
        if (v.heard) {
            sum->live++;
            sum->capacity += v.capacity;
            sum->used += v.used;
        } else {
            sum->dead++;
        }
        sum->draining += v.draining && !v.drained;
        if (list)
            json_array_append_new(list, master_api_server_json(&v, now));
    }
}

/* ---- GET /metrics ---- */

static void master_api_gauge(metrics_text *t, const char *name, const char *help, uint64_t v)
{
    metrics_family(t, name, "gauge", help);
    metrics_sample_u64(t, name, "", v);
}

static void master_api_counter(metrics_text *t, const char *name, const char *help, uint64_t v)
{
    metrics_family(t, name, "counter", help);
    metrics_sample_u64(t, name, "", v);
}

static enum MHD_Result master_api_metrics(master *m, struct MHD_Connection *c, const ns_who *who)
{
    (void)who;
    metrics_text t = { 0 };
    int64_t now = registry_now_ms();
    census_totals *ct = &m->census;
    master_servers_sum sum;
    master_api_servers(m, now, &sum, NULL);
    master_api_gauge(&t, "minidfs_files", "Files in the namespace", atomic_load(&ct->files));
    master_api_gauge(&t, "minidfs_directories", "Directories in the namespace",
                     namespace_dir_count(m->ns));
    master_api_gauge(&t, "minidfs_chunks", "Committed chunks", atomic_load(&ct->chunks));
    master_api_gauge(&t, "minidfs_logical_bytes", "Bytes of the files, counted once",
                     atomic_load(&ct->logical_bytes));
    master_api_gauge(&t, "minidfs_stored_bytes", "Bytes of every readable copy of every chunk",
                     atomic_load(&ct->stored_bytes));
    master_api_gauge(&t, "minidfs_chunkservers_live", "Chunkservers heard from lately", sum.live);
    master_api_gauge(&t, "minidfs_chunkservers_dead", "Chunkservers registered and silent", sum.dead);
    master_api_gauge(&t, "minidfs_chunkservers_decommissioning",
                     "Chunkservers being drained, not yet done", sum.draining);
    master_api_gauge(&t, "minidfs_capacity_bytes", "Disk capacity of the live chunkservers",
                     sum.capacity);
    master_api_gauge(&t, "minidfs_used_bytes", "Disk used on the live chunkservers", sum.used);
    master_api_gauge(&t, "minidfs_chunks_under_replicated",
                     "Chunks with fewer counted copies than their file wants",
                     atomic_load(&ct->under));
    master_api_gauge(&t, "minidfs_chunks_missing", "Stored chunks with no readable copy",
                     atomic_load(&ct->missing));
    master_api_gauge(&t, "minidfs_chunks_over_replicated",
                     "Chunks with more copies than their file wants", atomic_load(&ct->over));
    master_api_gauge(&t, "minidfs_chunks_corrupt", "Chunks with a copy that failed its checksum",
                     atomic_load(&ct->corrupt));
    int64_t age = census_age_ms(ct, now);
    metrics_family(&t, "minidfs_census_age_seconds", "gauge",
                   "Age of the file and chunk figures (-1: not counted yet)");
    metrics_sample(&t, "minidfs_census_age_seconds", "", age < 0 ? -1.0 : (double)age / 1000);
    master_api_gauge(&t, "minidfs_repairs_queued", "Short chunks waiting for a copy",
                     atomic_load(&m->repairs.queued));
    master_api_gauge(&t, "minidfs_repairs_in_flight", "Repair copies ordered, not yet landed",
                     atomic_load(&m->repairs.in_flight));
    master_api_counter(&t, "minidfs_repairs_started_total", "Repair copies ordered",
                       atomic_load(&m->repairs.started));
    master_api_counter(&t, "minidfs_repairs_done_total", "Repair copies that landed",
                       atomic_load(&m->repairs.done));
    master_api_counter(&t, "minidfs_replicas_trimmed_total",
                       "Surplus or rotten copies dropped", atomic_load(&m->repairs.trimmed));
    master_api_counter(&t, "minidfs_balancer_moves_total",
                       "Chunks the balancer moved to an emptier chunkserver",
                       atomic_load(&m->repairs.moved));
    master_api_gauge(&t, "minidfs_uploads_open", "Files being written",
                     namespace_open_uploads(m->ns, NULL));
    metrics_family(&t, "minidfs_repair_scan_seconds", "gauge",
                   "How long repair's last whole scan of the namespace took");
    metrics_sample(&t, "minidfs_repair_scan_seconds", "",
                   (double)atomic_load(&m->repairs.scan_ms) / 1e3);
    metrics_family(&t, "minidfs_repair_scan_slice_max_seconds", "gauge",
                   "The longest the last scan held the namespace's lock at once");
    metrics_sample(&t, "minidfs_repair_scan_slice_max_seconds", "",
                   (double)atomic_load(&m->repairs.slice_max_us) / 1e6);
    master_api_gauge(&t, "minidfs_appends_open", "Appends under way", atomic_load(&ct->appends));
    master_api_gauge(&t, "minidfs_leases_open", "Chunk leases not yet expired",
                     atomic_load(&ct->leases));
    master_api_gauge(&t, "minidfs_safe_mode", "1 while the master is in safe mode",
                     safemode_on(&m->safe, now));
    master_api_gauge(&t, "minidfs_master_active",
                     "1 on the active master (a single master always is)", master_active(m));
    if (m->j) {
        master_api_counter(&t, "minidfs_journal_records_total",
                           "Journal records appended by this process", journal_appended(m->j));
        metrics_hist_family(&t, "minidfs_journal_fsync_seconds",
                            "Time to make one group commit durable (fdatasync, or the etcd "
                            "transaction of an HA master)", journal_sync_hist(m->j));
        int64_t ck = journal_checkpoint_ms(m->j);
        metrics_family(&t, "minidfs_checkpoint_age_seconds", "gauge",
                       "Age of the last checkpoint this process wrote (-1: none yet)");
        metrics_sample(&t, "minidfs_checkpoint_age_seconds", "",
                       ck ? (double)(monotime_ms() - ck) / 1000 : -1.0);
    }
    master_api_gauge(&t, "minidfs_http_connections", "HTTP connections open now",
                     httpd_connections());
    metrics_http_write(&t, m->http);
    metrics_process(&t);
    return httpd_reply_metrics(c, &t);
}

/* ---- GET /healthz ---- */

static const char *master_api_role(master *m)
{
    if (!m->ha)
        return "single";
    return master_active(m) ? "active" : "standby";
}

static enum MHD_Result master_api_healthz(master *m, struct MHD_Connection *c, const ns_who *who)
{
    (void)who;
    bool journal_ok = !m->j || !journal_failure(m->j);
    return httpd_reply_json(c, journal_ok ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE,
                            json_pack("{s:s,s:s,s:b}", "status", journal_ok ? "ok" : "journal failed",
                                      PROTO_F_ROLE, master_api_role(m), "safeMode",
                                      safemode_on(&m->safe, registry_now_ms())));
}

/* ---- GET /admin/report ---- */

static enum MHD_Result master_api_report(master *m, struct MHD_Connection *c, const ns_who *who)
{
    (void)who;
    int64_t now = registry_now_ms();
    census_totals *ct = &m->census;
    json_t *servers = json_array();
    master_servers_sum sum;
    master_api_servers(m, now, &sum, servers);
    int64_t age = census_age_ms(ct, now);
    json_t *doc = json_pack(
        "{s:s,s:b,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:o}",
        PROTO_F_ROLE, master_api_role(m), "safeMode", safemode_on(&m->safe, now), "capacity",
        (json_int_t)sum.capacity, "used", (json_int_t)sum.used, "remaining",
        (json_int_t)(sum.capacity > sum.used ? sum.capacity - sum.used : 0), "chunkserversLive",
        (json_int_t)sum.live, "chunkserversDead", (json_int_t)sum.dead, "files",
        (json_int_t)atomic_load(&ct->files), "directories",
        (json_int_t)namespace_dir_count(m->ns), "chunks", (json_int_t)atomic_load(&ct->chunks),
        "logicalBytes", (json_int_t)atomic_load(&ct->logical_bytes), "storedBytes",
        (json_int_t)atomic_load(&ct->stored_bytes), "underReplicated",
        (json_int_t)atomic_load(&ct->under), "missing", (json_int_t)atomic_load(&ct->missing),
        "overReplicated", (json_int_t)atomic_load(&ct->over), "corrupt",
        (json_int_t)atomic_load(&ct->corrupt), "repairsInFlight",
        (json_int_t)atomic_load(&m->repairs.in_flight), "repairsDone",
        (json_int_t)atomic_load(&m->repairs.done), "censusAgeMs", (json_int_t)age,
        PROTO_F_CHUNKSERVERS, servers ? servers : json_array());
    return httpd_reply_json(c, MHD_HTTP_OK, doc);
}

/* ---- GET /fsck?path=&limit= ---- */

#define MASTER_FSCK_DEFAULT_LIMIT 1000
#define MASTER_FSCK_MAX_LIMIT 100000

typedef struct {
    master *m;
    int64_t now;
    const char *prefix;        /* normalised; "/" for all */
    size_t plen;
    size_t limit;
    /* racks of the servers, by index ("" when unknown), and how many
     * distinct racks the live servers span */
    char (*racks)[REGISTRY_RACK_MAX];
    size_t nservers;
    unsigned live_racks;
    json_t *problems;
    bool truncated;
    uint64_t files, chunks, healthy, missing, under, misplaced, corrupt, over;
} master_fsck;

static repair_holder master_fsck_holder(void *ud, uint16_t server)
{
    master_fsck *k = ud;
    return repair_holder_of(k->m->reg, server, k->now);
}

static bool master_fsck_under(const master_fsck *k, const char *path)
{
    if (k->plen == 1)
        return true;
    return !strncmp(path, k->prefix, k->plen) && (path[k->plen] == '\0' || path[k->plen] == '/');
}

static void master_fsck_problem(master_fsck *k, const ns_file *f, const char *path, uint32_t i,
                                const char *what, const repair_verdict *v)
{
    if (json_array_size(k->problems) >= k->limit) {
        k->truncated = true;
        return;
    }
    const ns_chunk *c = &f->chunks[i];
    char id[CHUNKID_BUF], fid[FILEID_LEN + 1];
    chunkid_format(id, namespace_file_id(f, fid), i);
    json_t *reps = json_array();
    for (unsigned r = 0; reps && r < c->nrep; r++) {
        uint16_t s = c->rep[r];
        repair_holder h = master_fsck_holder(k, s);
        const char *st = namespace_holder_corrupt(c, r) ? "corrupt"
                         : h == REPAIR_DEAD           ? "dead"
                         : h == REPAIR_LEAVING        ? "decommissioning"
                                                      : "live";
        json_array_append_new(reps, json_pack("{s:s,s:s,s:s}", "server", registry_addr(k->m->reg, s),
                                              "rack", s < k->nservers ? k->racks[s] : "",
                                              PROTO_F_STATE, st));
    }
    json_array_append_new(k->problems,
                          json_pack("{s:s,s:s,s:i,s:s,s:I,s:i,s:i,s:o}", "file", path, "chunk", id,
                                    "index", (int)i, "problem", what, PROTO_F_VERSION,
                                    (json_int_t)c->version, "live", (int)v->live, "wanted",
                                    (int)f->replication, "replicas", reps ? reps : json_array()));
}

static void master_fsck_file(const ns_file *f, void *ud)
{
    master_fsck *k = ud;
    if (f->replaces)
        return;
    char path[NSPATH_MAX + 1];
    namespace_path(f, path, sizeof path);
    if (!master_fsck_under(k, path))
        return;
    k->files++;
    static const uint16_t no_streams[REGISTRY_MAX];
    for (uint32_t i = 0; i < f->ncommitted; i++) {
        const ns_chunk *c = &f->chunks[i];
        repair_verdict v;
        repair_judge(c, f->replication, master_fsck_holder, k, no_streams, 1, &v);
        k->chunks++;
        bool bad = false;
        if (v.present == 0 && (c->flags & NS_CHUNK_STORED)) {
            k->missing++;
            bad = true;
            master_fsck_problem(k, f, path, i, c->corrupt ? "corrupt" : "missing", &v);
            k->corrupt += c->corrupt != 0;
            goto next;
        }
        if (c->corrupt) {
            k->corrupt++;
            bad = true;
            master_fsck_problem(k, f, path, i, "corrupt", &v);
        }
        if (v.live < f->replication) {
            k->under++;
            bad = true;
            master_fsck_problem(k, f, path, i, "under-replicated", &v);
        }
        k->over += v.live > f->replication;
        /* every counted copy on one rack, though the live servers span
         * more than one (GFS 4.2: a rack's loss must not take a chunk) */
        if (v.live >= 2 && k->live_racks >= 2) {
            const char *first = NULL;
            bool spread = false;
            for (unsigned r = 0; r < c->nrep && !spread; r++) {
                if (master_fsck_holder(k, c->rep[r]) != REPAIR_LIVE ||
                    namespace_holder_corrupt(c, r) || c->rep[r] >= k->nservers)
                    continue;
                if (!first)
                    first = k->racks[c->rep[r]];
                else if (strcmp(first, k->racks[c->rep[r]]) != 0)
                    spread = true;
            }
            if (!spread) {
                k->misplaced++;
                bad = true;
                master_fsck_problem(k, f, path, i, "mis-placed", &v);
            }
        }
    next:
        k->healthy += !bad;
    }
}

static void master_fsck_exists(const ns_node *n, void *ud)
{
    (void)n;
    (void)ud;
}

static enum MHD_Result master_api_fsck(master *m, struct MHD_Connection *c, const ns_who *who)
{
    (void)who;
    enum MHD_Result ret;
    char path[NSPATH_MAX + 1];
    const char *p = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, PROTO_QUERY_PATH);
    if (!master_api_path(c, "path", p ? p : "/", path, &ret))
        return ret;
    uint64_t limit = MASTER_FSCK_DEFAULT_LIMIT;
    if (!master_api_query_uint(c, PROTO_QUERY_LIMIT, MASTER_FSCK_MAX_LIMIT, false, &limit, &ret))
        return ret;
    if (limit == 0)
        return httpd_reply_error(c, MHD_HTTP_BAD_REQUEST, "query parameter \"%s\" must be 1 "
                                 "to %d", PROTO_QUERY_LIMIT, MASTER_FSCK_MAX_LIMIT);
    master_fsck k = { .m = m, .now = registry_now_ms(), .prefix = path, .plen = strlen(path),
                      .limit = (size_t)limit, .problems = json_array() };
    k.nservers = registry_count(m->reg);
    k.racks = calloc(k.nservers ? k.nservers : 1, sizeof *k.racks);
    if (!k.racks || !k.problems) {
        free(k.racks);
        json_decref(k.problems);
        return httpd_reply_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
    }
    for (size_t i = 0; i < k.nservers; i++) {
        registry_view v;
        registry_view_of(m->reg, (uint16_t)i, k.now, &v);
        memcpy(k.racks[i], v.rack, sizeof k.racks[i]);
        if (!registry_live(m->reg, (uint16_t)i, k.now) || v.draining)
            continue;
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = registry_live(m->reg, (uint16_t)j, k.now) &&
                   !registry_draining(m->reg, (uint16_t)j) && !strcmp(k.racks[j], v.rack);
        k.live_racks += !seen;
    }
    ns_status st = namespace_with_path(m->ns, path, NULL, master_fsck_exists, NULL);
    if (st != NS_OK) {
        free(k.racks);
        json_decref(k.problems);
        return master_api_ns_error(c, st, who, "check", path);
    }
    namespace_each(m->ns, master_fsck_file, &k);
    free(k.racks);
    bool healthy = !k.missing && !k.under && !k.misplaced && !k.corrupt;
    json_t *doc = json_pack("{s:s,s:s,s:b,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:b,s:o}", "path", path,
                            "status", healthy ? "HEALTHY" : "UNHEALTHY", "healthy", healthy,
                            "files", (json_int_t)k.files, "chunks", (json_int_t)k.chunks,
                            "healthyChunks", (json_int_t)k.healthy, "missing",
                            (json_int_t)k.missing, "underReplicated", (json_int_t)k.under,
                            "misplaced", (json_int_t)k.misplaced, "corrupt",
                            (json_int_t)k.corrupt, "overReplicated", (json_int_t)k.over,
                            "truncated", k.truncated, "problems", k.problems);
    return httpd_reply_json(c, MHD_HTTP_OK, doc);
}

/* ---- POST /admin/decommission, /admin/recommission {server} ---- */

static enum MHD_Result master_api_drain(master *m, struct MHD_Connection *c, json_t *req,
                                        bool on)
{
    char err[256], addr[PROTO_MAX_SERVER_ADDR];
    const char *in;
    if (!jsonf_string(req, "server", &in, err, sizeof err))
        return httpd_reply_error(c, MHD_HTTP_BAD_REQUEST, "%s", err);
    if (!addr_canon_server(in, NULL, addr, sizeof addr, err, sizeof err))
        return httpd_reply_error(c, MHD_HTTP_BAD_REQUEST, "field \"server\": %s", err);
    int idx = registry_find(m->reg, addr);
    if (idx < 0)
        return httpd_reply_error(c, MHD_HTTP_NOT_FOUND, "no chunkserver %s is registered", addr);
    /* journalled first: the order outlives a restart or a failover */
    ns_status st = drain_set(m->ns, addr, on);
    if (st == NS_OK && !master_durable(m))
        return master_api_not_durable(m, c);
    if (st != NS_OK)
        return httpd_reply_error(c, st == NS_TOO_MANY ? MHD_HTTP_CONFLICT
                                                      : MHD_HTTP_INTERNAL_SERVER_ERROR,
                                 "cannot record the order for %s", addr);
    registry_view v;
    int64_t now = registry_now_ms();
    if (registry_draining(m->reg, (uint16_t)idx) != on) {
        registry_set_draining(m->reg, (uint16_t)idx, on, atomic_load(&m->census.seq));
        registry_view_of(m->reg, (uint16_t)idx, now, &v);
        if (on)
            log_info("chunkserver %s: decommission ordered; no new chunks go there, and its "
                     "%llu chunks are copied elsewhere", addr, (unsigned long long)v.held);
        else
            log_info("chunkserver %s recommissioned: it takes new chunks again", addr);
    }
    registry_view_of(m->reg, (uint16_t)idx, now, &v);
    return httpd_reply_json(c, MHD_HTTP_OK, master_api_server_json(&v, now));
}

static enum MHD_Result master_api_decommission(master *m, struct MHD_Connection *c,
                                               const ns_who *who, json_t *req)
{
    (void)who;
    return master_api_drain(m, c, req, true);
}

static enum MHD_Result master_api_recommission(master *m, struct MHD_Connection *c,
                                               const ns_who *who, json_t *req)
{
    (void)who;
    return master_api_drain(m, c, req, false);
}

const master_api_route master_api_ops_routes[] = {
    { PROTO_PATH_METRICS, "GET", MASTER_USERS, NULL, master_api_metrics, NULL },
    { PROTO_PATH_HEALTHZ, "GET", MASTER_ANYONE, NULL, master_api_healthz, NULL },
    { PROTO_PATH_REPORT, "GET", MASTER_SUPER, NULL, master_api_report, NULL },
    { PROTO_PATH_FSCK, "GET", MASTER_SUPER, NULL, master_api_fsck, NULL },
    { PROTO_PATH_DECOMMISSION, "POST", MASTER_SUPER, master_api_decommission, NULL, NULL },
    { PROTO_PATH_RECOMMISSION, "POST", MASTER_SUPER, master_api_recommission, NULL, NULL },
};
const size_t master_api_ops_nroutes = sizeof master_api_ops_routes / sizeof *master_api_ops_routes;
