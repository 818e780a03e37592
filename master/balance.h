/*
 * balance.h - evening out disk use between chunkservers (HDFS's
 * balancer, inside the master).
 *
 * While the live chunkservers' disk use (used / capacity, as their
 * heartbeats say) differs by --balance-threshold percentage points or
 * more, each repair scan that ends with no repair work waiting picks the fullest
 * and the emptiest server, and moves chunks from the one to the other: a
 * copy ordered through the source's heartbeat (as a repair copy is), and,
 * once the copy has landed, the source's copy dropped as the surplus one.
 * At most --balance-mbps of chunk bytes are set moving per second, only
 * chunks with all their copies, and only where the chunk keeps as many
 * racks as it had. One round of moves at a time: the next is planned a
 * second after the last move of the one before is over, on what the
 * heartbeats say then, and no round moves more than brings the fuller or
 * the emptier server to the mean, so the balancer does not overshoot.
 */
#ifndef MINIDFS_BALANCE_H
#define MINIDFS_BALANCE_H

#include <stdbool.h>
#include <stdint.h>

#include "master.h"

typedef struct balance balance;

/* threshold: percentage points of disk use; bytes_per_s: 0 turns it off. */
balance *balance_new(master *m, double threshold, uint64_t bytes_per_s);
void balance_free(balance *b);

/* One pass, on the repair thread, every interval_ms, when the master is
 * active, out of safe mode and repair has nothing waiting. */
void balance_pass(balance *b, int64_t now_ms, int64_t interval_ms);

/* The holder whose copy of chunk_id should go when the chunk has a copy
 * too many: a move's source, once its target holds the chunk; -1 when no
 * move of it is under way. */
int balance_surplus(balance *b, const char *chunk_id);

#endif
