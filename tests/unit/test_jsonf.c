/* test_jsonf.c - checked JSON field access. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "jsonf.h"

static void test_parse_object(void **state)
{
    (void)state;
    char err[256];
    assert_null(jsonf_parse_object("{", 1, err, sizeof err));
    assert_non_null(strstr(err, "malformed JSON"));
    assert_null(jsonf_parse_object("[1]", 3, err, sizeof err));
    assert_null(jsonf_parse_object("{\"a\":1,\"a\":2}", 13, err, sizeof err));
    assert_null(jsonf_parse_object("", 0, err, sizeof err));
    json_t *j = jsonf_parse_object("{\"a\":1}", 7, err, sizeof err);
    assert_non_null(j);
    json_decref(j);
}

static void test_fields(void **state)
{
    (void)state;
    char err[256];
    const char *txt = "{\"s\":\"x\",\"n\":5,\"neg\":-1,\"b\":true,\"f\":1.5}";
    json_t *j = jsonf_parse_object(txt, strlen(txt), err, sizeof err);
    const char *s;
    long long n = 0;
    bool b;
    assert_true(jsonf_string(j, "s", &s, err, sizeof err));
    assert_string_equal(s, "x");
    assert_false(jsonf_string(j, "n", &s, err, sizeof err));
    assert_non_null(strstr(err, "must be a string"));
    assert_false(jsonf_string(j, "missing", &s, err, sizeof err));
    assert_non_null(strstr(err, "missing field"));
    assert_true(jsonf_int(j, "n", 0, 10, &n, err, sizeof err));
    assert_int_equal(n, 5);
    assert_false(jsonf_int(j, "neg", 0, 10, &n, err, sizeof err));
    assert_false(jsonf_int(j, "f", 0, 10, &n, err, sizeof err));
    assert_false(jsonf_int(j, "s", 0, 10, &n, err, sizeof err));
    n = 42;
    assert_true(jsonf_int_opt(j, "missing", 0, 10, &n, err, sizeof err));
    assert_int_equal(n, 42);
    assert_true(jsonf_bool_opt(j, "b", false, &b, err, sizeof err));
    assert_true(b);
    assert_true(jsonf_bool_opt(j, "missing", false, &b, err, sizeof err));
    assert_false(b);
    assert_false(jsonf_bool_opt(j, "n", false, &b, err, sizeof err));
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_object),
        cmocka_unit_test(test_fields),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
