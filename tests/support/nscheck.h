/*
 * nscheck.h - test support: does a namespace survive its own checkpoint?
 * Used by the unit tests and the fuzz targets alike.
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

#endif
