/* test_auth.c - the cluster key, request signatures and capabilities: a
 * signed request verifies once; another key, an altered method, target or
 * body, a stale or future time, a replay and a malformed header are each
 * refused; a capability serves its chunk and operation until it expires. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "auth.h"

#define BODY "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define NOW 1800000000000LL

static void test_key_files(void **state)
{
    (void)state;
    char dir[] = "/tmp/test_auth.XXXXXX", path[64];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/cluster.key", dir);
    auth_key a, b;
    char err[256];
    assert_true(auth_key_create(path, &a, err, sizeof err));
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_false(auth_key_create(path, &b, err, sizeof err));   /* never overwritten */
    assert_true(auth_key_load(path, &b, err, sizeof err));
    assert_memory_equal(a.k, b.k, sizeof a.k);
    chmod(path, 0644);
    assert_false(auth_key_load(path, &b, err, sizeof err));
    assert_non_null(strstr(err, "chmod 600"));
    FILE *f = fopen(path, "w");
    fputs("not a key\n", f);
    fclose(f);
    chmod(path, 0600);
    assert_false(auth_key_load(path, &b, err, sizeof err));
    unlink(path);
    assert_false(auth_key_load(path, &b, err, sizeof err));
    rmdir(dir);
}

static void test_signed_request_verifies_once(void **state)
{
    (void)state;
    auth_key k = { .k = { 1, 2, 3 } }, other = { .k = { 9 } };
    auth_replay *seen = auth_replay_new();
    char v[AUTH_VALUE_MAX];
    assert_true(auth_sign(&k, "POST", "/chunkserver", BODY, NOW, v));
    assert_int_equal(auth_verify(&k, NULL, "POST", "/chunkserver", BODY, v, NOW), AUTH_OK);
    assert_int_equal(auth_verify(&other, NULL, "POST", "/chunkserver", BODY, v, NOW),
                     AUTH_BAD_MAC);
    assert_int_equal(auth_verify(&k, NULL, "PUT", "/chunkserver", BODY, v, NOW), AUTH_BAD_MAC);
    assert_int_equal(auth_verify(&k, NULL, "POST", "/chunkreport", BODY, v, NOW), AUTH_BAD_MAC);
    assert_int_equal(auth_verify(&k, NULL, "POST", "/chunkserver", AUTH_STREAMED, v, NOW),
                     AUTH_BAD_MAC);
    assert_int_equal(auth_verify(&k, NULL, "POST", "/chunkserver", BODY, v,
                                 NOW + AUTH_SKEW_MS + 1), AUTH_STALE);
    assert_int_equal(auth_verify(&k, NULL, "POST", "/chunkserver", BODY, v,
                                 NOW - AUTH_SKEW_MS - 1), AUTH_STALE);
    assert_int_equal(auth_verify(&k, seen, "POST", "/chunkserver", BODY, v, NOW + 5), AUTH_OK);
    assert_int_equal(auth_verify(&k, seen, "POST", "/chunkserver", BODY, v, NOW + 6),
                     AUTH_REPLAYED);
    /* a fresh signature of the same request is a new nonce */
    char v2[AUTH_VALUE_MAX];
    assert_true(auth_sign(&k, "POST", "/chunkserver", BODY, NOW, v2));
    assert_string_not_equal(v, v2);
    assert_int_equal(auth_verify(&k, seen, "POST", "/chunkserver", BODY, v2, NOW), AUTH_OK);
    auth_replay_free(seen);
}

static void test_malformed_values_refused(void **state)
{
    (void)state;
    auth_key k = { .k = { 1 } };
    char v[AUTH_VALUE_MAX], bad[AUTH_VALUE_MAX * 2];
    assert_true(auth_sign(&k, "GET", "/x", BODY, NOW, v));
    assert_int_equal(auth_verify(&k, NULL, "GET", "/x", BODY, NULL, NOW), AUTH_MISSING);
    const char *cases[] = { "", "v1", "v2 1 0000000000000000 " BODY,
                            "v1 -5 0000000000000000 " BODY, "v1 5 000000000000000g " BODY,
                            "v1 5 00000000000000000 " BODY, "v1 5 0000000000000000 abc" };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        assert_int_equal(auth_verify(&k, NULL, "GET", "/x", BODY, cases[i], NOW), AUTH_MALFORMED);
    snprintf(bad, sizeof bad, "%s extra", v);
    assert_int_equal(auth_verify(&k, NULL, "GET", "/x", BODY, bad, NOW), AUTH_MALFORMED);
    assert_int_equal(auth_http_status(AUTH_BAD_MAC), 401);
    assert_int_equal(auth_http_status(AUTH_BUSY), 503);
}

/* A flood of signed requests fills the window but never grows it; once
 * their time has passed the slots serve again. */
static void test_replay_window_is_bounded(void **state)
{
    (void)state;
    auth_key k = { .k = { 7 } };
    auth_replay *seen = auth_replay_new();
    char v[AUTH_VALUE_MAX];
    size_t ok = 0, busy = 0;
    for (int i = 0; i < 200000; i++) {
        assert_true(auth_sign(&k, "POST", "/x", BODY, NOW, v));
        auth_status st = auth_verify(&k, seen, "POST", "/x", BODY, v, NOW);
        ok += st == AUTH_OK;
        busy += st == AUTH_BUSY;
    }
    assert_true(ok > 100000);
    assert_true(busy > 0);
    assert_true(auth_sign(&k, "POST", "/x", BODY, NOW + 3 * AUTH_SKEW_MS, v));
    assert_int_equal(auth_verify(&k, seen, "POST", "/x", BODY, v, NOW + 3 * AUTH_SKEW_MS),
                     AUTH_OK);
    auth_replay_free(seen);
}

static void test_capabilities(void **state)
{
    (void)state;
    auth_key k = { .k = { 3 } }, other = { .k = { 4 } };
    const char *id = "0e5523056ab6dbb2a3bfa672b305d76b003954fa5a1bcc8de29528c2ad79b2ed_0";
    const char *id1 = "0e5523056ab6dbb2a3bfa672b305d76b003954fa5a1bcc8de29528c2ad79b2ed_1";
    char cap[AUTH_CAP_MAX];
    assert_true(auth_cap_make(&k, AUTH_CAP_READ, id, NOW + 1000, cap));
    assert_int_equal(auth_cap_check(&k, AUTH_CAP_READ, id, cap, NOW), AUTH_OK);
    assert_int_equal(auth_cap_check(&k, AUTH_CAP_READ, id, cap, NOW + 1000), AUTH_OK);
    assert_int_equal(auth_cap_check(&k, AUTH_CAP_READ, id, cap, NOW + 1001), AUTH_STALE);
    assert_int_equal(auth_cap_check(&k, AUTH_CAP_WRITE, id, cap, NOW), AUTH_FORBIDDEN);
    assert_int_equal(auth_cap_check(&k, AUTH_CAP_READ, id1, cap, NOW), AUTH_FORBIDDEN);
    assert_int_equal(auth_cap_check(&other, AUTH_CAP_READ, id, cap, NOW), AUTH_FORBIDDEN);
    assert_int_equal(auth_cap_check(&k, AUTH_CAP_READ, id, NULL, NOW), AUTH_MISSING);
    assert_int_equal(auth_http_status(AUTH_FORBIDDEN), 403);
    /* a later expiry written over the signed one is another capability */
    char forged[AUTH_CAP_MAX + 2];
    snprintf(forged, sizeof forged, "r9%s", cap + 1);
    assert_int_equal(auth_cap_check(&k, AUTH_CAP_READ, id, forged, NOW), AUTH_FORBIDDEN);
    const char *bad[] = { "", "r", "x1.ab", "r.abc", "r-5." BODY, "r12", "r12." BODY "0",
                          "r1x." BODY, "r0." BODY };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(auth_cap_check(&k, AUTH_CAP_READ, id, bad[i], NOW), AUTH_MALFORMED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_files),
        cmocka_unit_test(test_signed_request_verifies_once),
        cmocka_unit_test(test_malformed_values_refused),
        cmocka_unit_test(test_replay_window_is_bounded),
        cmocka_unit_test(test_capabilities),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
