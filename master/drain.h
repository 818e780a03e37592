/*
 * drain.h - the chunkservers an operator decommissioned, kept with the
 * namespace: journalled (a "drain" record), in every checkpoint, followed
 * by standbys, so a decommission outlives a master restart or a failover.
 * The registry's flag (registry.h) is what placement and repair read; it
 * is set from here when the order is given and whenever the server
 * registers (every heartbeat).
 */
#ifndef MINIDFS_DRAIN_H
#define MINIDFS_DRAIN_H

#include <stdbool.h>

#include "namespace.h"
#include "record.h"

/* Decommissions (on) or recommissions addr ("HOST:PORT/"), journalled;
 * the caller makes it durable (master_durable) before answering.
 * NS_TOO_MANY past PROTO_MAX_CHUNKSERVERS servers. */
ns_status drain_set(ns_table *ns, const char *addr, bool on);
/* Whether addr is decommissioned, by the namespace's word. */
bool drain_has(ns_table *ns, const char *addr);

/* The record's replay, its part of a checkpoint, and of namespace_clear
 * (called by the namespace with its lock held). */
bool drain_apply(ns_table *ns, const record *r);
bool drain_dump(ns_table *ns, bool (*emit)(void *sink, const record *r), void *sink);
void drain_clear(ns_table *ns);

#endif
