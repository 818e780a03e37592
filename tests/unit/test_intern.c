/* test_intern.c - owner and group names: one shared copy per name, equal
 * names the same pointer and number, the copy independent of the
 * caller's buffer, the set bounded, and many threads interning at once
 * agree. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "intern.h"

/* The one copy of s. */
static const char *shared(const char *s)
{
    return intern_at(intern_id(s));
}

static void test_equal_names_share_one_copy(void **state)
{
    (void)state;
    char a[16], b[16];
    strcpy(a, "alice");
    strcpy(b, "alice");
    const char *x = shared(a), *y = shared(b);
    assert_non_null(x);
    assert_ptr_equal(x, y);
    assert_ptr_not_equal(x, a);
    strcpy(a, "mallory");   /* the caller's buffer changes; the copy does not */
    assert_string_equal(x, "alice");
    const char *z = shared("bob");
    assert_ptr_not_equal(x, z);
    assert_string_equal(z, "bob");
    assert_null(shared(NULL));
    assert_ptr_equal(shared(""), shared(""));
}

static void test_numbers(void **state)
{
    (void)state;
    assert_int_equal(intern_id(NULL), 0);
    assert_null(intern_at(0));
    assert_null(intern_at(INTERN_MAX + 1));
    uint32_t a = intern_id("carol"), b = intern_id("dave");
    assert_true(a > 0 && b > 0 && a != b);
    assert_int_equal(intern_id("carol"), a);
    assert_string_equal(intern_at(a), "carol");
    assert_ptr_equal(intern_at(a), shared("carol"));
}

static void *intern_many(void *arg)
{
    const char **out = arg;
    char name[32];
    for (int i = 0; i < 2000; i++) {
        snprintf(name, sizeof name, "user%d", i);
        out[i] = shared(name);
    }
    return NULL;
}

static void test_threads_agree(void **state)
{
    (void)state;
    static const char *got[4][2000];
    pthread_t t[4];
    for (int k = 0; k < 4; k++)
        assert_int_equal(pthread_create(&t[k], NULL, intern_many, got[k]), 0);
    for (int k = 0; k < 4; k++)
        pthread_join(t[k], NULL);
    for (int i = 0; i < 2000; i++) {
        assert_non_null(got[0][i]);
        for (int k = 1; k < 4; k++)
            assert_ptr_equal(got[0][i], got[k][i]);
    }
}

/* Past INTERN_MAX names, a new one is refused; the kept ones still come. */
static void test_the_set_is_bounded(void **state)
{
    (void)state;
    const char *kept = shared("alice");
    char name[32];
    for (size_t i = 0; intern_count() < INTERN_MAX; i++) {
        snprintf(name, sizeof name, "filler%zu", i);
        assert_non_null(shared(name));
    }
    assert_int_equal(intern_count(), INTERN_MAX);
    assert_null(shared("one-too-many"));
    assert_int_equal(intern_id("one-too-many"), 0);
    assert_ptr_equal(shared("alice"), kept);
    assert_int_equal(intern_count(), INTERN_MAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_equal_names_share_one_copy),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_threads_agree),
        cmocka_unit_test(test_the_set_is_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
