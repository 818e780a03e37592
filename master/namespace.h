/*
 * namespace.h - the master's table of files and of where their chunks are.
 *
 * A file is known by name and by identifier (sha256hex of the name); it is
 * created incomplete with a fixed size and chunk size, and becomes complete
 * when every chunk has been reported stored by at least one chunkserver.
 * Chunkservers appear here only as small registry indices.
 */
#ifndef MINIDFS_NAMESPACE_H
#define MINIDFS_NAMESPACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chunkid.h"

#define NS_MAX_REPLICAS 8

typedef enum {
    NS_OK = 0,
    NS_NOT_FOUND,   /* no such file */
    NS_EXISTS,      /* a file of that name exists */
    NS_BAD_INDEX,   /* the file has no such chunk */
    NS_BAD_SIZE,    /* a reported chunk has the wrong size */
    NS_DUPLICATE,   /* the chunkserver was already recorded for the chunk */
    NS_STALE,       /* the report is for an earlier generation of the file */
    NS_NO_MEMORY,
    NS_NO_SERVERS,  /* a new chunk, and nowhere to place it */
} ns_status;

/* A chunk's lease, for chunks handed out by allocation: the replicas it
 * was placed on (primary first), the primary's lease, and the version that
 * lease created. Versions come from one counter for the whole namespace,
 * so they only grow, also across a delete and re-creation of a name. */
typedef struct {
    uint64_t version;
    int64_t until_ms;                /* lease expiry, monotonic ms */
    uint8_t nrep;
    uint16_t rep[NS_MAX_REPLICAS];
} ns_lease;

typedef struct {
    uint8_t nrep;
    uint16_t rep[NS_MAX_REPLICAS];   /* registry indices, in report order */
    ns_lease *lease;                 /* NULL until the chunk is allocated */
} ns_chunk;

/* What an allocation hands back. */
typedef struct {
    char handle[CHUNKID_BUF];
    uint64_t version;
    int64_t lease_left_ms;
    unsigned nrep;
    uint16_t rep[NS_MAX_REPLICAS];   /* primary first */
} ns_allocation;

typedef struct ns_file {
    char *name;
    char fileid[FILEID_LEN + 1];
    uint64_t generation;     /* unique per creation, for the master's lifetime */
    uint64_t size;
    uint64_t chunk_size;
    uint32_t nchunks;
    uint32_t nstored;        /* chunks with at least one replica */
    uint8_t replication;     /* replicas wanted per chunk */
    ns_chunk *chunks;
    struct ns_file *next;    /* hash chain */
} ns_file;

/* What a removal leaves to clean up on the chunkservers. */
typedef struct {
    char fileid[FILEID_LEN + 1];
    size_t n;
    struct ns_doomed_chunk { uint32_t index; uint16_t server; } *items;
} ns_doomed;

typedef struct ns_table ns_table;

ns_table *namespace_new(void);
void namespace_free(ns_table *ns);

static inline bool namespace_file_complete(const ns_file *f) { return f->nstored == f->nchunks; }
uint64_t namespace_chunk_length(const ns_file *f, uint32_t index);

/* Creates an incomplete file wanting replication copies of each chunk;
 * *generation receives its generation. */
ns_status namespace_create(ns_table *ns, const char *name, uint64_t size, uint64_t chunk_size,
                           unsigned replication, uint64_t *generation);
/* Chunks of f with fewer replicas than it wants, counting only servers
 * for which live says true (live NULL: every recorded one). */
uint32_t namespace_under_replicated(const ns_file *f, bool (*live)(void *ud, uint16_t server),
                                    void *ud);
/* Removes a file; the caller owns doomed (free with namespace_doomed_free). */
ns_status namespace_remove(ns_table *ns, const char *name, ns_doomed *doomed);
void namespace_doomed_free(ns_doomed *d);
/* Records that server stores chunk index of file fileid; size < 0 and
 * generation 0 mean unknown (the Go protocol sends neither). On
 * NS_BAD_SIZE *expected holds the right size. */
ns_status namespace_report(ns_table *ns, const char *fileid, uint32_t index, uint16_t server,
                           long long size, uint64_t generation, uint64_t *expected);

/* Allocates chunk index of file name, creating the file (empty, wanting
 * replication copies) if needed. An existing index returns that chunk
 * (idempotent); index == the chunk count adds a chunk placed on
 * plan[0..nplan-1]; a larger index is NS_BAD_INDEX. A chunk without a
 * lease in force gets one for lease_ms on its replicas, the first as
 * primary, and a new version. */
ns_status namespace_allocate(ns_table *ns, const char *name, uint32_t index, uint64_t chunk_size,
                             unsigned replication, const uint16_t *plan, unsigned nplan,
                             int64_t now_ms, int64_t lease_ms, ns_allocation *out);

/* Calls fn with the file under the read lock; the file must not escape fn. */
ns_status namespace_with_file(ns_table *ns, const char *fileid,
                              void (*fn)(const ns_file *f, void *ud), void *ud);
/* Calls fn for every file under the read lock. */
void namespace_each(ns_table *ns, void (*fn)(const ns_file *f, void *ud), void *ud);
size_t namespace_count(ns_table *ns);

#endif
