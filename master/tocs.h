/*
 * tocs.h - the master's side of the master-to-chunkserver link: the calls
 * the master makes to chunkservers (today: deleting chunks).
 */
#ifndef MINIDFS_TOCS_H
#define MINIDFS_TOCS_H

#include "namespace.h"
#include "registry.h"

/* Best effort: asks each chunkserver holding a doomed chunk to delete it.
 * A chunkserver that cannot be reached keeps an orphan, which no reader is
 * ever sent to. Returns how many deletions failed. */
size_t tocs_delete_chunks(const registry *reg, const ns_doomed *doomed);

#endif
