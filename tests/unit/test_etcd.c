/* test_etcd.c - the etcd client against a real etcd (Debian's etcd-server,
 * started here on loopback ports with its own data directory, stopped at
 * the end): keys and values of any bytes, prefixes and limits, a
 * transaction that only one of two contenders wins, leases that keep a
 * key and take it with them, an endpoint list with a dead member first,
 * history compacted away, and answers from something that is not etcd's
 * gateway. Skipped (77)
 * when there is no etcd to start. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "etcd.h"
#include "etcdproc.h"

static etcd *E;   /* etcdproc_client, for short */

static int setup(void **state)
{
    int rc = etcdproc_group_setup(state);
    E = etcdproc_client;
    return rc;
}


static void test_bytes_round_trip(void **state)
{
    (void)state;
    char err[512];
    /* every padding of base64, a NUL and 0xff bytes in key and value */
    static const char key[] = "k\0\xff\x01";
    static const char value[] = "v\0\xff\xfe\x00zz";
    for (size_t len = 0; len <= sizeof value - 1; len++) {
        int64_t rev = 0;
        assert_true(etcd_put(E, key, sizeof key - 1, value, len, 0, &rev, err, sizeof err));
        assert_true(rev > 0);
        etcd_kv *kvs;
        size_t n;
        bool more;
        int64_t at;
        assert_true(etcd_range(E, key, sizeof key - 1, false, 0, 0, &kvs, &n, &more, &at, err,
                               sizeof err));
        assert_int_equal(n, 1);
        assert_int_equal(kvs[0].keylen, sizeof key - 1);
        assert_memory_equal(kvs[0].key, key, sizeof key - 1);
        assert_int_equal(kvs[0].valuelen, len);
        assert_memory_equal(kvs[0].value, value, len);
        assert_int_equal(kvs[0].version, (int64_t)len + 1);
        assert_int_equal(kvs[0].mod_revision, rev);
        assert_true(at >= rev && !more);
        etcd_kvs_free(kvs, n);
    }
    etcd_kv *kvs;
    size_t n;
    bool more;
    assert_true(etcd_range(E, "nothing", 7, false, 0, 0, &kvs, &n, &more, NULL, err, sizeof err));
    assert_int_equal(n, 0);
    etcd_kvs_free(kvs, n);
    /* a key too long, or empty, is refused before it is sent */
    static char big[ETCD_MAX_KEY + 1];
    memset(big, 'x', sizeof big);
    assert_false(etcd_put(E, big, sizeof big, "v", 1, 0, NULL, err, sizeof err));
    assert_false(etcd_put(E, "", 0, "v", 1, 0, NULL, err, sizeof err));
}

static void test_prefix_and_limit(void **state)
{
    (void)state;
    char err[512], key[32];
    for (int i = 0; i < 5; i++) {
        snprintf(key, sizeof key, "log/%08d", i);
        assert_true(etcd_put(E, key, strlen(key), key, strlen(key), 0, NULL, err, sizeof err));
    }
    assert_true(etcd_put(E, "log0", 4, "after the prefix", 16, 0, NULL, err, sizeof err));
    assert_true(etcd_put(E, "lof/x", 5, "before it", 9, 0, NULL, err, sizeof err));
    etcd_kv *kvs;
    size_t n;
    bool more;
    assert_true(etcd_range(E, "log/", 4, true, 0, 0, &kvs, &n, &more, NULL, err, sizeof err));
    assert_int_equal(n, 5);
    for (size_t i = 0; i < n; i++) {
        snprintf(key, sizeof key, "log/%08zu", i);
        assert_string_equal(kvs[i].key, key);   /* in order */
        assert_string_equal(kvs[i].value, key);
    }
    etcd_kvs_free(kvs, n);
    assert_true(etcd_range(E, "log/", 4, true, 2, 0, &kvs, &n, &more, NULL, err, sizeof err));
    assert_int_equal(n, 2);
    assert_true(more);
    etcd_kvs_free(kvs, n);
    /* between two keys: the first in, the end out */
    assert_true(etcd_range_between(E, "log/00000001", 12, "log/00000003", 12, 0, 0, &kvs, &n, &more,
                                   NULL, err, sizeof err));
    assert_int_equal(n, 2);
    assert_string_equal(kvs[0].key, "log/00000001");
    assert_string_equal(kvs[1].key, "log/00000002");
    etcd_kvs_free(kvs, n);
    int64_t deleted;
    assert_true(etcd_delete_between(E, "log/00000000", 12, "log/00000002", 12, &deleted, err,
                                    sizeof err));
    assert_int_equal(deleted, 2);
    assert_true(etcd_delete(E, "log/", 4, true, &deleted, err, sizeof err));
    assert_int_equal(deleted, 3);
    assert_true(etcd_range(E, "lo", 2, true, 0, 0, &kvs, &n, &more, NULL, err, sizeof err));
    assert_int_equal(n, 2);   /* lof/x and log0 stay */
    etcd_kvs_free(kvs, n);
}

/* History: an old revision reads until compacted, then is refused; the
 * current value stays; compacting again is no failure. */
static void test_compact_history(void **state)
{
    (void)state;
    char err[512];
    int64_t r1, r2;
    assert_true(etcd_put(E, "hist", 4, "one", 3, 0, &r1, err, sizeof err));
    assert_true(etcd_put(E, "hist", 4, "two", 3, 0, &r2, err, sizeof err));
    etcd_kv *kvs;
    size_t n;
    bool more;
    assert_true(etcd_range(E, "hist", 4, false, 0, r1, &kvs, &n, &more, NULL, err, sizeof err));
    assert_int_equal(n, 1);
    assert_memory_equal(kvs[0].value, "one", 3);
    etcd_kvs_free(kvs, n);
    assert_true(etcd_compact_history(E, err, sizeof err));
    assert_false(etcd_range(E, "hist", 4, false, 0, r1, &kvs, &n, &more, NULL, err, sizeof err));
    assert_true(etcd_range(E, "hist", 4, false, 0, 0, &kvs, &n, &more, NULL, err, sizeof err));
    assert_int_equal(n, 1);
    assert_memory_equal(kvs[0].value, "two", 3);
    etcd_kvs_free(kvs, n);
    assert_true(etcd_compact_history(E, err, sizeof err));   /* nothing new: still fine */
}

/* Two contenders for one key: the first transaction creates it, the
 * second finds it made and takes its failure branch instead. */
static void test_txn_one_winner(void **state)
{
    (void)state;
    char err[512];
    etcd_compare absent = { .key = "leader", .keylen = 6, .target = ETCD_CREATE,
                            .relation = ETCD_EQUAL, .number = 0 };
    etcd_op mine = { .key = "leader", .keylen = 6, .value = "a", .valuelen = 1 };
    etcd_op theirs = { .key = "leader", .keylen = 6, .value = "b", .valuelen = 1 };
    etcd_op lost = { .key = "lost", .keylen = 4, .value = "b", .valuelen = 1 };
    bool won;
    int64_t rev;
    assert_true(etcd_txn(E, &absent, 1, &mine, 1, NULL, 0, &won, &rev, err, sizeof err));
    assert_true(won);
    assert_true(etcd_txn(E, &absent, 1, &theirs, 1, &lost, 1, &won, NULL, err, sizeof err));
    assert_false(won);
    etcd_kv *kvs;
    size_t n;
    bool more;
    assert_true(etcd_range(E, "leader", 6, false, 0, 0, &kvs, &n, &more, NULL, err, sizeof err));
    assert_int_equal(n, 1);
    assert_string_equal(kvs[0].value, "a");
    assert_int_equal(kvs[0].create_revision, rev);
    etcd_kvs_free(kvs, n);
    assert_true(etcd_range(E, "lost", 4, false, 0, 0, &kvs, &n, &more, NULL, err, sizeof err));
    assert_int_equal(n, 1);
    etcd_kvs_free(kvs, n);
    /* a commit conditioned on the leader key as the winner made it: by
     * value and by its mod revision; a stale revision fails it */
    etcd_compare held[2] = {
        { .key = "leader", .keylen = 6, .target = ETCD_VALUE, .relation = ETCD_EQUAL,
          .value = "a", .valuelen = 1 },
        { .key = "leader", .keylen = 6, .target = ETCD_MOD, .relation = ETCD_EQUAL, .number = rev },
    };
    etcd_op entry = { .key = "entry/1", .keylen = 7, .value = "x", .valuelen = 1 };
    assert_true(etcd_txn(E, held, 2, &entry, 1, NULL, 0, &won, NULL, err, sizeof err));
    assert_true(won);
    held[1].number = rev - 1;
    assert_true(etcd_txn(E, held, 2, &entry, 1, NULL, 0, &won, NULL, err, sizeof err));
    assert_false(won);
    /* deletes in a transaction, and its bounds */
    etcd_op gone[2] = { { .del = true, .key = "entry/", .keylen = 6, .prefix = true },
                        { .del = true, .key = "lost", .keylen = 4 } };
    assert_true(etcd_txn(E, NULL, 0, gone, 2, NULL, 0, &won, NULL, err, sizeof err));
    assert_true(won);   /* no comparison: it holds */
    assert_true(etcd_range(E, "entry/", 6, true, 0, 0, &kvs, &n, &more, NULL, err, sizeof err));
    assert_int_equal(n, 0);
    etcd_kvs_free(kvs, n);
    static etcd_op many[ETCD_MAX_TXN + 1];
    assert_false(etcd_txn(E, NULL, 0, many, ETCD_MAX_TXN + 1, NULL, 0, &won, NULL, err,
                          sizeof err));
}

static void test_lease(void **state)
{
    (void)state;
    char err[512];
    int64_t id, ttl;
    assert_true(etcd_lease_grant(E, 30, &id, &ttl, err, sizeof err));
    assert_true(id != 0 && ttl == 30);
    assert_true(etcd_put(E, "held", 4, "1", 1, id, NULL, err, sizeof err));
    assert_true(etcd_lease_keepalive(E, id, &ttl, err, sizeof err));
    assert_true(ttl > 0);
    etcd_kv *kvs;
    size_t n;
    bool more;
    assert_true(etcd_range(E, "held", 4, false, 0, 0, &kvs, &n, &more, NULL, err, sizeof err));
    assert_int_equal(n, 1);
    assert_int_equal(kvs[0].lease, id);
    etcd_kvs_free(kvs, n);
    assert_true(etcd_lease_revoke(E, id, err, sizeof err));
    assert_true(etcd_range(E, "held", 4, false, 0, 0, &kvs, &n, &more, NULL, err, sizeof err));
    assert_int_equal(n, 0);   /* the lease took its key */
    etcd_kvs_free(kvs, n);
    assert_true(etcd_lease_keepalive(E, id, &ttl, err, sizeof err));
    assert_int_equal(ttl, 0);   /* gone */
    assert_true(etcd_lease_revoke(E, id, err, sizeof err));   /* gone already: no error */
    /* a put under a lease that does not exist is refused, with etcd's words */
    assert_false(etcd_put(E, "held", 4, "1", 1, id, NULL, err, sizeof err));
    assert_non_null(strstr(err, "lease not found"));
}

static void test_endpoints(void **state)
{
    (void)state;
    char err[512], list[256];
    /* a dead member first: the call goes on to the live one */
    snprintf(list, sizeof list, "http://127.0.0.1:%d/,%s", etcdproc_free_port(),
             etcdproc_group.client_url);
    etcd *e = etcd_new(list, 2000, err, sizeof err);
    assert_non_null(e);
    assert_true(etcd_put(e, "via", 3, "live", 4, 0, NULL, err, sizeof err));
    assert_true(etcd_put(e, "via", 3, "live", 4, 0, NULL, err, sizeof err));
    etcd_free(e);
    /* nothing alive: an error naming the endpoint, no hang */
    snprintf(list, sizeof list, "http://127.0.0.1:%d", etcdproc_free_port());
    e = etcd_new(list, 2000, err, sizeof err);
    assert_non_null(e);
    assert_false(etcd_put(e, "via", 3, "x", 1, 0, NULL, err, sizeof err));
    assert_non_null(strstr(err, list));
    etcd_free(e);
    /* the peer port speaks HTTP but is no gateway: its answer is an error */
    e = etcd_new(etcdproc_group.peer_url, 2000, err, sizeof err);
    assert_non_null(e);
    etcd_kv *kvs;
    size_t n;
    bool more;
    assert_false(etcd_range(e, "via", 3, false, 0, 0, &kvs, &n, &more, NULL, err, sizeof err));
    etcd_free(e);
    /* lists that are none */
    const char *bad[] = { "", "ftp://x", "127.0.0.1:2379",
                          "http://a,http://b,http://c,http://d,http://e,http://f,http://g,"
                          "http://h,http://i" };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        err[0] = '\0';
        assert_null(etcd_new(bad[i], 1000, err, sizeof err));
        assert_true(err[0] != '\0');
    }
}

int main(void)
{
    if (!etcdproc_binary()) {
        printf("SKIP: no etcd (scripts/deps.sh installs etcd-server)\n");
        return 77;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bytes_round_trip),
        cmocka_unit_test(test_prefix_and_limit),
        cmocka_unit_test(test_txn_one_winner),
        cmocka_unit_test(test_lease),
        cmocka_unit_test(test_endpoints),
        cmocka_unit_test(test_compact_history),
    };
    return cmocka_run_group_tests(tests, setup, etcdproc_group_teardown);
}
