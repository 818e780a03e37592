/*
 * placement.h - which chunkservers get which chunk.
 *
 * Chunks go round-robin over the live chunkservers, continuing from where
 * the previous file stopped, so that load spreads evenly across files as
 * well as within one. Replicas of one chunk are always distinct servers.
 */
#ifndef MINIDFS_PLACEMENT_H
#define MINIDFS_PLACEMENT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    _Atomic uint64_t cursor;
} placement;

/* Fills out[i * r + k] (r = the returned replica count, at most
 * min(replication, nlive)) with the k-th server of chunk i. */
unsigned placement_plan(placement *p, const uint16_t *live, size_t nlive, uint32_t nchunks,
                        unsigned replication, uint16_t *out);

#endif
