/* test_safemode.c - when the master's safe mode ends: at its time, early
 * once every chunk is accounted for, and later while full reports still
 * bring locations it did not know (never past SAFEMODE_STRETCH times its
 * time). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "safemode.h"

static void test_ends_at_its_time(void **state)
{
    (void)state;
    safemode s = { 0 };
    safemode_start(&s, 1000000, 30000);
    assert_true(safemode_on(&s, 1000000));
    assert_true(safemode_on(&s, 1029999));
    assert_false(safemode_on(&s, 1030000));
    assert_false(safemode_on(&s, 1000001));   /* over is over */
}

static void test_none_for_a_new_namespace(void **state)
{
    (void)state;
    safemode s = { 0 };
    safemode_start(&s, 5, 0);
    assert_false(safemode_on(&s, 5));
}

static void test_stretched_while_reports_teach(void **state)
{
    (void)state;
    safemode s = { 0 };
    int64_t t0 = 1000000;
    safemode_start(&s, t0, 30000);
    /* pages with news every 4 s: on past its 30 s */
    for (int64_t t = t0; t < t0 + 60000; t += 4000) {
        safemode_report(&s, t);
        assert_true(safemode_on(&s, t + 1000));
    }
    /* quiet for SAFEMODE_REPORT_QUIET_MS after the last: over */
    assert_true(safemode_on(&s, t0 + 56000 + SAFEMODE_REPORT_QUIET_MS - 1));
    assert_false(safemode_on(&s, t0 + 56000 + SAFEMODE_REPORT_QUIET_MS));
}

static void test_stretch_has_an_end(void **state)
{
    (void)state;
    safemode s = { 0 };
    int64_t t0 = 1000000, limit = t0 + SAFEMODE_STRETCH * 30000;
    safemode_start(&s, t0, 30000);
    for (int64_t t = t0; t < limit - 1000; t += 1000) {
        safemode_report(&s, t);
        assert_true(safemode_on(&s, t));
    }
    safemode_report(&s, limit);
    assert_false(safemode_on(&s, limit));   /* news or not: a pause, not a state */
}

static void test_reports_before_its_time_change_nothing(void **state)
{
    (void)state;
    safemode s = { 0 };
    int64_t t0 = 1000000;
    safemode_start(&s, t0, 30000);
    safemode_report(&s, t0 + 1000);   /* long quiet by the deadline */
    assert_false(safemode_on(&s, t0 + 30000));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ends_at_its_time),
        cmocka_unit_test(test_none_for_a_new_namespace),
        cmocka_unit_test(test_stretched_while_reports_teach),
        cmocka_unit_test(test_stretch_has_an_end),
        cmocka_unit_test(test_reports_before_its_time_change_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
