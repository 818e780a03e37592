/* test_chunkid.c - file and chunk ids: the strict grammar that keeps
 * hostile ids from ever naming a path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "chunkid.h"

#define HEX64 "0e5523056ab6dbb2a3bfa672b305d76b003954fa5a1bcc8de29528c2ad79b2ed"

static void test_fileid_is_sha256_of_name(void **state)
{
    (void)state;
    char id[FILEID_LEN + 1];
    assert_true(fileid_of_name("input.txt", id));
    /* sha256sum <<< -n input.txt */
    assert_string_equal(id, HEX64);
    assert_true(fileid_of_name("", id));
    assert_string_equal(id, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void test_valid_ids_parse(void **state)
{
    (void)state;
    char fid[FILEID_LEN + 1];
    uint32_t idx = 99;
    assert_true(chunkid_parse(HEX64 "_0", fid, &idx));
    assert_string_equal(fid, HEX64);
    assert_int_equal(idx, 0);
    assert_true(chunkid_parse(HEX64 "_32", NULL, &idx));
    assert_int_equal(idx, 32);
    assert_true(chunkid_parse(HEX64 "_4294967295", NULL, &idx));
    assert_int_equal(idx, 4294967295u);
}

static void test_hostile_ids_refused(void **state)
{
    (void)state;
    const char *bad[] = {
        "", "../x", "/etc/passwd", "..", HEX64, HEX64 "_", HEX64 "_-1", HEX64 "_01",
        HEX64 "_4294967296", HEX64 "_99999999999", HEX64 "_1/../../x", HEX64 "_1 ",
        "0E5523056ab6dbb2a3bfa672b305d76b003954fa5a1bcc8de29528c2ad79b2ed_0", /* uppercase */
        "0e5523056ab6dbb2a3bfa672b305d76b003954fa5a1bcc8de29528c2ad79b2e_0",  /* 63 digits */
        "0e5523056ab6dbb2a3bfa672b305d76b003954fa5a1bcc8de29528c2ad79b2edd_0", /* 65 digits */
        "g e5523056ab6dbb2a3bfa672b305d76b003954fa5a1bcc8de29528c2ad79b2e_0",
        HEX64 "_1x", HEX64 "__1", "x" HEX64 "_1",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (chunkid_parse(bad[i], NULL, NULL))
            fail_msg("accepted \"%s\"", bad[i]);
    }
}

static void test_format_round_trips(void **state)
{
    (void)state;
    char buf[CHUNKID_BUF];
    uint32_t idx;
    chunkid_format(buf, HEX64, 4294967295u);
    assert_string_equal(buf, HEX64 "_4294967295");
    assert_int_equal(strlen(buf), CHUNKID_MAX_LEN);
    assert_true(chunkid_parse(buf, NULL, &idx));
    assert_int_equal(idx, 4294967295u);
}

/* FNV-1a, checked against its published values. */
static void test_hash_is_fnv1a(void **state)
{
    (void)state;
    assert_int_equal(chunkid_hash(""), 0x811c9dc5u);
    assert_int_equal(chunkid_hash("a"), 0xe40c292cu);
    assert_int_equal(chunkid_hash("foobar"), 0xbf9cf968u);
}

static void test_fileid_valid(void **state)
{
    (void)state;
    assert_true(fileid_valid(HEX64));
    assert_false(fileid_valid(HEX64 "0"));
    assert_false(fileid_valid("abc"));
    assert_false(fileid_valid("0E5523056ab6dbb2a3bfa672b305d76b003954fa5a1bcc8de29528c2ad79b2ed"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fileid_is_sha256_of_name),
        cmocka_unit_test(test_valid_ids_parse),
        cmocka_unit_test(test_hostile_ids_refused),
        cmocka_unit_test(test_format_round_trips),
        cmocka_unit_test(test_fileid_valid),
        cmocka_unit_test(test_hash_is_fnv1a),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
