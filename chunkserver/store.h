/*
 * store.h - chunks as files in one directory.
 *
 * A chunk is named by its id ("<identifier>_<index>") and stored as a file
 * of exactly that name. New bytes go to a hidden temporary file
 * (".tmp-<id>-<pid>-<n>") that is fsynced and only then given the chunk's
 * name, so a crash or a cut connection never leaves a partial chunk under
 * a real name; temporaries left by a crash are removed at start.
 */
#ifndef MINIDFS_STORE_H
#define MINIDFS_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chunkid.h"

typedef enum {
    STORE_OK = 0,
    STORE_NOT_FOUND,
    STORE_EXISTS,
    STORE_NO_SPACE,
    STORE_IO,
} store_status;

typedef struct store store;

typedef struct {
    store *st;
    int fd;                     /* -1 once closed */
    bool have_tmp;              /* the temporary file exists on disk */
    char id[CHUNKID_BUF];
    char tmp[CHUNKID_BUF + 48];
    uint64_t written;
} store_writer;

/* Opens (creating if needed) the directory and removes stale temporaries. */
store *store_open(const char *dir, char *err, size_t errlen);
void store_close(store *st);
const char *store_dir(const store *st);

/* Starts a new temporary file for chunk id (already validated). */
store_status store_begin(store *st, const char *id, store_writer *w, char *err, size_t errlen);
store_status store_write(store_writer *w, const void *data, size_t len, char *err, size_t errlen);
/* Flushes the temporary file to disk and closes it. */
store_status store_finish(store_writer *w, char *err, size_t errlen);
/* Gives the finished temporary file the chunk's name. Without replace,
 * STORE_EXISTS when a chunk of that name is already there (the temporary
 * is kept, for a later call with replace). */
store_status store_publish(store_writer *w, bool replace, char *err, size_t errlen);
/* Drops whatever the writer still holds (open fd, temporary file). */
void store_discard(store_writer *w);

/* Opens a chunk for reading; the caller owns *fd. */
store_status store_open_chunk(store *st, const char *id, int *fd, uint64_t *size);
store_status store_remove(store *st, const char *id);

#endif
