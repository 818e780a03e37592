/*
 * load.c - the client workload the simulator runs beside its servers, at
 * given rates per second: creations (a one-chunk file, planned by the
 * master, "stored" by the planned servers, which report it), appends (to
 * such a file: the fill's holders report the new version, then the
 * append is committed), deletions (of such a file), and reads of where a
 * file's chunks are (GET /get, of any file, seeded or not). At most
 * load_inflight operations at once; rates the master cannot keep up with
 * are shed, not queued. Never touches a seeded file except to read it.
 */
#include "sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SIM_LOAD_FILE_BYTES 4096

typedef struct {
    uint32_t file;            /* the fleet's index */
    bool ready, busy, gone;
} sim_wfile;

enum { SIM_OP_CREATE, SIM_OP_APPEND, SIM_OP_DELETE, SIM_OP_GET, SIM_NOPS };

typedef struct {
    sim_load *l;
    int op;
    size_t w;                 /* the workload file */
    unsigned waiting;         /* stores not yet answered */
    bool failed;
    json_int_t token;
    uint32_t version;        /* append: the fill's */
    uint64_t new_size;
} sim_op;

struct sim_load {
    sim_fleet *f;
    double rate[SIM_NOPS];
    double credit[SIM_NOPS];
    int64_t last_ms;
    unsigned inflight, max_inflight;
    sim_wfile *w;
    size_t nw, capw;
    uint64_t next_name;
    uint64_t rng;
};

static const char *const sim_op_name[SIM_NOPS] = { "create", "append", "delete", "get" };

sim_load *sim_load_new(sim_fleet *f)
{
    sim_load *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    l->f = f;
    l->max_inflight = 8;
    l->rng = 0x9e3779b97f4a7c15ULL;
    return l;
}

void sim_load_free(sim_load *l)
{
    if (!l)
        return;
    free(l->w);
    free(l);
}

void sim_load_rates(sim_load *l, double creates, double appends, double deletes, double gets)
{
    l->rate[SIM_OP_CREATE] = creates;
    l->rate[SIM_OP_APPEND] = appends;
    l->rate[SIM_OP_DELETE] = deletes;
    l->rate[SIM_OP_GET] = gets;
    l->last_ms = 0;
}

static void sim_op_end(sim_op *o, bool failed)
{
    sim_load *l = o->l;
    sim_fleet_count(l->f, sim_op_name[o->op], failed);
    if (o->op != SIM_OP_GET)
        l->w[o->w].busy = false;
    l->inflight--;
    free(o);
}

/* ---- create ---- */

static void sim_create_stored(void *ud, long status, json_t *ans)
{
    (void)ans;
    sim_op *o = ud;
    o->failed |= status != 200;
    if (--o->waiting)
        return;
    o->l->w[o->w].ready = !o->failed;
    sim_op_end(o, o->failed);
}

static void sim_create_planned(void *ud, long status, json_t *ans)
{
    sim_op *o = ud;
    sim_load *l = o->l;
    const char *id = json_string_value(json_object_get(ans, PROTO_F_IDENTIFIER));
    json_t *chunk0 = json_array_get(json_object_get(ans, PROTO_F_CHUNKS), 0);
    json_t *reps = json_object_get(chunk0, PROTO_F_REPLICAS);
    json_int_t gen = json_integer_value(json_object_get(ans, PROTO_F_GENERATION));
    json_int_t cs = json_integer_value(json_object_get(ans, PROTO_F_CHUNK_SIZE));
    if (status != 200 || !id || !fileid_valid(id) || json_array_size(reps) == 0 || gen <= 0 ||
        cs < SIM_LOAD_FILE_BYTES) {
        sim_op_end(o, true);
        return;
    }
    sim_wfile *w = &l->w[o->w];
    char path[64];
    snprintf(path, sizeof path, "/simload/w%07llu", (unsigned long long)o->token);
    w->file = sim_fleet_add_file(l->f, id, path, SIM_LOAD_FILE_BYTES, (uint64_t)cs, 1,
                                 (uint32_t)gen);
    o->waiting = (unsigned)json_array_size(reps);
    size_t i;
    json_t *r;
    json_array_foreach(reps, i, r)
        sim_fleet_store(l->f, w->file, 0, json_string_value(r) ? json_string_value(r) : "",
                        (uint32_t)gen, SIM_LOAD_FILE_BYTES, sim_create_stored, o);
}

static void sim_create(sim_load *l)
{
    sim_wfile *w = sim_grow(l->w, l->nw, &l->capw, sizeof *l->w, 256);
    if (!w)
        return;
    l->w = w;
    sim_op *o = calloc(1, sizeof *o);
    if (!o)
        return;
    o->l = l;
    o->op = SIM_OP_CREATE;
    o->w = l->nw++;
    o->token = (json_int_t)l->next_name++;
    l->w[o->w] = (sim_wfile){ .busy = true };
    char path[64];
    snprintf(path, sizeof path, "/simload/w%07llu", (unsigned long long)o->token);
    l->inflight++;
    sim_fleet_request(l->f, "POST", PROTO_PATH_UPLOAD,
                      json_pack("{s:s,s:I}", PROTO_F_FILE_NAME, path, PROTO_F_FILE_SIZE,
                                (json_int_t)SIM_LOAD_FILE_BYTES),
                      "upload", sim_create_planned, o);
}

/* ---- append ---- */

typedef struct {
    sim_op *o;
    char path[64];
} sim_append_ctx;

static void sim_append_done(void *ud, long status, json_t *ans)
{
    (void)ans;
    sim_op *o = ud;
    if (status == 200 && !o->failed)   /* committed: the new size and version hold */
        sim_fleet_commit(o->l->f, o->l->w[o->w].file, 0, o->version, o->new_size);
    sim_op_end(o, status != 200 || o->failed);
}

static void sim_append_end(sim_append_ctx *c, bool abort_it)
{
    sim_fleet_request(c->o->l->f, "POST", PROTO_PATH_APPEND_DONE,
                      json_pack("{s:s,s:I,s:b}", PROTO_F_FILE_NAME, c->path, PROTO_F_TOKEN,
                                c->o->token, "abort", abort_it),
                      abort_it ? "appendDone(abort)" : "appendDone", sim_append_done, c->o);
    free(c);
}

static void sim_append_stored(void *ud, long status, json_t *ans)
{
    (void)ans;
    sim_append_ctx *c = ud;
    c->o->failed |= status != 200;
    if (--c->o->waiting == 0)
        sim_append_end(c, c->o->failed);
}

static void sim_append_begun(void *ud, long status, json_t *ans)
{
    sim_append_ctx *c = ud;
    sim_op *o = c->o;
    sim_load *l = o->l;
    json_t *fill = json_object_get(ans, PROTO_F_FILL);
    json_t *reps = json_object_get(fill, PROTO_F_REPLICAS);
    json_int_t version = json_integer_value(json_object_get(ans, PROTO_F_VERSION));
    json_int_t newsize = json_integer_value(json_object_get(ans, PROTO_F_NEW_SIZE));
    json_int_t index = json_integer_value(json_object_get(fill, PROTO_F_INDEX));
    o->token = json_integer_value(json_object_get(ans, PROTO_F_TOKEN));
    if (status != 200) {
        sim_op_end(o, true);
        free(c);
        return;
    }
    if (json_array_size(reps) == 0 || version <= 0 || version > UINT32_MAX || newsize <= 0 ||
        index != 0 || json_array_size(json_object_get(ans, PROTO_F_CHUNKS)) > 0) {
        o->failed = true;   /* only fills of a file's one chunk are simulated */
        sim_append_end(c, true);
        return;
    }
    sim_wfile *w = &l->w[o->w];
    o->version = (uint32_t)version;
    o->new_size = (uint64_t)newsize;
    o->waiting = (unsigned)json_array_size(reps);
    size_t i;
    json_t *r;
    json_array_foreach(reps, i, r)
        sim_fleet_store(l->f, w->file, 0, json_string_value(r) ? json_string_value(r) : "",
                        (uint32_t)version, (uint64_t)newsize, sim_append_stored, c);
}

/* A ready workload file not busy, or -1. */
static long sim_pick_w(sim_load *l)
{
    for (int tries = 0; tries < 16 && l->nw; tries++) {
        size_t w = (size_t)(sim_rand(&l->rng) % l->nw);
        if (l->w[w].ready && !l->w[w].busy && !l->w[w].gone)
            return (long)w;
    }
    return -1;
}

static void sim_append(sim_load *l)
{
    long w = sim_pick_w(l);
    if (w < 0)
        return;
    sim_op *o = calloc(1, sizeof *o);
    sim_append_ctx *c = calloc(1, sizeof *c);
    if (!o || !c) {
        free(o);
        free(c);
        return;
    }
    o->l = l;
    o->op = SIM_OP_APPEND;
    o->w = (size_t)w;
    c->o = o;
    sim_fleet_path(l->f, l->w[w].file, c->path, sizeof c->path);
    l->w[w].busy = true;
    l->inflight++;
    sim_fleet_request(l->f, "POST", PROTO_PATH_APPEND,
                      json_pack("{s:s,s:I}", PROTO_F_FILE_NAME, c->path, PROTO_F_SIZE,
                                (json_int_t)SIM_LOAD_FILE_BYTES),
                      "append", sim_append_begun, c);
}

/* ---- delete ---- */

static void sim_deleted(void *ud, long status, json_t *ans)
{
    (void)ans;
    sim_op *o = ud;
    if (status == 200) {
        o->l->w[o->w].gone = true;
        sim_fleet_mark_deleted(o->l->f, o->l->w[o->w].file);
    } else {
        sim_fleet_mark_deleting(o->l->f, o->l->w[o->w].file, false);
    }
    sim_op_end(o, status != 200);
}

static void sim_delete(sim_load *l)
{
    long w = sim_pick_w(l);
    if (w < 0)
        return;
    sim_op *o = calloc(1, sizeof *o);
    if (!o)
        return;
    o->l = l;
    o->op = SIM_OP_DELETE;
    o->w = (size_t)w;
    char path[64], url[128];
    sim_fleet_path(l->f, l->w[w].file, path, sizeof path);
    snprintf(url, sizeof url, "%s?name=%s", PROTO_PATH_FILES, path);   /* [/a-z0-9] only */
    l->w[w].busy = true;
    l->inflight++;
    sim_fleet_mark_deleting(l->f, l->w[w].file, true);
    sim_fleet_request(l->f, "DELETE", url, NULL, "delete", sim_deleted, o);
}

/* ---- get ---- */

static void sim_got(void *ud, long status, json_t *ans)
{
    /* a 503 with a time to retry (a chunk not reported yet, after a
     * restart) is the master's right answer, not a failure */
    sim_op_end(ud, status != 200 && !(status == 503 && json_object_get(ans, "retryAfterMs")));
}

static void sim_get(sim_load *l)
{
    uint32_t file;
    const char *fileid;
    if (!sim_fleet_pick_file(l->f, &file, &fileid))
        return;
    sim_op *o = calloc(1, sizeof *o);
    if (!o)
        return;
    o->l = l;
    o->op = SIM_OP_GET;
    char url[160];
    snprintf(url, sizeof url, "%s?id=%s", PROTO_PATH_GET, fileid);
    l->inflight++;
    sim_fleet_request(l->f, "GET", url, NULL, "get", sim_got, o);
}

void sim_load_tick(sim_load *l, int64_t now_ms)
{
    if (l->last_ms == 0) {
        l->last_ms = now_ms;
        return;
    }
    double dt = (double)(now_ms - l->last_ms) / 1000.0;
    l->last_ms = now_ms;
    for (int op = 0; op < SIM_NOPS; op++) {
        l->credit[op] += l->rate[op] * dt;
        while (l->credit[op] >= 1.0) {
            l->credit[op] -= 1.0;
            if (l->inflight >= l->max_inflight)
                continue;   /* shed: the master is behind */
            switch (op) {
            case SIM_OP_CREATE:
                sim_create(l);
                break;
            case SIM_OP_APPEND:
                sim_append(l);
                break;
            case SIM_OP_DELETE:
                sim_delete(l);
                break;
            default:
                sim_get(l);
            }
        }
    }
}
