/*
 * masterlink.c - registration, heartbeat and chunk reports, to each master
 * of the list. The heartbeat thread alone registers and acts on the
 * answers (deletions, checks, copies: the active master's only; the peer
 * list, which each master sends only when its version, echoed back,
 * changed; a full report's pages, as packed records to a master that
 * says it reads them and as JSON entries to any other, each going again
 * for up to MASTERLINK_PAGE_WAIT_MS while the master says it is busy with
 * other servers' pages); connection threads read the registration state
 * under the mutex, send their reports of stored chunks (queued, and sent
 * many to a request by whichever of them finds none on its way, on its own
 * reused connection), and to learn of a peer that joined since the last
 * list ask the heartbeat thread for a beat now and wait for it. Every
 * answer is checked to come from this directory's cluster (and, with a
 * key, to be signed by its master) before anything in it is acted on. A
 * heartbeat carries the disk's capacity and use (with --capacity-mb: the
 * quota, and the chunks' own bytes as the store counts them). Must
 * never block a connection thread for longer than one report (which waits
 * out a restarting master for at most MASTERLINK_REPORT_WAIT_MS, each try
 * behind the batches queued before it) or one peer question
 * (MASTERLINK_PEER_WAIT_MS).
 */
#include "masterlink.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "groupq.h"
#include "httpc.h"
#include "jsonf.h"
#include "log.h"
#include "chunkid.h"
#include "chunkpack.h"
#include "protocol.h"
#include "sha256.h"
#include "ticker.h"
#include "monotime.h"

#define MASTERLINK_TIMEOUT_MS 10000
/* How long a connection thread waits for the heartbeat that answers "is
 * this address one of the cluster's chunkservers?" */
#define MASTERLINK_PEER_WAIT_MS 3000

#define MASTERLINK_PAGE PROTO_REPORT_PAGE_SENT
/* How long a chunk's report keeps trying while the master is away or
 * says to wait (a restart), and its first pause. */
#define MASTERLINK_REPORT_WAIT_MS 5000
#define MASTERLINK_FIRST_WAIT_MS 50
/* How often a directory of no cluster counts its chunks again. */
#define MASTERLINK_RECOUNT_MS 60000

/* One master of the list: an HA cluster has several, and the chunkserver
 * heartbeats and reports to each (a standby must know where chunks live
 * before it takes over); heartbeat thread only. */
typedef struct {
    bool failing;             /* the last heartbeat failed... */
    bool refused;             /* ...because it is not of our cluster */
    bool said_refused;        /* what the log last said of it */
    bool active;              /* it said it is the active master (or has no roles) */
    uint64_t epoch;           /* of its incarnation we last sent a full report to */
    uint64_t pending_epoch;   /* of the one that answered the last registration */
    bool packed;              /* it said it reads packed full reports (chunkpack.h) */
    long beats;               /* since that report */
    char members[32];         /* the version of its live list we hold ("": none) */
} masterlink_master;

struct masterlink {
    masterlink_master masters[ADDR_MAX_MASTERS];
    char bases[ADDR_MAX_MASTERS][ADDR_MAX_BASE];   /* their addresses */
    size_t nmasters;
    _Atomic size_t lead;      /* the master reports of stored chunks go to */
    char master[512 * ADDR_MAX_MASTERS];   /* the list, for messages */
    char announce[PROTO_MAX_SERVER_ADDR];
    char rack[PROTO_MAX_RACK_NAME + 1];
    uint64_t capacity;        /* masterlink_config.capacity */
    store *st;
    long heartbeat_ms;
    long report_every;
    _Atomic uint64_t *load;
    size_t (*active)(void *ud, char (*ids)[CHUNKID_BUF], size_t max);
    void (*verify)(void *ud, const char *chunk_id);
    void (*copy)(void *ud, const char *chunk_id, const char *target);
    void *cb_ud;
    const auth_key *key;      /* signs every message to the master; NULL: open cluster */
    ticker *beat;
    /* heartbeat thread only: nothing else registers, or acts on what the
     * master's answer to a registration says */
    size_t nchunks;           /* chunks held, while the directory has joined no cluster... */
    int64_t counted_ms;       /* ...as counted then (a listing: not every beat) */
    pthread_mutex_t lock;     /* guards the registration state below */
    pthread_cond_t beaten;    /* a heartbeat ended (beats_done moved) */
    uint64_t beats_started, beats_done;
    /* set by the heartbeat thread */
    bool registered;
    char cluster[CLUSTERID_LEN + 1];   /* the cluster the directory joined; "": none yet */
    char addr[PROTO_MAX_SERVER_ADDR];
    uint64_t chunk_size;
    json_t *peers;            /* the cluster's chunkservers, an array of strings */
    int64_t incarnation;      /* drawn at start: the master tells a restart by it */
    /* chunk reports (masterlink_send_report): connection threads queue
     * theirs, and one of them at a time sends what is queued as one
     * request, like a journal's group commit (groupq.h) */
    groupq reports;
    _Atomic bool rsingly;     /* the master refused a batch: it takes reports one by one */
    /* chunks stored since the last heartbeat, for the standbys of an HA
     * cluster (the active master heard of each as it was stored) */
    pthread_mutex_t ilock;
    json_t *incr;             /* [[id, size, version, sha, 0], ...] */
    bool incr_lost;           /* more than MASTERLINK_INCR_MAX: a full report instead */
};

/* Stored chunks kept for the standbys between two heartbeats. */
#define MASTERLINK_INCR_MAX (4 * PROTO_REPORT_PAGE)

/* A chunk's report waiting for the next batch. */
typedef struct masterlink_pending {
    json_t *body;             /* as it would go alone (borrowed) */
    bool answered;            /* an answer came (else msg says why not) */
    httpc_response resp;      /* the answer to this report, when answered */
    char msg[256];
} masterlink_pending;

static void masterlink_send_batch(void *ud, groupq_entry **batch, size_t n);

/* After an answer from master i (resp; NULL: none came): a standby's
 * hint names the active master, the one to send to; a master that cannot
 * be reached gives its turn to the next of the list. */
static void masterlink_follow(masterlink *ml, size_t i, const httpc_response *resp)
{
    size_t want = addr_master_next(ml->bases, ml->nmasters, i, resp ? resp->leader : "",
                                   !resp || resp->status == 503);
    atomic_compare_exchange_strong(&ml->lead, &i, want);
}

/* POSTs body (stolen) to the master's path as this server: its address
 * as registered goes into the body under addr_key. False (err set) when
 * not registered yet or without an answer; *resp is the caller's to free
 * on true. */
#define MASTERLINK_LEAD SIZE_MAX

/* POSTs body (taken) to path on master to (MASTERLINK_LEAD: the active
 * one), with this server's address under addr_key and its cluster added;
 * with recs (n packed records, chunkpack.h) the body is their envelope
 * and they follow it. */
static bool masterlink_send_to(masterlink *ml, size_t to, const char *path, json_t *body,
                               const char *addr_key, const unsigned char *recs, size_t n,
                               httpc_response *resp, char *err, size_t errlen)
{
    char addr[PROTO_MAX_SERVER_ADDR], url[600], cluster[CLUSTERID_LEN + 1];
    pthread_mutex_lock(&ml->lock);
    memcpy(cluster, ml->cluster, sizeof cluster);
    pthread_mutex_unlock(&ml->lock);
    bool ok = masterlink_registered(ml, NULL, addr, sizeof addr);
    if (!ok) {
        snprintf(err, errlen, "not registered with the master yet");
        memset(resp, 0, sizeof *resp);
        json_decref(body);
        return false;
    }
    size_t i = to == MASTERLINK_LEAD ? atomic_load(&ml->lead) : to;
    snprintf(url, sizeof url, "%s%s", ml->bases[i], path);
    json_object_set_new(body, addr_key, json_string(addr));
    if (cluster[0])
        json_object_set_new(body, PROTO_F_CLUSTER_ID, json_string(cluster));
    if (recs) {
        char *head = json_dumps(body, JSON_COMPACT), *raw = NULL;
        size_t len = 0;
        ok = head && (raw = chunkpack_body(head, strlen(head), recs, n, &len));
        if (ok)
            ok = httpc_post_signed(url, raw, len, PROTO_CONTENT_CHUNKPACK, ml->key,
                                   MASTERLINK_TIMEOUT_MS, resp, err, errlen);
        else
            snprintf(err, errlen, "out of memory");
        free(head);
        free(raw);
    } else {
        ok = httpc_json_signed("POST", url, body, ml->key, MASTERLINK_TIMEOUT_MS, resp, err,
                               errlen);
    }
    if (to == MASTERLINK_LEAD)
        masterlink_follow(ml, i, ok ? resp : NULL);
    json_decref(body);
    return ok;
}

static bool masterlink_post_to(masterlink *ml, size_t to, const char *path, json_t *body,
                               const char *addr_key, httpc_response *resp, char *err,
                               size_t errlen)
{
    return masterlink_send_to(ml, to, path, body, addr_key, NULL, 0, resp, err, errlen);
}

/* To the active master (as far as this server knows). */
static bool masterlink_post(masterlink *ml, const char *path, json_t *body, const char *addr_key,
                            httpc_response *resp, char *err, size_t errlen)
{
    return masterlink_post_to(ml, MASTERLINK_LEAD, path, body, addr_key, resp, err, errlen);
}

/* Carries out a "delete" list from the master: [[id, version], ...]. */
static void masterlink_delete(masterlink *ml, json_t *list)
{
    size_t i, n = 0;
    json_t *e;
    json_array_foreach(list, i, e) {
        const char *id = json_string_value(json_array_get(e, 0));
        json_t *v = json_array_get(e, 1);
        if (!id || !chunkid_parse(id, NULL, NULL) || !json_is_integer(v) ||
            json_integer_value(v) <= 0)
            continue;
        n += store_remove(ml->st, id, (uint64_t)json_integer_value(v)) == STORE_OK;
    }
    if (n)
        log_info("deleted %zu chunks the master no longer needs", n);
}

static void masterlink_verify(masterlink *ml, json_t *list)
{
    size_t i;
    json_t *e;
    json_array_foreach(list, i, e) {
        const char *id = json_string_value(e);
        if (id && chunkid_parse(id, NULL, NULL) && ml->verify)
            ml->verify(ml->cb_ud, id);
    }
}

typedef struct {
    masterlink *ml;
    size_t to;                /* the master it goes to */
    json_t *page;             /* JSON entries; or, to a master that reads them, */
    bool packed;              /* packed records instead: */
    unsigned char *recs;      /* MASTERLINK_PAGE of them at most */
    size_t nrecs;
    bool ok;
    size_t sent;
    char *err;
    size_t errlen;
} masterlink_report_ctx;

/* How long one page of a full report keeps coming back to a master that
 * says it is busy with other servers' pages (503 with Retry-After). */
#define MASTERLINK_PAGE_WAIT_MS 120000

static bool masterlink_register_once(masterlink *ml, size_t mi, char *err, size_t errlen);

/* The entries the page holds, in whichever form it is. */
static size_t masterlink_page_size(const masterlink_report_ctx *r)
{
    return r->packed ? r->nrecs : json_array_size(r->page);
}

static bool masterlink_send_page(masterlink_report_ctx *r)
{
    httpc_response resp = { 0 };
    bool ok;
    int64_t beat = monotime_ms();
    for (int64_t waited = 0;;) {
        ok = r->packed ? masterlink_send_to(r->ml, r->to, PROTO_PATH_CHUNK_REPORT, json_object(),
                                            PROTO_F_URL, r->recs, r->nrecs, &resp, r->err,
                                            r->errlen)
                       : masterlink_post_to(r->ml, r->to, PROTO_PATH_CHUNK_REPORT,
                                            json_pack("{s:O}", PROTO_F_CHUNKS, r->page),
                                            PROTO_F_URL, &resp, r->err, r->errlen);
        if (!ok || resp.status != 503 || resp.retry_ms <= 0 || resp.retry_ms > 5000 ||
            waited >= MASTERLINK_PAGE_WAIT_MS)
            break;
        waited += resp.retry_ms;
        struct timespec ts = { resp.retry_ms / 1000, (resp.retry_ms % 1000) * 1000000L };
        httpc_response_free(&resp);
        resp = (httpc_response){ 0 };
        nanosleep(&ts, NULL);
        /* still here, and alive: the heartbeats go on while the page waits */
        if (monotime_ms() - beat >= r->ml->heartbeat_ms) {
            char err[256];
            masterlink_register_once(r->ml, r->to, err, sizeof err);
            beat = monotime_ms();
        }
    }
    if (ok && resp.status != 200) {
        char m[256];
        snprintf(r->err, r->errlen, "master refused the chunk report: %s",
                 httpc_error_text(&resp, m, sizeof m));
        ok = false;
    }
    if (ok && r->ml->masters[r->to].active)   /* a standby's word deletes nothing */
        masterlink_delete(r->ml, json_object_get(resp.json, PROTO_F_DELETE));
    httpc_response_free(&resp);
    r->sent += masterlink_page_size(r);
    json_array_clear(r->page);
    r->nrecs = 0;
    return ok;
}

static bool masterlink_report_one(void *ud, const char *id, const store_meta *m, int64_t age_ms)
{
    masterlink_report_ctx *r = ud;
    if (r->packed) {
        chunkpack_entry e = { .size = m->size, .version = m->version, .age_ms = age_ms };
        char fileid[FILEID_LEN + 1];
        if (!chunkid_parse(id, fileid, &e.index) || !sha256_from_hex(fileid, e.fid))
            return r->ok;   /* the store lists only chunk ids; nothing else can be reported */
        e.has_sha = sha256_from_hex(m->sha, e.sha);
        chunkpack_put(r->recs + r->nrecs++ * CHUNKPACK_RECORD, &e);
    } else {
        json_array_append_new(r->page, json_pack("[s,I,I,s,I]", id, (json_int_t)m->size,
                                                 (json_int_t)m->version, m->sha,
                                                 (json_int_t)age_ms));
    }
    if (masterlink_page_size(r) >= MASTERLINK_PAGE)
        r->ok = masterlink_send_page(r);
    return r->ok;
}

/* Every chunk stored here, page by page, to master i: packed when it
 * says it reads them. */
static bool masterlink_full_report(masterlink *ml, size_t i, char *err, size_t errlen)
{
    masterlink_report_ctx r = { .ml = ml, .to = i, .page = json_array(), .ok = true, .err = err,
                                .errlen = errlen, .packed = ml->masters[i].packed };
    if (r.packed && !(r.recs = malloc(MASTERLINK_PAGE * CHUNKPACK_RECORD))) {
        json_decref(r.page);
        snprintf(err, errlen, "out of memory");
        return false;
    }
    store_list(ml->st, masterlink_report_one, &r);
    if (r.ok && masterlink_page_size(&r) > 0)
        r.ok = masterlink_send_page(&r);
    json_decref(r.page);
    free(r.recs);
    if (r.ok)
        log_debug("full chunk report: %zu chunks", r.sent);
    return r.ok;
}

/* Master i is not ours: it is asked again every heartbeat but believed in
 * nothing; with none of ours left, writes stop. */
static void masterlink_unregister(masterlink *ml, size_t i)
{
    ml->masters[i].refused = true;
    bool any = false;
    for (size_t k = 0; k < ml->nmasters; k++)
        any |= !ml->masters[k].refused && !ml->masters[k].failing && k != i;
    if (!any) {
        pthread_mutex_lock(&ml->lock);
        ml->registered = false;
        pthread_mutex_unlock(&ml->lock);
    }
}

/* Whether the master that answered is this directory's cluster's; a
 * directory of no cluster yet joins the master's, durably, first. False
 * (err set) when the answer must not be acted on. */
static bool masterlink_check_cluster(masterlink *ml, size_t i, json_t *ans, char *err,
                                     size_t errlen)
{
    const char *theirs = json_string_value(json_object_get(ans, PROTO_F_CLUSTER_ID));
    if (theirs && !clusterid_valid(theirs)) {
        snprintf(err, errlen, "the master at %.200s answered a malformed cluster id",
                 ml->bases[i]);
        return false;
    }
    if (ml->cluster[0]) {   /* written only by this thread */
        if (theirs && strcmp(theirs, ml->cluster) == 0)
            return true;
        snprintf(err, errlen, "the master at %.100s is %s%s, and %.100s belongs to cluster %s: "
                 "not acting on anything it says (is it the right master, with the right "
                 "--meta-dir?)", ml->bases[i], theirs ? "of cluster " : "of no cluster",
                 theirs ? theirs : "", store_dir(ml->st), ml->cluster);
        return false;
    }
    if (!theirs)
        return true;   /* a master from before cluster ids */
    if (store_set_cluster_id(ml->st, theirs, err, errlen) != STORE_OK)
        return false;
    pthread_mutex_lock(&ml->lock);
    memcpy(ml->cluster, theirs, sizeof ml->cluster);
    pthread_mutex_unlock(&ml->lock);
    log_info("%s joined cluster %s", store_dir(ml->st), theirs);
    return true;
}

static bool masterlink_register_once(masterlink *ml, size_t mi, char *err, size_t errlen)
{
    masterlink_master *mm = &ml->masters[mi];
    char url[600];
    snprintf(url, sizeof url, "%s%s", ml->bases[mi], PROTO_PATH_REGISTER);
    json_t *body = json_pack("{s:s,s:s,s:I}", PROTO_F_URL, ml->announce, PROTO_F_RACK, ml->rack,
                             PROTO_F_INCARNATION, (json_int_t)ml->incarnation);
    /* Our cluster, or, without one, how much we would have to lose. */
    if (ml->cluster[0]) {
        json_object_set_new(body, PROTO_F_CLUSTER_ID, json_string(ml->cluster));
    } else {
        int64_t now = monotime_ms();
        if (ml->counted_ms == 0 || now - ml->counted_ms >= MASTERLINK_RECOUNT_MS) {
            ml->nchunks = store_count(ml->st);
            ml->counted_ms = now;
        }
        json_object_set_new(body, PROTO_F_CHUNK_COUNT, json_integer((json_int_t)ml->nchunks));
    }
    struct statvfs vfs;
    if (statvfs(store_dir(ml->st), &vfs) == 0) {
        uint64_t cap = (uint64_t)vfs.f_blocks * vfs.f_frsize;
        uint64_t used = cap - (uint64_t)vfs.f_bavail * vfs.f_frsize;
        if (ml->capacity) {   /* a quota: our own bytes against it */
            cap = ml->capacity < cap ? ml->capacity : cap;
            used = store_stored_bytes(ml->st);
        }
        json_object_set_new(body, PROTO_F_CAPACITY, json_integer((json_int_t)cap));
        json_object_set_new(body, PROTO_F_USED, json_integer((json_int_t)used));
    }
    if (ml->load)
        json_object_set_new(body, PROTO_F_LOAD, json_integer((json_int_t)atomic_load(ml->load)));
    /* The live list we hold: the master leaves it out while it is the same. */
    if (mm->members[0])
        json_object_set_new(body, PROTO_F_MEMBERS_VERSION, json_string(mm->members));
    if (ml->active) {
        char ids[64][CHUNKID_BUF];
        size_t n = ml->active(ml->cb_ud, ids, 64);
        json_t *a = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(a, json_string(ids[i]));
        json_object_set_new(body, PROTO_F_ACTIVE, a);
    }
    httpc_response resp;
    mm->refused = false;
    bool ok = httpc_json_signed("POST", url, body, ml->key, MASTERLINK_TIMEOUT_MS, &resp, err,
                                errlen);
    json_decref(body);
    if (!ok)
        return false;
    if (resp.status != 200) {
        char m[400];
        snprintf(err, errlen, "master %s refused registration: %s", ml->bases[mi],
                 httpc_error_text(&resp, m, sizeof m));
        if (resp.status == 409 || resp.status == 401)   /* not our cluster, or not our key */
            masterlink_unregister(ml, mi);
        masterlink_follow(ml, mi, &resp);
        httpc_response_free(&resp);
        return false;
    }
    if (!masterlink_check_cluster(ml, mi, resp.json, err, errlen)) {
        masterlink_unregister(ml, mi);
        httpc_response_free(&resp);
        return false;
    }
    /* A standby of an HA cluster is told what we hold, and tells us the
     * cluster's members, but its orders are not followed: only the active
     * master's (a master without roles is its cluster's only one). */
    const char *role = json_string_value(json_object_get(resp.json, PROTO_F_ROLE));
    mm->active = !role || !strcmp(role, "active");
    if (mm->active && ml->nmasters > 1)
        atomic_store(&ml->lead, mi);
    const char *addr;
    long long cs;
    ok = jsonf_string(resp.json, PROTO_F_URL, &addr, err, errlen) &&
         jsonf_int(resp.json, PROTO_F_CHUNK_SIZE, 1, (long long)PROTO_MAX_CHUNK_SIZE, &cs, err,
                   errlen);
    if (ok) {
        pthread_mutex_lock(&ml->lock);
        bool first = !ml->registered || strcmp(ml->addr, addr) != 0;
        snprintf(ml->addr, sizeof ml->addr, "%s", addr);
        ml->chunk_size = (uint64_t)cs;
        ml->registered = true;
        json_t *peers = json_object_get(resp.json, PROTO_F_CHUNKSERVERS);
        const char *mv = json_string_value(json_object_get(resp.json, PROTO_F_MEMBERS_VERSION));
        if (json_is_array(peers)) {
            json_decref(ml->peers);
            ml->peers = json_incref(peers);
            snprintf(mm->members, sizeof mm->members, "%s", mv && strlen(mv) < 32 ? mv : "");
        } else if (!mv) {
            mm->members[0] = '\0';   /* a master that knows no versions: ask afresh */
        }
        pthread_mutex_unlock(&ml->lock);
        if (first)
            log_info("registered with %s as %s (chunk size %lld)", ml->bases[mi], addr, cs);
        if (mm->active) {
            masterlink_delete(ml, json_object_get(resp.json, PROTO_F_DELETE));
            masterlink_verify(ml, json_object_get(resp.json, PROTO_F_VERIFY));
            size_t ci;
            json_t *ce;
            json_array_foreach(json_object_get(resp.json, PROTO_F_COPY), ci, ce) {
                const char *cid = json_string_value(json_array_get(ce, 0));
                const char *to = json_string_value(json_array_get(ce, 1));
                if (cid && to && chunkid_parse(cid, NULL, NULL) && ml->copy)
                    ml->copy(ml->cb_ud, cid, to);
            }
        }
        json_t *ep = json_object_get(resp.json, PROTO_F_EPOCH);
        mm->pending_epoch = json_is_integer(ep) ? (uint64_t)json_integer_value(ep) : 0;
        json_t *pk = json_object_get(resp.json, PROTO_F_PACKED_REPORTS);
        mm->packed = json_is_integer(pk) && json_integer_value(pk) == PROTO_PACKED_LAYOUT;
    }
    httpc_response_free(&resp);
    return ok;
}

/* One heartbeat; returns the pause before the next: a beat when all is
 * well, sooner while the master cannot be reached. */
static long masterlink_beat_body(masterlink *ml);

static long masterlink_beat(void *arg)
{
    masterlink *ml = arg;
    pthread_mutex_lock(&ml->lock);
    ml->beats_started++;
    pthread_mutex_unlock(&ml->lock);
    long pause = masterlink_beat_body(ml);
    pthread_mutex_lock(&ml->lock);
    ml->beats_done++;
    pthread_cond_broadcast(&ml->beaten);
    pthread_mutex_unlock(&ml->lock);
    return pause;
}

/* One heartbeat to master i; true when it answered as one of ours. */
static bool masterlink_beat_one(masterlink *ml, size_t i)
{
    masterlink_master *mm = &ml->masters[i];
    char err[512];
    bool ok = masterlink_register_once(ml, i, err, sizeof err);
    /* One line per change of state: unreachable, refused, fine. */
    if (!ok && (!mm->failing || mm->refused != mm->said_refused)) {
        if (mm->refused)
            log_error("%s (asking again every heartbeat)", err);
        else
            log_warn("cannot reach master: %s (retrying)", err);
        mm->said_refused = mm->refused;
    } else if (ok && mm->failing) {
        log_info("master %s reachable again", ml->bases[i]);
    }
    mm->failing = !ok;
    /* A master we have not reported to (a new one, or restarted) learns
     * what we hold at once; the others now and then. */
    if (ok && (mm->pending_epoch != mm->epoch || ++mm->beats >= ml->report_every)) {
        if (masterlink_full_report(ml, i, err, sizeof err)) {
            mm->epoch = mm->pending_epoch;
            /* the next one after 75 to 100 % of --report-every: servers
             * started together do not all report together */
            uint32_t draw = 0;
            if (getrandom(&draw, sizeof draw, 0) != (ssize_t)sizeof draw)
                draw = 0;
            mm->beats = ml->report_every >= 4 ? (long)(draw % (uint32_t)(ml->report_every / 4)) : 0;
        } else {
            log_warn("full chunk report to %s: %s (retrying)", ml->bases[i], err);
        }
    }
    return ok;
}

/* The chunks stored since the last beat, to each standby that answered
 * it (as HDFS DataNodes send incremental block reports to both
 * NameNodes): a standby that takes over knows where they are. */
static void masterlink_tell_standbys(masterlink *ml)
{
    pthread_mutex_lock(&ml->ilock);
    json_t *incr = ml->incr;
    bool lost = ml->incr_lost;
    ml->incr = json_array();
    ml->incr_lost = false;
    pthread_mutex_unlock(&ml->ilock);
    for (size_t i = 0; i < ml->nmasters; i++) {
        masterlink_master *mm = &ml->masters[i];
        if (mm->active || mm->failing || mm->refused)
            continue;
        if (lost) {   /* too many to tell: the whole list, next beat */
            mm->epoch = 0;
            continue;
        }
        char err[256];
        for (size_t from = 0; from < json_array_size(incr); from += PROTO_REPORT_PAGE) {
            masterlink_report_ctx r = { .ml = ml, .to = i, .page = json_array(), .ok = true,
                                        .err = err, .errlen = sizeof err };
            for (size_t k = from; k < from + PROTO_REPORT_PAGE && k < json_array_size(incr); k++)
                json_array_append(r.page, json_array_get(incr, k));
            if (!masterlink_send_page(&r))
                mm->epoch = 0;   /* it missed some: the whole list, next beat */
            json_decref(r.page);
        }
    }
    json_decref(incr);
}

static long masterlink_beat_body(masterlink *ml)
{
    bool all_ok = true, any_refused = false;
    for (size_t i = 0; i < ml->nmasters; i++) {
        all_ok &= masterlink_beat_one(ml, i);
        any_refused |= ml->masters[i].refused;
    }
    if (ml->nmasters > 1)
        masterlink_tell_standbys(ml);
    /* A master that cannot be reached is asked again soon; one that said
     * no has nothing new to say before the next beat. */
    return all_ok || any_refused ? ml->heartbeat_ms
                                 : (ml->heartbeat_ms < 500 ? ml->heartbeat_ms : 500);
}

masterlink *masterlink_start(const masterlink_config *cfg, char *err, size_t errlen)
{
    masterlink *ml = calloc(1, sizeof *ml);
    if (!ml) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    snprintf(ml->master, sizeof ml->master, "%s", cfg->master_base);
    ml->nmasters = addr_master_split(cfg->master_base, ml->bases, ADDR_MAX_MASTERS);
    if (ml->nmasters == 0) {
        snprintf(err, errlen, "no master address");
        free(ml);
        return NULL;
    }
    snprintf(ml->announce, sizeof ml->announce, "%s", cfg->announce);
    snprintf(ml->rack, sizeof ml->rack, "%s", cfg->rack);
    ml->capacity = cfg->capacity;
    ml->st = cfg->st;
    ml->heartbeat_ms = cfg->heartbeat_ms;
    ml->key = cfg->key;
    ml->report_every = cfg->report_every > 0 ? cfg->report_every : 1;
    ml->load = cfg->load;
    ml->active = cfg->active;
    ml->copy = cfg->copy;
    ml->verify = cfg->verify;
    ml->cb_ud = cfg->cb_ud;
    uint64_t draw = 0;
    if (getrandom(&draw, sizeof draw, 0) != (ssize_t)sizeof draw)
        draw = (uint64_t)monotime_ms() * 1000003u ^ (uint64_t)getpid();
    ml->incarnation = (int64_t)(draw & INT64_MAX) | 1;   /* 1 .. INT64_MAX: never 0 */
    if (!store_cluster_id(ml->st, ml->cluster, err, errlen)) {
        free(ml);
        return NULL;
    }
    if (ml->cluster[0])
        log_info("%s belongs to cluster %s", store_dir(ml->st), ml->cluster);
    pthread_mutex_init(&ml->lock, NULL);
    groupq_init(&ml->reports, PROTO_MAX_BATCH, masterlink_send_batch, ml);
    pthread_mutex_init(&ml->ilock, NULL);
    ml->incr = json_array();
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&ml->beaten, &ca);
    pthread_condattr_destroy(&ca);
    if (!(ml->beat = ticker_start(masterlink_beat, ml, 0))) {
        snprintf(err, errlen, "cannot start heartbeat thread");
        pthread_cond_destroy(&ml->beaten);
        pthread_mutex_destroy(&ml->lock);
        groupq_destroy(&ml->reports);
        pthread_mutex_destroy(&ml->ilock);
        json_decref(ml->incr);
        free(ml);
        return NULL;
    }
    return ml;
}

void masterlink_stop(masterlink *ml)
{
    if (!ml)
        return;
    ticker_stop(ml->beat);
    pthread_cond_destroy(&ml->beaten);
    pthread_mutex_destroy(&ml->lock);
    groupq_destroy(&ml->reports);
    pthread_mutex_destroy(&ml->ilock);
    json_decref(ml->incr);
    json_decref(ml->peers);
    free(ml);
}

static bool masterlink_known(masterlink *ml, const char *addr)
{
    bool known = false;
    pthread_mutex_lock(&ml->lock);
    size_t i;
    json_t *p;
    json_array_foreach(ml->peers, i, p)
        known |= json_is_string(p) && strcmp(json_string_value(p), addr) == 0;
    pthread_mutex_unlock(&ml->lock);
    return known;
}

bool masterlink_is_peer(masterlink *ml, const char *addr)
{
    if (masterlink_known(ml, addr))
        return true;
    /* Not in the list the master last sent: maybe a server that joined
     * since. The heartbeat thread asks again now, and this waits (a
     * while at most) for a heartbeat that began after the question. */
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += MASTERLINK_PEER_WAIT_MS / 1000;
    pthread_mutex_lock(&ml->lock);
    uint64_t want = ml->beats_started + 1;
    pthread_mutex_unlock(&ml->lock);
    ticker_kick(ml->beat);
    pthread_mutex_lock(&ml->lock);
    while (ml->beats_done < want &&
           pthread_cond_timedwait(&ml->beaten, &ml->lock, &until) != ETIMEDOUT)
        ;
    pthread_mutex_unlock(&ml->lock);
    return masterlink_known(ml, addr);
}

bool masterlink_registered(masterlink *ml, uint64_t *chunk_size, char *addr, size_t addrlen)
{
    pthread_mutex_lock(&ml->lock);
    bool r = ml->registered;
    if (chunk_size)
        *chunk_size = ml->chunk_size;
    if (addr)
        snprintf(addr, addrlen, "%s", ml->addr);
    pthread_mutex_unlock(&ml->lock);
    return r;
}

/* Sends the n queued reports of batch (groupq's act): alone when n is 1
 * (or the master takes no batches), else as one {"reports": [...]} whose
 * answer's list gives each its own. */
static void masterlink_send_batch(void *ud, groupq_entry **batch, size_t n)
{
    masterlink *ml = ud;
    masterlink_pending *p;
    if (n == 1 || atomic_load(&ml->rsingly)) {
        for (size_t i = 0; i < n; i++) {
            p = batch[i]->item;
            p->answered = masterlink_post(ml, PROTO_PATH_UPLOAD_OK, json_incref(p->body),
                                          PROTO_F_CHUNKSERVER, &p->resp, p->msg, sizeof p->msg);
        }
        return;
    }
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append(list, ((masterlink_pending *)batch[i]->item)->body);
    httpc_response resp;
    char msg[256] = "";
    bool ok = masterlink_post(ml, PROTO_PATH_UPLOAD_OK, json_pack("{s:o}", PROTO_F_REPORTS, list),
                              PROTO_F_CHUNKSERVER, &resp, msg, sizeof msg);
    bool got = ok;
    json_t *answers = ok ? json_object_get(resp.json, PROTO_F_REPORTS) : NULL;
    if (ok && resp.status == 400 && !answers) {
        /* a master from before batches: "chunkIdentifier" missing */
        log_warn("the master takes no batch of chunk reports; sending them one by one");
        atomic_store(&ml->rsingly, true);
        httpc_response_free(&resp);
        masterlink_send_batch(ml, batch, n);
        return;
    }
    bool listed = ok && resp.status == 200 && json_array_size(answers) == n;
    if (ok && resp.status == 200 && !listed) {
        snprintf(msg, sizeof msg, "the master's answer to %zu reports does not list %zu", n, n);
        ok = false;
    }
    for (size_t i = 0; i < n; i++) {
        p = batch[i]->item;
        p->answered = ok;
        snprintf(p->msg, sizeof p->msg, "%s", msg);
        if (!ok)
            continue;
        if (!listed) {   /* a refusal of the whole batch (a 503: the master restarts) */
            p->resp = (httpc_response){ .status = resp.status, .json = json_incref(resp.json),
                                        .retry_ms = resp.retry_ms };
            continue;
        }
        json_t *a = json_array_get(answers, i);
        json_int_t st = json_integer_value(json_object_get(a, PROTO_F_STATUS));
        json_int_t retry = json_integer_value(json_object_get(a, PROTO_F_RETRY_MS));
        p->resp = (httpc_response){
            .status = !json_object_get(a, PROTO_F_ERROR) ? 200 : st >= 400 && st <= 599 ? st : 500,
            .json = json_incref(a),
            .retry_ms = retry > 0 && retry <= 60000 ? (long)retry : 0,
        };
    }
    if (got)
        httpc_response_free(&resp);
}

/* POSTs a chunk's report (body, borrowed) as masterlink_post would, but
 * together with the reports other connection threads send meanwhile:
 * the first thread to find no batch in flight sends everything queued
 * (itself included, up to PROTO_MAX_BATCH), the others wait for it; a
 * tree of small files costs the master one request and one journal
 * sync per batch instead of per chunk. */
static bool masterlink_send_report(masterlink *ml, json_t *body, httpc_response *resp, char *msg,
                                   size_t msglen)
{
    masterlink_pending me = { .body = body };
    groupq_entry q = { .item = &me };
    groupq_run(&ml->reports, &q);
    if (me.answered)
        *resp = me.resp;
    else
        snprintf(msg, msglen, "%s", me.msg);
    return me.answered;
}

masterlink_report_result masterlink_report(masterlink *ml, const char *chunk_id, uint64_t size,
                                           uint64_t generation, const char *sha,
                                           uint64_t *version, long *status, char *msg,
                                           size_t msglen)
{
    *status = 0;
    json_t *body = json_pack("{s:s,s:I}", PROTO_F_CHUNK_ID, chunk_id, PROTO_F_SIZE,
                             (json_int_t)size);
    if (generation)
        json_object_set_new(body, PROTO_F_GENERATION, json_integer((json_int_t)generation));
    if (sha)
        json_object_set_new(body, PROTO_F_SHA256, json_string(sha));
    /* A master that is restarting, or has not heard our heartbeat since
     * it did, says so with a 503 (or does not answer): that passes within
     * a heartbeat or two, and a chunk whose report would wait it out is
     * better than one the uploader must send again. */
    httpc_response resp;
    int64_t start = monotime_ms();
    long wait = MASTERLINK_FIRST_WAIT_MS;
    for (;;) {
        bool ok = masterlink_send_report(ml, body, &resp, msg, msglen);
        if (ok && resp.status != 503)
            break;
        long ms = ok && resp.retry_ms > wait ? resp.retry_ms : wait;
        if (monotime_ms() - start + ms > MASTERLINK_REPORT_WAIT_MS) {
            if (!ok) {
                json_decref(body);
                return REPORT_UNREACHABLE;
            }
            break;
        }
        if (ok)
            httpc_response_free(&resp);
        struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
        nanosleep(&ts, NULL);
        wait *= 2;
    }
    json_decref(body);
    *status = resp.status;
    masterlink_report_result r;
    if (resp.status == 200) {
        r = REPORT_OK;
        json_t *v = json_object_get(resp.json, PROTO_F_VERSION);
        *version = json_is_integer(v) && json_integer_value(v) > 0 ? (uint64_t)json_integer_value(v) : 0;
        if (ml->nmasters > 1) {   /* the standbys hear of it with the next heartbeat */
            uint64_t ver = *version ? *version : generation;
            pthread_mutex_lock(&ml->ilock);
            if (json_array_size(ml->incr) >= MASTERLINK_INCR_MAX)
                ml->incr_lost = true;
            else if (ver && sha)
                json_array_append_new(ml->incr, json_pack("[s,I,I,s,i]", chunk_id,
                                                          (json_int_t)size, (json_int_t)ver,
                                                          sha, 0));
            pthread_mutex_unlock(&ml->ilock);
        }
    } else if (resp.status == 409) {
        r = REPORT_DUPLICATE;
    } else if (resp.status >= 500) {
        httpc_error_text(&resp, msg, msglen);
        r = REPORT_UNREACHABLE;
    } else {
        httpc_error_text(&resp, msg, msglen);
        r = REPORT_REJECTED;
    }
    httpc_response_free(&resp);
    return r;
}

masterlink_bad_verdict masterlink_report_bad(masterlink *ml, const char *chunk_id, bool lost,
                                             char *err, size_t errlen)
{
    httpc_response resp;
    json_t *body = json_pack("{s:s,s:b}", PROTO_F_CHUNK_ID, chunk_id, PROTO_F_CORRUPT, 1);
    if (lost)
        json_object_set_new(body, PROTO_F_LOST, json_true());
    if (!masterlink_post(ml, PROTO_PATH_BAD_CHUNK, body, PROTO_F_CHUNKSERVER, &resp, err, errlen))
        return BAD_UNREACHABLE;
    masterlink_bad_verdict v = BAD_UNREACHABLE;
    if (resp.status != 200) {
        char m[256];
        snprintf(err, errlen, "master refused: %s", httpc_error_text(&resp, m, sizeof m));
    } else {
        /* a master from before rotten copies were kept answers {}: it dropped it */
        json_t *del = json_object_get(resp.json, PROTO_F_DELETE);
        v = !del || json_is_true(del) ? BAD_DELETE : BAD_KEEP;
    }
    httpc_response_free(&resp);
    return v;
}
