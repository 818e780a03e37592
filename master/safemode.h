/*
 * safemode.h - the master's first moments after a restart.
 *
 * A master that has just replayed its journal knows every file but not yet
 * where a single chunk lives: that arrives with the chunkservers' full
 * reports, one server at a time. Until they are in, a chunk looks short of
 * copies that are merely unreported, and a replica looks like garbage that
 * is merely early. So, like HDFS's safe mode, for --safemode-ms after a
 * start the master takes reports in but orders nothing destructive: no
 * deletion decided from a report, no trimming of surplus copies, no
 * repair copies, no expiry of unfinished uploads. Nor does it place new
 * chunks (503, retry): placed among the first servers back, they would
 * get fewer copies than they should. It ends early once every stored
 * chunk has a reported holder again and no chunkserver has joined for
 * SAFEMODE_SETTLE_MS (the repair thread watches for that; the others
 * come back within a heartbeat of the first). Its time is stretched while
 * full reports are still teaching it where chunks are (a page with a
 * location new to it in the last SAFEMODE_REPORT_QUIET_MS), up to SAFEMODE_STRETCH times --safemode-ms:
 * ten million chunks take longer to report than a default safe mode, and
 * ending it halfway would order copies of chunks merely not reported
 * yet, and trim them again once they are. A master that created its
 * namespace just now has nothing to protect and skips it. A standby of an
 * HA cluster that becomes the active master starts a safe mode of its
 * own, but one that places new chunks at once (every chunkserver has been
 * registered with it all along).
 */
#ifndef MINIDFS_SAFEMODE_H
#define MINIDFS_SAFEMODE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* How long the set of chunkservers must hold still before safe mode may
 * end early. */
#define SAFEMODE_SETTLE_MS 2000
/* Safe mode outlasts its time while report pages still arrive this
 * often, up to this many times its time. */
#define SAFEMODE_REPORT_QUIET_MS 5000
#define SAFEMODE_STRETCH 10

typedef struct {
    _Atomic int64_t until_ms;    /* monotonic ms; set at start, and when an HA master becomes active */
    _Atomic bool over;       /* said so in the log already */
    _Atomic int64_t joined_ms;   /* when a chunkserver last joined */
    _Atomic bool placing;    /* new chunks may be placed meanwhile (a failover) */
    _Atomic int64_t began_ms, duration_ms;
    _Atomic int64_t report_ms;   /* when a page of a full report last came in */
} safemode;

/* Safe mode from now_ms for duration_ms (0: none); again when a standby
 * becomes the active master (its view of the chunks may be behind). */
void safemode_start(safemode *s, int64_t now_ms, int64_t duration_ms);
/* The safe mode of a standby that became the active master: the
 * chunkservers are all registered with it already (they heartbeat to
 * every master), so new chunks may be placed at once, but nothing is
 * deleted or repaired before their full reports to it are in. */
void safemode_start_failover(safemode *s, int64_t now_ms, int64_t duration_ms);
/* True while in safe mode; the first call after it ends logs that. Any
 * thread. */
bool safemode_on(safemode *s, int64_t now_ms);
/* True while new chunks may not be placed: safe mode, but for a failover's. */
bool safemode_holds_placement(safemode *s, int64_t now_ms);
/* Ends safe mode now (every chunk is accounted for), saying why. */
void safemode_leave(safemode *s, const char *why);
/* A chunkserver joined (registered for the first time since the start). */
void safemode_joined(safemode *s, int64_t now_ms);
/* A page of a full report told the master of copies it did not know. */
void safemode_report(safemode *s, int64_t now_ms);
/* Whether no chunkserver has joined for SAFEMODE_SETTLE_MS. */
bool safemode_settled(safemode *s, int64_t now_ms);

#endif
