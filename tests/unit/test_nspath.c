/* test_nspath.c - namespace paths: the spellings that are one file, the
 * hostile ones refused, and the parent/base/within helpers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "nspath.h"

static void norm_is(const char *in, const char *want)
{
    char out[NSPATH_MAX + 1];
    assert_int_equal(nspath_normalize(in, out), NSPATH_OK);
    assert_string_equal(out, want);
}

static void test_one_file_many_spellings(void **state)
{
    (void)state;
    norm_is("/logs/2026/a.txt", "/logs/2026/a.txt");
    norm_is("logs/2026/a.txt", "/logs/2026/a.txt");
    norm_is("//logs/2026/a.txt", "/logs/2026/a.txt");
    norm_is("/logs/2026/./a.txt", "/logs/2026/a.txt");
    norm_is("/logs//2026///a.txt/", "/logs/2026/a.txt");
    norm_is("input.txt", "/input.txt");
    norm_is("/", "/");
    norm_is("//./", "/");
    norm_is(".", "/");
    norm_is("/a/.b/..c/...", "/a/.b/..c/...");            /* dots that are names */
    norm_is("/with space/ünï/日本", "/with space/ünï/日本");
}

static void test_hostile_refused(void **state)
{
    (void)state;
    char out[NSPATH_MAX + 1];
    assert_int_equal(nspath_normalize("", out), NSPATH_EMPTY);
    assert_int_equal(nspath_normalize(NULL, out), NSPATH_EMPTY);
    assert_int_equal(nspath_normalize("/a/../etc/passwd", out), NSPATH_DOTDOT);
    assert_int_equal(nspath_normalize("..", out), NSPATH_DOTDOT);
    assert_int_equal(nspath_normalize("/a/..", out), NSPATH_DOTDOT);
    assert_int_equal(nspath_normalize("/a\nforged", out), NSPATH_CONTROL);
    assert_int_equal(nspath_normalize("/\x1b[31mred", out), NSPATH_CONTROL);
    assert_int_equal(nspath_normalize("/del\x7f", out), NSPATH_CONTROL);
    assert_int_equal(nspath_normalize("/tab\there", out), NSPATH_CONTROL);
    /* names travel in JSON: only well-formed UTF-8 */
    assert_int_equal(nspath_normalize("/a\xff\xfe", out), NSPATH_NOT_UTF8);
    assert_int_equal(nspath_normalize("/cut\xe2\x80", out), NSPATH_NOT_UTF8);
    assert_int_equal(nspath_normalize("/overlong\xc0\xaf", out), NSPATH_NOT_UTF8);
    assert_int_equal(nspath_normalize("/surrogate\xed\xa0\x80", out), NSPATH_NOT_UTF8);
    assert_int_equal(nspath_normalize("/d\xc3\xa9j\xc3\xa0/\xe2\x80\xa6/\xf0\x9f\x98\x80", out), NSPATH_OK);
    assert_string_equal(out, "/d\xc3\xa9j\xc3\xa0/\xe2\x80\xa6/\xf0\x9f\x98\x80");
    char name[300];
    memset(name, 'x', sizeof name);
    name[0] = '/';
    name[256] = '\0';   /* a component of 255 bytes: fine */
    assert_int_equal(nspath_normalize(name, out), NSPATH_OK);
    name[256] = 'x';
    name[257] = '\0';   /* 256 */
    assert_int_equal(nspath_normalize(name, out), NSPATH_NAME_TOO_LONG);
    /* 4096 bytes once normalised: fine; one more: too long, however the
     * input was padded with slashes */
    char *big = malloc(3 * NSPATH_MAX);
    size_t n = 0;
    while (n + 101 <= NSPATH_MAX) {
        big[n++] = '/';
        memset(big + n, 'a', 100);
        n += 100;
    }
    big[n++] = '/';
    memset(big + n, 'b', NSPATH_MAX - n);
    n = NSPATH_MAX;
    big[n] = '\0';
    assert_int_equal(nspath_normalize(big, out), NSPATH_OK);
    assert_int_equal(strlen(out), NSPATH_MAX);
    big[n] = 'b';
    big[n + 1] = '\0';
    assert_int_equal(nspath_normalize(big, out), NSPATH_TOO_LONG);
    memset(big, '/', 3 * NSPATH_MAX - 3);
    memcpy(big + 3 * NSPATH_MAX - 3, "a", 2);
    assert_int_equal(nspath_normalize(big, out), NSPATH_OK);   /* slashes collapse */
    assert_string_equal(out, "/a");
    free(big);
    assert_non_null(strstr(nspath_status_text(NSPATH_DOTDOT), ".."));
}

static void test_helpers(void **state)
{
    (void)state;
    char p[NSPATH_MAX + 1];
    assert_true(nspath_parent("/a/b/c", p));
    assert_string_equal(p, "/a/b");
    assert_true(nspath_parent("/a", p));
    assert_string_equal(p, "/");
    assert_false(nspath_parent("/", p));
    assert_string_equal(nspath_base("/a/b/c"), "c");
    assert_string_equal(nspath_base("/"), "");
    assert_true(nspath_within("/a/b", "/a"));
    assert_true(nspath_within("/a", "/a"));
    assert_false(nspath_within("/ab", "/a"));
    assert_true(nspath_within("/x", "/"));
    assert_false(nspath_within("/a", "/a/b"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_file_many_spellings),
        cmocka_unit_test(test_hostile_refused),
        cmocka_unit_test(test_helpers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
