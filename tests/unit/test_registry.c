/* test_registry.c - chunkserver registration, stable indices, liveness. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <stdio.h>

#include <cmocka.h>

#include "registry.h"

static void test_register_and_liveness(void **state)
{
    (void)state;
    registry *r = registry_new(1000);
    assert_int_equal(registry_register(r, "a:1/", 0), 0);
    assert_int_equal(registry_register(r, "b:2/", 0), 1);
    assert_int_equal(registry_register(r, "a:1/", 500), 0);   /* same index again */
    assert_int_equal(registry_count(r), 2);
    assert_string_equal(registry_addr(r, 1), "b:2/");
    assert_int_equal(registry_find(r, "c:3/"), -1);

    uint16_t live[4];
    assert_int_equal(registry_live_list(r, 1000, live, 4), 2);
    assert_int_equal(registry_live_list(r, 1400, live, 4), 1);  /* b silent for 1400 ms */
    assert_int_equal(live[0], 0);
    assert_true(registry_live(r, 0, 1500));
    assert_false(registry_live(r, 1, 1500));
    /* Being named (a report, a bad-chunk notice) is no sign of life... */
    assert_int_equal(registry_find(r, "b:2/"), 1);
    assert_false(registry_live(r, 1, 1500));
    /* ...only the server's own heartbeat is. */
    assert_int_equal(registry_register(r, "b:2/", 1500), 1);
    assert_true(registry_live(r, 1, 1500));
    registry_free(r);
}

/* Servers the clients cannot reach: shunned after REGISTRY_SHUN_REPORTS
 * reports within REGISTRY_SHUN_MS, for that long, a minority at most;
 * lifted by a chunk stored there, a return after a silence or a restart. */
static void test_shunning(void **state)
{
    (void)state;
    registry *r = registry_new(10000);
    const int64_t t = 1000000;
    for (int i = 0; i < 5; i++) {
        char a[32];
        snprintf(a, sizeof a, "127.0.0.1:%d/", 8001 + i);
        assert_int_equal(registry_register(r, a, t), i);
    }
    /* reports spread wider than the window never shun */
    assert_false(registry_report_unreachable(r, 0, t));
    assert_false(registry_report_unreachable(r, 0, t + REGISTRY_SHUN_MS));
    assert_false(registry_report_unreachable(r, 0, t + 2 * REGISTRY_SHUN_MS + 1));
    assert_false(registry_shunned(r, 0, t + 2 * REGISTRY_SHUN_MS + 1));
    /* three within it do */
    int64_t now = t + 3 * REGISTRY_SHUN_MS;
    for (int i = 0; i < 5; i++)
        registry_register(r, registry_addr(r, (uint16_t)i), now);
    assert_false(registry_report_unreachable(r, 0, now));
    assert_false(registry_report_unreachable(r, 0, now + 1));
    assert_true(registry_report_unreachable(r, 0, now + 2));
    assert_true(registry_shunned(r, 0, now + 2));
    assert_false(registry_live(r, 0, now + 2));
    assert_true(registry_heard(r, 0, now + 2));
    registry_info info[8];
    assert_int_equal(registry_live_info(r, now + 2, info, 8), 4);   /* no new chunks there */
    /* a second one of five: still a minority */
    for (int k = 0; k < 3; k++)
        registry_report_unreachable(r, 1, now + 3 + k);
    assert_true(registry_shunned(r, 1, now + 10));
    /* a third would be a majority: refused */
    for (int k = 0; k < 5; k++)
        assert_false(registry_report_unreachable(r, 2, now + 10 + k));
    assert_false(registry_shunned(r, 2, now + 20));
    /* a chunk stored there lifts it; so does the window running out */
    registry_reachable(r, 1);
    assert_false(registry_shunned(r, 1, now + 20));
    assert_true(registry_live(r, 1, now + 20));
    assert_false(registry_shunned(r, 0, now + 2 + REGISTRY_SHUN_MS + 1));
    /* a restart (a new incarnation) lifts it; the same one again does not */
    registry_set_incarnation(r, 3, 77);
    for (int k = 0; k < 3; k++)
        registry_report_unreachable(r, 3, now + 100 + k);
    assert_true(registry_shunned(r, 3, now + 110));
    registry_set_incarnation(r, 3, 77);
    assert_true(registry_shunned(r, 3, now + 110));
    registry_set_incarnation(r, 3, 0);   /* none sent (a Go chunkserver) */
    assert_true(registry_shunned(r, 3, now + 110));
    registry_set_incarnation(r, 3, 78);
    assert_false(registry_shunned(r, 3, now + 110));
    registry_free(r);
}

/* A thousand servers, found by address through the index (and none
 * that is not there, however alike). */
static void test_many_by_address(void **state)
{
    (void)state;
    registry *r = registry_new(1000);
    char a[64];
    for (int i = 0; i < 1000; i++) {
        snprintf(a, sizeof a, "10.0.%d.%d:9000/", i / 250, i % 250);
        assert_int_equal(registry_register(r, a, 0), i);
    }
    for (int i = 999; i >= 0; i -= 7) {
        snprintf(a, sizeof a, "10.0.%d.%d:9000/", i / 250, i % 250);
        assert_int_equal(registry_find(r, a), i);
        assert_int_equal(registry_register(r, a, 10), i);   /* a heartbeat: the same index */
    }
    assert_int_equal(registry_find(r, "10.0.0.0:9001/"), -1);
    assert_int_equal(registry_find(r, "10.0.9.0:9000/"), -1);
    assert_int_equal(registry_count(r), 1000);
    registry_free(r);
}

/* The live list's version: the same while nothing changes (a heartbeat
 * then carries no list), another the moment a server joins, dies (within
 * REGISTRY_MEMBERS_MS) or comes back. */
static void test_members_version(void **state)
{
    (void)state;
    registry *r = registry_new(1000);
    char v1[17], v2[17], v3[17], v4[17];
    uint16_t live[8];
    registry_register(r, "a:1/", 0);
    registry_register(r, "b:2/", 0);
    assert_int_equal(registry_members(r, 0, v1, live, 8), 2);
    assert_int_equal(strlen(v1), 16);
    registry_register(r, "a:1/", 500);   /* heartbeats change nothing */
    assert_int_equal(registry_members(r, 500, v2, NULL, 0), 2);
    assert_string_equal(v1, v2);
    registry_register(r, "c:3/", 600);   /* a join shows at once */
    assert_int_equal(registry_members(r, 600, v2, live, 8), 3);
    assert_string_not_equal(v1, v2);
    assert_int_equal(live[2], 2);
    registry_register(r, "a:1/", 1400);
    registry_register(r, "c:3/", 1400);
    /* b silent since 0: dead after 1000 ms; the list knows within 100 ms */
    assert_int_equal(registry_members(r, 1450, v3, live, 8), 2);
    assert_string_not_equal(v2, v3);
    assert_int_equal(live[0], 0);
    assert_int_equal(live[1], 2);
    registry_register(r, "b:2/", 1460);  /* back: at once */
    assert_int_equal(registry_members(r, 1460, v4, NULL, 0), 3);
    assert_string_equal(v2, v4);   /* the same three as before: the same version */
    registry_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_register_and_liveness),
        cmocka_unit_test(test_shunning),
        cmocka_unit_test(test_many_by_address),
        cmocka_unit_test(test_members_version),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
