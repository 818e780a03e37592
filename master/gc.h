/*
 * gc.h - what the master owes each chunkserver: chunk replicas to delete
 * (of removed or overwritten files, stale versions, garbage found in full
 * reports) and replicas to verify (a client said they read back wrong).
 *
 * Nothing is sent from here: each chunkserver collects its share in the
 * answer to its next heartbeat, so a chunkserver that is down simply gets
 * it later. A deletion names the chunk's version, and the chunkserver
 * deletes only a copy no newer than that, so a late deletion can never
 * take out a newer chunk that reuses the id (an overwritten file's).
 */
#ifndef MINIDFS_GC_H
#define MINIDFS_GC_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "namespace.h"

typedef struct gc gc;

gc *gc_new(void);
void gc_free(gc *g);

void gc_delete(gc *g, uint16_t server, const char *chunk_id, uint64_t version);
void gc_delete_doomed(gc *g, const ns_doomed *d);
void gc_verify(gc *g, uint16_t server, const char *chunk_id);
/* Hands over up to max of what server is owed: deletions as
 * [[id, version], ...] into *del and verifications as [id, ...] into
 * *ver (new arrays, possibly empty). */
void gc_take(gc *g, uint16_t server, size_t max, json_t **del, json_t **ver);
/* Deletions queued for server, not yet handed over. */
size_t gc_pending(gc *g, uint16_t server);

#endif
