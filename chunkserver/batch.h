/*
 * batch.h - POST /chunks: many small new chunks in one request, so a tree
 * of small files costs the uploader and this server one request per batch
 * rather than one per file.
 *
 * The body is a sequence of items, each a header line and the chunk's
 * bytes: {"chunkIdentifier": ID, "headers": {NAME: VALUE, ...}}, a newline,
 * then exactly Content-Length bytes. The headers are the ones
 * `PUT /chunks/<ID>` would carry; each item goes through that request's
 * own path (receive.c) and gets the answer it would have had, with its
 * "status", in the batch's {"chunks": [...]}. No appends: an item is a
 * whole new chunk of at most PROTO_MAX_BATCH_CHUNK bytes.
 */
#ifndef MINIDFS_BATCH_H
#define MINIDFS_BATCH_H

#include <microhttpd.h>

#include "chunkserver.h"

typedef struct cs_batch cs_batch;

/* A batch's first call; NULL (an error queued) when memory runs out. */
cs_batch *cs_batch_begin(chunkserver *cs, struct MHD_Connection *c);
/* A piece of the body (all of it is taken). */
enum MHD_Result cs_batch_data(cs_batch *b, struct MHD_Connection *c, const char *data,
                              size_t *size);
/* The body is in: queues the answer. */
enum MHD_Result cs_batch_end(cs_batch *b, struct MHD_Connection *c);
/* Frees b, dropping an item not committed (a cut connection). */
void cs_batch_free(cs_batch *b);

#endif
