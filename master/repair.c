/*
 * repair.c - the master's re-replication thread (see repair.h). It reads
 * the namespace under its read lock only to collect work and take the
 * census (census.h) in the same walk, and hands its copies to the outbox
 * with no lock held; at most --max-repl-streams copies per source at a
 * time, so repair traffic stays a trickle beside client traffic. In safe
 * mode, on a standby, or with --repair-max 0 it only counts (and in safe
 * mode watches for the moment every stored chunk has a reported holder
 * again). Counts its copies in m->repairs for the metrics. When it has
 * nothing waiting, it lets the balancer (balance.h) plan a round, and
 * trims a balanced chunk's surplus where the balancer says.
 */
#include "repair.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "allocate.h"
#include "balance.h"
#include "log.h"
#include "protocol.h"
#include "ticker.h"

/* A file reported to this recently may still be getting its pipeline
 * copies: its short chunks are not short yet. */
#define REPAIR_SETTLE_MS 2000
/* A copy handed out is not handed out again for this long (or until the
 * chunk is no longer short), so a slow copy is not doubled. */
#define REPAIR_PENDING_MS 15000
#define REPAIR_MAX_PENDING 1024

typedef struct {
    char id[CHUNKID_BUF];
    uint16_t source, target;
    int64_t until_ms;
} repair_pending;

typedef struct {
    char fileid[FILEID_LEN + 1];
    uint32_t index;
    uint64_t generation, length;
    unsigned live;                       /* live copies now */
    unsigned nholders;
    uint16_t holders[PROTO_MAX_REPLICATION];   /* every recorded holder, live or not */
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
    size_t waiting;                  /* short chunks left for a later pass */
    census_walk *census;             /* the pass's census (census.h); NULL: none */
    balance *bal;                    /* the balancer (balance.h); NULL: none */
    bool collecting;                 /* this pass orders copies and trims */
    /* copies handed out and not yet seen done */
    repair_pending pending[REPAIR_MAX_PENDING];
    size_t npending;
    uint16_t streams[REGISTRY_MAX];   /* pending copies per source */
};

static repair_pending *repair_find_pending(repair *r, const char *id)
{
    for (size_t i = 0; i < r->npending; i++)
        if (strcmp(r->pending[i].id, id) == 0)
            return &r->pending[i];
    return NULL;
}

/* Queues the drop of server's copy of chunk i of f (a surplus, or a
 * rotten copy), done after the pass's read of the namespace. */
static void repair_drop(repair *r, const ns_file *f, uint32_t i, uint16_t server,
                        uint64_t version)
{
    if (r->nsurplus == r->max)
        return;   /* the next pass takes it */
    repair_surplus *s = &r->surplus[r->nsurplus++];
    namespace_file_id(f, s->fileid);
    chunkid_format(s->id, s->fileid, i);
    s->index = i;
    s->server = server;
    s->version = version;
}

void repair_judge(const ns_chunk *c, unsigned replication,
                  repair_holder (*holder)(void *ud, uint16_t server), void *ud,
                  const uint16_t *streams, unsigned max_streams, repair_verdict *out)
{
    *out = (repair_verdict){ .source = -1, .trim = -1 };
    bool counts[PROTO_MAX_REPLICATION];
    /* the source: a live holder of a good copy, with a stream to spare
     * (one being decommissioned too: it is read while it lives); a rotten
     * copy counts for nothing */
    for (unsigned k = 0; k < c->nrep; k++) {
        repair_holder h = holder(ud, c->rep[k]);
        counts[k] = false;
        if (h == REPAIR_DEAD || namespace_holder_corrupt(c, k))
            continue;
        out->present++;
        if (h == REPAIR_LIVE) {
            counts[k] = true;
            out->live++;
        }
        if (out->source < 0 && streams[c->rep[k]] < max_streams)
            out->source = c->rep[k];
    }
    /* The last counted holder recorded is the newest: trim that one. */
    for (unsigned k = c->nrep; out->live > replication && k-- > 0;)
        if (counts[k]) {
            out->trim = c->rep[k];
            break;
        }
    /* Rotten copies go once a good one lives: there is something better
     * to read, and to copy from. */
    for (unsigned k = 0; out->present > 0 && k < c->nrep; k++)
        if (namespace_holder_corrupt(c, k))
            out->drop_rotten |= (uint8_t)(1u << k);
    out->copy = out->present > 0 && out->live < replication;
}

repair_holder repair_holder_of(registry *reg, uint16_t server, int64_t now_ms)
{
    if (!registry_live(reg, server, now_ms))
        return REPAIR_DEAD;
    return registry_draining(reg, server) ? REPAIR_LEAVING : REPAIR_LIVE;
}

static repair_holder repair_is_live(void *ud, uint16_t server)
{
    repair *r = ud;
    return repair_holder_of(r->m->reg, server, r->now);
}

/* Keeps the max items with the fewest live copies. */
static void repair_collect(const ns_file *f, void *ud)
{
    repair *r = ud;
    if (namespace_touched_age(f, r->now) < REPAIR_SETTLE_MS)
        return;
    for (uint32_t i = 0; i < f->ncommitted; i++) {
        const ns_chunk *c = &f->chunks[i];
        repair_verdict v;
        repair_judge(c, f->replication, repair_is_live, r, r->streams, r->m->max_repl_streams, &v);
        if (v.trim >= 0) {
            /* a balancer's move landed: the copy that goes is its source's */
            char mid[CHUNKID_BUF], mfid[FILEID_LEN + 1];
            chunkid_format(mid, namespace_file_id(f, mfid), i);
            int src = balance_surplus(r->bal, mid);
            for (unsigned k = 0; src >= 0 && k < c->nrep; k++)
                if (c->rep[k] == src && repair_is_live(r, c->rep[k]) == REPAIR_LIVE &&
                    !namespace_holder_corrupt(c, k)) {
                    v.trim = src;
                    break;
                }
            repair_drop(r, f, i, (uint16_t)v.trim, c->version);
        }
        for (unsigned k = 0; k < c->nrep; k++)
            if ((v.drop_rotten >> k) & 1u)
                repair_drop(r, f, i, c->rep[k], c->version);
        unsigned live = v.live;
        int source = v.source;
        if (!v.copy)
            continue;   /* nothing to copy from, or nothing to do */
        char id[CHUNKID_BUF], fid[FILEID_LEN + 1];
        chunkid_format(id, namespace_file_id(f, fid), i);
        if (repair_find_pending(r, id))
            continue;   /* its copy is on its way */
        r->waiting++;
        if (source < 0)
            continue;   /* every holder is busy copying: next pass */
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
        memcpy(it->fileid, fid, sizeof it->fileid);
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
    if (!allocate_live_servers(r->m, NULL, &live, &n))
        return false;
    bool found = placement_add(&r->m->place, live, n, it->holders, (unsigned)it->nholders,
                               it->length ? it->length : 1, target);
    free(live);
    return found;
}

/* Hands the copy to the source, through its next heartbeat. */
static void repair_copy(repair *r, const repair_item *it)
{
    master *m = r->m;
    uint16_t target;
    char id[CHUNKID_BUF];
    chunkid_format(id, it->fileid, it->index);
    if (r->npending == REPAIR_MAX_PENDING || r->streams[it->source] >= m->max_repl_streams)
        return;
    if (!repair_target(r, it, &target)) {
        log_debug("repair: no live chunkserver can take another copy of %s", id);
        return;
    }
    const char *src = registry_addr(m->reg, it->source), *dst = registry_addr(m->reg, target);
    outbox_copy(m->outbox, it->source, id, dst);
    repair_pending *p = &r->pending[r->npending++];
    snprintf(p->id, sizeof p->id, "%s", id);
    p->source = it->source;
    p->target = target;
    p->until_ms = r->now + REPAIR_PENDING_MS;
    r->streams[it->source]++;
    r->waiting -= r->waiting > 0;
    atomic_fetch_add(&m->repairs.started, 1);
    log_info("repair: %s to be copied from %s to %s (%u live copies now)", id, src, dst,
             it->live);
}

typedef struct {
    repair *r;
    const repair_pending *p;
    uint32_t index;
    bool waiting;
    bool landed;     /* the target holds it */
} repair_probe;

static void repair_probe_chunk(const ns_file *f, void *ud)
{
    repair_probe *pr = ud;
    if (pr->index >= f->ncommitted)
        return;
    const ns_chunk *c = &f->chunks[pr->index];
    unsigned live = 0;
    for (unsigned k = 0; k < c->nrep; k++) {
        if (c->rep[k] == pr->p->target) {
            pr->landed = true;
            return;   /* the copy landed */
        }
        live += registry_live(pr->r->m->reg, c->rep[k], pr->r->now) &&
                !namespace_holder_corrupt(c, k);
    }
    pr->waiting = live > 0 && live < f->replication;
}

/* A copy is done when its target holds the chunk, or the chunk is no
 * longer short (or is gone), and given up on when it took too long (a
 * later pass hands it out again). Either frees its source's stream before
 * this pass picks sources, and a chunk two copies short gets its second
 * copy in the pass after its first lands. */
static void repair_retire(repair *r)
{
    size_t kept = 0;
    for (size_t i = 0; i < r->npending; i++) {
        repair_pending *p = &r->pending[i];
        char fileid[FILEID_LEN + 1];
        repair_probe probe = { .r = r, .p = p };
        if (p->until_ms > r->now && chunkid_parse(p->id, fileid, &probe.index))
            namespace_with_file(r->m->ns, fileid, repair_probe_chunk, &probe);
        if (probe.waiting) {
            r->pending[kept++] = *p;
            continue;
        }
        if (r->streams[p->source] > 0)
            r->streams[p->source]--;
        if (probe.landed) {
            atomic_fetch_add(&r->m->repairs.done, 1);
            log_info("repair: %s copied from %s to %s", p->id,
                     registry_addr(r->m->reg, p->source), registry_addr(r->m->reg, p->target));
        }
    }
    r->npending = kept;
}

/* Sets *ud when f has a stored chunk no chunkserver has reported yet. */
static void repair_find_unreported(const ns_file *f, void *ud)
{
    bool *missing = ud;
    for (uint32_t i = 0; i < f->ncommitted && !*missing; i++)
        if ((f->chunks[i].flags & NS_CHUNK_STORED) && f->chunks[i].nrep == 0)
            *missing = true;
}

/* A walk's visit of one file: the census counts it; an active master out
 * of safe mode also collects its chunks that need a copy or a trim. */
static void repair_visit(const ns_file *f, void *ud)
{
    repair *r = ud;
    if (r->census)
        census_file(f, r->census);
    if (r->collecting)
        repair_collect(f, r);
}

/* One pass: retire the copies that are done, count the cluster and
 * collect the worst chunks, then copy each once. */
static long repair_pass(void *arg)
{
    repair *r = arg;
    master *m = r->m;
    r->nitems = r->nsurplus = 0;
    r->waiting = 0;
    r->now = registry_now_ms();
    r->census = census_begin(&m->census, m->reg, r->now);
    /* A standby of an HA cluster orders nothing; in safe mode, every
     * chunk looks short of copies until its holders have reported. */
    r->collecting = r->max > 0 && master_active(m);
    if (r->collecting && safemode_on(&m->safe, r->now)) {
        bool missing = false;
        namespace_each(m->ns, repair_find_unreported, &missing);
        if (missing || !safemode_settled(&m->safe, r->now))
            r->collecting = false;
        else
            safemode_leave(&m->safe, "every stored chunk has reported holders, and the "
                           "chunkservers are all back");
    }
    if (r->collecting)
        repair_retire(r);
    namespace_each(m->ns, repair_visit, r);
    if (r->census)
        census_end(r->census);
    r->census = NULL;
    if (!r->collecting)
        return (long)r->interval_ms;
    for (size_t i = 0; i < r->nitems; i++)
        repair_copy(r, &r->items[i]);
    for (size_t i = 0; i < r->nsurplus; i++) {
        const repair_surplus *s = &r->surplus[i];
        if (namespace_drop_replica(m->ns, s->fileid, s->index, s->server)) {
            outbox_delete(m->outbox, s->server, s->id, s->version);
            atomic_fetch_add(&m->repairs.trimmed, 1);
            log_info("repair: %s has a copy too many, or a rotten one; dropping the one on %s",
                     s->id, registry_addr(m->reg, s->server));
        }
    }
    atomic_store(&m->repairs.queued, r->waiting);
    atomic_store(&m->repairs.in_flight, r->npending);
    /* Balancing waits for repair: no chunk short of copies, none on its way. */
    if (r->waiting == 0 && r->npending == 0)
        balance_pass(r->bal, r->now, r->interval_ms);
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
    r->max = max_per_pass;   /* 0: count only, copy nothing */
    if (max_per_pass && m->balance_bytes_per_s &&
        !(r->bal = balance_new(m, m->balance_threshold, m->balance_bytes_per_s))) {
        free(r->items);
        free(r->surplus);
        free(r);
        return NULL;
    }
    if (!(r->tick = ticker_start(repair_pass, r, (long)interval_ms))) {
        balance_free(r->bal);
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
    balance_free(r->bal);
    free(r->items);
    free(r->surplus);
    free(r);
}
