/*
 * namespace.h - the master's table of files and of where their chunks are.
 *
 * A file is known by name and by identifier, the name its chunks carry
 * (<identifier>_<index>): sha256hex of the name for a file created fresh,
 * sha256hex of "<name>\n<generation>" for one an overwrite wrote, so that
 * the version it replaces keeps its chunks until the new one is whole. It
 * is created incomplete with a fixed size and chunk size, and becomes
 * complete when every chunk has been reported stored by at least one
 * chunkserver. An overwrite of a complete file is a replacement beside
 * it, reachable only by identifier; readers keep the old version until
 * the replacement's last chunk is stored, which swaps the two in the same
 * step (its journal record implies the swap). Chunkservers appear here
 * only as small registry indices.
 *
 * Every change that must survive a restart (a file created or removed, a
 * chunk stored, a new chunk version) is appended to the journal as a
 * record (record.h), if a journal is attached, under the same lock that makes the change, so the log's order
 * is the order of the changes. Chunk locations are not journalled: the
 * chunkservers report them again after a restart. Records are idempotent,
 * so replaying one the checkpoint already contains changes nothing.
 */
#ifndef MINIDFS_NAMESPACE_H
#define MINIDFS_NAMESPACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chunkid.h"
#include "journal.h"
#include "protocol.h"
#include "record.h"
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

typedef struct ns_file {
    char *name;
    char fileid[FILEID_LEN + 1];   /* the identifier its chunks are named with */
    uint64_t generation;     /* unique per creation, for the cluster's lifetime */
    uint64_t size;
    uint64_t chunk_size;
    uint32_t nchunks;        /* chunk slots, including an append's new ones */
    uint32_t ncommitted;     /* the chunks readers see */
    uint32_t nstored;        /* chunks with at least one replica */
    uint8_t replication;     /* replicas wanted per chunk */
    int64_t touched_ms;      /* monotonic ms of its creation, last append commit, the
                              * last first report of a chunk version, or the last
                              * heartbeat naming a chunk of it as being written */
    ns_chunk *chunks;
    ns_chunk_lease *leases;  /* the chunks allocated with a lease */
    uint32_t nleases;
    ns_append *append;       /* NULL: none in progress */
    struct ns_file *replacement;   /* an overwrite being written (NULL: none) */
    bool replaces;           /* this file is such a replacement: not yet the name's */
    bool own_id;             /* fileid is not its name's identifier (an overwrite's) */
    uint16_t mode;           /* permission bits (NS_MODE_DEFAULT) */
    bool open;               /* counted as an upload in progress (namespace_set_limits) */
    char *owner, *group;     /* NULL: none (made on an open master) */
    struct ns_file *next;    /* hash chain */
} ns_file;

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
/* Emits the whole namespace as records for a checkpoint, under the read
 * lock (emit owns nothing of r once it returns). */
bool namespace_dump(ns_table *ns, bool (*emit)(void *sink, const record *r), void *sink);

/* Every committed chunk has been reported stored. */
bool namespace_file_complete(const ns_file *f);
uint64_t namespace_chunk_length(const ns_file *f, uint32_t index);


/* Creates an incomplete file wanting replication copies of each chunk,
 * owned by who (no owner when NULL), mode NS_MODE_DEFAULT; *generation
 * receives its generation. NS_BAD_SIZE beyond the limits
 * (PROTO_MAX_CHUNKS chunks of at most PROTO_MAX_CHUNK_SIZE, a name of at
 * most PROTO_MAX_FILE_NAME bytes). */
ns_status namespace_create(ns_table *ns, const char *name, uint64_t size, uint64_t chunk_size,
                           unsigned replication, const ns_who *who, uint64_t *generation);
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
/* Removes a file (and a replacement under way); the caller owns doomed
 * (free with namespace_doomed_free); the replacement's part is queued for
 * namespace_take_doomed. Only its owner or a superuser may (NS_FORBIDDEN). */
ns_status namespace_remove(ns_table *ns, const char *name, const ns_who *who,
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
 * fileid is the identifier of a name (the file readers see under it) or a
 * file's own (a replacement's too). */
ns_status namespace_with_file(ns_table *ns, const char *fileid,
                              void (*fn)(const ns_file *f, void *ud), void *ud);
/* Calls fn for every file readers see (no replacement) under the read lock. */
void namespace_each(ns_table *ns, void (*fn)(const ns_file *f, void *ud), void *ud);
size_t namespace_count(ns_table *ns);

#endif
