/*
 * outbox.h - what the master owes each chunkserver: chunk replicas to delete
 * (of removed or overwritten files, stale versions, garbage found in full
 * reports), replicas to verify (a client said they read back wrong), and
 * chunks to copy to another chunkserver (repair).
 *
 * Nothing is sent from here: each chunkserver collects its share in the
 * answer to its next heartbeat, so a chunkserver that is down simply gets
 * it later. A deletion names the chunk's version, and the chunkserver
 * deletes only a copy no newer than that, so a late deletion can never
 * take out a newer chunk that reuses the id (a file deleted and created
 * again under its name; an overwrite of a complete file names its chunks
 * with an identifier of its own).
 */
#ifndef MINIDFS_OUTBOX_H
#define MINIDFS_OUTBOX_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "namespace.h"

typedef struct outbox outbox;

outbox *outbox_new(void);
void outbox_free(outbox *o);

void outbox_delete(outbox *o, uint16_t server, const char *chunk_id, uint64_t version);
void outbox_delete_doomed(outbox *o, const ns_doomed *d);
void outbox_verify(outbox *o, uint16_t server, const char *chunk_id);
/* Asks server to copy chunk_id to target ("HOST:PORT/"). */
void outbox_copy(outbox *o, uint16_t server, const char *chunk_id, const char *target);
/* Hands over up to max of what server is owed (of it at most max_copies
 * copies): deletions as [[id, version], ...] into *del, verifications as
 * [id, ...] into *ver, copies as [[id, target], ...] into *copy (new
 * arrays, possibly empty). */
void outbox_take(outbox *o, uint16_t server, size_t max, size_t max_copies, json_t **del,
                 json_t **ver, json_t **copy);
/* Deletions queued for server, not yet handed over. */
size_t outbox_pending(outbox *o, uint16_t server);

#endif
