/*
 * record.h - the master's journal records as values: one struct for every
 * durable change of the namespace, its JSON form, and the table that ties
 * each kind to its encoder, decoder and the namespace function that
 * replays it. The schema is written once, in record.c beside the table.
 *
 * A record is self-contained (it owns what it points to and refers to no
 * live file), so it can be built under the namespace's lock, encoded once,
 * and shipped anywhere: the journal, a checkpoint, a standby. Decoding
 * checks every field's type and range; the namespace's apply functions
 * check what only the table can (limits, generations).
 */
#ifndef MINIDFS_RECORD_H
#define MINIDFS_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "chunkid.h"
#include "sha256.h"

typedef enum {
    RECORD_CREATE,    /* a file was created */
    RECORD_DELETE,    /* a file was removed */
    RECORD_CHUNK,     /* a chunk's version or stored state changed */
    RECORD_COMMIT,    /* an append was committed, whole */
    RECORD_SIZE,      /* a file's size (old logs only: commits are one record now) */
    RECORD_FILE,      /* a whole file (checkpoints) */
    RECORD_COUNTER,   /* the version counter moved */
    RECORD_CLUSTER,   /* the cluster's id (once, first) */
    RECORD_ATTR,      /* a file's owner, group or mode changed */
    RECORD_USER,      /* a user (a bearer token's holder) was added */
    RECORD_REVOKE,    /* a user was revoked */
    RECORD_FORMAT,    /* the format a checkpoint is in (first in each) */
    RECORD_DIR,       /* a directory made, or its attributes (checkpoints, mkdir, chmod) */
    RECORD_RENAME,    /* a file or a directory moved */
    RECORD_RMTREE,    /* a directory removed, with everything beneath it */
    RECORD_DRAIN,     /* a chunkserver decommissioned, or recommissioned */
    RECORD_NKINDS
} record_kind;

/* One chunk of a file record, or the chunk of a chunk record. */
typedef struct {
    uint64_t index;
    uint64_t version;
    bool stored;                     /* some chunkserver reported it complete */
    bool has_sha;
    uint8_t sha[SHA256_LEN];
} record_chunk;

/* The checkpoint format this master writes: 2 has directories (paths);
 * 1 (no format record) had a flat table of names, converted when read. */
#define RECORD_FORMAT_VERSION 2

typedef struct {
    record_kind kind;
    /* create, file: the file's path (owned), geometry and identity (a
     * record from before directories: its old name, and old_name set);
     * dir, rmtree, rename: the path (rename: the one moved from);
     * user, revoke: the user's name */
    char *name;
    bool old_name;
    char *to;                        /* rename: where to (owned) */
    bool replace;                    /* rename: an existing file (or empty directory) there goes */
    /* create, file, dir, delete, rename, rmtree: when, wall-clock ms (0:
     * unknown); create, file, dir: the last change, when it differs */
    uint64_t time_ms, mtime_ms;
    uint64_t size;                   /* also commit, size: the new size */
    uint64_t chunk_size;
    uint64_t replication;
    bool over;                       /* the replacement of the complete file of that name */
    bool own_id;                     /* create, file: fileid is a data identifier, no path's */
    bool slashed;                    /* create, file: the identifier is the path's with its '/'
                                      * (nspath_id_slashed), and fileid is "" */
    /* delete, chunk, commit, size: the file's identifier; create, file: the
     * identifier its chunks carry when it is not its name's ("" if it is) */
    char fileid[FILEID_LEN + 1];
    uint64_t gen;                    /* every file record: the file's generation; dir, rename,
                                      * rmtree: the entry's */
    /* chunk */
    record_chunk chunk;
    bool pending;                    /* an append's new chunk, not readable yet */
    /* commit: the append's version, and its filled chunk; counter: the
     * value; format: the format's version */
    uint64_t version;
    bool has_fill;
    uint64_t fill_index;
    uint8_t fill_sha[SHA256_LEN];
    /* file: the chunk slots, the committed ones, and the chunks that differ
     * from a fresh one (owned) */
    bool has_slots, has_committed;
    uint64_t slots, committed;
    size_t nchunks;
    record_chunk *chunks;
    /* cluster */
    char cluster[CLUSTERID_LEN + 1];
    /* create, file, attr: the owner and group (owned; NULL: none) and the
     * mode bits (has_mode false: the default); user: the group */
    char *owner;
    char *group;
    bool has_mode;
    uint64_t mode;
    /* user: a superuser, the SHA-256 of the token, when it was made and
     * when it stops being good (wall-clock ms; 0: never) */
    bool super;
    uint8_t token_sha[SHA256_LEN];
    uint64_t made_ms, until_ms;
    /* drain: name is the server's address; on: decommissioned (else back) */
    bool drain_on;
} record;

typedef struct ns_table ns_table;

typedef struct {
    const char *op;                               /* the "op" field's value */
    void (*encode)(const record *r, json_t *out);  /* adds the kind's fields */
    bool (*decode)(json_t *in, record *r);         /* false: a field is missing or bad */
    bool (*apply)(ns_table *ns, const record *r);  /* replays it (namespace.h) */
} record_ops;

extern const record_ops record_table[RECORD_NKINDS];

/* The record's JSON object (NULL when memory runs out). */
json_t *record_encode(const record *r);
/* Reads a JSON object into r (cleared first; free with record_clear):
 * false with err set when it is not a record this master can read. */
bool record_decode(json_t *in, record *r, char *err, size_t errlen);
/* Frees what r owns, and zeroes it. */
void record_clear(record *r);
/* Decodes in and applies it to ns (recovery): false with err set for a
 * record it cannot read or apply. */
bool record_replay(ns_table *ns, json_t *in, char *err, size_t errlen);
/* The same under the namespace's write lock, for a namespace that serves
 * meanwhile (a standby following the log). */
bool record_replay_live(ns_table *ns, json_t *in, char *err, size_t errlen);
/* Writes the whole of ns to a checkpoint sink (journal_checkpoint's). */
bool record_checkpoint(ns_table *ns, void *sink);

#endif
