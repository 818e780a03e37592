/*
 * recovery.c - recovery at start (with the cluster id a namespace without
 * one gets, and the one-time conversion of a meta-dir from before
 * directories into the new format), checkpoints while running and at the
 * end; for an HA master, the place in etcd's log each checkpoint records
 * (an "oplog" record), the records a standby applied counted toward its
 * checkpoints, and the load of a checkpoint fetched from the active
 * master. Owns the journal and a checkpoint thread that wakes a few times
 * a second to see whether enough records have piled up. Must never write
 * a checkpoint while another is being written (the journal serializes
 * them) or while a fetched one is being loaded, and never detach the
 * journal while requests may still use it.
 */
#include "recovery.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/random.h>
#include <time.h>

#include "chunkid.h"
#include <string.h>

#include "log.h"
#include "ticker.h"

#define RECOVERY_POLL_MS 250

struct recovery {
    ns_table *ns;
    journal *j;
    uint64_t every;
    ticker *t;
    _Atomic bool soon;   /* the log was replayed: fold it into a checkpoint */
    bool fresh;          /* the directory held no namespace */
    bool positioned;     /* the recovered checkpoint said where in etcd's log it stands */
    uint64_t oplog_next; /* ...there */
    uint64_t (*position)(void *ud);   /* HA: where checkpoints stand in etcd's log */
    void (*position_moved)(void *ud, uint64_t next);   /* ...after a load, there */
    void *position_ud;
    _Atomic uint64_t applied;         /* records a standby applied since the last checkpoint */
    uint64_t dumped_at;               /* the position the checkpoint being written records */
    _Atomic uint64_t kept[2];         /* ...of the two newest written, older first */
    _Atomic unsigned nkept;
    /* a checkpoint and the load of a fetched one exclude each other: a
     * checkpoint of a namespace half replaced would be a lie */
    pthread_mutex_t load_mu;
    bool live;           /* records applied while the master serves: under the lock */
};

#define RECOVERY_OP_OPLOG "oplog"

static bool recovery_apply(void *ud, json_t *rec, char *err, size_t errlen)
{
    recovery *m = ud;
    const char *op = json_string_value(json_object_get(rec, "op"));
    if (op && strcmp(op, RECOVERY_OP_OPLOG) == 0) {
        json_t *v = json_object_get(rec, "next");
        if (!json_is_integer(v) || json_integer_value(v) < 0) {
            snprintf(err, errlen, "an \"oplog\" record without a piece number");
            return false;
        }
        m->oplog_next = (uint64_t)json_integer_value(v);
        m->positioned = true;
        return true;
    }
    return m->live ? record_replay_live(m->ns, rec, err, errlen)
                   : record_replay(m->ns, rec, err, errlen);
}

static void recovery_reset(void *ud)
{
    recovery *m = ud;
    namespace_clear(m->ns);
    m->positioned = false;
    m->oplog_next = 0;
}

static bool recovery_dump(void *ud, void *sink)
{
    recovery *m = ud;
    if (m->position) {   /* read before the dump: everything below it is in the dump */
        m->dumped_at = m->position(m->position_ud);
        json_t *o = json_pack("{s:s,s:I}", "op", RECOVERY_OP_OPLOG, "next",
                              (json_int_t)m->dumped_at);
        bool ok = o && journal_dump_record(sink, o);
        json_decref(o);
        if (!ok)
            return false;
    }
    return record_checkpoint(m->ns, sink);
}

static double recovery_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool recovery_checkpoint(recovery *m)
{
    char err[512];
    double t0 = recovery_seconds();
    atomic_store(&m->applied, 0);
    pthread_mutex_lock(&m->load_mu);
    bool written = journal_checkpoint(m->j, recovery_dump, m, err, sizeof err);
    pthread_mutex_unlock(&m->load_mu);
    if (written) {
        if (m->position) {
            atomic_store(&m->kept[0], atomic_load(&m->kept[1]));
            atomic_store(&m->kept[1], m->dumped_at);
            atomic_fetch_add(&m->nkept, 1);
        }
        log_info("checkpoint took %.3f s (%zu files)", recovery_seconds() - t0,
                 namespace_count(m->ns));
        return true;
    }
    log_error("checkpoint failed: %s", err);
    return false;
}

static long recovery_tick(void *ud)
{
    recovery *m = ud;
    if ((atomic_exchange(&m->soon, false) || journal_pending_checkpoint(m->j) >= m->every ||
         atomic_load(&m->applied) >= m->every) && !journal_failure(m->j))
        recovery_checkpoint(m);
    return RECOVERY_POLL_MS;
}

/* A namespace without a cluster id gets one now, durably, before any
 * chunkserver can hear it: chunkservers record the id of the first master
 * they join and refuse every other. */
bool recovery_ensure_cluster_id(recovery *m, char *err, size_t errlen)
{
    char id[CLUSTERID_LEN + 1];
    namespace_cluster_id(m->ns, id);
    if (id[0])
        return true;
    unsigned char rnd[CLUSTERID_LEN / 2];
    if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd) {
        snprintf(err, errlen, "cannot draw a cluster id: no randomness");
        return false;
    }
    for (size_t i = 0; i < sizeof rnd; i++)
        snprintf(id + 2 * i, 3, "%02x", rnd[i]);
    if (!namespace_set_cluster_id(m->ns, id) || !journal_sync_mine(m->j)) {
        const char *why = journal_failure(m->j);
        snprintf(err, errlen, "cannot record the cluster id: %s", why ? why : "refused");
        return false;
    }
    if (!m->fresh)   /* a new namespace says so when the master is up */
        log_info("cluster id %s given to the namespace in %s", id, journal_dir(m->j));
    return true;
}

static recovery *recovery_start(const char *dir, ns_table *ns, uint64_t checkpoint_every,
                                bool recover, bool ha, char *err, size_t errlen)
{
    recovery *m = calloc(1, sizeof *m);
    if (!m) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    m->ns = ns;
    m->every = checkpoint_every ? checkpoint_every : 1;
    pthread_mutex_init(&m->load_mu, NULL);
    journal_recovery rec;
    double t0 = recovery_seconds();
    journal_replayer rp = { .apply = recovery_apply, .reset = recovery_reset, .ud = m,
                            .recover = recover };
    if (!(m->j = journal_open(dir, &rp, &rec, err, errlen))) {
        pthread_mutex_destroy(&m->load_mu);
        free(m);
        return NULL;
    }
    if (rec.checkpoint_seq || rec.log_records)
        log_info("recovered %zu files from %s in %.3f s (checkpoint %" PRIu64 " with %" PRIu64
                 " records, then %" PRIu64 " log records%s)", namespace_count(ns), dir,
                 recovery_seconds() - t0, rec.checkpoint_seq, rec.checkpoint_records,
                 rec.log_records, rec.torn_bytes ? ", torn tail dropped" : "");
    m->fresh = rec.checkpoint_seq == 0 && rec.log_records == 0 && !rec.damaged_checkpoint &&
               !rec.dropped_bytes;
    if (!ha)
        namespace_set_journal(ns, m->j);
    size_t converted = namespace_converted(ns);
    namespace_conversion_done(ns);
    if (!ha && !recovery_ensure_cluster_id(m, err, errlen)) {
        recovery_close(m);
        return NULL;
    }
    /* A meta-dir from before directories: its names became paths as they
     * were replayed; a checkpoint in the new format now makes that once. */
    if (converted) {
        log_info("converted %zu records of a meta-dir from before directories (checkpoint "
                 "format 1) into paths", converted);
        if (!recovery_checkpoint(m)) {
            snprintf(err, errlen, "cannot write the converted namespace to %s", dir);
            recovery_close(m);
            return NULL;
        }
    }
    /* Fold what the log held into a checkpoint soon (in the background:
     * the master serves meanwhile), so the next start is fast; after a
     * fallback or a recovery, so the next start need not do it again. */
    atomic_store(&m->soon, rec.log_records > 0 || rec.damaged_checkpoint || rec.dropped_bytes);
    if (!(m->t = ticker_start(recovery_tick, m, 0))) {
        snprintf(err, errlen, "cannot start the checkpoint thread");
        recovery_close(m);
        return NULL;
    }
    return m;
}

recovery *recovery_open(const char *dir, ns_table *ns, uint64_t checkpoint_every, bool recover,
                        char *err, size_t errlen)
{
    return recovery_start(dir, ns, checkpoint_every, recover, false, err, errlen);
}

recovery *recovery_open_ha(const char *dir, ns_table *ns, uint64_t checkpoint_every,
                           bool recover, char *err, size_t errlen)
{
    return recovery_start(dir, ns, checkpoint_every, recover, true, err, errlen);
}

bool recovery_position(const recovery *m, uint64_t *next)
{
    *next = m->oplog_next;
    return m->positioned;
}

void recovery_set_position(recovery *m, uint64_t (*position)(void *ud),
                           void (*moved)(void *ud, uint64_t next), void *ud)
{
    m->position = position;
    m->position_moved = moved;
    m->position_ud = ud;
}

void recovery_count(recovery *m, uint64_t n)
{
    atomic_fetch_add(&m->applied, n);
}

void recovery_soon(recovery *m)
{
    atomic_store(&m->soon, true);
}

bool recovery_kept_position(recovery *m, uint64_t *below)
{
    *below = atomic_load(&m->kept[0]);
    return atomic_load(&m->nkept) >= 2;
}

/* journal_apply_frames's callback for the first record only: takes an
 * "oplog" record's place, and stops there whatever it is. */
static bool recovery_first_position(void *ud, json_t *rec, char *err, size_t errlen)
{
    const char *op = json_string_value(json_object_get(rec, "op"));
    json_t *v = json_object_get(rec, "next");
    if (op && strcmp(op, RECOVERY_OP_OPLOG) == 0 && json_is_integer(v) &&
        json_integer_value(v) >= 0)
        *(int64_t *)ud = json_integer_value(v);
    snprintf(err, errlen, "stop");
    return false;
}

bool recovery_checkpoint_position(const char *buf, size_t len, uint64_t *next)
{
    int64_t at = -1;
    uint64_t n;
    char err[64];
    journal_apply_frames(buf, len, recovery_first_position, &at, &n, err, sizeof err);
    if (at < 0)
        return false;
    *next = (uint64_t)at;
    return true;
}

bool recovery_load(recovery *m, const char *buf, size_t len, uint64_t *next, char *err,
                   size_t errlen)
{
    pthread_mutex_lock(&m->load_mu);
    recovery_reset(m);
    uint64_t n;
    m->live = true;
    bool ok = journal_apply_frames(buf, len, recovery_apply, m, &n, err, errlen);
    m->live = false;
    if (ok && !m->positioned) {
        snprintf(err, errlen, "the checkpoint does not say where in the log it stands");
        ok = false;
    }
    *next = m->oplog_next;
    if (ok && m->position_moved)   /* before a checkpoint can record it */
        m->position_moved(m->position_ud, *next);
    pthread_mutex_unlock(&m->load_mu);
    if (!ok)
        return false;
    atomic_store(&m->applied, n);   /* worth a checkpoint of our own soon */
    atomic_store(&m->soon, true);
    return true;
}

void recovery_close(recovery *m)
{
    if (!m)
        return;
    ticker_stop(m->t);
    if ((journal_pending_checkpoint(m->j) > 0 || atomic_load(&m->applied) > 0) &&
        !journal_failure(m->j))
        recovery_checkpoint(m);
    namespace_set_journal(m->ns, NULL);
    journal_close(m->j);
    pthread_mutex_destroy(&m->load_mu);
    free(m);
}

bool recovery_fresh(const recovery *m)
{
    return m && m->fresh;
}

journal *recovery_journal(recovery *m)
{
    return m ? m->j : NULL;
}
