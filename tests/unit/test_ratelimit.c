/* test_ratelimit.c - per-address token buckets: a burst of twice the rate,
 * then refusals, tokens back with time, addresses apart. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ratelimit.h"

static void test_buckets(void **state)
{
    (void)state;
    ratelimit *rl = ratelimit_new(10);
    assert_non_null(rl);
    int taken = 0;
    for (int i = 0; i < 100; i++)
        taken += ratelimit_take(rl, "10.0.0.1", 1000);
    assert_int_equal(taken, 20);                         /* the burst: twice the rate */
    assert_true(ratelimit_take(rl, "10.0.0.2", 1000));   /* another address is apart */
    assert_false(ratelimit_take(rl, "10.0.0.1", 1050));  /* half a token back */
    assert_true(ratelimit_take(rl, "10.0.0.1", 1150));   /* one and a half */
    taken = 0;
    for (int i = 0; i < 100; i++)
        taken += ratelimit_take(rl, "10.0.0.1", 60000);  /* a long pause refills to the burst */
    assert_int_equal(taken, 20);
    assert_false(ratelimit_take(rl, "10.0.0.1", 500));   /* a clock that went back: no gift */
    ratelimit_free(rl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buckets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
