/* test_workpool.c - the work pool: every job runs exactly once, on a
 * thread of the pool and never the submitter's, several at once when
 * there are several threads, and free runs what is still queued. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "workpool.h"

typedef struct {
    workpool_job job;
    pthread_t submitter;
    _Atomic int *runs;
    _Atomic int *on_submitter;
} counted;

static void count_run(workpool_job *j)
{
    counted *c = (counted *)j;
    atomic_fetch_add(c->runs, 1);
    if (pthread_equal(pthread_self(), c->submitter))
        atomic_fetch_add(c->on_submitter, 1);
}

static void test_every_job_runs_once_off_the_submitter(void **state)
{
    (void)state;
    enum { N = 1000 };
    char err[128];
    workpool *p = workpool_new(3, "test", err, sizeof err);
    assert_non_null(p);
    static counted jobs[N];
    _Atomic int runs = 0, on_submitter = 0;
    for (int i = 0; i < N; i++) {
        jobs[i] = (counted){ .job.fn = count_run, .submitter = pthread_self(), .runs = &runs,
                             .on_submitter = &on_submitter };
        workpool_submit(p, &jobs[i].job);
    }
    workpool_free(p);   /* drains the queue */
    assert_int_equal(atomic_load(&runs), N);
    assert_int_equal(atomic_load(&on_submitter), 0);
}

/* Two jobs that each wait for the other: they finish only if two threads
 * run them at the same time. */
typedef struct {
    workpool_job job;
    pthread_mutex_t *mu;
    pthread_cond_t *cv;
    int *arrived;
} meeting;

static void meet(workpool_job *j)
{
    meeting *m = (meeting *)j;
    pthread_mutex_lock(m->mu);
    ++*m->arrived;
    pthread_cond_broadcast(m->cv);
    while (*m->arrived < 2)
        pthread_cond_wait(m->cv, m->mu);
    pthread_mutex_unlock(m->mu);
}

static void test_jobs_run_side_by_side(void **state)
{
    (void)state;
    char err[128];
    workpool *p = workpool_new(2, "test", err, sizeof err);
    assert_non_null(p);
    pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
    int arrived = 0;
    meeting a = { .job.fn = meet, .mu = &mu, .cv = &cv, .arrived = &arrived };
    meeting b = a;
    workpool_submit(p, &a.job);
    workpool_submit(p, &b.job);
    workpool_free(p);
    assert_int_equal(arrived, 2);
}

/* A job may free itself: the pool never touches it after it ran. */
static void free_self(workpool_job *j)
{
    free(j);
}

static void test_a_job_may_free_itself(void **state)
{
    (void)state;
    char err[128];
    workpool *p = workpool_new(1, "test", err, sizeof err);
    assert_non_null(p);
    for (int i = 0; i < 100; i++) {
        workpool_job *j = calloc(1, sizeof *j);
        assert_non_null(j);
        j->fn = free_self;
        workpool_submit(p, j);
    }
    workpool_free(p);   /* ASan's leak check fails the test if one never ran */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_job_runs_once_off_the_submitter),
        cmocka_unit_test(test_jobs_run_side_by_side),
        cmocka_unit_test(test_a_job_may_free_itself),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
