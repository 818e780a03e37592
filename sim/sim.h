/*
 * sim.h - minidfs-sim, the cluster simulator: one process that plays many
 * chunkservers (and a client workload) against a real master over the
 * real protocol, to see how the master holds up at a size this machine
 * cannot run for real (issue 19). Shared by its parts:
 *
 *   layout.c  which simulated server holds which chunk at the start: a
 *             pure function of the run's shape, so seeding and running
 *             agree without sharing a file
 *   seed.c    writes a master's meta-dir holding the layout's files (the
 *             master's own record and journal code, a real checkpoint)
 *   fleet.c   the simulated chunkservers and the event loop (libcurl's
 *             multi interface, one connection per server from its own
 *             loopback address)
 *   load.c    the client workload: creations, appends, deletions, reads
 *   stats.c   latency samples per endpoint, the master's CPU and RSS
 *   probe.c   a client apart, in a thread of its own: GET /get latency
 *             as a client sees it, per phase
 *   main.c    flags, the run's schedule, the summary
 *
 * The simulator holds no chunk bytes: a server is the list of chunks it
 * holds, and a copy "takes" its length over a configured bandwidth.
 * Nothing here is linked into the daemons.
 */
#ifndef MINIDFS_SIM_H
#define MINIDFS_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>
#include <jansson.h>

#include "chunkid.h"
#include "protocol.h"

#define SIM_MAX_SERVERS 4000
#define SIM_MAX_HOLDERS 6          /* copies of one chunk the simulator tracks */

/* The run's shape: the seeded files and the servers that hold them. */
typedef struct {
    unsigned servers;
    unsigned racks;
    uint64_t files;
    uint32_t chunks_per_file;
    uint64_t chunk_size;
    unsigned replication;
} sim_shape;

/* ---- layout.c ---- */
/* The next number of a xorshift64 sequence (state never 0): the
 * simulator's jitter and choices, cheap and reproducible. */
uint64_t sim_rand(uint64_t *state);
/* items (an array of n, room for *cap, elem bytes each) with room for
 * one more: the same array, or a larger one (doubling, from first); NULL
 * when out of memory (items is then as it was). */
void *sim_grow(void *items, size_t n, size_t *cap, size_t elem, size_t first);
uint64_t sim_layout_chunks(const sim_shape *s);
/* Server of copy r (0 <= r < replication) of seeded chunk g. */
unsigned sim_layout_holder(const sim_shape *s, uint64_t g, unsigned r);
/* The path of seeded file i ("/sim/dNNNN/fNNNNNNN"). */
void sim_layout_path(uint64_t i, char *out, size_t outlen);
/* Server s's address "127.1.X.Y:9000/" and the loopback address it
 * sends from ("127.1.X.Y"). */
void sim_layout_addr(unsigned s, char *addr, size_t addrlen, char *iface, size_t ifacelen);
void sim_layout_rack(const sim_shape *s, unsigned server, char *out, size_t outlen);

/* ---- seed.c ---- */
bool sim_seed(const sim_shape *s, const char *meta_dir, char *err, size_t errlen);

/* ---- stats.c ---- */
typedef struct sim_stats sim_stats;
sim_stats *sim_stats_new(void);
void sim_stats_free(sim_stats *st);
/* One request's latency in ms, under its endpoint's name, and whether it
 * failed (a transport error or a 5xx). */
void sim_stats_add(sim_stats *st, const char *endpoint, double ms, bool failed);
/* Percentile p (0..100) of an endpoint's latencies in ms; -1 when none. */
double sim_stats_pct(sim_stats *st, const char *endpoint, double p);
size_t sim_stats_count(sim_stats *st, const char *endpoint, size_t *failed);
/* Forgets an endpoint's samples (a new window). */
void sim_stats_reset(sim_stats *st, const char *endpoint);
/* Adds {endpoint: {count, failed, p50, p99, max}} for every endpoint. */
json_t *sim_stats_json(sim_stats *st);
/* The master's CPU seconds (user + system) and RSS in bytes, from /proc;
 * false when pid is gone. */
bool sim_proc_sample(int pid, double *cpu_s, uint64_t *rss);

/* ---- probe.c ---- */
typedef struct sim_probe sim_probe;
/* rate GET /get a second of the seeded files, from a thread of its own;
 * NULL when files or rate is 0. */
sim_probe *sim_probe_start(const char *master, uint64_t files, double rate);
/* The phase (0..7) the next samples count under. */
void sim_probe_phase(sim_probe *p, int phase);
/* A phase's latencies in ms; false when it has none. */
bool sim_probe_result(sim_probe *p, int phase, double *p50, double *p99, double *max,
                      size_t *n, size_t *failed);
void sim_probe_stop(sim_probe *p);

/* ---- fleet.c ---- */
typedef struct sim_fleet sim_fleet;

typedef struct {
    sim_shape shape;
    const char *master;          /* base URL, with a trailing '/' */
    long heartbeat_ms;
    double jitter;               /* 0..1: a beat comes after heartbeat_ms * (1 +- jitter) */
    double bandwidth_mbps;       /* a simulated copy's speed (MB/s) */
    long report_every;           /* full reports every so many beats (0: only on a new epoch) */
    unsigned load_inflight;      /* workload requests at once */
} sim_config;

sim_fleet *sim_fleet_new(const sim_config *cfg, sim_stats *st, char *err, size_t errlen);
/* Starts nothing new, and lets the requests out finish (for at most ms). */
void sim_fleet_drain(sim_fleet *f, int64_t ms);
void sim_fleet_free(sim_fleet *f);
/* Runs the loop until now >= until_ms (monotonic), or stop says so. */
void sim_fleet_run(sim_fleet *f, int64_t until_ms, bool (*stop)(sim_fleet *f, void *ud), void *ud);
/* A server falls silent (as if killed) or comes back (a restart: a new
 * incarnation, and a full report). */
void sim_fleet_kill(sim_fleet *f, unsigned server);
void sim_fleet_revive(sim_fleet *f, unsigned server);
/* Every server has registered and finished a full report to the master's
 * current epoch; *at_ms: when the last finished (monotonic). */
bool sim_fleet_reported(sim_fleet *f, int64_t *at_ms);
/* Chunks of existing files with fewer than replication copies on live
 * servers (the simulator's view), and those with none anywhere. */
void sim_fleet_short(sim_fleet *f, uint64_t *under, uint64_t *lost);
/* What happened: copies ordered and landed, deletions ordered, and
 * deletions that took a chunk of an existing file below its count. */
typedef struct {
    uint64_t beats, beats_failed, reports_sent, reports_deferred, copies_ordered, copies_landed;
    uint64_t deletes_ordered, deletes_wrongful, list_answers;
    uint64_t creates, appends, removes, gets, load_failed;
} sim_counts;
void sim_fleet_counts(sim_fleet *f, sim_counts *out);
/* The client workload, per second (0: none of that kind). */
void sim_fleet_set_load(sim_fleet *f, double creates, double appends, double deletes, double gets);

/* ---- load.c (driven from fleet.c's loop) ---- */
typedef struct sim_load sim_load;
sim_load *sim_load_new(sim_fleet *f);
void sim_load_free(sim_load *l);
void sim_load_rates(sim_load *l, double creates, double appends, double deletes, double gets);
/* Starts the requests due by now; called every turn of the loop. */
void sim_load_tick(sim_load *l, int64_t now_ms);

/* What load.c needs of the fleet (fleet.c). */
typedef void (*sim_done_fn)(void *ud, long status, json_t *answer);
/* Queues a request (body: NULL for GET; stolen) to the master, from the
 * client's address; done gets the answer (NULL when it failed or was not
 * JSON) and status (0 on a transport error). */
void sim_fleet_request(sim_fleet *f, const char *method, const char *path, json_t *body,
                       const char *endpoint, sim_done_fn done, void *ud);
/* A new file the workload made: its identifier, size and chunk size;
 * returns its index. */
uint32_t sim_fleet_add_file(sim_fleet *f, const char *fileid, const char *path, uint64_t size,
                            uint64_t chunk_size, uint32_t nchunks, uint32_t version);
/* A replica the workload "stored": server addr reports chunk index of
 * file, at version, with size bytes; the holder is added once the master
 * says 200. */
void sim_fleet_store(sim_fleet *f, uint32_t file, uint32_t index, const char *server_addr,
                     uint32_t version, uint64_t size, sim_done_fn done, void *ud);
/* An append committed: the file's new size, and its filled chunk's
 * version. */
void sim_fleet_commit(sim_fleet *f, uint32_t file, uint32_t index, uint32_t version,
                      uint64_t size);
/* A file's path into buf (a seeded one's is computed). */
void sim_fleet_path(sim_fleet *f, uint32_t file, char *buf, size_t len);
void sim_fleet_mark_deleted(sim_fleet *f, uint32_t file);
/* A deletion of file is on its way (on), or failed (off): the master may
 * order its chunks deleted before the simulator hears its answer. */
void sim_fleet_mark_deleting(sim_fleet *f, uint32_t file, bool on);
/* A random existing file (seeded or the workload's), for reads; false
 * when none. */
bool sim_fleet_pick_file(sim_fleet *f, uint32_t *file, const char **fileid);
void sim_fleet_count(sim_fleet *f, const char *what, bool failed);
int64_t sim_now_ms(void);

#endif
