/* test_sightings.c - unknown replicas and since when the master has seen
 * them: the first sighting sticks, per server; a full table says "just
 * now" (a later collection, never an earlier one); what is no longer
 * reported is forgotten. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "chunkid.h"
#include "sightings.h"

static void id_of(int n, char out[CHUNKID_BUF])
{
    snprintf(out, CHUNKID_BUF, "%064x_%d", n, n % 7);
}

static void test_first_sighting_sticks(void **state)
{
    (void)state;
    sightings *s = sightings_new(100000);
    char id[CHUNKID_BUF];
    id_of(1, id);
    assert_int_equal(sightings_first(s, 3, id, 1000), 1000);
    assert_int_equal(sightings_first(s, 3, id, 5000), 1000);
    assert_int_equal(sightings_first(s, 4, id, 6000), 6000);   /* another server's copy */
    /* thousands of them: the table grows and keeps every first sighting */
    for (int n = 10; n < 5010; n++) {
        id_of(n, id);
        assert_int_equal(sightings_first(s, 1, id, n), n);
    }
    for (int n = 10; n < 5010; n++) {
        id_of(n, id);
        assert_int_equal(sightings_first(s, 1, id, 99999), n);
    }
    assert_int_equal(sightings_count(s), 5002);
    sightings_free(s);
}

static void test_full_table_delays(void **state)
{
    (void)state;
    sightings *s = sightings_new(2);
    char a[CHUNKID_BUF], b[CHUNKID_BUF], c[CHUNKID_BUF];
    id_of(1, a);
    id_of(2, b);
    id_of(3, c);
    sightings_first(s, 0, a, 10);
    sightings_first(s, 0, b, 10);
    assert_int_equal(sightings_first(s, 0, c, 500), 500);
    assert_int_equal(sightings_first(s, 0, c, 900), 900);   /* never older than now */
    sightings_free(s);
}

static void test_prune_forgets_the_unreported(void **state)
{
    (void)state;
    sightings *s = sightings_new(100000);
    char a[CHUNKID_BUF], b[CHUNKID_BUF];
    id_of(1, a);
    id_of(2, b);
    sightings_first(s, 0, a, 0);
    sightings_first(s, 0, b, 0);
    sightings_first(s, 0, b, 900);   /* b is still being reported */
    sightings_prune(s, 1000, 500);
    assert_int_equal(sightings_count(s), 1);
    assert_int_equal(sightings_first(s, 0, b, 1100), 0);
    assert_int_equal(sightings_first(s, 0, a, 1100), 1100);   /* a starts over */
    sightings_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_sighting_sticks),
        cmocka_unit_test(test_full_table_delays),
        cmocka_unit_test(test_prune_forgets_the_unreported),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
