/*
 * masterapi.h - the client's side of its link to the master (the active
 * one of an HA cluster's list), and the file layout the master hands out:
 * which chunk lives (or is to live) where.
 *
 * A layout is a window of at most PROTO_PAGE_CHUNKS chunks of a file (the
 * master answers a page at a time, so nothing either side holds grows with
 * the file): the caller moves a window's chunks, then asks for the next
 * one (masterapi_next) until the last.
 */
#ifndef MINIDFS_MASTERAPI_H
#define MINIDFS_MASTERAPI_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chunkid.h"

/* How long the calls below keep trying while the master is unreachable
 * or answers 503 (a restart, safe mode), unless set otherwise. */
#define MASTERAPI_DEFAULT_RETRY_MS 20000

void masterapi_set_retry(long ms);
/* An HA cluster's masters, "http://h:p,http://h:p,..." as addr_master_list
 * makes it (once, from main): the calls below take URLs of the first and
 * go to whichever is active, as standbys' X-Minidfs-Leader hints and
 * refusals show; a read a standby answered while no master is active,
 * or while the one it names does not answer, stands. */
void masterapi_set_masters(const char *list);
/* The bearer token every call below shows the master (token.h; NULL or
 * "": none, for an open master; one longer than a token is none). Copied. */
void masterapi_set_token(const char *token);

/* One call to the master (waiting out restarts as the calls below do);
 * the answer's JSON, or NULL with err holding the master's message for a
 * non-2xx answer. */
json_t *masterapi_call(const char *method, const char *url, json_t *body, char *err,
                       size_t errlen);

/* POSTs body (taken: freed here; NULL reads as out of memory) to one of
 * the master's paths (PROTO_PATH_...) through masterapi_call. */
json_t *masterapi_post(const char *master, const char *path, json_t *body, char *err,
                       size_t errlen);

typedef struct {
    uint32_t index;          /* the chunk's index in the file */
    uint64_t offset, length; /* the bytes, in the local file */
    uint64_t chunk_offset;   /* appends: where in the chunk they go (0: a whole chunk) */
    bool pinned;             /* uploads: only these replicas can take it (an append's fill) */
    size_t nrep;
    const char **rep;        /* "HOST:PORT/", preferred first */
    const char *sha;         /* downloads: the SHA-256 the master recorded, or NULL */
    const char *cap;         /* a secure master's capability for the chunk, or NULL */
} client_chunk;

typedef struct {
    json_t *doc;             /* owns every string below */
    char fileid[FILEID_LEN + 1];
    uint64_t file_size, chunk_size;
    uint32_t nchunks;        /* in this window */
    uint64_t generation;     /* uploads: the version sent with every chunk (0: none) */
    const char **servers;    /* every live chunkserver (uploads only) */
    size_t nservers;
    client_chunk *chunks;
    /* The windows: */
    bool upload;             /* a plan (upload or append), else a read */
    uint64_t file_gen;       /* the file's generation, naming it in the next page's request */
    uint32_t next, end;      /* the next window's first chunk index; the index past the last */
    uint32_t whole_from;     /* whole chunks from this index on start in the local file at */
    uint64_t whole_at;       /* ... this offset (an append's fill comes first) */
    uint64_t local_size;     /* bytes of the local file the chunks cover */
} client_layout;

/* POST /upload: where to put a new file of size bytes, with replication
 * copies of each chunk (0: the master's default); the first window. */
bool masterapi_plan_upload(const char *master, const char *name, uint64_t size, bool overwrite,
                           unsigned replication, client_layout *out, char *err, size_t errlen);
/* The request /upload takes for one file (NULL: no memory); a batch of
 * them ({"files": [...]}) plans a tree's small files at once. */
json_t *masterapi_upload_request(const char *name, uint64_t size, bool overwrite,
                                 unsigned replication);
/* POST /upload of a batch: the plans of reqs (an array of what
 * masterapi_upload_request makes; a reference is taken), as the master
 * answered them ({"chunkservers", "files": [a plan or an error per
 * request]}), or NULL with err set, and *refused when the master is one
 * from before batches (then ask file by file). */
json_t *masterapi_plan_batch(const char *master, json_t *reqs, bool *refused, char *err,
                             size_t errlen);
/* The same first window from a plan the master sent already (an item of
 * a batched /upload's answer, its "chunkservers" added; a reference is
 * taken), checked as strictly. */
bool masterapi_plan_known(json_t *plan, const char *name, uint64_t size, client_layout *out,
                          char *err, size_t errlen);
/* GET /get: where a complete file's chunks are; the first window. */
bool masterapi_locate(const char *master, const char *name, client_layout *out, char *err,
                      size_t errlen);
/* The same first window from a layout the master sent already (a
 * listing's, /ls?layout=1; a reference is taken), checked as strictly. */
bool masterapi_locate_known(json_t *layout, const char *name, client_layout *out, char *err,
                            size_t errlen);
/* True when L is not the file's last window. */
bool masterapi_more(const client_layout *L);
/* The window after L (GET /plan for a plan, GET /get for a read); a read
 * fails when the file changed since its first window (an append, an
 * overwrite): its bytes would not be one version of the file. */
bool masterapi_next(const char *master, const char *name, const client_layout *L,
                    client_layout *out, char *err, size_t errlen);
/* GET /files: the "files" array (caller decrefs). */
bool masterapi_list(const char *master, json_t **files, char *err, size_t errlen);
/* POST /append: begin appending size bytes to name, retrying with backoff
 * while another client appends. The layout's chunks are the fill of the
 * partial last chunk (if any) and the new chunks (the first window of
 * them), with offsets into the local input; *token names the append. */
bool masterapi_append_begin(const char *master, const char *name, uint64_t size,
                            client_layout *out, uint64_t *token, char *err, size_t errlen);
/* POST /appendDone: commit (or abort) the append. */
bool masterapi_append_end(const char *master, const char *name, uint64_t token, bool abort,
                          char *err, size_t errlen);
/* POST /badChunk: server handed out chunk_id with the wrong bytes (best
 * effort; the master asks the server to check it). */
void masterapi_report_bad(const char *master, const char *chunk_id, const char *server);
/* Tells the master (best effort, one short try) that server refused or
 * never answered a connection: clients that cannot reach a chunkserver
 * get it shunned. */
void masterapi_report_unreachable(const char *master, const char *server);
/* DELETE /files?name= */
bool masterapi_delete(const char *master, const char *name, char *err, size_t errlen);

void client_layout_free(client_layout *L);

/* The identifier the master finds a path by, whatever its spelling
 * ("logs//a" is "/logs/a": sha256 of "logs/a"); false with err for a
 * name that is no path. */
bool masterapi_path_id(const char *name, char out[FILEID_LEN + 1], char *err, size_t errlen);

#endif
