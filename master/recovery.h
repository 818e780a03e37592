/*
 * recovery.h - the master's metadata on disk: the namespace is recovered from
 * --meta-dir at start (newest checkpoint, then the log after it), every
 * change is journalled from then on, a checkpoint is written whenever
 * --checkpoint-every records have piled up, and a last one at a clean
 * shutdown so the next start replays nothing. A namespace without a
 * cluster id (a new one, or one from before cluster ids) is given one, at
 * random, before the master serves anything.
 */
#ifndef MINIDFS_RECOVERY_H
#define MINIDFS_RECOVERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "namespace.h"

typedef struct recovery recovery;

/* Recovers ns from dir, gives it a cluster id if it has none, and attaches
 * the journal to it. NULL with err set when the directory is unusable or
 * its records are damaged (with recover, a damaged log is cut at the
 * damage instead, its rest kept aside, and said so in the log). */
recovery *recovery_open(const char *dir, ns_table *ns, uint64_t checkpoint_every, bool recover,
                char *err, size_t errlen);
/* True when dir held no namespace at all: this master created it now. */
bool recovery_fresh(const recovery *m);
/* Writes a final checkpoint and detaches the journal from the namespace. */
void recovery_close(recovery *m);
journal *recovery_journal(recovery *m);

#endif
