/*
 * transfer.h - moving a file's chunks to or from chunkservers, many at once.
 *
 * Uploads read each chunk's range of the input through reader.c (direct
 * reads ahead of the sender when the input is cold, pread when cached);
 * downloads write each chunk at its offset with pwrite, or, for a stream
 * such as stdout, in order. A chunk that fails on one server is retried on
 * the next: the planned replicas first, then (uploads) any other live
 * chunkserver; a download past its deadline moves on and resumes where it
 * stopped. No chunk is ever held in memory whole.
 *
 * Every chunk is hashed (SHA-256) as it passes: an upload sends its hash as
 * a trailer after the bytes, and the chunkserver keeps the chunk only if
 * it received the same; a download is checked against the hash the master
 * recorded, and a replica that fails is reported and the next one tried.
 *
 * What landed and what was retried is counted for the whole process, for
 * --stats (transfer_print_stats).
 */
#ifndef MINIDFS_TRANSFER_H
#define MINIDFS_TRANSFER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "masterapi.h"
#include "progress.h"

typedef struct {
    const char *master;  /* for reporting replicas that read back wrong */
    bool upload;
    int fd;              /* the input (upload) or output (download) */
    bool stream_out;     /* download into a pipe or terminal: strictly in order */
    int parallel;        /* chunks in flight; 0: chosen from the chunk size */
    progress *prog;
} transfer_opts;

bool transfer_run(const transfer_opts *o, const client_layout *L, char *err, size_t errlen);

/* What this process moved, for --stats: chunk bytes and chunks that
 * landed (uploaded or read back whole, batched small files included),
 * and attempts given up on one server and taken to another. */
typedef struct {
    uint64_t bytes, chunks, retries;
} transfer_totals;
void transfer_count(uint64_t bytes, uint64_t chunks);
void transfer_totals_get(transfer_totals *out);
/* The one line --stats prints on stderr: "stats: ... MB/s". */
void transfer_print_stats(const char *program, int64_t started_ms);

#endif
