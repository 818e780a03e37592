/*
 * census.h - what the cluster holds and how healthy it is, counted in
 * each scan of the namespace repair makes (repair.c drives it, in slices): files,
 * chunks, logical and stored bytes, chunks short of copies, without any,
 * with too many, with a rotten copy, open leases and appends, and per chunkserver the chunks it
 * holds and those that still need it (decommission, registry.h). The
 * totals are atomics the metrics, the report and the dashboard read
 * without a lock; they are as old as the last walk (census_age_ms).
 * The walk also notes chunkservers dying and coming back and a
 * decommission's progress, one log line each. Never changes the namespace, never orders a chunkserver.
 */
#ifndef MINIDFS_CENSUS_H
#define MINIDFS_CENSUS_H

#include <stdatomic.h>
#include <stdint.h>

#include "namespace.h"
#include "registry.h"

typedef struct {
    _Atomic uint64_t seq;          /* walks begun; 0: none yet */
    _Atomic uint64_t done;         /* the walk the figures come from */
    _Atomic int64_t at_ms;         /* monotonic ms when that walk ended */
    _Atomic uint64_t files, chunks, logical_bytes, stored_bytes;
    _Atomic uint64_t under, missing, over, corrupt;
    _Atomic uint64_t leases, appends;   /* chunk leases unexpired, appends under way */
} census_totals;

/* What repair has done (repair.c counts, the metrics read). */
typedef struct {
    _Atomic uint64_t queued;        /* short chunks the last pass found and left for later */
    _Atomic uint64_t in_flight;     /* copies ordered and not yet landed */
    _Atomic uint64_t started;       /* copies ordered, ever */
    _Atomic uint64_t done;          /* copies that landed, ever */
    _Atomic uint64_t trimmed;       /* surplus or rotten copies dropped, ever */
    _Atomic uint64_t moved;         /* the balancer's moves done, ever */
    _Atomic uint64_t scan_ms;       /* how long the last whole scan took (its slices, and between) */
    _Atomic uint64_t slice_max_us;  /* its longest hold of the namespace's lock */
} census_repairs;

typedef struct census_walk census_walk;

/* Begins a walk (seq moves on); NULL when out of memory. */
census_walk *census_begin(census_totals *t, registry *reg, int64_t now_ms);
/* Counts one file (namespace_each's callback). */
void census_file(const ns_file *f, void *walk);
/* Publishes the walk's figures, and logs chunkservers that died or came
 * back since the last one; frees the walk. */
void census_end(census_walk *w);

/* How old the figures are, in ms; -1 when no walk has ended yet. */
int64_t census_age_ms(const census_totals *t, int64_t now_ms);

#endif
