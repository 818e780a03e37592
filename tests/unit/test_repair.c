/* test_repair.c - what a repair pass makes of one chunk: which holder a
 * copy comes from, which surplus copy goes, which rotten copies go, when a
 * copy is wanted at all, and how a holder being decommissioned counts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "repair.h"

/* Servers 0..15; bit s of the mask: server s is up; bit 16 + s: it is
 * being decommissioned. */
static repair_holder up(void *ud, uint16_t server)
{
    uint32_t mask = *(uint32_t *)ud;
    if (!((mask >> server) & 1u))
        return REPAIR_DEAD;
    return (mask >> (16 + server)) & 1u ? REPAIR_LEAVING : REPAIR_LIVE;
}

static ns_chunk chunk(unsigned n, const uint16_t *holders, uint8_t rotten)
{
    ns_chunk c;
    memset(&c, 0, sizeof c);
    c.nrep = (uint8_t)n;
    memcpy(c.rep, holders, n * sizeof *holders);
    c.corrupt = rotten;
    return c;
}

static void test_source_is_a_live_good_holder_with_a_stream(void **state)
{
    (void)state;
    uint16_t streams[16] = { 0 };
    uint16_t h[] = { 3, 5, 7 };
    uint32_t mask = (1u << 5) | (1u << 7);   /* 3 is down */
    ns_chunk c = chunk(3, h, 1u << 1);       /* 5's copy is rotten */
    repair_verdict v;
    repair_judge(&c, 3, up, &mask, streams, 2, &v);
    assert_int_equal(v.live, 1);
    assert_int_equal(v.source, 7);
    assert_true(v.copy);
    assert_int_equal(v.trim, -1);
    assert_int_equal(v.drop_rotten, 1u << 1);   /* a good copy lives: the rotten one goes */
    /* 7 is sending as many copies as it may: no source this pass, still short */
    streams[7] = 2;
    repair_judge(&c, 3, up, &mask, streams, 2, &v);
    assert_int_equal(v.source, -1);
    assert_true(v.copy);
}

static void test_last_copies_are_kept_even_rotten(void **state)
{
    (void)state;
    uint16_t streams[16] = { 0 };
    uint16_t h[] = { 1, 2 };
    uint32_t mask = 0xffff;
    ns_chunk c = chunk(2, h, 3);   /* both rotten */
    repair_verdict v;
    repair_judge(&c, 2, up, &mask, streams, 2, &v);
    assert_int_equal(v.live, 0);
    assert_int_equal(v.drop_rotten, 0);
    assert_false(v.copy);          /* nothing good to copy from */
    assert_int_equal(v.source, -1);
}

static void test_surplus_trims_the_newest_live_copy(void **state)
{
    (void)state;
    uint16_t streams[16] = { 0 };
    uint16_t h[] = { 1, 2, 3, 4 };
    uint32_t mask = (1u << 1) | (1u << 2) | (1u << 3);   /* 4, the newest, is down */
    ns_chunk c = chunk(4, h, 0);
    repair_verdict v;
    repair_judge(&c, 2, up, &mask, streams, 2, &v);
    assert_int_equal(v.live, 3);
    assert_int_equal(v.trim, 3);   /* the newest live one, not the dead 4 */
    assert_false(v.copy);
    repair_judge(&c, 3, up, &mask, streams, 2, &v);
    assert_int_equal(v.trim, -1);  /* exactly enough */
    assert_false(v.copy);
}

static void test_nothing_alive_nothing_to_do(void **state)
{
    (void)state;
    uint16_t streams[16] = { 0 };
    uint16_t h[] = { 1 };
    uint32_t mask = 0;
    ns_chunk c = chunk(1, h, 0);
    repair_verdict v;
    repair_judge(&c, 3, up, &mask, streams, 2, &v);
    assert_int_equal(v.live, 0);
    assert_false(v.copy);
    c = chunk(0, h, 0);   /* never stored anywhere */
    repair_judge(&c, 3, up, &mask, streams, 2, &v);
    assert_false(v.copy);
}

static void test_a_leaving_holder_is_read_but_not_counted(void **state)
{
    (void)state;
    uint16_t streams[16] = { 0 };
    uint16_t h[] = { 2, 4, 6 };
    uint32_t mask = (1u << 2) | (1u << 4) | (1u << 6) | (1u << (16 + 2));   /* 2 is leaving */
    ns_chunk c = chunk(3, h, 0);
    repair_verdict v;
    repair_judge(&c, 3, up, &mask, streams, 2, &v);
    assert_int_equal(v.live, 2);
    assert_int_equal(v.present, 3);
    assert_true(v.copy);           /* short without the leaving copy */
    assert_int_equal(v.source, 2); /* which may be read while it lives */
    assert_int_equal(v.trim, -1);
    /* its only copy on a leaving server: still copied, from there */
    uint16_t one[] = { 2 };
    c = chunk(1, one, 0);
    repair_judge(&c, 2, up, &mask, streams, 2, &v);
    assert_int_equal(v.live, 0);
    assert_true(v.copy);
    assert_int_equal(v.source, 2);
    /* with replication met elsewhere, the leaving copy is never trimmed */
    uint16_t four[] = { 4, 6, 2 };
    c = chunk(3, four, 0);
    repair_judge(&c, 2, up, &mask, streams, 2, &v);
    assert_int_equal(v.live, 2);
    assert_false(v.copy);
    assert_int_equal(v.trim, -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_source_is_a_live_good_holder_with_a_stream),
        cmocka_unit_test(test_last_copies_are_kept_even_rotten),
        cmocka_unit_test(test_surplus_trims_the_newest_live_copy),
        cmocka_unit_test(test_nothing_alive_nothing_to_do),
        cmocka_unit_test(test_a_leaving_holder_is_read_but_not_counted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
