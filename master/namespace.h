/*
 * namespace.h - the master's directory tree, its files, and where their
 * chunks are.
 *
 * Paths are normalised (nspath.h) before they get here: "/logs/a.txt".
 * Directories are entries of their own, each holding its entries sorted by
 * name (tree.c); files hang in them. A file is also known by identifier,
 * the name its chunks carry (<identifier>_<index>): for a new file the
 * identifier of its path (nspath_id: sha256 of "logs/a.txt", the seed's
 * spelling), or, when another file still uses that one (it was renamed
 * away) or for an overwrite, a data identifier sha256("<path>\n<gen>"),
 * which no path has. Identifiers never change, renames move no data. A
 * request by identifier finds the file whose current path has that
 * identifier, with or without its leading '/' (the path keys, tree.c), or
 * a file by its data identifier. A file is created incomplete with a fixed
 * size and chunk size, and becomes complete when every chunk has been
 * reported stored by at least one chunkserver. An overwrite of a complete
 * file is a replacement beside it, outside the tree; readers keep the old
 * version until the replacement's last chunk is stored, which puts it in
 * the old one's place in the same step (its journal record implies the
 * swap). Chunkservers appear here only as small registry indices.
 *
 * Every change that must survive a restart (an entry made, moved or
 * removed, a chunk stored, a new chunk version) is appended to the journal
 * as one record (record.h), if a journal is attached, under the same lock
 * that makes the change, so the log's order is the order of the changes: a
 * rename or a recursive removal of a whole tree is one record, and a crash
 * leaves it done or not. Chunk locations are not journalled: the
 * chunkservers report them again after a restart. Records are idempotent,
 * so replaying one the checkpoint already contains changes nothing.
 */
#ifndef MINIDFS_NAMESPACE_H
#define MINIDFS_NAMESPACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "chunkid.h"
#include "chunkpack.h"
#include "journal.h"
#include "protocol.h"
#include "record.h"
#include "intern.h"
#include "sha256.h"


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
    NS_BAD_SUM,     /* a reported chunk's SHA-256 differs from the recorded one */
    NS_BUSY,        /* another client is appending to the file */
    NS_INCOMPLETE,  /* the file is not complete (append) / the append is not (commit) */
    NS_BAD_TOKEN,   /* no append of that token is in progress */
    NS_FORBIDDEN,   /* the asker's permissions do not allow it */
    NS_TOO_MANY,    /* too many uploads in progress (namespace_set_limits) */
    NS_BAD_PATH,    /* not a path nspath_normalize accepts */
    NS_NOT_DIR,     /* a component of the path, or the path, is a file */
    NS_IS_DIR,      /* a file operation on a directory */
    NS_NOT_EMPTY,   /* a directory with entries, removed without recursion */
    NS_INVALID,     /* an operation that cannot be: the root moved or removed, a
                     * directory moved into itself */
    NS_ID_TAKEN,    /* the path's identifier is still a renamed file's, and the
                     * asker cannot write under another */
} ns_status;

/* Who asks, on a secure master: a user (a bearer token's holder, users.h)
 * and the one group it is in. Every function that takes a const ns_who *
 * checks nothing when it is NULL: an open master, or the cluster's own
 * servers, whose signed requests are checked by the API. */
#define NS_PRINCIPAL_MAX 64
typedef struct {
    char user[NS_PRINCIPAL_MAX + 1];
    char group[NS_PRINCIPAL_MAX + 1];
    bool super;
} ns_who;

/* Mode bits and what they let whom do: perm.h. */
#define NS_MODE_DEFAULT 0644u

/* The HTTP status that answers a request that ended in st (one table, in
 * namespace.c); the handler words the message. */
unsigned namespace_http_status(ns_status st);

/* What a chunkserver's full report says about one replica it holds. */
typedef enum {
    NS_REPLICA_KEEP,      /* a current replica: recorded */
    NS_REPLICA_STALE,     /* an older version, or wrong bytes: delete it */
    NS_REPLICA_UNKNOWN,   /* no such chunk: garbage once old enough */
    NS_REPLICA_PENDING,   /* a version newer than the master's, or a chunk of a live file
                           * not yet reported stored (an upload): leave it */
} ns_replica_verdict;

/* A chunk's lease, for chunks handed out by allocation: the replicas it
 * was placed on (primary first), the primary's lease, and the version that
 * lease created. Versions come from one counter for the whole namespace,
 * so they only grow, also across a delete and re-creation of a name. */
typedef struct {
    uint64_t version;
    int64_t until_ms;                /* lease expiry, monotonic ms */
    uint8_t nrep;
    uint16_t rep[PROTO_MAX_REPLICATION];
} ns_lease;

#define NS_CHUNK_STORED  1u   /* some chunkserver reported it complete */
#define NS_CHUNK_HAS_SHA 2u   /* sha holds its SHA-256 */

typedef struct {
    uint64_t version;                /* replicas reporting less are stale */
    uint8_t sha[SHA256_LEN];
    uint8_t flags;
    uint8_t nrep;
    uint8_t corrupt;                 /* bit k: rep[k]'s copy failed its checksum, and is
                                      * kept only because no good copy is known */
    uint16_t rep[PROTO_MAX_REPLICATION];   /* registry indices, in report order */
} ns_chunk;   /* 64 bytes: a million chunks in 64 MB (leases live beside, in their file) */

/* A chunk's lease, kept by its file: few chunks ever have one. */
typedef struct {
    uint32_t index;
    ns_lease lease;
} ns_chunk_lease;

/* An append in progress: one per file at a time. Its new chunks sit in
 * the file's chunk array past the committed ones; the filled last chunk's
 * new version, holders and checksum wait here until the commit makes them
 * the chunk's, so readers of the committed bytes never see them. */
typedef struct {
    uint64_t token;
    int64_t until_ms;            /* the append's lease */
    uint64_t version;            /* of the filled chunk and the new chunks */
    uint64_t new_size;
    int64_t fill_index;          /* -1: no partial last chunk to fill */
    uint64_t fill_size;          /* the filled chunk's length after the append */
    bool fill_done;
    uint8_t fill_sha[SHA256_LEN];
    uint8_t fill_nrep;
    uint16_t fill_rep[PROTO_MAX_REPLICATION];
} ns_append;

/* What few files have, kept out of line (ns_file.rare) so that the many
 * without pay one pointer for it: leases of allocated chunks, an append
 * in progress, an overwrite's partner. Freed once it holds none of them. */
typedef struct ns_rare {
    ns_chunk_lease *leases;  /* the chunks allocated with a lease */
    uint32_t nleases;
    ns_append *append;       /* NULL: none in progress */
    /* Of a file in the tree: its overwrite being written (NULL: none); of
     * a replacement: the file it replaces. */
    struct ns_file *replacement;
    /* Of a file whose identifier is neither of its path's (renamed, or
     * given a data identifier): its second path key (tree.c), the
     * slashed spelling's first 32 bits and hash chain. */
    bool keyed2;
    uint32_t key2;
    struct ns_file *knext2;
} ns_rare;

/* What files and directories share: their place in the tree and their
 * attributes. A replacement (an overwrite under way) is outside the tree
 * (parent NULL) until it takes its file's place. */
typedef struct ns_node {
    /* What a treap descent reads, together in the node's first cache line:
     * one line per level, not two. */
    struct ns_node *left, *right;   /* the parent's entries: a treap by name (tree.c) */
    uint32_t head;                  /* name's first 4 bytes, big-endian: most treap
                                     * comparisons end here, without the name's memory */
    uint16_t mode;                  /* permission bits (perm.h) */
    bool dir;
    /* The last component ("" for the root): after the struct, in the same
     * allocation, or (false) on the heap, its pointer kept there instead
     * (namespace_node_name reads it). */
    bool name_inline;
    struct ns_dir *parent;          /* NULL: the root, or outside the tree */
    int64_t ctime_ms, mtime_ms;     /* wall clock: made; content or entries last changed */
    /* The numbers of its owner's and group's names (intern.h; 0: none,
     * made on an open master): namespace_owner, namespace_group. */
    uint16_t owner_id, group_id;
    /* A file's: the first 32 bits of the path identifier it is found by
     * in the path keys (tree.c); here, where the node has room. */
    uint32_t key;
} ns_node;

typedef struct ns_dir {
    ns_node node;
    uint64_t generation;     /* from the namespace's counter, as files' */
    ns_node *entries;        /* the treap's root */
    uint64_t nentries;
    char tail[];             /* the node's name (namespace_node_tail) */
} ns_dir;

#define NS_DIR_MODE_DEFAULT 0755u
#define NS_ROOT_MODE 01777u    /* like /tmp: anyone creates, owners remove (perm.h) */

typedef struct ns_file {
    ns_node node;            /* first: a file is a node */
    /* The identifier its chunks are named with, as bytes: its hex is
     * namespace_file_id's (32 bytes where the hex took 65). */
    uint8_t fid[SHA256_LEN];
    uint8_t replication;     /* replicas wanted per chunk */
    bool replaces;           /* this file is a replacement: not in the tree yet */
    bool own_id;             /* fid is a data identifier, no path's */
    bool open;               /* counted as an upload in progress (namespace_set_limits) */
    uint32_t nchunks;        /* chunk slots, including an append's new ones */
    uint64_t generation;     /* unique per creation, for the cluster's lifetime */
    uint64_t size;
    uint32_t chunk_size;     /* at most PROTO_MAX_CHUNK_SIZE (namespace_size_ok) */
    uint32_t ncommitted;     /* the chunks readers see */
    uint32_t nstored;        /* chunks with at least one replica */
    /* The monotonic clock's low 32 bits (ms) at its creation, last append
     * commit, last first report of a chunk version, or last heartbeat
     * naming a chunk of it as being written: namespace_touched_age. */
    uint32_t touched;
    ns_chunk *chunks;
    struct ns_rare *rare;    /* NULL: no lease, append or overwrite under way */
    struct ns_file *next;    /* hash chain by fileid */
    struct ns_file *knext;   /* the path keys' hash chain (tree.c) */
    char tail[];             /* the node's name (namespace_node_tail) */
} ns_file;   /* 160 bytes, its name after it: mind the master's memory */

/* What a removal leaves to clean up on the chunkservers. */
typedef struct {
    char fileid[FILEID_LEN + 1];
    size_t n;
    struct ns_doomed_chunk { uint32_t index; uint16_t server; uint64_t version; } *items;
} ns_doomed;

typedef struct ns_table ns_table;

ns_table *namespace_new(void);
void namespace_free(ns_table *ns);

/* The cluster this namespace belongs to: "" until one is set (a new
 * namespace, or one from before cluster ids). Set once, journalled; out
 * has room for CLUSTERID_LEN + 1 bytes. */
void namespace_cluster_id(ns_table *ns, char *out);
/* Gives the namespace its cluster id (valid, and none set yet: false
 * otherwise). The caller makes it durable. */
bool namespace_set_cluster_id(ns_table *ns, const char *id);

/* Bounds on uploads in progress (files created with chunks and not yet
 * complete): max_total in all, max_per_user for each user (superusers and
 * files without an owner count only in the total); 0: no bound. A create
 * or overwrite past one is NS_TOO_MANY. Counted from this master's start:
 * uploads left unfinished before a restart go with the expiry. */
void namespace_set_limits(ns_table *ns, size_t max_total, size_t max_per_user);
/* Uploads in progress now, in all and of one user. */
size_t namespace_open_uploads(ns_table *ns, const char *user);

/* From now on every durable change is appended to j (NULL: none). The
 * caller makes a change durable with journal_sync_mine before answering. */
void namespace_set_journal(ns_table *ns, journal *j);
/* Forgets every file, the counter and the cluster id: recovery starts over
 * from an older checkpoint. */
void namespace_clear(ns_table *ns);
/* Applies one journal or checkpoint record (recovery, or a record shipped
 * from elsewhere; nothing is journalled again) under the write lock,
 * through record.c's table; false when it cannot be applied. */
bool namespace_apply(ns_table *ns, const record *r);
/* The apply column of record.c's table, one per kind (the write lock is
 * held: call them through namespace_apply). */
bool namespace_apply_create(ns_table *ns, const record *r);
bool namespace_apply_delete(ns_table *ns, const record *r);
bool namespace_apply_chunk(ns_table *ns, const record *r);
bool namespace_apply_size(ns_table *ns, const record *r);
bool namespace_apply_file(ns_table *ns, const record *r);
bool namespace_apply_counter(ns_table *ns, const record *r);
bool namespace_apply_cluster(ns_table *ns, const record *r);
bool namespace_apply_dir(ns_table *ns, const record *r);
bool namespace_apply_rename(ns_table *ns, const record *r);
bool namespace_apply_rmtree(ns_table *ns, const record *r);
/* Emits the whole namespace as records for a checkpoint, under the read
 * lock (emit owns nothing of r once it returns). */
bool namespace_dump(ns_table *ns, bool (*emit)(void *sink, const record *r), void *sink);

/* Every committed chunk has been reported stored. */
bool namespace_file_complete(const ns_file *f);
/* Where a node's name is kept: right after its struct (a file's or a
 * directory's), at least a pointer's size; the name itself, or, when
 * name_inline is false, the pointer to its copy on the heap. */
static inline char *namespace_node_tail(const ns_node *n)
{
    return n->dir ? ((ns_dir *)n)->tail : ((ns_file *)n)->tail;
}

/* n's name, the last component of its path ("" for the root). */
static inline const char *namespace_node_name(const ns_node *n)
{
    const char *tail = namespace_node_tail(n), *heap;
    if (n->name_inline)
        return tail;
    memcpy(&heap, tail, sizeof heap);
    return heap;
}

_Static_assert(PROTO_MAX_CHUNK_SIZE <= UINT32_MAX, "ns_file.chunk_size is 32 bits");

/* A touch this far (ms) after the clock reading it is compared with: a
 * heartbeat that lands between a pass's reading of the clock and its look
 * at the file. */
#define NS_TOUCHED_AHEAD_MS 60000u

/* How long ago (ms) f was touched, by the monotonic clock: right for any
 * age under 49 days (f keeps the clock's low 32 bits); an older one reads
 * as its age modulo 2^32, which can only make a long-settled file look
 * recent to the repair for a moment (an upload expires within 30 days,
 * so none waits that long). A touch after now_ms is age 0, never 49 days
 * (which would expire an upload being written). */
static inline int64_t namespace_touched_age(const ns_file *f, int64_t now_ms)
{
    uint32_t age = (uint32_t)now_ms - f->touched;
    return age > UINT32_MAX - NS_TOUCHED_AHEAD_MS ? 0 : (int64_t)age;
}

/* n's owner's and group's names (NULL: none). */
static inline const char *namespace_owner(const ns_node *n)
{
    return intern_at(n->owner_id);
}
static inline const char *namespace_group(const ns_node *n)
{
    return intern_at(n->group_id);
}
/* f's append in progress (NULL: none). */
static inline ns_append *namespace_append_of(const ns_file *f)
{
    return f->rare ? f->rare->append : NULL;
}
/* Of a file in the tree, its overwrite being written; of a replacement,
 * the file it replaces (NULL: none). */
static inline ns_file *namespace_partner(const ns_file *f)
{
    return f->rare ? f->rare->replacement : NULL;
}
/* f's identifier in hex, as chunk ids spell it, into out (FILEID_LEN + 1
 * bytes); returns out. */
char *namespace_file_id(const ns_file *f, char *out);
uint64_t namespace_chunk_length(const ns_file *f, uint32_t index);


/* Every call below that takes a path takes it in any spelling (nspath.h),
 * NS_BAD_PATH for one that is no path. */

/* Creates an incomplete file at path wanting replication
 * copies of each chunk, owned by who (no owner when NULL), mode
 * NS_MODE_DEFAULT, with the missing directories above it (who's, 0755);
 * *generation and fileid receive its generation and identifier: the
 * path's (fileid may be NULL), or, when a renamed file still has that one and any_id says the
 * asker writes under whatever identifier it is given, a data identifier
 * (NS_ID_TAKEN otherwise). NS_BAD_SIZE beyond the limits
 * (PROTO_MAX_CHUNKS chunks of at most PROTO_MAX_CHUNK_SIZE); NS_EXISTS,
 * NS_IS_DIR, NS_NOT_DIR, NS_FORBIDDEN (who may not write in the directory
 * it goes in), NS_TOO_MANY. */
ns_status namespace_create(ns_table *ns, const char *path, uint64_t size, uint64_t chunk_size,
                           unsigned replication, const ns_who *who, bool any_id,
                           uint64_t *generation, char fileid[FILEID_LEN + 1]);
/* How f's committed chunks stand, counting as copies only the replicas on
 * servers for which live says true (live NULL: every recorded one) that
 * are not known to be rotten. */
typedef struct {
    uint32_t under;         /* fewer copies than the file wants */
    uint32_t unavailable;   /* stored, and no copy at all now */
    uint32_t corrupt;       /* of those, ones whose only holders are rotten copies */
} ns_health;
void namespace_health(const ns_file *f, bool (*live)(void *ud, uint16_t server), void *ud,
                      ns_health *out);
/* Whether holder k of c holds a copy known to be rotten. */
bool namespace_holder_corrupt(const ns_chunk *c, unsigned k);
/* Creates name for an overwrite: beside a complete file of that name, a
 * replacement, which takes the name over once complete (at once when it
 * has no chunks); in place of an incomplete one (removed), or of none, a
 * new file. A replacement already under way is dropped (the last writer
 * wins). *generation and dataid (the identifier the chunks are to be
 * named with) describe the new file. What it drops is queued for
 * namespace_take_doomed. Replacing a file wants who to have write
 * permission on it (NS_FORBIDDEN otherwise), and keeps its owner and mode;
 * a new name is who's, as with namespace_create. */
ns_status namespace_overwrite(ns_table *ns, const char *name, uint64_t size, uint64_t chunk_size,
                              unsigned replication, const ns_who *who, uint64_t *generation,
                              char dataid[FILEID_LEN + 1]);
/* What swaps and overwrites left on the chunkservers, one file at a time:
 * false when nothing is queued. The caller frees d (namespace_doomed_free). */
bool namespace_take_doomed(ns_table *ns, ns_doomed *d);
/* Removes the file at path (and a replacement under way); the caller owns
 * doomed (free with namespace_doomed_free); the replacement's part is
 * queued for namespace_take_doomed. who must be let unlink it
 * (perm_may_unlink; NS_FORBIDDEN); NS_IS_DIR for a directory. */
ns_status namespace_remove(ns_table *ns, const char *path, const ns_who *who,
                           ns_doomed *doomed);
void namespace_doomed_free(ns_doomed *d);
/* Removes up to max uploads nobody finished: files incomplete, with no
 * append in progress, untouched (no chunk reported, nothing committed) for
 * expiry_ms; each removal is journalled like a delete, and fn gets the
 * name and what it leaves on the chunkservers (fn must not call back into
 * the namespace's write side). Returns how many went. */
size_t namespace_expire(ns_table *ns, int64_t now_ms, int64_t expiry_ms, size_t max,
                        void (*fn)(void *ud, const char *name, ns_doomed *doomed), void *ud);
/* Records that server stores chunk index of file fileid at version; size
 * < 0, version 0 and sha NULL mean unknown (the Go protocol sends none of
 * them). On NS_BAD_SIZE *expected holds the right size; *version_out gets
 * the chunk's version. */
ns_status namespace_report(ns_table *ns, const char *fileid, uint32_t index, uint16_t server,
                           long long size, uint64_t version, const char *sha,
                           uint64_t *expected, uint64_t *version_out);
/* Judges one replica from a chunkserver's full report, recording it when
 * it is current. */
ns_replica_verdict namespace_check_replica(ns_table *ns, const char *fileid, uint32_t index,
                                           uint16_t server, uint64_t size, uint64_t version,
                                           const char *sha);
/* The same for n replicas of one server's report, under the write lock
 * NS_REPLICAS_PER_LOCK at a time (a page of a report is a few locks, not
 * thousands: a thousand servers reporting at once do not queue on it; and
 * a hold is a few hundred µs at 10M chunks, so that a holder preempted on
 * a busy machine rarely keeps a reader waiting).
 * Returns how many were new locations. */
#define NS_REPLICAS_PER_LOCK 128
/* A report's entry as chunkpack.h has it (JSON pages are read into the
 * same); age_ms is the caller's to judge, not the namespace's. */
typedef chunkpack_entry ns_replica_in;
size_t namespace_check_replicas(ns_table *ns, uint16_t server, const ns_replica_in *in, size_t n,
                                ns_replica_verdict *out);
/* Forgets server as a holder of chunk index of fileid (a bad replica). */
bool namespace_drop_replica(ns_table *ns, const char *fileid, uint32_t index, uint16_t server);
/* server found its copy of chunk index rotten. When another live holder
 * (live as for namespace_health) has a copy not known to be rotten, the
 * replica is dropped and true returned: the copy may go. Otherwise the
 * copy is kept, marked rotten, and false returned: the last copies of a
 * chunk are never deleted for failing their checksum (they may be all
 * there is, and a reader or an operator may still save most of it);
 * repair drops them once a good copy exists again. */
bool namespace_mark_corrupt(ns_table *ns, const char *fileid, uint32_t index, uint16_t server,
                            bool (*live)(void *ud, uint16_t server), void *ud);
/* The chunk's SHA-256 in hex into out ("" and false when none is recorded). */
bool namespace_chunk_sum(const ns_chunk *c, char out[SHA256_HEX_LEN + 1]);

/* Calls fn with the file under the read lock; the file must not escape fn.
 * fileid is the identifier of a path (with or without its leading '/': the
 * file readers see there) or a data identifier (a file's own, a
 * replacement's too). A file renamed away is not found by its old path's. */
ns_status namespace_with_file(ns_table *ns, const char *fileid,
                              void (*fn)(const ns_file *f, void *ud), void *ud);
/* Calls fn for every file readers see (no replacement) under the read lock. */
void namespace_each(ns_table *ns, void (*fn)(const ns_file *f, void *ud), void *ud);
/* The same walk in slices, each under the read lock for about budget
 * chunks (and files), so that a walk of millions never holds writers
 * off for long: sc (zeroed to begin) says where the last slice stopped.
 * True when the walk is done (sc is ready for the next). A file made or
 * removed between slices may be visited or not; none is visited twice. */
typedef struct {
    size_t nbuckets;   /* the table's size when the walk began; 0: not begun */
    size_t bucket;     /* the next bucket, of that size */
} ns_scan;
bool namespace_scan_step(ns_table *ns, ns_scan *sc, size_t budget,
                         void (*fn)(const ns_file *f, void *ud), void *ud);
size_t namespace_count(ns_table *ns);
/* The identifier of the path a request names in any spelling (what
 * namespace_with_file and the append and lease calls find it by):
 * NS_BAD_PATH for a name that is no path, or the root. */
ns_status namespace_nameid(const char *name, char out[FILEID_LEN + 1]);
/* f's path into out (a replacement's: its file's); its length. Under a lock. */
size_t namespace_path(const ns_file *f, char *out, size_t cap);
/* Wall-clock ms, as entries' times are kept. */
int64_t namespace_wall_ms(void);
/* Records of a meta-dir from before directories replayed since the start
 * (0: nothing to convert), and the end of that conversion (recovery.c
 * calls it once the log is replayed; a checkpoint then writes the new
 * format). */
size_t namespace_converted(ns_table *ns);
void namespace_conversion_done(ns_table *ns);

/* ---- directories and trees (dirops.c); paths are normalised ---- */

/* Makes the directory at path, mode bits mode (up to 01777), who's.
 * parents: the missing ones above it too, and no error when it is a
 * directory already; else NS_NOT_FOUND without its parent, NS_EXISTS when
 * anything is there. NS_FORBIDDEN unless who may write where it goes. */
ns_status namespace_mkdir(ns_table *ns, const char *path, bool parents, unsigned mode,
                          const ns_who *who);
/* Moves the file or directory at from to to, as one record: nothing
 * moves on the chunkservers. to's parent must be a directory; an entry at
 * to is NS_EXISTS unless replace (then a file may replace a file, an empty
 * directory a directory); NS_INVALID for the root or a directory moved into
 * itself; who must be let unlink from (and what to replaces) and write in
 * to's directory. */
ns_status namespace_rename(ns_table *ns, const char *from, const char *to, bool replace,
                           const ns_who *who);
/* Removes the file or directory at path: a directory with entries only
 * when recursive, with everything beneath it, as one record (who must be
 * let empty every directory in it). What the files leave on the
 * chunkservers is queued for namespace_take_doomed; *nfiles: files gone. */
ns_status namespace_remove_path(ns_table *ns, const char *path, bool recursive,
                                const ns_who *who, size_t *nfiles);
/* Calls fn with the node at path under the read lock; NS_FORBIDDEN when
 * who may not reach it (perm.h). */
ns_status namespace_with_path(ns_table *ns, const char *path, const ns_who *who,
                              void (*fn)(const ns_node *n, void *ud), void *ud);
/* Calls fn, under the read lock, with up to max entries of the directory
 * at path whose names sort after after ("" or NULL: from the first), in
 * order; *more: entries are left. A file lists as itself. NS_FORBIDDEN
 * unless who may read the directory (or reach the file). */
ns_status namespace_list(ns_table *ns, const char *path, const char *after, size_t max,
                         const ns_who *who, void (*fn)(const ns_node *n, void *ud), void *ud,
                         bool *more);
/* What a subtree holds, summed by the master. */
typedef struct {
    uint64_t files, dirs, bytes, chunks;
    uint64_t stored_bytes;   /* bytes times each file's replication */
} ns_usage;
/* NS_FORBIDDEN unless who may read the directory (or reach the file). */
ns_status namespace_du(ns_table *ns, const char *path, const ns_who *who, ns_usage *out);
/* Directories, the root too. */
size_t namespace_dir_count(ns_table *ns);
/* A node's generation (a file's or a directory's). */
uint64_t namespace_node_gen(const ns_node *n);

#endif
