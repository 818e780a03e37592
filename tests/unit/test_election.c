/* test_election.c - the active master's lease, against a real etcd
 * started here: of two contenders exactly one is active and the other
 * knows it; only the active one's commits land; a deposed one's commit
 * fails and it counts itself standby; a resignation hands over at once;
 * a master that stops renewing stops trusting itself before etcd lets the
 * other take over; clusters are independent. Skipped (77) without etcd. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "election.h"
#include "etcd.h"
#include "etcdproc.h"
#include "monotime.h"

static etcd *E;   /* etcdproc_client, for short */

static int setup(void **state)
{
    int rc = etcdproc_group_setup(state);
    E = etcdproc_client;
    return rc;
}


static bool step(election *el, char *leader, size_t len)
{
    char err[512];
    bool active;
    if (!election_step(el, &active, leader, len, err, sizeof err))
        fail_msg("election_step: %s", err);
    return active;
}

static bool commit(election *el, const char *key, const char *value, bool *deposed)
{
    char err[512];
    etcd_op put = { .key = key, .keylen = strlen(key), .value = value, .valuelen = strlen(value) };
    return election_commit(el, &put, 1, deposed, err, sizeof err);
}

/* The value at key, into out ("" when absent). */
static void value_at(const char *key, char *out, size_t len)
{
    char err[512];
    etcd_kv *kvs;
    size_t n;
    bool more;
    assert_true(etcd_range(E, key, strlen(key), false, 0, 0, &kvs, &n, &more, NULL, err,
                           sizeof err));
    snprintf(out, len, "%s", n ? kvs[0].value : "");
    etcd_kvs_free(kvs, n);
}

static void test_one_active_and_conditioned_commits(void **state)
{
    (void)state;
    char err[512], leader[300], got[64];
    election *a = election_new(E, "one", "m1:8000", 5, err, sizeof err);
    election *b = election_new(E, "one", "m2:8100", 5, err, sizeof err);
    assert_non_null(a);
    assert_non_null(b);
    assert_true(step(a, leader, sizeof leader));
    assert_string_equal(leader, "m1:8000");
    assert_false(step(b, leader, sizeof leader));
    assert_string_equal(leader, "m1:8000");   /* the standby knows whom to point at */
    bool on;   /* a standby asked without a name buffer still sees the leader */
    assert_true(election_step(b, &on, NULL, 0, err, sizeof err));
    assert_false(on);
    assert_true(step(a, leader, sizeof leader));   /* renewed */
    assert_true(election_active(a, monotime_ms()));
    assert_false(election_active(b, monotime_ms()));
    assert_true(election_term(a) > 0);
    assert_int_equal(election_term(b), 0);
    bool deposed;
    assert_true(commit(a, "/minidfs/one/log/1", "first", &deposed));
    assert_false(commit(b, "/minidfs/one/log/2", "forged", &deposed));
    assert_true(deposed);
    value_at("/minidfs/one/log/2", got, sizeof got);
    assert_string_equal(got, "");
    /* a resignation hands over at once */
    int64_t old_term = election_term(a);
    election_resign(a);
    assert_false(election_active(a, monotime_ms()));
    assert_true(step(b, leader, sizeof leader));
    assert_string_equal(leader, "m2:8100");
    assert_true(election_term(b) > old_term);
    assert_false(step(a, leader, sizeof leader));
    assert_string_equal(leader, "m2:8100");
    assert_true(commit(b, "/minidfs/one/log/2", "second", &deposed));
    value_at("/minidfs/one/log/2", got, sizeof got);
    assert_string_equal(got, "second");
    election_free(a);
    election_free(b);
}

/* A commit of a master whose term ended behind its back (its lease
 * revoked, as when etcd let it run out) fails, and it steps down. */
static void test_deposed_commit_fails(void **state)
{
    (void)state;
    char err[512], leader[300];
    election *a = election_new(E, "two", "m1:8000", 5, err, sizeof err);
    election *b = election_new(E, "two", "m2:8100", 5, err, sizeof err);
    assert_true(step(a, leader, sizeof leader));
    /* the key as etcd holds it: revoke its lease from outside */
    etcd_kv *kvs;
    size_t n;
    bool more, deposed;
    assert_true(etcd_range(E, "/minidfs/two/leader", 19, false, 0, 0, &kvs, &n, &more, NULL, err,
                           sizeof err));
    assert_int_equal(n, 1);
    int64_t lease = kvs[0].lease;
    etcd_kvs_free(kvs, n);
    assert_true(etcd_lease_revoke(E, lease, err, sizeof err));
    assert_true(step(b, leader, sizeof leader));   /* b takes over */
    assert_false(commit(a, "/minidfs/two/log/1", "late", &deposed));
    assert_true(deposed);
    assert_int_equal(election_term(a), 0);
    assert_false(election_active(a, monotime_ms()));
    assert_false(step(a, leader, sizeof leader));
    assert_string_equal(leader, "m2:8100");
    election_free(a);
    election_free(b);
}

/* A master that stops renewing: it stops trusting itself before its
 * lease can have run out, and the standby wins only after that. */
static void test_expiry_order(void **state)
{
    (void)state;
    char err[512], leader[300];
    election *a = election_new(E, "three", "m1:8000", 2, err, sizeof err);
    election *b = election_new(E, "three", "m2:8100", 2, err, sizeof err);
    int64_t won_at = monotime_ms();
    assert_true(step(a, leader, sizeof leader));
    int64_t a_untrusted = 0, b_active = 0;
    for (int i = 0; i < 1000 && !b_active; i++) {   /* up to 10 s */
        int64_t now = monotime_ms();
        if (!a_untrusted && !election_active(a, now))
            a_untrusted = now;
        if (step(b, leader, sizeof leader))
            b_active = monotime_ms();
        nanosleep(&(struct timespec){ .tv_nsec = 10 * 1000 * 1000 }, NULL);   /* a poll */
    }
    assert_true(b_active > 0);
    assert_true(a_untrusted > 0);
    assert_true(a_untrusted <= b_active);
    assert_true(a_untrusted - won_at < 2000);   /* before its TTL of 2 s */
    election_free(a);
    election_free(b);
}

static void test_clusters_and_names(void **state)
{
    (void)state;
    char err[512], leader[300];
    election *a = election_new(E, "east", "m1:8000", 5, err, sizeof err);
    election *b = election_new(E, "west", "m2:8100", 5, err, sizeof err);
    assert_true(step(a, leader, sizeof leader));
    assert_true(step(b, leader, sizeof leader));   /* another cluster: its own leader */
    election_free(a);
    election_free(b);
    assert_null(election_new(E, "", "m", 5, err, sizeof err));
    assert_null(election_new(E, "c", "", 5, err, sizeof err));
    assert_null(election_new(E, "c", "m", 1, err, sizeof err));
    char longname[ELECTION_MAX_NAME + 2];
    memset(longname, 'x', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    assert_null(election_new(E, longname, "m", 5, err, sizeof err));
}

int main(void)
{
    if (!etcdproc_binary()) {
        printf("SKIP: no etcd (scripts/deps.sh installs etcd-server)\n");
        return 77;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_active_and_conditioned_commits),
        cmocka_unit_test(test_deposed_commit_fails),
        cmocka_unit_test(test_expiry_order),
        cmocka_unit_test(test_clusters_and_names),
    };
    return cmocka_run_group_tests(tests, setup, etcdproc_group_teardown);
}
