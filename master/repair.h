/*
 * repair.h - bringing chunks back to their replica count.
 *
 * A background thread of the master scans the namespace, in slices that
 * each hold its read lock briefly, for chunks with fewer live copies than
 * their file wants: chunks uploaded through the one-copy multipart path,
 * chunks whose pipeline lost a hop, chunks on a chunkserver that went
 * silent. It queues them by live copies, and hands copies out every tick,
 * fewest live copies first: for each it picks a live holder as the source
 * and a target by the placement policy among the live servers that lack
 * the chunk, preferring racks the chunk is not on yet, and tells the
 * source to copy it there in the answer to its next heartbeat, at most
 * --max-repl-streams copies per source at a time. The target reports the
 * new copy like any upload, so the namespace changes only through chunk
 * reports; a copy counts as done when its target holds the chunk or the
 * chunk is no longer short.
 *
 * A copy on a chunkserver being decommissioned (registry.h) does not
 * count, but is read from while its server lives, so draining a server
 * is repair's ordinary work.
 *
 * The same scan trims: a chunk with more live copies than its file wants
 * (a server came back after its chunks were copied elsewhere) loses the
 * newest-recorded one, deleted through that server's next heartbeat.
 * Neither happens in the master's safe mode (safemode.h), when copies are
 * merely not reported yet; a scan ends safe mode early once every
 * stored chunk has a reported holder.
 */
#ifndef MINIDFS_REPAIR_H
#define MINIDFS_REPAIR_H

#include <stdint.h>

#include "master.h"

typedef struct repair repair;

/* How a chunk's holder stands. */
typedef enum {
    REPAIR_DEAD,      /* silent, or shunned: its copy counts for nothing */
    REPAIR_LIVE,      /* its copy counts */
    REPAIR_LEAVING,   /* being decommissioned: read from, but not counted */
} repair_holder;

typedef struct {
    unsigned live;       /* copies that count: on live holders, not known to be rotten */
    unsigned present;    /* readable copies: those, and ones on leaving holders */
    int source;          /* a live holder of a good copy with a stream to spare; -1: none */
    int trim;            /* a surplus copy to drop (the newest live one); -1: none */
    uint8_t drop_rotten; /* bit k: holder k's rotten copy goes (a good one lives) */
    bool copy;           /* short of copies, and something to copy from */
} repair_verdict;

/* How server stands now in the registry: dead (silent or shunned),
 * leaving (being decommissioned) or live. */
repair_holder repair_holder_of(registry *reg, uint16_t server, int64_t now_ms);

/* Judges chunk c of a file wanting replication copies: holder(ud, server)
 * says how each holder stands, streams[server] how many copies each source
 * is already sending (at most max_streams). Pure: no lock, no registry. */
void repair_judge(const ns_chunk *c, unsigned replication,
                  repair_holder (*holder)(void *ud, uint16_t server), void *ud,
                  const uint16_t *streams, unsigned max_streams, repair_verdict *out);

/* max_per_pass: copies ordered per interval at most; 0: the scans only
 * take the census. */
repair *repair_start(master *m, int64_t interval_ms, unsigned max_per_pass);
void repair_stop(repair *r);

#endif
