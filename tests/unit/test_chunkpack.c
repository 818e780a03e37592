/* test_chunkpack.c - packed report pages: records read back as written,
 * little-endian on the wire, and every body that is not an envelope's
 * line and whole records refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "chunkpack.h"

static chunkpack_entry sample(uint32_t i)
{
    chunkpack_entry e = { .index = i, .has_sha = i % 2 == 0, .size = 67108864ull + i,
                          .version = 0x0102030405060708ull + i, .age_ms = -5 - (int64_t)i };
    for (int k = 0; k < SHA256_LEN; k++) {
        e.fid[k] = (unsigned char)(k + i);
        e.sha[k] = e.has_sha ? (unsigned char)(255 - k) : 0;
    }
    return e;
}

static void test_records_round_trip(void **state)
{
    (void)state;
    unsigned char rec[CHUNKPACK_RECORD];
    for (uint32_t i = 0; i < 10; i++) {
        chunkpack_entry e = sample(i), back;
        chunkpack_put(rec, &e);
        assert_true(chunkpack_get(rec, &back));
        assert_memory_equal(back.fid, e.fid, SHA256_LEN);
        assert_int_equal(back.index, e.index);
        assert_int_equal(back.has_sha, e.has_sha);
        assert_int_equal(back.size, e.size);
        assert_int_equal(back.version, e.version);
        assert_int_equal(back.age_ms, e.age_ms);
        assert_memory_equal(back.sha, e.sha, SHA256_LEN);
    }
}

static void test_layout_is_little_endian(void **state)
{
    (void)state;
    chunkpack_entry e = sample(0);
    e.index = 0x11223344u;
    e.has_sha = false;
    unsigned char rec[CHUNKPACK_RECORD];
    chunkpack_put(rec, &e);
    const unsigned char index[4] = { 0x44, 0x33, 0x22, 0x11 }, flags[4] = { 0 };
    const unsigned char version[8] = { 0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01 };
    assert_memory_equal(rec + 32, index, 4);
    assert_memory_equal(rec + 36, flags, 4);
    assert_memory_equal(rec + 48, version, 8);
    for (int k = 64; k < CHUNKPACK_RECORD; k++)
        assert_int_equal(rec[k], 0);   /* no checksum: zeros */
}

static void test_unknown_flags_refused(void **state)
{
    (void)state;
    chunkpack_entry e = sample(1), back;
    unsigned char rec[CHUNKPACK_RECORD];
    chunkpack_put(rec, &e);
    rec[36] |= 2;
    assert_false(chunkpack_get(rec, &back));
    chunkpack_put(rec, &e);
    rec[39] = 0x80;
    assert_false(chunkpack_get(rec, &back));
}

static void test_body_splits(void **state)
{
    (void)state;
    unsigned char recs[3 * CHUNKPACK_RECORD];
    for (uint32_t i = 0; i < 3; i++) {
        chunkpack_entry e = sample(i);
        chunkpack_put(recs + i * CHUNKPACK_RECORD, &e);
    }
    const char *head = "{\"url\":\"127.0.0.1:8001/\"}";
    size_t len;
    char *body = chunkpack_body(head, strlen(head), recs, 3, &len);
    assert_non_null(body);
    assert_int_equal(len, strlen(head) + 1 + 3 * CHUNKPACK_RECORD);
    const char *h;
    const unsigned char *r;
    size_t hl, n;
    char err[128];
    assert_true(chunkpack_split(body, len, 3, &h, &hl, &r, &n, err, sizeof err));
    assert_int_equal(hl, strlen(head));
    assert_memory_equal(h, head, hl);
    assert_int_equal(n, 3);
    assert_memory_equal(r, recs, sizeof recs);
    /* a '\n' inside a record is no trouble: the envelope's is the first */
    assert_false(chunkpack_split(body, len, 2, &h, &hl, &r, &n, err, sizeof err));
    assert_non_null(strstr(err, "at most 2"));
    assert_false(chunkpack_split(body, len - 1, 3, &h, &hl, &r, &n, err, sizeof err));
    assert_non_null(strstr(err, "whole records"));
    /* no records at all is a page of none */
    assert_true(chunkpack_split(body, strlen(head) + 1, 3, &h, &hl, &r, &n, err, sizeof err));
    assert_int_equal(n, 0);
    free(body);
}

static void test_body_without_envelope_refused(void **state)
{
    (void)state;
    const char *h;
    const unsigned char *r;
    size_t hl, n;
    char err[128];
    assert_false(chunkpack_split("", 0, 10, &h, &hl, &r, &n, err, sizeof err));
    assert_false(chunkpack_split("{}", 2, 10, &h, &hl, &r, &n, err, sizeof err));
    /* an envelope line longer than CHUNKPACK_MAX_HEAD */
    size_t len = CHUNKPACK_MAX_HEAD + 2 + CHUNKPACK_RECORD;
    char *big = malloc(len);
    assert_non_null(big);
    memset(big, ' ', len);
    big[CHUNKPACK_MAX_HEAD + 1] = '\n';
    assert_false(chunkpack_split(big, len, 10, &h, &hl, &r, &n, err, sizeof err));
    assert_non_null(strstr(err, "envelope"));
    big[CHUNKPACK_MAX_HEAD + 1] = ' ';
    big[CHUNKPACK_MAX_HEAD] = '\n';   /* exactly at the bound: taken */
    assert_false(chunkpack_split(big, len, 10, &h, &hl, &r, &n, err, sizeof err));
    assert_non_null(strstr(err, "whole records"));   /* one byte over a record */
    free(big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_records_round_trip),
        cmocka_unit_test(test_layout_is_little_endian),
        cmocka_unit_test(test_unknown_flags_refused),
        cmocka_unit_test(test_body_splits),
        cmocka_unit_test(test_body_without_envelope_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
