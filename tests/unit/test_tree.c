/* test_tree.c - the directory tree: paths in any spelling, a big directory
 * listed in pages in order, renames that keep identifiers and move the
 * path keys (for files whose identifier is one of their path's, or
 * neither), names kept in their node's allocation or on the heap as
 * renames make them shorter or longer (an overwrite's swap too), recursive
 * removal, du, and the replay of the tree's records (idempotent over a
 * later checkpoint). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "namespace.h"
#include "nscheck.h"
#include "nspath.h"

static void roundtrip(ns_table *ns)
{
    char err[1024];
    if (!nscheck_roundtrip(ns, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        fail();
    }
}

static void found(const ns_node *n, void *ud)
{
    *(const ns_node **)ud = n;
}

static bool is_at(ns_table *ns, const char *path)
{
    const ns_node *n = NULL;
    return namespace_with_path(ns, path, NULL, found, &n) == NS_OK && n;
}

static void nothing(const ns_file *f, void *ud)
{
    (void)f;
    (void)ud;
}

/* Whether /get would find a file by the identifier of this spelling. */
static bool found_by(ns_table *ns, const char *spelling)
{
    char id[FILEID_LEN + 1];
    fileid_of_name(spelling, id);
    return namespace_with_file(ns, id, nothing, NULL) == NS_OK;
}

static void test_spellings_and_parents(void **state)
{
    (void)state;
    ns_table *ns = namespace_new();
    uint64_t gen;
    char id[FILEID_LEN + 1], want[FILEID_LEN + 1];
    assert_int_equal(namespace_create(ns, "logs//2026/./a.txt", 0, 1000, 1, NULL, false, &gen, id),
                     NS_OK);
    fileid_of_name("logs/2026/a.txt", want);   /* the seed's spelling of the path */
    assert_string_equal(id, want);
    for (const char *p = "/logs/2026/a.txt\0logs/2026/a.txt\0/logs/2026/a.txt/\0"; *p;
         p += strlen(p) + 1)
        assert_int_equal(namespace_create(ns, p, 0, 1000, 1, NULL, false, &gen, NULL), NS_EXISTS);
    assert_true(is_at(ns, "/logs") && is_at(ns, "/logs/2026"));
    assert_true(found_by(ns, "logs/2026/a.txt") && found_by(ns, "/logs/2026/a.txt"));
    /* a file where a directory would be, and the other way round */
    assert_int_equal(namespace_create(ns, "/logs/2026/a.txt/b", 0, 1000, 1, NULL, false, &gen, NULL),
                     NS_NOT_DIR);
    assert_int_equal(namespace_create(ns, "/logs", 0, 1000, 1, NULL, false, &gen, NULL), NS_IS_DIR);
    assert_int_equal(namespace_create(ns, "/a/../b", 0, 1000, 1, NULL, false, &gen, NULL),
                     NS_BAD_PATH);
    assert_int_equal(namespace_create(ns, "/", 0, 1000, 1, NULL, false, &gen, NULL), NS_BAD_PATH);
    assert_int_equal(namespace_mkdir(ns, "/x/y", false, 0755, NULL), NS_NOT_FOUND);
    assert_int_equal(namespace_mkdir(ns, "/x/y", true, 0755, NULL), NS_OK);
    assert_int_equal(namespace_mkdir(ns, "/x/y", true, 0755, NULL), NS_OK);
    assert_int_equal(namespace_mkdir(ns, "/x/y", false, 0755, NULL), NS_EXISTS);
    assert_int_equal(namespace_dir_count(ns), 5);   /* /, /logs, /logs/2026, /x, /x/y */
    roundtrip(ns);
    namespace_free(ns);
}

typedef struct {
    char last[64];
    size_t n;
    bool ordered;
} pager;

static void page_entry(const ns_node *n, void *ud)
{
    pager *p = ud;
    if (p->n && strcmp(p->last, namespace_node_name(n)) >= 0)
        p->ordered = false;
    snprintf(p->last, sizeof p->last, "%s", namespace_node_name(n));
    p->n++;
}

static void test_big_directory_in_pages(void **state)
{
    (void)state;
    ns_table *ns = namespace_new();
    uint64_t gen;
    char name[64];
    for (int i = 0; i < 20000; i++) {
        snprintf(name, sizeof name, "/big/f%07d", (i * 7919) % 20000);   /* out of order */
        assert_int_equal(namespace_create(ns, name, 0, 1000, 1, NULL, false, &gen, NULL), NS_OK);
    }
    pager p = { .ordered = true };
    bool more = true;
    size_t pages = 0;
    while (more) {
        size_t before = p.n;
        assert_int_equal(namespace_list(ns, "/big", p.last, 1000, NULL, page_entry, &p, &more),
                         NS_OK);
        assert_true(p.n - before <= 1000);
        pages++;
    }
    assert_int_equal(p.n, 20000);
    assert_true(p.ordered);
    assert_int_equal(pages, 20);
    /* remove every other one; the rest still list, in order */
    for (int i = 0; i < 20000; i += 2) {
        ns_doomed d;
        snprintf(name, sizeof name, "/big/f%07d", i);
        assert_int_equal(namespace_remove(ns, name, NULL, &d), NS_OK);
        namespace_doomed_free(&d);
    }
    p = (pager){ .ordered = true };
    more = true;
    while (more)
        assert_int_equal(namespace_list(ns, "/big", p.last, 777, NULL, page_entry, &p, &more), NS_OK);
    assert_int_equal(p.n, 10000);
    assert_true(p.ordered);
    namespace_free(ns);
}

static void test_rename_moves_paths_not_ids(void **state)
{
    (void)state;
    ns_table *ns = namespace_new();
    uint64_t gen;
    char id[FILEID_LEN + 1], after[FILEID_LEN + 1];
    assert_int_equal(namespace_create(ns, "/d/sub/f", 0, 1000, 1, NULL, false, &gen, id), NS_OK);
    assert_int_equal(namespace_rename(ns, "/d", "/e", false, NULL), NS_OK);
    assert_false(is_at(ns, "/d"));
    assert_true(is_at(ns, "/e/sub/f"));
    assert_true(found_by(ns, "e/sub/f") && found_by(ns, "/e/sub/f"));
    assert_false(found_by(ns, "d/sub/f") || found_by(ns, "/d/sub/f"));
    /* the path's identifier is still the renamed file's: a client that
     * cannot take another is refused; one that can gets a data identifier */
    assert_int_equal(namespace_create(ns, "/d/sub/f", 0, 1000, 1, NULL, false, &gen, NULL),
                     NS_ID_TAKEN);
    assert_int_equal(namespace_create(ns, "d/sub/f", 0, 1000, 1, NULL, true, &gen, after), NS_OK);
    assert_string_not_equal(id, after);
    assert_true(found_by(ns, "d/sub/f"));
    /* refusals */
    assert_int_equal(namespace_rename(ns, "/e", "/e/sub/x", false, NULL), NS_INVALID);
    assert_int_equal(namespace_rename(ns, "/", "/z", false, NULL), NS_INVALID);
    assert_int_equal(namespace_rename(ns, "/e/sub/f", "/d/sub/f", false, NULL), NS_EXISTS);
    assert_int_equal(namespace_rename(ns, "/e/sub/f", "/nope/f", false, NULL), NS_NOT_FOUND);
    assert_int_equal(namespace_rename(ns, "/e/sub/f", "/d", true, NULL), NS_IS_DIR);
    assert_int_equal(namespace_rename(ns, "/e", "/d/sub/f", true, NULL), NS_NOT_DIR);
    assert_int_equal(namespace_rename(ns, "/e", "/d", true, NULL), NS_NOT_EMPTY);
    /* replace: a file by a file */
    assert_int_equal(namespace_rename(ns, "/e/sub/f", "/d/sub/f", true, NULL), NS_OK);
    assert_true(found_by(ns, "d/sub/f"));
    assert_true(is_at(ns, "/d/sub/f") && !is_at(ns, "/e/sub/f"));
    roundtrip(ns);
    namespace_free(ns);
}

/* The path keys hold a file by the identifier of its path that its own
 * identifier is not, and by both when it is neither (a renamed file, a
 * data identifier): every kind is found by both spellings of its path,
 * by neither once moved on or removed, and thousands of renamed files
 * grow the second table past its first size. */
static void test_path_keys_every_kind(void **state)
{
    (void)state;
    ns_table *ns = namespace_new();
    uint64_t gen;
    char name[64], to[64];
    /* natural in each spelling, and a data identifier */
    assert_int_equal(namespace_create(ns, "plain", 0, 1000, 1, NULL, false, &gen, NULL), NS_OK);
    assert_int_equal(namespace_create(ns, "/slashed", 0, 1000, 1, NULL, false, &gen, NULL), NS_OK);
    assert_int_equal(namespace_rename(ns, "/plain", "/gone", false, NULL), NS_OK);
    assert_int_equal(namespace_create(ns, "plain", 0, 1000, 1, NULL, true, &gen, NULL), NS_OK);
    for (const char *p = "plain\0/plain\0slashed\0/slashed\0gone\0/gone\0"; *p; p += strlen(p) + 1)
        assert_true(found_by(ns, p));
    /* back where it was made: its own identifier is its path's again */
    ns_doomed d;
    assert_int_equal(namespace_remove(ns, "/plain", NULL, &d), NS_OK);
    namespace_doomed_free(&d);
    assert_int_equal(namespace_rename(ns, "/gone", "/plain", false, NULL), NS_OK);
    assert_true(found_by(ns, "plain") && found_by(ns, "/plain"));
    assert_false(found_by(ns, "gone") || found_by(ns, "/gone"));
    /* many renamed, half removed */
    for (int i = 0; i < 3000; i++) {
        snprintf(name, sizeof name, "/r/f%d", i);
        snprintf(to, sizeof to, "/s/g%d", i);
        assert_int_equal(namespace_create(ns, name, 0, 1000, 1, NULL, false, &gen, NULL), NS_OK);
        assert_int_equal(namespace_mkdir(ns, "/s", true, 0755, NULL), NS_OK);
        assert_int_equal(namespace_rename(ns, name, to, false, NULL), NS_OK);
    }
    for (int i = 0; i < 3000; i += 2) {
        snprintf(to, sizeof to, "/s/g%d", i);
        assert_int_equal(namespace_remove(ns, to, NULL, &d), NS_OK);
        namespace_doomed_free(&d);
    }
    for (int i = 0; i < 3000; i++) {
        snprintf(name, sizeof name, "/r/f%d", i);
        snprintf(to, sizeof to, "/s/g%d", i);
        assert_false(found_by(ns, name) || found_by(ns, name + 1));
        assert_true(found_by(ns, to) == (i % 2 == 1) && found_by(ns, to + 1) == (i % 2 == 1));
    }
    /* a directory moved: the files beneath are keyed by their new paths */
    assert_int_equal(namespace_rename(ns, "/s", "/t", false, NULL), NS_OK);
    assert_true(found_by(ns, "/t/g1") && found_by(ns, "t/g2999") && !found_by(ns, "/s/g1"));
    roundtrip(ns);
    namespace_free(ns);
}

static void test_names_shorter_and_longer(void **state)
{
    (void)state;
    ns_table *ns = namespace_new();
    uint64_t gen, v;
    char id[FILEID_LEN + 1], dataid[FILEID_LEN + 1];
    assert_int_equal(namespace_create(ns, "/n/ab", 0, 1000, 1, NULL, true, &gen, id), NS_OK);
    assert_int_equal(namespace_rename(ns, "/n/ab", "/n/a-much-longer-name", false, NULL), NS_OK);
    assert_true(is_at(ns, "/n/a-much-longer-name") && !is_at(ns, "/n/ab"));
    assert_int_equal(namespace_rename(ns, "/n/a-much-longer-name", "/n/b", false, NULL), NS_OK);
    assert_true(is_at(ns, "/n/b"));
    assert_int_equal(namespace_rename(ns, "/n", "/a-longer-directory", false, NULL), NS_OK);
    assert_int_equal(namespace_rename(ns, "/a-longer-directory", "/m", false, NULL), NS_OK);
    assert_true(is_at(ns, "/m/b"));
    /* an overwrite of a file renamed while its new version is written:
     * the new version takes the file's place under its new, longer name */
    assert_int_equal(namespace_create(ns, "/o/x", 0, 1000, 1, NULL, true, &gen, id), NS_OK);
    assert_int_equal(namespace_overwrite(ns, "/o/x", 10, 1000, 1, NULL, &gen, dataid), NS_OK);
    assert_int_equal(namespace_rename(ns, "/o/x", "/o/renamed-while-written", false, NULL), NS_OK);
    uint64_t expected;
    assert_int_equal(namespace_report(ns, dataid, 0, 0, 10, gen, NULL, &expected, &v), NS_OK);
    const ns_node *n = NULL;
    assert_int_equal(namespace_with_path(ns, "/o/renamed-while-written", NULL, found, &n), NS_OK);
    assert_non_null(n);
    assert_int_equal(((const ns_file *)n)->size, 10);
    assert_string_equal(namespace_node_name(n), "renamed-while-written");
    assert_false(is_at(ns, "/o/x"));
    roundtrip(ns);
    namespace_free(ns);
}

static void test_remove_trees_and_du(void **state)
{
    (void)state;
    ns_table *ns = namespace_new();
    uint64_t gen;
    char name[64];
    for (int i = 0; i < 300; i++) {
        snprintf(name, sizeof name, "/t/d%d/f%d", i % 7, i);
        assert_int_equal(namespace_create(ns, name, 2500, 1000, 2, NULL, false, &gen, NULL), NS_OK);
    }
    ns_usage u;
    assert_int_equal(namespace_du(ns, "/t", NULL, &u), NS_OK);
    assert_int_equal(u.files, 300);
    assert_int_equal(u.dirs, 8);
    assert_int_equal(u.bytes, 300 * 2500);
    assert_int_equal(u.chunks, 300 * 3);
    assert_int_equal(u.stored_bytes, 2 * 300 * 2500);
    size_t n;
    assert_int_equal(namespace_remove_path(ns, "/t", false, NULL, &n), NS_NOT_EMPTY);
    assert_int_equal(namespace_remove_path(ns, "/", true, NULL, &n), NS_INVALID);
    assert_int_equal(namespace_remove_path(ns, "/t/d3", true, NULL, &n), NS_OK);
    assert_int_equal(n, 43);
    roundtrip(ns);
    assert_int_equal(namespace_remove_path(ns, "/t", true, NULL, &n), NS_OK);
    assert_int_equal(n, 257);
    assert_int_equal(namespace_count(ns), 0);
    assert_int_equal(namespace_dir_count(ns), 1);
    namespace_free(ns);
}

/* A rename record replayed over a checkpoint that already holds it, and a
 * later file of the same path, changes nothing. */
static void test_rename_replay_is_idempotent(void **state)
{
    (void)state;
    ns_table *ns = namespace_new();
    uint64_t gen;
    assert_int_equal(namespace_create(ns, "/a", 0, 1000, 1, NULL, false, &gen, NULL), NS_OK);
    record r = { .kind = RECORD_RENAME, .gen = gen, .time_ms = 5 };
    r.name = strdup("/a");
    r.to = strdup("/b");
    assert_true(namespace_apply(ns, &r));   /* the first time: moves it */
    assert_true(is_at(ns, "/b") && !is_at(ns, "/a"));
    assert_int_equal(namespace_create(ns, "/a", 0, 1000, 1, NULL, true, &gen, NULL), NS_OK);
    assert_true(namespace_apply(ns, &r));   /* again: the new /a is another file */
    assert_true(is_at(ns, "/a") && is_at(ns, "/b"));
    record_clear(&r);
    /* an rmtree of a directory made again since */
    assert_int_equal(namespace_mkdir(ns, "/dir", false, 0755, NULL), NS_OK);
    r = (record){ .kind = RECORD_RMTREE, .gen = 1, .time_ms = 6 };
    r.name = strdup("/dir");
    assert_true(namespace_apply(ns, &r));
    assert_true(is_at(ns, "/dir"));
    record_clear(&r);
    roundtrip(ns);
    namespace_free(ns);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spellings_and_parents),
        cmocka_unit_test(test_big_directory_in_pages),
        cmocka_unit_test(test_rename_moves_paths_not_ids),
        cmocka_unit_test(test_path_keys_every_kind),
        cmocka_unit_test(test_names_shorter_and_longer),
        cmocka_unit_test(test_remove_trees_and_du),
        cmocka_unit_test(test_rename_replay_is_idempotent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
