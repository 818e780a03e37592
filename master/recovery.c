/*
 * recovery.c - recovery at start (with the cluster id a namespace without
 * one gets, and the one-time conversion of a meta-dir from before
 * directories into the new format), checkpoints while running and at the
 * end. Owns the journal
 * and a checkpoint thread that wakes a few times a second to see whether
 * enough records have piled up. Must never write a
 * checkpoint while another is being written (the journal serializes them)
 * and never detach the journal while requests may still use it.
 */
#include "recovery.h"

#include <inttypes.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/random.h>
#include <time.h>

#include "chunkid.h"

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
};

static bool recovery_apply(void *ud, json_t *rec, char *err, size_t errlen)
{
    return record_replay(ud, rec, err, errlen);
}

static void recovery_reset(void *ud)
{
    namespace_clear(ud);
}

static bool recovery_dump(void *ud, void *sink)
{
    return record_checkpoint(ud, sink);
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
    if (journal_checkpoint(m->j, recovery_dump, m->ns, err, sizeof err)) {
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
    if ((atomic_exchange(&m->soon, false) || journal_pending_checkpoint(m->j) >= m->every) &&
        !journal_failure(m->j))
        recovery_checkpoint(m);
    return RECOVERY_POLL_MS;
}

/* A namespace without a cluster id gets one now, durably, before any
 * chunkserver can hear it: chunkservers record the id of the first master
 * they join and refuse every other. */
static bool recovery_give_cluster_id(recovery *m, char *err, size_t errlen)
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

recovery *recovery_open(const char *dir, ns_table *ns, uint64_t checkpoint_every, bool recover,
                char *err, size_t errlen)
{
    recovery *m = calloc(1, sizeof *m);
    if (!m) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    m->ns = ns;
    m->every = checkpoint_every ? checkpoint_every : 1;
    journal_recovery rec;
    double t0 = recovery_seconds();
    journal_replayer rp = { .apply = recovery_apply, .reset = recovery_reset, .ud = ns,
                            .recover = recover };
    if (!(m->j = journal_open(dir, &rp, &rec, err, errlen))) {
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
    namespace_set_journal(ns, m->j);
    size_t converted = namespace_converted(ns);
    namespace_conversion_done(ns);
    if (!recovery_give_cluster_id(m, err, errlen)) {
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

void recovery_close(recovery *m)
{
    if (!m)
        return;
    ticker_stop(m->t);
    if (journal_pending_checkpoint(m->j) > 0 && !journal_failure(m->j))
        recovery_checkpoint(m);
    namespace_set_journal(m->ns, NULL);
    journal_close(m->j);
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
