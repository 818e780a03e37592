/* test_oplog.c - the operation log in etcd, against a real etcd started
 * here: batches of every size around a piece's come back whole and in
 * order, however many pieces a read takes; a batch a term left
 * unfinished is dropped, never handed over; a deposed or unresumed
 * writer ships nothing; compaction leaves a reader behind it an error,
 * not a gap, and keeps the last piece; a log founded past piece 0 shows
 * its gap through the head; malformed pieces are refused. Skipped (77) without etcd. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "election.h"
#include "etcd.h"
#include "etcdproc.h"
#include "oplog.h"

static etcd *E;   /* etcdproc_client, for short */

static int setup(void **state)
{
    int rc = etcdproc_group_setup(state);
    E = etcdproc_client;
    return rc;
}


/* What a reader was handed. */
typedef struct {
    char *buf[16];
    size_t len[16];
    size_t n;
} got;

static bool keep(void *ud, const char *buf, size_t len)
{
    got *g = ud;
    if (g->n == 16)
        return false;
    g->buf[g->n] = malloc(len ? len : 1);
    memcpy(g->buf[g->n], buf, len);
    g->len[g->n++] = len;
    return true;
}

static void got_free(got *g)
{
    for (size_t i = 0; i < g->n; i++)
        free(g->buf[i]);
    g->n = 0;
}

/* Reads everything from piece from on, max pieces a call (the logs here
 * hold at most a dozen pieces, so 64 calls take them all). */
static void read_all(const char *cluster, uint64_t from, size_t max, got *g, uint64_t *next)
{
    char err[512];
    oplog_reader *r = oplog_reader_new(E, cluster, from, err, sizeof err);
    assert_non_null(r);
    size_t batches;
    for (int i = 0; i < 64; i++)
        assert_true(oplog_read(r, max, keep, g, &batches, err, sizeof err));
    if (next)
        *next = oplog_reader_next(r);
    oplog_reader_free(r);
}

static election *active(const char *cluster, const char *me)
{
    char err[512], leader[300];
    election *el = election_new(E, cluster, me, 10, err, sizeof err);
    assert_non_null(el);
    bool on;
    assert_true(election_step(el, &on, leader, sizeof leader, err, sizeof err));
    assert_true(on);
    return el;
}

static void test_batches_of_every_size(void **state)
{
    (void)state;
    char err[512];
    election *el = active("sizes", "m1");
    oplog *o = oplog_new(E, el, "sizes", err, sizeof err);
    assert_non_null(o);
    bool deposed;
    assert_false(oplog_ship(o, "x", 1, &deposed, err, sizeof err));   /* not resumed */
    assert_true(oplog_resume(o, err, sizeof err));
    assert_int_equal(oplog_next(o), 0);
    size_t sizes[] = { 1, OPLOG_PIECE - 1, OPLOG_PIECE, OPLOG_PIECE + 1, 3 * OPLOG_PIECE + 5, 7 };
    size_t nsizes = sizeof sizes / sizeof *sizes;
    char *batch[6];
    srand(7);
    for (size_t i = 0; i < nsizes; i++) {
        batch[i] = malloc(sizes[i]);
        for (size_t k = 0; k < sizes[i]; k++)
            batch[i][k] = (char)rand();
        assert_true(oplog_ship(o, batch[i], sizes[i], &deposed, err, sizeof err));
    }
    uint64_t pieces = oplog_next(o);
    assert_int_equal(pieces, 1 + 1 + 1 + 2 + 4 + 1);
    assert_false(oplog_ship(o, "", 0, &deposed, err, sizeof err));   /* empty */
    /* whole batches in order, a read of one piece at a time too */
    size_t maxes[] = { 0, 1, 3 };
    for (size_t m = 0; m < 3; m++) {
        got g = { 0 };
        uint64_t next;
        read_all("sizes", 0, maxes[m], &g, &next);
        assert_int_equal(g.n, nsizes);
        assert_int_equal(next, pieces);
        for (size_t i = 0; i < nsizes; i++) {
            assert_int_equal(g.len[i], sizes[i]);
            assert_memory_equal(g.buf[i], batch[i], sizes[i]);
        }
        got_free(&g);
    }
    /* a reader stopped inside a batch offers its start as its place */
    char err2[512];
    oplog_reader *r = oplog_reader_new(E, "sizes", 5, err2, sizeof err2);   /* the 4-piece batch */
    size_t batches;
    got g = { 0 };
    assert_true(oplog_read(r, 2, keep, &g, &batches, err2, sizeof err2));
    assert_int_equal(batches, 0);
    assert_int_equal(oplog_reader_next(r), 5);
    oplog_reader_free(r);
    /* compaction: behind it an error, from it the rest */
    assert_true(oplog_compact(o, 5, err, sizeof err));
    r = oplog_reader_new(E, "sizes", 0, err2, sizeof err2);
    assert_false(oplog_read(r, 0, keep, &g, &batches, err2, sizeof err2));
    assert_non_null(strstr(err2, "compacted"));
    oplog_reader_free(r);
    read_all("sizes", 5, 0, &g, NULL);
    assert_int_equal(g.n, 2);
    assert_memory_equal(g.buf[0], batch[4], sizes[4]);
    got_free(&g);
    for (size_t i = 0; i < nsizes; i++)
        free(batch[i]);
    oplog_free(o);
    election_free(el);
}

/* Master a dies in the middle of a batch (its first piece in etcd, the
 * head past it, the last piece never put); b takes over: readers get
 * a's whole batches and b's, never a's unfinished one; a ships nothing
 * more. */
static void test_unfinished_batch_dropped(void **state)
{
    (void)state;
    char err[512], leader[300];
    election *a = active("cut", "m1");
    oplog *oa = oplog_new(E, a, "cut", err, sizeof err);
    assert_true(oplog_resume(oa, err, sizeof err));
    bool deposed;
    assert_true(oplog_ship(oa, "first", 5, &deposed, err, sizeof err));
    /* the first piece of a batch, as a's ship would have put it */
    uint64_t n = oplog_next(oa);
    char key[128], piece[OPLOG_HEADER + 7], head[24];
    snprintf(key, sizeof key, "/minidfs/cut/log/%020" PRIu64, n);
    uint64_t term = (uint64_t)election_term(a);
    for (int i = 0; i < 8; i++)
        piece[i] = (char)(term >> (56 - 8 * i));
    piece[8] = 0;   /* not the last */
    memcpy(piece + OPLOG_HEADER, "partial", 7);
    snprintf(head, sizeof head, "%" PRIu64, n + 1);
    etcd_op ops[2] = { { .key = key, .keylen = strlen(key), .value = piece,
                         .valuelen = sizeof piece },
                       { .key = "/minidfs/cut/loghead", .keylen = 20, .value = head,
                         .valuelen = strlen(head) } };
    assert_true(election_commit(a, ops, 2, &deposed, err, sizeof err));
    election_resign(a);
    election *b = active("cut", "m2");
    oplog *ob = oplog_new(E, b, "cut", err, sizeof err);
    assert_true(oplog_resume(ob, err, sizeof err));
    assert_int_equal(oplog_next(ob), n + 1);
    assert_true(oplog_ship(ob, "second", 6, &deposed, err, sizeof err));
    got g = { 0 };
    read_all("cut", 0, 0, &g, NULL);
    assert_int_equal(g.n, 2);
    assert_memory_equal(g.buf[0], "first", 5);
    assert_int_equal(g.len[1], 6);
    assert_memory_equal(g.buf[1], "second", 6);
    got_free(&g);
    /* a, deposed, ships nothing, resumed or not */
    assert_false(oplog_ship(oa, "late", 4, &deposed, err, sizeof err));
    assert_true(deposed);
    bool on;
    assert_true(election_step(a, &on, leader, sizeof leader, err, sizeof err));
    assert_false(on);
    assert_false(oplog_resume(oa, err, sizeof err));
    read_all("cut", 0, 0, &g, NULL);
    assert_int_equal(g.n, 2);
    got_free(&g);
    oplog_free(oa);
    oplog_free(ob);
    election_free(a);
    election_free(b);
}

/* Pieces that are none are refused with an error, not handed over. */
/* A log founded past piece 0 (a namespace from before HA): a reader from
 * 0 finds nothing to read below the head, which says pieces are missing;
 * compaction of everything keeps the last piece, so a reader far behind
 * meets the gap as an error rather than an empty read. */
static void test_head_and_gaps(void **state)
{
    (void)state;
    char err[512];
    uint64_t head = 99;
    assert_true(oplog_head(E, "gap", &head, err, sizeof err));
    assert_int_equal(head, 0);   /* no log yet */
    election *el = active("gap", "m1");
    oplog *o = oplog_new(E, el, "gap", err, sizeof err);
    assert_true(oplog_resume(o, err, sizeof err));
    bool deposed;
    assert_true(oplog_begin_at(o, 1, &deposed, err, sizeof err));
    assert_true(oplog_begin_at(o, 1, &deposed, err, sizeof err));   /* already there */
    assert_int_equal(oplog_next(o), 1);
    assert_true(oplog_head(E, "gap", &head, err, sizeof err));
    assert_int_equal(head, 1);
    oplog_reader *r = oplog_reader_new(E, "gap", 0, err, sizeof err);
    got g = { 0 };
    size_t batches;
    assert_true(oplog_read(r, 0, keep, &g, &batches, err, sizeof err));
    assert_int_equal(batches, 0);
    assert_true(oplog_reader_at(r) < head);   /* the caller's sign of a gap */
    oplog_reader_free(r);
    assert_true(oplog_ship(o, "one", 3, &deposed, err, sizeof err));
    assert_true(oplog_ship(o, "two", 3, &deposed, err, sizeof err));
    assert_true(oplog_compact(o, 1000, err, sizeof err));   /* all: the last piece stays */
    r = oplog_reader_new(E, "gap", 1, err, sizeof err);
    assert_false(oplog_read(r, 0, keep, &g, &batches, err, sizeof err));
    assert_non_null(strstr(err, "compacted"));
    oplog_reader_free(r);
    read_all("gap", 2, 0, &g, NULL);
    assert_int_equal(g.n, 1);
    assert_memory_equal(g.buf[0], "two", 3);
    got_free(&g);
    oplog_free(o);
    election_free(el);
}

static void test_malformed_pieces(void **state)
{
    (void)state;
    char err[512];
    const struct {
        const char *v;
        size_t len;
    } bad[] = {
        { "short", 5 },                                     /* no header */
        { "\0\0\0\0\0\0\0\0\1x", 10 },                      /* term 0 */
        { "\0\0\0\0\0\0\0\x09\x02x", 10 },                  /* unknown flag */
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char cluster[32];
        snprintf(cluster, sizeof cluster, "bad%zu", i);
        char key[128];
        snprintf(key, sizeof key, "/minidfs/%s/log/%020d", cluster, 0);
        assert_true(etcd_put(E, key, strlen(key), bad[i].v, bad[i].len, 0, NULL, err, sizeof err));
        oplog_reader *r = oplog_reader_new(E, cluster, 0, err, sizeof err);
        got g = { 0 };
        size_t batches;
        assert_false(oplog_read(r, 0, keep, &g, &batches, err, sizeof err));
        assert_int_equal(g.n, 0);
        oplog_reader_free(r);
    }
    /* a term going back */
    char key[128], v[OPLOG_HEADER + 1] = { 0, 0, 0, 0, 0, 0, 0, 9, 1, 'a' };
    snprintf(key, sizeof key, "/minidfs/back/log/%020d", 0);
    assert_true(etcd_put(E, key, strlen(key), v, sizeof v, 0, NULL, err, sizeof err));
    v[7] = 8;
    snprintf(key, sizeof key, "/minidfs/back/log/%020d", 1);
    assert_true(etcd_put(E, key, strlen(key), v, sizeof v, 0, NULL, err, sizeof err));
    oplog_reader *r = oplog_reader_new(E, "back", 0, err, sizeof err);
    got g = { 0 };
    size_t batches;
    assert_false(oplog_read(r, 0, keep, &g, &batches, err, sizeof err));
    assert_int_equal(g.n, 1);   /* the first, good one */
    assert_int_equal(oplog_reader_next(r), 1);
    got_free(&g);
    oplog_reader_free(r);
    assert_null(oplog_reader_new(E, "", 0, err, sizeof err));
}

int main(void)
{
    if (!etcdproc_binary()) {
        printf("SKIP: no etcd (scripts/deps.sh installs etcd-server)\n");
        return 77;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_batches_of_every_size),
        cmocka_unit_test(test_unfinished_batch_dropped),
        cmocka_unit_test(test_malformed_pieces),
        cmocka_unit_test(test_head_and_gaps),
    };
    return cmocka_run_group_tests(tests, setup, etcdproc_group_teardown);
}
