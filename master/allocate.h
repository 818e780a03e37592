/*
 * allocate.h - where new chunks go, for every caller: the live
 * chunkservers as placement facts, and chunk allocation (POST /allocate
 * and the stdio node's allocate_chunk).
 */
#ifndef MINIDFS_ALLOCATE_H
#define MINIDFS_ALLOCATE_H

#include <jansson.h>

#include "master.h"

/* An allocation request, decoded. */
typedef struct {
    const char *file;
    uint32_t index;
} allocate_req;

/* The live chunkservers as placement facts, in registration order, with
 * their closeness to the writer's host (NULL: none); *out is the caller's
 * to free. False when memory runs out. */
bool allocate_live_servers(master *m, const char *writer_host, placement_server **out, size_t *n);

/* Checks the request's "file" and "chunk_index". */
bool allocate_parse(json_t *req, allocate_req *out, char *err, size_t errlen);
/* Places and allocates for who (lease_allocate); on success the JSON fields of the answer (chunk
 * handle, primary, secondaries, lease, version) are added to answer, with
 * server names from name_of. Returns the namespace status. */
ns_status allocate_chunk(master *m, const allocate_req *r, const ns_who *who,
                         const placement_server *servers, size_t nservers,
                         const char *(*name_of)(void *ud, uint16_t index), void *ud,
                         json_t *answer);

#endif
