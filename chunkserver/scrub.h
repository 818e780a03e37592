/*
 * scrub.h - finding chunks that rotted on disk.
 *
 * A background thread re-reads every stored chunk, one after another, at
 * no more than --scrub-mbps, and compares its SHA-256 with the one in its
 * meta. A chunk whose bytes no longer match, or whose file vanished
 * without the store removing it, is reported to the master; a rotten copy
 * is removed only when the master answers that a good copy exists (it
 * then drops this replica and makes a new copy from a good one), and kept
 * otherwise: the last copies of a chunk may be all there is. The same
 * check runs at once for a chunk the master asks about (a client read it
 * back wrong).
 */
#ifndef MINIDFS_SCRUB_H
#define MINIDFS_SCRUB_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "masterlink.h"
#include "store.h"

typedef struct scrub scrub;

/* What the background scrubbing has done since start (GET /stats, /metrics). */
typedef struct {
    _Atomic uint64_t chunks;     /* chunks read and checked */
    _Atomic uint64_t passes;     /* passes over every stored chunk finished */
    _Atomic uint64_t rotten;     /* copies found not to match their checksum */
    _Atomic uint64_t bytes;      /* bytes read and checked */
} scrub_counters;

/* mbps <= 0: no background scrubbing (scrub_check still works). pause_ms:
 * the rest after each pass, and before looking again when nothing is
 * stored. counters (may be NULL) are counted up as the scrubbing goes. */
scrub *scrub_start(store *st, masterlink *ml, double mbps, long pause_ms, scrub_counters *counters);
void scrub_stop(scrub *s);

/* Checks chunk id now. True when it is sound; a corrupt or missing one is
 * reported (and a corrupt one removed if the master says so), and false
 * returned. */
bool scrub_check(store *st, masterlink *ml, const char *id);

#endif
