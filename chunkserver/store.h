/*
 * store.h - chunks as files in one directory.
 *
 * A chunk is named by its id ("<identifier>_<index>") and stored as a file
 * of exactly that name, its bytes and nothing else; its version, size and
 * SHA-256 (its meta) are an extended attribute of that file, so bytes and
 * meta are one inode: fsynced together, renamed together, removed
 * together. New bytes go to temporary files (".tmp/<k>/.tmp-<id>-<pid>-<n>",
 * k = n mod 8: directories of their own, whose locks making one takes,
 * not the chunk directory's, eight so that writers seldom wait for one
 * another) that get their meta, are fsynced and only then renamed to
 * their names beside the chunks, so a crash or a cut connection never
 * leaves a partial chunk under a real name; temporaries left by a crash
 * are removed at start, and so are the "<id>.meta" files of format 0, once
 * their meta is in the attribute. The SHA-256 is computed as the bytes are written, and
 * a chunk whose bytes do not match the one its uploader sent is never
 * published.
 *
 * Chunk bytes (of a chunk of a megabyte or more) are written with O_DIRECT
 * where the filesystem allows it, through a small aligned staging buffer: the chunk is fsynced before it
 * is kept anyway, and several writers pushing dirty pages through the
 * page cache and flushing them at once cost far more CPU than the same
 * bytes written straight to the device (see docs/PERFORMANCE.md).
 *
 * The store keeps count of the published chunks' bytes (counted at open,
 * kept by every publish and removal) and times each chunk's fsync, for
 * the heartbeat's quota and the metrics.
 *
 * Beside the chunks: ".lock", held by the one process that may use the
 * directory, ".cluster-id", the cluster the directory joined, and ".tmp".
 */
#ifndef MINIDFS_STORE_H
#define MINIDFS_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chunkid.h"
#include "metrics.h"
#include "sha256.h"

typedef enum {
    STORE_OK = 0,
    STORE_NOT_FOUND,
    STORE_EXISTS,
    STORE_NO_SPACE,
    STORE_IO,
    STORE_BAD_SUM,   /* the bytes do not match the SHA-256 they should have */
    STORE_NEWER,     /* a newer version of the chunk is kept */
    STORE_SHORT,     /* the stored copy is shorter than an append's offset */
} store_status;

/* The HTTP status that answers a request that ended in st (one table, in
 * store.c: 404, 409, 507, 500, 400, 409, 409). */
unsigned store_http_status(store_status st);

typedef struct store store;

/* A chunk's meta. */
typedef struct {
    uint64_t version;   /* 0: not known (written by the Go path, or found without meta) */
    uint64_t size;
    char sha[SHA256_HEX_LEN + 1];
} store_meta;

typedef struct {
    store *st;
    int fd;                     /* -1 once closed */
    bool direct;                /* fd bypasses the page cache (O_DIRECT) */
    char *stage;                /* direct: aligned staging buffer, allocated on first write */
    size_t staged;              /* bytes in stage not yet written */
    bool have_tmp;              /* the temporary file exists on disk */
    int tmpfd;                  /* the directory it is in (the store's, not to close) */
    char id[CHUNKID_BUF];
    char tmp[CHUNKID_BUF + 48];
    uint64_t written;           /* bytes in the temporary, base included */
    uint64_t base;              /* an append: bytes copied from the chunk first */
    sha256_stream *hash;        /* of the whole chunk */
    sha256_stream *part;        /* an append: of the new bytes only */
    bool deferred;              /* not hashed while written: see store_defer_hash */
    char part_sha[SHA256_HEX_LEN + 1];   /* set by store_seal: the new bytes' SHA-256 */
    store_meta meta;            /* set by store_seal and store_finish */
} store_writer;

/* Opens (creating if needed) the directory, takes its lock (one store per
 * directory, across processes: the lock file .lock holds the holder's pid),
 * removes stale temporaries and gives every chunk its meta (converting
 * format 0). Fails, with a reason, when another process has the directory
 * or on a filesystem without user extended attributes. */
store *store_open(const char *dir, char *err, size_t errlen);
void store_close(store *st);
const char *store_dir(const store *st);

/* Starts a new temporary file for chunk id (already validated). */
store_status store_begin(store *st, const char *id, store_writer *w, char *err, size_t errlen);
/* Starts a new version of an existing chunk that keeps its first offset
 * bytes and appends after them: copies those into the temporary (the
 * stored chunk is untouched until store_publish replaces it). The stored
 * copy must be older than version and hold at least offset bytes
 * (STORE_NOT_FOUND / STORE_NEWER / STORE_BAD_SUM otherwise). */
store_status store_begin_append(store *st, const char *id, uint64_t offset, uint64_t version,
                                store_writer *w, char *err, size_t errlen);
/* Sets aside room for a chunk of total bytes (base included), so its
 * blocks lie together on disk and a full disk is found before any byte
 * arrives (STORE_NO_SPACE; more than the filesystem has free is refused
 * without touching it). The file's size still grows only as bytes are
 * written. A new chunk of less than a megabyte is written through the
 * page cache instead, with nothing set aside. */
store_status store_reserve(store_writer *w, uint64_t total, char *err, size_t errlen);
store_status store_write(store_writer *w, const void *data, size_t len, char *err, size_t errlen);
/* The bytes will not be hashed as they are written (a whole new chunk
 * only; an append or a writer that has taken bytes keeps hashing):
 * store_seal takes the expected SHA-256 as the chunk's without checking
 * it, and nothing may be published before either a downstream replica
 * that received the very same bytes has verified them, or
 * store_check_deferred has. This is how a pipeline hop saves a pass over
 * the bytes when the next hop checks them anyway. */
void store_defer_hash(store_writer *w);
/* After store_finish: hashes the temporary file from disk and compares it
 * with the SHA-256 store_seal took (STORE_BAD_SUM when it differs). A
 * no-op for a writer that hashed as it went. */
store_status store_check_deferred(store_writer *w, char *err, size_t errlen);
/* No more bytes: w->meta.sha gets their SHA-256; with expect_sha (hex)
 * set, STORE_BAD_SUM unless it is the same (for an append: the SHA-256 of
 * the appended bytes). No I/O. */
store_status store_seal(store_writer *w, const char *expect_sha, char *err, size_t errlen);
/* Attaches the meta, with version, to the sealed temporary file, flushes
 * both to disk and closes it. */
store_status store_finish(store_writer *w, uint64_t version, char *err, size_t errlen);
/* Gives the finished temporary file the chunk's name and returns once the
 * name is durable (an fsync of the directory, shared with whoever publishes
 * at the same moment). Without replace, STORE_EXISTS when a chunk of that
 * name is already there (the temporary is kept, for a later call with
 * replace). */
store_status store_publish(store_writer *w, bool replace, char *err, size_t errlen);
/* Drops whatever the writer still holds (open fd, temporary file). */
void store_discard(store_writer *w);

/* Opens a chunk for reading; the caller owns *fd. */
store_status store_open_chunk(store *st, const char *id, int *fd, uint64_t *size);
/* Reads a chunk's meta (STORE_NOT_FOUND: no such chunk). */
store_status store_read_meta(store *st, const char *id, store_meta *out);
/* The same from an open chunk, so it is the meta of exactly those bytes. */
store_status store_read_meta_fd(int fd, store_meta *out);
/* Records the version of a chunk published without one (the Go path). */
store_status store_set_version(store *st, const char *id, uint64_t version);
/* Removes a chunk; with max_version > 0 only a copy whose
 * version is no newer (else STORE_NEWER). */
store_status store_remove(store *st, const char *id, uint64_t max_version);
/* Removes a chunk only while its meta is still exactly expect (the copy a
 * check judged); STORE_NEWER when it was replaced since. */
store_status store_remove_exact(store *st, const char *id, const store_meta *expect);
/* fn is called with the id of every chunk the store is about to remove
 * (store_remove, store_remove_exact), so the scrubber can tell a chunk
 * removed on purpose from one that vanished behind the store's back; fn
 * NULL unsets it, and once that returns fn is not running. fn must not
 * call into the store. */
void store_on_remove(store *st, void (*fn)(void *ud, const char *id), void *ud);
/* Calls fn for every published chunk with its meta and its age (since its
 * file last changed); stops early when fn returns false. */
void store_list(store *st, bool (*fn)(void *ud, const char *id, const store_meta *m,
                                      int64_t age_ms), void *ud);
/* The id of the cluster this directory joined (CLUSTERID_LEN + 1 bytes
 * into out; "" when none yet). False when the file holding it is there but
 * unreadable or damaged: the directory's owner is then unknown. */
bool store_cluster_id(store *st, char *out, char *err, size_t errlen);
/* Records the cluster this directory joins, durably, before the caller
 * acts on anything that cluster's master says. */
store_status store_set_cluster_id(store *st, const char *id, char *err, size_t errlen);
/* How many chunks the directory holds (a listing: call rarely). */
size_t store_count(store *st);
/* Chunks stored and their bytes, by a walk of the directory (for the
 * metrics, which cache it: it costs a stat per chunk). */
void store_usage(store *st, uint64_t *chunks, uint64_t *bytes);
/* Bytes of the chunks stored, kept up to date by every publish and
 * removal (what a chunkserver with --capacity-mb reports as used). */
uint64_t store_stored_bytes(store *st);
/* How long each chunk's fsync took. */
const metrics_hist *store_fsync_hist(const store *st);

/* Calls fn for every chunk id in the directory, without reading it (the
 * scrubber's list). */
void store_list_ids(store *st, bool (*fn)(void *ud, const char *id), void *ud);

#endif
