/* test_ticker.c - the periodic thread: called again and again with the
 * pause it asks for, stopped at once even in a long pause, never called
 * after stop, and deaf to steps of the wall clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "ticker.h"

static _Atomic int calls;

/* The wall clock as this test program sees it: stepped by wall_step
 * seconds (the kernel's own clock is left alone; stepping it would change
 * the whole machine's time). This definition replaces the C library's for
 * every caller linked into this program, the ticker included. */
static _Atomic long wall_step;

int clock_gettime(clockid_t id, struct timespec *ts)
{
    long rc = syscall(SYS_clock_gettime, id, ts);
    if (rc == 0 && id == CLOCK_REALTIME)
        ts->tv_sec += atomic_load(&wall_step);
    return (int)rc;
}

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

/* A kick ends an hour's pause at once: the next call comes right away. */
static void test_kick_ends_the_pause(void **state)
{
    (void)state;
    atomic_store(&calls, 0);
    ticker *t = ticker_start(tick_then_sleep_an_hour, NULL, 0);
    while (atomic_load(&calls) < 1)
        nap();
    ticker_kick(t);
    while (atomic_load(&calls) < 2)   /* an hour without the kick; ctest's timeout fails it */
        nap();
    ticker_kick(t);
    while (atomic_load(&calls) < 3)
        nap();
    ticker_stop(t);
    assert_int_equal(atomic_load(&calls), 3);
    ticker_kick(NULL);
}

static long tick_every_10ms(void *ud)
{
    (void)ud;
    atomic_fetch_add(&calls, 1);
    return 10;
}

/* The wall clock an hour ahead of the kernel's: a pause measured on it
 * would last an hour (a clock stepped back does that to a deadline taken
 * before the step); on the monotonic clock the ticks go on. */
static void test_deaf_to_wall_clock_steps(void **state)
{
    (void)state;
    atomic_store(&calls, 0);
    atomic_store(&wall_step, 3600);
    ticker *t = ticker_start(tick_every_10ms, NULL, 0);
    while (atomic_load(&calls) < 5)   /* a hang fails by ctest's timeout */
        nap();
    ticker_stop(t);
    atomic_store(&wall_step, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deaf_to_wall_clock_steps),
        cmocka_unit_test(test_kick_ends_the_pause),
        cmocka_unit_test(test_repeats_and_stops),
        cmocka_unit_test(test_stop_does_not_wait_out_the_pause),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
