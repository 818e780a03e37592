/*
 * chunkbatch.h - the client's side of a chunkserver's POST /chunks: the
 * one chunk of each of many small files, sent to the server that heads
 * every one's chain in a single request, so a tree of small files costs
 * one request per batch instead of one per file (put -r).
 */
#ifndef MINIDFS_CHUNKBATCH_H
#define MINIDFS_CHUNKBATCH_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

/* Files a batch holds at most bytes of each: larger ones go alone. */
#define CHUNKBATCH_MAX_FILE (256u << 10)

typedef struct {
    const char *local;       /* the file to read */
    const char *dest;        /* its path in minidfs */
    json_t *plan;            /* its plan (a batched /upload's item with the chunkservers and
                              * the fileSize it was planned for), borrowed */
    bool stored;             /* out: its chunk is stored as a lone upload would count it */
} chunkbatch_file;

/* The first server of a plan's one chunk if the file can go in a batch
 * (one chunk, whole, of 1 to CHUNKBATCH_MAX_FILE bytes), else NULL;
 * borrowed from plan. */
const char *chunkbatch_server(json_t *plan);
/* Sends the chunks of files[0..n) (their chunkbatch_server all the same)
 * in one request, and sets stored for each file whose answer shows it
 * stored: the bytes it was sent (by SHA-256) on as many servers as a lone
 * upload needs. Anything else - a file that changed, a refusal, a hostile
 * or failed answer - is left for the caller to upload alone, which retries
 * and reports as usual. */
void chunkbatch_put(chunkbatch_file *files, size_t n);

#endif
