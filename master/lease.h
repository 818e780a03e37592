/*
 * lease.h - chunk leases of the file table: allocating a chunk to write
 * (the seed's /allocate) and keeping a lease alive while it is written.
 */
#ifndef MINIDFS_LEASE_H
#define MINIDFS_LEASE_H

#include "namespace.h"

/* What an allocation hands back. */
typedef struct {
    char handle[CHUNKID_BUF];
    uint64_t version;
    int64_t lease_left_ms;
    unsigned nrep;
    uint16_t rep[PROTO_MAX_REPLICATION];   /* primary first */
} lease_allocation;

/* Allocates chunk index of file name, creating the file (empty, wanting
 * replication copies) if needed. An existing index returns that chunk
 * (idempotent); index == the chunk count adds a chunk placed on
 * plan[0..nplan-1]; a larger index is NS_BAD_INDEX. A chunk without a
 * lease in force gets one for lease_ms on its replicas, the first as
 * primary, and a new version. A file it creates is who's; one that is
 * there wants who to have write permission on it (NS_FORBIDDEN). */
ns_status lease_allocate(ns_table *ns, const char *name, uint32_t index, uint64_t chunk_size,
                         unsigned replication, const ns_who *who, const uint16_t *plan,
                         unsigned nplan, int64_t now_ms, int64_t lease_ms,
                         lease_allocation *out);
/* A chunkserver says it is still writing chunk index of fileid: the file
 * counts as touched now (a slow upload is not an abandoned one), and its
 * append lease, and the chunk's lease if server is its primary, run
 * lease_ms from now (a lease in force is renewed, never revived). */
void lease_renew(ns_table *ns, const char *fileid, uint32_t index, uint16_t server,
                 int64_t now_ms, int64_t lease_ms);

/* The lease of chunk index of f; with create, a fresh one if it has none
 * (NULL when memory runs out). The namespace's lock is held. */
ns_lease *lease_of(ns_file *f, uint32_t index, bool create);
/* Forgets the lease of chunk index of f (its slot is reused). */
void lease_drop(ns_file *f, uint32_t index);

#endif
