/*
 * meta.h - the master's metadata on disk: the namespace is recovered from
 * --meta-dir at start (newest checkpoint, then the log after it), every
 * change is journalled from then on, a checkpoint is written whenever
 * --checkpoint-every records have piled up, and a last one at a clean
 * shutdown so the next start replays nothing.
 */
#ifndef MINIDFS_META_H
#define MINIDFS_META_H

#include <stddef.h>
#include <stdint.h>

#include "namespace.h"

typedef struct meta meta;

/* Recovers ns from dir and attaches the journal to it. NULL with err set
 * when the directory is unusable or its records are damaged. */
meta *meta_open(const char *dir, ns_table *ns, uint64_t checkpoint_every, char *err,
                size_t errlen);
/* Writes a final checkpoint and detaches the journal from the namespace. */
void meta_close(meta *m);
journal *meta_journal(meta *m);

#endif
