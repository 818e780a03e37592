/*
 * expiry.h - uploads nobody finishes.
 *
 * A write that dies half way (a Ctrl-C, a crashed client) leaves an
 * incomplete file behind: its chunks take room, its plan takes the
 * master's memory, and its name blocks every retry. A background thread of
 * the master removes a file that is incomplete and that nothing has
 * touched (no chunk first reported, none named by a chunkserver as being
 * written, no append committed) for --upload-expiry-ms (and a
 * twentieth of that at most, 30 s at most: the pass walks every file, so
 * it runs that often), like a delete: journalled, its chunks collected
 * through the heartbeats. Never in safe mode, when a file's chunks may
 * simply not have been reported yet.
 */
#ifndef MINIDFS_EXPIRY_H
#define MINIDFS_EXPIRY_H

#include <stdint.h>

#include "master.h"

typedef struct expiry expiry;

/* Starts the thread (expiry_ms > 0); NULL when it cannot start. */
expiry *expiry_start(master *m, int64_t expiry_ms);
void expiry_stop(expiry *e);

#endif
