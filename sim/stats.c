/*
 * stats.c - what the simulator measures: every request's latency, kept
 * per endpoint as samples (a run makes a few hundred thousand) and sorted
 * for percentiles when asked, and the master's CPU time and resident
 * memory from /proc. Single-threaded, like the loop that feeds it.
 */
#include "sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SIM_STATS_MAX_ENDPOINTS 32

typedef struct {
    char name[48];
    double *ms;
    size_t n, cap, failed;
    bool sorted;
} sim_series;

struct sim_stats {
    sim_series s[SIM_STATS_MAX_ENDPOINTS];
    size_t n;
};

sim_stats *sim_stats_new(void)
{
    return calloc(1, sizeof(sim_stats));
}

void sim_stats_free(sim_stats *st)
{
    if (!st)
        return;
    for (size_t i = 0; i < st->n; i++)
        free(st->s[i].ms);
    free(st);
}

static sim_series *sim_stats_find(sim_stats *st, const char *endpoint, bool make)
{
    for (size_t i = 0; i < st->n; i++)
        if (strcmp(st->s[i].name, endpoint) == 0)
            return &st->s[i];
    if (!make || st->n == SIM_STATS_MAX_ENDPOINTS)
        return NULL;
    sim_series *s = &st->s[st->n++];
    snprintf(s->name, sizeof s->name, "%s", endpoint);
    return s;
}

void sim_stats_add(sim_stats *st, const char *endpoint, double ms, bool failed)
{
    sim_series *s = sim_stats_find(st, endpoint, true);
    if (!s)
        return;
    double *ms_all = sim_grow(s->ms, s->n, &s->cap, sizeof *s->ms, 1024);
    if (!ms_all)
        return;
    s->ms = ms_all;
    s->ms[s->n++] = ms;
    s->failed += failed;
    s->sorted = false;
}

static int sim_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double sim_stats_pct(sim_stats *st, const char *endpoint, double p)
{
    sim_series *s = sim_stats_find(st, endpoint, false);
    if (!s || s->n == 0)
        return -1;
    if (!s->sorted) {
        qsort(s->ms, s->n, sizeof *s->ms, sim_cmp_double);
        s->sorted = true;
    }
    size_t k = (size_t)(p / 100.0 * (double)(s->n - 1) + 0.5);
    return s->ms[k < s->n ? k : s->n - 1];
}

size_t sim_stats_count(sim_stats *st, const char *endpoint, size_t *failed)
{
    sim_series *s = sim_stats_find(st, endpoint, false);
    if (failed)
        *failed = s ? s->failed : 0;
    return s ? s->n : 0;
}

void sim_stats_reset(sim_stats *st, const char *endpoint)
{
    sim_series *s = sim_stats_find(st, endpoint, false);
    if (s)
        s->n = s->failed = 0;
}

json_t *sim_stats_json(sim_stats *st)
{
    json_t *o = json_object();
    for (size_t i = 0; i < st->n; i++) {
        const char *name = st->s[i].name;
        if (st->s[i].n == 0)
            continue;
        json_object_set_new(o, name, json_pack("{s:I,s:I,s:f,s:f,s:f}", "count",
                                               (json_int_t)st->s[i].n, "failed",
                                               (json_int_t)st->s[i].failed, "p50_ms",
                                               sim_stats_pct(st, name, 50), "p99_ms",
                                               sim_stats_pct(st, name, 99), "max_ms",
                                               sim_stats_pct(st, name, 100)));
    }
    return o;
}

bool sim_proc_sample(int pid, double *cpu_s, uint64_t *rss)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* after the command's closing parenthesis: state is field 3, utime
     * 14, stime 15, rss (pages) 24 */
    const char *p = strrchr(buf, ')');
    unsigned long long ut = 0, stm = 0;
    long long rss_pages = 0;
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d "
                            "%*d %*d %*d %*u %*u %lld", &ut, &stm, &rss_pages) != 3)
        return false;
    long hz = sysconf(_SC_CLK_TCK);
    *cpu_s = (double)(ut + stm) / (double)(hz > 0 ? hz : 100);
    *rss = (uint64_t)(rss_pages > 0 ? rss_pages : 0) * (uint64_t)sysconf(_SC_PAGESIZE);
    return true;
}
