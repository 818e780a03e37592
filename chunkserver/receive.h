/*
 * receive.h - taking a chunk in from the network, streamed to disk.
 *
 * Three wire forms arrive here: the raw body of `PUT /chunks/<id>` (our
 * client's fast path), one item of a `POST /chunks` batch (batch.c: the
 * same request, its headers from the item) and the "chunk" file field of
 * a multipart `POST /uploadChunk` (the Go client's path, parsed by
 * libmicrohttpd's post processor). All write into a store temporary file
 * as the bytes arrive and end in the same commit: publish the chunk,
 * report it to the master, answer the uploader.
 */
#ifndef MINIDFS_RECEIVE_H
#define MINIDFS_RECEIVE_H

#include <microhttpd.h>

#include "chunkreq.h"
#include "chunkserver.h"

typedef struct receive receive;

/* Called on a request's first invocation. On success *out is set and the
 * body will follow; otherwise an error response has been queued and *out
 * stays NULL. */
enum MHD_Result receive_put_begin(chunkserver *cs, struct MHD_Connection *c, const char *id,
                                  receive **out);
/* The same, the request's headers read through lookup(ud, ...) instead
 * of from c (a batch item's); answers still go to c. */
enum MHD_Result receive_put_begin_with(chunkserver *cs, struct MHD_Connection *c, const char *id,
                                       chunkreq_lookup lookup, void *ud, receive **out);
enum MHD_Result receive_multipart_begin(chunkserver *cs, struct MHD_Connection *c,
                                        receive **out);
/* Consumes a piece of the body. */
enum MHD_Result receive_data(receive *rx, const char *data, size_t *size);
/* The body is complete: commit and queue the answer. */
enum MHD_Result receive_end(receive *rx, struct MHD_Connection *c);
/* Frees rx, dropping anything not committed (a cut connection). */
void receive_free(receive *rx);

#endif
