/* test_placement.c - chunks spread evenly, replicas distinct. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "placement.h"

static void test_even_spread(void **state)
{
    (void)state;
    placement p = { 0 };
    uint16_t live[] = { 10, 11, 12 };
    uint16_t out[33];
    assert_int_equal(placement_plan(&p, live, 3, 33, 1, out), 1);
    int count[13] = { 0 };
    for (int i = 0; i < 33; i++)
        count[out[i]]++;
    assert_int_equal(count[10], 11);
    assert_int_equal(count[11], 11);
    assert_int_equal(count[12], 11);
}

static void test_spread_continues_across_files(void **state)
{
    (void)state;
    placement p = { 0 };
    uint16_t live[] = { 0, 1, 2, 3 };
    int count[4] = { 0 };
    /* Many one-chunk files must not all land on the first server. */
    for (int f = 0; f < 100; f++) {
        uint16_t out[1];
        placement_plan(&p, live, 4, 1, 1, out);
        count[out[0]]++;
    }
    for (int s = 0; s < 4; s++)
        assert_int_equal(count[s], 25);
}

static void test_replicas_distinct_and_capped(void **state)
{
    (void)state;
    placement p = { 0 };
    uint16_t live[] = { 5, 6 };
    uint16_t out[20];
    unsigned r = placement_plan(&p, live, 2, 10, 3, out);
    assert_int_equal(r, 2);
    for (int i = 0; i < 10; i++)
        assert_int_not_equal(out[i * 2], out[i * 2 + 1]);
}

static void test_no_servers(void **state)
{
    (void)state;
    placement p = { 0 };
    uint16_t out[1];
    assert_int_equal(placement_plan(&p, NULL, 0, 5, 1, out), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_even_spread),
        cmocka_unit_test(test_spread_continues_across_files),
        cmocka_unit_test(test_replicas_distinct_and_capped),
        cmocka_unit_test(test_no_servers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
