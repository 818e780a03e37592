/*
 * journal.c - the operation log's files, framing, group commit and
 * checkpoints. Knows nothing of what the records mean: the namespace
 * writes and applies them. Appends only copy bytes under a mutex; the one
 * thread doing a flush writes and fsyncs with the mutex released. A full
 * disk pauses acknowledgements until there is room; any other error ends
 * them. Each durable write is timed for the metrics. Recovery falls back
 * from a damaged checkpoint to the one before,
 * and cuts a damaged log only when asked to; it alone sweeps unfinished
 * checkpoints (a listing at any other time would delete the one being
 * written). Must never report a record
 * durable before fdatasync returned, and never hand recovery a record
 * whose check does not match.
 */
#include "journal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsdir.h"
#include "log.h"
#include "metrics.h"
#include "sha256.h"
#include "monotime.h"

#define JOURNAL_HDR 8
#define JOURNAL_MAX_SEGMENTS 4096
/* A full disk: how often a write is tried again, and how much may wait
 * in memory meanwhile before the journal gives up for good. */
#define JOURNAL_NOSPACE_RETRY_MS 1000
#define JOURNAL_MAX_WAITING (64u << 20)

struct journal {
    char *dir;
    int dirfd;
    int lockfd;                /* holds the directory's lock: one master per directory */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_mutex_t ckpt_mu;   /* one checkpoint at a time */
    int fd;                    /* the current segment */
    uint64_t seq;              /* its number */
    char *buf, *spare;         /* framed records not yet written; the other buffer */
    size_t len, cap, spare_cap;
    uint64_t appended, durable;
    uint64_t since_checkpoint;
    off_t end;                 /* the segment's size after its last durable write */
    bool flushing;
    bool failed;               /* for good: nothing more is acknowledged */
    int64_t nospace_ms;        /* the disk was full at this monotonic ms (0: it is not) */
    char failure[300];
    journal_ship_fn ship;      /* not NULL: batches go there, not to the segment */
    void *ship_ud;
    /* for the metrics: each durable write's time, the last checkpoint's */
    metrics_hist sync_hist;
    _Atomic int64_t checkpoint_ms;   /* monotonic; 0: none by this process */
};

static _Thread_local const journal *journal_tls_owner;
static _Thread_local uint64_t journal_tls_last;

/* ---- framing ---- */

static void journal_put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

static uint32_t journal_get32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint32_t journal_check(const void *data, size_t len)
{
    unsigned char md[SHA256_LEN];
    return sha256_digest(data, len, md) ? journal_get32(md) : 0;
}

static void journal_frame(unsigned char hdr[JOURNAL_HDR], const char *json, size_t len)
{
    journal_put32(hdr, (uint32_t)len);
    journal_put32(hdr + 4, journal_check(json, len));
}

/* ---- reading (recovery) ---- */

typedef enum { READ_OK, READ_TORN, READ_DAMAGED, READ_IO, READ_STOPPED } journal_read_result;

/* True when nothing but zero bytes follows in f (a crash can leave a
 * zero-filled tail where the last write's blocks were allocated). */
static bool journal_zero_rest(FILE *f)
{
    int c;
    while ((c = getc(f)) != EOF)
        if (c != 0)
            return false;
    return true;
}

/* Applies each record of the file open on fd; *good is the offset after
 * the last good record, *nrec how many there were. A bad frame is torn
 * when it is cut short by the end of the file, or is the file's last and
 * ends in a byte never written (zero: a JSON record ends in '}'), or is
 * nothing but zeros to the end; any other bad frame is damage, the last
 * one too: a whole record whose check fails is a flipped byte in what was
 * acknowledged, not a write a crash cut short. */
static journal_read_result journal_read_all(int fd, journal_apply_fn apply, void *ud,
                                            uint64_t *nrec, off_t *good, char *err, size_t errlen)
{
    struct stat sb;
    FILE *f = fstat(fd, &sb) == 0 ? fdopen(dup(fd), "rb") : NULL;
    if (!f) {
        snprintf(err, errlen, "%s", strerror(errno));
        return READ_IO;
    }
    journal_read_result r = READ_OK;
    char *payload = NULL;
    *good = 0;
    *nrec = 0;
    for (;;) {
        unsigned char hdr[JOURNAL_HDR];
        size_t n = fread(hdr, 1, sizeof hdr, f);
        if (n == 0 && feof(f))
            break;
        if (n < sizeof hdr) {
            r = ferror(f) ? READ_IO : READ_TORN;
            break;
        }
        uint32_t len = journal_get32(hdr), check = journal_get32(hdr + 4);
        if (len == 0 || len > JOURNAL_MAX_RECORD) {
            r = len == 0 && check == 0 && journal_zero_rest(f) ? READ_TORN : READ_DAMAGED;
            break;
        }
        if ((off_t)(*good + JOURNAL_HDR + len) > sb.st_size) {
            r = READ_TORN;   /* cut short by the end of the file */
            break;
        }
        char *p = realloc(payload, (size_t)len + 1);
        if (!p) {
            snprintf(err, errlen, "out of memory reading a record of %" PRIu32 " bytes", len);
            r = READ_IO;
            break;
        }
        payload = p;
        if (fread(payload, 1, len, f) != len) {
            r = ferror(f) ? READ_IO : READ_TORN;
            break;
        }
        bool last = (off_t)(*good + JOURNAL_HDR + len) == sb.st_size;
        json_t *rec = NULL;
        if (journal_check(payload, len) == check)
            rec = json_loadb(payload, len, 0, NULL);
        if (!json_is_object(rec)) {
            json_decref(rec);
            r = last && payload[len - 1] == '\0' ? READ_TORN : READ_DAMAGED;
            break;
        }
        bool ok = apply(ud, rec, err, errlen);
        json_decref(rec);
        if (!ok) {
            r = READ_STOPPED;
            break;
        }
        (*nrec)++;
        *good += (off_t)(JOURNAL_HDR + len);
    }
    if (r == READ_IO && !err[0])
        snprintf(err, errlen, "%s", strerror(errno));
    free(payload);
    fclose(f);
    return r;
}

/* Segment numbers of the files named prefix.<n> in dir, ascending. */
/* The segments named prefix.<n>, in order. With sweep (recovery only,
 * before anything else writes) an unfinished checkpoint (.tmp) left by an
 * earlier process goes; any other caller leaves it be: it may be the one
 * the checkpoint thread is writing now (a standby's fetch of the newest
 * checkpoint used to delete it under the writer). */
static size_t journal_list(int dirfd, const char *prefix, uint64_t *out, size_t max, bool sweep)
{
    DIR *d = fsdir_list(dirfd);
    if (!d)
        return 0;
    size_t n = 0, pl = strlen(prefix);
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        const char *s = de->d_name;
        if (strncmp(s, prefix, pl) != 0 || s[pl] != '.')
            continue;
        char *end;
        errno = 0;
        unsigned long long v = strtoull(s + pl + 1, &end, 10);
        if (*end == '.' && strcmp(end, ".tmp") == 0) {
            if (sweep)
                unlinkat(dirfd, s, 0);   /* an unfinished checkpoint */
            continue;
        }
        if (*end || end == s + pl + 1 || errno || n == max)
            continue;
        out[n++] = v;
    }
    closedir(d);
    for (size_t i = 1; i < n; i++)   /* insertion sort: a handful of entries */
        for (size_t k = i; k > 0 && out[k - 1] > out[k]; k--) {
            uint64_t t = out[k];
            out[k] = out[k - 1];
            out[k - 1] = t;
        }
    return n;
}

static int journal_open_segment(journal *j, uint64_t seq)
{
    char name[64];
    snprintf(name, sizeof name, "log.%" PRIu64, seq);
    int fd = openat(j->dirfd, name, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd >= 0 && fsync(j->dirfd) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Reads one file of the directory through the replayer. */
static journal_read_result journal_read_file(journal *j, const char *name,
                                             const journal_replayer *rp, bool writable,
                                             uint64_t *nrec, off_t *good, off_t *size, int *fdp,
                                             char *why, size_t whylen)
{
    why[0] = '\0';
    *nrec = 0;
    *good = *size = 0;
    int fd = openat(j->dirfd, name, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC);
    if (fd < 0) {
        snprintf(why, whylen, "%s", strerror(errno));
        return READ_IO;
    }
    struct stat sb;
    if (fstat(fd, &sb) == 0)
        *size = sb.st_size;
    journal_read_result r = journal_read_all(fd, rp->apply, rp->ud, nrec, good, why, whylen);
    if (fdp)
        *fdp = fd;
    else
        close(fd);
    return r;
}

/* Renames name to name.damaged, out of recovery's way but kept. */
static bool journal_set_aside(journal *j, const char *name)
{
    char aside[96];
    snprintf(aside, sizeof aside, "%s.damaged", name);
    return renameat(j->dirfd, name, j->dirfd, aside) == 0 && fsync(j->dirfd) == 0;
}

/* Copies name whole to name.damaged, so a recovery that truncates it
 * keeps what it dropped. */
static bool journal_copy_aside(journal *j, const char *name, int fd, off_t size)
{
    char aside[96];
    snprintf(aside, sizeof aside, "%s.damaged", name);
    int out = openat(j->dirfd, aside, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out < 0)
        return false;
    off_t in_off = 0;
    bool ok = true;
    while (ok && in_off < size) {
        ssize_t n = copy_file_range(fd, &in_off, out, NULL, (size_t)(size - in_off), 0);
        ok = n > 0;
    }
    ok = ok && fsync(out) == 0;
    close(out);
    return ok && fsync(j->dirfd) == 0;
}

static bool journal_replay(journal *j, const journal_replayer *rp, journal_recovery *rec,
                           uint64_t *last_seq, char *err, size_t errlen)
{
    uint64_t cps[JOURNAL_MAX_SEGMENTS], logs[JOURNAL_MAX_SEGMENTS];
    size_t ncp = journal_list(j->dirfd, "checkpoint", cps, JOURNAL_MAX_SEGMENTS, true);
    size_t nlog = journal_list(j->dirfd, "log", logs, JOURNAL_MAX_SEGMENTS, true);
    uint64_t from = 0;
    char name[64], why[256];
    off_t good, size;
    *last_seq = 0;
    /* The newest checkpoint that reads whole. One was fsynced before it
     * got its name, so any damage in it is corruption, never a torn
     * write: it is set aside, and the one before it, with the logs kept
     * since, serves instead. */
    for (size_t k = ncp; k-- > 0;) {
        snprintf(name, sizeof name, "checkpoint.%" PRIu64, cps[k]);
        journal_read_result r = journal_read_file(j, name, rp, false, &rec->checkpoint_records,
                                                  &good, &size, NULL, why, sizeof why);
        if (r == READ_OK) {
            from = cps[k];
            break;
        }
        if (k == 0 || !rp->reset) {
            snprintf(err, errlen, "%s/%s is damaged at byte %lld%s%s, and there is no older "
                     "checkpoint to recover from: restore the directory from a copy", j->dir,
                     name, (long long)good, why[0] ? ": " : "", why);
            return false;
        }
        log_error("%s/%s is damaged at byte %lld%s%s; setting it aside as %s.damaged and "
                  "recovering from checkpoint.%" PRIu64 " and the logs since", j->dir, name,
                  (long long)good, why[0] ? ": " : "", why, name, cps[k - 1]);
        if (!journal_set_aside(j, name)) {
            snprintf(err, errlen, "cannot set %s/%s aside: %s", j->dir, name, strerror(errno));
            return false;
        }
        rec->damaged_checkpoint = cps[k];
        rp->reset(rp->ud);
    }
    rec->checkpoint_seq = from;
    *last_seq = from;
    for (size_t i = 0; i < nlog; i++) {
        if (logs[i] < from)
            continue;   /* in the checkpoint already (kept for the one before it) */
        snprintf(name, sizeof name, "log.%" PRIu64, logs[i]);
        *last_seq = logs[i];
        uint64_t n = 0;
        int fd = -1;
        journal_read_result r = journal_read_file(j, name, rp, true, &n, &good, &size, &fd, why,
                                                  sizeof why);
        rec->log_records += n;
        bool newest = i + 1 == nlog;
        if (r == READ_TORN && newest) {
            rec->torn_bytes = (uint64_t)(size - good);
            log_warn("%s/%s: torn record at byte %lld (a write cut short by a crash); dropping "
                     "its last %" PRIu64 " bytes", j->dir, name, (long long)good, rec->torn_bytes);
            if (ftruncate(fd, good) != 0 || fsync(fd) != 0) {
                snprintf(err, errlen, "cannot truncate %s/%s: %s", j->dir, name, strerror(errno));
                close(fd);
                return false;
            }
            r = READ_OK;
        }
        if (r == READ_DAMAGED || r == READ_TORN) {
            if (!rp->recover) {
                snprintf(err, errlen, "%s/%s is damaged at byte %lld, after %" PRIu64 " good "
                         "records%s (%s); refusing to guess. 'minidfs master --recover' keeps "
                         "every record before it, sets the rest aside as .damaged files and "
                         "says what it dropped; or restore the directory from a copy", j->dir,
                         name, (long long)good, n, why[0] ? ": " : "",
                         r == READ_TORN ? "a torn record, but not in the newest log"
                                        : "a whole record whose check fails, not a write cut short");
                close(fd);
                return false;
            }
            /* --recover: the damaged segment is kept whole aside, then cut
             * at the damage; the segments after it go aside too, as their
             * records came after what was lost. */
            bool ok = journal_copy_aside(j, name, fd, size) && ftruncate(fd, good) == 0 &&
                      fsync(fd) == 0;
            uint64_t dropped = (uint64_t)(size - good);
            for (size_t k = i + 1; ok && k < nlog; k++) {
                char later[64];
                struct stat sb;
                snprintf(later, sizeof later, "log.%" PRIu64, logs[k]);
                if (fstatat(j->dirfd, later, &sb, 0) == 0)
                    dropped += (uint64_t)sb.st_size;
                ok = journal_set_aside(j, later);
            }
            if (!ok) {
                snprintf(err, errlen, "cannot set the damaged part of %s/%s aside: %s", j->dir,
                         name, strerror(errno));
                close(fd);
                return false;
            }
            rec->dropped_bytes = dropped;
            snprintf(rec->dropped, sizeof rec->dropped, "%s damaged at byte %lld after %" PRIu64
                     " good records; dropped %" PRIu64 " bytes from there on, kept in %s.damaged%s",
                     name, (long long)good, n, dropped, name,
                     newest ? "" : " and the later logs' .damaged copies");
            log_error("recovering %s: %s", j->dir, rec->dropped);
            close(fd);
            break;
        }
        close(fd);
        if (r != READ_OK) {
            snprintf(err, errlen, "%s/%s cannot be replayed at byte %lld%s%s", j->dir, name,
                     (long long)good, why[0] ? ": " : "", why);
            return false;
        }
    }
    return true;
}

journal *journal_open(const char *dir, const journal_replayer *rp, journal_recovery *rec,
                      char *err, size_t errlen)
{
    memset(rec, 0, sizeof *rec);
    if (fsdir_make(dir) != 0) {
        snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
        return NULL;
    }
    journal *j = calloc(1, sizeof *j);
    if (!j || !(j->dir = strdup(dir))) {
        free(j);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    j->fd = j->lockfd = -1;
    j->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (j->dirfd < 0) {
        snprintf(err, errlen, "cannot open %s: %s", dir, strerror(errno));
        free(j->dir);
        free(j);
        return NULL;
    }
    pthread_mutex_init(&j->mu, NULL);
    pthread_cond_init(&j->cv, NULL);
    pthread_mutex_init(&j->ckpt_mu, NULL);
    /* Two masters appending to one log would interleave their records. */
    if ((j->lockfd = fsdir_lock(j->dirfd, dir, "master", err, errlen)) < 0) {
        journal_close(j);
        return NULL;
    }
    uint64_t last;
    if (!journal_replay(j, rp, rec, &last, err, errlen)) {
        journal_close(j);
        return NULL;
    }
    j->seq = last + 1;
    if ((j->fd = journal_open_segment(j, j->seq)) < 0 || (j->end = lseek(j->fd, 0, SEEK_END)) < 0) {
        snprintf(err, errlen, "cannot start %s/log.%" PRIu64 ": %s", dir, j->seq, strerror(errno));
        journal_close(j);
        return NULL;
    }
    /* Records replayed from logs are not yet in a checkpoint. */
    j->since_checkpoint = rec->log_records;
    return j;
}

/* ---- appending and group commit ---- */

static void journal_fail(journal *j, const char *what, int e)
{
    if (!j->failed)
        log_error("journal %s: %s; the master acknowledges no more changes", what, strerror(e));
    j->failed = true;
    snprintf(j->failure, sizeof j->failure, "metadata journal %s: %s", what, strerror(e));
}

uint64_t journal_append(journal *j, const char *json, size_t len)
{
    pthread_mutex_lock(&j->mu);
    uint64_t lsn = 0;
    if (j->failed || len == 0 || len > JOURNAL_MAX_RECORD)
        goto out;
    size_t need = j->len + JOURNAL_HDR + len;
    if (need > j->cap) {
        size_t cap = j->cap ? j->cap : 64 * 1024;
        while (cap < need)
            cap *= 2;
        char *b = realloc(j->buf, cap);
        if (!b) {
            journal_fail(j, "buffer", ENOMEM);
            goto out;
        }
        j->buf = b;
        j->cap = cap;
    }
    journal_frame((unsigned char *)j->buf + j->len, json, len);
    memcpy(j->buf + j->len + JOURNAL_HDR, json, len);
    j->len = need;
    lsn = ++j->appended;
    j->since_checkpoint++;
    /* Records wait in memory while the disk is full; not without end. */
    if (j->nospace_ms && j->len > JOURNAL_MAX_WAITING)
        journal_fail(j, "write", ENOSPC);
out:
    pthread_mutex_unlock(&j->mu);
    journal_tls_owner = j;
    journal_tls_last = lsn ? lsn : UINT64_MAX;   /* a failed append can never be synced */
    return lsn;
}

uint64_t journal_append_json(journal *j, const json_t *rec)
{
    char *s = json_dumps(rec, JSON_COMPACT);
    if (!s) {
        pthread_mutex_lock(&j->mu);
        journal_fail(j, "encoding", ENOMEM);
        pthread_mutex_unlock(&j->mu);
        journal_tls_owner = j;
        journal_tls_last = UINT64_MAX;
        return 0;
    }
    uint64_t lsn = journal_append(j, s, strlen(s));
    free(s);
    return lsn;
}

static int journal_write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return errno;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Takes the pending bytes for writing; called with mu held, flushing set.
 * The caller writes them with mu released. */
static void journal_take(journal *j, char **buf, size_t *len, size_t *cap)
{
    *buf = j->buf;
    *len = j->len;
    *cap = j->cap;
    j->buf = j->spare;
    j->cap = j->spare_cap;
    j->len = 0;
    j->spare = NULL;
    j->spare_cap = 0;
}

static void journal_give_back(journal *j, char *buf, size_t cap)
{
    if (!j->spare) {
        j->spare = buf;
        j->spare_cap = cap;
    } else {
        free(buf);
    }
}

/* Puts bytes a failed write took back in front of what was appended
 * since, so the next flush writes them all, in order; mu held. */
static bool journal_put_back(journal *j, char *buf, size_t len, size_t cap)
{
    size_t need = len + j->len;
    if (need > cap) {
        char *b = realloc(buf, need);
        if (!b) {
            free(buf);
            return false;
        }
        buf = b;
        cap = need;
    }
    memcpy(buf + len, j->buf, j->len);
    journal_give_back(j, j->buf, j->cap);
    j->buf = buf;
    j->len = need;
    j->cap = cap;
    return true;
}

/* One flush of everything appended so far to fd; mu held on entry and
 * exit, released while writing. A full disk (ENOSPC, EDQUOT on write) is
 * a pause, not the end: the segment is cut back to its last durable byte,
 * the bytes go back in front of the queue, and a flush once space is back
 * writes them. Any other error, and any fsync error (after which the
 * kernel may have dropped the pages), fails the journal for good. */
static int journal_flush_locked(journal *j, int fd)
{
    j->flushing = true;
    char *buf;
    size_t len, cap;
    journal_take(j, &buf, &len, &cap);
    uint64_t upto = j->appended;
    off_t end = j->end;
    pthread_mutex_unlock(&j->mu);
    char why[256] = "";
    int e = 0;
    bool full = false;
    int64_t t0 = monotime_ns();
    if (j->ship) {
        e = len && !j->ship(j->ship_ud, buf, len, why, sizeof why) ? EIO : 0;
        len = 0;   /* nothing went to the segment */
    } else {
        e = len ? journal_write_all(fd, buf, len) : 0;
        full = e == ENOSPC || e == EDQUOT;
        if (full && ftruncate(fd, end) != 0)
            full = false;   /* a partial record we cannot cut away: no way on */
        if (!e && len && fdatasync(fd) != 0)
            e = errno;
    }
    pthread_mutex_lock(&j->mu);
    if (full) {
        if (!j->nospace_ms)
            log_error("journal write: %s; changes get 503 until there is room again",
                      strerror(e));
        j->nospace_ms = monotime_ms();
        snprintf(j->failure, sizeof j->failure, "metadata journal write: %s (retried once "
                 "there is room)", strerror(e));
        if (!journal_put_back(j, buf, len, cap))
            journal_fail(j, "buffer", ENOMEM);
    } else {
        journal_give_back(j, buf, cap);
        if (e && why[0]) {
            if (!j->failed)
                log_error("journal ship: %s; the master acknowledges no more changes", why);
            j->failed = true;
            snprintf(j->failure, sizeof j->failure, "metadata log: %s", why);
        } else if (e) {
            journal_fail(j, "write", e);
        } else {
            if (len || j->ship)
                metrics_observe(&j->sync_hist, monotime_ns() - t0);
            if (j->nospace_ms)
                log_info("journal: there is room again; the waiting changes are on disk");
            j->nospace_ms = 0;
            j->durable = upto;
            j->end = end + (off_t)len;
        }
    }
    j->flushing = false;
    pthread_cond_broadcast(&j->cv);
    return e;
}

bool journal_sync(journal *j, uint64_t lsn)
{
    pthread_mutex_lock(&j->mu);
    int64_t tried = 0;
    while (j->durable < lsn && !j->failed) {
        /* While the disk is full, a write is tried at most this often;
         * a caller that already saw one fail gives up (503) at once. */
        if (j->nospace_ms && (tried || monotime_ms() - j->nospace_ms < JOURNAL_NOSPACE_RETRY_MS))
            break;
        if (!j->flushing) {
            tried = monotime_ms();
            journal_flush_locked(j, j->fd);
        } else {
            pthread_cond_wait(&j->cv, &j->mu);
        }
    }
    bool ok = j->durable >= lsn;
    pthread_mutex_unlock(&j->mu);
    return ok;
}

bool journal_sync_mine(journal *j)
{
    if (journal_tls_owner != j || journal_tls_last == 0)
        return !journal_failure(j);
    uint64_t lsn = journal_tls_last;
    journal_tls_last = 0;
    return lsn != UINT64_MAX && journal_sync(j, lsn);
}

uint64_t journal_pending_checkpoint(journal *j)
{
    pthread_mutex_lock(&j->mu);
    uint64_t n = j->since_checkpoint;
    pthread_mutex_unlock(&j->mu);
    return n;
}

void journal_set_shipper(journal *j, journal_ship_fn ship, void *ud)
{
    pthread_mutex_lock(&j->mu);
    while (j->flushing)
        pthread_cond_wait(&j->cv, &j->mu);
    j->ship = ship;
    j->ship_ud = ud;
    pthread_mutex_unlock(&j->mu);
}

bool journal_apply_frames(const char *buf, size_t len, journal_apply_fn apply, void *ud,
                          uint64_t *nrec, char *err, size_t errlen)
{
    *nrec = 0;
    size_t off = 0;
    while (off < len) {
        if (len - off < JOURNAL_HDR) {
            snprintf(err, errlen, "a record header cut short at byte %zu", off);
            return false;
        }
        uint32_t n = journal_get32((const unsigned char *)buf + off);
        uint32_t check = journal_get32((const unsigned char *)buf + off + 4);
        if (n == 0 || n > JOURNAL_MAX_RECORD || n > len - off - JOURNAL_HDR) {
            snprintf(err, errlen, "a record of %" PRIu32 " bytes at byte %zu does not fit", n, off);
            return false;
        }
        const char *json = buf + off + JOURNAL_HDR;
        json_t *rec = journal_check(json, n) == check ? json_loadb(json, n, 0, NULL) : NULL;
        if (!json_is_object(rec)) {
            json_decref(rec);
            snprintf(err, errlen, "the record at byte %zu fails its check", off);
            return false;
        }
        bool ok = apply(ud, rec, err, errlen);
        json_decref(rec);
        if (!ok)
            return false;
        (*nrec)++;
        off += JOURNAL_HDR + n;
    }
    return true;
}

int journal_open_checkpoint(journal *j, uint64_t *size)
{
    /* A newer checkpoint may delete the one listed before it opens: the
     * list is read again then. */
    for (int tries = 0; tries < 3; tries++) {
        uint64_t cps[JOURNAL_MAX_SEGMENTS];
        size_t n = journal_list(j->dirfd, "checkpoint", cps, JOURNAL_MAX_SEGMENTS, false);
        if (n == 0)
            break;
        char name[64];
        snprintf(name, sizeof name, "checkpoint.%" PRIu64, cps[n - 1]);
        int fd = openat(j->dirfd, name, O_RDONLY | O_CLOEXEC);
        struct stat sb;
        if (fd >= 0 && fstat(fd, &sb) == 0) {
            *size = (uint64_t)sb.st_size;
            return fd;
        }
        if (fd >= 0)
            close(fd);
    }
    errno = ENOENT;
    return -1;
}

const char *journal_dir(const journal *j)
{
    return j->dir;
}

const char *journal_failure(journal *j)
{
    pthread_mutex_lock(&j->mu);
    const char *f = j->failed || j->nospace_ms ? j->failure : NULL;
    pthread_mutex_unlock(&j->mu);
    return f;
}

/* ---- checkpoints ---- */

typedef struct {
    FILE *f;
    bool ok;
    uint64_t records;
} journal_sink;

bool journal_dump_record(void *sink, const json_t *rec)
{
    journal_sink *s = sink;
    if (!s->ok)
        return false;
    char *json = json_dumps(rec, JSON_COMPACT);
    size_t len = json ? strlen(json) : 0;
    unsigned char hdr[JOURNAL_HDR];
    if (!json || len > JOURNAL_MAX_RECORD) {
        s->ok = false;
    } else {
        journal_frame(hdr, json, len);
        s->ok = fwrite(hdr, 1, sizeof hdr, s->f) == sizeof hdr && fwrite(json, 1, len, s->f) == len;
        s->records++;
    }
    free(json);
    return s->ok;
}

/* Closes the current segment (flushed) and opens the next; returns the
 * new segment's number, 0 on failure. */
static uint64_t journal_rotate(journal *j, char *err, size_t errlen)
{
    pthread_mutex_lock(&j->mu);
    while (j->flushing)
        pthread_cond_wait(&j->cv, &j->mu);
    uint64_t seq = 0;
    if (j->failed || journal_flush_locked(j, j->fd) != 0) {
        snprintf(err, errlen, "%s", j->failure);
        goto out;
    }
    int fd = journal_open_segment(j, j->seq + 1);
    if (fd < 0) {
        journal_fail(j, "new segment", errno);
        snprintf(err, errlen, "%s", j->failure);
        goto out;
    }
    close(j->fd);
    j->fd = fd;
    j->end = 0;
    seq = ++j->seq;
    j->since_checkpoint = 0;
out:
    pthread_mutex_unlock(&j->mu);
    return seq;
}

bool journal_checkpoint(journal *j, journal_dump_fn dump, void *ud, char *err, size_t errlen)
{
    pthread_mutex_lock(&j->ckpt_mu);
    bool ok = false;
    uint64_t seq = journal_rotate(j, err, errlen);
    if (!seq)
        goto out;
    char tmp[80], name[64];
    snprintf(name, sizeof name, "checkpoint.%" PRIu64, seq);
    snprintf(tmp, sizeof tmp, "%s.tmp", name);
    int fd = openat(j->dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    journal_sink s = { .f = fd >= 0 ? fdopen(fd, "wb") : NULL, .ok = true };
    if (!s.f) {
        snprintf(err, errlen, "cannot create %s/%s: %s", j->dir, tmp, strerror(errno));
        if (fd >= 0)
            close(fd);
        goto out;
    }
    setvbuf(s.f, NULL, _IOFBF, 1 << 20);
    s.ok = dump(ud, &s) && s.ok;
    int e = s.ok ? 0 : (errno ? errno : EIO);
    if (fflush(s.f) != 0 || fsync(fileno(s.f)) != 0)
        e = errno;
    if (fclose(s.f) != 0 && !e)
        e = errno;
    if (!s.ok || e || renameat(j->dirfd, tmp, j->dirfd, name) != 0 || fsync(j->dirfd) != 0) {
        snprintf(err, errlen, "cannot write %s/%s: %s", j->dir, name, strerror(e ? e : errno));
        unlinkat(j->dirfd, tmp, 0);
        goto out;
    }
    /* The checkpoint holds everything before segment seq. The one before
     * it stays, with the logs since, so that a damaged newest checkpoint
     * has something to fall back on; anything older goes. */
    uint64_t old[JOURNAL_MAX_SEGMENTS], keep = 0;
    size_t n = journal_list(j->dirfd, "checkpoint", old, JOURNAL_MAX_SEGMENTS, false);
    for (size_t i = 0; i < n; i++)
        if (old[i] < seq && old[i] > keep)
            keep = old[i];
    for (size_t i = 0; i < n; i++)
        if (old[i] < keep) {
            snprintf(tmp, sizeof tmp, "checkpoint.%" PRIu64, old[i]);
            unlinkat(j->dirfd, tmp, 0);
        }
    n = journal_list(j->dirfd, "log", old, JOURNAL_MAX_SEGMENTS, false);
    for (size_t i = 0; i < n; i++)
        if (old[i] < keep) {
            snprintf(tmp, sizeof tmp, "log.%" PRIu64, old[i]);
            unlinkat(j->dirfd, tmp, 0);
        }
    log_info("checkpoint %" PRIu64 " written (%" PRIu64 " records)", seq, s.records);
    atomic_store(&j->checkpoint_ms, monotime_ms());
    ok = true;
out:
    pthread_mutex_unlock(&j->ckpt_mu);
    return ok;
}

void journal_close(journal *j)
{
    if (!j)
        return;
    if (j->fd >= 0) {
        pthread_mutex_lock(&j->mu);
        uint64_t last = j->appended;
        pthread_mutex_unlock(&j->mu);
        journal_sync(j, last);
        close(j->fd);
    }
    if (j->dirfd >= 0)
        close(j->dirfd);
    if (j->lockfd >= 0)
        close(j->lockfd);
    pthread_mutex_destroy(&j->mu);
    pthread_cond_destroy(&j->cv);
    pthread_mutex_destroy(&j->ckpt_mu);
    free(j->buf);
    free(j->spare);
    free(j->dir);
    free(j);
}

uint64_t journal_appended(journal *j)
{
    pthread_mutex_lock(&j->mu);
    uint64_t n = j->appended;
    pthread_mutex_unlock(&j->mu);
    return n;
}

const metrics_hist *journal_sync_hist(const journal *j)
{
    return &j->sync_hist;
}

int64_t journal_checkpoint_ms(const journal *j)
{
    return atomic_load(&j->checkpoint_ms);
}
