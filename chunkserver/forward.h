/*
 * forward.h - passing a chunk on down the replication chain while it is
 * being received (the GFS/HDFS write pipeline).
 *
 * The uploader sends a chunk once, to the first server of its chain,
 * naming the rest in X-Minidfs-Chain. That server writes each buffer to
 * its disk and also hands it to a forward, which streams it to the next
 * server with the remaining chain; that one does the same. Each server
 * answers only when its own copy and everything after it are durable, and
 * says which servers hold the chunk. A server that fails down the chain
 * costs only its own copy and those after it: the ones before still hold
 * the chunk and say so.
 */
#ifndef MINIDFS_FORWARD_H
#define MINIDFS_FORWARD_H

#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chunkreq.h"
#include "protocol.h"

typedef struct forward forward;

/* Starts sending the chunk req describes (req->length bytes; its chain,
 * not empty, the hops to send it down) to the first hop that can be
 * reached, as the same request with the hops after that one as its chain
 * and the checksum trailing. A hop that refuses the connection is dropped
 * from the pipeline (no byte has left yet); one that fails later ends it. */
forward *forward_start(const chunkreq *req, _Atomic uint64_t *sent_counter, char *err,
                       size_t errlen);
/* Hands on a piece of the body. Once the downstream has failed this
 * returns false and drops the bytes: the local copy goes on regardless. */
bool forward_write(forward *fw, const void *data, size_t len);
/* The whole chunk has been handed on: ends the body with the chunk's
 * SHA-256 (hex) so every hop verifies the bytes (NULL: cut the body short,
 * the downstream keeps nothing). The downstream starts its own flush to
 * disk at once. */
void forward_end(forward *fw, const char *sha);
/* Waits for the downstream's answer and frees fw (ending the body first if
 * forward_end was not called). Returns the servers downstream that stored
 * the chunk (a JSON array, possibly empty; never NULL); when the
 * downstream failed, err says why. */
json_t *forward_finish(forward *fw, char *err, size_t errlen);
/* The local side gave up (cut connection, disk error): the downstream is
 * cut off too, so it keeps nothing, and fw is freed. */
void forward_abort(forward *fw);

#endif
