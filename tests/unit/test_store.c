/* test_store.c - chunk files on disk: temporary until published, never
 * replaced by accident, leftovers cleaned at open, the meta (version and
 * SHA-256) in the chunk's own extended attribute, directories of the meta
 * files of format 0 converted, bytes that fail their checksum never published, deletions
 * that spare newer versions, large chunks written in uneven pieces through
 * the aligned staging of direct I/O, room reserved up front, and many
 * chunks published at once (sharing the directory's fsync), each whole. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cmocka.h>

#include "sha256.h"
#include "store.h"

#define ID "0e5523056ab6dbb2a3bfa672b305d76b003954fa5a1bcc8de29528c2ad79b2ed_7"

static int setup(void **state)
{
    char *dir = strdup("/tmp/minidfs-test-store-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    *state = dir;
    return 0;
}

static int teardown(void **state)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", (char *)*state);
    int rc = system(cmd);
    free(*state);
    return rc == 0 ? 0 : -1;
}

/* The files in dir; in the temporaries' directory (.tmp) and its shards
 * (.tmp/0 to .tmp/7), what is in them, not the directories themselves. */
static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *de;
    bool in_tmp = strstr(dir, "/.tmp") != NULL;
    while ((de = readdir(d)) != NULL) {
        bool sub_dir = de->d_type == DT_DIR && strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
        if (!strcmp(de->d_name, ".tmp") || (in_tmp && sub_dir)) {
            char sub[4096];
            snprintf(sub, sizeof sub, "%s/%s", dir, de->d_name);
            n += count_entries(sub);
        } else if (de->d_name[0] != '.' || (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
                                            strcmp(de->d_name, ".lock"))) {
            n++;
        }
    }
    closedir(d);
    return n;
}

static void write_version(store *st, const char *text, uint64_t version, bool replace,
                          store_status want)
{
    char err[256];
    store_writer w;
    assert_int_equal(store_begin(st, ID, &w, err, sizeof err), STORE_OK);
    assert_int_equal(store_write(&w, text, strlen(text), err, sizeof err), STORE_OK);
    assert_int_equal(store_seal(&w, NULL, err, sizeof err), STORE_OK);
    assert_int_equal(store_finish(&w, version, err, sizeof err), STORE_OK);
    assert_int_equal(store_publish(&w, replace, err, sizeof err), want);
    store_discard(&w);
}

static void write_chunk(store *st, const char *text, bool replace, store_status want)
{
    char err[256];
    store_writer w;
    assert_int_equal(store_begin(st, ID, &w, err, sizeof err), STORE_OK);
    assert_int_equal(store_write(&w, text, strlen(text), err, sizeof err), STORE_OK);
    assert_int_equal(store_seal(&w, NULL, err, sizeof err), STORE_OK);
    assert_int_equal(store_finish(&w, 1, err, sizeof err), STORE_OK);
    assert_int_equal(store_publish(&w, replace, err, sizeof err), want);
    store_discard(&w);
}

static void read_back(store *st, const char *want)
{
    int fd;
    uint64_t size;
    char buf[64] = "";
    assert_int_equal(store_open_chunk(st, ID, &fd, &size), STORE_OK);
    assert_int_equal(size, strlen(want));
    assert_int_equal(read(fd, buf, sizeof buf), (ssize_t)strlen(want));
    close(fd);
    assert_string_equal(buf, want);
}

static void test_publish_then_read(void **state)
{
    char err[256];
    store *st = store_open(*state, err, sizeof err);
    assert_non_null(st);
    int fd;
    uint64_t size;
    assert_int_equal(store_open_chunk(st, ID, &fd, &size), STORE_NOT_FOUND);
    write_chunk(st, "hello", false, STORE_OK);
    read_back(st, "hello");
    assert_int_equal(count_entries(*state), 1);   /* the chunk alone: no meta file, no temporary */
    store_meta m;
    assert_int_equal(store_read_meta(st, ID, &m), STORE_OK);
    assert_int_equal(m.version, 1);
    assert_int_equal(m.size, 5);
    assert_string_equal(m.sha, "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
    store_close(st);
    /* on disk: one 56-byte attribute of the chunk file, which a restart reads back */
    char path[512];
    unsigned char attr[128];
    snprintf(path, sizeof path, "%s/%s", (char *)*state, ID);
    assert_int_equal(getxattr(path, "user.minidfs", attr, sizeof attr), 56);
    assert_memory_equal(attr, "mdfs\1\0\0\0\1\0\0\0\0\0\0\0\5\0\0\0\0\0\0\0", 24);
    assert_int_equal(attr[24], 0x2c);
    st = store_open(*state, err, sizeof err);
    memset(&m, 0, sizeof m);
    assert_int_equal(store_read_meta(st, ID, &m), STORE_OK);
    assert_int_equal(m.version, 1);
    assert_string_equal(m.sha, "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
    assert_int_equal(count_entries(*state), 1);
    store_close(st);
}

/* An attribute that is not ours is an unreadable meta, never a chunk of
 * version 0: it is left alone, and listed by nobody. */
static bool count_listed(void *ud, const char *id, const store_meta *m, int64_t age_ms)
{
    (void)id, (void)m, (void)age_ms;
    (*(int *)ud)++;
    return true;
}

static void test_foreign_attribute_unreadable(void **state)
{
    char err[256], path[512];
    store *st = store_open(*state, err, sizeof err);
    write_chunk(st, "hello", false, STORE_OK);
    snprintf(path, sizeof path, "%s/%s", (char *)*state, ID);
    assert_int_equal(setxattr(path, "user.minidfs", "not-ours", 8, 0), 0);
    store_meta m;
    assert_int_equal(store_read_meta(st, ID, &m), STORE_IO);
    int n = 0;
    store_list(st, count_listed, &n);
    assert_int_equal(n, 0);
    store_close(st);
    st = store_open(*state, err, sizeof err);   /* not re-hashed over it */
    assert_int_equal(store_read_meta(st, ID, &m), STORE_IO);
    read_back(st, "hello");
    store_close(st);
}

static void test_no_accidental_replace(void **state)
{
    char err[256];
    store *st = store_open(*state, err, sizeof err);
    write_chunk(st, "first", false, STORE_OK);
    write_chunk(st, "second", false, STORE_EXISTS);
    read_back(st, "first");
    write_chunk(st, "third", true, STORE_OK);
    read_back(st, "third");
    assert_int_equal(count_entries(*state), 1);
    assert_int_equal(store_remove(st, ID, 0), STORE_OK);
    assert_int_equal(store_remove(st, ID, 0), STORE_NOT_FOUND);
    assert_int_equal(count_entries(*state), 0);
    store_close(st);
}

static void test_unfinished_is_invisible_and_cleaned(void **state)
{
    char err[256];
    store *st = store_open(*state, err, sizeof err);
    store_writer w;
    assert_int_equal(store_begin(st, ID, &w, err, sizeof err), STORE_OK);
    assert_int_equal(store_write(&w, "partial", 7, err, sizeof err), STORE_OK);
    int fd;
    uint64_t size;
    assert_int_equal(store_open_chunk(st, ID, &fd, &size), STORE_NOT_FOUND);
    /* Simulate a crash: the writer is never finished or discarded. */
    close(w.fd);
    sha256_stream_free(w.hash);   /* (its staging buffer is the store's, freed with it) */
    assert_int_equal(count_entries(*state), 1);
    store_close(st);
    st = store_open(*state, err, sizeof err);
    assert_non_null(st);
    assert_int_equal(count_entries(*state), 0);
    store_close(st);
}

/* A crash in the middle of a publish's rename, on a filesystem without a
 * journal, can leave the temporary's name beside the chunk's, one inode
 * with one link: clearing temporaries at start must not remove that name
 * (the chunk's bytes would go with it), in a shard of .tmp or (an older
 * version's) in .tmp itself. An unrelated leftover still goes, from
 * either. */
static void test_leftover_name_of_a_chunk_spared(void **state)
{
    char err[256], chunk[4096], twin[4096], other[4096], twin2[4096], other2[4096];
    store *st = store_open(*state, err, sizeof err);
    assert_non_null(st);
    write_chunk(st, "hello", false, STORE_OK);
    store_close(st);
    snprintf(chunk, sizeof chunk, "%s/" ID, (char *)*state);
    snprintf(twin, sizeof twin, "%s/.tmp/3/.tmp-" ID "-1-1", (char *)*state);
    snprintf(other, sizeof other, "%s/.tmp/5/.tmp-" ID "-1-2", (char *)*state);
    snprintf(twin2, sizeof twin2, "%s/.tmp/.tmp-" ID "-1-3", (char *)*state);
    snprintf(other2, sizeof other2, "%s/.tmp/.tmp-" ID "-1-4", (char *)*state);
    assert_int_equal(link(chunk, twin), 0);
    assert_int_equal(link(chunk, twin2), 0);
    FILE *f = fopen(other, "w");
    assert_non_null(f);
    fclose(f);
    assert_non_null(f = fopen(other2, "w"));
    fclose(f);
    st = store_open(*state, err, sizeof err);
    assert_non_null(st);
    read_back(st, "hello");
    assert_int_equal(access(twin, F_OK), 0);
    assert_int_equal(access(twin2, F_OK), 0);
    assert_int_equal(access(other, F_OK), -1);
    assert_int_equal(access(other2, F_OK), -1);
    store_close(st);
}

static void test_discard_removes_temporary(void **state)
{
    char err[256];
    store *st = store_open(*state, err, sizeof err);
    store_writer w;
    assert_int_equal(store_begin(st, ID, &w, err, sizeof err), STORE_OK);
    assert_int_equal(store_write(&w, "x", 1, err, sizeof err), STORE_OK);
    store_discard(&w);
    assert_int_equal(count_entries(*state), 0);
    store_close(st);
}

static void test_bad_sum_never_published(void **state)
{
    char err[256];
    store *st = store_open(*state, err, sizeof err);
    store_writer w;
    assert_int_equal(store_begin(st, ID, &w, err, sizeof err), STORE_OK);
    assert_int_equal(store_write(&w, "hello", 5, err, sizeof err), STORE_OK);
    /* the SHA-256 of "hellO" */
    assert_int_equal(store_seal(&w, "3b1b7e5ba7d7d1b1a4d9f2fc3c2d6e0b7a5e1d59d1e9c0b1f5f5b8d2a5c6e7f8",
                                err, sizeof err), STORE_BAD_SUM);
    store_discard(&w);
    assert_int_equal(count_entries(*state), 0);
    int fd;
    uint64_t size;
    assert_int_equal(store_open_chunk(st, ID, &fd, &size), STORE_NOT_FOUND);
    store_close(st);
}

static void test_remove_spares_newer(void **state)
{
    char err[256];
    store *st = store_open(*state, err, sizeof err);
    write_version(st, "v7", 7, false, STORE_OK);
    /* a late deletion of version 5 must not take out version 7 */
    assert_int_equal(store_remove(st, ID, 5), STORE_NEWER);
    read_back(st, "v7");
    assert_int_equal(store_remove(st, ID, 7), STORE_OK);
    assert_int_equal(count_entries(*state), 0);
    store_close(st);
}

static bool collect(void *ud, const char *id, const store_meta *m, int64_t age_ms)
{
    int *n = ud;
    assert_string_equal(id, ID);
    assert_int_equal(m->version, 0);
    assert_int_equal(m->size, 5);
    assert_true(age_ms >= 0);
    (*n)++;
    return true;
}

static void test_chunk_without_meta_adopted(void **state)
{
    char err[256], path[512];
    /* a chunk file the Go path wrote, without any meta */
    snprintf(path, sizeof path, "%s/%s", (char *)*state, ID);
    FILE *f = fopen(path, "w");
    fputs("hello", f);
    fclose(f);
    snprintf(path, sizeof path, "%s/%s_9.meta", (char *)*state, "0e5523056ab6dbb2a3bfa672b305d76b003954fa5a1bcc8de29528c2ad79b2ed");
    f = fopen(path, "w");   /* and a meta whose chunk is gone */
    fputs("{}", f);
    fclose(f);
    store *st = store_open(*state, err, sizeof err);
    assert_non_null(st);
    assert_int_equal(count_entries(*state), 1);   /* the stray meta file went */
    int n = 0;
    store_list(st, collect, &n);
    assert_int_equal(n, 1);
    store_meta m;
    assert_int_equal(store_read_meta(st, ID, &m), STORE_OK);
    assert_string_equal(m.sha, "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
    store_close(st);
}

static void put_file(const char *dir, const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static void put_meta_file(const char *dir, const char *suffix, uint64_t version,
                          const char *text)
{
    char name[256], json[256], sha[SHA256_HEX_LEN + 1];
    assert_true(sha256_hex(text, strlen(text), sha));
    snprintf(name, sizeof name, "%s%s", ID, suffix);
    snprintf(json, sizeof json, "{\"version\":%llu,\"size\":%zu,\"sha256\":\"%s\"}",
             (unsigned long long)version, strlen(text), sha);
    put_file(dir, name, json);
}

static uint64_t version_after_open(const char *dir)
{
    char err[256];
    store *st = store_open(dir, err, sizeof err);
    assert_non_null(st);
    store_meta m;
    assert_int_equal(store_read_meta(st, ID, &m), STORE_OK);
    store_close(st);
    assert_int_equal(count_entries(dir), 1);   /* the meta files are gone */
    return m.version;
}

/* A directory of format 0 (a "<id>.meta" JSON file beside each chunk)
 * takes the new format at open, and keeps every version. */
static void test_format0_meta_converted(void **state)
{
    put_file(*state, ID, "hello");
    put_meta_file(*state, ".meta", 9, "hello");
    assert_int_equal(version_after_open(*state), 9);
    assert_int_equal(version_after_open(*state), 9);   /* and stays so */
}

/* Format 0's replacement cut by a crash between its names: the meta that
 * matches the bytes on disk is the one kept. */
static void test_format0_interrupted_replace_settled(void **state)
{
    char err[256];
    /* the new meta got its pending name, the new bytes did not land */
    put_file(*state, ID, "old");
    put_meta_file(*state, ".meta", 3, "old");
    put_meta_file(*state, ".meta-pending", 4, "hello");
    assert_int_equal(version_after_open(*state), 3);   /* the old pair stands */
    store *st = store_open(*state, err, sizeof err);
    read_back(st, "old");
    store_close(st);
    /* now the new bytes did land: the pending meta is theirs */
    put_file(*state, ID, "hello");
    char path[512];
    snprintf(path, sizeof path, "%s/%s", (char *)*state, ID);
    removexattr(path, "user.minidfs");   /* as format 0 had it: no attribute */
    put_meta_file(*state, ".meta", 3, "old");
    put_meta_file(*state, ".meta-pending", 4, "hello");
    assert_int_equal(version_after_open(*state), 4);
}

/* A check that judged one copy never removes the copy that replaced it. */
static void test_remove_exact_spares_replacement(void **state)
{
    char err[256];
    store *st = store_open(*state, err, sizeof err);
    write_version(st, "v1", 1, false, STORE_OK);
    store_meta judged;
    assert_int_equal(store_read_meta(st, ID, &judged), STORE_OK);
    write_version(st, "v2", 2, true, STORE_OK);
    assert_int_equal(store_remove_exact(st, ID, &judged), STORE_NEWER);
    read_back(st, "v2");
    store_meta now;
    assert_int_equal(store_read_meta(st, ID, &now), STORE_OK);
    assert_int_equal(store_remove_exact(st, ID, &now), STORE_OK);
    assert_int_equal(count_entries(*state), 0);
    store_close(st);
}

/* Pieces of every awkward size: smaller than a block, straddling the
 * staging buffer's end, larger than it, ending off a block boundary. */
static void test_large_uneven_writes(void **state)
{
    char err[256];
    store *st = store_open(*state, err, sizeof err);
    assert_non_null(st);
    const size_t pieces[] = { 1, 4095, 4097, 65536, 1048575, 3, 2 * 1048576 + 17, 512, 77777 };
    size_t total = 0;
    for (size_t i = 0; i < sizeof pieces / sizeof *pieces; i++)
        total += pieces[i];
    unsigned char *data = malloc(total);
    assert_non_null(data);
    for (size_t i = 0; i < total; i++)
        data[i] = (unsigned char)(i * 2654435761u >> 13);
    store_writer w;
    assert_int_equal(store_begin(st, ID, &w, err, sizeof err), STORE_OK);
    assert_int_equal(store_reserve(&w, total, err, sizeof err), STORE_OK);
    struct stat sb;
    assert_int_equal(fstat(w.fd, &sb), 0);
    assert_int_equal(sb.st_size, 0);   /* reserved room is not size */
    size_t at = 0;
    for (size_t i = 0; i < sizeof pieces / sizeof *pieces; i++) {
        assert_int_equal(store_write(&w, data + at, pieces[i], err, sizeof err), STORE_OK);
        at += pieces[i];
    }
    char want[SHA256_HEX_LEN + 1];
    assert_true(sha256_hex(data, total, want));
    assert_int_equal(store_seal(&w, want, err, sizeof err), STORE_OK);
    assert_int_equal(store_finish(&w, 3, err, sizeof err), STORE_OK);
    assert_int_equal(store_publish(&w, false, err, sizeof err), STORE_OK);
    store_discard(&w);

    int fd;
    uint64_t size;
    assert_int_equal(store_open_chunk(st, ID, &fd, &size), STORE_OK);
    assert_int_equal(size, total);
    unsigned char *back = malloc(total + 1);
    assert_non_null(back);
    assert_int_equal(pread(fd, back, total + 1, 0), (ssize_t)total);
    close(fd);
    assert_memory_equal(back, data, total);
    store_meta m;
    assert_int_equal(store_read_meta(st, ID, &m), STORE_OK);
    assert_int_equal(m.size, total);
    assert_string_equal(m.sha, want);
    free(back);
    free(data);
    store_close(st);
}

/* A writer told not to hash takes the expected checksum on trust until
 * store_check_deferred reads the bytes back: right ones pass, wrong ones
 * are refused. */
static void test_deferred_hash_checked_from_disk(void **state)
{
    char err[256], good[SHA256_HEX_LEN + 1];
    store *st = store_open(*state, err, sizeof err);
    assert_non_null(st);
    assert_true(sha256_hex("hello", 5, good));
    const char *bad = "0000000000000000000000000000000000000000000000000000000000000000";
    for (int round = 0; round < 2; round++) {
        const char *claim = round == 0 ? bad : good;
        store_writer w;
        assert_int_equal(store_begin(st, ID, &w, err, sizeof err), STORE_OK);
        store_defer_hash(&w);
        assert_int_equal(store_write(&w, "hello", 5, err, sizeof err), STORE_OK);
        assert_int_equal(store_seal(&w, claim, err, sizeof err), STORE_OK);
        assert_string_equal(w.part_sha, claim);
        assert_int_equal(store_finish(&w, 1, err, sizeof err), STORE_OK);
        assert_int_equal(store_check_deferred(&w, err, sizeof err),
                         round == 0 ? STORE_BAD_SUM : STORE_OK);
        if (round == 1)
            assert_int_equal(store_publish(&w, false, err, sizeof err), STORE_OK);
        store_discard(&w);
    }
    read_back(st, "hello");
    store_meta m;
    assert_int_equal(store_read_meta(st, ID, &m), STORE_OK);
    assert_string_equal(m.sha, good);
    store_close(st);
}

/* Room a disk cannot hold is refused before any byte is sent. */
static void test_reserve_too_much(void **state)
{
    char err[256];
    store *st = store_open(*state, err, sizeof err);
    assert_non_null(st);
    store_writer w;
    assert_int_equal(store_begin(st, ID, &w, err, sizeof err), STORE_OK);
    if (fallocate(w.fd, FALLOC_FL_KEEP_SIZE, 0, 4096) != 0) {
        store_discard(&w);
        store_close(st);
        skip();   /* no fallocate on this filesystem: nothing to reserve with */
    }
    assert_int_equal(store_reserve(&w, 8ull << 40, err, sizeof err), STORE_NO_SPACE);
    assert_non_null(strstr(err, "no room"));
    store_discard(&w);
    assert_int_equal(count_entries(*state), 0);
    store_close(st);
}

static void test_creates_nested_dir(void **state)
{
    char err[256], dir[512];
    snprintf(dir, sizeof dir, "%s/a/b/c", (char *)*state);
    store *st = store_open(dir, err, sizeof err);
    assert_non_null(st);
    write_chunk(st, "x", false, STORE_OK);
    store_close(st);
}

/* One store per directory: a second open (another chunkserver started on
 * the same --dir) is refused and names the holder; once the first closes,
 * the directory is free again. */
static void test_directory_lock(void **state)
{
    char err[512] = "";
    store *st = store_open(*state, err, sizeof err);
    assert_non_null(st);
    store *again = store_open(*state, err, sizeof err);
    assert_null(again);
    char pid[32];
    snprintf(pid, sizeof pid, "pid %ld", (long)getpid());
    assert_non_null(strstr(err, "in use by another chunkserver"));
    assert_non_null(strstr(err, pid));
    store_close(st);
    st = store_open(*state, err, sizeof err);
    assert_non_null(st);
    store_close(st);
}

/* Publishers at once: each thread writes its own chunks; every publish
 * must succeed (the group commit of the directory's fsync answers each
 * one) and every chunk read back whole. */
#define PAR_THREADS 8
#define PAR_EACH 40

typedef struct {
    store *st;
    int t;
    int failures;
} par_arg;

static void par_id(int t, int i, char out[80])
{
    snprintf(out, 80, "%.64s_%d", ID, t * PAR_EACH + i);
}

static void *par_publisher(void *arg)
{
    par_arg *a = arg;
    for (int i = 0; i < PAR_EACH; i++) {
        char id[80], body[32], err[256];
        par_id(a->t, i, id);
        snprintf(body, sizeof body, "chunk %d of %d", i, a->t);
        store_writer w;
        if (store_begin(a->st, id, &w, err, sizeof err) != STORE_OK) {
            a->failures++;
            continue;
        }
        if (store_write(&w, body, strlen(body), err, sizeof err) != STORE_OK ||
            store_seal(&w, NULL, err, sizeof err) != STORE_OK ||
            store_finish(&w, 1, err, sizeof err) != STORE_OK ||
            store_publish(&w, false, err, sizeof err) != STORE_OK)
            a->failures++;
        store_discard(&w);
    }
    return NULL;
}

static void test_parallel_publishers(void **state)
{
    char err[256];
    store *st = store_open(*state, err, sizeof err);
    assert_non_null(st);
    pthread_t th[PAR_THREADS];
    par_arg args[PAR_THREADS];
    for (int t = 0; t < PAR_THREADS; t++) {
        args[t] = (par_arg){ .st = st, .t = t };
        assert_int_equal(pthread_create(&th[t], NULL, par_publisher, &args[t]), 0);
    }
    for (int t = 0; t < PAR_THREADS; t++) {
        pthread_join(th[t], NULL);
        assert_int_equal(args[t].failures, 0);
    }
    for (int t = 0; t < PAR_THREADS; t++)
        for (int i = 0; i < PAR_EACH; i++) {
            char id[80], want[32], got[32] = "";
            par_id(t, i, id);
            snprintf(want, sizeof want, "chunk %d of %d", i, t);
            int fd;
            uint64_t size;
            assert_int_equal(store_open_chunk(st, id, &fd, &size), STORE_OK);
            assert_int_equal(size, strlen(want));
            assert_int_equal(read(fd, got, sizeof got), (ssize_t)strlen(want));
            close(fd);
            assert_string_equal(got, want);
        }
    assert_int_equal(count_entries(*state), PAR_THREADS * PAR_EACH);   /* no temporaries */
    store_close(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_directory_lock, setup, teardown),
        cmocka_unit_test_setup_teardown(test_publish_then_read, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_accidental_replace, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unfinished_is_invisible_and_cleaned, setup, teardown),
        cmocka_unit_test_setup_teardown(test_discard_removes_temporary, setup, teardown),
        cmocka_unit_test_setup_teardown(test_leftover_name_of_a_chunk_spared, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_sum_never_published, setup, teardown),
        cmocka_unit_test_setup_teardown(test_remove_spares_newer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_chunk_without_meta_adopted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_format0_meta_converted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_format0_interrupted_replace_settled, setup, teardown),
        cmocka_unit_test_setup_teardown(test_foreign_attribute_unreadable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_remove_exact_spares_replacement, setup, teardown),
        cmocka_unit_test_setup_teardown(test_creates_nested_dir, setup, teardown),
        cmocka_unit_test_setup_teardown(test_large_uneven_writes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reserve_too_much, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deferred_hash_checked_from_disk, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parallel_publishers, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
