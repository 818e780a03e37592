/* test_registry.c - chunkserver registration, stable indices, liveness. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_register_and_liveness),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
