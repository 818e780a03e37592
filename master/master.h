/*
 * master.h - the master process: its state and its entry point.
 */
#ifndef MINIDFS_MASTER_H
#define MINIDFS_MASTER_H

#include <jansson.h>
#include <microhttpd.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "chunkid.h"
#include "gc.h"
#include "journal.h"
#include "namespace.h"
#include "placement.h"
#include "registry.h"
#include "safemode.h"
#include "sightings.h"

typedef struct {
    ns_table *ns;
    registry *reg;
    gc *gc;
    journal *j;              /* NULL: nothing is kept across restarts */
    placement place;
    uint64_t chunk_size;
    unsigned replication;
    int64_t lease_ms;
    int64_t gc_grace_ms;     /* an unknown chunk younger than this is left alone */
    double gc_max_fraction;  /* a report whose deletions exceed this share is held back */
    sightings *seen;         /* unknown replicas, and since when the master has seen them */
    _Atomic int64_t seen_pruned_ms;
    safemode safe;
    unsigned max_repl_streams;   /* repair copies in flight per source chunkserver */
    uint64_t epoch;          /* random per start: chunkservers re-report when it changes */
    char cluster_id[CLUSTERID_LEN + 1];   /* "": none (a --stdio node) */
    bool ns_fresh;           /* the namespace was created by this start */
    _Atomic uint64_t read_turn;  /* rotates which live replica GET /get lists first */
} master;

/* Makes the calling thread's namespace changes durable; false (and the
 * request must fail with 503) once the journal has failed (api.c). */
bool master_durable(master *m);

/* An allocation request, decoded; shared by POST /allocate and the stdio
 * node's allocate_chunk. */
typedef struct {
    const char *file;
    uint32_t index;
} master_alloc_req;

/* The live chunkservers as placement facts, in registration order, with
 * their closeness to the writer's host (NULL: none); *out is the caller's
 * to free. False when memory runs out (allocate.c). */
bool master_live_servers(master *m, const char *writer_host, placement_server **out, size_t *n);

/* Checks the request's "file" and "chunk_index" (allocate.c). */
bool master_alloc_parse(json_t *req, master_alloc_req *out, char *err, size_t errlen);
/* Places and allocates; on success the JSON fields of the answer (chunk
 * handle, primary, secondaries, lease, version) are added to answer, with
 * server names from name_of. Returns the namespace status. */
ns_status master_alloc(master *m, const master_alloc_req *r, const placement_server *servers,
                       size_t nservers, const char *(*name_of)(void *ud, uint16_t index),
                       void *ud, json_t *answer);

/* `minidfs master --stdio`: the JSON-lines node protocol (stdio.c). */
int master_stdio_run(master *m, FILE *in, FILE *out);

/* The HTTP API (api.c). */
enum MHD_Result master_api_handle(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls);
void master_api_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                          enum MHD_RequestTerminationCode toe);

/* `minidfs master ...` */
int master_main(int argc, char **argv);

#endif
