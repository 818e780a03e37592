/* test_groupq.c - the group commit: every entry is covered by exactly one
 * act, an act never covers more than max, two acts never run at once,
 * a caller returns only after an act that began after its call covered
 * it, and acts do cover several callers at once (the point of it). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include <cmocka.h>

#include "groupq.h"

typedef struct {
    _Atomic int running;      /* acts under way: never more than one */
    _Atomic int overlapped;   /* times an act found another running */
    _Atomic uint64_t acts;    /* acts begun */
    _Atomic int too_big;      /* acts given more than max */
    _Atomic int biggest;
    size_t max;
} book;

typedef struct {
    uint64_t asked;           /* acts begun before the caller queued */
    uint64_t covered_by;      /* the act that covered it (1-based) */
    int times;                /* acts that covered it */
} ticket;

static void act(void *ud, groupq_entry **batch, size_t n)
{
    book *b = ud;
    if (atomic_fetch_add(&b->running, 1) != 0)
        atomic_fetch_add(&b->overlapped, 1);
    uint64_t me = atomic_fetch_add(&b->acts, 1) + 1;
    if (n > b->max || n == 0)
        atomic_fetch_add(&b->too_big, 1);
    int big = atomic_load(&b->biggest);
    while ((int)n > big && !atomic_compare_exchange_weak(&b->biggest, &big, (int)n))
        ;
    /* an act takes a while, as an fsync does: others queue meanwhile */
    struct timespec ts = { 0, 200000 };
    nanosleep(&ts, NULL);
    for (size_t i = 0; i < n; i++) {
        ticket *t = batch[i]->item;
        t->covered_by = me;
        t->times++;
    }
    atomic_fetch_sub(&b->running, 1);
}

enum { THREADS = 12, ROUNDS = 300 };

typedef struct {
    groupq *q;
    book *b;
    int bad;                  /* covered by an act begun before it queued, or not once */
} worker;

static void *work(void *arg)
{
    worker *w = arg;
    for (int i = 0; i < ROUNDS; i++) {
        ticket t = { .asked = atomic_load(&w->b->acts) };
        groupq_entry e = { .item = &t };
        groupq_run(w->q, &e);
        if (t.times != 1 || t.covered_by <= t.asked)
            w->bad++;
    }
    return NULL;
}

static void run_many(size_t max)
{
    book b = { .max = max };
    groupq q;
    groupq_init(&q, max, act, &b);
    pthread_t th[THREADS];
    worker w[THREADS];
    for (int i = 0; i < THREADS; i++) {
        w[i] = (worker){ .q = &q, .b = &b };
        assert_int_equal(pthread_create(&th[i], NULL, work, &w[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(w[i].bad, 0);
    }
    groupq_destroy(&q);
    assert_int_equal(atomic_load(&b.overlapped), 0);
    assert_int_equal(atomic_load(&b.too_big), 0);
    /* callers were covered together: fewer acts than callers */
    assert_true(atomic_load(&b.acts) < (uint64_t)THREADS * ROUNDS);
    assert_true(atomic_load(&b.biggest) > 1);
}

static void test_many_threads_unbounded(void **state)
{
    (void)state;
    run_many(GROUPQ_MAX_BATCH);
}

static void test_many_threads_small_batches(void **state)
{
    (void)state;
    run_many(2);   /* more queued than one act takes: the actor acts again */
}

static void test_alone_acts_for_itself(void **state)
{
    (void)state;
    book b = { .max = 8 };
    groupq q;
    groupq_init(&q, 8, act, &b);
    for (int i = 0; i < 3; i++) {
        ticket t = { .asked = atomic_load(&b.acts) };
        groupq_entry e = { .item = &t };
        groupq_run(&q, &e);
        assert_int_equal(t.times, 1);
        assert_int_equal(t.covered_by, (uint64_t)i + 1);
    }
    groupq_destroy(&q);
    assert_int_equal(atomic_load(&b.biggest), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alone_acts_for_itself),
        cmocka_unit_test(test_many_threads_unbounded),
        cmocka_unit_test(test_many_threads_small_batches),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
