/*
 * placement.c - the placement policy (rules in placement.h). Pure: it
 * decides from the server facts it is given and never looks at the
 * registry or namespace itself, so it is tested alone. The only shared
 * state is the cursor, advanced atomically so concurrent plans interleave
 * without a lock. Costs O(chunks * replication * servers).
 */
#include "placement.h"

#include <stdbool.h>
#include <stdlib.h>

typedef struct {
    const placement_server *s;
    bool below;          /* utilization at or below the average */
    uint32_t assigned;   /* replicas given in this plan */
    uint32_t primaries;  /* of which primaries */
} placement_cand;

/* True when a is the better choice than b for the next replica. */
static bool placement_better(const placement_cand *a, size_t ai, const placement_cand *b,
                             size_t bi, bool primary, uint64_t rot, size_t n)
{
    if (primary && a->s->closeness != b->s->closeness)
        return a->s->closeness > b->s->closeness;
    if (a->below != b->below)
        return a->below;
    if (primary && a->primaries != b->primaries)
        return a->primaries < b->primaries;
    if (a->assigned != b->assigned)
        return a->assigned < b->assigned;
    return (ai + n - rot % n) % n < (bi + n - rot % n) % n;
}

/* Candidates from the server facts: rule 1 (room) filters, rule 2 marks
 * the servers at or below the average. Returns how many; c holds n. */
static size_t placement_candidates(const placement_server *servers, size_t n,
                                   uint64_t chunk_size, placement_cand *c)
{
    size_t m = 0;
    unsigned __int128 sum_used = 0, sum_cap = 0;
    for (size_t i = 0; i < n; i++) {
        const placement_server *s = &servers[i];
        if (s->capacity && (s->used > s->capacity || s->capacity - s->used < chunk_size))
            continue;   /* rule 1: no room */
        c[m++] = (placement_cand){ .s = s };
        if (s->capacity) {
            sum_used += s->used;
            sum_cap += s->capacity;
        }
    }
    /* rule 2: used/capacity <= sum_used/sum_cap + 1%, cross-multiplied. The
     * point of slack keeps servers sharing one disk (whose figures differ
     * only by when each was read) in one tier. */
    for (size_t i = 0; i < m; i++) {
        const placement_server *s = c[i].s;
        c[i].below = !s->capacity || (unsigned __int128)s->used * sum_cap * 100 <=
                                         (sum_used * 100 + sum_cap) * (unsigned __int128)s->capacity;
    }
    return m;
}

/* Is candidate i already chosen, or on a rack a chosen one is on? */
static void placement_against(const placement_cand *c, const size_t *chosen, unsigned k, size_t i,
                              bool *taken, bool *rack_used)
{
    *taken = *rack_used = false;
    for (unsigned q = 0; q < k; q++) {
        *taken |= chosen[q] == i;
        *rack_used |= c[chosen[q]].s->rack == c[i].s->rack;
    }
}

/* Picks the next replica after chosen[0..k-1] among c[0..m-1] (rules 3
 * to 5); m when every candidate is taken. */
static size_t placement_pick(const placement_cand *c, size_t m, const size_t *chosen, unsigned k,
                             bool primary, uint64_t rot)
{
    /* rule 3: a rack not yet holding this chunk, if any candidate has one */
    bool fresh_rack_exists = false, taken, rack_used;
    for (size_t i = 0; i < m && !fresh_rack_exists; i++) {
        placement_against(c, chosen, k, i, &taken, &rack_used);
        fresh_rack_exists = !taken && !rack_used;
    }
    size_t best = m;
    for (size_t i = 0; i < m; i++) {
        placement_against(c, chosen, k, i, &taken, &rack_used);
        if (taken || (fresh_rack_exists && rack_used))
            continue;
        if (best == m || placement_better(&c[i], i, &c[best], best, primary, rot, m))
            best = i;
    }
    return best;
}

unsigned placement_plan(placement *p, const placement_server *servers, size_t n,
                        uint32_t nchunks, unsigned replication, uint64_t chunk_size,
                        uint16_t *out)
{
    if (n == 0 || nchunks == 0 || replication == 0)
        return 0;
    placement_cand *c = calloc(n, sizeof *c);
    if (!c)
        return 0;
    size_t m = placement_candidates(servers, n, chunk_size, c);
    unsigned r = replication < m ? replication : (unsigned)m;
    if (r > PROTO_MAX_REPLICATION)
        r = PROTO_MAX_REPLICATION;
    uint64_t start = atomic_fetch_add(&p->cursor, nchunks);
    size_t chosen[PROTO_MAX_REPLICATION];
    for (uint32_t ch = 0; r > 0 && ch < nchunks; ch++) {
        for (unsigned k = 0; k < r; k++) {
            size_t best = placement_pick(c, m, chosen, k, k == 0, start + ch);
            chosen[k] = best;
            c[best].assigned++;
            c[best].primaries += k == 0;
            out[(size_t)ch * r + k] = c[best].s->index;
        }
    }
    free(c);
    return r;
}

bool placement_add(placement *p, const placement_server *servers, size_t n,
                   const uint16_t *holders, unsigned nholders, uint64_t chunk_size,
                   uint16_t *out)
{
    placement_cand *c = calloc(n ? n : 1, sizeof *c);
    if (!c)
        return false;
    size_t m = placement_candidates(servers, n, chunk_size, c);
    /* The live holders count as chosen - never picked again, their racks
     * used - also when a full disk kept them out of the candidates (they
     * then sit past c[m], where only their racks are looked at). */
    size_t chosen[PROTO_MAX_REPLICATION], extra = m;
    unsigned k = 0;
    for (unsigned h = 0; h < nholders && k < PROTO_MAX_REPLICATION; h++) {
        size_t i = 0;
        while (i < n && servers[i].index != holders[h])
            i++;
        if (i == n)
            continue;   /* not live: neither its server nor its rack holds a copy */
        size_t j = 0;
        while (j < m && c[j].s != &servers[i])
            j++;
        if (j == m) {
            c[extra] = (placement_cand){ .s = &servers[i] };
            j = extra++;
        }
        chosen[k++] = j;
    }
    size_t best = placement_pick(c, m, chosen, k, false, atomic_fetch_add(&p->cursor, 1));
    bool found = best < m;
    if (found)
        *out = c[best].s->index;
    free(c);
    return found;
}
