/*
 * master.h - the master process: the state every part of it shares, and
 * its entry point (master_main.c). Each part declares its own functions
 * in its own header (api.h, allocate.h, stdio_node.h, ...).
 */
#ifndef MINIDFS_MASTER_H
#define MINIDFS_MASTER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "census.h"
#include "chunkid.h"
#include "journal.h"
#include "namespace.h"
#include "outbox.h"
#include "placement.h"
#include "ratelimit.h"
#include "registry.h"
#include "safemode.h"
#include "secure.h"
#include "sightings.h"

typedef struct ha ha;   /* ha.h: a master of an HA cluster */

typedef struct {
    ns_table *ns;
    registry *reg;
    outbox *outbox;          /* what each chunkserver is owed, for its next heartbeat */
    journal *j;              /* NULL: nothing is kept across restarts */
    placement place;
    uint64_t chunk_size;
    unsigned replication;
    int64_t lease_ms;
    int64_t gc_grace_ms;     /* an unknown chunk younger than this is left alone */
    double gc_max_fraction;  /* a report whose deletions exceed this share is held back */
    sightings *seen;         /* unknown replicas, and since when the master has seen them */
    _Atomic int64_t seen_pruned_ms;
    safemode safe;
    unsigned max_repl_streams;   /* repair copies in flight per source chunkserver */
    unsigned report_pages;       /* pages of full reports judged at once (api.c) */
    /* random per start, and new when an HA master becomes active:
     * chunkservers send a full report when it changes */
    _Atomic uint64_t epoch;
    _Atomic unsigned reports_busy;   /* pages of full reports being judged now (api.c) */
    char cluster_id[CLUSTERID_LEN + 1];   /* "": none (a --stdio node) */
    bool ns_fresh;           /* the namespace was created by this start */
    _Atomic uint64_t read_turn;  /* rotates which live replica GET /get lists first */
    secure_state sec;        /* the cluster key: chunkservers' messages must be signed */
    ratelimit *reports;      /* clients' bad-copy and unreachable reports, per address */
    ha *ha;                  /* NULL: a single master, always the active one */
    /* monotonic ms before which no chunk or append lease is granted: a
     * master that took over waits out the leases its predecessor gave */
    _Atomic int64_t leases_from_ms;
    census_totals census;    /* what the cluster holds, as of the last repair scan */
    census_repairs repairs;
    double balance_threshold;    /* percentage points of disk use (balance.h) */
    uint64_t balance_bytes_per_s;    /* 0: no balancing */
    struct metrics_http *http;   /* requests per endpoint (metrics.h) */
} master;

/* Whether this master is the cluster's active one: it may change the
 * namespace and order chunkservers about (ha.h; a single master always). */
bool master_active(master *m);

/* True while the calling thread runs the items of a batch request
 * (master_api_batch), which makes all their changes durable at once
 * before it answers any of them. */
extern _Thread_local bool master_in_batch;

/* Makes the calling thread's namespace changes durable; false (and the
 * request must fail with 503) once the journal has failed. Inside a
 * batch, true at once: the batch's own call does it. */
static inline bool master_durable(master *m)
{
    return !m->j || master_in_batch || journal_sync_mine(m->j);
}

/* `minidfs master ...` */
int master_main(int argc, char **argv);

#endif
