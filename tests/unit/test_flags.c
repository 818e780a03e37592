/* test_flags.c - the flag parser: Go-style spellings, typed values,
 * ranges, and clear errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "flags.h"

typedef struct {
    long long port;
    const char *dir;
    bool overwrite;
    double fraction;
} opts;

static flags_result parse(opts *o, int argc, char **argv, char *err)
{
    const flag_def defs[] = {
        { "port", FLAG_INT, &o->port, 1, 65535, "PORT", "port" },
        { "dir", FLAG_STRING, &o->dir, 0, 0, "DIR", "dir" },
        { "overwrite", FLAG_BOOL, &o->overwrite, 0, 0, NULL, "overwrite" },
        { "fraction", FLAG_DOUBLE, &o->fraction, 0, 1, "F", "a share" },
    };
    return flags_parse(defs, 4, argc, argv, err, 256);
}

static void test_spellings(void **state)
{
    (void)state;
    char err[256];
    opts o = { 8000, "./data", false, 0 };
    char *argv[] = { "x", "--port", "8001", "-dir", "./d1", "--overwrite" };
    assert_int_equal(parse(&o, 6, argv, err), FLAGS_OK);
    assert_int_equal(o.port, 8001);
    assert_string_equal(o.dir, "./d1");
    assert_true(o.overwrite);

    char *argv2[] = { "x", "--port=9", "--dir=a=b", "--overwrite=false" };
    assert_int_equal(parse(&o, 4, argv2, err), FLAGS_OK);
    assert_int_equal(o.port, 9);
    assert_string_equal(o.dir, "a=b");
    assert_false(o.overwrite);
}

static void test_defaults_kept(void **state)
{
    (void)state;
    char err[256];
    opts o = { 8000, "./data", false, 0 };
    char *argv[] = { "x" };
    assert_int_equal(parse(&o, 1, argv, err), FLAGS_OK);
    assert_int_equal(o.port, 8000);
    assert_string_equal(o.dir, "./data");
}

static void test_errors(void **state)
{
    (void)state;
    char err[256];
    opts o = { 8000, NULL, false, 0 };
    char *a1[] = { "x", "--port", "12abc" };
    assert_int_equal(parse(&o, 3, a1, err), FLAGS_ERROR);
    assert_non_null(strstr(err, "not an integer"));
    char *a2[] = { "x", "--port", "70000" };
    assert_int_equal(parse(&o, 3, a2, err), FLAGS_ERROR);
    assert_non_null(strstr(err, "out of range"));
    char *a3[] = { "x", "--nope" };
    assert_int_equal(parse(&o, 2, a3, err), FLAGS_ERROR);
    assert_non_null(strstr(err, "unknown flag"));
    char *a4[] = { "x", "--dir" };
    assert_int_equal(parse(&o, 2, a4, err), FLAGS_ERROR);
    assert_non_null(strstr(err, "needs a value"));
    char *a5[] = { "x", "stray" };
    assert_int_equal(parse(&o, 2, a5, err), FLAGS_ERROR);
    char *a6[] = { "x", "--overwrite=maybe" };
    assert_int_equal(parse(&o, 2, a6, err), FLAGS_ERROR);
    char *a7[] = { "x", "--port", "99999999999999999999999" };
    assert_int_equal(parse(&o, 3, a7, err), FLAGS_ERROR);
    assert_int_equal(o.port, 8000);
}

/* A flag given twice is a usage error, whatever its type or spelling:
 * keeping the last silently did what the script did not mean. */
static void test_repeated(void **state)
{
    (void)state;
    char err[256];
    opts o = { 8000, NULL, false, 0 };
    char *a1[] = { "x", "--dir", "a", "--dir", "b" };
    assert_int_equal(parse(&o, 5, a1, err), FLAGS_ERROR);
    assert_non_null(strstr(err, "--dir given more than once"));
    char *a2[] = { "x", "--port=1", "-port", "2" };
    assert_int_equal(parse(&o, 4, a2, err), FLAGS_ERROR);
    assert_non_null(strstr(err, "--port given more than once"));
    char *a3[] = { "x", "--overwrite", "--overwrite=false" };
    assert_int_equal(parse(&o, 3, a3, err), FLAGS_ERROR);
    char *a4[] = { "x", "--port", "1", "--dir", "a" };
    assert_int_equal(parse(&o, 5, a4, err), FLAGS_OK);
}

static void test_double(void **state)
{
    (void)state;
    char err[256];
    opts o = { 8000, NULL, false, 0.1 };
    char *a1[] = { "x", "--fraction", "0.25" };
    assert_int_equal(parse(&o, 3, a1, err), FLAGS_OK);
    assert_true(o.fraction > 0.2499 && o.fraction < 0.2501);
    char *a2[] = { "x", "--fraction", "1.5" };
    assert_int_equal(parse(&o, 3, a2, err), FLAGS_ERROR);
    assert_non_null(strstr(err, "out of range"));
    char *a3[] = { "x", "--fraction", "nan" };
    assert_int_equal(parse(&o, 3, a3, err), FLAGS_ERROR);
    char *a4[] = { "x", "--fraction", "0.5x" };
    assert_int_equal(parse(&o, 3, a4, err), FLAGS_ERROR);
    assert_non_null(strstr(err, "not a number"));
}

static void test_help(void **state)
{
    (void)state;
    char err[256];
    opts o = { 8000, NULL, false, 0 };
    char *argv[] = { "x", "--port", "1", "--help" };
    assert_int_equal(parse(&o, 4, argv, err), FLAGS_HELP);
    char *argv2[] = { "x", "-h" };
    assert_int_equal(parse(&o, 2, argv2, err), FLAGS_HELP);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spellings),
        cmocka_unit_test(test_defaults_kept),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_repeated),
        cmocka_unit_test(test_double),
        cmocka_unit_test(test_help),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
