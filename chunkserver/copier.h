/*
 * copier.h - copying stored chunks to other chunkservers (repair).
 *
 * The master names the copies a chunkserver should make in the answer to
 * its heartbeat; they are queued here and made by a background thread, a
 * few at once, so a heartbeat never waits on a copy. Each copy is a PUT of
 * the chunk file to the target with the version and SHA-256 of its meta
 * attribute, so a copy of bytes that rotted here is refused there (signed
 * with the cluster key on a secure cluster); the target reports it to the
 * master like any upload.
 */
#ifndef MINIDFS_COPIER_H
#define MINIDFS_COPIER_H

#include <stdbool.h>
#include <stddef.h>

#include "chunkserver.h"

typedef struct copier copier;

copier *copier_start(chunkserver *cs);
/* Waits for the copies in progress (not the queued ones); later adds are
 * accepted and never made. */
void copier_stop(copier *c);
void copier_free(copier *c);
/* Queues a copy; false (dropped) when the queue is full: the master hands
 * it out again later. */
bool copier_add(copier *c, const char *chunk_id, const char *target);

typedef enum {
    COPIER_OK,
    COPIER_BAD_REQUEST,   /* a malformed chunk id or target, or a target not of this cluster */
    COPIER_NO_CHUNK,      /* the chunk is not here */
    COPIER_LOCAL,         /* it could not be read here */
    COPIER_TARGET,        /* the target could not be reached, or refused the copy */
} copier_status;

/* The HTTP status that answers a request that ended in st (one table, in
 * copier.c: 200, 400, 404, 500, 502). */
unsigned copier_http_status(copier_status st);

/* One copy, now, on the calling thread; *size gets the chunk's size, err
 * says why when it is not COPIER_OK. */
copier_status copier_copy(chunkserver *cs, const char *chunk_id, const char *target,
                          uint64_t generation, uint64_t *size, char *err, size_t errlen);

#endif
