/*
 * namespace_impl.h - the inside of the file table, shared by the files
 * that change it under its lock: namespace.c (files and chunks), tree.c
 * (the tree's shape and path keys), dirops.c (directories), lease.c
 * (chunk leases, allocation), append.c (appends), perm.c (owners and
 * modes), users.c (the users and their tokens, journalled beside the
 * files) and drain.c (the decommissioned chunkservers, likewise); and
 * the nodes' allocation with their names. Nothing else
 * includes it; everyone else goes through their headers.
 */
#ifndef MINIDFS_NAMESPACE_IMPL_H
#define MINIDFS_NAMESPACE_IMPL_H

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "namespace.h"
#include "nspath.h"
#include "record.h"

/* While a meta-dir from before directories is replayed: the file each old
 * name (by its identifier) now is, whatever path it was converted to. */
typedef struct ns_alias {
    char nameid[FILEID_LEN + 1];
    char fileid[FILEID_LEN + 1];
    uint64_t gen;
    struct ns_alias *next;
} ns_alias;

typedef struct ns_doomed_node {
    ns_doomed d;
    struct ns_doomed_node *next;
} ns_doomed_node;

/* Entries per bucket, on average, before a hash table (identifiers, path
 * keys) doubles: at 2 a hit costs 1.5 compares (each a key already in the
 * entry, no hashing) and the buckets 4 to 8 bytes per file and table,
 * where a load of 1 costs 8 to 16, a tenth of a file's memory. */
#define NS_CHAIN_LOAD 2

struct ns_table {
    pthread_rwlock_t lock;
    ns_dir *root;
    /* The path keys (tree.c): each file in the tree by the identifier of
     * its path its own identifier is not; a file whose identifier is
     * neither (renamed, or a data identifier) by the other one in kb2. */
    ns_file **kb;
    size_t nkb;        /* buckets, a power of two */
    size_t nkeyed;
    ns_file **kb2;
    size_t nkb2;       /* a power of two */
    size_t nkeyed2;
    size_t ndirs;      /* directories, the root too */
    size_t converted;  /* records of an old meta-dir replayed (namespace_converted) */
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
    char (*drained)[PROTO_MAX_SERVER_ADDR];   /* drain.c's: decommissioned servers */
    size_t ndrained, drained_cap;
    size_t open_total;           /* uploads in progress (ns_file.open) */
    size_t max_open, max_open_user;
    journal *j;             /* NULL: changes are not journalled */
};

/* A caller's path normalised into buf (every public call takes any
 * spelling); NULL when it is no path. */
static inline const char *namespace_norm(const char *in, char buf[NSPATH_MAX + 1])
{
    return in && nspath_normalize(in, buf) == NSPATH_OK ? buf : NULL;
}
#define NAMESPACE_NORM(path)                                   \
    char path##_buf[NSPATH_MAX + 1];                           \
    if (!((path) = namespace_norm((path), path##_buf)))        \
        return NS_BAD_PATH

/* The first 4 bytes of len bytes of name as one big-endian number (0 past
 * its end): ordered as strcmp orders names. */
static inline uint32_t namespace_name_head(const char *name, size_t len)
{
    uint32_t h = 0;
    for (size_t i = 0; i < 4; i++)
        h = h << 8 | (i < len ? (uint8_t)name[i] : 0u);
    return h;
}

/* Sets the head that goes with n's name. */
static inline void namespace_node_set_head(ns_node *n)
{
    const char *name = namespace_node_name(n);
    n->head = namespace_name_head(name, strlen(name));
}

/* A node of size bytes (a file's or, dir, a directory's struct) allocated
 * with room for name after it, zeroed, its name set: a name costs neither
 * an allocation (most are a few bytes; malloc's least is 32) nor a
 * pointer of its own. */
static inline void *namespace_node_alloc(size_t size, bool dir, const char *name)
{
    size_t len = strlen(name), room = len + 1 < sizeof(char *) ? sizeof(char *) : len + 1;
    ns_node *n = calloc(1, size + room);
    if (!n)
        return NULL;
    n->dir = dir;
    n->name_inline = true;
    memcpy(namespace_node_tail(n), name, len + 1);
    namespace_node_set_head(n);
    return n;
}

/* Frees a node's name when it has one of its own. */
static inline void namespace_node_name_free(ns_node *n)
{
    if (!n->name_inline)
        free((char *)namespace_node_name(n));
}

/* A renaming of n to name in two steps, so that nothing has changed when
 * memory runs out: prepare (false: no memory) while n is still in its
 * treap, then set once it is out of it. A name that fits where n's is
 * goes there; a longer one onto the heap (heap: its copy). */
static inline bool namespace_name_prepare(const ns_node *n, const char *name, char **heap)
{
    *heap = NULL;
    return strlen(name) <= strlen(namespace_node_name(n)) || (*heap = strdup(name)) != NULL;
}

static inline void namespace_name_set(ns_node *n, const char *name, char *heap)
{
    if (heap) {
        namespace_node_name_free(n);
        n->name_inline = false;
        memcpy(namespace_node_tail(n), &heap, sizeof heap);
    } else {
        memmove((char *)namespace_node_name(n), name, strlen(name) + 1);
    }
    namespace_node_set_head(n);
}

/* The first digits (at most 16) of a lowercase hex SHA-256 as a number:
 * already uniformly distributed, so they serve as a hash. */
static inline uint64_t namespace_hex_prefix(const char *hex, int digits)
{
    uint64_t h = 0;
    for (int i = 0; i < digits; i++) {
        char c = hex[i];
        h = (h << 4) | (uint64_t)(c <= '9' ? c - '0' : c - 'a' + 10);
    }
    return h;
}

/* A directory gained an entry at t: its mtime moves forward, never back
 * (a checkpoint's directory record comes before its entries' records). */
static inline void namespace_touch(ns_node *d, int64_t t)
{
    if (t > d->mtime_ms)
        d->mtime_ms = t;
}

/* Everything below wants the write lock held (the lookups: either lock). */

/* ---- tree.c: the tree's shape (every one wants a lock held; the ones
 * that change something, the write lock) ---- */
/* The entry of d named by len bytes of name (not terminated). */
ns_node *tree_find(const ns_dir *d, const char *name, size_t len);
/* Puts n (with its name set, in no directory) among d's entries. */
void tree_insert(ns_dir *d, ns_node *n);
/* Takes n out of d's entries; n->parent becomes NULL. */
void tree_remove(ns_dir *d, ns_node *n);
/* d's first entry whose name sorts after name ("": the first). */
ns_node *tree_after(const ns_dir *d, const char *name);
/* A walk of a directory's entries in order, from after a name: one
 * descent to start, then each entry in O(1) amortised (a stack of the
 * treap's ancestors). */
#define TREE_ITER_DEPTH 128
typedef struct {
    const ns_dir *d;
    ns_node *stack[TREE_ITER_DEPTH];
    unsigned depth;
    bool overflow;          /* a treap deeper than the stack: entry by entry */
    const char *after;      /* the caller's: valid while the walk is */
    const ns_node *last;
} tree_iter;
void tree_iter_start(tree_iter *it, const ns_dir *d, const char *after);
/* The next entry, NULL after the last. */
const ns_node *tree_iter_next(tree_iter *it);
/* The node at a normalised path: NS_OK, NS_NOT_FOUND, or NS_NOT_DIR when
 * a component above the end is a file. */
ns_status tree_lookup(const ns_table *ns, const char *path, ns_node **out);
/* n's path into out (cut short past cap); its length. */
size_t tree_path(const ns_node *n, char *out, size_t cap);
/* Whether n is dir or lies beneath it. */
bool tree_within(const ns_node *n, const ns_node *dir);
/* Calls fn on n and everything beneath it, parents first; stops when fn
 * returns false (and returns false). fn may change nothing of the tree. */
bool tree_walk(ns_node *n, bool (*fn)(ns_node *n, void *ud), void *ud);
/* The identifiers of a path (nspath_id, nspath_id_slashed): hashed
 * before the lock is taken, where a caller can. */
typedef struct {
    char id[2][FILEID_LEN + 1];
} ns_pathids;
bool namespace_pathids(const char *path, ns_pathids *out);
/* The path keys of f from its path now (ids: that path's identifiers,
 * or NULL to hash them here; false, nothing added, when hashing or
 * memory fails), and their removal (by the keys stored in f, whatever
 * its path is now). */
bool tree_keys_add(ns_table *ns, ns_file *f, const ns_pathids *ids);
void tree_keys_drop(ns_table *ns, ns_file *f);
/* The file in the tree whose path has identifier id (64 hex digits), with
 * or without its leading '/'. */
ns_file *tree_keys_find(ns_table *ns, const char *id);

/* Journals r if a journal is attached (encoding only then), and clears r. */
void namespace_log(ns_table *ns, record *r);
/* Journals the version counter's value. */
void namespace_log_counter(ns_table *ns);
/* The chunk record of chunk i of f as it stands. */
void namespace_chunk_record(const ns_file *f, uint32_t i, record *r);
/* f's rare part (ns_rare), made when it has none; NULL: out of memory. */
ns_rare *namespace_rare(ns_file *f);
/* Frees f's rare part once it holds nothing. */
void namespace_rare_trim(ns_file *f);
/* Unlinks f from its partner (partner NULL) or, with f's rare part made,
 * sets it. */
void namespace_set_partner(ns_file *f, ns_file *partner);
/* Makes f the replacement of old and old f's partner; false (nothing
 * changed) when memory runs out. */
bool namespace_pair(ns_file *f, ns_file *old);
/* The slot of the file whose own identifier is fileid, in hex (*slot
 * NULL: none; a fileid that is no identifier gets a slot nobody may
 * write), or fid, as bytes (the slot to hang a new file in). */
ns_file **namespace_slot(ns_table *ns, const char *fileid);
ns_file **namespace_slot_of(ns_table *ns, const uint8_t fid[SHA256_LEN]);
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
/* Gives f this owner and group (NULL: none), as the numbers of their
 * shared names (intern.h); false when memory, or room for another name,
 * runs out (f unchanged). */
bool namespace_file_own(ns_file *f, const char *owner, const char *group);

/* Gives n this owner and group (NULL: none), as namespace_file_own. */
bool namespace_node_own(ns_node *n, const char *owner, const char *group);
/* The file readers see at the path whose identifier is id, else the file
 * whose data identifier it is. */
ns_file *namespace_by_id(ns_table *ns, const char *id);
/* Frees a file (out of every structure already). */
void namespace_file_free(ns_file *f);
/* Takes f out of the identifier table and the tree (or off its file, a
 * replacement), with a replacement of its own; log: journal a delete. */
void namespace_unlink(ns_table *ns, ns_file *f, bool log);
/* Queues what unlinked f leaves on the chunkservers, and frees it. */
void namespace_queue_doom(ns_table *ns, ns_file *f);
/* Old names, while an old meta-dir is replayed. */
void namespace_alias_clear(ns_table *ns);

/* dirops.c's, shared with namespace.c. */
ns_dir *namespace_dir_new(const char *name, const char *owner, const char *group, unsigned mode,
                          uint64_t gen, int64_t t);
void namespace_dir_free(ns_dir *d);
/* Frees every directory beneath d (not d, not files). */
void namespace_dirs_free(ns_dir *d);
/* Where an entry at path is or would go, found in one walk: the deepest
 * existing directory on its way (dir: the parent when every directory
 * above is there), what of path is still to be made below it (rest: the
 * first missing component, else the last), and the entry at path (at: NULL
 * when there is none; the root for "/"). NS_NOT_DIR: a file on the way.
 * Valid while the caller holds the write lock and changes no directory. */
typedef struct {
    ns_dir *dir;
    const char *rest;
    ns_node *at;
} ns_place;
ns_status namespace_place(const ns_table *ns, const char *path, ns_place *pl);
/* Whether a new entry may be made there: who may write in pl->dir
 * (NS_FORBIDDEN). */
ns_status namespace_place_check(const ns_place *pl, const ns_who *who);
/* The directory the new entry at path goes in, made with those above it
 * that are missing (generation gen, time t, this owner, 0755); NULL when
 * memory runs out. */
ns_dir *namespace_place_make(ns_table *ns, const ns_place *pl, const char *path, uint64_t gen,
                             int64_t t, const char *owner, const char *group);
/* The same, each with a walk of its own: whether a new entry at path may
 * be made (every existing component above it a directory, NS_NOT_DIR; who
 * may write in the deepest, NS_FORBIDDEN), and its directory, made when
 * missing (NULL also when a file is in the way). */
ns_status namespace_parent_check(ns_table *ns, const char *path, const ns_who *who);
ns_dir *namespace_parent_make(ns_table *ns, const char *path, uint64_t gen, int64_t t,
                              const char *owner, const char *group);
/* The record (dir) of d at path; false when memory runs out. */
bool namespace_dir_record(const ns_dir *d, const char *path, record_kind kind, record *r);

/* users.c's part of a checkpoint and of namespace_clear. */
bool users_dump(ns_table *ns, bool (*emit)(void *sink, const record *r), void *sink);
void users_clear(ns_table *ns);
/* A user's uploads in progress (0 for a name that is not a user), and a
 * change of that count. */
size_t users_open(const ns_table *ns, const char *name);
void users_open_add(ns_table *ns, const char *name, int delta);

#endif
