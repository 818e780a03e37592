/*
 * balance.c - the balancer (see balance.h). Runs on the repair thread
 * only, so its moves need no lock of their own; reads the namespace under
 * its read lock (namespace_each) to choose chunks, and hands its copies
 * to the outbox with no lock held. Never drops a copy itself: the repair
 * pass trims the surplus, asking balance_surplus which one.
 */
#include "balance.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "protocol.h"
#include "repair.h"

#define BALANCE_MAX_MOVES 64
/* A move not done in this long is forgotten (a later pass may order it
 * again). */
#define BALANCE_MOVE_MS 60000
/* A file changed this recently is left alone: it may still be written. */
#define BALANCE_SETTLE_MS 5000
/* After a round of moves, the servers' heartbeats get this long to say
 * what they hold now before the next round is planned on their figures. */
#define BALANCE_ROUND_GAP_MS 1000

typedef struct {
    char id[CHUNKID_BUF];
    char fileid[FILEID_LEN + 1];
    uint32_t index;
    uint16_t source, target;
    uint64_t length;
    int64_t until_ms;
} balance_move;

struct balance {
    master *m;
    double threshold;          /* percentage points */
    uint64_t bytes_per_s;
    balance_move moves[BALANCE_MAX_MOVES];
    size_t nmoves;
    double credit;             /* bytes that may be set moving now */
    bool balanced;             /* the last look found the spread within the threshold */
    int64_t round_end_ms;      /* when the last round's moves were all over */
};

balance *balance_new(master *m, double threshold, uint64_t bytes_per_s)
{
    balance *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->m = m;
    b->threshold = threshold;
    b->bytes_per_s = bytes_per_s;
    b->balanced = true;
    return b;
}

void balance_free(balance *b)
{
    free(b);
}

int balance_surplus(balance *b, const char *chunk_id)
{
    for (size_t i = 0; b && i < b->nmoves; i++)
        if (!strcmp(b->moves[i].id, chunk_id))
            return b->moves[i].source;
    return -1;
}

/* ---- moves that are over ---- */

typedef struct {
    const balance_move *mv;
    bool source, target;   /* which of the two hold it now */
} balance_probe;

static void balance_probe_chunk(const ns_file *f, void *ud)
{
    balance_probe *p = ud;
    if (p->mv->index >= f->ncommitted)
        return;
    const ns_chunk *c = &f->chunks[p->mv->index];
    for (unsigned k = 0; k < c->nrep; k++) {
        p->source |= c->rep[k] == p->mv->source;
        p->target |= c->rep[k] == p->mv->target;
    }
}

static void balance_retire(balance *b, int64_t now)
{
    size_t kept = 0;
    for (size_t i = 0; i < b->nmoves; i++) {
        balance_move *mv = &b->moves[i];
        balance_probe p = { .mv = mv };
        bool exists = namespace_with_file(b->m->ns, mv->fileid, balance_probe_chunk, &p) == NS_OK;
        if (exists && p.target && !p.source) {
            atomic_fetch_add(&b->m->repairs.moved, 1);
            continue;   /* done: the copy landed and the source's went */
        }
        if (!exists || mv->until_ms <= now || (!p.source && !p.target))
            continue;   /* gone, or given up on */
        b->moves[kept++] = *mv;
    }
    b->nmoves = kept;
}

/* ---- choosing what to move ---- */

typedef struct {
    balance *b;
    int64_t now;
    uint16_t source, target;
    const char *source_rack, *target_rack;
    const char (*racks)[REGISTRY_RACK_MAX];   /* by server index */
    size_t nservers;
    uint64_t budget;          /* bytes still to set moving this pass */
    uint64_t max_len;         /* no chunk longer is moved */
    uint64_t chosen;
} balance_pick;

static repair_holder balance_holder(void *ud, uint16_t server)
{
    balance_pick *p = ud;
    return repair_holder_of(p->b->m->reg, server, p->now);
}

/* Racks the chunk spans, with from's copy replaced by to's (to may be
 * UINT16_MAX: none added). */
static unsigned balance_racks(const balance_pick *p, const ns_chunk *c, uint16_t from, uint16_t to)
{
    const char *seen[PROTO_MAX_REPLICATION + 1];
    unsigned n = 0;
    for (unsigned k = 0; k <= c->nrep; k++) {
        uint16_t s = k < c->nrep ? c->rep[k] : to;
        if (s == from || s == UINT16_MAX || s >= p->nservers)
            continue;
        bool dup = false;
        for (unsigned j = 0; j < n && !dup; j++)
            dup = !strcmp(seen[j], p->racks[s]);
        if (!dup)
            seen[n++] = p->racks[s];
    }
    return n;
}

static void balance_pick_file(const ns_file *f, void *ud)
{
    balance_pick *p = ud;
    balance *b = p->b;
    if (p->budget == 0 || b->nmoves == BALANCE_MAX_MOVES || f->replaces ||
        !namespace_file_complete(f) || (f->rare && (f->rare->append || f->rare->nleases)) ||
        namespace_touched_age(f, p->now) < BALANCE_SETTLE_MS)
        return;
    static const uint16_t no_streams[REGISTRY_MAX];
    for (uint32_t i = 0; i < f->ncommitted && p->budget > 0 && b->nmoves < BALANCE_MAX_MOVES;
         i++) {
        const ns_chunk *c = &f->chunks[i];
        bool on_source = false, on_target = false;
        for (unsigned k = 0; k < c->nrep; k++) {
            on_source |= c->rep[k] == p->source && !namespace_holder_corrupt(c, k);
            on_target |= c->rep[k] == p->target;
        }
        if (!on_source || on_target)
            continue;
        repair_verdict v;
        repair_judge(c, f->replication, balance_holder, p, no_streams, 1, &v);
        if (v.live < f->replication || v.present != v.live || c->corrupt)
            continue;   /* repair's business first */
        if (balance_racks(p, c, p->source, p->target) < balance_racks(p, c, UINT16_MAX, UINT16_MAX))
            continue;   /* the chunk would lose a rack */
        char fid[FILEID_LEN + 1], id[CHUNKID_BUF];
        chunkid_format(id, namespace_file_id(f, fid), i);
        if (balance_surplus(b, id) >= 0)
            continue;
        uint64_t len = namespace_chunk_length(f, i);
        if (len >= p->max_len)
            continue;
        balance_move *mv = &b->moves[b->nmoves++];
        snprintf(mv->id, sizeof mv->id, "%s", id);
        memcpy(mv->fileid, fid, sizeof mv->fileid);
        mv->index = i;
        mv->source = p->source;
        mv->target = p->target;
        mv->length = len;
        mv->until_ms = p->now + BALANCE_MOVE_MS;
        p->budget = len >= p->budget ? 0 : p->budget - len;
        p->chosen++;
    }
}

void balance_pass(balance *b, int64_t now, int64_t interval_ms)
{
    if (!b || !b->bytes_per_s)
        return;
    bool was_moving = b->nmoves > 0;
    balance_retire(b, now);
    /* One round at a time, planned on figures that include the last one. */
    if (was_moving && b->nmoves == 0)
        b->round_end_ms = now;
    if (b->nmoves > 0 || now - b->round_end_ms < BALANCE_ROUND_GAP_MS)
        return;
    /* the credit grows with time, up to one second's worth */
    b->credit += (double)b->bytes_per_s * (double)interval_ms / 1000.0;
    if (b->credit > (double)b->bytes_per_s)
        b->credit = (double)b->bytes_per_s;
    registry_info *live = calloc(REGISTRY_MAX, sizeof *live);
    char (*racks)[REGISTRY_RACK_MAX] = calloc(REGISTRY_MAX, sizeof *racks);
    if (!live || !racks) {
        free(live);
        free(racks);
        return;
    }
    size_t n = registry_live_info(b->m->reg, now, live, REGISTRY_MAX);
    size_t nservers = registry_count(b->m->reg);
    int src = -1, dst = -1;
    double hi = -1, lo = 2, use[REGISTRY_MAX], used_all = 0, cap_all = 0;
    for (size_t i = 0; i < n; i++) {
        memcpy(racks[live[i].index], live[i].rack, sizeof racks[0]);
        if (!live[i].capacity)
            continue;
        use[i] = (double)live[i].used / (double)live[i].capacity;
        used_all += (double)live[i].used;
        cap_all += (double)live[i].capacity;
        if (use[i] > hi) {
            hi = use[i];
            src = (int)i;
        }
        if (use[i] < lo) {
            lo = use[i];
            dst = (int)i;
        }
    }
    /* balanced: the spread is under the threshold (as the issue's
     * operators read it: "within 10 points" is under 10; 35 % - 25 % is
     * 9.999... in doubles, hence the epsilon) */
    bool spread = src >= 0 && dst >= 0 && src != dst && (hi - lo) * 100 + 1e-9 >= b->threshold;
    if (!spread) {
        if (!b->balanced && src >= 0)
            log_info("balancer: disk use within %.0f points (%.1f%% to %.1f%%)", b->threshold,
                     lo * 100, hi * 100);
        b->balanced = true;
        free(live);
        free(racks);
        return;
    }
    b->balanced = false;
    /* no more than brings either of the two to the mean */
    double mean = used_all / cap_all;
    double want = (hi - mean) * (double)live[src].capacity;
    if ((mean - lo) * (double)live[dst].capacity < want)
        want = (mean - lo) * (double)live[dst].capacity;
    /* a chunk bigger than the gap between the two would only swap which
     * of them is fuller: such chunks stay */
    double cap = (double)(live[src].capacity < live[dst].capacity ? live[src].capacity
                                                                   : live[dst].capacity);
    balance_pick p = { .b = b, .now = now, .source = live[src].index,
                       .target = live[dst].index, .racks = (const char (*)[REGISTRY_RACK_MAX])racks,
                       .nservers = nservers,
                       .budget = (uint64_t)(want < b->credit ? want : b->credit),
                       .max_len = (uint64_t)((hi - lo) * cap) };
    size_t first = b->nmoves;
    if (p.budget > 0 && b->nmoves < BALANCE_MAX_MOVES)
        namespace_each(b->m->ns, balance_pick_file, &p);
    uint64_t bytes = 0;
    const char *from = registry_addr(b->m->reg, p.source), *to = registry_addr(b->m->reg, p.target);
    for (size_t i = first; i < b->nmoves; i++) {
        outbox_copy(b->m->outbox, b->moves[i].source, b->moves[i].id, to);
        bytes += b->moves[i].length;
    }
    b->credit -= (double)bytes;
    if (b->credit < 0)
        b->credit = 0;
    if (p.chosen)
        log_info("balancer: moving %llu chunks (%.1f MB) from %s (%.1f%% used) to %s (%.1f%%)",
                 (unsigned long long)p.chosen, (double)bytes / 1e6, from, hi * 100, to, lo * 100);
    free(live);
    free(racks);
}
