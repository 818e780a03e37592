/*
 * metrics.h - counters and latency histograms every server keeps, and
 * their rendering in Prometheus's text format (version 0.0.4) for
 * GET /metrics.
 *
 * Everything a request thread touches is a relaxed atomic: no lock on the
 * hot path, and a scrape reads whatever the counters say at that moment
 * (each value whole, not all of them at one instant, as Prometheus
 * expects of a target). The text is built in a growing buffer per scrape.
 */
#ifndef MINIDFS_METRICS_H
#define MINIDFS_METRICS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Latency buckets, in seconds: 100 us to 10 s. */
#define METRICS_NBUCKETS 15

typedef struct {
    _Atomic uint64_t bucket[METRICS_NBUCKETS + 1];   /* the last: above every bound */
    _Atomic uint64_t sum_ns;
} metrics_hist;

void metrics_observe(metrics_hist *h, int64_t ns);

/* Requests per endpoint: a latency histogram per (endpoint, method,
 * status code), whose count is the requests answered so. Endpoints are the server's own
 * names, given once; index n (one past the last) is "other" (a path no
 * route has). */
typedef struct metrics_http metrics_http;

typedef struct {
    const char *path;
    const char *method;
} metrics_endpoint;

metrics_http *metrics_http_new(const metrics_endpoint *endpoints, size_t n);
void metrics_http_free(metrics_http *mh);
size_t metrics_http_other(const metrics_http *mh);
void metrics_http_observe(metrics_http *mh, size_t endpoint, unsigned status, int64_t ns);

/* A scrape's text. Any failure to grow it sets oom; the caller answers
 * 500 then. */
typedef struct {
    char *buf;
    size_t len, cap;
    bool oom;
} metrics_text;

/* "# HELP name help" and "# TYPE name type" (counter, gauge, histogram). */
void metrics_family(metrics_text *t, const char *name, const char *type, const char *help);
/* One sample: labels is "" or the text between the braces, built with
 * metrics_label. */
void metrics_sample(metrics_text *t, const char *name, const char *labels, double value);
void metrics_sample_u64(metrics_text *t, const char *name, const char *labels, uint64_t value);
/* Appends key="value" (escaped as the format wants) to labels, with a
 * comma when labels is not empty. */
void metrics_label(char *labels, size_t cap, const char *key, const char *value);
/* A histogram's _bucket, _sum and _count lines (its family line first). */
void metrics_hist_write(metrics_text *t, const char *name, const char *labels,
                        const metrics_hist *h);
/* A whole family, name + help given, of a lone histogram. */
void metrics_hist_family(metrics_text *t, const char *name, const char *help,
                         const metrics_hist *h);
/* minidfs_http_requests_total and minidfs_http_request_duration_seconds. */
void metrics_http_write(metrics_text *t, const metrics_http *mh);
/* process_resident_memory_bytes, process_cpu_seconds_total,
 * process_start_time_seconds, process_open_fds, minidfs_build_info. */
void metrics_process(metrics_text *t);
void metrics_text_free(metrics_text *t);

/* When this process started (wall clock, seconds), set by metrics_started. */
void metrics_started(void);

#endif
