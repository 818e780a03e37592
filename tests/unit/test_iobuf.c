/* test_iobuf.c - pooled direct-I/O buffers: aligned, of the asked size,
 * never handed to two holders at once, handed out again once put back,
 * carved from slabs the pool keeps, odd sizes refused, and safe from two
 * threads at once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "iobuf.h"

static void test_sizes(void **state)
{
    (void)state;
    assert_null(iobuf_pool_new(0));
    assert_null(iobuf_pool_new(3000));             /* not a power of two */
    assert_null(iobuf_pool_new(2048));             /* below the alignment */
    assert_null(iobuf_pool_new(3u << 20));         /* above a slab, not a multiple of one */
    size_t ok[] = { IOBUF_ALIGN, 1u << 20, IOBUF_SLAB, 2 * IOBUF_SLAB };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        iobuf_pool *p = iobuf_pool_new(ok[i]);
        assert_non_null(p);
        assert_int_equal(iobuf_size(p), ok[i]);
        char *b = iobuf_get(p);
        assert_non_null(b);
        assert_int_equal((uintptr_t)b % IOBUF_ALIGN, 0);
        memset(b, 0x5a, ok[i]);   /* all of it is ours (ASan would say otherwise) */
        iobuf_put(p, b);
        iobuf_pool_free(p);
    }
}

static void test_distinct_then_reused(void **state)
{
    (void)state;
    iobuf_pool *p = iobuf_pool_new(1u << 20);
    assert_non_null(p);
    assert_int_equal(iobuf_pool_bytes(p), 0);
    enum { N = 5 };
    char *b[N];
    for (int i = 0; i < N; i++) {
        b[i] = iobuf_get(p);
        assert_non_null(b[i]);
        memset(b[i], i + 1, 1u << 20);
    }
    /* no two overlap: each still holds its own pattern whole */
    for (int i = 0; i < N; i++)
        for (size_t k = 0; k < (1u << 20); k += 4093)
            assert_int_equal(b[i][k], i + 1);
    /* two buffers a slab: five took three slabs */
    assert_int_equal(iobuf_pool_bytes(p), 3 * (size_t)IOBUF_SLAB);
    iobuf_put(p, b[2]);
    char *again = iobuf_get(p);
    assert_ptr_equal(again, b[2]);
    assert_int_equal(iobuf_pool_bytes(p), 3 * (size_t)IOBUF_SLAB);
    iobuf_put(p, again);
    for (int i = 0; i < N; i++)
        if (i != 2)
            iobuf_put(p, b[i]);
    /* everything back: taking five again takes no new slab */
    for (int i = 0; i < N; i++)
        assert_non_null(b[i] = iobuf_get(p));
    assert_int_equal(iobuf_pool_bytes(p), 3 * (size_t)IOBUF_SLAB);
    for (int i = 0; i < N; i++)
        iobuf_put(p, b[i]);
    iobuf_put(p, NULL);
    iobuf_pool_free(p);
    iobuf_pool_free(NULL);
}

typedef struct {
    iobuf_pool *p;
    unsigned char mark;
    int bad;
} worker_arg;

static void *worker(void *arg)
{
    worker_arg *a = arg;
    for (int round = 0; round < 2000; round++) {
        unsigned char *b = iobuf_get(a->p);
        if (!b) {
            a->bad++;
            continue;
        }
        memset(b, a->mark, 4096);
        for (int k = 0; k < 4096; k += 97)
            if (b[k] != a->mark)
                a->bad++;   /* someone else holds it too */
        iobuf_put(a->p, b);
    }
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    iobuf_pool *p = iobuf_pool_new(64u << 10);
    assert_non_null(p);
    worker_arg a[2] = { { p, 0x11, 0 }, { p, 0x22, 0 } };
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&t[i], NULL, worker, &a[i]), 0);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(a[0].bad, 0);
    assert_int_equal(a[1].bad, 0);
    assert_int_equal(iobuf_pool_bytes(p), (size_t)IOBUF_SLAB);   /* two in use at most */
    iobuf_pool_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sizes),
        cmocka_unit_test(test_distinct_then_reused),
        cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
