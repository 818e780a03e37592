/*
 * chunkserver.h - the chunkserver process: its state (the store, the
 * master link, the counters /stats and /metrics show, the request table)
 * and entry point.
 */
#ifndef MINIDFS_CHUNKSERVER_H
#define MINIDFS_CHUNKSERVER_H

#include <microhttpd.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <pthread.h>
#include <stdint.h>

#include "auth.h"
#include "chunkid.h"

#include "masterlink.h"
#include "scrub.h"
#include "store.h"

/* Counters since start, served on GET /stats and GET /metrics. */
typedef struct {
    _Atomic uint64_t bytes_received;    /* chunk bytes taken in (PUT and multipart) */
    _Atomic uint64_t bytes_forwarded;   /* chunk bytes passed down a pipeline */
    _Atomic uint64_t bytes_served;      /* chunk bytes of the answers to reads (ranges included) */
    _Atomic uint64_t chunks_stored;
    _Atomic uint64_t batches;           /* POST /chunks answered 200 */
    _Atomic uint64_t batched_chunks;    /* their items stored */
    _Atomic uint64_t active;            /* uploads in progress (the load in heartbeats) */
    _Atomic uint64_t reserved;          /* bytes the uploads in progress announced (and
                                         * fallocate set aside) */
    scrub_counters scrub;               /* the background scrubbing's progress */
    _Atomic uint64_t checksum_failures; /* uploads whose bytes did not match their checksum */
    _Atomic uint64_t copies_sent;       /* repair copies sent to another server */
    _Atomic uint64_t copies_received;   /* repair copies stored here */
} cs_stats;

#define CS_ACTIVE_MAX 64
/* Threads committing batches' items (batch.c): their work is waiting for
 * fsyncs and the master, so the more wait together, the more each fsync
 * and report request covers (32 against 8: put -r of 4 KiB files +35 to
 * 60 %, side by side). */
#define CS_COMMIT_THREADS 32

struct copier;
struct workpool;

typedef struct {
    store *st;
    /* set once the master link and the copier are up: uploads, which
     * report to the master, are refused with a 503 until then */
    _Atomic bool ready;
    masterlink *ml;
    struct copier *copier;
    struct workpool *commits;   /* runs the commits of batches' items (batch.c) */
    cs_stats stats;
    /* chunks being written now, named in heartbeats to keep leases */
    pthread_mutex_t active_mu;
    char active[CS_ACTIVE_MAX][CHUNKID_BUF];
    unsigned char active_used[CS_ACTIVE_MAX];
    /* a secure cluster's key (NULL: open) and the signatures seen (access.c) */
    const auth_key *key;
    auth_replay *seen;
    /* it serves TLS: chunk reads are encrypted in user space, not sendfile'd */
    bool tls;
    /* most bytes uploads in progress may have announced at once (0: no bound) */
    uint64_t max_reserved;
    struct metrics_http *http;   /* requests per endpoint (cs_api_metrics_new) */
} chunkserver;

/* The chunks being written now (receive.c), for the heartbeat. */
size_t cs_active_chunks(void *cs, char (*ids)[CHUNKID_BUF], size_t max);

/* The HTTP API (api.c). */
enum MHD_Result cs_api_handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_data_size, void **con_cls);
void cs_api_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe);
/* The table the API's requests are counted in, one row per endpoint. */
struct metrics_http *cs_api_metrics_new(void);

/* `minidfs chunkserver ...` */
int chunkserver_main(int argc, char **argv);

#endif
