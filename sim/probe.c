/*
 * probe.c - a client apart: a thread of its own that asks the master
 * where a seeded file's chunks are (GET /get?path=), one request at a
 * time at a given rate, and keeps each answer's latency under the phase
 * the run is in. The loop in fleet.c is busy building report pages and
 * would add its own delays to what it measures; this thread measures
 * what a client would see. It shares nothing with the loop but the
 * phase number and its samples, under its mutex.
 */
#include "sim.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "monotime.h"

#define SIM_PROBE_PHASES 8

struct sim_probe {
    pthread_t thread;
    char base[512];
    uint64_t files;
    double rate;
    _Atomic bool stop;
    _Atomic int phase;
    pthread_mutex_t mu;
    sim_stats *st;              /* under mu: one series per phase */
};

static const char *const sim_probe_names[SIM_PROBE_PHASES] = {
    "probe0", "probe1", "probe2", "probe3", "probe4", "probe5", "probe6", "probe7",
};

static size_t sim_probe_sink(char *p, size_t size, size_t n, void *ud)
{
    (void)p;
    (void)ud;
    return size * n;
}

static void *sim_probe_run(void *arg)
{
    sim_probe *p = arg;
    CURL *h = curl_easy_init();
    uint64_t rng = 0x2545f4914f6cdd1dULL;
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 60000L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sim_probe_sink);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http");
    int64_t next = monotime_ns();
    while (!atomic_load(&p->stop)) {
        int64_t now = monotime_ns();
        if (now < next) {
            int64_t d = next - now;
            struct timespec ts = { d / 1000000000, d % 1000000000 };
            nanosleep(&ts, NULL);
            continue;
        }
        next += (int64_t)(1e9 / p->rate);
        if (next < now)
            next = now;   /* behind: no burst to catch up */
        char path[64], url[700];
        sim_layout_path(sim_rand(&rng) % p->files, path, sizeof path);
        snprintf(url, sizeof url, "%s%s?path=%s", p->base, PROTO_PATH_GET, path);
        curl_easy_setopt(h, CURLOPT_URL, url);
        int phase = atomic_load(&p->phase);
        int64_t t0 = monotime_ns();
        CURLcode rc = curl_easy_perform(h);
        long status = 0;
        if (rc == CURLE_OK)
            curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        double ms = (double)(monotime_ns() - t0) / 1e6;
        pthread_mutex_lock(&p->mu);
        /* a 503 "not reported yet" after a restart is an answer too */
        sim_stats_add(p->st, sim_probe_names[phase], ms, status != 200 && status != 503);
        pthread_mutex_unlock(&p->mu);
    }
    curl_easy_cleanup(h);
    return NULL;
}

sim_probe *sim_probe_start(const char *master, uint64_t files, double rate)
{
    if (files == 0 || rate <= 0)
        return NULL;
    sim_probe *p = calloc(1, sizeof *p);
    if (!p || !(p->st = sim_stats_new())) {
        free(p);
        return NULL;
    }
    snprintf(p->base, sizeof p->base, "%s", master);
    size_t n = strlen(p->base);
    if (n && p->base[n - 1] == '/')
        p->base[n - 1] = '\0';
    p->files = files;
    p->rate = rate;
    pthread_mutex_init(&p->mu, NULL);
    if (pthread_create(&p->thread, NULL, sim_probe_run, p) != 0) {
        sim_stats_free(p->st);
        free(p);
        return NULL;
    }
    return p;
}

void sim_probe_phase(sim_probe *p, int phase)
{
    if (p && phase >= 0 && phase < SIM_PROBE_PHASES)
        atomic_store(&p->phase, phase);
}

bool sim_probe_result(sim_probe *p, int phase, double *p50, double *p99, double *max,
                      size_t *n, size_t *failed)
{
    if (!p || phase < 0 || phase >= SIM_PROBE_PHASES)
        return false;
    pthread_mutex_lock(&p->mu);
    *n = sim_stats_count(p->st, sim_probe_names[phase], failed);
    *p50 = sim_stats_pct(p->st, sim_probe_names[phase], 50);
    *p99 = sim_stats_pct(p->st, sim_probe_names[phase], 99);
    *max = sim_stats_pct(p->st, sim_probe_names[phase], 100);
    pthread_mutex_unlock(&p->mu);
    return *n > 0;
}

void sim_probe_stop(sim_probe *p)
{
    if (!p)
        return;
    atomic_store(&p->stop, true);
    pthread_join(p->thread, NULL);
    pthread_mutex_destroy(&p->mu);
    sim_stats_free(p->st);
    free(p);
}
