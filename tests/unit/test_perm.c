/* test_perm.c - who may do what to a file (perm.h), chmod/chown and their
 * rules, and the users of users.h: tokens made, looked up, expired and
 * revoked, and everything of it surviving a checkpoint and its replay. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "namespace.h"
#include "perm.h"
#include "record.h"
#include "users.h"

static ns_who who(const char *user, const char *group, bool super)
{
    ns_who w = { .super = super };
    strcpy(w.user, user);
    strcpy(w.group, group);
    return w;
}

/* A name's number in the namespace's set of owners and groups. */
#define ID(name) intern_id(#name)

static void test_mode_classes(void **state)
{
    (void)state;
    ns_node f = { .mode = 0640, .owner_id = ID(alice), .group_id = ID(staff) };
    ns_who alice = who("alice", "alice", false), bob = who("bob", "staff", false),
           eve = who("eve", "eve", false), root = who("admin", "admin", true);
    assert_true(perm_may(&f, &alice, PERM_READ | PERM_WRITE | PERM_OWN));
    assert_true(perm_may(&f, &bob, PERM_READ));          /* group class */
    assert_false(perm_may(&f, &bob, PERM_WRITE));
    assert_false(perm_may(&f, &bob, PERM_OWN));
    assert_false(perm_may(&f, &eve, PERM_READ));         /* other: nothing */
    assert_true(perm_may(&f, &root, PERM_READ | PERM_WRITE | PERM_OWN));
    assert_true(perm_may(&f, NULL, PERM_OWN));           /* an open master */
    f.mode = 0004;   /* others may read, the owner may not: classes do not add up */
    assert_false(perm_may(&f, &alice, PERM_READ));
    assert_true(perm_may(&f, &eve, PERM_READ));
    /* Made on an open master: nobody's, so a superuser's alone to change. */
    ns_node open = { .mode = 0644 };
    assert_true(perm_may(&open, &eve, PERM_READ));
    assert_false(perm_may(&open, &eve, PERM_WRITE));
    assert_false(perm_may(&open, &eve, PERM_OWN));
    assert_true(perm_may(&open, &root, PERM_OWN));
}

/* Every check wants x on each directory above: /home (0755) /home/alice
 * (varied) /home/alice/notes (0644). */
static void test_traversal(void **state)
{
    (void)state;
    ns_dir home = { .node = { .mode = 0755, .owner_id = ID(admin), .group_id = ID(admin),
                              .dir = true } };
    ns_dir mine = { .node = { .mode = 0700, .owner_id = ID(alice), .group_id = ID(staff),
                              .dir = true, .parent = &home } };
    ns_node notes = { .mode = 0644, .owner_id = ID(alice), .group_id = ID(staff), .parent = &mine };
    ns_who alice = who("alice", "staff", false), bob = who("bob", "staff", false),
           eve = who("eve", "eve", false), root = who("admin", "admin", true);
    assert_true(perm_may(&notes, &alice, PERM_READ | PERM_WRITE));
    assert_false(perm_may(&notes, &bob, PERM_READ));     /* 0644, behind a 0700 directory */
    assert_false(perm_may(&notes, &bob, 0));             /* not even reached */
    assert_true(perm_may(&notes, &root, PERM_READ));
    assert_true(perm_may(&notes, NULL, PERM_WRITE));
    mine.node.mode = 0750;                               /* the group may pass and list */
    assert_true(perm_may(&notes, &bob, PERM_READ));
    assert_false(perm_may(&notes, &eve, PERM_READ));
    mine.node.mode = 0711;                               /* others pass, cannot list */
    assert_true(perm_may(&notes, &eve, PERM_READ));
    assert_false(perm_may(&mine.node, &eve, PERM_READ));
    assert_false(perm_may_unlink(&mine, &notes, &eve));  /* w and x on the directory */
    mine.node.mode = 0773;
    assert_true(perm_may_unlink(&mine, &notes, &eve));
    mine.node.mode = 0772;                               /* w without x changes nothing */
    assert_false(perm_may_unlink(&mine, &notes, &eve));
    home.node.mode = 0750;                               /* a grandparent closed to others */
    mine.node.mode = 0777;
    assert_false(perm_may(&notes, &eve, PERM_READ));
    assert_false(perm_may(&mine.node, &eve, 0));
    assert_true(perm_may(&home.node, &eve, 0));          /* the root's x is its own */
}

static void test_create_overwrite_remove_checked(void **state)
{
    (void)state;
    ns_table *ns = namespace_new();
    ns_who alice = who("alice", "staff", false), bob = who("bob", "staff", false);
    uint64_t gen;
    char did[FILEID_LEN + 1], id[FILEID_LEN + 1];
    assert_int_equal(namespace_create(ns, "a", 0, 1000, 1, &alice, true, &gen, NULL), NS_OK);
    fileid_of_name("a", id);
    assert_int_equal(perm_check(ns, id, &bob, PERM_READ), NS_OK);
    assert_int_equal(perm_check(ns, id, &bob, PERM_WRITE), NS_FORBIDDEN);
    assert_int_equal(namespace_overwrite(ns, "a", 0, 1000, 1, &bob, &gen, did), NS_FORBIDDEN);
    ns_doomed d;
    assert_int_equal(namespace_remove(ns, "a", &bob, &d), NS_FORBIDDEN);
    /* chmod g+w: bob may overwrite now, and the file stays alice's. */
    assert_int_equal(perm_set(ns, "a", &bob, NULL, NULL, 0664), NS_FORBIDDEN);
    assert_int_equal(perm_set(ns, "a", &alice, NULL, NULL, 0664), NS_OK);
    assert_int_equal(namespace_overwrite(ns, "a", 0, 1000, 1, &bob, &gen, did), NS_OK);
    assert_int_equal(perm_check(ns, id, &bob, PERM_OWN), NS_FORBIDDEN);
    assert_int_equal(perm_check(ns, id, &alice, PERM_OWN), NS_OK);
    /* Only a superuser gives a file away; an owner changes its group only
     * to its own. */
    assert_int_equal(perm_set(ns, "a", &alice, "bob", NULL, -1), NS_FORBIDDEN);
    assert_int_equal(perm_set(ns, "a", &alice, NULL, "wheel", -1), NS_FORBIDDEN);
    ns_who root = who("admin", "admin", true);
    assert_int_equal(perm_set(ns, "a", &root, "bob", "wheel", -1), NS_OK);
    assert_int_equal(namespace_remove(ns, "a", &alice, &d), NS_FORBIDDEN);
    assert_int_equal(namespace_remove(ns, "a", &bob, &d), NS_OK);
    namespace_doomed_free(&d);
    assert_int_equal(perm_set(ns, "a", &root, NULL, NULL, 0600), NS_NOT_FOUND);
    assert_int_equal(perm_set(ns, "nope", &root, NULL, NULL, 02000), NS_BAD_SIZE);
    namespace_free(ns);
}

static void test_tokens(void **state)
{
    (void)state;
    ns_table *ns = namespace_new();
    char t1[USERS_TOKEN_LEN + 1], t2[USERS_TOKEN_LEN + 1];
    assert_int_equal(users_add(ns, "alice", "staff", false, 1000, 0, t1), NS_OK);
    assert_int_equal(users_add(ns, "bob", "staff", true, 1000, 5000, t2), NS_OK);
    assert_int_equal(strlen(t1), USERS_TOKEN_LEN);
    assert_string_not_equal(t1, t2);
    assert_int_equal(users_add(ns, "alice", "x", false, 1000, 0, t2), NS_EXISTS);
    assert_int_equal(users_add(ns, USERS_ADMIN, "x", false, 1000, 0, t2), NS_EXISTS);
    assert_int_equal(users_add(ns, "-rf", "x", false, 1000, 0, t2), NS_BAD_SIZE);
    assert_int_equal(users_add(ns, "a b", "x", false, 1000, 0, t2), NS_BAD_SIZE);
    ns_who w;
    assert_true(users_lookup(ns, t1, 2000, &w));
    assert_string_equal(w.user, "alice");
    assert_string_equal(w.group, "staff");
    assert_false(w.super);
    /* Expiry: good until the millisecond it ends. */
    char tb[USERS_TOKEN_LEN + 1];
    assert_int_equal(users_revoke(ns, "bob"), NS_OK);
    assert_int_equal(users_add(ns, "bob", "staff", true, 1000, 5000, tb), NS_OK);
    assert_true(users_lookup(ns, tb, 4999, &w));
    assert_true(w.super);
    assert_false(users_lookup(ns, tb, 5000, &w));
    /* Not a token at all, or one of another master. */
    assert_false(users_lookup(ns, "", 2000, &w));
    assert_false(users_lookup(ns, "zz", 2000, &w));
    char other[USERS_TOKEN_LEN + 1];
    memcpy(other, t1, sizeof other);
    other[0] = other[0] == 'a' ? 'b' : 'a';
    assert_false(users_lookup(ns, other, 2000, &w));
    char upper[USERS_TOKEN_LEN + 1];
    memcpy(upper, t1, sizeof upper);
    for (char *p = upper; *p; p++)
        if (*p >= 'a' && *p <= 'f')
            *p = (char)(*p - 'a' + 'A');
    if (strcmp(upper, t1) != 0)
        assert_false(users_lookup(ns, upper, 2000, &w));
    assert_int_equal(users_revoke(ns, "alice"), NS_OK);
    assert_false(users_lookup(ns, t1, 2000, &w));
    assert_int_equal(users_revoke(ns, "alice"), NS_NOT_FOUND);
    namespace_free(ns);
}

static bool replay_into(void *sink, const record *r)
{
    json_t *o = record_encode(r);
    char err[128];
    bool ok = o && record_replay(sink, o, err, sizeof err);
    json_decref(o);
    return ok;
}

/* Users, owners and modes come back from a checkpoint; revoked users do
 * not. */
static void test_checkpoint_keeps_them(void **state)
{
    (void)state;
    ns_table *ns = namespace_new(), *back = namespace_new();
    char ta[USERS_TOKEN_LEN + 1], tb[USERS_TOKEN_LEN + 1];
    assert_int_equal(users_add(ns, "alice", "staff", false, 1, 0, ta), NS_OK);
    assert_int_equal(users_add(ns, "bob", "bob", false, 1, 0, tb), NS_OK);
    assert_int_equal(users_revoke(ns, "bob"), NS_OK);
    ns_who alice = who("alice", "staff", false), bob = who("bob", "bob", false);
    uint64_t gen;
    assert_int_equal(namespace_create(ns, "secret", 0, 1000, 1, &alice, true, &gen, NULL), NS_OK);
    assert_int_equal(perm_set(ns, "secret", &alice, NULL, NULL, 0600), NS_OK);
    assert_int_equal(namespace_create(ns, "public", 0, 1000, 1, NULL, true, &gen, NULL), NS_OK);
    assert_true(namespace_dump(ns, replay_into, back));
    ns_who w;
    assert_true(users_lookup(back, ta, 2, &w));
    assert_string_equal(w.group, "staff");
    assert_false(users_lookup(back, tb, 2, &w));
    char id[FILEID_LEN + 1];
    fileid_of_name("secret", id);
    assert_int_equal(perm_check(back, id, &alice, PERM_READ | PERM_OWN), NS_OK);
    assert_int_equal(perm_check(back, id, &bob, PERM_READ), NS_FORBIDDEN);
    fileid_of_name("public", id);
    assert_int_equal(perm_check(back, id, &bob, PERM_READ), NS_OK);
    assert_int_equal(perm_check(back, id, &alice, PERM_OWN), NS_FORBIDDEN);
    namespace_free(ns);
    namespace_free(back);
}

/* Uploads in progress are bounded per user and in all; finishing or
 * removing one makes room. */
static void test_open_upload_limits(void **state)
{
    (void)state;
    ns_table *ns = namespace_new();
    char t[USERS_TOKEN_LEN + 1];
    assert_int_equal(users_add(ns, "alice", "staff", false, 1, 0, t), NS_OK);
    assert_int_equal(users_add(ns, "bob", "staff", false, 1, 0, t), NS_OK);
    namespace_set_limits(ns, 3, 2);
    ns_who alice = who("alice", "staff", false), bob = who("bob", "staff", false),
           root = who("admin", "admin", true);
    uint64_t gen, exp, ver;
    char did[FILEID_LEN + 1];
    assert_int_equal(namespace_create(ns, "a1", 2000, 1000, 1, &alice, true, &gen, NULL), NS_OK);
    assert_int_equal(namespace_create(ns, "a2", 2000, 1000, 1, &alice, true, &gen, NULL), NS_OK);
    assert_int_equal(namespace_create(ns, "a3", 2000, 1000, 1, &alice, true, &gen, NULL), NS_TOO_MANY);
    assert_int_equal(namespace_overwrite(ns, "a3", 2000, 1000, 1, &alice, &gen, did), NS_TOO_MANY);
    assert_int_equal(namespace_create(ns, "empty", 0, 1000, 1, &alice, true, &gen, NULL), NS_OK);  /* nothing to upload */
    assert_int_equal(namespace_open_uploads(ns, "alice"), 2);
    assert_int_equal(namespace_create(ns, "b1", 1000, 1000, 1, &bob, true, &gen, NULL), NS_OK);
    assert_int_equal(namespace_create(ns, "b2", 1000, 1000, 1, &bob, true, &gen, NULL), NS_TOO_MANY);  /* 3 in all */
    assert_int_equal(namespace_create(ns, "r1", 1000, 1000, 1, &root, true, &gen, NULL), NS_TOO_MANY);
    /* b1's only chunk stored: complete, no longer in progress. */
    char id[FILEID_LEN + 1];
    fileid_of_name("b1", id);
    assert_int_equal(namespace_report(ns, id, 0, 0, 1000, gen, NULL, &exp, &ver), NS_OK);
    assert_int_equal(namespace_open_uploads(ns, NULL), 2);
    assert_int_equal(namespace_create(ns, "b2", 1000, 1000, 1, &bob, true, &gen, NULL), NS_OK);
    /* Removing one of alice's makes room for her. */
    ns_doomed d;
    assert_int_equal(namespace_remove(ns, "a1", &alice, &d), NS_OK);
    namespace_doomed_free(&d);
    assert_int_equal(namespace_open_uploads(ns, "alice"), 1);
    assert_int_equal(namespace_create(ns, "a3", 2000, 1000, 1, &alice, true, &gen, NULL), NS_OK);
    namespace_free(ns);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mode_classes),
        cmocka_unit_test(test_traversal),
        cmocka_unit_test(test_create_overwrite_remove_checked),
        cmocka_unit_test(test_tokens),
        cmocka_unit_test(test_checkpoint_keeps_them),
        cmocka_unit_test(test_open_upload_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
