/*
 * ha.c - the HA controller (ha.h): one thread that follows the log in
 * etcd while this master is not active, campaigns, turns the master
 * active (log read to its head, journal switched to shipping) and, once
 * its leadership is in doubt, starts the process over. Also the gate each
 * request passes, and the checkpoint fetch of a master that fell behind
 * the compacted log. Owns the etcd clients (one for the lease, with a
 * short timeout; one for the log), the election, the log's writer and
 * reader. Must never let a master answer a change it has not shipped
 * under a term it still holds, nor apply a batch twice or out of order,
 * nor campaign with a namespace it has not brought to the log's head.
 */
#include "ha.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth.h"
#include "election.h"
#include "etcd.h"
#include "httpc.h"
#include "httpd.h"
#include "journal.h"
#include "log.h"
#include "monotime.h"
#include "oplog.h"
#include "protocol.h"
#include "record.h"
#include "registry.h"
#include "sha256.h"
#include "ticker.h"
#include "users.h"

/* How often the thread looks at the log (a standby's lag is about this). */
#define HA_POLL_MS 50
/* How often a master that is not active asks whether there is a leader. */
#define HA_CAMPAIGN_MS 250
/* Pieces read from etcd at a time. */
#define HA_READ_PIECES 64
/* How often an active master compacts the log below its checkpoints. */
#define HA_COMPACT_MS 1000
/* etcd's answers: the log's (a batch's commit waits for etcd's fsync); and
 * the lease's, a quarter of the lease at most, so that a member that does
 * not answer costs a renewal little enough for the next one to make it in
 * time. */
#define HA_ETCD_TIMEOUT_MS 2000
#define HA_FETCH_TIMEOUT_MS 600000
#define HA_FETCHED "fetched-checkpoint.part"

struct ha {
    master *m;
    recovery *md;
    etcd *e;                        /* the log's client */
    etcd *le;                       /* the lease's: a shorter timeout */
    election *el;
    oplog *log;
    oplog_reader *rd;
    char cluster[ELECTION_MAX_NAME + 1];
    char me[ELECTION_MAX_NAME + 1];
    char meta_dir[4096];
    char etcd_urls[1024];
    int64_t ttl_ms, ttl_s, safemode_ms;
    ticker *t;
    _Atomic int role;               /* ha_role */
    _Atomic bool doomed;            /* a ship failed or the lease lapsed: start over */
    _Atomic uint64_t applied;       /* the piece after the last batch applied (not active) */
    _Atomic uint64_t shipped;       /* the piece after the last batch shipped (active) */
    _Atomic uint64_t head;          /* the log's head as last read */
    _Atomic int64_t term;
    _Atomic int64_t caught_ms;      /* when the reader last stood at the head */
    pthread_mutex_t mu;             /* guards leader */
    char leader[ELECTION_MAX_NAME + 1];
    /* thread only */
    bool founder;                   /* a namespace from before HA: the log must start past 0 */
    bool need_fetch;                /* pieces it needs are gone: fetch a checkpoint */
    int64_t stepped_ms, compacted_ms, said_ms;
    uint64_t compacted_below;
    char said[256];                 /* the last complaint logged (one line per change) */
};

bool master_active(master *m)
{
    return !m->ha || ha_active(m->ha);
}

bool ha_active(ha *h)
{
    return atomic_load(&h->role) == HA_ACTIVE && election_active(h->el, monotime_ms());
}

ha_role ha_role_now(ha *h)
{
    return (ha_role)atomic_load(&h->role);
}

void ha_leader(ha *h, char *out, size_t outlen)
{
    pthread_mutex_lock(&h->mu);
    snprintf(out, outlen, "%s", h->leader);
    pthread_mutex_unlock(&h->mu);
}

/* Logs a complaint once per change of its text (a loop that fails every
 * few ms would drown the log), and again after a minute. */
static void ha_complain(ha *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void ha_complain(ha *h, const char *fmt, ...)
{
    char msg[sizeof h->said];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    int64_t now = monotime_ms();
    if (strcmp(msg, h->said) == 0 && now - h->said_ms < 60000)
        return;
    snprintf(h->said, sizeof h->said, "%s", msg);
    h->said_ms = now;
    log_warn("%s", msg);
}

/* ---- the active side ---- */

static bool ha_ship(void *ud, const char *buf, size_t len, char *err, size_t errlen)
{
    ha *h = ud;
    bool deposed = false;
    if (!election_active(h->el, monotime_ms())) {
        snprintf(err, errlen, "this master's leadership may have lapsed: not acknowledging");
    } else if (oplog_ship(h->log, buf, len, &deposed, err, errlen)) {
        atomic_store(&h->shipped, oplog_next(h->log));
        return true;
    }
    atomic_store(&h->doomed, true);
    ticker_kick(h->t);
    return false;
}

static void ha_position_moved(void *ud, uint64_t next)
{
    ha *h = ud;
    atomic_store(&h->applied, next);
}

static uint64_t ha_position(void *ud)
{
    ha *h = ud;
    return atomic_load(&h->role) == HA_ACTIVE ? atomic_load(&h->shipped)
                                              : atomic_load(&h->applied);
}

/* The process starts over as a standby: its namespace may hold changes
 * the log does not, and the cheapest sure way to drop them is to drop
 * everything and recover from the checkpoint and the log. */
static void ha_start_over(ha *h, const char *why)
{
    log_error("%s: this master starts over as a standby", why);
    election_resign(h->el);
    char buf[16384];
    int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
    if (fd >= 0)
        close(fd);
    if (n > 0) {
        buf[n] = '\0';
        char *argv[256];
        int argc = 0;
        for (char *p = buf; p < buf + n && argc < 255; p += strlen(p) + 1)
            argv[argc++] = p;
        argv[argc] = NULL;
        execv("/proc/self/exe", argv);
    }
    log_error("cannot execute this master anew (%s): exiting; a supervisor restarts it",
              strerror(errno));
    _exit(3);
}

/* ---- the following side ---- */

static bool ha_apply_record(void *ud, json_t *rec, char *err, size_t errlen)
{
    ha *h = ud;
    return record_replay_live(h->m->ns, rec, err, errlen);
}

static bool ha_apply_batch(void *ud, const char *buf, size_t len)
{
    ha *h = ud;
    char err[256];
    uint64_t n = 0;
    if (!journal_apply_frames(buf, len, ha_apply_record, h, &n, err, sizeof err)) {
        log_error("a batch of the log cannot be applied after %" PRIu64 " records: %s", n, err);
        return false;
    }
    recovery_count(h->md, n);
    return true;
}

/* Reads what the log holds past the reader, up to the head read first;
 * false with err set when it cannot (etcd away, or a gap: need_fetch).
 * *caught_up: the reader stands at that head. A head read before the
 * pieces promises them all (each piece is put with the head past it), so
 * one missing from the read after it was compacted away. */
static bool ha_follow(ha *h, bool *caught_up, char *err, size_t errlen)
{
    *caught_up = false;
    uint64_t head;
    if (!oplog_head(h->e, h->cluster, &head, err, errlen))
        return false;
    atomic_store(&h->head, head);
    for (int round = 0; round < 1024; round++) {
        size_t batches = 0;
        uint64_t before = oplog_reader_at(h->rd);
        bool ok = oplog_read(h->rd, HA_READ_PIECES, ha_apply_batch, h, &batches, err, errlen);
        atomic_store(&h->applied, oplog_reader_next(h->rd));
        if (!ok) {
            if (strstr(err, "compacted"))
                h->need_fetch = true;
            return false;
        }
        if (oplog_reader_at(h->rd) == before)
            break;
    }
    uint64_t at = oplog_reader_at(h->rd);
    if (at < head) {
        h->need_fetch = true;
        snprintf(err, errlen, "the log in etcd lacks pieces %" PRIu64 " to %" PRIu64
                 " (compacted): a checkpoint is needed", at, head - 1);
        return false;
    }
    atomic_store(&h->caught_ms, monotime_ms());
    *caught_up = true;
    return true;
}

/* curl's sink for the fetched checkpoint: the file. */
static size_t ha_fetch_write(char *p, size_t size, size_t n, void *ud)
{
    int fd = *(int *)ud;
    size_t len = size * n, off = 0;
    while (off < len) {
        ssize_t w = write(fd, p + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return 0;
        off += (size_t)w;
    }
    return len;
}

/* Fetches the active master's newest checkpoint into the meta-dir and
 * loads it in place of the namespace (this master is catching up: no
 * request reads the namespace meanwhile). */
static bool ha_fetch(ha *h, char *err, size_t errlen)
{
    char leader[ELECTION_MAX_NAME + 1], url[ELECTION_MAX_NAME + 64], path[4200];
    ha_leader(h, leader, sizeof leader);
    if (!leader[0] || strcmp(leader, h->me) == 0) {
        snprintf(err, errlen, "a checkpoint is needed, and there is no active master to fetch "
                 "one from");
        return false;
    }
    snprintf(url, sizeof url, "%s%s", leader, PROTO_PATH_HA_CHECKPOINT);
    snprintf(path, sizeof path, "%s/%s", h->meta_dir, HA_FETCHED);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf(err, errlen, "cannot create %.300s: %s", path, strerror(errno));
        return false;
    }
    CURL *c = curl_easy_init();
    long status = 0;
    CURLcode rc = CURLE_FAILED_INIT;
    if (c) {
        httpc_configure(c, HA_ETCD_TIMEOUT_MS);
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, ha_fetch_write);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &fd);
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)HA_FETCH_TIMEOUT_MS);
        /* A secure master gives its checkpoint only to a request signed
         * with the cluster key (the standby's is the cluster's). */
        struct curl_slist *hdrs = NULL;
        if (h->m->sec.on) {
            char sum[SHA256_HEX_LEN + 1], value[AUTH_VALUE_MAX], line[AUTH_VALUE_MAX + 32];
            if (sha256_hex("", 0, sum) &&
                auth_sign(&h->m->sec.key, "GET", PROTO_PATH_HA_CHECKPOINT, sum, auth_now_ms(),
                          value)) {
                snprintf(line, sizeof line, AUTH_HEADER ": %s", value);
                hdrs = curl_slist_append(hdrs, line);
            }
            curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
        }
        rc = curl_easy_perform(c);
        curl_slist_free_all(hdrs);
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_cleanup(c);
    }
    bool ok = false;
    struct stat sb;
    if (rc != CURLE_OK || status != 200) {
        snprintf(err, errlen, "fetching %s: %s", url,
                 rc != CURLE_OK ? curl_easy_strerror(rc) : "the active master refused");
    } else if (fstat(fd, &sb) != 0 || sb.st_size == 0) {
        snprintf(err, errlen, "fetching %s: an empty checkpoint", url);
    } else {
        void *p = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
            snprintf(err, errlen, "cannot map %.300s: %s", path, strerror(errno));
        } else {
            uint64_t next = 0;
            if (!recovery_checkpoint_position(p, (size_t)sb.st_size, &next)) {
                /* the active master's newest is from before it was of the
                 * cluster (it founded it just now): its next one will do */
                munmap(p, (size_t)sb.st_size);
                snprintf(err, errlen, "the checkpoint of %s does not say where in the log it "
                         "stands yet", leader);
                close(fd);
                unlink(path);
                return false;
            }
            /* No request may see the namespace while it is replaced. */
            atomic_store(&h->role, HA_CATCHING_UP);
            ok = recovery_load(h->md, p, (size_t)sb.st_size, &next, err, errlen);
            munmap(p, (size_t)sb.st_size);
            if (!ok) {
                close(fd);
                unlink(path);
                log_error("the checkpoint fetched from %s does not load: %s", leader, err);
                sleep(1);   /* not a tight loop of restarts if every fetch fails so */
                ha_start_over(h, "the namespace was half replaced");
            }
            if (ok) {
                oplog_reader *rd = oplog_reader_new(h->e, h->cluster, next, err, errlen);
                ok = rd != NULL;
                if (ok) {
                    oplog_reader_free(h->rd);
                    h->rd = rd;
                    atomic_store(&h->applied, next);
                    log_info("fetched the checkpoint of %s (%zu files, the log from piece %"
                             PRIu64 " on)", leader, namespace_count(h->m->ns), next);
                }
            }
        }
    }
    close(fd);
    unlink(path);
    return ok;
}

/* ---- becoming active ---- */

static void ha_set_leader(ha *h, const char *leader)
{
    pthread_mutex_lock(&h->mu);
    snprintf(h->leader, sizeof h->leader, "%s", leader);
    pthread_mutex_unlock(&h->mu);
}

/* The master just won: it reads the log to the head, then writes its
 * batches there. False (it resigns) when it cannot get there. */
static bool ha_become_active(ha *h, char *err, size_t errlen)
{
    master *m = h->m;
    /* Read to the head: no piece can come after it now (the old term's
     * commits fail); pieces past the last whole batch are one its term
     * never finished, and never acknowledged. */
    bool caught_up;
    if (!ha_follow(h, &caught_up, err, errlen))
        return false;
    uint64_t head = atomic_load(&h->head);
    if (h->founder && head > 0) {
        snprintf(err, errlen, "this master's --meta-dir holds a namespace from before HA, and "
                 "the cluster's log is no longer empty");
        return false;
    }
    if (!oplog_resume(h->log, err, errlen))
        return false;
    bool deposed;
    if (h->founder && !oplog_begin_at(h->log, 1, &deposed, err, errlen))
        return false;
    atomic_store(&h->shipped, oplog_next(h->log));
    journal *j = recovery_journal(h->md);
    journal_set_shipper(j, ha_ship, h);
    namespace_set_journal(m->ns, j);
    if (!recovery_ensure_cluster_id(h->md, err, errlen))
        return false;   /* the journal failed: the thread starts over */
    /* A master with admin.token (the founder of a secure cluster) makes
     * its holder a user of the log: every master must know the first
     * superuser. */
    if (m->sec.on && secure_has_admin(&m->sec) &&
        (users_adopt_admin(m->ns, m->sec.admin_sha, auth_now_ms()) != NS_OK ||
         !journal_sync_mine(j))) {
        snprintf(err, errlen, "cannot journal admin.token's holder");
        return false;
    }
    if (!m->cluster_id[0])   /* a standby has it already, and request threads read it */
        namespace_cluster_id(m->ns, m->cluster_id);
    safemode_start_failover(&m->safe, registry_now_ms(), h->safemode_ms);
    /* Leases are not in the log: the ones the old master granted are
     * waited out before this one grants any. */
    atomic_store(&m->leases_from_ms, registry_now_ms() + m->lease_ms);
    /* Every chunkserver's next heartbeat sees a new epoch and sends a
     * full report: what a standby heard of stored chunks may lag. */
    atomic_store(&m->epoch, (atomic_load(&m->epoch) + 1) & ((1ull << 53) - 1));
    atomic_store(&h->term, election_term(h->el));
    atomic_store(&h->role, HA_ACTIVE);
    ha_set_leader(h, h->me);
    recovery_soon(h->md);   /* a checkpoint of this term, for standbys to fetch */
    log_info("active master of cluster %s (term %" PRId64 "; the log from piece %" PRIu64 ", "
             "%zu files)", h->cluster, election_term(h->el), oplog_next(h->log),
             namespace_count(m->ns));
    return true;
}

/* ---- the thread ---- */

static long ha_tick(void *ud)
{
    ha *h = ud;
    char err[512] = "";
    int64_t now = monotime_ms();
    ha_role role = ha_role_now(h);
    if (atomic_load(&h->doomed))
        ha_start_over(h, "a batch of the log could not be shipped");
    if (role == HA_ACTIVE && !election_active(h->el, now))
        ha_start_over(h, "the leadership lease could not be renewed in time");
    if (role != HA_ACTIVE) {
        bool caught_up = false;
        if (h->need_fetch) {
            if (ha_fetch(h, err, sizeof err))
                h->need_fetch = false;
            else
                ha_complain(h, "%s (trying again)", err);
        } else if (!ha_follow(h, &caught_up, err, sizeof err)) {
            ha_complain(h, "following the log: %s", err);
        } else if (caught_up && role == HA_CATCHING_UP) {
            char id[CLUSTERID_LEN + 1];
            namespace_cluster_id(h->m->ns, id);
            if (id[0] && !h->m->cluster_id[0])   /* once: request threads read it */
                memcpy(h->m->cluster_id, id, sizeof id);
            if (id[0]) {
                atomic_store(&h->role, HA_STANDBY);
                log_info("standby of cluster %s: caught up with the log at piece %" PRIu64
                         " (%zu files); serving reads", h->cluster, atomic_load(&h->applied),
                         namespace_count(h->m->ns));
            }
        }
    }
    int64_t every = role == HA_ACTIVE ? h->ttl_ms / 3 : HA_CAMPAIGN_MS;
    if (now - h->stepped_ms >= every) {
        h->stepped_ms = now;
        bool active = false;
        char leader[ELECTION_MAX_NAME + 1] = "";
        err[0] = '\0';   /* not what following the log said above */
        if (!election_step(h->el, &active, leader, sizeof leader, err, sizeof err)) {
            ha_complain(h, "etcd: %s", err);
        } else {
            ha_set_leader(h, leader);
            /* One that must fetch a checkpoint first, or cannot bring its
             * namespace to the log's head, resigns at once. */
            if (active && role != HA_ACTIVE) {
                if (h->need_fetch || !ha_become_active(h, err, sizeof err)) {
                    ha_complain(h, "won the election but cannot be active: %s; resigning",
                                err[0] ? err : "a checkpoint is needed first");
                    if (ha_role_now(h) == HA_ACTIVE || journal_failure(recovery_journal(h->md)))
                        ha_start_over(h, "becoming active failed half-way");
                    election_resign(h->el);
                    ha_set_leader(h, "");
                }
            } else if (!active && role == HA_ACTIVE) {
                ha_start_over(h, "another master is active");
            }
        }
    }
    if (ha_role_now(h) == HA_ACTIVE && now - h->compacted_ms >= HA_COMPACT_MS) {
        h->compacted_ms = now;
        uint64_t below;
        if (recovery_kept_position(h->md, &below) && below > h->compacted_below) {
            if (!oplog_compact(h->log, below, err, sizeof err))
                ha_complain(h, "compacting the log: %s", err);
            else if (!etcd_compact_history(h->e, err, sizeof err))
                ha_complain(h, "compacting etcd's history: %s", err);
            else
                h->compacted_below = below;
        }
    }
    return HA_POLL_MS;
}

ha *ha_start(master *m, recovery *md, const ha_config *cfg, char *err, size_t errlen)
{
    ha *h = calloc(1, sizeof *h);
    if (!h) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    h->m = m;
    h->md = md;
    h->ttl_ms = cfg->ttl_s * 1000;
    h->ttl_s = cfg->ttl_s;
    h->safemode_ms = cfg->safemode_ms;
    snprintf(h->cluster, sizeof h->cluster, "%s", cfg->cluster);
    snprintf(h->etcd_urls, sizeof h->etcd_urls, "%s", cfg->etcd);
    snprintf(h->meta_dir, sizeof h->meta_dir, "%s", cfg->meta_dir);
    pthread_mutex_init(&h->mu, NULL);
    uint64_t from = 0;
    bool positioned = recovery_position(md, &from);
    long lease_timeout = (long)(h->ttl_ms / 4 < HA_ETCD_TIMEOUT_MS ? h->ttl_ms / 4
                                                                   : HA_ETCD_TIMEOUT_MS);
    if (!(h->e = etcd_new(cfg->etcd, HA_ETCD_TIMEOUT_MS, err, errlen)) ||
        !(h->le = etcd_new(cfg->etcd, lease_timeout, err, errlen)) ||
        !(h->rd = oplog_reader_new(h->e, h->cluster, from, err, errlen))) {
        ha_stop(h);
        return NULL;
    }
    /* What only the founder of a cluster may bring (its log empty): a new
     * cluster key, or a namespace from a single master. */
    bool founds = !positioned && !recovery_fresh(md);
    uint64_t head = 0;
    if ((cfg->key_new || founds) && !oplog_head(h->e, h->cluster, &head, err, errlen)) {
        ha_stop(h);
        return NULL;
    }
    if (head > 0 && cfg->key_new) {
        snprintf(err, errlen, "--secure: %.300s holds no cluster.key, and cluster %s exists "
                 "already: copy cluster.key from another master's --meta-dir (the one the "
                 "chunkservers' --key-file holds) into it first", cfg->meta_dir, h->cluster);
        ha_stop(h);
        return NULL;
    }
    if (head > 0 && founds) {
        snprintf(err, errlen, "%.300s holds a namespace from before HA, and cluster %s's log in "
                 "etcd is not empty: it would lose one history or the other. Start this master "
                 "with an empty --meta-dir to join as a standby", cfg->meta_dir, h->cluster);
        ha_stop(h);
        return NULL;
    }
    h->founder = founds;
    atomic_store(&h->applied, from);
    recovery_set_position(md, ha_position, ha_position_moved, h);
    m->ha = h;   /* from now on every request passes the gate: none is answered as active */
    return h;
}

bool ha_run(ha *h, const char *me, char *err, size_t errlen)
{
    snprintf(h->me, sizeof h->me, "%s", me);
    if (!(h->el = election_new(h->le, h->cluster, h->me, h->ttl_s, err, errlen)) ||
        !(h->log = oplog_new(h->e, h->el, h->cluster, err, errlen)))
        return false;
    election_commit_through(h->el, h->e);
    if (!(h->t = ticker_start(ha_tick, h, 0))) {
        snprintf(err, errlen, "cannot start the HA thread");
        return false;
    }
    log_info("HA: cluster %s through etcd %s, as %s; catching up from piece %" PRIu64,
             h->cluster, h->etcd_urls, h->me, atomic_load(&h->applied));
    return true;
}

void ha_halt(ha *h)
{
    if (!h)
        return;
    ticker_stop(h->t);
    h->t = NULL;
}

void ha_stop(ha *h)
{
    if (!h)
        return;
    ticker_stop(h->t);
    if (h->m && h->m->ha == h)
        h->m->ha = NULL;
    if (h->el)
        election_free(h->el);   /* resigns an active master */
    oplog_reader_free(h->rd);
    oplog_free(h->log);
    etcd_free(h->e);
    etcd_free(h->le);
    pthread_mutex_destroy(&h->mu);
    free(h);
}

/* ---- requests ---- */

static _Thread_local char ha_hint[ELECTION_MAX_NAME + 1];

/* What a standby answers: reads, and what chunkservers tell every master. */
static bool ha_standby_may(const char *method, const char *path)
{
    if (!strcmp(path, PROTO_PATH_REGISTER) || !strcmp(path, PROTO_PATH_CHUNK_REPORT))
        return true;
    return (!strcmp(method, "GET") || !strcmp(method, "HEAD")) && strcmp(path, PROTO_PATH_PLAN);
}

bool ha_gate(ha *h, struct MHD_Connection *c, const char *method, const char *path,
             enum MHD_Result *ret)
{
    if (ha_active(h))
        return true;
    ha_leader(h, ha_hint, sizeof ha_hint);
    if (ha_hint[0] && strcmp(ha_hint, h->me) != 0)
        httpd_hint_answers(PROTO_HDR_LEADER, ha_hint);
    else
        ha_hint[0] = '\0';
    ha_role role = ha_role_now(h);
    if (!strcmp(path, PROTO_PATH_HA_STATUS) ||
        (role == HA_STANDBY && ha_standby_may(method, path)) ||
        (role != HA_CATCHING_UP && !strcmp(path, PROTO_PATH_HA_CHECKPOINT)))
        return true;
    if (role == HA_CATCHING_UP)
        *ret = httpd_reply_retry(c, MHD_HTTP_SERVICE_UNAVAILABLE, 1000, "this master is catching "
                                 "up with cluster %s's log%s%s", h->cluster,
                                 ha_hint[0] ? "; the active master is " : "", ha_hint);
    else
        *ret = httpd_reply_retry(c, MHD_HTTP_SERVICE_UNAVAILABLE, ha_hint[0] ? 50 : 500,
                                 "this master is a standby of cluster %s: %s%s", h->cluster,
                                 ha_hint[0] ? "send changes to the active master, " :
                                              "no master is active right now (an election is "
                                              "under way)", ha_hint);
    return false;
}

void ha_gate_done(void)
{
    httpd_hint_answers(NULL, NULL);
}

enum MHD_Result ha_reply_status(ha *h, struct MHD_Connection *c)
{
    static const char *const names[] = { "catching-up", "standby", "active" };
    char leader[ELECTION_MAX_NAME + 1];
    ha_leader(h, leader, sizeof leader);
    ha_role role = ha_role_now(h);
    if (role == HA_ACTIVE && !ha_active(h))
        role = HA_STANDBY;   /* its lease in doubt: it acts as none */
    uint64_t at = role == HA_ACTIVE ? atomic_load(&h->shipped) : atomic_load(&h->applied);
    uint64_t head = role == HA_ACTIVE ? at : atomic_load(&h->head);
    int64_t caught = atomic_load(&h->caught_ms);
    char members[1024], err[256];
    if (!etcd_members(h->e, members, sizeof members, err, sizeof err))
        snprintf(members, sizeof members, "unreachable: %s", err);
    json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:I,s:I,s:I}", PROTO_F_ROLE,
                          names[role], PROTO_F_LEADER, leader, "me", h->me, "cluster", h->cluster,
                          "etcd", members, "term",
                          (json_int_t)(role == HA_ACTIVE ? atomic_load(&h->term) : 0),
                          "applied", (json_int_t)at, "head", (json_int_t)head, "lagPieces",
                          (json_int_t)(head > at ? head - at : 0), "lagMs",
                          (json_int_t)(role == HA_ACTIVE || !caught ? 0 : monotime_ms() - caught));
    return httpd_reply_json(c, MHD_HTTP_OK, o);
}
