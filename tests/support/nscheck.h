/*
 * nscheck.h - test support: does a namespace survive its own checkpoint,
 * and what does it hold under a name? Used by the unit tests and the fuzz
 * targets alike.
 */
#ifndef MINIDFS_NSCHECK_H
#define MINIDFS_NSCHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "namespace.h"

/* Dumps ns as a checkpoint would, applies every record to a new namespace
 * as recovery would, dumps that, and compares the two (as sets of records
 * with sorted keys). False with err saying where they part. */
bool nscheck_roundtrip(ns_table *ns, char *err, size_t errlen);
/* The file readers see under name (NULL: none). The pointer is valid
 * until the namespace next changes: single-threaded tests only. */
const ns_file *nscheck_lookup(ns_table *ns, const char *name);
/* A namespace_with_file callback: stores the file in *(const ns_file **)ud. */
void nscheck_grab(const ns_file *f, void *ud);

#endif
