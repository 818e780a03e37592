/*
 * placement.h - which chunkservers get which chunk.
 *
 * For each chunk the policy picks up to N distinct servers, primary first:
 *   1. only servers with room for a chunk (unknown capacity counts as room);
 *   2. servers whose disk utilization is at or below the cluster average
 *      (within one percentage point) before fuller ones;
 *   3. replicas over as many racks as exist: a rack already holding a
 *      replica of the chunk is used again only when no other rack has a
 *      candidate; never two replicas on one server;
 *   4. the primary is the server closest to the writing client (same host,
 *      else same rack), else the least loaded;
 *   5. remaining ties go to the server given the fewest primaries (for a
 *      primary) and then the fewest replicas so far in this plan, then round-robin from a cursor that carries over between
 *      plans, so consecutive chunks, primaries and files spread evenly.
 */
#ifndef MINIDFS_PLACEMENT_H
#define MINIDFS_PLACEMENT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "protocol.h"

typedef struct {
    _Atomic uint64_t cursor;
} placement;

typedef struct {
    uint16_t index;          /* registry index, copied to the plan */
    uint16_t rack;           /* small rack number; equal numbers, same rack */
    uint64_t capacity, used; /* bytes; capacity 0: unknown */
    uint8_t closeness;       /* to the writer: 2 same host, 1 same rack, 0 neither */
} placement_server;

/* Fills out[i * r + k] with the registry index of the k-th server of chunk
 * i (k = 0 is the primary) and returns r = min(replication, servers with
 * room); 0 when no server has room. */
unsigned placement_plan(placement *p, const placement_server *servers, size_t n,
                        uint32_t nchunks, unsigned replication, uint64_t chunk_size,
                        uint16_t *out);

/* One more server for a chunk already held by holders[0..nholders-1]
 * (registry indices; those not among servers are taken as gone): the
 * same rules, none of the holders, racks without a copy first. False
 * when no server qualifies. */
bool placement_add(placement *p, const placement_server *servers, size_t n,
                   const uint16_t *holders, unsigned nholders, uint64_t chunk_size,
                   uint16_t *out);

#endif
