/* test_ticker.c - the periodic thread: called again and again with the
 * pause it asks for, stopped at once even in a long pause, and never
 * called after stop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "ticker.h"

static _Atomic int calls;

static long tick_fast(void *ud)
{
    (void)ud;
    atomic_fetch_add(&calls, 1);
    return 1;
}

static long tick_then_sleep_an_hour(void *ud)
{
    (void)ud;
    atomic_fetch_add(&calls, 1);
    return 3600L * 1000;
}

static void nap(void)
{
    struct timespec ts = { 0, 1000000 };
    nanosleep(&ts, NULL);
}

static void test_repeats_and_stops(void **state)
{
    (void)state;
    atomic_store(&calls, 0);
    ticker *t = ticker_start(tick_fast, NULL, 0);
    assert_non_null(t);
    while (atomic_load(&calls) < 5)   /* polls progress; a hang fails by ctest's timeout */
        nap();
    ticker_stop(t);
    int after = atomic_load(&calls);
    for (int i = 0; i < 20; i++)
        nap();
    assert_int_equal(atomic_load(&calls), after);
}

static void test_stop_does_not_wait_out_the_pause(void **state)
{
    (void)state;
    atomic_store(&calls, 0);
    ticker *t = ticker_start(tick_then_sleep_an_hour, NULL, 0);
    while (atomic_load(&calls) < 1)
        nap();
    ticker_stop(t);   /* would take an hour if the pause were a sleep */
    assert_int_equal(atomic_load(&calls), 1);
    ticker_stop(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_repeats_and_stops),
        cmocka_unit_test(test_stop_does_not_wait_out_the_pause),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
