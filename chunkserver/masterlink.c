/*
 * masterlink.c - registration, heartbeat and chunk reports. The heartbeat
 * thread owns the registration state; connection threads read it under the
 * mutex and send their own reports (each on its own reused connection).
 * Must never block a connection thread for longer than one report.
 */
#include "masterlink.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>

#include "httpc.h"
#include "jsonf.h"
#include "log.h"
#include "protocol.h"

#define MASTERLINK_TIMEOUT_MS 10000

struct masterlink {
    char master[512];
    char announce[PROTO_MAX_SERVER_ADDR];
    char rack[PROTO_MAX_RACK_NAME + 1];
    char dir[4096];
    long heartbeat_ms;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool stop;
    /* set by the heartbeat thread */
    bool registered;
    char addr[PROTO_MAX_SERVER_ADDR];
    uint64_t chunk_size;
};

static bool masterlink_register_once(masterlink *ml, char *err, size_t errlen)
{
    char url[600];
    snprintf(url, sizeof url, "%s%s", ml->master, PROTO_PATH_REGISTER);
    json_t *body = json_pack("{s:s,s:s}", PROTO_F_URL, ml->announce, PROTO_F_RACK, ml->rack);
    struct statvfs vfs;
    if (statvfs(ml->dir, &vfs) == 0) {
        uint64_t cap = (uint64_t)vfs.f_blocks * vfs.f_frsize;
        uint64_t used = cap - (uint64_t)vfs.f_bavail * vfs.f_frsize;
        json_object_set_new(body, PROTO_F_CAPACITY, json_integer((json_int_t)cap));
        json_object_set_new(body, PROTO_F_USED, json_integer((json_int_t)used));
    }
    httpc_response resp;
    bool ok = httpc_json("POST", url, body, MASTERLINK_TIMEOUT_MS, &resp, err, errlen);
    json_decref(body);
    if (!ok)
        return false;
    if (resp.status != 200) {
        char m[256];
        snprintf(err, errlen, "master refused registration: %s",
                 httpc_error_text(&resp, m, sizeof m));
        httpc_response_free(&resp);
        return false;
    }
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
        pthread_mutex_unlock(&ml->lock);
        if (first)
            log_info("registered with %s as %s (chunk size %lld)", ml->master, addr, cs);
    }
    httpc_response_free(&resp);
    return ok;
}

static void *masterlink_loop(void *arg)
{
    masterlink *ml = arg;
    bool failing = false;
    pthread_mutex_lock(&ml->lock);
    while (!ml->stop) {
        pthread_mutex_unlock(&ml->lock);
        char err[512];
        bool ok = masterlink_register_once(ml, err, sizeof err);
        if (!ok && !failing)
            log_warn("cannot reach master: %s (retrying)", err);
        else if (ok && failing)
            log_info("master reachable again");
        failing = !ok;
        long wait_ms = ok ? ml->heartbeat_ms : (ml->heartbeat_ms < 500 ? ml->heartbeat_ms : 500);
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += wait_ms / 1000;
        until.tv_nsec += (wait_ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_mutex_lock(&ml->lock);
        while (!ml->stop && pthread_cond_timedwait(&ml->wake, &ml->lock, &until) != ETIMEDOUT)
            ;
    }
    pthread_mutex_unlock(&ml->lock);
    return NULL;
}

masterlink *masterlink_start(const char *master_base, const char *announce, const char *rack,
                             const char *dir, long heartbeat_ms, char *err, size_t errlen)
{
    masterlink *ml = calloc(1, sizeof *ml);
    if (!ml) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    snprintf(ml->master, sizeof ml->master, "%s", master_base);
    snprintf(ml->announce, sizeof ml->announce, "%s", announce);
    snprintf(ml->rack, sizeof ml->rack, "%s", rack);
    snprintf(ml->dir, sizeof ml->dir, "%s", dir);
    ml->heartbeat_ms = heartbeat_ms;
    pthread_mutex_init(&ml->lock, NULL);
    pthread_cond_init(&ml->wake, NULL);
    if (pthread_create(&ml->thread, NULL, masterlink_loop, ml) != 0) {
        snprintf(err, errlen, "cannot start heartbeat thread");
        free(ml);
        return NULL;
    }
    return ml;
}

void masterlink_stop(masterlink *ml)
{
    if (!ml)
        return;
    pthread_mutex_lock(&ml->lock);
    ml->stop = true;
    pthread_cond_signal(&ml->wake);
    pthread_mutex_unlock(&ml->lock);
    pthread_join(ml->thread, NULL);
    pthread_mutex_destroy(&ml->lock);
    pthread_cond_destroy(&ml->wake);
    free(ml);
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

masterlink_report_result masterlink_report(masterlink *ml, const char *chunk_id, uint64_t size,
                                           uint64_t generation, long *status, char *msg,
                                           size_t msglen)
{
    char addr[PROTO_MAX_SERVER_ADDR], url[600];
    *status = 0;
    if (!masterlink_registered(ml, NULL, addr, sizeof addr)) {
        snprintf(msg, msglen, "not registered with the master yet");
        return REPORT_UNREACHABLE;
    }
    snprintf(url, sizeof url, "%s%s", ml->master, PROTO_PATH_UPLOAD_OK);
    json_t *body = json_pack("{s:s,s:s,s:I}", PROTO_F_CHUNK_ID, chunk_id, PROTO_F_CHUNKSERVER,
                             addr, PROTO_F_SIZE, (json_int_t)size);
    if (generation)
        json_object_set_new(body, PROTO_F_GENERATION, json_integer((json_int_t)generation));
    httpc_response resp;
    bool ok = httpc_json("POST", url, body, MASTERLINK_TIMEOUT_MS, &resp, msg, msglen);
    json_decref(body);
    if (!ok)
        return REPORT_UNREACHABLE;
    *status = resp.status;
    masterlink_report_result r;
    if (resp.status == 200) {
        r = REPORT_OK;
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
