/*
 * scrub.c - the scrubber thread and the one-chunk check. Reads chunk files
 * in 1 MiB pieces through one buffer; the pace comes from the ticker's
 * pause after each chunk, sized so the average stays under the rate. Each
 * pass works from a sorted list of the directory; the store marks in it
 * every chunk it removes, so a listed chunk that is gone unmarked (from
 * this pass's list, or missing from the next) vanished behind our back and
 * is reported lost. A rotten copy is reported, and removed only when the
 * master says a good copy exists elsewhere. The chunks, bytes and rotten
 * copies a pass finds are counted for /stats and /metrics. Must never remove a chunk
 * whose meta it could not read (that is not proof of rot), never remove a
 * rotten one without the master's word, never report a chunk the store
 * removed, and never hold more than one buffer of chunk data.
 */
#include "scrub.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "sha256.h"
#include "ticker.h"

#define SCRUB_BUF (1 << 20)

struct scrub {
    store *st;
    masterlink *ml;
    double bytes_per_ms;
    long pause_ms;              /* after a full pass, or with nothing stored */
    scrub_counters *counters;   /* NULL: none kept */
    ticker *t;
    pthread_mutex_t mu;         /* ids and removed, which removals mark */
    char (*ids)[CHUNKID_BUF];   /* this pass's list, sorted */
    bool *removed;              /* ids[i] was removed through the store */
    size_t n, cap, next;
    char (*nids)[CHUNKID_BUF];  /* the next pass's list, being collected */
    size_t nn, ncap;
    char *buf;
};

typedef enum { SCRUB_SOUND, SCRUB_ROTTEN, SCRUB_UNKNOWN } scrub_verdict;

/* asked: the master asked about this chunk, which it thinks is here, so
 * a missing file is a lost replica; in a pass, one gone since the listing
 * was deleted, and there is nothing to judge. */
static scrub_verdict scrub_read(store *st, const char *id, bool asked, char *buf,
                                uint64_t *bytes, store_meta *m_out)
{
    store_meta m;
    *bytes = 0;
    int fd;
    uint64_t size;
    store_status s = store_open_chunk(st, id, &fd, &size);
    if (s == STORE_NOT_FOUND && asked) {
        memset(m_out, 0, sizeof *m_out);
        return SCRUB_ROTTEN;
    }
    if (s != STORE_OK)
        return SCRUB_UNKNOWN;
    /* The meta of exactly these bytes (same inode), not of a newer copy. */
    if (store_read_meta_fd(fd, &m) != STORE_OK) {
        close(fd);
        return SCRUB_UNKNOWN;
    }
    *m_out = m;
    sha256_stream *h = sha256_stream_new();
    ssize_t n;
    while (h && (n = read(fd, buf, SCRUB_BUF)) > 0) {
        sha256_stream_update(h, buf, (size_t)n);
        *bytes += (uint64_t)n;
    }
    close(fd);
    char hex[SHA256_HEX_LEN + 1];
    bool ok = h && n == 0 && sha256_stream_final_hex(h, hex);
    sha256_stream_free(h);
    if (!ok)
        return SCRUB_UNKNOWN;
    return size == m.size && *bytes == m.size && strcmp(hex, m.sha) == 0 ? SCRUB_SOUND
                                                                          : SCRUB_ROTTEN;
}

/* Rotten copies kept at the master's word, already said so in the log: a
 * small ring of their ids' hashes, so each pass does not say it again. */
static pthread_mutex_t scrub_kept_mu = PTHREAD_MUTEX_INITIALIZER;
static uint32_t scrub_kept[64];
static unsigned scrub_kept_next;

static bool scrub_said_kept(const char *id)
{
    uint32_t h = chunkid_hash(id) | 1u;
    pthread_mutex_lock(&scrub_kept_mu);
    bool said = false;
    for (unsigned i = 0; i < sizeof scrub_kept / sizeof scrub_kept[0] && !said; i++)
        said = scrub_kept[i] == h;
    if (!said)
        scrub_kept[scrub_kept_next++ % (sizeof scrub_kept / sizeof scrub_kept[0])] = h;
    pthread_mutex_unlock(&scrub_kept_mu);
    return said;
}

static bool scrub_check_with(store *st, masterlink *ml, const char *id, bool asked, char *buf,
                             uint64_t *bytes)
{
    store_meta m, now;
    scrub_verdict v = scrub_read(st, id, asked, buf, bytes, &m);
    if (v != SCRUB_ROTTEN)
        return true;
    bool lost = store_read_meta(st, id, &now) == STORE_NOT_FOUND;
    /* Only the copy that was judged: one replaced meanwhile (an upload or
     * an append published a new version) is not rotten, just new. */
    if (!lost && (now.version != m.version || now.size != m.size || strcmp(now.sha, m.sha) != 0))
        return true;
    /* The master says whether it may go: never the last copies of a
     * chunk, which may be all there is. */
    char err[300];
    masterlink_bad_verdict verdict = masterlink_report_bad(ml, id, lost, err, sizeof err);
    if (lost) {
        log_warn("chunk %s vanished from disk; %s", id,
                 verdict == BAD_UNREACHABLE ? "cannot tell the master yet" : "the master knows");
    } else if (verdict == BAD_DELETE) {
        if (store_remove_exact(st, id, &m) == STORE_NEWER)
            return true;
        log_warn("chunk %s is corrupt on disk: removed, at the master's word (a good copy "
                 "exists elsewhere)", id);
    } else if (verdict == BAD_KEEP) {
        if (!scrub_said_kept(id))
            log_warn("chunk %s is corrupt on disk, and no good copy is known: kept, for "
                     "recovery (the master marks it corrupt)", id);
    } else {
        log_warn("chunk %s is corrupt on disk; cannot tell the master (%s): kept until it can",
                 id, err);
    }
    return false;
}

bool scrub_check(store *st, masterlink *ml, const char *id)
{
    char *buf = malloc(SCRUB_BUF);
    if (!buf)
        return true;
    uint64_t bytes;
    bool ok = scrub_check_with(st, ml, id, true, buf, &bytes);
    free(buf);
    return ok;
}

static bool scrub_collect(void *ud, const char *id)
{
    scrub *s = ud;
    if (s->nn == s->ncap) {
        size_t cap = s->ncap ? s->ncap * 2 : 256;
        char(*ids)[CHUNKID_BUF] = realloc(s->nids, cap * sizeof *ids);
        if (!ids)
            return false;
        s->nids = ids;
        s->ncap = cap;
    }
    snprintf(s->nids[s->nn++], CHUNKID_BUF, "%s", id);
    return true;
}

static int scrub_cmp(const void *a, const void *b)
{
    return strcmp(a, b);
}

static bool scrub_exists(store *st, const char *id)
{
    int fd;
    uint64_t size;
    if (store_open_chunk(st, id, &fd, &size) == STORE_NOT_FOUND)
        return false;
    if (fd >= 0)
        close(fd);
    return true;
}

/* The store is about to remove id: not a loss when it is found gone. */
static void scrub_mark_removed(void *ud, const char *id)
{
    scrub *s = ud;
    pthread_mutex_lock(&s->mu);
    char(*hit)[CHUNKID_BUF] = s->n ? bsearch(id, s->ids, s->n, sizeof *s->ids, scrub_cmp) : NULL;
    if (hit)
        s->removed[hit - s->ids] = true;
    pthread_mutex_unlock(&s->mu);
}

static bool scrub_was_removed(scrub *s, size_t i)
{
    pthread_mutex_lock(&s->mu);
    bool r = s->removed[i];
    pthread_mutex_unlock(&s->mu);
    return r;
}

/* Gone without the store removing it: lost. Checked as if the master
 * asked, which reports it when it is still gone. */
static void scrub_lost(scrub *s, const char *id)
{
    uint64_t bytes;
    scrub_check_with(s->st, s->ml, id, true, s->buf, &bytes);
}

/* A new pass: list the directory. A chunk of the last list that is not
 * in the new one and was not marked removed (the mark comes before the
 * unlink, so a removal the listing missed the file for is marked by then)
 * is lost. Marks of chunks in both lists carry over. False: nothing to
 * scrub. */
static bool scrub_new_pass(scrub *s)
{
    s->nn = 0;
    store_list_ids(s->st, scrub_collect, s);
    if (s->nn)
        qsort(s->nids, s->nn, sizeof *s->nids, scrub_cmp);
    bool *removed = calloc(s->nn ? s->nn : 1, sizeof *removed);
    if (!removed)
        return false;   /* out of memory: try again after a pause */
    char(*lost)[CHUNKID_BUF] = NULL;
    size_t nlost = 0;
    pthread_mutex_lock(&s->mu);
    for (size_t i = 0, j = 0; i < s->n; i++) {
        int c = 1;
        while (j < s->nn && (c = strcmp(s->ids[i], s->nids[j])) > 0)
            j++;
        if (j < s->nn && c == 0) {
            removed[j] = s->removed[i];
        } else if (!s->removed[i]) {
            /* the old list is reused for the new one: keep the lost apart */
            char(*l)[CHUNKID_BUF] = realloc(lost, (nlost + 1) * sizeof *lost);
            if (l) {
                lost = l;
                snprintf(lost[nlost++], CHUNKID_BUF, "%s", s->ids[i]);
            }
        }
    }
    char(*ids)[CHUNKID_BUF] = s->ids;
    size_t cap = s->cap;
    s->ids = s->nids;
    s->cap = s->ncap;
    s->n = s->nn;
    s->nids = ids;
    s->ncap = cap;
    free(s->removed);
    s->removed = removed;
    s->next = 0;
    pthread_mutex_unlock(&s->mu);
    for (size_t k = 0; k < nlost; k++)
        scrub_lost(s, lost[k]);
    free(lost);
    return s->n > 0;
}

static long scrub_tick(void *ud)
{
    scrub *s = ud;
    if (s->next >= s->n && !scrub_new_pass(s))
        return s->pause_ms;
    uint64_t bytes = 0;
    size_t i = s->next++;
    bool sound = scrub_check_with(s->st, s->ml, s->ids[i], false, s->buf, &bytes);
    bool pass_done = s->next >= s->n;
    if (s->counters) {
        atomic_fetch_add(&s->counters->chunks, 1);
        atomic_fetch_add(&s->counters->bytes, bytes);
        if (!sound && bytes > 0)
            atomic_fetch_add(&s->counters->rotten, 1);
        if (pass_done)
            atomic_fetch_add(&s->counters->passes, 1);
    }
    /* gone since the listing, and the mark (set before any unlink of the
     * store's) says whether that was the store */
    if (bytes == 0 && !scrub_exists(s->st, s->ids[i]) && !scrub_was_removed(s, i))
        scrub_lost(s, s->ids[i]);
    long pause = (long)((double)bytes / s->bytes_per_ms);
    return pass_done ? pause + s->pause_ms : pause;
}

scrub *scrub_start(store *st, masterlink *ml, double mbps, long pause_ms, scrub_counters *counters)
{
    scrub *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->st = st;
    s->ml = ml;
    s->pause_ms = pause_ms;
    s->counters = counters;
    pthread_mutex_init(&s->mu, NULL);
    if (mbps <= 0)
        return s;
    s->bytes_per_ms = mbps * 1e6 / 1000.0;
    store_on_remove(st, scrub_mark_removed, s);
    if (!(s->buf = malloc(SCRUB_BUF)) || !(s->t = ticker_start(scrub_tick, s, pause_ms / 10))) {
        store_on_remove(st, NULL, NULL);
        pthread_mutex_destroy(&s->mu);
        free(s->buf);
        free(s);
        return NULL;
    }
    return s;
}

void scrub_stop(scrub *s)
{
    if (!s)
        return;
    ticker_stop(s->t);
    if (s->t)
        store_on_remove(s->st, NULL, NULL);
    pthread_mutex_destroy(&s->mu);
    free(s->ids);
    free(s->nids);
    free(s->removed);
    free(s->buf);
    free(s);
}
