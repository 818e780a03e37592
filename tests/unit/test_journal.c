/* test_journal.c - the master's operation log: records survive a reopen,
 * a torn tail is dropped and reported, damage elsewhere is refused,
 * checkpoints replace the log, group commit makes concurrent records
 * durable, and a shipping journal hands its batches over instead. Recovery goes through the namespace's own apply, so these also
 * check that every kind of namespace change is journalled. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "journal.h"
#include "append.h"
#include "lease.h"
#include "namespace.h"
#include "nscheck.h"

static char dir[256];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "%s/minidfs-journal-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    assert_non_null(mkdtemp(dir));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static bool apply(void *ud, json_t *rec, char *err, size_t errlen)
{
    return record_replay(ud, rec, err, errlen);
}

static bool dump(void *ud, void *sink)
{
    return record_checkpoint(ud, sink);
}

static void reset(void *ud)
{
    namespace_clear(ud);
}

static journal *open_journal(ns_table *ns, bool recover, journal_recovery *rec, char *err,
                             size_t errlen)
{
    journal_replayer rp = { .apply = apply, .reset = reset, .ud = ns, .recover = recover };
    return journal_open(dir, &rp, rec, err, errlen);
}

static ns_table *reopen(journal **j, journal_recovery *rec)
{
    ns_table *ns = namespace_new();
    char err[512] = "";
    *j = open_journal(ns, false, rec, err, sizeof err);
    if (!*j)
        fail_msg("journal_open: %s", err);
    namespace_set_journal(ns, *j);
    return ns;
}

static const char sum[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/* Three files: one complete with a checksum, one removed, one allocated. */
static const char cluster[] = "00112233445566778899aabbccddeeff";

static void fill(ns_table *ns, journal *j)
{
    uint64_t gen, exp, ver;
    char id[FILEID_LEN + 1];
    assert_true(namespace_set_cluster_id(ns, cluster));
    assert_false(namespace_set_cluster_id(ns, "ffeeddccbbaa99887766554433221100"));   /* once */
    assert_false(namespace_set_cluster_id(ns, "not hex"));
    assert_int_equal(namespace_create(ns, "kept", 2500, 1000, 3, NULL, true, &gen, NULL), NS_OK);
    fileid_of_name("kept", id);
    for (uint32_t i = 0; i < 3; i++)
        assert_int_equal(namespace_report(ns, id, i, 0, i < 2 ? 1000 : 500, gen, sum, &exp, &ver),
                         NS_OK);
    assert_int_equal(namespace_create(ns, "gone", 10, 1000, 1, NULL, true, &gen, NULL), NS_OK);
    ns_doomed d;
    assert_int_equal(namespace_remove(ns, "gone", NULL, &d), NS_OK);
    namespace_doomed_free(&d);
    uint16_t plan[1] = { 0 };
    lease_allocation a;
    assert_int_equal(lease_allocate(ns, "alloc", 0, 1000, 1, NULL, plan, 1, 0, 1000, &a), NS_OK);
    assert_int_equal(lease_allocate(ns, "alloc", 1, 1000, 1, NULL, plan, 1, 0, 1000, &a), NS_OK);
    /* an expired lease, a new version, and a mutation under it: journalled */
    assert_int_equal(lease_allocate(ns, "alloc", 0, 1000, 1, NULL, plan, 1, 5000, 1000, &a), NS_OK);
    fileid_of_name("alloc", id);
    assert_int_equal(namespace_report(ns, id, 0, 0, 10, a.version, NULL, &exp, &ver), NS_OK);
    assert_true(journal_sync_mine(j));
}

static void check(ns_table *ns)
{
    char cid[CLUSTERID_LEN + 1];
    namespace_cluster_id(ns, cid);
    assert_string_equal(cid, cluster);   /* from the log and from checkpoints */
    const ns_file *f = nscheck_lookup(ns, "kept");
    assert_non_null(f);
    assert_int_equal(f->size, 2500);
    assert_int_equal(f->replication, 3);
    assert_true(namespace_file_complete(f));
    assert_int_equal(f->chunks[2].nrep, 0);   /* locations are never journalled */
    char hex[SHA256_HEX_LEN + 1];
    assert_true(namespace_chunk_sum(&f->chunks[1], hex));
    assert_string_equal(hex, sum);
    assert_null(nscheck_lookup(ns, "gone"));
    f = nscheck_lookup(ns, "alloc");
    assert_non_null(f);
    assert_int_equal(f->nchunks, 2);
    assert_true(f->chunks[0].version > f->chunks[1].version);
    /* the counter survived: a new file gets a newer generation */
    uint64_t gen;
    assert_int_equal(namespace_create(ns, "new", 1, 1000, 1, NULL, true, &gen, NULL), NS_OK);
    assert_true(gen > f->chunks[0].version);
}

static void test_reopen_replays_everything(void **state)
{
    (void)state;
    journal *j;
    journal_recovery rec;
    ns_table *ns = reopen(&j, &rec);
    assert_int_equal(rec.log_records, 0);
    fill(ns, j);
    journal_close(j);
    namespace_free(ns);

    ns = reopen(&j, &rec);
    assert_true(rec.log_records >= 8);
    assert_int_equal(rec.torn_bytes, 0);
    check(ns);
    journal_close(j);
    namespace_free(ns);
}

static char *newest_log(void)
{
    static char path[400];
    for (int seq = 50; seq > 0; seq--) {
        snprintf(path, sizeof path, "%s/log.%d", dir, seq);
        struct stat sb;
        if (stat(path, &sb) == 0 && sb.st_size > 0)
            return path;
    }
    fail_msg("no log");
    return NULL;
}

static void flip_byte(const char *path, off_t at, char mask)
{
    int fd = open(path, O_RDWR);
    assert_true(fd >= 0);
    char c;
    assert_int_equal(pread(fd, &c, 1, at), 1);
    c ^= mask;
    assert_int_equal(pwrite(fd, &c, 1, at), 1);
    close(fd);
}

/* The journal will not open: damage, not a torn tail. */
static void expect_refused(void)
{
    ns_table *ns = namespace_new();
    journal_recovery rec;
    char err[512] = "";
    journal *j = open_journal(ns, false, &rec, err, sizeof err);
    assert_null(j);
    assert_non_null(strstr(err, "damaged"));
    /* never the advice that would wipe the cluster; a way back instead */
    assert_null(strstr(err, "empty"));
    assert_non_null(strstr(err, "restore the directory from a copy"));
    namespace_free(ns);
}

/* A journal of fill()'s changes and then one more, "last", closed; the
 * newest log's path, and its size in *size. */
static char *journal_ending_in_last(off_t *size)
{
    journal *j;
    journal_recovery rec;
    ns_table *ns = reopen(&j, &rec);
    fill(ns, j);
    uint64_t gen;
    assert_int_equal(namespace_create(ns, "last", 5, 1000, 1, NULL, true, &gen, NULL), NS_OK);
    assert_true(journal_sync_mine(j));
    journal_close(j);
    namespace_free(ns);
    char *log = newest_log();
    struct stat sb;
    assert_int_equal(stat(log, &sb), 0);
    *size = sb.st_size;
    return log;
}

static void test_torn_tail_dropped(void **state)
{
    (void)state;
    journal *j;
    journal_recovery rec;
    off_t size;
    char *log = journal_ending_in_last(&size);
    /* cut the last record in half, as a crash mid-write would */
    assert_int_equal(truncate(log, size - 7), 0);
    ns_table *ns = reopen(&j, &rec);
    assert_true(rec.torn_bytes > 0);
    assert_null(nscheck_lookup(ns, "last"));   /* the torn record is gone ... */
    check(ns);                         /* ... and nothing before it */
    journal_close(j);
    namespace_free(ns);
    /* the truncation stuck: the next start finds nothing torn */
    ns = reopen(&j, &rec);
    assert_int_equal(rec.torn_bytes, 0);
    journal_close(j);
    namespace_free(ns);
}

static void test_damage_in_the_middle_refused(void **state)
{
    (void)state;
    journal *j;
    journal_recovery rec;
    ns_table *ns = reopen(&j, &rec);
    fill(ns, j);
    journal_close(j);
    namespace_free(ns);
    /* flip a byte in the first record: not a torn tail, so no guessing */
    flip_byte(newest_log(), 12, 0x20);
    /* good records follow the damage, so it cannot be a torn tail */
    expect_refused();
}

/* A long log: ten thousand records come back whole but for a torn last
 * one, which is dropped alone; a flipped byte deep inside, with good
 * records after it, is refused as damage. */
static void test_many_batches(void **state)
{
    (void)state;
    enum { N = 10000 };
    journal *j;
    journal_recovery rec;
    ns_table *ns = reopen(&j, &rec);
    char name[32];
    uint64_t gen;
    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof name, "f%d", i);
        assert_int_equal(namespace_create(ns, name, 1 + (uint64_t)i, 1000, 1, NULL, true, &gen, NULL), NS_OK);
    }
    assert_true(journal_sync_mine(j));
    journal_close(j);
    namespace_free(ns);
    char *log = newest_log();
    struct stat sb;
    assert_int_equal(stat(log, &sb), 0);
    assert_int_equal(truncate(log, sb.st_size - 7), 0);   /* tear the last record */

    ns = reopen(&j, &rec);
    assert_int_equal(rec.log_records, N - 1);
    assert_true(rec.torn_bytes > 0);
    for (int i = 0; i < N - 1; i += 999) {
        snprintf(name, sizeof name, "f%d", i);
        const ns_file *f = nscheck_lookup(ns, name);
        assert_non_null(f);
        assert_int_equal(f->size, 1 + (uint64_t)i);
    }
    snprintf(name, sizeof name, "f%d", N - 1);
    assert_null(nscheck_lookup(ns, name));
    journal_close(j);
    namespace_free(ns);

    /* a flipped byte three quarters in */
    assert_int_equal(stat(log, &sb), 0);
    flip_byte(log, sb.st_size / 4 * 3, 0x01);
    expect_refused();
}

static void test_checkpoint_replaces_log(void **state)
{
    (void)state;
    journal *j;
    journal_recovery rec;
    ns_table *ns = reopen(&j, &rec);
    fill(ns, j);
    char err[512] = "";
    assert_true(journal_checkpoint(j, dump, ns, err, sizeof err));
    assert_int_equal(journal_pending_checkpoint(j), 0);
    uint64_t gen;
    assert_int_equal(namespace_create(ns, "after", 5, 1000, 1, NULL, true, &gen, NULL), NS_OK);
    assert_true(journal_sync_mine(j));
    journal_close(j);
    namespace_free(ns);

    ns = reopen(&j, &rec);
    assert_true(rec.checkpoint_seq > 0);
    assert_true(rec.checkpoint_records >= 3);
    assert_int_equal(rec.log_records, 1);   /* only what came after it */
    assert_non_null(nscheck_lookup(ns, "after"));
    /* "new" is created by check(); drop it so the names stay unique */
    check(ns);
    journal_close(j);
    namespace_free(ns);
}

static bool exists(const char *name)
{
    char path[600];
    struct stat sb;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return stat(path, &sb) == 0;
}

/* A byte flipped in the newest checkpoint: it is set aside, and recovery
 * runs from the checkpoint before it and the logs kept since; nothing is
 * lost. */
static void test_damaged_checkpoint_falls_back(void **state)
{
    (void)state;
    journal *j;
    journal_recovery rec;
    ns_table *ns = reopen(&j, &rec);
    fill(ns, j);
    char err[512] = "";
    assert_true(journal_checkpoint(j, dump, ns, err, sizeof err));
    uint64_t gen;
    assert_int_equal(namespace_create(ns, "between", 5, 1000, 1, NULL, true, &gen, NULL), NS_OK);
    assert_true(journal_sync_mine(j));
    assert_true(journal_checkpoint(j, dump, ns, err, sizeof err));
    assert_int_equal(namespace_create(ns, "after", 5, 1000, 1, NULL, true, &gen, NULL), NS_OK);
    assert_true(journal_sync_mine(j));
    journal_close(j);
    namespace_free(ns);

    char newest[64] = "";
    for (int seq = 50; seq > 0 && !newest[0]; seq--) {
        snprintf(newest, sizeof newest, "checkpoint.%d", seq);
        if (!exists(newest))
            newest[0] = '\0';
    }
    assert_true(newest[0]);
    char path[600];
    snprintf(path, sizeof path, "%s/%s", dir, newest);
    flip_byte(path, 30, 0x10);
    ns = reopen(&j, &rec);
    assert_true(rec.damaged_checkpoint > 0);
    assert_true(rec.checkpoint_seq > 0 && rec.checkpoint_seq < rec.damaged_checkpoint);
    assert_non_null(nscheck_lookup(ns, "between"));
    assert_non_null(nscheck_lookup(ns, "after"));
    check(ns);
    journal_close(j);
    namespace_free(ns);
    char aside[80];
    snprintf(aside, sizeof aside, "%s.damaged", newest);
    assert_true(exists(aside));
}

/* A byte flipped in the last record of the newest log, fsynced and
 * acknowledged, is damage, not a torn write: refused; --recover keeps
 * every record before it, keeps the damaged log aside, and says so. */
static void test_flipped_last_record_is_damage(void **state)
{
    (void)state;
    journal *j;
    journal_recovery rec;
    off_t size;
    char *log = journal_ending_in_last(&size);
    flip_byte(log, size - 20, 0x01);
    ns_table *ns = namespace_new();
    char err[768] = "";
    assert_null(open_journal(ns, false, &rec, err, sizeof err));
    assert_non_null(strstr(err, "a whole record whose check fails"));
    assert_non_null(strstr(err, "--recover"));
    namespace_free(ns);

    ns = namespace_new();
    j = open_journal(ns, true, &rec, err, sizeof err);
    assert_non_null(j);
    assert_true(rec.dropped_bytes > 0);
    assert_non_null(strstr(rec.dropped, "damaged at byte"));
    assert_null(nscheck_lookup(ns, "last"));   /* what was damaged is gone... */
    check(ns);                         /* ...and nothing before it */
    journal_close(j);
    namespace_free(ns);
    char aside[80];
    snprintf(aside, sizeof aside, "%s.damaged", strrchr(log, '/') + 1);
    assert_true(exists(aside));
    ns = reopen(&j, &rec);   /* and the next start is clean */
    assert_int_equal(rec.dropped_bytes, 0);
    journal_close(j);
    namespace_free(ns);
}

/* A last record whose end was never written (zeros, as blocks allocated
 * by a crash read back) is a torn write: dropped, and the start goes on. */
static void test_zero_tail_is_torn(void **state)
{
    (void)state;
    journal *j;
    journal_recovery rec;
    off_t size;
    char *log = journal_ending_in_last(&size);
    int fd = open(log, O_WRONLY);
    char zeros[12] = { 0 };
    assert_int_equal(pwrite(fd, zeros, sizeof zeros, size - (off_t)sizeof zeros),
                     (ssize_t)sizeof zeros);
    close(fd);
    ns_table *ns = reopen(&j, &rec);
    assert_true(rec.torn_bytes > 0);
    assert_null(nscheck_lookup(ns, "last"));
    check(ns);
    journal_close(j);
    namespace_free(ns);
}

typedef struct {
    ns_table *ns;
    journal *j;
    int base;
} writer_arg;

static void *writer(void *p)
{
    writer_arg *w = p;
    for (int i = 0; i < 200; i++) {
        char name[32];
        uint64_t gen;
        snprintf(name, sizeof name, "w%d-%d", w->base, i);
        if (namespace_create(w->ns, name, 1, 1000, 1, NULL, true, &gen, NULL) != NS_OK || !journal_sync_mine(w->j))
            return (void *)1;
    }
    return NULL;
}

static void test_group_commit_concurrent(void **state)
{
    (void)state;
    journal *j;
    journal_recovery rec;
    ns_table *ns = reopen(&j, &rec);
    pthread_t t[8];
    writer_arg args[8];
    for (int i = 0; i < 8; i++) {
        args[i] = (writer_arg){ ns, j, i };
        assert_int_equal(pthread_create(&t[i], NULL, writer, &args[i]), 0);
    }
    for (int i = 0; i < 8; i++) {
        void *r;
        pthread_join(t[i], &r);
        assert_null(r);
    }
    journal_close(j);
    namespace_free(ns);
    ns = reopen(&j, &rec);
    assert_int_equal(namespace_count(ns), 1600);
    assert_int_equal(rec.log_records, 1600);
    journal_close(j);
    namespace_free(ns);
}

/* One master per meta directory: a second journal_open is refused with the
 * holder's pid, and the directory is free once the first is closed. */
static void test_directory_lock(void **state)
{
    (void)state;
    journal_recovery rec;
    journal *j;
    ns_table *ns = reopen(&j, &rec);
    ns_table *ns2 = namespace_new();
    char err[512] = "", pid[32];
    assert_null(open_journal(ns2, false, &rec, err, sizeof err));
    snprintf(pid, sizeof pid, "pid %ld", (long)getpid());
    assert_non_null(strstr(err, "in use by another master"));
    assert_non_null(strstr(err, pid));
    namespace_set_journal(ns, NULL);
    journal_close(j);
    journal *j2 = open_journal(ns2, false, &rec, err, sizeof err);
    assert_non_null(j2);
    journal_close(j2);
    namespace_free(ns);
    namespace_free(ns2);
}

/* Every file in dir goes; then log.1 holds the first len bytes of data. */
static void only_log(const char *data, size_t len)
{
    char cmd[700], path[400];
    snprintf(cmd, sizeof cmd, "rm -f '%s'/log.* '%s'/checkpoint.*", dir, dir);
    assert_int_equal(system(cmd), 0);
    snprintf(path, sizeof path, "%s/log.1", dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    close(fd);
}

/* Syncs and closes j, frees ns, and returns the newest log's bytes (the
 * caller frees them), its length in *size. */
static char *close_and_read_log(journal *j, ns_table *ns, off_t *size)
{
    struct stat sb;
    assert_true(journal_sync_mine(j));
    assert_int_equal(stat(newest_log(), &sb), 0);
    *size = sb.st_size;
    journal_close(j);
    namespace_free(ns);
    char *log = malloc((size_t)*size);
    assert_non_null(log);
    int fd = open(newest_log(), O_RDONLY);
    assert_int_equal(read(fd, log, (size_t)*size), (ssize_t)*size);
    close(fd);
    return log;
}

/* An append's commit is one record: a log cut at any byte of it replays to
 * the file before the append or after it, never to a mix (a filled chunk
 * with the new version and checksum but the old size once made every
 * replica of it look stale and be deleted). And in either state the
 * replicas holding what was acknowledged are kept. */
/* What a shipper was handed: the batches, end to end. */
typedef struct {
    char *buf;
    size_t len, batches;
    bool refuse;
} shipped;

static bool ship(void *ud, const char *buf, size_t len, char *err, size_t errlen)
{
    shipped *sh = ud;
    if (sh->refuse) {
        snprintf(err, errlen, "refused by the test");
        return false;
    }
    sh->buf = realloc(sh->buf, sh->len + len);
    assert_non_null(sh->buf);
    memcpy(sh->buf + sh->len, buf, len);
    sh->len += len;
    sh->batches++;
    return true;
}

/* A shipping journal (an HA master's): the batches go to the shipper, not
 * to the segment, and applied elsewhere (journal_apply_frames) they make
 * the same namespace; a frame cut short or flipped is refused; a refused
 * ship fails the journal for good. */
static void test_shipped_batches(void **state)
{
    (void)state;
    journal_recovery rec;
    journal *j;
    ns_table *ns = reopen(&j, &rec);
    shipped sh = { 0 };
    journal_set_shipper(j, ship, &sh);
    fill(ns, j);
    assert_true(sh.batches > 0);
    struct stat sb;
    char seg[400];
    snprintf(seg, sizeof seg, "%s/log.1", dir);
    assert_int_equal(stat(seg, &sb), 0);
    assert_int_equal(sb.st_size, 0);   /* nothing went to the segment */
    ns_table *copy = namespace_new();
    uint64_t n = 0;
    char err[256];
    assert_true(journal_apply_frames(sh.buf, sh.len, apply, copy, &n, err, sizeof err));
    assert_true(n >= 8);
    check(copy);
    namespace_free(copy);
    /* cut short, and a flipped byte: refused, saying where */
    copy = namespace_new();
    assert_false(journal_apply_frames(sh.buf, sh.len - 1, apply, copy, &n, err, sizeof err));
    assert_non_null(strstr(err, "does not fit"));
    sh.buf[12] ^= 1;
    assert_false(journal_apply_frames(sh.buf, sh.len, apply, copy, &n, err, sizeof err));
    assert_non_null(strstr(err, "fails its check"));
    assert_int_equal(n, 0);
    namespace_free(copy);
    /* a refused ship: that change and every later one are not acknowledged */
    sh.refuse = true;
    uint64_t gen;
    assert_int_equal(namespace_create(ns, "late", 1, 1000, 1, NULL, true, &gen, NULL), NS_OK);
    assert_false(journal_sync_mine(j));
    assert_non_null(journal_failure(j));
    assert_non_null(strstr(journal_failure(j), "refused by the test"));
    sh.refuse = false;
    assert_int_equal(namespace_create(ns, "later", 1, 1000, 1, NULL, true, &gen, NULL), NS_OK);
    assert_false(journal_sync_mine(j));
    namespace_set_journal(ns, NULL);
    journal_close(j);
    namespace_free(ns);
    free(sh.buf);
}

static void test_append_commit_cut_anywhere(void **state)
{
    (void)state;
    journal *j;
    journal_recovery rec;
    ns_table *ns = reopen(&j, &rec);
    static const char a0[] = "a000000000000000000000000000000000000000000000000000000000000000";
    static const char a1[] = "a111111111111111111111111111111111111111111111111111111111111111";
    static const char b1[] = "b111111111111111111111111111111111111111111111111111111111111111";
    static const char b2[] = "b222222222222222222222222222222222222222222222222222222222222222";
    uint64_t gen, exp, ver;
    char id[FILEID_LEN + 1];
    fileid_of_name("ap", id);
    assert_int_equal(namespace_create(ns, "ap", 1500, 1000, 2, NULL, true, &gen, NULL), NS_OK);
    for (uint16_t srv = 0; srv < 2; srv++) {
        assert_int_equal(namespace_report(ns, id, 0, srv, 1000, gen, a0, &exp, &ver), NS_OK);
        assert_int_equal(namespace_report(ns, id, 1, srv, 500, gen, a1, &exp, &ver), NS_OK);
    }
    uint32_t nnew;
    uint16_t holders[PROTO_MAX_REPLICATION], live[2] = { 0, 1 };
    unsigned nh, rep;
    append_plan ap;
    assert_int_equal(append_needs(ns, "ap", 1200, &nnew, holders, &nh, &rep), NS_OK);
    assert_int_equal(append_begin(ns, "ap", 1200, live, 2, nnew, 0, 60000, &ap), NS_OK);
    for (uint16_t srv = 0; srv < 2; srv++)
        assert_int_equal(namespace_report(ns, id, 1, srv, 1000, ap.version, b1, &exp, &ver), NS_OK);
    assert_int_equal(namespace_report(ns, id, 2, 0, 700, ap.version, b2, &exp, &ver), NS_OK);
    assert_true(journal_sync_mine(j));
    struct stat sb;
    assert_int_equal(stat(newest_log(), &sb), 0);
    off_t before = sb.st_size;
    assert_int_equal(append_end(ns, "ap", ap.token, false, 0), NS_OK);
    off_t after;
    char *log = close_and_read_log(j, ns, &after);
    assert_true(after > before);

    unsigned olds = 0, news = 0;
    for (off_t cut = before; cut <= after; cut++) {
        only_log(log, (size_t)cut);
        ns = reopen(&j, &rec);
        const ns_file *f = nscheck_lookup(ns, "ap");
        assert_non_null(f);
        char hex[SHA256_HEX_LEN + 1];
        assert_true(namespace_chunk_sum(&f->chunks[1], hex));
        if (f->size == 1500) {
            olds++;
            assert_int_equal(f->chunks[1].version, gen);
            assert_string_equal(hex, a1);
            assert_int_equal(namespace_check_replica(ns, id, 1, 0, 500, gen, a1), NS_REPLICA_KEEP);
        } else {
            news++;
            assert_int_equal(f->size, 2700);
            assert_int_equal(f->chunks[1].version, ap.version);
            assert_string_equal(hex, b1);
            assert_int_equal(namespace_check_replica(ns, id, 1, 0, 1000, ap.version, b1),
                             NS_REPLICA_KEEP);
            assert_int_equal(namespace_check_replica(ns, id, 2, 0, 700, ap.version, b2),
                             NS_REPLICA_KEEP);
        }
        /* the filled copy is never judged stale, whichever state replayed */
        assert_int_not_equal(namespace_check_replica(ns, id, 1, 1, 1000, ap.version, b1),
                             NS_REPLICA_STALE);
        journal_close(j);
        namespace_free(ns);
    }
    assert_int_equal(news, 1);   /* only the whole record commits */
    assert_true(olds >= 20);
    free(log);
}

/* An overwrite's switch is implied by the record of the replacement's
 * last chunk: a log cut at any byte replays to the old version (whole,
 * its replicas kept, the replacement beside it as far as it got) or to
 * the new one; never to neither, and never to a mix. */
static void test_overwrite_cut_anywhere(void **state)
{
    (void)state;
    journal *j;
    journal_recovery rec;
    ns_table *ns = reopen(&j, &rec);
    static const char o0[] = "0000000000000000000000000000000000000000000000000000000000000000";
    static const char o1[] = "1111111111111111111111111111111111111111111111111111111111111111";
    uint64_t gen, gen2, exp, ver;
    char id[FILEID_LEN + 1], did[FILEID_LEN + 1];
    fileid_of_name("ow", id);
    assert_int_equal(namespace_create(ns, "ow", 1500, 1000, 2, NULL, true, &gen, NULL), NS_OK);
    for (uint16_t srv = 0; srv < 2; srv++) {
        assert_int_equal(namespace_report(ns, id, 0, srv, 1000, gen, o0, &exp, &ver), NS_OK);
        assert_int_equal(namespace_report(ns, id, 1, srv, 500, gen, o1, &exp, &ver), NS_OK);
    }
    assert_true(journal_sync_mine(j));
    struct stat sb;
    assert_int_equal(stat(newest_log(), &sb), 0);
    off_t before = sb.st_size;
    assert_int_equal(namespace_overwrite(ns, "ow", 2500, 1000, 2, NULL, &gen2, did), NS_OK);
    assert_string_not_equal(did, id);
    ns_doomed d;
    for (uint32_t i = 0; i < 3; i++) {
        const ns_file *f = nscheck_lookup(ns, "ow");
        assert_int_equal(f->size, 1500);   /* readers keep the old version meanwhile */
        assert_false(namespace_take_doomed(ns, &d));
        assert_int_equal(namespace_report(ns, did, i, 1, i == 2 ? 500 : 1000, gen2, sum, &exp,
                                          &ver), NS_OK);
    }
    char hex[FILEID_LEN + 1];
    const ns_file *f = nscheck_lookup(ns, "ow");
    assert_int_equal(f->size, 2500);
    assert_string_equal(namespace_file_id(f, hex), did);
    assert_true(namespace_take_doomed(ns, &d));   /* the old version's four replicas */
    assert_string_equal(d.fileid, id);
    assert_int_equal(d.n, 4);
    namespace_doomed_free(&d);
    off_t after;
    char *log = close_and_read_log(j, ns, &after);

    unsigned olds = 0, news = 0;
    for (off_t cut = before; cut <= after; cut++) {
        only_log(log, (size_t)cut);
        ns = reopen(&j, &rec);
        f = nscheck_lookup(ns, "ow");
        assert_non_null(f);
        if (f->size == 1500) {
            olds++;
            assert_string_equal(namespace_file_id(f, hex), id);
            assert_true(namespace_file_complete(f));
            assert_int_equal(namespace_check_replica(ns, id, 1, 0, 500, gen, o1), NS_REPLICA_KEEP);
        } else {
            news++;
            assert_int_equal(f->size, 2500);
            assert_string_equal(namespace_file_id(f, hex), did);
            assert_true(namespace_file_complete(f));
            assert_int_equal(namespace_check_replica(ns, id, 1, 0, 500, gen, o1),
                             NS_REPLICA_UNKNOWN);   /* garbage now, for the GC */
        }
        char err[512];
        if (!nscheck_roundtrip(ns, err, sizeof err))
            fail_msg("cut at %lld: checkpoint round trip: %s", (long long)cut, err);
        journal_close(j);
        namespace_free(ns);
    }
    assert_int_equal(news, 1);   /* only the last chunk's whole record switches */
    assert_true(olds >= 20);
    free(log);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_damaged_checkpoint_falls_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flipped_last_record_is_damage, setup, teardown),
        cmocka_unit_test_setup_teardown(test_zero_tail_is_torn, setup, teardown),
        cmocka_unit_test_setup_teardown(test_append_commit_cut_anywhere, setup, teardown),
        cmocka_unit_test_setup_teardown(test_overwrite_cut_anywhere, setup, teardown),
        cmocka_unit_test_setup_teardown(test_directory_lock, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reopen_replays_everything, setup, teardown),
        cmocka_unit_test_setup_teardown(test_torn_tail_dropped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_damage_in_the_middle_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_checkpoint_replaces_log, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_batches, setup, teardown),
        cmocka_unit_test_setup_teardown(test_group_commit_concurrent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shipped_batches, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
