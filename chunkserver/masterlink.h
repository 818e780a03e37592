/*
 * masterlink.h - the chunkserver's side of its link to the master.
 *
 * A background thread registers with the master and re-registers every
 * heartbeat, so a master that restarts learns about us again by itself.
 * The master's answer tells us the address it knows us by, the chunk size
 * (which bounds every chunk we accept), the chunks to delete and the
 * chunks to check. A full chunk report (every chunk with its size,
 * version, checksum and age) goes to the master after the first
 * registration with each master incarnation (its "epoch") and every
 * report_every heartbeats; the master answers with what is garbage.
 * Each registration carries the disk's capacity and use (with a
 * configured capacity: that quota, and the chunks' own bytes as used),
 * which placement and the balancer go by.
 *
 * An HA cluster has several masters (the list in master_base): the
 * chunkserver registers, heartbeats and sends full reports to each, so a
 * standby knows where every chunk lives before it takes over, but follows
 * orders (deletions, checks, copies) only from one that says it is
 * active; reports of stored chunks and bad copies go to the active master,
 * found by a standby's X-Minidfs-Leader hint or by trying the next.
 *
 * The directory belongs to one cluster: its id is sent with every message
 * and checked in every answer, and a master of another cluster (or of
 * none) is refused, its answers never acted on. A directory of no cluster
 * yet records the first master's id, durably, before it acts on anything
 * that master says. With a cluster key every message is signed and every
 * answer acted on must be signed by the master (auth.h).
 */
#ifndef MINIDFS_MASTERLINK_H
#define MINIDFS_MASTERLINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdint.h>

#include "auth.h"
#include "chunkid.h"
#include "store.h"

typedef struct masterlink masterlink;

typedef enum {
    REPORT_OK,            /* the master recorded the chunk on this server */
    REPORT_DUPLICATE,     /* the master already had it recorded here */
    REPORT_REJECTED,      /* the master refused it (status and message set) */
    REPORT_UNREACHABLE,   /* no answer from the master */
} masterlink_report_result;

/* announce: the "url" we register with ("HOST:PORT/" or ":PORT/"); rack
 * and the file system of dir are reported with every heartbeat. */
typedef struct {
    const char *master_base;   /* "http://host:port", or several joined by ',' (HA) */
    const char *announce;
    const char *rack;
    store *st;
    long heartbeat_ms;
    long report_every;         /* heartbeats between full reports */
    _Atomic uint64_t *load;    /* transfers in progress, sent with each heartbeat */
    /* the chunks being written now (their leases go on), also sent */
    size_t (*active)(void *ud, char (*ids)[CHUNKID_BUF], size_t max);
    /* a chunk the master wants checked now (called on the heartbeat thread) */
    void (*verify)(void *ud, const char *chunk_id);
    /* a copy the master wants made (must not block: queue it) */
    void (*copy)(void *ud, const char *chunk_id, const char *target);
    void *cb_ud;               /* passed to active and verify */
    const auth_key *key;       /* signs every message to the master (NULL: an open cluster) */
    /* 0: report the file system's size and use; else report at most this
     * capacity, and the chunks' own bytes as used (a server sharing its
     * disk, or given a quota: what placement and the balancer go by) */
    uint64_t capacity;
} masterlink_config;

masterlink *masterlink_start(const masterlink_config *cfg, char *err, size_t errlen);
void masterlink_stop(masterlink *ml);

/* True when addr is a chunkserver of this cluster, by the master's list
 * from the last heartbeat; for an unknown addr (a server may have joined
 * since) the heartbeat thread beats at once, and this waits for that
 * beat's list (3 s at most) before the answer is no. */
bool masterlink_is_peer(masterlink *ml, const char *addr);

/* False until the first registration succeeded. */
bool masterlink_registered(masterlink *ml, uint64_t *chunk_size, char *addr, size_t addrlen);

/* generation: what the uploader sent in X-Minidfs-Generation (the chunk's
 * version), 0 if none; sha: the bytes' SHA-256 in hex. On REPORT_OK
 * *version is the chunk's version by the master. A master that does not
 * answer or says 503 (a restart) is asked again for up to 5 s. */
masterlink_report_result masterlink_report(masterlink *ml, const char *chunk_id, uint64_t size,
                                           uint64_t generation, const char *sha,
                                           uint64_t *version, long *status, char *msg,
                                           size_t msglen);

typedef enum {
    BAD_DELETE,        /* the master dropped the replica: the copy may go */
    BAD_KEEP,          /* no good copy is known: keep this one (it is marked rotten) */
    BAD_UNREACHABLE,   /* not told: keep it, and tell the master later */
} masterlink_bad_verdict;

/* Tells the master the copy of chunk_id here failed its checksum (lost:
 * vanished altogether), and returns what to do with it. */
masterlink_bad_verdict masterlink_report_bad(masterlink *ml, const char *chunk_id, bool lost,
                                             char *err, size_t errlen);

#endif
