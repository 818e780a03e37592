/* test_metrics.c - the counters behind GET /metrics: a latency lands in
 * the first bucket whose bound holds it and every bucket above counts it
 * (cumulative), the sum is kept in seconds; requests are counted per
 * endpoint and status (an unknown status as 0, an unknown endpoint as
 * "other"), each with its latency histogram; a label value from a peer is escaped, and one too long is
 * cut, never breaking the format; and the text has a HELP and a TYPE line before each family. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "metrics.h"

static void test_histogram_buckets_are_cumulative(void **state)
{
    (void)state;
    metrics_hist h;
    memset(&h, 0, sizeof h);
    metrics_observe(&h, 50 * 1000);           /* 50 us: the first bucket (0.0001) */
    metrics_observe(&h, 3 * 1000 * 1000);     /* 3 ms: le 0.005 */
    metrics_observe(&h, 20LL * 1000000000);   /* 20 s: above every bound */
    metrics_observe(&h, -5);                  /* a clock step: counted as 0 */
    metrics_text t = { 0 };
    metrics_hist_family(&t, "x_seconds", "help", &h);
    assert_false(t.oom);
    assert_non_null(strstr(t.buf, "# HELP x_seconds help\n# TYPE x_seconds histogram\n"));
    assert_non_null(strstr(t.buf, "x_seconds_bucket{le=\"0.0001\"} 2\n"));
    assert_non_null(strstr(t.buf, "x_seconds_bucket{le=\"0.0025\"} 2\n"));
    assert_non_null(strstr(t.buf, "x_seconds_bucket{le=\"0.005\"} 3\n"));
    assert_non_null(strstr(t.buf, "x_seconds_bucket{le=\"10\"} 3\n"));
    assert_non_null(strstr(t.buf, "x_seconds_bucket{le=\"+Inf\"} 4\n"));
    assert_non_null(strstr(t.buf, "x_seconds_count 4\n"));
    assert_non_null(strstr(t.buf, "x_seconds_sum 20.003050000\n"));
    metrics_text_free(&t);
}

static void test_requests_by_endpoint_and_status(void **state)
{
    (void)state;
    const metrics_endpoint e[] = { { "/get", "GET" }, { "/upload", "POST" } };
    metrics_http *mh = metrics_http_new(e, 2);
    assert_non_null(mh);
    metrics_http_observe(mh, 0, 200, 1000);
    metrics_http_observe(mh, 0, 200, 1000);
    metrics_http_observe(mh, 0, 404, 1000);
    metrics_http_observe(mh, 1, 299, 1000);                       /* no such code: 0 */
    metrics_http_observe(mh, 77, 200, 1000);                      /* no such endpoint: other */
    metrics_http_observe(mh, metrics_http_other(mh), 405, 1000);
    metrics_text t = { 0 };
    metrics_http_write(&t, mh);
    assert_false(t.oom);
    assert_non_null(strstr(t.buf, "minidfs_http_requests_total{endpoint=\"/get\",method=\"GET\",code=\"200\"} 2\n"));
    assert_non_null(strstr(t.buf, "minidfs_http_requests_total{endpoint=\"/get\",method=\"GET\",code=\"404\"} 1\n"));
    assert_non_null(strstr(t.buf, "minidfs_http_requests_total{endpoint=\"/upload\",method=\"POST\",code=\"0\"} 1\n"));
    assert_non_null(strstr(t.buf, "minidfs_http_requests_total{endpoint=\"other\",method=\"any\",code=\"200\"} 1\n"));
    assert_non_null(strstr(t.buf, "minidfs_http_requests_total{endpoint=\"other\",method=\"any\",code=\"405\"} 1\n"));
    assert_non_null(strstr(t.buf, "minidfs_http_request_duration_seconds_count{endpoint=\"/get\",method=\"GET\",code=\"200\"} 2\n"));
    assert_non_null(strstr(t.buf, "minidfs_http_request_duration_seconds_count{endpoint=\"/get\",method=\"GET\",code=\"404\"} 1\n"));
    /* a family's HELP and TYPE come once, before its samples */
    const char *type = strstr(t.buf, "# TYPE minidfs_http_requests_total counter\n");
    assert_non_null(type);
    assert_true(type < strstr(t.buf, "minidfs_http_requests_total{"));
    assert_null(strstr(type + 1, "# TYPE minidfs_http_requests_total"));
    metrics_text_free(&t);
    metrics_http_free(mh);
}

static void test_label_values_are_escaped(void **state)
{
    (void)state;
    char labels[128] = "";
    metrics_label(labels, sizeof labels, "rack", "a\"b\\c\nd\x01");
    metrics_label(labels, sizeof labels, "x", "y");
    assert_string_equal(labels, "rack=\"a\\\"b\\\\c\\nd?\",x=\"y\"");
    /* no room for the whole value: it is cut short, and the label still
     * closes with its quote (the format stays parseable) */
    char small[12] = "";
    metrics_label(small, sizeof small, "key", "a very long value");
    size_t n = strlen(small);
    assert_true(n == 0 || small[n - 1] == '"');
}

static void test_text_grows_past_its_first_buffer(void **state)
{
    (void)state;
    metrics_text t = { 0 };
    for (int i = 0; i < 5000; i++)
        metrics_sample_u64(&t, "minidfs_something_long_enough_to_grow", "", (uint64_t)i);
    assert_false(t.oom);
    assert_non_null(strstr(t.buf, "minidfs_something_long_enough_to_grow 4999\n"));
    size_t lines = 0;
    for (size_t i = 0; i < t.len; i++)
        lines += t.buf[i] == '\n';
    assert_int_equal(lines, 5000);
    metrics_text_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_histogram_buckets_are_cumulative),
        cmocka_unit_test(test_requests_by_endpoint_and_status),
        cmocka_unit_test(test_label_values_are_escaped),
        cmocka_unit_test(test_text_grows_past_its_first_buffer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
