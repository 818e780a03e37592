/*
 * repair.c - the master's re-replication thread (see repair.h). Two
 * halves, both on one ticker thread:
 *
 *   the scan walks the namespace in slices (namespace_scan_step: the
 *   read lock held for REPAIR_SLICE_CHUNKS chunks at a time, never for
 *   the whole table), taking the census (census.h) as it goes and
 *   queueing the chunks it finds short of copies by how many live copies
 *   they have (GFS 4.3: the fewest first); it spends at most a share of
 *   a core (REPAIR_SCAN_SHARE, twenty times that while there is urgent
 *   work: safe mode, a server lost, copies queued or in flight, a census
 *   that saw chunks short or missing), so a namespace of
 *   millions of chunks is scanned over seconds, in the background;
 *
 *   every REPAIR_TICK_MS the queue is drained into copies, fewest live
 *   copies first: each chunk judged again (one lookup) and sent from a
 *   live holder with a stream to spare (at most --max-repl-streams per
 *   source) to a target by placement; copies in flight are looked up
 *   each tick and retired when they landed, are no longer needed, or
 *   took too long (then queued again).
 *
 * The queue and the copies in flight are in a hash table by chunk id, so
 * nothing is ordered twice and each is found in O(1). Surplus and rotten
 * copies found by the scan are dropped after each slice, with no lock
 * held. In safe mode, on a standby, or with --repair-max 0 it only counts
 * (and in safe mode watches for the moment every stored chunk has a
 * reported holder again). Counts its copies in m->repairs for the
 * metrics. When it has nothing queued or in flight it lets the balancer
 * (balance.h) plan a round after each scan, and trims a balanced chunk's
 * surplus where the balancer says. Must never hold the namespace's lock
 * for a whole walk, nor call a chunkserver.
 */
#include "repair.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "allocate.h"
#include "balance.h"
#include "log.h"
#include "monotime.h"
#include "protocol.h"
#include "ticker.h"

/* A file reported to this recently may still be getting its pipeline
 * copies: its short chunks are not short yet. */
#define REPAIR_SETTLE_MS 2000
/* A copy handed out is not handed out again for this long (or until the
 * chunk is no longer short), so a slow copy is not doubled. */
#define REPAIR_PENDING_MS 15000
/* How often copies are handed out and retired, and the scan goes on. */
#define REPAIR_TICK_MS 100
/* Chunks (and files) the scan visits per hold of the read lock: about 2
 * ms at 10M chunks (their lines are rarely in the cache), short enough
 * that a slice the scheduler preempts on a busy machine still holds
 * writers off for little more than 10 ms. */
#define REPAIR_SLICE_CHUNKS 2048
/* The scan's share of a core, in percent: in the background, and while
 * there is urgent work. */
#define REPAIR_SCAN_SHARE 1
#define REPAIR_SCAN_URGENT 20
/* Short chunks remembered between scans, and copies in flight. */
#define REPAIR_QUEUE_MAX 262144
#define REPAIR_MAX_PENDING 65536
/* Queue entries judged per tick (most are handed out, or dropped). */
#define REPAIR_JUDGE_PER_TICK 20000
#define REPAIR_LIVE_LEVELS (PROTO_MAX_REPLICATION + 1)

typedef struct repair_entry {
    char id[CHUNKID_BUF];
    char fileid[FILEID_LEN + 1];
    uint32_t index;
    bool pending;                   /* a copy ordered, not yet seen landed */
    uint16_t source, target;
    int64_t until_ms;
    struct repair_entry *next;      /* in its hash chain */
} repair_entry;

/* A replica beyond the file's count (its server came back after the
 * chunk was copied elsewhere), or a rotten one: dropped, and deleted
 * there. */
typedef struct {
    char id[CHUNKID_BUF];
    char fileid[FILEID_LEN + 1];
    uint32_t index;
    uint16_t server;
    uint64_t version;
} repair_surplus;

#define REPAIR_SURPLUS_PER_SLICE 1024

/* A list of entries, in the order they came. */
typedef struct {
    repair_entry **e;
    size_t n, cap;
} repair_list;

struct repair {
    master *m;
    int64_t interval_ms;
    unsigned max;                    /* copies per --repair-ms (0: count only) */
    ticker *tick;
    /* the scan */
    ns_scan scan;
    bool scanning;
    int64_t scan_began, scan_ended, now;
    double scan_cpu_ms;              /* spent by the scan under way */
    double slice_max_ms;             /* the longest hold of the lock, this scan */
    census_walk *census;             /* the scan's census (census.h); NULL: none */
    bool collecting;                 /* this scan queues copies and trims */
    bool unreported;                 /* a stored chunk with no reported holder seen */
    size_t short_seen;               /* short chunks this scan found */
    char members[17];                /* the live list when the scan began */
    repair_surplus surplus[REPAIR_SURPLUS_PER_SLICE];
    size_t nsurplus;
    balance *bal;                    /* the balancer (balance.h); NULL: none */
    /* the queue, by live copies, and the copies in flight */
    repair_entry **table;
    size_t ntable;                   /* buckets, a power of two */
    size_t nentries;
    repair_list queue[REPAIR_LIVE_LEVELS];
    repair_list pending;
    double credit;                   /* copies that may be handed out now */
    uint16_t streams[REGISTRY_MAX];  /* copies in flight per source */
};

/* ---- the table of chunks queued or in flight ---- */

static size_t repair_hash(const repair *r, const char *id)
{
    return chunkid_hash(id) & (r->ntable - 1);
}

static repair_entry *repair_lookup(const repair *r, const char *id)
{
    for (repair_entry *e = r->table[repair_hash(r, id)]; e; e = e->next)
        if (strcmp(e->id, id) == 0)
            return e;
    return NULL;
}

static bool repair_list_push(repair_list *l, repair_entry *e)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 256;
        repair_entry **p = realloc(l->e, cap * sizeof *p);
        if (!p)
            return false;
        l->e = p;
        l->cap = cap;
    }
    l->e[l->n++] = e;
    return true;
}

/* A new entry for chunk index of fileid, in the queue of its live
 * copies; NULL when the queue is full (a later scan finds it again). */
static repair_entry *repair_enqueue(repair *r, const char *fileid, uint32_t index,
                                    const char *id, unsigned live)
{
    if (r->nentries >= REPAIR_QUEUE_MAX + REPAIR_MAX_PENDING)
        return NULL;
    repair_entry *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    snprintf(e->id, sizeof e->id, "%s", id);
    memcpy(e->fileid, fileid, sizeof e->fileid);
    e->index = index;
    if (!repair_list_push(&r->queue[live < REPAIR_LIVE_LEVELS ? live : REPAIR_LIVE_LEVELS - 1],
                          e)) {
        free(e);
        return NULL;
    }
    size_t b = repair_hash(r, id);
    e->next = r->table[b];
    r->table[b] = e;
    r->nentries++;
    return e;
}

/* Forgets e (in no list any more). */
static void repair_forget(repair *r, repair_entry *e)
{
    for (repair_entry **p = &r->table[repair_hash(r, e->id)]; *p; p = &(*p)->next)
        if (*p == e) {
            *p = e->next;
            break;
        }
    r->nentries--;
    free(e);
}

static size_t repair_queued(const repair *r)
{
    size_t n = 0;
    for (unsigned k = 0; k < REPAIR_LIVE_LEVELS; k++)
        n += r->queue[k].n;
    return n;
}

/* Queues the drop of server's copy of chunk i of f (a surplus, or a
 * rotten copy), done after the slice's read of the namespace. */
static void repair_drop(repair *r, const ns_file *f, uint32_t i, uint16_t server,
                        uint64_t version)
{
    if (r->nsurplus == REPAIR_SURPLUS_PER_SLICE)
        return;   /* the next scan takes it */
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

/* The scan's look at one file's chunks: trims, rotten copies, and the
 * short chunks queued. */
static void repair_collect(const ns_file *f, repair *r)
{
    if (namespace_touched_age(f, r->now) < REPAIR_SETTLE_MS)
        return;
    char fid[FILEID_LEN + 1];
    bool have_fid = false;
    for (uint32_t i = 0; i < f->ncommitted; i++) {
        const ns_chunk *c = &f->chunks[i];
        repair_verdict v;
        repair_judge(c, f->replication, repair_is_live, r, r->streams, UINT16_MAX, &v);
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
        if (!v.copy)
            continue;   /* nothing to copy from, or nothing to do */
        r->short_seen++;
        char id[CHUNKID_BUF];
        if (!have_fid) {
            namespace_file_id(f, fid);
            have_fid = true;
        }
        chunkid_format(id, fid, i);
        if (!repair_lookup(r, id))
            repair_enqueue(r, fid, i, id, v.live);
    }
}

/* Sets r->unreported when f has a stored chunk no chunkserver has
 * reported yet. */
static void repair_find_unreported(const ns_file *f, repair *r)
{
    for (uint32_t i = 0; i < f->ncommitted && !r->unreported; i++)
        if ((f->chunks[i].flags & NS_CHUNK_STORED) && f->chunks[i].nrep == 0)
            r->unreported = true;
}

/* A scan's visit of one file: the census counts it; an active master out
 * of safe mode also queues its chunks that need a copy or a trim. */
static void repair_visit(const ns_file *f, void *ud)
{
    repair *r = ud;
    if (r->census)
        census_file(f, r->census);
    if (r->collecting)
        repair_collect(f, r);
    else if (!r->unreported)
        repair_find_unreported(f, r);
}

/* The drops a slice found, with no lock held. */
static void repair_apply_drops(repair *r)
{
    master *m = r->m;
    for (size_t i = 0; i < r->nsurplus; i++) {
        const repair_surplus *s = &r->surplus[i];
        if (namespace_drop_replica(m->ns, s->fileid, s->index, s->server)) {
            outbox_delete(m->outbox, s->server, s->id, s->version);
            atomic_fetch_add(&m->repairs.trimmed, 1);
            log_info("repair: %s has a copy too many, or a rotten one; dropping the one on %s",
                     s->id, registry_addr(m->reg, s->server));
        }
    }
    r->nsurplus = 0;
}

static void repair_scan_begin(repair *r)
{
    master *m = r->m;
    r->scanning = true;
    r->scan_began = r->now;
    r->scan_cpu_ms = r->slice_max_ms = 0;
    r->short_seen = 0;
    r->unreported = false;
    memset(&r->scan, 0, sizeof r->scan);
    registry_members(m->reg, r->now, r->members, NULL, 0);
    r->census = census_begin(&m->census, m->reg, r->now);
    /* A standby of an HA cluster orders nothing; in safe mode, every
     * chunk looks short of copies until its holders have reported. */
    r->collecting = r->max > 0 && master_active(m) && !safemode_on(&m->safe, r->now);
}

static void repair_scan_end(repair *r)
{
    master *m = r->m;
    r->scanning = false;
    r->scan_ended = r->now;
    if (r->census)
        census_end(r->census);
    r->census = NULL;
    atomic_store(&m->repairs.scan_ms, (uint64_t)(r->now - r->scan_began));
    atomic_store(&m->repairs.slice_max_us, (uint64_t)(r->slice_max_ms * 1000));
    if (r->max > 0 && master_active(m) && safemode_on(&m->safe, r->now) && !r->collecting &&
        !r->unreported && safemode_settled(&m->safe, r->now))
        safemode_leave(&m->safe, "every stored chunk has reported holders, and the "
                       "chunkservers are all back");
}

/* Scan slices for up to budget_ms of this tick. */
static void repair_scan(repair *r, double budget_ms)
{
    double spent = 0;
    while (r->scanning && spent < budget_ms) {
        int64_t t0 = monotime_ns();
        r->now = registry_now_ms();
        bool done = namespace_scan_step(r->m->ns, &r->scan, REPAIR_SLICE_CHUNKS, repair_visit, r);
        double ms = (double)(monotime_ns() - t0) / 1e6;
        if (ms > r->slice_max_ms)
            r->slice_max_ms = ms;
        repair_apply_drops(r);
        spent += (double)(monotime_ns() - t0) / 1e6;
        if (done)
            repair_scan_end(r);
    }
    r->scan_cpu_ms += spent;
}

/* ---- handing copies out, and retiring them ---- */

typedef struct {
    repair *r;
    uint32_t index;
    const repair_entry *e;      /* retiring: the copy in flight */
    bool found;
    repair_verdict v;
    unsigned nholders;
    uint16_t holders[PROTO_MAX_REPLICATION];
    uint64_t length;
    bool landed;                /* the copy's target holds the chunk */
} repair_probe;

static void repair_probe_chunk(const ns_file *f, void *ud)
{
    repair_probe *pr = ud;
    if (pr->index >= f->ncommitted)
        return;
    const ns_chunk *c = &f->chunks[pr->index];
    pr->found = true;
    repair_judge(c, f->replication, repair_is_live, pr->r, pr->r->streams,
                 pr->r->m->max_repl_streams, &pr->v);
    pr->nholders = c->nrep;
    memcpy(pr->holders, c->rep, c->nrep * sizeof *c->rep);
    pr->length = namespace_chunk_length(f, pr->index);
    for (unsigned k = 0; pr->e && k < c->nrep; k++)
        pr->landed |= c->rep[k] == pr->e->target;
}

/* The chunk as it stands now; false when it is gone. */
static bool repair_probe_now(repair *r, const repair_entry *e, repair_probe *pr)
{
    *pr = (repair_probe){ .r = r, .index = e->index, .e = e->pending ? e : NULL };
    namespace_with_file(r->m->ns, e->fileid, repair_probe_chunk, pr);
    return pr->found;
}

/* A copy is done when its target holds the chunk, or the chunk is no
 * longer short (or is gone); given up on when it took too long (it is
 * queued again). Either frees its source's stream. */
static void repair_retire(repair *r)
{
    size_t kept = 0;
    for (size_t i = 0; i < r->pending.n; i++) {
        repair_entry *e = r->pending.e[i];
        repair_probe pr;
        bool exists = repair_probe_now(r, e, &pr);
        bool waiting = exists && !pr.landed && pr.v.copy;
        if (waiting && e->until_ms > r->now) {
            r->pending.e[kept++] = e;
            continue;
        }
        if (r->streams[e->source] > 0)
            r->streams[e->source]--;
        if (pr.landed) {
            atomic_fetch_add(&r->m->repairs.done, 1);
            log_info("repair: %s copied from %s to %s", e->id, registry_addr(r->m->reg, e->source),
                     registry_addr(r->m->reg, e->target));
        }
        e->pending = false;
        if (waiting && repair_list_push(&r->queue[pr.v.live < REPAIR_LIVE_LEVELS ? pr.v.live : 0], e))
            continue;   /* too slow: again, from wherever */
        repair_forget(r, e);
    }
    r->pending.n = kept;
}

/* Hands e's copy to its source, through its next heartbeat; false when it
 * cannot go now (every holder busy, no target). */
static bool repair_copy(repair *r, repair_entry *e, const repair_probe *pr,
                        const placement_server *live, size_t nlive)
{
    master *m = r->m;
    uint16_t target;
    if (pr->v.source < 0)
        return false;
    if (!placement_add(&m->place, live, nlive, pr->holders, pr->nholders,
                       pr->length ? pr->length : 1, &target)) {
        log_debug("repair: no live chunkserver can take another copy of %s", e->id);
        return false;
    }
    const char *src = registry_addr(m->reg, (uint16_t)pr->v.source);
    const char *dst = registry_addr(m->reg, target);
    outbox_copy(m->outbox, (uint16_t)pr->v.source, e->id, dst);
    e->pending = true;
    e->source = (uint16_t)pr->v.source;
    e->target = target;
    e->until_ms = r->now + REPAIR_PENDING_MS;
    r->streams[e->source]++;
    atomic_fetch_add(&m->repairs.started, 1);
    log_info("repair: %s to be copied from %s to %s (%u live copies now)", e->id, src, dst,
             pr->v.live);
    return true;
}

/* The queue, fewest live copies first, into copies: each chunk judged
 * again as it stands now. */
static void repair_hand_out(repair *r)
{
    if (r->credit < 1 || repair_queued(r) == 0)
        return;
    placement_server *live = NULL;
    size_t nlive = 0;
    if (!allocate_live_servers(r->m, NULL, &live, &nlive))
        return;
    size_t judged = 0;
    for (unsigned k = 0; k < REPAIR_LIVE_LEVELS; k++) {
        repair_list *q = &r->queue[k];
        size_t kept = 0, i = 0;
        for (; i < q->n; i++) {
            repair_entry *e = q->e[i];
            if (r->credit < 1 || judged >= REPAIR_JUDGE_PER_TICK ||
                r->pending.n >= REPAIR_MAX_PENDING) {
                q->e[kept++] = e;
                continue;
            }
            judged++;
            repair_probe pr;
            if (!repair_probe_now(r, e, &pr) || !pr.v.copy) {
                repair_forget(r, e);   /* gone, or no longer short (or nothing to copy from) */
                continue;
            }
            if (repair_copy(r, e, &pr, live, nlive) && repair_list_push(&r->pending, e)) {
                r->credit -= 1;
                continue;
            }
            q->e[kept++] = e;   /* its holders are all busy: later */
        }
        q->n = kept;
    }
    free(live);
}

/* One tick: copies retired and handed out, and the scan goes on. */
static long repair_tick(void *arg)
{
    repair *r = arg;
    master *m = r->m;
    r->now = registry_now_ms();
    bool active = r->max > 0 && master_active(m) && !safemode_on(&m->safe, r->now);
    if (active) {
        r->credit += (double)r->max * REPAIR_TICK_MS / (double)r->interval_ms;
        if (r->credit > r->max)
            r->credit = r->max;
        repair_retire(r);
        repair_hand_out(r);
    }
    /* A server lost or back since the scan began: scan again at once. */
    char members[17];
    registry_members(m->reg, r->now, members, NULL, 0);
    bool changed = strcmp(members, r->members) != 0;
    /* urgent too while the last census saw chunks short or missing: its
     * figures (and an operator watching them) wait for the next scan */
    bool urgent = changed || safemode_on(&m->safe, r->now) || repair_queued(r) > 0 ||
                  r->pending.n > 0 || atomic_load(&m->census.under) > 0 ||
                  atomic_load(&m->census.missing) > 0;
    if (!r->scanning && (changed || r->now - r->scan_ended >= r->interval_ms))
        repair_scan_begin(r);
    if (r->scanning)
        repair_scan(r, (double)REPAIR_TICK_MS *
                           (urgent ? REPAIR_SCAN_URGENT : REPAIR_SCAN_SHARE) / 100.0);
    atomic_store(&m->repairs.queued, repair_queued(r));
    atomic_store(&m->repairs.in_flight, r->pending.n);
    /* Balancing waits for repair: no chunk short of copies, none on its
     * way, a whole scan that found none. */
    if (active && !r->scanning && r->scan_ended == r->now && r->short_seen == 0 &&
        repair_queued(r) == 0 && r->pending.n == 0)
        balance_pass(r->bal, r->now, r->interval_ms);
    return REPAIR_TICK_MS < r->interval_ms ? REPAIR_TICK_MS : (long)r->interval_ms;
}

repair *repair_start(master *m, int64_t interval_ms, unsigned max_per_pass)
{
    repair *r = calloc(1, sizeof *r);
    if (!r || !(r->table = calloc(1u << 16, sizeof *r->table))) {
        free(r);
        return NULL;
    }
    r->ntable = 1u << 16;
    r->m = m;
    r->interval_ms = interval_ms;
    r->max = max_per_pass;   /* 0: count only, copy nothing */
    r->scan_ended = registry_now_ms() - interval_ms;
    if (max_per_pass && m->balance_bytes_per_s &&
        !(r->bal = balance_new(m, m->balance_threshold, m->balance_bytes_per_s))) {
        free(r->table);
        free(r);
        return NULL;
    }
    if (!(r->tick = ticker_start(repair_tick, r, 0))) {
        balance_free(r->bal);
        free(r->table);
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
    if (r->census)
        census_end(r->census);
    for (size_t b = 0; b < r->ntable; b++)
        while (r->table[b]) {
            repair_entry *e = r->table[b];
            r->table[b] = e->next;
            free(e);
        }
    for (unsigned k = 0; k < REPAIR_LIVE_LEVELS; k++)
        free(r->queue[k].e);
    free(r->pending.e);
    balance_free(r->bal);
    free(r->table);
    free(r);
}
