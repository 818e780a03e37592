/*
 * metrics.c - relaxed-atomic counters and histograms, and the Prometheus
 * text they are scraped as. Owns the per-endpoint request table of one
 * server and the scrape buffer; knows nothing of what the servers count.
 * Must never take a lock on the path of a request, and never let a
 * peer's string into the text unescaped.
 */
#include "metrics.h"

#include <dirent.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#ifndef MINIDFS_VERSION
#define MINIDFS_VERSION "unknown"
#endif

static const double metrics_bounds[METRICS_NBUCKETS] = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
    0.05, 0.1, 0.25, 0.5, 1, 2.5, 10,
};

void metrics_observe(metrics_hist *h, int64_t ns)
{
    if (ns < 0)
        ns = 0;
    double s = (double)ns / 1e9;
    size_t b = 0;
    while (b < METRICS_NBUCKETS && s > metrics_bounds[b])
        b++;
    atomic_fetch_add_explicit(&h->bucket[b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->sum_ns, (uint64_t)ns, memory_order_relaxed);
}

/* ---- the request table ---- */

/* The status codes the servers answer with; anything else counts as 0
 * ("other"). */
static const unsigned metrics_codes[] = { 200, 201, 204, 206, 304, 400, 401, 403, 404, 405,
                                          409, 410, 413, 416, 429, 500, 502, 503, 504, 507 };
#define METRICS_NCODES (sizeof metrics_codes / sizeof *metrics_codes + 1)

/* One endpoint: a latency histogram per status code (its count is the
 * requests answered with that code). */
typedef struct {
    metrics_hist latency[METRICS_NCODES];
} metrics_row;

struct metrics_http {
    metrics_endpoint *endpoints;   /* n of them, then "other" */
    size_t n;
    metrics_row *rows;             /* n + 1 */
};

metrics_http *metrics_http_new(const metrics_endpoint *endpoints, size_t n)
{
    metrics_http *mh = calloc(1, sizeof *mh);
    if (!mh)
        return NULL;
    mh->endpoints = calloc(n + 1, sizeof *mh->endpoints);
    mh->rows = calloc(n + 1, sizeof *mh->rows);
    if (!mh->endpoints || !mh->rows) {
        metrics_http_free(mh);
        return NULL;
    }
    memcpy(mh->endpoints, endpoints, n * sizeof *endpoints);
    mh->endpoints[n] = (metrics_endpoint){ "other", "any" };
    mh->n = n;
    return mh;
}

void metrics_http_free(metrics_http *mh)
{
    if (!mh)
        return;
    free(mh->endpoints);
    free(mh->rows);
    free(mh);
}

size_t metrics_http_other(const metrics_http *mh)
{
    return mh->n;
}

void metrics_http_observe(metrics_http *mh, size_t endpoint, unsigned status, int64_t ns)
{
    if (!mh)
        return;
    if (endpoint > mh->n)
        endpoint = mh->n;
    size_t c = 0;
    for (size_t i = 0; i < METRICS_NCODES - 1; i++)
        if (metrics_codes[i] == status) {
            c = i + 1;
            break;
        }
    metrics_observe(&mh->rows[endpoint].latency[c], ns);
}

/* ---- the text ---- */

static void metrics_printf(metrics_text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void metrics_printf(metrics_text *t, const char *fmt, ...)
{
    if (t->oom)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        size_t room = t->cap - t->len;
        int n = vsnprintf(t->buf ? t->buf + t->len : NULL, t->buf ? room : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            t->oom = true;
            return;
        }
        if (t->buf && (size_t)n < room) {
            t->len += (size_t)n;
            return;
        }
        size_t cap = t->cap ? t->cap * 2 : 16384;
        while (cap < t->len + (size_t)n + 1)
            cap *= 2;
        char *b = realloc(t->buf, cap);
        if (!b) {
            t->oom = true;
            return;
        }
        t->buf = b;
        t->cap = cap;
    }
}

void metrics_family(metrics_text *t, const char *name, const char *type, const char *help)
{
    metrics_printf(t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void metrics_sample(metrics_text *t, const char *name, const char *labels, double value)
{
    if (labels && labels[0])
        metrics_printf(t, "%s{%s} %.10g\n", name, labels, value);
    else
        metrics_printf(t, "%s %.10g\n", name, value);
}

void metrics_sample_u64(metrics_text *t, const char *name, const char *labels, uint64_t value)
{
    if (labels && labels[0])
        metrics_printf(t, "%s{%s} %" PRIu64 "\n", name, labels, value);
    else
        metrics_printf(t, "%s %" PRIu64 "\n", name, value);
}

void metrics_label(char *labels, size_t cap, const char *key, const char *value)
{
    size_t l = strlen(labels);
    int n = snprintf(labels + l, cap - l, "%s%s=\"", l ? "," : "", key);
    if (n < 0 || (size_t)n >= cap - l) {
        labels[l] = '\0';
        return;
    }
    l += (size_t)n;
    for (const char *p = value; *p && l + 3 < cap; p++) {
        /* the format escapes backslash, quote and newline; a control
         * character a peer sent becomes a '?' */
        if (*p == '\\' || *p == '"') {
            labels[l++] = '\\';
            labels[l++] = *p;
        } else if (*p == '\n') {
            labels[l++] = '\\';
            labels[l++] = 'n';
        } else {
            labels[l++] = (unsigned char)*p < 0x20 || *p == 0x7f ? '?' : *p;
        }
    }
    if (l + 1 < cap)
        labels[l++] = '"';
    labels[l] = '\0';
}

void metrics_hist_write(metrics_text *t, const char *name, const char *labels,
                        const metrics_hist *h)
{
    const char *sep = labels && labels[0] ? "," : "";
    labels = labels ? labels : "";
    uint64_t cum = 0;
    for (size_t b = 0; b <= METRICS_NBUCKETS; b++) {
        cum += atomic_load_explicit(&h->bucket[b], memory_order_relaxed);
        if (b < METRICS_NBUCKETS)
            metrics_printf(t, "%s_bucket{%s%sle=\"%g\"} %" PRIu64 "\n", name, labels, sep,
                           metrics_bounds[b], cum);
        else
            metrics_printf(t, "%s_bucket{%s%sle=\"+Inf\"} %" PRIu64 "\n", name, labels, sep, cum);
    }
    double sum = (double)atomic_load_explicit(&h->sum_ns, memory_order_relaxed) / 1e9;
    if (labels[0]) {
        metrics_printf(t, "%s_sum{%s} %.9f\n", name, labels, sum);
        metrics_printf(t, "%s_count{%s} %" PRIu64 "\n", name, labels, cum);
    } else {
        metrics_printf(t, "%s_sum %.9f\n", name, sum);
        metrics_printf(t, "%s_count %" PRIu64 "\n", name, cum);
    }
}

void metrics_hist_family(metrics_text *t, const char *name, const char *help,
                         const metrics_hist *h)
{
    metrics_family(t, name, "histogram", help);
    metrics_hist_write(t, name, "", h);
}

static uint64_t metrics_hist_count(const metrics_hist *h)
{
    uint64_t n = 0;
    for (size_t b = 0; b <= METRICS_NBUCKETS; b++)
        n += atomic_load_explicit(&h->bucket[b], memory_order_relaxed);
    return n;
}

/* endpoint="...",method="...",code="..." of row e, code index c. */
static void metrics_http_labels(const metrics_http *mh, size_t e, size_t c, char *labels,
                                size_t cap)
{
    char code[8];
    snprintf(code, sizeof code, "%u", c ? metrics_codes[c - 1] : 0u);
    labels[0] = '\0';
    metrics_label(labels, cap, "endpoint", mh->endpoints[e].path);
    metrics_label(labels, cap, "method", mh->endpoints[e].method);
    metrics_label(labels, cap, "code", code);
}

void metrics_http_write(metrics_text *t, const metrics_http *mh)
{
    if (!mh)
        return;
    metrics_family(t, "minidfs_http_requests_total", "counter",
                   "HTTP requests answered, by endpoint, method and status code (0: another code)");
    for (size_t e = 0; e <= mh->n; e++)
        for (size_t c = 0; c < METRICS_NCODES; c++) {
            uint64_t v = metrics_hist_count(&mh->rows[e].latency[c]);
            if (!v)
                continue;
            char labels[256];
            metrics_http_labels(mh, e, c, labels, sizeof labels);
            metrics_sample_u64(t, "minidfs_http_requests_total", labels, v);
        }
    metrics_family(t, "minidfs_http_request_duration_seconds", "histogram",
                   "Time from a request's first byte to the last byte of its answer, by "
                   "endpoint, method and status code");
    for (size_t e = 0; e <= mh->n; e++)
        for (size_t c = 0; c < METRICS_NCODES; c++) {
            if (!metrics_hist_count(&mh->rows[e].latency[c]))
                continue;
            char labels[256];
            metrics_http_labels(mh, e, c, labels, sizeof labels);
            metrics_hist_write(t, "minidfs_http_request_duration_seconds", labels,
                               &mh->rows[e].latency[c]);
        }
}

static _Atomic int64_t metrics_start_s;

void metrics_started(void)
{
    atomic_store(&metrics_start_s, (int64_t)time(NULL));
}

/* Resident set size from /proc/self/statm, in bytes; 0 when unknown. */
static uint64_t metrics_rss(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f)
        return 0;
    unsigned long long size = 0, resident = 0;
    int n = fscanf(f, "%llu %llu", &size, &resident);
    fclose(f);
    long page = sysconf(_SC_PAGESIZE);
    return n == 2 && page > 0 ? (uint64_t)resident * (uint64_t)page : 0;
}

static uint64_t metrics_open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return 0;
    uint64_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += e->d_name[0] != '.';
    closedir(d);
    return n > 0 ? n - 1 : 0;   /* not the directory's own descriptor */
}

void metrics_process(metrics_text *t)
{
    struct rusage ru;
    double cpu = 0;
    if (getrusage(RUSAGE_SELF, &ru) == 0)
        cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
              (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    metrics_family(t, "process_cpu_seconds_total", "counter",
                   "User and system CPU time spent, in seconds");
    metrics_sample(t, "process_cpu_seconds_total", "", cpu);
    metrics_family(t, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes");
    metrics_sample_u64(t, "process_resident_memory_bytes", "", metrics_rss());
    metrics_family(t, "process_open_fds", "gauge", "Open file descriptors");
    metrics_sample_u64(t, "process_open_fds", "", metrics_open_fds());
    metrics_family(t, "process_start_time_seconds", "gauge",
                   "Start time of the process since the Unix epoch, in seconds");
    metrics_sample(t, "process_start_time_seconds", "", (double)atomic_load(&metrics_start_s));
    char labels[64] = "";
    metrics_label(labels, sizeof labels, "version", MINIDFS_VERSION);
    metrics_family(t, "minidfs_build_info", "gauge", "Always 1; the version is a label");
    metrics_sample_u64(t, "minidfs_build_info", labels, 1);
}

void metrics_text_free(metrics_text *t)
{
    free(t->buf);
    t->buf = NULL;
    t->len = t->cap = 0;
}
