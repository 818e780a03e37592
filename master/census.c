/*
 * census.c - one walk of the namespace counting what the cluster holds
 * and how healthy each chunk is (census.h). Runs on the repair thread,
 * in its scan's slices under the namespace's read lock
 * (namespace_scan_step); owns the walk's per-server tallies. Must never change the namespace or call anyone.
 */
#include "census.h"

#include <stdlib.h>

#include "log.h"
#include "protocol.h"
#include "repair.h"

struct census_walk {
    census_totals *t;
    registry *reg;
    int64_t now;
    uint64_t seq;
    uint64_t files, chunks, logical, stored, under, missing, over, corrupt, leases, appends;
    uint64_t *held, *needed;   /* REGISTRY_MAX each */
};

census_walk *census_begin(census_totals *t, registry *reg, int64_t now_ms)
{
    census_walk *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->held = calloc(REGISTRY_MAX, sizeof *w->held);
    w->needed = calloc(REGISTRY_MAX, sizeof *w->needed);
    if (!w->held || !w->needed) {
        free(w->held);
        free(w->needed);
        free(w);
        return NULL;
    }
    w->t = t;
    w->reg = reg;
    w->now = now_ms;
    w->seq = atomic_fetch_add(&t->seq, 1) + 1;
    return w;
}

static repair_holder census_holder(void *ud, uint16_t server)
{
    census_walk *w = ud;
    return repair_holder_of(w->reg, server, w->now);
}

void census_file(const ns_file *f, void *walk)
{
    census_walk *w = walk;
    static const uint16_t no_streams[REGISTRY_MAX];
    if (!f->replaces) {
        w->files++;
        w->logical += f->size;
    }
    if (f->rare) {
        w->appends += f->rare->append != NULL;
        for (uint32_t k = 0; k < f->rare->nleases; k++)
            w->leases += f->rare->leases[k].lease.until_ms > w->now;
    }
    for (uint32_t i = 0; i < f->ncommitted; i++) {
        const ns_chunk *c = &f->chunks[i];
        repair_verdict v;
        repair_judge(c, f->replication, census_holder, w, no_streams, 1, &v);
        w->chunks++;
        w->stored += namespace_chunk_length(f, i) * v.present;
        if (v.present == 0 && (c->flags & NS_CHUNK_STORED))
            w->missing++;
        else if (v.live < f->replication)
            w->under++;
        w->over += v.live > f->replication;
        w->corrupt += c->corrupt != 0;
        for (unsigned k = 0; k < c->nrep; k++) {
            uint16_t s = c->rep[k];
            w->held[s]++;
            /* a leaving server's copy is still needed while the chunk is
             * short of counted copies */
            if (v.live < f->replication && registry_draining(w->reg, s))
                w->needed[s]++;
        }
    }
}

void census_end(census_walk *w)
{
    census_totals *t = w->t;
    atomic_store(&t->files, w->files);
    atomic_store(&t->chunks, w->chunks);
    atomic_store(&t->logical_bytes, w->logical);
    atomic_store(&t->stored_bytes, w->stored);
    atomic_store(&t->under, w->under);
    atomic_store(&t->missing, w->missing);
    atomic_store(&t->over, w->over);
    atomic_store(&t->corrupt, w->corrupt);
    atomic_store(&t->leases, w->leases);
    atomic_store(&t->appends, w->appends);
    size_t n = registry_count(w->reg);
    for (size_t s = 0; s < n; s++) {
        uint16_t i = (uint16_t)s;
        registry_view before, after;
        registry_view_of(w->reg, i, w->now, &before);
        registry_set_census(w->reg, i, w->held[s], w->needed[s], w->seq);
        registry_view_of(w->reg, i, w->now, &after);
        if (after.drained && !before.drained)
            log_info("chunkserver %s decommissioned: each of the %llu chunks it holds has its "
                     "copies elsewhere; it may be stopped", after.addr,
                     (unsigned long long)after.held);
        else if (after.draining && !after.drained && after.needed != before.needed)
            log_info("chunkserver %s decommissioning: %llu of its %llu chunks still to copy",
                     after.addr, (unsigned long long)after.needed,
                     (unsigned long long)after.held);
        bool dead = !registry_heard(w->reg, i, w->now);
        if (registry_note_dead(w->reg, i, dead)) {
            if (dead)
                log_warn("chunkserver %s is dead: silent for %lld ms (it held %llu chunks)",
                         registry_addr(w->reg, i),
                         (long long)(w->now - registry_last_seen(w->reg, i)),
                         (unsigned long long)w->held[s]);
            else if (w->seq > 1)
                log_info("chunkserver %s is back", registry_addr(w->reg, i));
        }
    }
    atomic_store(&t->done, w->seq);
    atomic_store(&t->at_ms, w->now);
    free(w->held);
    free(w->needed);
    free(w);
}

int64_t census_age_ms(const census_totals *t, int64_t now_ms)
{
    if (!atomic_load(&t->done))
        return -1;
    return now_ms - atomic_load(&t->at_ms);
}
