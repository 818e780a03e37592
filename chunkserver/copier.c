/*
 * copier.c - the copy queue and its thread. The queue is a fixed ring
 * under one mutex; the thread takes up to COPIER_PARALLEL copies at a
 * time and runs each on a thread of its own, joined before the next
 * batch. A copy is a chunk PUT (common/chunkreq) carrying the version and
 * checksum this server holds, signed with the cluster key on a secure
 * cluster, and marked as a repair copy (X-Minidfs-Purpose) for the
 * receiver's metrics; copies sent are counted. Must never send a chunk to anything but a
 * chunkserver of this cluster, and never read a chunk into memory (the
 * PUT streams the file).
 */
#include "copier.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "chunkid.h"
#include "chunkreq.h"
#include "httpc.h"
#include "log.h"
#include "protocol.h"
#include "sha256.h"

#define COPIER_QUEUE 256
#define COPIER_PARALLEL 4
#define COPIER_TIMEOUT_MS 300000

typedef struct {
    char id[CHUNKID_BUF];
    char target[PROTO_MAX_SERVER_ADDR];
} copier_job;

struct copier {
    chunkserver *cs;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stop;
    copier_job ring[COPIER_QUEUE];
    size_t head, n;
};

unsigned copier_http_status(copier_status st)
{
    static const unsigned http[] = {
        [COPIER_OK] = 200,    [COPIER_BAD_REQUEST] = 400, [COPIER_NO_CHUNK] = 404,
        [COPIER_LOCAL] = 500, [COPIER_TARGET] = 502,
    };
    return (unsigned)st < sizeof http / sizeof *http ? http[st] : 500;
}

copier_status copier_copy(chunkserver *cs, const char *id, const char *to, uint64_t generation,
                          uint64_t *size, char *err, size_t errlen)
{
    char target[PROTO_MAX_SERVER_ADDR];
    if (!chunkid_parse(id, NULL, NULL)) {
        snprintf(err, errlen, "invalid chunk identifier \"%.80s\"", id);
        return COPIER_BAD_REQUEST;
    }
    if (!addr_canon_server(to, NULL, target, sizeof target, err, errlen))
        return COPIER_BAD_REQUEST;
    if (!masterlink_is_peer(cs->ml, target)) {
        snprintf(err, errlen, "target %s is not a chunkserver of this cluster", target);
        return COPIER_BAD_REQUEST;
    }
    int fd;
    store_status st = store_open_chunk(cs->st, id, &fd, size);
    if (st != STORE_OK) {
        snprintf(err, errlen, st == STORE_NOT_FOUND ? "no chunk %s here" : "cannot open chunk %s",
                 id);
        return st == STORE_NOT_FOUND ? COPIER_NO_CHUNK : COPIER_LOCAL;
    }
    /* The copy carries the version and checksum this server holds, so the
     * target refuses bytes that rotted here. */
    chunkreq req = { .version = generation, .length = *size };
    snprintf(req.id, sizeof req.id, "%s", id);
    store_meta meta;
    if (store_read_meta_fd(fd, &meta) == STORE_OK) {
        if (meta.version)
            req.version = meta.version;
        req.sum = CHUNKREQ_SUM_HEADER;
        snprintf(req.sha, sizeof req.sha, "%s", meta.sha);
    }
    char url[512];
    struct curl_slist *headers = NULL;
    char sig[AUTH_VALUE_MAX + 32] = AUTH_HEADER ": ", path[CHUNKID_BUF + 16];
    snprintf(path, sizeof path, PROTO_PATH_CHUNKS "%s", id);
    bool signed_ok = !cs->key || (auth_sign(cs->key, "PUT", path, AUTH_STREAMED, auth_now_ms(),
                                            sig + strlen(sig)) &&
                                  (headers = curl_slist_append(headers, sig)) != NULL);
    if (!signed_ok || !chunkreq_url(&req, target, url, sizeof url) ||
        !chunkreq_headers(&req, &headers) ||
        !(headers = curl_slist_append(headers, PROTO_HDR_PURPOSE ": repair"))) {
        curl_slist_free_all(headers);
        close(fd);
        snprintf(err, errlen, "cannot build the copy of %s to %.80s", id, target);
        return COPIER_LOCAL;
    }
    httpc_response resp;
    bool ok = httpc_put_fd(url, fd, 0, *size, headers, COPIER_TIMEOUT_MS, &resp, err, errlen);
    curl_slist_free_all(headers);
    close(fd);
    if (!ok) {
        char why[300];
        snprintf(why, sizeof why, "%.299s", err);
        snprintf(err, errlen, "copy of %s to %.80s: %.200s", id, target, why);
        return COPIER_TARGET;
    }
    if (resp.status != 200) {
        char m[300];
        snprintf(err, errlen, "%s refused the copy of %s: %s", target, id,
                 httpc_error_text(&resp, m, sizeof m));
        httpc_response_free(&resp);
        return COPIER_TARGET;
    }
    httpc_response_free(&resp);
    atomic_fetch_add(&cs->stats.bytes_forwarded, *size);
    atomic_fetch_add(&cs->stats.copies_sent, 1);
    log_info("copied chunk %s to %s", id, target);
    return COPIER_OK;
}

typedef struct {
    chunkserver *cs;
    copier_job job;
} copier_task;

static void *copier_task_run(void *arg)
{
    copier_task *t = arg;
    char err[512];
    uint64_t size;
    if (copier_copy(t->cs, t->job.id, t->job.target, 0, &size, err, sizeof err) != COPIER_OK)
        log_warn("repair copy: %s", err);
    return NULL;
}

static void *copier_run(void *arg)
{
    copier *c = arg;
    for (;;) {
        copier_task tasks[COPIER_PARALLEL];
        size_t n = 0;
        pthread_mutex_lock(&c->mu);
        while (!c->stop && c->n == 0)
            pthread_cond_wait(&c->cv, &c->mu);
        if (c->stop) {
            pthread_mutex_unlock(&c->mu);
            return NULL;
        }
        while (c->n > 0 && n < COPIER_PARALLEL) {
            tasks[n].cs = c->cs;
            tasks[n++].job = c->ring[c->head];
            c->head = (c->head + 1) % COPIER_QUEUE;
            c->n--;
        }
        pthread_mutex_unlock(&c->mu);
        pthread_t th[COPIER_PARALLEL];
        bool started[COPIER_PARALLEL] = { false };
        for (size_t i = 0; i < n; i++)
            started[i] = pthread_create(&th[i], NULL, copier_task_run, &tasks[i]) == 0;
        for (size_t i = 0; i < n; i++) {
            if (started[i])
                pthread_join(th[i], NULL);
            else
                copier_task_run(&tasks[i]);
        }
    }
}

copier *copier_start(chunkserver *cs)
{
    copier *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->cs = cs;
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    if (pthread_create(&c->thread, NULL, copier_run, c) != 0) {
        pthread_mutex_destroy(&c->mu);
        pthread_cond_destroy(&c->cv);
        free(c);
        return NULL;
    }
    return c;
}

void copier_stop(copier *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&c->mu);
    bool was = c->stop;
    c->stop = true;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
    if (!was)
        pthread_join(c->thread, NULL);
}

void copier_free(copier *c)
{
    if (!c)
        return;
    copier_stop(c);
    pthread_mutex_destroy(&c->mu);
    pthread_cond_destroy(&c->cv);
    free(c);
}

bool copier_add(copier *c, const char *id, const char *target)
{
    pthread_mutex_lock(&c->mu);
    bool ok = c->n < COPIER_QUEUE;
    if (ok) {
        copier_job *j = &c->ring[(c->head + c->n++) % COPIER_QUEUE];
        snprintf(j->id, sizeof j->id, "%s", id);
        snprintf(j->target, sizeof j->target, "%s", target);
        pthread_cond_signal(&c->cv);
    }
    pthread_mutex_unlock(&c->mu);
    return ok;
}
