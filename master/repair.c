/*
 * repair.c - the master's re-replication thread (see repair.h). It reads
 * the namespace under its read lock only to collect work, and makes its
 * calls to chunkservers with no lock held. One copy at a time: repair
 * traffic stays a trickle beside client traffic.
 */
#include "repair.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "httpc.h"
#include "log.h"
#include "protocol.h"
#include "ticker.h"

#define REPAIR_COPY_TIMEOUT_MS 300000
/* A file reported to this recently may still be getting its pipeline
 * copies: its short chunks are not short yet. */
#define REPAIR_SETTLE_MS 2000

typedef struct {
    char fileid[FILEID_LEN + 1];
    uint32_t index;
    uint64_t generation, length;
    unsigned live;                       /* live copies now */
    unsigned nholders;
    uint16_t holders[NS_MAX_REPLICAS];   /* every recorded holder, live or not */
    uint16_t source;                     /* a live holder */
} repair_item;

/* A replica beyond the file's count (its server came back after the
 * chunk was copied elsewhere): dropped, and deleted there. */
typedef struct {
    char id[CHUNKID_BUF];
    char fileid[FILEID_LEN + 1];
    uint32_t index;
    uint16_t server;
    uint64_t version;
} repair_surplus;

struct repair {
    master *m;
    int64_t interval_ms;
    unsigned max;
    ticker *tick;
    /* collection state of one pass */
    repair_item *items;
    size_t nitems;
    repair_surplus *surplus;
    size_t nsurplus;
    int64_t now;
};

/* Keeps the max items with the fewest live copies. */
static void repair_collect(const ns_file *f, void *ud)
{
    repair *r = ud;
    if (r->now - f->touched_ms < REPAIR_SETTLE_MS)
        return;
    for (uint32_t i = 0; i < f->ncommitted; i++) {
        const ns_chunk *c = &f->chunks[i];
        unsigned live = 0;
        int source = -1;
        for (unsigned k = 0; k < c->nrep; k++)
            if (registry_live(r->m->reg, c->rep[k], r->now)) {
                live++;
                if (source < 0)
                    source = c->rep[k];
            }
        if (live > f->replication && r->nsurplus < r->max) {
            /* The last live holder recorded is the newest: trim that one. */
            for (unsigned k = c->nrep; k-- > 0;)
                if (registry_live(r->m->reg, c->rep[k], r->now)) {
                    repair_surplus *s = &r->surplus[r->nsurplus++];
                    memcpy(s->fileid, f->fileid, sizeof s->fileid);
                    chunkid_format(s->id, f->fileid, i);
                    s->index = i;
                    s->server = c->rep[k];
                    s->version = c->version;
                    break;
                }
        }
        if (live == 0 || live >= f->replication)
            continue;   /* nothing to copy from, or nothing to do */
        size_t slot = r->nitems;
        if (r->nitems == r->max) {
            slot = 0;   /* replace the item with the most live copies, if this has fewer */
            for (size_t j = 1; j < r->nitems; j++)
                if (r->items[j].live > r->items[slot].live)
                    slot = j;
            if (r->items[slot].live <= live)
                continue;
        } else {
            r->nitems++;
        }
        repair_item *it = &r->items[slot];
        memcpy(it->fileid, f->fileid, sizeof it->fileid);
        it->index = i;
        it->generation = f->generation;
        it->length = namespace_chunk_length(f, i);
        it->live = live;
        it->nholders = c->nrep;
        memcpy(it->holders, c->rep, sizeof it->holders);
        it->source = (uint16_t)source;
    }
}

/* Chooses where the new copy goes; false when no live server can take it. */
static bool repair_target(repair *r, const repair_item *it, uint16_t *target)
{
    placement_server *live;
    size_t n;
    if (!master_live_servers(r->m, NULL, &live, &n))
        return false;
    bool found = placement_add(&r->m->place, live, n, it->holders, (unsigned)it->nholders,
                               it->length ? it->length : 1, target);
    free(live);
    return found;
}

static void repair_copy(repair *r, const repair_item *it)
{
    master *m = r->m;
    uint16_t target;
    char id[CHUNKID_BUF], url[512], err[512];
    chunkid_format(id, it->fileid, it->index);
    if (!repair_target(r, it, &target)) {
        log_debug("repair: no live chunkserver can take another copy of %s", id);
        return;
    }
    const char *src = registry_addr(m->reg, it->source), *dst = registry_addr(m->reg, target);
    addr_server_url(src, PROTO_PATH_REPLICATE, url, sizeof url);
    json_t *body = json_pack("{s:s,s:s,s:I}", PROTO_F_CHUNK_ID, id, PROTO_F_TARGET, dst,
                             PROTO_F_GENERATION, (json_int_t)it->generation);
    httpc_response resp;
    bool ok = httpc_json("POST", url, body, REPAIR_COPY_TIMEOUT_MS, &resp, err, sizeof err);
    json_decref(body);
    if (!ok) {
        log_warn("repair: %s from %s to %s: %s", id, src, dst, err);
        return;
    }
    if (resp.status == 200)
        log_info("repair: copied %s from %s to %s (%u live copies before)", id, src, dst,
                 it->live);
    else
        log_warn("repair: %s from %s to %s: %s", id, src, dst,
                 httpc_error_text(&resp, err, sizeof err));
    httpc_response_free(&resp);
}

/* One pass: collect the worst chunks, then copy each once. */
static long repair_pass(void *arg)
{
    repair *r = arg;
    r->nitems = r->nsurplus = 0;
    r->now = registry_now_ms();
    namespace_each(r->m->ns, repair_collect, r);
    for (size_t i = 0; i < r->nitems; i++)
        repair_copy(r, &r->items[i]);
    for (size_t i = 0; i < r->nsurplus; i++) {
        const repair_surplus *s = &r->surplus[i];
        if (namespace_drop_replica(r->m->ns, s->fileid, s->index, s->server)) {
            gc_delete(r->m->gc, s->server, s->id, s->version);
            log_info("repair: %s has a copy too many; dropping the one on %s", s->id,
                     registry_addr(r->m->reg, s->server));
        }
    }
    return (long)r->interval_ms;
}

repair *repair_start(master *m, int64_t interval_ms, unsigned max_per_pass)
{
    repair *r = calloc(1, sizeof *r);
    if (!r || !(r->items = calloc(max_per_pass ? max_per_pass : 1, sizeof *r->items)) ||
        !(r->surplus = calloc(max_per_pass ? max_per_pass : 1, sizeof *r->surplus))) {
        if (r)
            free(r->items);
        free(r);
        return NULL;
    }
    r->m = m;
    r->interval_ms = interval_ms;
    r->max = max_per_pass ? max_per_pass : 1;
    if (!(r->tick = ticker_start(repair_pass, r, (long)interval_ms))) {
        free(r->items);
        free(r->surplus);
        free(r);
        return NULL;
    }
    return r;
}

void repair_stop(repair *r)
{
    if (!r)
        return;
    ticker_stop(r->tick);
    free(r->items);
    free(r->surplus);
    free(r);
}
