/*
 * test_httpc.c - the multi-transfer driver (httpc_multi_run) against a real
 * libmicrohttpd server on a loopback port: a queue shared by runs on two
 * threads hands every job to exactly one of them, a failure on one thread
 * stops the other through its tick, and a job sent again lands again.
 * While a failure is pending, the server holds back every later job until
 * the failure is recorded, so "stops" is checked without any timing.
 * Each test has a server of its own: a run that stops leaves requests in
 * flight, and stopping the server joins the threads still answering them
 * before their test's queue is freed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "httpc.h"
#include "httpd.h"

#define NJOBS 300

typedef struct {
    char base[64];
    atomic_size_t next;
    atomic_int done[NJOBS];      /* times each job finished */
    atomic_int stop_at;          /* this job fails the run; -1: none */
    atomic_bool failed;
    atomic_int retried;          /* the one job sent a second time */
} queue;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t failed_cv = PTHREAD_COND_INITIALIZER;
static queue *current;

static void record_failure(queue *q)
{
    pthread_mutex_lock(&mu);
    atomic_store(&q->failed, true);
    pthread_cond_broadcast(&failed_cv);
    pthread_mutex_unlock(&mu);
}

/* The server: GET /job/N answers 200, /fail/N a 500. A job after the
 * failing one waits until the failure has been recorded. */
static enum MHD_Result serve(void *cls, struct MHD_Connection *c, const char *url,
                             const char *method, const char *version, const char *upload,
                             size_t *upload_len, void **state)
{
    (void)cls, (void)method, (void)version, (void)upload, (void)upload_len, (void)state;
    if (strncmp(url, "/fail/", 6) == 0)
        return httpd_reply_error(c, 500, "failing on purpose");
    queue *q = current;
    int stop_at = atomic_load(&q->stop_at);
    if (stop_at >= 0 && atoi(url + 5) > stop_at) {
        pthread_mutex_lock(&mu);
        while (!atomic_load(&q->failed))
            pthread_cond_wait(&failed_cv, &mu);
        pthread_mutex_unlock(&mu);
    }
    return httpd_reply_json(c, 200, json_pack("{s:s}", "url", url));
}

static size_t discard(char *p, size_t size, size_t n, void *ud)
{
    (void)p, (void)ud;
    return size * n;
}

typedef struct {
    queue *q;
    bool ok;
    size_t mine;                 /* jobs this run finished */
} run;

static size_t claim(void *ud)
{
    run *r = ud;
    size_t i = atomic_fetch_add(&r->q->next, 1);
    return i < NJOBS ? i : NJOBS;
}

static bool start(void *ud, size_t job, CURL *h)
{
    run *r = ud;
    static _Thread_local char url[128];
    bool fail = (int)job == atomic_load(&r->q->stop_at);
    snprintf(url, sizeof url, "%s/%s/%zu", r->q->base, fail ? "fail" : "job", job);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
    return true;
}

static httpc_job_next finish(void *ud, size_t job, CURL *h, CURLcode rc)
{
    run *r = ud;
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    if (rc != CURLE_OK || status != 200) {
        record_failure(r->q);
        return HTTPC_JOB_STOP;
    }
    /* Job 7 goes round twice: AGAIN must send it again, not drop it. */
    if (job == 7 && atomic_fetch_add(&r->q->retried, 1) == 0)
        return HTTPC_JOB_AGAIN;
    atomic_fetch_add(&r->q->done[job], 1);
    r->mine++;
    return HTTPC_JOB_DONE;
}

static bool tick(void *ud)
{
    run *r = ud;
    return !atomic_load(&r->q->failed);
}

static void *worker(void *arg)
{
    run *r = arg;
    httpc_multi_spec spec = {
        .njobs = NJOBS, .parallel = 3, .claim = claim, .start = start,
        .finish = finish, .tick = tick, .ud = r,
    };
    r->ok = httpc_multi_run(&spec);
    return NULL;
}

static struct MHD_Daemon *daemon_;
static uint16_t port_;

static int setup(void **st)
{
    (void)st;
    /* A thread per connection: a held-back job blocks only its own. */
    httpd_config cfg = { .thread_per_connection = true, .handler = serve };
    char err[256];
    daemon_ = httpd_start(&cfg, &port_, err, sizeof err);
    return daemon_ ? 0 : -1;
}

static int teardown(void **st)
{
    (void)st;
    httpd_stop(daemon_);
    free(current);
    current = NULL;
    return 0;
}

static queue *queue_new(int stop_at)
{
    queue *q = calloc(1, sizeof *q);
    snprintf(q->base, sizeof q->base, "http://127.0.0.1:%u", port_);
    atomic_init(&q->next, 0);
    atomic_init(&q->stop_at, stop_at);
    atomic_init(&q->failed, false);
    atomic_init(&q->retried, 0);
    for (size_t i = 0; i < NJOBS; i++)
        atomic_init(&q->done[i], 0);
    current = q;
    return q;
}

static void test_shared_queue_runs_every_job_once(void **st)
{
    (void)st;
    queue *q = queue_new(-1);
    run a = { .q = q }, b = { .q = q };
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, worker, &b), 0);
    worker(&a);
    pthread_join(t, NULL);
    assert_true(a.ok);
    assert_true(b.ok);
    for (size_t i = 0; i < NJOBS; i++)
        assert_int_equal(atomic_load(&q->done[i]), 1);
    assert_int_equal(a.mine + b.mine, NJOBS);
    assert_int_equal(atomic_load(&q->retried), 2);
}

static void test_failure_on_one_thread_stops_both(void **st)
{
    (void)st;
    queue *q = queue_new(40);
    run a = { .q = q }, b = { .q = q };
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, worker, &b), 0);
    worker(&a);
    pthread_join(t, NULL);
    assert_false(a.ok && b.ok);
    assert_int_equal(atomic_load(&q->done[40]), 0);
    /* Jobs after 40 are answered only once the failure is recorded, and
     * then each run stops at its next tick: at most the six transfers in
     * flight then finish, never the rest of the queue. */
    size_t finished = 0;
    for (size_t i = 0; i < NJOBS; i++)
        finished += (size_t)atomic_load(&q->done[i]);
    assert_true(finished <= 40 + 6);
}

static void test_without_claim_jobs_go_in_order(void **st)
{
    (void)st;
    queue *q = queue_new(-1);
    run a = { .q = q };
    httpc_multi_spec spec = {
        .njobs = NJOBS, .parallel = 4, .start = start, .finish = finish, .ud = &a,
    };
    assert_true(httpc_multi_run(&spec));
    for (size_t i = 0; i < NJOBS; i++)
        assert_int_equal(atomic_load(&q->done[i]), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_shared_queue_runs_every_job_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failure_on_one_thread_stops_both, setup, teardown),
        cmocka_unit_test_setup_teardown(test_without_claim_jobs_go_in_order, setup, teardown),
    };
    httpc_global_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
