/*
 * access.h - who may touch a chunk on a secure chunkserver (one started
 * with --key-file): a client with the master's capability for that chunk
 * and operation, or another server of the cluster, which signs its
 * request with the cluster key (a pipeline hop carries the client's
 * capability; a repair copy and the operator's tools sign). An open
 * chunkserver lets everyone through, as before.
 */
#ifndef MINIDFS_ACCESS_H
#define MINIDFS_ACCESS_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>

#include "chunkserver.h"

/* May the request do op (AUTH_CAP_READ, AUTH_CAP_WRITE) on chunk id? cap
 * is its capability (NULL: none); target is its path and, for the query
 * arguments that matter, "?name=value". False with *status (401 or 403)
 * and msg set. */
bool access_chunk(chunkserver *cs, struct MHD_Connection *c, const char *method,
                  const char *target, char op, const char *id, const char *cap,
                  unsigned *status, char *msg, size_t msglen);
/* May the request, which only servers send (a deletion, /replicate), go
 * on? body_sha: its body's SHA-256 in hex. */
bool access_server(chunkserver *cs, struct MHD_Connection *c, const char *method,
                   const char *target, const char *body_sha, unsigned *status, char *msg,
                   size_t msglen);

#endif
