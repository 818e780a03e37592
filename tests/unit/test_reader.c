/* test_reader.c - an upload's bytes of the input: exactly the chunk's
 * bytes, in order, whatever the offsets' alignment and the caller's read
 * sizes; read direct when the input is cold and through the cache when it
 * is warm; taken back to the start for a retry; and a clear error, never
 * a short chunk, when the file ends before the chunk does. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "iobuf.h"
#include "reader.h"

#define CHUNK 1000000u                 /* the seed's chunk size: offsets not 4096-aligned */
#define SIZE (3u * CHUNK + 12345u)

typedef struct {
    char path[64];
    int fd;
    unsigned char *data;   /* what the file holds */
    size_t size;
} input;

static void make_input(input *in, size_t size)
{
    /* In the working directory (the build tree), not /tmp, which may be a
     * tmpfs whose pages cannot be dropped from the cache. */
    snprintf(in->path, sizeof in->path, "reader-test-XXXXXX");
    in->fd = mkstemp(in->path);
    assert_true(in->fd >= 0);
    in->size = size;
    in->data = malloc(size);
    assert_non_null(in->data);
    uint32_t x = 2463534242u;
    for (size_t i = 0; i < size; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        in->data[i] = (unsigned char)x;
    }
    assert_int_equal(pwrite(in->fd, in->data, size, 0), (ssize_t)size);
}

static int setup(void **state)
{
    input *in = calloc(1, sizeof *in);
    if (!in)
        return -1;
    make_input(in, SIZE);
    *state = in;
    return 0;
}

static int teardown(void **state)
{
    input *in = *state;
    close(in->fd);
    unlink(in->path);
    free(in->data);
    free(in);
    return 0;
}

/* Out of the page cache, if the filesystem lets its pages go. */
static bool drop_cache(input *in)
{
    if (fdatasync(in->fd) != 0 || posix_fadvise(in->fd, 0, 0, POSIX_FADV_DONTNEED) != 0)
        return false;
    void *m = mmap(NULL, in->size, PROT_READ, MAP_SHARED, in->fd, 0);
    if (m == MAP_FAILED)
        return false;
    size_t pages = (in->size + 4095) / 4096;
    unsigned char *vec = malloc(pages);
    bool cold = vec && mincore(m, in->size, vec) == 0;
    for (size_t i = 0; cold && i < pages; i++)
        cold = !(vec[i] & 1);
    free(vec);
    munmap(m, in->size);
    int d = -1;
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", in->fd);
    if (cold && (d = open(path, O_RDONLY | O_DIRECT)) < 0)
        cold = false;
    if (d >= 0)
        close(d);
    return cold;
}

static void warm_cache(input *in)
{
    char *buf = malloc(in->size);
    assert_non_null(buf);
    assert_int_equal(pread(in->fd, buf, in->size, 0), (ssize_t)in->size);
    free(buf);
}

/* Reads the whole chunk through r with read sizes that vary, and checks
 * every byte. */
static void read_all(reader *r, const input *in, uint64_t off, uint64_t len)
{
    static const size_t wants[] = { 1, 4095, 65536, 1u << 20, 300000, 7 };
    char *buf = malloc(1u << 20);
    assert_non_null(buf);
    char err[256];
    uint64_t got = 0;
    for (size_t k = 0;; k++) {
        ssize_t n = reader_read(r, buf, wants[k % 6], err, sizeof err);
        assert_true(n >= 0);
        if (n == 0)
            break;
        assert_true((size_t)n <= wants[k % 6]);
        assert_true(got + (uint64_t)n <= len);
        assert_memory_equal(buf, in->data + off + got, (size_t)n);
        got += (uint64_t)n;
    }
    assert_int_equal(got, len);
    free(buf);
}

static void read_chunks(input *in, iobuf_pool *pool, unsigned blocks, bool want_direct)
{
    for (uint64_t off = 0; off < in->size; off += CHUNK) {
        uint64_t len = in->size - off < CHUNK ? in->size - off : CHUNK;
        reader *r = reader_open(in->fd, off, len, pool, blocks);
        assert_non_null(r);
        assert_int_equal(reader_is_direct(r), want_direct);
        read_all(r, in, off, len);
        reader_close(r);
    }
}

static void test_cold_input_read_direct(void **state)
{
    input *in = *state;
    if (!drop_cache(in))
        skip();   /* a filesystem without O_DIRECT or whose cache stays */
    size_t sizes[] = { 64u << 10, 256u << 10, 1u << 20 };
    unsigned blocks[] = { 2, 3, 8 };
    for (size_t i = 0; i < 3; i++) {
        iobuf_pool *pool = iobuf_pool_new(sizes[i]);
        assert_non_null(pool);
        read_chunks(in, pool, blocks[i], true);
        iobuf_pool_free(pool);   /* every block is back: ASan checks the rest */
    }
    /* one chunk the size of the whole file, ending at its unaligned end */
    iobuf_pool *pool = iobuf_pool_new(1u << 20);
    reader *r = reader_open(in->fd, 0, in->size, pool, 4);
    assert_true(reader_is_direct(r));
    read_all(r, in, 0, in->size);
    reader_close(r);
    iobuf_pool_free(pool);
}

static void test_warm_input_read_through_cache(void **state)
{
    input *in = *state;
    warm_cache(in);
    iobuf_pool *pool = iobuf_pool_new(1u << 20);
    read_chunks(in, pool, 4, false);
    iobuf_pool_free(pool);
}

static void test_without_blocks_pread(void **state)
{
    input *in = *state;
    drop_cache(in);
    read_chunks(in, NULL, 4, false);   /* no pool */
    iobuf_pool *pool = iobuf_pool_new(256u << 10);
    drop_cache(in);
    read_chunks(in, pool, 1, false);   /* one block for a chunk of four */
    iobuf_pool_free(pool);
}

static void test_rewind(void **state)
{
    input *in = *state;
    bool cold = drop_cache(in);
    iobuf_pool *pool = iobuf_pool_new(256u << 10);
    reader *r = reader_open(in->fd, CHUNK, CHUNK, pool, 2);
    assert_int_equal(reader_is_direct(r), cold);
    char *buf = malloc(700000), err[256];
    size_t got = 0;
    while (got < 700000) {
        ssize_t n = reader_read(r, buf + got, 700000 - got, err, sizeof err);
        assert_true(n > 0);
        got += (size_t)n;
    }
    assert_memory_equal(buf, in->data + CHUNK, 700000);
    reader_rewind(r);
    read_all(r, in, CHUNK, CHUNK);
    reader_rewind(r);   /* after the end, too */
    read_all(r, in, CHUNK, CHUNK);
    assert_int_equal(reader_is_direct(r), cold);
    reader_close(r);
    free(buf);
    iobuf_pool_free(pool);
}

/* The chunk [2 MB, 3 MB) of a file cut at 2.5 MB: half the chunk comes,
 * then the error, from the direct path and from pread alike. */
static void test_file_shorter_than_chunk(void **state)
{
    input *in = *state;
    assert_int_equal(ftruncate(in->fd, 2 * CHUNK + CHUNK / 2), 0);
    for (int direct = 1; direct >= 0; direct--) {
        bool cold = drop_cache(in);
        iobuf_pool *pool = direct ? iobuf_pool_new(256u << 10) : NULL;
        reader *r = reader_open(in->fd, 2 * CHUNK, CHUNK, pool, 4);
        assert_int_equal(reader_is_direct(r), direct && cold);
        char buf[65536], err[256] = "";
        uint64_t got = 0;
        ssize_t n;
        while ((n = reader_read(r, buf, sizeof buf, err, sizeof err)) > 0) {
            assert_memory_equal(buf, in->data + 2 * CHUNK + got, (size_t)n);
            got += (uint64_t)n;
        }
        assert_int_equal(n, -1);
        assert_int_equal(got, CHUNK / 2);
        assert_non_null(strstr(err, "the file became shorter"));
        assert_non_null(strstr(err, "offset 2500000"));
        reader_close(r);
        iobuf_pool_free(pool);
    }
}

static void test_empty_and_tiny(void **state)
{
    input *in = *state;
    drop_cache(in);
    iobuf_pool *pool = iobuf_pool_new(64u << 10);
    char buf[16], err[256];
    reader *r = reader_open(in->fd, 5, 0, pool, 2);
    assert_int_equal(reader_read(r, buf, sizeof buf, err, sizeof err), 0);
    reader_close(r);
    /* 100 bytes at an odd offset: one block is enough */
    r = reader_open(in->fd, 4093, 100, pool, 1);
    read_all(r, in, 4093, 100);
    reader_close(r);
    reader_close(NULL);
    iobuf_pool_free(pool);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_cold_input_read_direct, setup, teardown),
        cmocka_unit_test_setup_teardown(test_warm_input_read_through_cache, setup, teardown),
        cmocka_unit_test_setup_teardown(test_without_blocks_pread, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rewind, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_shorter_than_chunk, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_and_tiny, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
