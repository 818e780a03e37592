/*
 * namespace_impl.h - the inside of the file table, shared by the files
 * that change it under its lock: namespace.c (files and chunks), lease.c
 * (chunk leases, allocation), append.c (appends), perm.c (owners and
 * modes) and users.c (the users and their tokens, journalled beside the
 * files). Nothing else includes it; everyone else goes through their
 * headers.
 */
#ifndef MINIDFS_NAMESPACE_IMPL_H
#define MINIDFS_NAMESPACE_IMPL_H

#include <pthread.h>
#include <stdatomic.h>

#include "namespace.h"
#include "record.h"

/* A name whose file's identifier is not the name's own. */
typedef struct ns_alias {
    char nameid[FILEID_LEN + 1];
    ns_file *f;
    struct ns_alias *next;
} ns_alias;

typedef struct ns_doomed_node {
    ns_doomed d;
    struct ns_doomed_node *next;
} ns_doomed_node;

struct ns_table {
    pthread_rwlock_t lock;
    ns_file **buckets;
    size_t nbuckets;   /* a power of two */
    size_t count;
    ns_alias **aliases;
    size_t naliasb;    /* a power of two */
    size_t nalias;
    ns_doomed_node *doomed;   /* what swaps and overwrites left, for the caller */
    _Atomic size_t ndoomed;   /* its length: an empty queue costs no lock to ask */
    uint64_t counter;       /* last generation or chunk version handed out */
    char cluster[CLUSTERID_LEN + 1];   /* "": none yet */
    struct users_entry *users;   /* users.c's */
    size_t nusers;
    size_t open_total;           /* uploads in progress (ns_file.open) */
    size_t max_open, max_open_user;
    journal *j;             /* NULL: changes are not journalled */
};

/* Everything below wants the write lock held (the lookups: either lock). */

/* Journals r if a journal is attached (encoding only then), and clears r. */
void namespace_log(ns_table *ns, record *r);
/* Journals the version counter's value. */
void namespace_log_counter(ns_table *ns);
/* The chunk record of chunk i of f as it stands. */
void namespace_chunk_record(const ns_file *f, uint32_t i, record *r);
/* The slot of the file whose own identifier is fileid (*slot NULL: none). */
ns_file **namespace_slot(ns_table *ns, const char *fileid);
/* The file readers see under the name whose identifier is nameid. */
ns_file *namespace_named(ns_table *ns, const char *nameid);
/* Chunks a file of size bytes takes (chunk_size > 0). */
uint64_t namespace_chunks_for(uint64_t size, uint64_t chunk_size);
/* A file of size bytes in chunks of chunk_size is within the limits. */
bool namespace_size_ok(uint64_t size, uint64_t chunk_size);
/* Makes room for n chunk slots in f, the new ones zero; false when memory
 * runs out or n passes PROTO_MAX_CHUNKS. */
bool namespace_grow_chunks(ns_file *f, uint64_t n);
/* Forgets every holder of c (a new version: they hold the old one). */
void namespace_holders_clear(ns_chunk *c);
/* Gives f this owner and group (NULL: none); false when memory runs out
 * (f unchanged). */
bool namespace_file_own(ns_file *f, const char *owner, const char *group);

/* users.c's part of a checkpoint and of namespace_clear. */
bool users_dump(ns_table *ns, bool (*emit)(void *sink, const record *r), void *sink);
void users_clear(ns_table *ns);
/* A user's uploads in progress (0 for a name that is not a user), and a
 * change of that count. */
size_t users_open(const ns_table *ns, const char *name);
void users_open_add(ns_table *ns, const char *name, int delta);

#endif
