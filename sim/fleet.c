/*
 * fleet.c - the simulated chunkservers, and the loop that runs them and
 * the workload. One thread; libcurl's multi interface carries every
 * request, each server's from its own loopback address (so on its own
 * keep-alive connection, as a real server's would be).
 *
 * A server does what chunkserver/masterlink.c does: it registers and
 * beats every heartbeat (with jitter), echoing the live list's version;
 * sends a full report (pages of PROTO_REPORT_PAGE_SENT entries: packed
 * records to a master that says it reads them, else [id, size, version,
 * null, age]; no checksum either way) when the master's epoch is new to it and every
 * report_every beats, sending a page again when the master says it is
 * busy (503, Retry-After) and beating while it waits; deletes what it is told
 * to (when the version allows); and copies what it is told to copy, one
 * copy after another at the configured bandwidth, the target then
 * reporting the chunk stored, as a real target does. It holds no bytes:
 * its chunks are numbers. Who holds a chunk is kept per chunk (the
 * truth); each server keeps the numbers it ever got, and its reports
 * skip those the chunk no longer names it for.
 *
 * It also judges the master: a deletion that takes a chunk of a file
 * that still exists below its count of live copies is wrongful, and
 * counted. Must never send anything to an address outside 127.0.0.0/8.
 */
#include "sim.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <time.h>

#include "chunkpack.h"
#include "monotime.h"
#include "nspath.h"
#include "sha256.h"

#define SIM_TIMEOUT_MS 30000
#define SIM_RETRY_MS 500
#define SIM_AGE_MS 1000000000LL   /* every seeded chunk is old: fair game for the GC */

typedef struct {
    char id[FILEID_LEN + 1];
    uint8_t fid[SHA256_LEN];   /* id in binary, for packed reports */
    char *path;                /* the workload's files; a seeded file's is computed */
    uint64_t size, chunk_size;
    uint64_t first;            /* chunk 0's number */
    uint32_t nchunks;
    bool deleted, workload;
    bool deleting;             /* a DELETE on its way: its chunks' deletions are fair */
} sim_file;

typedef struct {
    char addr[32], iface[24], rack[16];
    uint64_t incarnation;
    bool dead, registered, busy;
    int64_t next_beat;
    char members[32];          /* the live list's version it last got */
    uint64_t epoch;            /* of the master it last reported to in full */
    long beats;                /* since its last full report */
    bool reporting;
    int64_t report_retry;      /* the master was busy: the page again at this time (0: none) */
    char *report_body;         /* that page, as sent */
    size_t report_len, report_end;
    const char *report_type;   /* its Content-Type */
    size_t report_pos;
    uint64_t report_epoch;
    uint32_t *held;            /* chunk numbers it was given, lazily pruned */
    size_t nheld, cap;
    int64_t busy_until;        /* copies go out one after another */
    struct curl_slist *resolve;   /* its own name for the master (see sim_send) */
    char base[96];             /* the master's URL by that name */
} sim_server;

typedef struct {
    uint64_t g;
    unsigned source, target;
    int64_t at;
} sim_copy;

enum { SIM_REQ_BEAT, SIM_REQ_REPORT, SIM_REQ_STORE, SIM_REQ_LOAD };

typedef struct sim_req {
    sim_fleet *f;
    CURL *h;
    struct curl_slist *hdr;
    char *body;
    size_t body_len;
    const char *body_type;
    char *resp;
    size_t rlen, rcap;
    int64_t t0_ns;
    const char *endpoint;
    int kind;
    unsigned server;
    uint64_t g;               /* store: the chunk */
    uint32_t version;
    size_t page_end;          /* report: where this page ends */
    sim_done_fn done;
    void *ud;
    struct sim_req *prev, *next;   /* the requests out */
} sim_req;

struct sim_fleet {
    sim_config cfg;
    sim_stats *st;
    CURLM *multi;
    char base[512];
    char cluster[CLUSTERID_LEN + 1];
    uint64_t master_epoch;
    bool packed;               /* the master reads packed reports */
    unsigned char *recs;       /* a packed page's records, PROTO_REPORT_PAGE_SENT at most */
    int64_t reported_at;
    /* files, and an index of them by identifier (open addressing) */
    sim_file *files;
    size_t nfiles, capfiles;
    uint32_t *fmap;           /* file index + 1; 0: empty */
    size_t nfmap;             /* a power of two */
    /* chunks: who holds each, at which version, of which file */
    uint16_t (*hold)[SIM_MAX_HOLDERS];
    uint8_t *nhold;
    uint32_t *version;
    uint32_t *chunk_file;
    uint64_t nchunks, capchunks;
    sim_server *servers;
    sim_copy *copies;
    size_t ncopies, capcopies;
    sim_counts counts;
    sim_load *load;
    sim_req *reqs;            /* out now */
    bool verbose;             /* $MINIDFS_SIM_VERBOSE: every failed request on stderr */
    bool stopping;            /* no new beats or copies: the requests out finish */
    uint64_t rng;
};

int64_t sim_now_ms(void)
{
    return monotime_ms();
}


/* ---- files and chunks ---- */

static size_t sim_fmap_slot(const sim_fleet *f, const char *fileid)
{
    return chunkid_hash(fileid) & (f->nfmap - 1);
}

static bool sim_fmap_grow(sim_fleet *f)
{
    size_t n = f->nfmap ? f->nfmap * 2 : 1024;
    uint32_t *m = calloc(n, sizeof *m), *old = f->fmap;
    if (!m)
        return false;
    size_t oldn = f->nfmap;
    f->fmap = m;
    f->nfmap = n;
    for (size_t i = 0; i < oldn; i++)
        if (old[i]) {
            size_t s = sim_fmap_slot(f, f->files[old[i] - 1].id);
            while (f->fmap[s])
                s = (s + 1) & (n - 1);
            f->fmap[s] = old[i];
        }
    free(old);
    return true;
}

static long sim_file_of(const sim_fleet *f, const char *fileid)
{
    if (!f->nfmap)
        return -1;
    for (size_t s = sim_fmap_slot(f, fileid);; s = (s + 1) & (f->nfmap - 1)) {
        if (!f->fmap[s])
            return -1;
        if (strcmp(f->files[f->fmap[s] - 1].id, fileid) == 0)
            return (long)f->fmap[s] - 1;
    }
}

static bool sim_grow_chunks(sim_fleet *f, uint64_t want)
{
    if (want <= f->capchunks)
        return true;
    uint64_t cap = f->capchunks ? f->capchunks : 1024;
    while (cap < want)
        cap *= 2;
    void *a = realloc(f->hold, cap * sizeof *f->hold);
    if (!a)
        return false;
    f->hold = a;
    if (!(a = realloc(f->nhold, cap)))
        return false;
    f->nhold = a;
    if (!(a = realloc(f->version, cap * sizeof *f->version)))
        return false;
    f->version = a;
    if (!(a = realloc(f->chunk_file, cap * sizeof *f->chunk_file)))
        return false;
    f->chunk_file = a;
    memset(f->nhold + f->capchunks, 0, cap - f->capchunks);
    f->capchunks = cap;
    return true;
}

uint32_t sim_fleet_add_file(sim_fleet *f, const char *fileid, const char *path, uint64_t size,
                            uint64_t chunk_size, uint32_t nchunks, uint32_t version)
{
    if (!(f->files = sim_grow(f->files, f->nfiles, &f->capfiles, sizeof *f->files, 1024)))
        abort();
    if ((f->nfiles + 1) * 2 > f->nfmap && !sim_fmap_grow(f))
        abort();
    if (!sim_grow_chunks(f, f->nchunks + nchunks))
        abort();
    uint32_t i = (uint32_t)f->nfiles++;
    sim_file *fl = &f->files[i];
    memset(fl, 0, sizeof *fl);
    snprintf(fl->id, sizeof fl->id, "%s", fileid);
    if (!sha256_from_hex(fl->id, fl->fid))
        abort();   /* the seed and the workload make only valid identifiers */
    fl->path = path ? strdup(path) : NULL;
    fl->workload = path != NULL;
    fl->size = size;
    fl->chunk_size = chunk_size;
    fl->first = f->nchunks;
    fl->nchunks = nchunks;
    for (uint32_t k = 0; k < nchunks; k++) {
        f->chunk_file[f->nchunks + k] = i;
        f->version[f->nchunks + k] = version;
    }
    f->nchunks += nchunks;
    size_t s = sim_fmap_slot(f, fl->id);
    while (f->fmap[s])
        s = (s + 1) & (f->nfmap - 1);
    f->fmap[s] = i + 1;
    return i;
}

/* Chunk g of its file: the bytes it holds. */
static uint64_t sim_chunk_len(const sim_fleet *f, uint64_t g)
{
    const sim_file *fl = &f->files[f->chunk_file[g]];
    uint64_t off = (g - fl->first) * fl->chunk_size;
    if (off >= fl->size)
        return 0;
    return fl->size - off < fl->chunk_size ? fl->size - off : fl->chunk_size;
}

static void sim_chunk_id(const sim_fleet *f, uint64_t g, char *out)
{
    const sim_file *fl = &f->files[f->chunk_file[g]];
    chunkid_format(out, fl->id, (uint32_t)(g - fl->first));
}

/* The chunk an identifier names, or -1. */
static int64_t sim_chunk_of(const sim_fleet *f, const char *id)
{
    char fileid[FILEID_LEN + 1];
    uint32_t index;
    if (!chunkid_parse(id, fileid, &index))
        return -1;
    long i = sim_file_of(f, fileid);
    if (i < 0 || index >= f->files[i].nchunks)
        return -1;
    return (int64_t)(f->files[i].first + index);
}

static bool sim_holds(const sim_fleet *f, uint64_t g, unsigned s)
{
    for (unsigned k = 0; k < f->nhold[g]; k++)
        if (f->hold[g][k] == s)
            return true;
    return false;
}

static unsigned sim_live_copies(const sim_fleet *f, uint64_t g)
{
    unsigned n = 0;
    for (unsigned k = 0; k < f->nhold[g]; k++)
        n += !f->servers[f->hold[g][k]].dead;
    return n;
}

static void sim_add_holder(sim_fleet *f, uint64_t g, unsigned s)
{
    if (sim_holds(f, g, s) || f->nhold[g] == SIM_MAX_HOLDERS)
        return;
    f->hold[g][f->nhold[g]++] = (uint16_t)s;
    sim_server *sv = &f->servers[s];
    if (!(sv->held = sim_grow(sv->held, sv->nheld, &sv->cap, sizeof *sv->held, 64)))
        abort();
    sv->held[sv->nheld++] = (uint32_t)g;
}

static void sim_drop_holder(sim_fleet *f, uint64_t g, unsigned s)
{
    for (unsigned k = 0; k < f->nhold[g]; k++)
        if (f->hold[g][k] == s) {
            f->hold[g][k] = f->hold[g][--f->nhold[g]];
            return;
        }
}

/* The server an address names, or -1. */
static int sim_server_of(const sim_fleet *f, const char *addr)
{
    unsigned a, b;
    char tail[16];
    if (sscanf(addr, "127.1.%u.%u:9000%15s", &a, &b, tail) != 3 || strcmp(tail, "/") ||
        b == 0 || b > 250)
        return -1;
    unsigned host = a * 250 + (b - 1);
    if (host == 0 || host > f->cfg.shape.servers)
        return -1;
    return (int)host - 1;
}

/* ---- requests ---- */

static size_t sim_collect(char *p, size_t size, size_t n, void *ud)
{
    sim_req *r = ud;
    size_t len = size * n;
    if (r->rlen + len + 1 > r->rcap) {
        size_t cap = r->rcap ? r->rcap : 4096;
        while (cap < r->rlen + len + 1)
            cap *= 2;
        char *q = realloc(r->resp, cap);
        if (!q)
            return 0;
        r->resp = q;
        r->rcap = cap;
    }
    memcpy(r->resp + r->rlen, p, len);
    r->rlen += len;
    r->resp[r->rlen] = '\0';
    return len;
}

/* A request to the master: from a server (sv: from its own address, by
 * its own name for the master) or from the workload (sv NULL). libcurl
 * keeps its connections by host name, and looks through those of one
 * name for one from the right address: under one name, a thousand
 * servers' connections would make every request a search of them all. */
static sim_req *sim_send_raw(sim_fleet *f, const char *method, const char *path, char *raw,
                             size_t len, const char *type, const sim_server *sv,
                             const char *endpoint, int kind)
{
    sim_req *r = calloc(1, sizeof *r);
    if (!r || !(r->h = curl_easy_init()))
        abort();   /* a simulator short of memory measures nothing */
    char url[1024];
    snprintf(url, sizeof url, "%s%s", sv && sv->resolve ? sv->base : f->base, path);
    r->f = f;
    r->endpoint = endpoint;
    r->kind = kind;
    if (raw) {
        char line[128];
        snprintf(line, sizeof line, "Content-Type: %s", type);
        r->body = raw;
        r->body_len = len;
        r->body_type = type;
        r->hdr = curl_slist_append(NULL, line);
        curl_easy_setopt(r->h, CURLOPT_HTTPHEADER, r->hdr);
        curl_easy_setopt(r->h, CURLOPT_POSTFIELDS, r->body);
        curl_easy_setopt(r->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    }
    curl_easy_setopt(r->h, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(r->h, CURLOPT_URL, url);
    curl_easy_setopt(r->h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(r->h, CURLOPT_TIMEOUT_MS, (long)SIM_TIMEOUT_MS);
    curl_easy_setopt(r->h, CURLOPT_WRITEFUNCTION, sim_collect);
    curl_easy_setopt(r->h, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(r->h, CURLOPT_PRIVATE, r);
    curl_easy_setopt(r->h, CURLOPT_PROTOCOLS_STR, "http");
    if (sv) {
        curl_easy_setopt(r->h, CURLOPT_INTERFACE, sv->iface);
        if (sv->resolve)
            curl_easy_setopt(r->h, CURLOPT_RESOLVE, sv->resolve);
    }
    r->t0_ns = monotime_ns();
    r->next = f->reqs;
    if (f->reqs)
        f->reqs->prev = r;
    f->reqs = r;
    curl_multi_add_handle(f->multi, r->h);
    return r;
}

/* The same with a JSON body (stolen; NULL: none). */
static sim_req *sim_send(sim_fleet *f, const char *method, const char *path, json_t *body,
                         const sim_server *sv, const char *endpoint, int kind)
{
    char *raw = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    return sim_send_raw(f, method, path, raw, raw ? strlen(raw) : 0, PROTO_CONTENT_JSON, sv,
                        endpoint, kind);
}

static void sim_req_free(sim_req *r)
{
    if (r->prev)
        r->prev->next = r->next;
    else
        r->f->reqs = r->next;
    if (r->next)
        r->next->prev = r->prev;
    curl_multi_remove_handle(r->f->multi, r->h);
    curl_easy_cleanup(r->h);
    curl_slist_free_all(r->hdr);
    free(r->body);
    free(r->resp);
    free(r);
}

void sim_fleet_request(sim_fleet *f, const char *method, const char *path, json_t *body,
                       const char *endpoint, sim_done_fn done, void *ud)
{
    sim_req *r = sim_send(f, method, path, body, NULL, endpoint, SIM_REQ_LOAD);
    r->done = done;
    r->ud = ud;
}

void sim_fleet_count(sim_fleet *f, const char *what, bool failed)
{
    if (!strcmp(what, "create"))
        f->counts.creates++;
    else if (!strcmp(what, "append"))
        f->counts.appends++;
    else if (!strcmp(what, "delete"))
        f->counts.removes++;
    else if (!strcmp(what, "get"))
        f->counts.gets++;
    f->counts.load_failed += failed;
}

/* ---- what a server does ---- */

static void sim_beat(sim_fleet *f, unsigned s)
{
    sim_server *sv = &f->servers[s];
    json_t *b = json_pack("{s:s,s:s,s:I,s:I,s:I}", PROTO_F_URL, sv->addr, PROTO_F_RACK, sv->rack,
                          PROTO_F_INCARNATION, (json_int_t)sv->incarnation, PROTO_F_CAPACITY,
                          (json_int_t)(4000ULL << 30), PROTO_F_USED,
                          (json_int_t)(sv->nheld * f->cfg.shape.chunk_size));
    if (f->cluster[0])
        json_object_set_new(b, PROTO_F_CLUSTER_ID, json_string(f->cluster));
    else
        json_object_set_new(b, PROTO_F_CHUNK_COUNT, json_integer((json_int_t)sv->nheld));
    if (sv->members[0])
        json_object_set_new(b, PROTO_F_MEMBERS_VERSION, json_string(sv->members));
    sim_req *r = sim_send(f, "POST", PROTO_PATH_REGISTER, b, sv, "heartbeat",
                          SIM_REQ_BEAT);
    r->server = s;
    sv->busy = true;
}

static void sim_report_page(sim_fleet *f, unsigned s)
{
    sim_server *sv = &f->servers[s];
    char *raw;
    size_t end, len;
    const char *type;
    if (sv->report_body) {   /* the page the master was too busy for, as it was */
        raw = sv->report_body;
        len = sv->report_len;
        type = sv->report_type;
        end = sv->report_end;
        sv->report_body = NULL;
    } else {
        json_t *chunks = f->packed ? NULL : json_array();
        size_t n = 0;
        for (end = sv->report_pos; end < sv->nheld && n < PROTO_REPORT_PAGE_SENT; end++) {
            uint64_t g = sv->held[end];
            if (!sim_holds(f, g, s))
                continue;
            if (f->packed) {
                const sim_file *fl = &f->files[f->chunk_file[g]];
                chunkpack_entry e = { .index = (uint32_t)(g - fl->first),
                                      .size = sim_chunk_len(f, g), .version = f->version[g],
                                      .age_ms = SIM_AGE_MS };
                memcpy(e.fid, fl->fid, sizeof e.fid);
                chunkpack_put(f->recs + n * CHUNKPACK_RECORD, &e);
            } else {
                char id[CHUNKID_BUF];
                sim_chunk_id(f, g, id);
                json_array_append_new(chunks, json_pack("[s,I,I,n,I]", id,
                                                        (json_int_t)sim_chunk_len(f, g),
                                                        (json_int_t)f->version[g],
                                                        (json_int_t)SIM_AGE_MS));
            }
            n++;
        }
        json_t *b = json_pack("{s:s}", PROTO_F_URL, sv->addr);
        if (chunks)
            json_object_set_new(b, PROTO_F_CHUNKS, chunks);
        if (f->cluster[0])
            json_object_set_new(b, PROTO_F_CLUSTER_ID, json_string(f->cluster));
        raw = json_dumps(b, JSON_COMPACT);
        json_decref(b);
        if (!raw)
            abort();
        len = strlen(raw);
        type = PROTO_CONTENT_JSON;
        if (f->packed) {   /* the envelope's line, then the records */
            char *body = chunkpack_body(raw, len, f->recs, n, &len);
            free(raw);
            if (!(raw = body))
                abort();
            type = PROTO_CONTENT_CHUNKPACK;
        }
    }
    sim_req *r = sim_send_raw(f, "POST", PROTO_PATH_CHUNK_REPORT, raw, len, type, sv,
                              "chunkreport", SIM_REQ_REPORT);
    r->server = s;
    r->page_end = end;
    sv->busy = true;
    f->counts.reports_sent++;
}

/* The master ordered server s to delete chunk id, up to version v. */
static void sim_delete(sim_fleet *f, unsigned s, const char *id, uint64_t v)
{
    int64_t g = sim_chunk_of(f, id);
    f->counts.deletes_ordered++;
    if (g < 0 || !sim_holds(f, (uint64_t)g, s) || v < f->version[g])
        return;   /* not here, or ours is newer: a real server keeps it too */
    sim_drop_holder(f, (uint64_t)g, s);
    const sim_file *fl = &f->files[f->chunk_file[g]];
    if (!fl->deleted && !fl->deleting && !f->servers[s].dead &&
        sim_live_copies(f, (uint64_t)g) < f->cfg.shape.replication) {
        f->counts.deletes_wrongful++;
        fprintf(stderr, "minidfs-sim: wrongful deletion of %s on %s (%u live copies left)\n", id,
                f->servers[s].addr, sim_live_copies(f, (uint64_t)g));
    }
}

static void sim_deletions(sim_fleet *f, unsigned s, json_t *del)
{
    size_t i;
    json_t *e;
    json_array_foreach(del, i, e) {
        const char *id = json_string_value(json_array_get(e, 0));
        json_t *v = json_array_get(e, 1);
        if (id && json_is_integer(v))
            sim_delete(f, s, id, (uint64_t)json_integer_value(v));
    }
}

static void sim_copies(sim_fleet *f, unsigned s, json_t *copy, int64_t now)
{
    size_t i;
    json_t *e;
    json_array_foreach(copy, i, e) {
        const char *id = json_string_value(json_array_get(e, 0));
        const char *to = json_string_value(json_array_get(e, 1));
        int64_t g = id ? sim_chunk_of(f, id) : -1;
        int t = to ? sim_server_of(f, to) : -1;
        f->counts.copies_ordered++;
        if (g < 0 || t < 0 || !sim_holds(f, (uint64_t)g, s))
            continue;   /* a real server would fail the copy too */
        sim_server *sv = &f->servers[s];
        double ms = (double)sim_chunk_len(f, (uint64_t)g) / (f->cfg.bandwidth_mbps * 1e3);
        int64_t start = sv->busy_until > now ? sv->busy_until : now;
        sv->busy_until = start + (int64_t)ms;
        if (!(f->copies = sim_grow(f->copies, f->ncopies, &f->capcopies, sizeof *f->copies, 256)))
            abort();
        f->copies[f->ncopies++] = (sim_copy){ (uint64_t)g, s, (unsigned)t, sv->busy_until };
    }
}

static void sim_next_beat(sim_fleet *f, sim_server *sv, int64_t now, long base)
{
    double j = f->cfg.jitter * ((double)(sim_rand(&f->rng) % 2001) / 1000.0 - 1.0);
    sv->next_beat = now + (int64_t)((double)base * (1.0 + j));
}

static void sim_beat_done(sim_fleet *f, sim_req *r, long status, json_t *ans, int64_t now)
{
    sim_server *sv = &f->servers[r->server];
    sv->busy = false;
    f->counts.beats++;
    if (status != 200 || !ans) {
        f->counts.beats_failed++;
        sim_next_beat(f, sv, now, SIM_RETRY_MS);
        return;
    }
    sv->registered = true;
    const char *cl = json_string_value(json_object_get(ans, PROTO_F_CLUSTER_ID));
    if (cl && !f->cluster[0])
        snprintf(f->cluster, sizeof f->cluster, "%s", cl);
    const char *mv = json_string_value(json_object_get(ans, PROTO_F_MEMBERS_VERSION));
    if (json_is_array(json_object_get(ans, PROTO_F_CHUNKSERVERS)))
        f->counts.list_answers++;
    snprintf(sv->members, sizeof sv->members, "%s", mv ? mv : "");
    json_t *ep = json_object_get(ans, PROTO_F_EPOCH);
    uint64_t epoch = json_is_integer(ep) ? (uint64_t)json_integer_value(ep) : 0;
    f->master_epoch = epoch;
    json_t *pk = json_object_get(ans, PROTO_F_PACKED_REPORTS);
    f->packed = json_is_integer(pk) && json_integer_value(pk) == PROTO_PACKED_LAYOUT;
    sim_deletions(f, r->server, json_object_get(ans, PROTO_F_DELETE));
    sim_copies(f, r->server, json_object_get(ans, PROTO_F_COPY), now);
    sim_next_beat(f, sv, now, f->cfg.heartbeat_ms);
    if (sv->dead || sv->reporting)
        return;
    if (epoch != sv->epoch || (f->cfg.report_every && ++sv->beats >= f->cfg.report_every)) {
        sv->reporting = true;
        sv->report_pos = 0;
        sv->report_epoch = epoch;
        sim_report_page(f, r->server);
    }
}

static void sim_report_done(sim_fleet *f, sim_req *r, long status, json_t *ans, int64_t now)
{
    sim_server *sv = &f->servers[r->server];
    sv->busy = false;
    json_t *ra = json_object_get(ans, "retryAfterMs");
    if (status == 503 && json_is_integer(ra) && json_integer_value(ra) > 0 &&
        json_integer_value(ra) <= 5000) {
        /* busy with other servers' pages: this one again soon, beating meanwhile */
        f->counts.reports_deferred++;
        sv->report_retry = now + json_integer_value(ra);
        sv->report_body = r->body;
        sv->report_len = r->body_len;
        sv->report_type = r->body_type;
        sv->report_end = r->page_end;
        r->body = NULL;
        return;
    }
    if (status != 200 || !ans) {   /* a master restarting: register first, then report again */
        sv->reporting = false;
        sim_next_beat(f, sv, now, SIM_RETRY_MS);
        return;
    }
    sim_deletions(f, r->server, json_object_get(ans, PROTO_F_DELETE));
    sv->report_pos = r->page_end;
    if (sv->report_pos < sv->nheld && !sv->dead) {
        sim_report_page(f, r->server);
        return;
    }
    sv->reporting = false;
    sv->epoch = sv->report_epoch;
    sv->beats = 0;
    if (now > f->reported_at)
        f->reported_at = now;
}

static void sim_store_done(sim_fleet *f, sim_req *r, long status, json_t *ans)
{
    (void)ans;
    /* 409: it holds the chunk already (a copy ordered twice) */
    if (status == 200 || status == 409)
        sim_add_holder(f, r->g, r->server);
    if (r->done)
        r->done(r->ud, status, ans);
}

/* A stored chunk's report: its size and version, and a checksum standing
 * for its bytes (the same from every holder of that version). */
static void sim_store_send(sim_fleet *f, uint64_t g, unsigned server, uint32_t version,
                           uint64_t size, const char *endpoint, sim_done_fn done, void *ud)
{
    char id[CHUNKID_BUF], stamp[CHUNKID_BUF + 48], sha[SHA256_HEX_LEN + 1];
    sim_chunk_id(f, g, id);
    int n = snprintf(stamp, sizeof stamp, "%s:%u:%llu", id, version, (unsigned long long)size);
    sha256_hex(stamp, (size_t)n, sha);
    sim_server *sv = &f->servers[server];
    json_t *b = json_pack("{s:s,s:s,s:I,s:I,s:s}", PROTO_F_CHUNK_ID, id, PROTO_F_CHUNKSERVER,
                          sv->addr, PROTO_F_SIZE, (json_int_t)size, PROTO_F_GENERATION,
                          (json_int_t)version, PROTO_F_SHA256, sha);
    if (f->cluster[0])
        json_object_set_new(b, PROTO_F_CLUSTER_ID, json_string(f->cluster));
    sim_req *r = sim_send(f, "POST", PROTO_PATH_UPLOAD_OK, b, sv, endpoint, SIM_REQ_STORE);
    r->server = server;
    r->g = g;
    r->version = version;
    r->done = done;
    r->ud = ud;
}

void sim_fleet_store(sim_fleet *f, uint32_t file, uint32_t index, const char *server_addr,
                     uint32_t version, uint64_t size, sim_done_fn done, void *ud)
{
    int s = sim_server_of(f, server_addr);
    if (s < 0 || f->servers[s].dead || index >= f->files[file].nchunks) {
        done(ud, 0, NULL);
        return;
    }
    sim_store_send(f, f->files[file].first + index, (unsigned)s, version, size,
                   "uploadSuccessful", done, ud);
}

void sim_fleet_commit(sim_fleet *f, uint32_t file, uint32_t index, uint32_t version,
                      uint64_t size)
{
    f->files[file].size = size;
    f->version[f->files[file].first + index] = version;
}

void sim_fleet_mark_deleted(sim_fleet *f, uint32_t file)
{
    f->files[file].deleted = true;
}

void sim_fleet_mark_deleting(sim_fleet *f, uint32_t file, bool on)
{
    f->files[file].deleting = on;
}

void sim_fleet_path(sim_fleet *f, uint32_t file, char *buf, size_t len)
{
    if (f->files[file].path)
        snprintf(buf, len, "%s", f->files[file].path);
    else
        sim_layout_path(file, buf, len);
}

bool sim_fleet_pick_file(sim_fleet *f, uint32_t *file, const char **fileid)
{
    for (int tries = 0; tries < 64 && f->nfiles; tries++) {
        uint32_t i = (uint32_t)(sim_rand(&f->rng) % f->nfiles);
        if (f->files[i].deleted)
            continue;
        *file = i;
        *fileid = f->files[i].id;
        return true;
    }
    return false;
}

/* ---- the loop ---- */

static void sim_finish(sim_fleet *f, CURLMsg *msg, int64_t now)
{
    sim_req *r = NULL;
    curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&r);
    long status = 0;
    if (msg->data.result == CURLE_OK)
        curl_easy_getinfo(r->h, CURLINFO_RESPONSE_CODE, &status);
    double ms = (double)(monotime_ns() - r->t0_ns) / 1e6;
    json_t *ans = r->resp ? json_loads(r->resp, 0, NULL) : NULL;
    sim_stats_add(f->st, r->endpoint, ms,
                  status == 0 || (status >= 500 && !json_object_get(ans, "retryAfterMs")));
    if (f->verbose && (status < 200 || status >= 300))
        fprintf(stderr, "minidfs-sim: %s: %ld %.300s\n", r->endpoint, status,
                r->resp ? r->resp : curl_easy_strerror(msg->data.result));
    switch (r->kind) {
    case SIM_REQ_BEAT:
        sim_beat_done(f, r, status, ans, now);
        break;
    case SIM_REQ_REPORT:
        sim_report_done(f, r, status, ans, now);
        break;
    case SIM_REQ_STORE:
        sim_store_done(f, r, status, ans);
        break;
    default:
        if (r->done)
            r->done(r->ud, status, ans);
    }
    json_decref(ans);
    sim_req_free(r);
}

static void sim_copy_done(void *ud, long status, json_t *ans)
{
    (void)ans;
    sim_fleet *f = ud;
    if (status == 200)
        f->counts.copies_landed++;
}

void sim_fleet_run(sim_fleet *f, int64_t until_ms, bool (*stop)(sim_fleet *f, void *ud), void *ud)
{
    for (;;) {
        int64_t now = sim_now_ms();
        if (now >= until_ms || (stop && stop(f, ud)) || (f->stopping && !f->reqs))
            return;
        for (unsigned s = 0; s < f->cfg.shape.servers && !f->stopping; s++) {
            sim_server *sv = &f->servers[s];
            if (sv->dead || sv->busy)
                continue;
            if (sv->reporting && sv->report_retry && now >= sv->report_retry) {
                sv->report_retry = 0;
                sim_report_page(f, s);
            } else if (now >= sv->next_beat) {
                sim_beat(f, s);
            }
        }
        size_t kept = 0;
        for (size_t i = 0; i < f->ncopies && !f->stopping; i++) {
            sim_copy *c = &f->copies[i];
            if (c->at > now) {
                f->copies[kept++] = *c;
                continue;
            }
            if (!f->servers[c->source].dead && !f->servers[c->target].dead &&
                sim_holds(f, c->g, c->source))
                sim_store_send(f, c->g, c->target, f->version[c->g], sim_chunk_len(f, c->g),
                               "uploadSuccessful(copy)", sim_copy_done, f);
        }
        f->ncopies = kept;
        if (f->load)
            sim_load_tick(f->load, now);
        int running;
        curl_multi_perform(f->multi, &running);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(f->multi, &left)))
            if (msg->msg == CURLMSG_DONE)
                sim_finish(f, msg, sim_now_ms());
        curl_multi_poll(f->multi, NULL, 0, 2, NULL);
    }
}

/* ---- the fleet ---- */

sim_fleet *sim_fleet_new(const sim_config *cfg, sim_stats *st, char *err, size_t errlen)
{
    const sim_shape *sh = &cfg->shape;
    if (sh->servers == 0 || sh->servers > SIM_MAX_SERVERS || sh->replication == 0 ||
        sh->replication >= SIM_MAX_HOLDERS || sh->replication > sh->servers) {
        snprintf(err, errlen, "1 to %d servers, and replication 1 to %d and at most the servers",
                 SIM_MAX_SERVERS, SIM_MAX_HOLDERS - 1);
        return NULL;
    }
    /* a thousand connections, and the descriptors they take */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    sim_fleet *f = calloc(1, sizeof *f);
    if (!f) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    f->cfg = *cfg;
    f->st = st;
    snprintf(f->base, sizeof f->base, "%s", cfg->master);
    size_t bl = strlen(f->base);
    if (bl && f->base[bl - 1] == '/')
        f->base[bl - 1] = '\0';
    if (getrandom(&f->rng, sizeof f->rng, 0) != sizeof f->rng || f->rng == 0)
        f->rng = 88172645463325252ULL;
    f->verbose = getenv("MINIDFS_SIM_VERBOSE") != NULL;
    f->multi = curl_multi_init();
    curl_multi_setopt(f->multi, CURLMOPT_MAXCONNECTS, (long)sh->servers + 256);
    f->servers = calloc(sh->servers, sizeof *f->servers);
    f->recs = malloc(PROTO_REPORT_PAGE_SENT * CHUNKPACK_RECORD);
    if (!f->multi || !f->servers || !f->recs || !(f->load = sim_load_new(f))) {
        snprintf(err, errlen, "out of memory");
        sim_fleet_free(f);
        return NULL;
    }
    int64_t now = sim_now_ms();
    char mhost[64];
    unsigned mport = 0;
    bool literal = sscanf(f->base, "http://%63[0-9.]:%u", mhost, &mport) == 2;
    for (unsigned s = 0; s < sh->servers; s++) {
        sim_server *sv = &f->servers[s];
        if (literal) {
            char entry[128];
            snprintf(entry, sizeof entry, "s%u.sim:%u:%s", s, mport, mhost);
            sv->resolve = curl_slist_append(NULL, entry);
            snprintf(sv->base, sizeof sv->base, "http://s%u.sim:%u", s, mport);
        }
        sim_layout_addr(s, sv->addr, sizeof sv->addr, sv->iface, sizeof sv->iface);
        sim_layout_rack(sh, s, sv->rack, sizeof sv->rack);
        sv->incarnation = (sim_rand(&f->rng) >> 2) | 1;
        /* the first beats spread over one interval, as servers started by hand would be */
        sv->next_beat = now + (int64_t)(sim_rand(&f->rng) % (uint64_t)cfg->heartbeat_ms);
    }
    /* the seeded files, and where their chunks start */
    uint64_t total = sim_layout_chunks(sh);
    if (!sim_grow_chunks(f, total)) {
        snprintf(err, errlen, "out of memory for %llu chunks", (unsigned long long)total);
        sim_fleet_free(f);
        return NULL;
    }
    for (uint64_t i = 0; i < sh->files; i++) {
        char path[64], id[FILEID_LEN + 1];
        sim_layout_path(i, path, sizeof path);
        nspath_id(path, id);
        sim_fleet_add_file(f, id, NULL, sh->chunk_size * sh->chunks_per_file, sh->chunk_size,
                           sh->chunks_per_file, (uint32_t)(i + 1));
    }
    for (uint64_t g = 0; g < total; g++)
        for (unsigned r = 0; r < sh->replication; r++)
            sim_add_holder(f, g, sim_layout_holder(sh, g, r));
    return f;
}

void sim_fleet_drain(sim_fleet *f, int64_t ms)
{
    sim_load_rates(f->load, 0, 0, 0, 0);
    f->stopping = true;
    sim_fleet_run(f, sim_now_ms() + ms, NULL, NULL);
}

void sim_fleet_free(sim_fleet *f)
{
    if (!f)
        return;
    sim_load_free(f->load);
    while (f->reqs)   /* requests still out are dropped */
        sim_req_free(f->reqs);
    curl_multi_cleanup(f->multi);
    for (unsigned s = 0; f->servers && s < f->cfg.shape.servers; s++) {
        free(f->servers[s].held);
        free(f->servers[s].report_body);
        curl_slist_free_all(f->servers[s].resolve);
    }
    for (size_t i = 0; i < f->nfiles; i++)
        free(f->files[i].path);
    free(f->servers);
    free(f->recs);
    free(f->files);
    free(f->fmap);
    free(f->hold);
    free(f->nhold);
    free(f->version);
    free(f->chunk_file);
    free(f->copies);
    free(f);
}

void sim_fleet_kill(sim_fleet *f, unsigned server)
{
    if (server < f->cfg.shape.servers)
        f->servers[server].dead = true;
}

void sim_fleet_revive(sim_fleet *f, unsigned server)
{
    if (server >= f->cfg.shape.servers)
        return;
    sim_server *sv = &f->servers[server];
    sv->dead = false;
    sv->incarnation = (sim_rand(&f->rng) >> 2) | 1;
    sv->epoch = 0;   /* a restart reports in full */
    sv->members[0] = '\0';
    sv->next_beat = sim_now_ms();
}

bool sim_fleet_reported(sim_fleet *f, int64_t *at_ms)
{
    for (unsigned s = 0; s < f->cfg.shape.servers; s++) {
        const sim_server *sv = &f->servers[s];
        if (!sv->dead && (!sv->registered || sv->reporting || sv->epoch != f->master_epoch))
            return false;
    }
    *at_ms = f->reported_at;
    return true;
}

void sim_fleet_short(sim_fleet *f, uint64_t *under, uint64_t *lost)
{
    *under = *lost = 0;
    for (size_t i = 0; i < f->nfiles; i++) {
        const sim_file *fl = &f->files[i];
        if (fl->deleted)
            continue;
        for (uint64_t g = fl->first; g < fl->first + fl->nchunks; g++) {
            if (sim_chunk_len(f, g) == 0 && g > fl->first)
                continue;   /* a slot past the end */
            unsigned live = sim_live_copies(f, g);
            *under += live < f->cfg.shape.replication;
            *lost += f->nhold[g] == 0;
        }
    }
}

void sim_fleet_counts(sim_fleet *f, sim_counts *out)
{
    *out = f->counts;
}

void sim_fleet_set_load(sim_fleet *f, double creates, double appends, double deletes, double gets)
{
    sim_load_rates(f->load, creates, appends, deletes, gets);
}
