/* test_placement.c - the placement policy: room, utilization, racks,
 * closeness to the writer, balance, and too few servers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "placement.h"

#define GB (1ull << 30)
#define CHUNK (64ull << 20)

static placement_server srv(uint16_t index, uint16_t rack, uint64_t cap, uint64_t used)
{
    return (placement_server){ .index = index, .rack = rack, .capacity = cap, .used = used };
}

static void test_balance_100_chunks_over_4(void **state)
{
    (void)state;
    placement p = { 0 };
    placement_server s[4];
    for (uint16_t i = 0; i < 4; i++)
        s[i] = srv(i, i, 100 * GB, 10 * GB);
    uint16_t out[300];
    /* one copy: every server gets 25 */
    assert_int_equal(placement_plan(&p, s, 4, 100, 1, CHUNK, out), 1);
    int count[4] = { 0 };
    for (int i = 0; i < 100; i++)
        count[out[i]]++;
    for (int i = 0; i < 4; i++)
        assert_true(count[i] >= 23 && count[i] <= 27);   /* within 10% of 25 */
    /* three copies: 75 replicas and 25 primaries each, within 10% */
    assert_int_equal(placement_plan(&p, s, 4, 100, 3, CHUNK, out), 3);
    int reps[4] = { 0 }, prim[4] = { 0 };
    for (int i = 0; i < 100; i++) {
        prim[out[i * 3]]++;
        for (int k = 0; k < 3; k++)
            reps[out[i * 3 + k]]++;
        assert_int_not_equal(out[i * 3], out[i * 3 + 1]);
        assert_int_not_equal(out[i * 3], out[i * 3 + 2]);
        assert_int_not_equal(out[i * 3 + 1], out[i * 3 + 2]);
    }
    for (int i = 0; i < 4; i++) {
        assert_true(reps[i] >= 68 && reps[i] <= 82);
        assert_true(prim[i] >= 23 && prim[i] <= 27);
    }
}

static void test_racks_spread(void **state)
{
    (void)state;
    placement p = { 0 };
    /* 6 servers on 3 racks: every chunk on 3 different racks */
    placement_server s[6];
    for (uint16_t i = 0; i < 6; i++)
        s[i] = srv((uint16_t)(10 + i), (uint16_t)(i / 2), 100 * GB, 10 * GB);
    uint16_t out[150];
    assert_int_equal(placement_plan(&p, s, 6, 50, 3, CHUNK, out), 3);
    for (int c = 0; c < 50; c++) {
        int rack[3];
        for (int k = 0; k < 3; k++)
            rack[k] = (out[c * 3 + k] - 10) / 2;
        assert_int_not_equal(rack[0], rack[1]);
        assert_int_not_equal(rack[0], rack[2]);
        assert_int_not_equal(rack[1], rack[2]);
    }
    /* 2 racks, 3 copies: both racks used, no server twice */
    placement_server t[4] = { srv(0, 0, 0, 0), srv(1, 0, 0, 0), srv(2, 1, 0, 0), srv(3, 1, 0, 0) };
    uint16_t o2[30];
    assert_int_equal(placement_plan(&p, t, 4, 10, 3, CHUNK, o2), 3);
    for (int c = 0; c < 10; c++) {
        bool r0 = false, r1 = false;
        for (int k = 0; k < 3; k++) {
            if (o2[c * 3 + k] < 2)
                r0 = true;
            else
                r1 = true;
            for (int q = 0; q < k; q++)
                assert_int_not_equal(o2[c * 3 + k], o2[c * 3 + q]);
        }
        assert_true(r0 && r1);
    }
}

static void test_utilization_and_room(void **state)
{
    (void)state;
    placement p = { 0 };
    placement_server s[4] = {
        srv(0, 0, 100 * GB, 90 * GB),            /* above average */
        srv(1, 1, 100 * GB, 10 * GB),
        srv(2, 2, 100 * GB, 20 * GB),
        srv(3, 3, 100 * GB, 100 * GB - CHUNK + 1), /* no room for a chunk */
    };
    uint16_t out[40];
    assert_int_equal(placement_plan(&p, s, 4, 20, 1, CHUNK, out), 1);
    for (int i = 0; i < 20; i++) {
        assert_int_not_equal(out[i], 3);   /* never the full one */
        assert_int_not_equal(out[i], 0);   /* the fuller one only when needed */
    }
    /* two copies: servers 1 and 2, both below average, suffice */
    assert_int_equal(placement_plan(&p, s, 4, 20, 2, CHUNK, out), 2);
    for (int i = 0; i < 40; i++)
        assert_true(out[i] == 1 || out[i] == 2);
    /* three copies: the fuller one must now be used, the full one never */
    assert_int_equal(placement_plan(&p, s, 4, 5, 3, CHUNK, out), 3);
    for (int i = 0; i < 15; i++)
        assert_int_not_equal(out[i], 3);
}

static void test_primary_closest_to_writer(void **state)
{
    (void)state;
    placement p = { 0 };
    placement_server s[4] = { srv(0, 0, 0, 0), srv(1, 1, 0, 0), srv(2, 1, 0, 0), srv(3, 2, 0, 0) };
    s[2].closeness = 2;   /* on the writer's host */
    s[1].closeness = 1;   /* on the writer's rack */
    uint16_t out[30];
    assert_int_equal(placement_plan(&p, s, 4, 10, 3, CHUNK, out), 3);
    for (int c = 0; c < 10; c++)
        assert_int_equal(out[c * 3], 2);
    /* without the same-host server, the same-rack one leads */
    s[2].closeness = 0;
    assert_int_equal(placement_plan(&p, s, 4, 10, 1, CHUNK, out), 1);
    for (int c = 0; c < 10; c++)
        assert_int_equal(out[c], 1);
}

static void test_too_few_servers(void **state)
{
    (void)state;
    placement p = { 0 };
    placement_server s[2] = { srv(5, 0, 0, 0), srv(6, 0, 0, 0) };
    uint16_t out[20];
    assert_int_equal(placement_plan(&p, s, 2, 10, 3, CHUNK, out), 2);
    for (int c = 0; c < 10; c++)
        assert_int_not_equal(out[c * 2], out[c * 2 + 1]);
    assert_int_equal(placement_plan(&p, NULL, 0, 5, 1, CHUNK, out), 0);
    placement_server full[1] = { srv(1, 0, 10, 10) };
    assert_int_equal(placement_plan(&p, full, 1, 5, 1, CHUNK, out), 0);
}

static void test_add_one_more_copy(void **state)
{
    (void)state;
    placement p = { 0 };
    /* 6 servers, racks 0,0,1,1,2,2; index 10+i */
    placement_server s[6];
    for (uint16_t i = 0; i < 6; i++)
        s[i] = srv((uint16_t)(10 + i), (uint16_t)(i / 2), 100 * GB, 10 * GB);
    uint16_t out;
    /* holders on racks 0 and 1: the new copy goes to rack 2 */
    uint16_t h1[2] = { 10, 12 };
    for (int round = 0; round < 10; round++) {
        assert_true(placement_add(&p, s, 6, h1, 2, CHUNK, &out));
        assert_true(out == 14 || out == 15);
    }
    /* every rack holds a copy: any server but the holders */
    uint16_t h2[3] = { 10, 12, 14 };
    for (int round = 0; round < 10; round++) {
        assert_true(placement_add(&p, s, 6, h2, 3, CHUNK, &out));
        assert_true(out == 11 || out == 13 || out == 15);
    }
    /* a holder with a full disk still marks its rack */
    s[4].used = s[4].capacity;   /* index 14, rack 2, full */
    assert_true(placement_add(&p, s, 6, h2, 3, CHUNK, &out));
    assert_true(out == 11 || out == 13 || out == 15);
    /* a holder that is not live (not among servers) is ignored */
    uint16_t h3[2] = { 99, 10 };
    s[4].used = 10 * GB;
    assert_true(placement_add(&p, s, 6, h3, 2, CHUNK, &out));
    assert_true(out >= 12 && out <= 15);   /* another rack than 10's */
    /* nobody left */
    uint16_t all[6] = { 10, 11, 12, 13, 14, 15 };
    assert_false(placement_add(&p, s, 6, all, 6, CHUNK, &out));
    assert_false(placement_add(&p, NULL, 0, NULL, 0, CHUNK, &out));
}

static void test_spread_continues_across_plans(void **state)
{
    (void)state;
    placement p = { 0 };
    placement_server s[4];
    for (uint16_t i = 0; i < 4; i++)
        s[i] = srv(i, 0, 0, 0);
    int count[4] = { 0 };
    for (int f = 0; f < 100; f++) {   /* 100 one-chunk files */
        uint16_t out[1];
        placement_plan(&p, s, 4, 1, 1, CHUNK, out);
        count[out[0]]++;
    }
    for (int i = 0; i < 4; i++)
        assert_int_equal(count[i], 25);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_balance_100_chunks_over_4),
        cmocka_unit_test(test_racks_spread),
        cmocka_unit_test(test_utilization_and_room),
        cmocka_unit_test(test_primary_closest_to_writer),
        cmocka_unit_test(test_too_few_servers),
        cmocka_unit_test(test_spread_continues_across_plans),
        cmocka_unit_test(test_add_one_more_copy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
