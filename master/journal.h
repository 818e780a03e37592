/*
 * journal.h - the master's operation log: an append-only sequence of
 * records, each durable (fdatasync) before the mutation it describes is
 * acknowledged.
 *
 * On disk, in the meta directory:
 *   log.<seq>         records appended since checkpoint <seq> was begun
 *   checkpoint.<seq>  the whole namespace as records, written atomically
 * Every record is framed as
 *   u32 length (little endian) | u32 check | length bytes of JSON
 * where check is the first four bytes of the SHA-256 of the JSON. A reader
 * that meets a frame cut short by the end of the newest log, or one whose
 * last byte was never written (zero), treats it as a torn write from a
 * crash: nothing acknowledged was in it, so it reports it, truncates it
 * away and carries on. A whole frame whose check fails is damage (a
 * flipped byte in an acknowledged record), anywhere: nothing is guessed,
 * and the master refuses to start unless asked to recover, when it keeps
 * what precedes the damage and sets the rest aside in *.damaged files.
 *
 * The newest two checkpoints are kept, and the logs since the older: a
 * damaged newest checkpoint is set aside and recovery starts from the one
 * before it.
 *
 * Group commit: many threads append; whichever first needs its records
 * durable writes out everything appended so far with one write and one
 * fdatasync, and the others wait for it instead of paying their own.
 *
 * Shipped (high availability, ha.h): with a shipper set, a batch is made
 * durable by handing its frames to the shipper (the replicated log in
 * etcd) instead of the local segment, which then stays empty; a refused
 * ship fails the journal for good, like a failed fsync.
 */
#ifndef MINIDFS_JOURNAL_H
#define MINIDFS_JOURNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "metrics.h"

#define JOURNAL_MAX_RECORD (256u << 20)

typedef struct journal journal;

/* Called for each record found during recovery, in order. False stops the
 * replay with err set. */
typedef bool (*journal_apply_fn)(void *ud, json_t *rec, char *err, size_t errlen);

/* How recovery hands the records over. */
typedef struct {
    journal_apply_fn apply;
    void (*reset)(void *ud);   /* forget all applied so far: the newest checkpoint was damaged */
    void *ud;
    bool recover;              /* damage in a log: keep what precedes it, set the rest aside */
} journal_replayer;

/* What recovery found, for the log and for tests. */
typedef struct {
    uint64_t checkpoint_seq;     /* 0: no checkpoint */
    uint64_t checkpoint_records;
    uint64_t log_records;
    uint64_t torn_bytes;         /* dropped from the newest log's tail */
    uint64_t damaged_checkpoint; /* a newest checkpoint set aside (0: none) */
    uint64_t dropped_bytes;      /* recover: log bytes set aside from the damage on */
    char dropped[300];           /* recover: where the damage was, and what went */
} journal_recovery;

/* Opens dir (creating it), takes its lock (one master per directory: the
 * lock file .lock holds the holder's pid), replays the newest whole
 * checkpoint and the logs after it through rp, truncates a torn tail, and
 * starts a new log segment. NULL with err set when another process has the
 * directory, it cannot be used, every checkpoint is damaged, or a log
 * record is damaged and rp->recover is false. */
journal *journal_open(const char *dir, const journal_replayer *rp, journal_recovery *rec,
                      char *err, size_t errlen);
void journal_close(journal *j);

/* Appends a record (JSON text of len bytes) to the in-memory tail and
 * returns its sequence number; never does I/O, so it may run under the
 * caller's locks. The record is not durable until journal_sync. Remembers
 * the number as this thread's last record. */
uint64_t journal_append(journal *j, const char *json, size_t len);
/* Same, for a JSON value (which it does not steal). 0 on failure. */
uint64_t journal_append_json(journal *j, const json_t *rec);
/* Waits until record lsn (and all before it) is durable. False while the
 * disk is full (the records wait in memory, and a later sync, at most
 * once a second, writes them once there is room), and for good once the
 * journal has failed (any other write error, any fsync error): from then
 * on nothing more is acknowledged. */
bool journal_sync(journal *j, uint64_t lsn);
/* journal_sync for the last record this thread appended (true if none). */
bool journal_sync_mine(journal *j);
/* Records appended since the last checkpoint began. */
uint64_t journal_pending_checkpoint(journal *j);

/* Writes a checkpoint: starts a new log segment, then has dump write the
 * state (through journal_dump_record), then publishes the checkpoint and
 * deletes what it makes redundant (all but it, the checkpoint before it
 * and the logs since that one). Only one checkpoint at a time. */
typedef bool (*journal_dump_fn)(void *ud, void *sink);
bool journal_checkpoint(journal *j, journal_dump_fn dump, void *ud, char *err, size_t errlen);
/* Used by a dump function: appends one record to the checkpoint being
 * written. */
bool journal_dump_record(void *sink, const json_t *rec);

/* From now on batches go to ship (false: not durable; err set) instead
 * of the local segment; NULL goes back to the segment. Set before any
 * record is appended under it. */
typedef bool (*journal_ship_fn)(void *ud, const char *buf, size_t len, char *err, size_t errlen);
void journal_set_shipper(journal *j, journal_ship_fn ship, void *ud);

/* Applies the records framed in buf (a batch as a shipper was handed it),
 * in order, through apply; false with err set at the first frame that is
 * cut short, fails its check or is refused. *nrec: records applied. */
bool journal_apply_frames(const char *buf, size_t len, journal_apply_fn apply, void *ud,
                          uint64_t *nrec, char *err, size_t errlen);

/* Opens the newest checkpoint for reading (a master that joins fetches
 * it): its descriptor and size, or -1 with errno set (ENOENT: none). */
int journal_open_checkpoint(journal *j, uint64_t *size);

/* The directory the journal lives in. */
const char *journal_dir(const journal *j);

/* A failure message while the disk is full or once the journal has
 * failed, else NULL. */
const char *journal_failure(journal *j);

/* For the metrics: records appended by this process, the time each
 * durable write took (fdatasync, or the ship to the HA log), and when the
 * last checkpoint was written (monotonic ms; 0: none by this process). */
uint64_t journal_appended(journal *j);
const metrics_hist *journal_sync_hist(const journal *j);
int64_t journal_checkpoint_ms(const journal *j);

#endif
