/* test_namespace.c - the master's file table: creation, chunk reports,
 * completeness, sizes, duplicates, removal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "append.h"
#include "lease.h"
#include "monotime.h"
#include "namespace.h"
#include "nscheck.h"

#include <stdlib.h>

static uint64_t test_ver;   /* a chunk version namespace_report hands back */

static void test_create_and_complete(void **state)
{
    (void)state;
    ns_table *ns = namespace_new();
    uint64_t gen;
    assert_int_equal(namespace_create(ns, "input.txt", 32750109, 1000000, 1, NULL, true, &gen, NULL), NS_OK);
    const ns_file *f = nscheck_lookup(ns, "input.txt");
    assert_non_null(f);
    assert_int_equal(f->nchunks, 33);
    assert_int_equal(namespace_chunk_length(f, 32), 750109);
    assert_int_equal(namespace_chunk_length(f, 0), 1000000);
    assert_false(namespace_file_complete(f));

    char id[FILEID_LEN + 1];
    fileid_of_name("input.txt", id);
    uint64_t expected;
    for (uint32_t i = 0; i < 33; i++) {
        assert_false(namespace_file_complete(f));
        assert_int_equal(namespace_report(ns, id, i, (uint16_t)(i % 2),
                                          i == 32 ? 750109 : 1000000, gen, NULL, &expected, &test_ver), NS_OK);
    }
    assert_true(namespace_file_complete(f));
    assert_int_equal(f->chunks[5].nrep, 1);
    assert_int_equal(f->chunks[5].rep[0], 1);
    namespace_free(ns);
}

static void test_zero_byte_file_is_complete(void **state)
{
    (void)state;
    ns_table *ns = namespace_new();
    uint64_t gen;
    assert_int_equal(namespace_create(ns, "empty", 0, 1000, 1, NULL, true, &gen, NULL), NS_OK);
    const ns_file *f = nscheck_lookup(ns, "empty");
    assert_int_equal(f->nchunks, 0);
    assert_true(namespace_file_complete(f));
    namespace_free(ns);
}

static void test_reports_checked(void **state)
{
    (void)state;
    ns_table *ns = namespace_new();
    uint64_t gen;
    char id[FILEID_LEN + 1], other[FILEID_LEN + 1];
    fileid_of_name("f", id);
    fileid_of_name("nope", other);
    uint64_t expected = 0;
    assert_int_equal(namespace_create(ns, "f", 2500, 1000, 1, NULL, true, &gen, NULL), NS_OK);
    assert_int_equal(namespace_report(ns, other, 0, 0, 1000, 0, NULL, &expected, &test_ver), NS_NOT_FOUND);
    assert_int_equal(namespace_report(ns, id, 3, 0, 1000, 0, NULL, &expected, &test_ver), NS_BAD_INDEX);
    assert_int_equal(namespace_report(ns, id, 2, 0, 1000, 0, NULL, &expected, &test_ver), NS_BAD_SIZE);
    assert_int_equal(expected, 500);
    assert_int_equal(namespace_report(ns, id, 2, 0, 500, 0, NULL, &expected, &test_ver), NS_OK);
    assert_int_equal(namespace_report(ns, id, 2, 0, 500, 0, NULL, &expected, &test_ver), NS_DUPLICATE);
    assert_int_equal(namespace_report(ns, id, 2, 1, -1, 0, NULL, &expected, &test_ver), NS_OK);
    const ns_file *f = nscheck_lookup(ns, "f");
    ns_health h;
    namespace_health(f, NULL, NULL, &h);
    assert_int_equal(h.under, 2);   /* chunks 0 and 1 have none */
    assert_int_equal(f->chunks[2].nrep, 2);
    assert_int_equal(f->nstored, 1);
    namespace_free(ns);
}

/* A page of a full report judged in one go says what each entry judged
 * alone would, and counts the locations it taught the master. */
static void test_report_page_batch(void **state)
{
    (void)state;
    ns_table *ns = namespace_new();
    uint64_t gen, expected, ver;
    char id[FILEID_LEN + 1], other[FILEID_LEN + 1];
    fileid_of_name("g", id);
    fileid_of_name("nope", other);
    /* (a file before: g's generation is past 1, so gen - 1 is a version) */
    assert_int_equal(namespace_create(ns, "before", 0, 100, 1, NULL, true, &gen, NULL), NS_OK);
    assert_int_equal(namespace_create(ns, "g", 40 * 100 + 30, 100, 1, NULL, true, &gen, NULL),
                     NS_OK);
    assert_true(gen > 1);
    for (uint32_t i = 0; i < 41; i++)
        assert_int_equal(namespace_report(ns, id, i, 0, i == 40 ? 30 : 100, 0, NULL, &expected,
                                          &ver), NS_OK);
    /* 1500 entries: many locks' worth (NS_REPLICAS_PER_LOCK), prefetches running off each end */
    enum { N = 1500 };
    static ns_replica_in in[N];
    static ns_replica_verdict out[N];
    for (size_t k = 0; k < N; k++) {
        uint32_t i = (uint32_t)(k % 45);   /* 41 to 44: past the end */
        assert_true(sha256_from_hex(k % 7 == 3 ? other : id, in[k].fid));
        in[k].index = i;
        in[k].size = i == 40 ? 30 : 100;
        in[k].version = k % 13 == 0 ? gen - 1 : gen;
        in[k].has_sha = false;
    }
    size_t added = namespace_check_replicas(ns, 1, in, N, out);
    size_t keep = 0;
    uint8_t mine_fid[SHA256_LEN];
    assert_true(sha256_from_hex(id, mine_fid));
    for (size_t k = 0; k < N; k++) {
        bool mine = memcmp(in[k].fid, mine_fid, SHA256_LEN) == 0, inside = in[k].index < 41;
        if (mine && !inside && in[k].version < gen)   /* past a newer file's end: an old one's */
            assert_int_equal(out[k], NS_REPLICA_STALE);
        else if (!mine || !inside)
            assert_int_equal(out[k], NS_REPLICA_UNKNOWN);
        else if (in[k].version < gen)
            assert_int_equal(out[k], NS_REPLICA_STALE);
        else
            assert_int_equal(out[k], NS_REPLICA_KEEP);
        keep += out[k] == NS_REPLICA_KEEP;
    }
    assert_true(keep > 41);
    assert_int_equal(added, 41);   /* each chunk's new holder counted once */
    const ns_file *f = nscheck_lookup(ns, "g");
    for (uint32_t i = 0; i < 41; i++)
        assert_int_equal(f->chunks[i].nrep, 2);
    /* the same page again teaches nothing */
    assert_int_equal(namespace_check_replicas(ns, 1, in, N, out), 0);
    namespace_free(ns);
}

/* Repair leaves a file alone while a new chunk version's pipeline copies
 * may still land: only a version's first copy starts that wait, so a
 * repaired copy (a later one) never holds back the rest of the file. */
static void test_only_first_copy_settles(void **state)
{
    (void)state;
    ns_table *ns = namespace_new();
    uint64_t gen, expected;
    char id[FILEID_LEN + 1];
    fileid_of_name("s", id);
    assert_int_equal(namespace_create(ns, "s", 2000, 1000, 3, NULL, true, &gen, NULL), NS_OK);
    ns_file *f = (ns_file *)nscheck_lookup(ns, "s");
    const uint32_t ten_minutes = 600000;
    f->touched = (uint32_t)monotime_ms() - ten_minutes;
    assert_int_equal(namespace_report(ns, id, 0, 0, 1000, gen, NULL, &expected, &test_ver), NS_OK);
    assert_true(namespace_touched_age(f, monotime_ms()) < ten_minutes);   /* the chunk's first copy */
    f->touched = (uint32_t)monotime_ms() - ten_minutes;
    assert_int_equal(namespace_report(ns, id, 0, 1, 1000, gen, NULL, &expected, &test_ver), NS_OK);
    assert_int_equal(namespace_report(ns, id, 0, 2, 1000, gen, NULL, &expected, &test_ver), NS_OK);
    assert_true(namespace_touched_age(f, monotime_ms()) >= ten_minutes);   /* its later copies */
    assert_int_equal(namespace_report(ns, id, 1, 2, 1000, gen, NULL, &expected, &test_ver), NS_OK);
    assert_true(namespace_touched_age(f, monotime_ms()) < ten_minutes);   /* another chunk's first copy */
    namespace_free(ns);
}

/* A file keeps the monotonic clock's low 32 bits: an age across their
 * wrap is still right, and a touch after the clock was read is age 0. */
static void test_touched_age_across_the_wrap(void **state)
{
    (void)state;
    ns_file f = { .touched = UINT32_MAX - 99 };
    assert_int_equal(namespace_touched_age(&f, (int64_t)UINT32_MAX + 1 + 400), 500);
    assert_int_equal(namespace_touched_age(&f, (int64_t)UINT32_MAX - 99), 0);
    f.touched = 1000;
    assert_int_equal(namespace_touched_age(&f, ((int64_t)7 << 32) + 3000), 2000);
    /* touched after the caller read its clock: just now, not 49 days ago */
    f.touched = 5005;
    assert_int_equal(namespace_touched_age(&f, 5000), 0);
    f.touched = 2;
    assert_int_equal(namespace_touched_age(&f, (int64_t)UINT32_MAX - 1), 0);
}

static void test_exists_and_remove(void **state)
{
    (void)state;
    ns_table *ns = namespace_new();
    uint64_t gen;
    char id[FILEID_LEN + 1];
    fileid_of_name("f", id);
    uint64_t expected;
    assert_int_equal(namespace_create(ns, "f", 2000, 1000, 1, NULL, true, &gen, NULL), NS_OK);
    assert_int_equal(namespace_create(ns, "f", 10, 1000, 1, NULL, true, &gen, NULL), NS_EXISTS);
    namespace_report(ns, id, 0, 3, 1000, 0, NULL, &expected, &test_ver);
    namespace_report(ns, id, 1, 4, 1000, 0, NULL, &expected, &test_ver);
    namespace_report(ns, id, 1, 5, 1000, 0, NULL, &expected, &test_ver);
    ns_doomed d;
    assert_int_equal(namespace_remove(ns, "f", NULL, &d), NS_OK);
    assert_string_equal(d.fileid, id);
    assert_int_equal(d.n, 3);
    assert_int_equal(d.items[0].index, 0);
    assert_int_equal(d.items[0].server, 3);
    assert_int_equal(d.items[2].server, 5);
    namespace_doomed_free(&d);
    assert_null(nscheck_lookup(ns, "f"));
    assert_int_equal(namespace_remove(ns, "f", NULL, &d), NS_NOT_FOUND);
    assert_int_equal(namespace_create(ns, "f", 10, 1000, 1, NULL, true, &gen, NULL), NS_OK);
    namespace_free(ns);
}

static void test_stale_generation_refused(void **state)
{
    (void)state;
    ns_table *ns = namespace_new();
    uint64_t gen1, gen2, expected;
    char id[FILEID_LEN + 1];
    fileid_of_name("f", id);
    assert_int_equal(namespace_create(ns, "f", 1000, 1000, 1, NULL, true, &gen1, NULL), NS_OK);
    ns_doomed d;
    assert_int_equal(namespace_remove(ns, "f", NULL, &d), NS_OK);
    namespace_doomed_free(&d);
    assert_int_equal(namespace_create(ns, "f", 1000, 1000, 1, NULL, true, &gen2, NULL), NS_OK);
    assert_true(gen2 > gen1);
    /* A late chunk of the overwritten upload must not count for the new file. */
    assert_int_equal(namespace_report(ns, id, 0, 0, 1000, gen1, NULL, &expected, &test_ver), NS_STALE);
    assert_false(namespace_file_complete(nscheck_lookup(ns, "f")));
    assert_int_equal(namespace_report(ns, id, 0, 0, 1000, gen2, NULL, &expected, &test_ver), NS_OK);
    assert_true(namespace_file_complete(nscheck_lookup(ns, "f")));
    namespace_free(ns);
}

static void test_allocate(void **state)
{
    (void)state;
    ns_table *ns = namespace_new();
    uint16_t plan[3] = { 4, 5, 6 }, plan2[3] = { 7, 8, 9 };
    lease_allocation a, b;
    char id[FILEID_LEN + 1];
    fileid_of_name("/data/log.dat", id);
    /* creates the file; first lease: version 1, primary first */
    assert_int_equal(lease_allocate(ns, "/data/log.dat", 0, 1000, 3, NULL, plan, 3, 0, 60000, &a), NS_OK);
    char want[CHUNKID_BUF];
    chunkid_format(want, id, 0);
    assert_string_equal(a.handle, want);
    assert_int_equal(a.version, 1);
    assert_int_equal(a.lease_left_ms, 60000);
    assert_int_equal(a.nrep, 3);
    assert_int_equal(a.rep[0], 4);
    assert_int_equal(a.rep[2], 6);
    /* idempotent while the lease holds: same replicas, same version */
    assert_int_equal(lease_allocate(ns, "/data/log.dat", 0, 1000, 3, NULL, plan2, 3, 1000, 60000, &b), NS_OK);
    assert_int_equal(b.version, 1);
    assert_int_equal(b.rep[0], 4);
    assert_int_equal(b.lease_left_ms, 59000);
    /* past the end: refused; at the end: a new chunk */
    assert_int_equal(lease_allocate(ns, "/data/log.dat", 2, 1000, 3, NULL, plan, 3, 0, 60000, &b), NS_BAD_INDEX);
    /* a chunk's first lease keeps its birth version: the file's generation */
    assert_int_equal(lease_allocate(ns, "/data/log.dat", 1, 1000, 3, NULL, plan2, 3, 0, 60000, &b), NS_OK);
    assert_int_equal(b.version, 1);
    assert_int_equal(b.rep[0], 7);
    /* an expired lease: a new one, and a higher version, same replicas */
    assert_int_equal(lease_allocate(ns, "/data/log.dat", 0, 1000, 3, NULL, plan2, 3, 70000, 60000, &b), NS_OK);
    assert_int_equal(b.version, 2);
    assert_int_equal(b.rep[0], 4);
    /* deleted and created again: versions keep growing */
    ns_doomed d;
    assert_int_equal(namespace_remove(ns, "/data/log.dat", NULL, &d), NS_OK);
    namespace_doomed_free(&d);
    assert_int_equal(lease_allocate(ns, "/data/log.dat", 0, 1000, 3, NULL, plan, 3, 0, 60000, &b), NS_OK);
    assert_true(b.version > 2);
    /* a new chunk with nowhere to go */
    assert_int_equal(lease_allocate(ns, "other", 0, 1000, 3, NULL, NULL, 0, 0, 60000, &b), NS_NO_SERVERS);
    namespace_free(ns);
}

/* A new lease's version becomes the chunk's only when a replica reports a
 * mutation under it; then the holders of the old version are stale. */
static void test_version_moves_with_mutation(void **state)
{
    (void)state;
    ns_table *ns = namespace_new();
    uint16_t plan[2] = { 1, 2 };
    lease_allocation a, b;
    uint64_t exp;
    char id[FILEID_LEN + 1];
    fileid_of_name("m", id);
    assert_int_equal(lease_allocate(ns, "m", 0, 1000, 2, NULL, plan, 2, 0, 100, &a), NS_OK);
    assert_int_equal(namespace_report(ns, id, 0, 1, 10, a.version, NULL, &exp, &test_ver), NS_OK);
    assert_int_equal(namespace_report(ns, id, 0, 2, 10, a.version, NULL, &exp, &test_ver), NS_OK);
    /* the lease ran out; a new one, a new version: nobody is stale yet */
    assert_int_equal(lease_allocate(ns, "m", 0, 1000, 2, NULL, plan, 2, 500, 100, &b), NS_OK);
    assert_true(b.version > a.version);
    assert_int_equal(namespace_check_replica(ns, id, 0, 2, 10, a.version, NULL), NS_REPLICA_KEEP);
    /* server 1 takes a mutation under the new version: server 2 is stale */
    assert_int_equal(namespace_report(ns, id, 0, 1, 20, b.version, NULL, &exp, &test_ver), NS_OK);
    assert_int_equal(test_ver, b.version);
    assert_int_equal(namespace_check_replica(ns, id, 0, 2, 10, a.version, NULL), NS_REPLICA_STALE);
    assert_int_equal(namespace_report(ns, id, 0, 2, 10, a.version, NULL, &exp, &test_ver), NS_STALE);
    const ns_file *f = nscheck_lookup(ns, "m");
    assert_int_equal(f->chunks[0].nrep, 1);
    assert_int_equal(f->chunks[0].rep[0], 1);
    namespace_free(ns);
}

static void count_one(const ns_file *f, void *ud)
{
    (void)f;
    (*(size_t *)ud)++;
}

static void test_many_files_grow_table(void **state)
{
    (void)state;
    ns_table *ns = namespace_new();
    uint64_t gen;
    char name[32];
    for (int i = 0; i < 5000; i++) {
        snprintf(name, sizeof name, "file-%d", i);
        assert_int_equal(namespace_create(ns, name, (uint64_t)i, 100, 1, NULL, true, &gen, NULL), NS_OK);
    }
    assert_int_equal(namespace_count(ns), 5000);
    size_t seen = 0;
    namespace_each(ns, count_one, &seen);
    assert_int_equal(seen, 5000);
    for (int i = 0; i < 5000; i += 7) {
        snprintf(name, sizeof name, "file-%d", i);
        const ns_file *f = nscheck_lookup(ns, name);
        assert_non_null(f);
        assert_int_equal(f->size, (uint64_t)i);
    }
    namespace_free(ns);
}

/* A walk in slices (repair's scan) sees every file once, also when the
 * table doubles between slices, and each slice stops near its budget. */
typedef struct {
    unsigned char seen[20000];
    size_t n, dup;
} scan_seen;

static void scan_one(const ns_file *f, void *ud)
{
    scan_seen *s = ud;
    int i;
    assert_int_equal(sscanf(namespace_node_name(&f->node), "s-%d", &i), 1);
    s->dup += s->seen[i]++ > 0;
    s->n++;
}

static void test_scan_in_slices(void **state)
{
    (void)state;
    ns_table *ns = namespace_new();
    uint64_t gen;
    char name[32];
    for (int i = 0; i < 3000; i++) {
        snprintf(name, sizeof name, "s-%d", i);
        assert_int_equal(namespace_create(ns, name, 100, 100, 1, NULL, true, &gen, NULL), NS_OK);
    }
    static scan_seen s;
    memset(&s, 0, sizeof s);
    ns_scan sc = { 0 };
    int slices = 0, made = 3000;
    bool done = false;
    while (!done) {
        size_t before = s.n;
        done = namespace_scan_step(ns, &sc, 64, scan_one, &s);
        slices++;
        /* 64 chunks' worth (files without chunks count one each), give
         * or take the last bucket */
        assert_true(s.n - before <= 64 + 16);
        /* files made between slices: the table doubles under the walk */
        for (int k = 0; k < 40 && made < 20000; k++, made++) {
            snprintf(name, sizeof name, "s-%d", made);
            assert_int_equal(namespace_create(ns, name, 100, 100, 1, NULL, true, &gen, NULL),
                             NS_OK);
        }
    }
    assert_true(slices > 10);
    assert_int_equal(s.dup, 0);
    for (int i = 0; i < 3000; i++)
        assert_int_equal(s.seen[i], 1);   /* every file there at the start, once */
    /* and the next walk starts afresh and sees them all */
    memset(&s, 0, sizeof s);
    while (!namespace_scan_step(ns, &sc, 1000000, scan_one, &s))
        ;
    assert_int_equal(s.n, (size_t)made);
    assert_int_equal(s.dup, 0);
    namespace_free(ns);
}

/* The checkpoint must always replay to the same namespace. */
static void roundtrip(ns_table *ns)
{
    char err[1024];
    if (!nscheck_roundtrip(ns, err, sizeof err))
        fail_msg("checkpoint round trip: %s", err);
}

/* The master can always write and re-read its own checkpoint, after every
 * kind of change and with every value at its limit; and what is past a
 * limit is refused up front, never stored. An append of 4,294,967,296,000,000
 * bytes to a 1 MB-chunk file once wrapped the new chunk count to 32 bits
 * and made a checkpoint the next start refused. */
static void test_checkpoint_roundtrip_at_limits(void **state)
{
    (void)state;
    ns_table *ns = namespace_new();
    uint64_t gen, exp;
    const uint64_t max_cs = PROTO_MAX_CHUNK_SIZE, max_size = (uint64_t)PROTO_MAX_CHUNKS * max_cs;
    /* A path of 4,097 bytes in components of at most 255: one too long. */
    char *longname = malloc(PROTO_MAX_FILE_NAME + 2);
    for (size_t i = 0; i < PROTO_MAX_FILE_NAME + 1; i++)
        longname[i] = i % 256 == 0 && i < PROTO_MAX_FILE_NAME ? '/' : 'n';
    longname[PROTO_MAX_FILE_NAME + 1] = '\0';
    assert_true(namespace_set_cluster_id(ns, "0123456789abcdef0123456789abcdef"));
    roundtrip(ns);

    /* past the limits: refused, nothing stored */
    assert_int_equal(namespace_create(ns, longname, 1, 1000, 1, NULL, true, &gen, NULL), NS_BAD_PATH);
    assert_int_equal(namespace_create(ns, "big", max_size + 1, max_cs, 8, NULL, true, &gen, NULL), NS_BAD_SIZE);
    assert_int_equal(namespace_create(ns, "cs", 1, max_cs + 1, 8, NULL, true, &gen, NULL), NS_BAD_SIZE);
    assert_int_equal(namespace_count(ns), 0);
    /* at them: stored, and replayed */
    longname[PROTO_MAX_FILE_NAME] = '\0';
    assert_int_equal(namespace_create(ns, longname, max_size, max_cs, 8, NULL, true, &gen, NULL), NS_OK);
    roundtrip(ns);
    assert_int_equal(namespace_create(ns, "empty", 0, 1, 1, NULL, true, &gen, NULL), NS_OK);
    roundtrip(ns);

    /* appends: to a complete file of 1.5 chunks of 1 MB */
    char id[FILEID_LEN + 1];
    assert_int_equal(namespace_create(ns, "al.bin", 1500000, 1000000, 3, NULL, true, &gen, NULL), NS_OK);
    fileid_of_name("al.bin", id);
    static const char sum[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    assert_int_equal(namespace_report(ns, id, 0, 0, 1000000, gen, sum, &exp, &test_ver), NS_OK);
    assert_int_equal(namespace_report(ns, id, 1, 0, 500000, gen, sum, &exp, &test_ver), NS_OK);
    roundtrip(ns);
    uint32_t nnew;
    uint16_t holders[PROTO_MAX_REPLICATION];
    unsigned nholders, rep;
    append_plan ap;
    uint16_t live[1] = { 0 };
    /* the request that wedged the master, and one byte past the limit */
    assert_int_equal(append_needs(ns, "al.bin", 4294967296000000ull, &nnew, holders,
                                            &nholders, &rep), NS_BAD_SIZE);
    assert_int_equal(append_begin(ns, "al.bin", 4294967296000000ull, live, 1,
                                            (uint32_t)4294967296000000ull / 1000000, 0, 1000,
                                            &ap), NS_BAD_SIZE);
    uint64_t room = (uint64_t)PROTO_MAX_CHUNKS * 1000000 - 1500000;
    assert_int_equal(append_needs(ns, "al.bin", room + 1, &nnew, holders, &nholders,
                                            &rep), NS_BAD_SIZE);
    assert_int_equal(append_needs(ns, "al.bin", UINT64_MAX, &nnew, holders, &nholders,
                                            &rep), NS_BAD_SIZE);
    /* exactly to the limit: planned (every slot), replayed (in a copy of
     * its own, as a million pending slots make every later dump big) */
    ns_table *big = namespace_new();
    assert_int_equal(namespace_create(big, "al.bin", 1500000, 1000000, 3, NULL, true, &gen, NULL), NS_OK);
    assert_int_equal(namespace_report(big, id, 0, 0, 1000000, gen, sum, &exp, &test_ver), NS_OK);
    assert_int_equal(namespace_report(big, id, 1, 0, 500000, gen, sum, &exp, &test_ver), NS_OK);
    assert_int_equal(append_needs(big, "al.bin", room, &nnew, holders, &nholders, &rep),
                     NS_OK);
    assert_int_equal(nnew, PROTO_MAX_CHUNKS - 2);
    assert_int_equal(append_begin(big, "al.bin", room, live, 1, nnew, 0, 1000, &ap),
                     NS_OK);
    roundtrip(big);
    namespace_free(big);
    /* a small append, committed */
    assert_int_equal(append_needs(ns, "al.bin", 700000, &nnew, holders, &nholders, &rep),
                     NS_OK);
    assert_int_equal(append_begin(ns, "al.bin", 700000, live, 1, nnew, 2000, 1000, &ap),
                     NS_OK);
    assert_int_equal(namespace_report(ns, id, 1, 0, 1000000, ap.version, sum, &exp, &test_ver),
                     NS_OK);
    assert_int_equal(namespace_report(ns, id, 2, 0, 200000, ap.version, sum, &exp, &test_ver),
                     NS_OK);
    roundtrip(ns);
    assert_int_equal(append_end(ns, "al.bin", ap.token, false, 2000), NS_OK);
    roundtrip(ns);
    const ns_file *f = nscheck_lookup(ns, "al.bin");
    assert_int_equal(f->size, 2200000);

    /* allocations, up to the last index a file may have */
    uint16_t plan[2] = { 0, 1 };
    lease_allocation a;
    for (uint32_t i = 0; i < 3; i++)
        assert_int_equal(lease_allocate(ns, "alloc", i, max_cs, 8, NULL, plan, 2, 0, 1000, &a),
                         NS_OK);
    roundtrip(ns);
    assert_int_equal(lease_allocate(ns, "alloc", 5, max_cs, 8, NULL, plan, 2, 0, 1000, &a),
                     NS_BAD_INDEX);

    /* removal */
    ns_doomed d;
    assert_int_equal(namespace_remove(ns, longname, NULL, &d), NS_OK);
    namespace_doomed_free(&d);
    roundtrip(ns);
    free(longname);
    namespace_free(ns);
}

/* Records a journal could hold but the namespace cannot: refused on
 * replay, never half-applied into something a checkpoint cannot hold. */
static void test_replay_refuses_what_is_past_the_limits(void **state)
{
    (void)state;
    ns_table *ns = namespace_new();
    char err[256];
    const char *bad[] = {
        "{\"op\":\"create\",\"name\":\"a\",\"gen\":1,\"size\":2000000000000000,\"cs\":1,\"rep\":1}",
        "{\"op\":\"create\",\"name\":\"a\",\"gen\":1,\"size\":1,\"cs\":0,\"rep\":1}",
        "{\"op\":\"create\",\"name\":\"a\",\"gen\":1,\"size\":1,\"cs\":2000000000,\"rep\":1}",
        "{\"op\":\"create\",\"name\":\"a\",\"gen\":-1,\"size\":1,\"cs\":1,\"rep\":1}",
        "{\"op\":\"file\",\"name\":\"b\",\"gen\":2,\"size\":1,\"cs\":1,\"rep\":1,\"n\":4294967296}",
        "{\"op\":\"cluster\",\"id\":\"ABC\"}",
        "{\"op\":\"nonsense\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *rec = json_loads(bad[i], 0, NULL);
        assert_non_null(rec);
        assert_false(record_replay(ns, rec, err, sizeof err));
        json_decref(rec);
    }
    /* a second, different cluster id is not ours to pick */
    json_t *c1 = json_loads("{\"op\":\"cluster\",\"id\":\"0123456789abcdef0123456789abcdef\"}", 0, NULL);
    json_t *c2 = json_loads("{\"op\":\"cluster\",\"id\":\"fedcba9876543210fedcba9876543210\"}", 0, NULL);
    assert_true(record_replay(ns, c1, err, sizeof err));
    assert_true(record_replay(ns, c1, err, sizeof err));
    assert_false(record_replay(ns, c2, err, sizeof err));
    json_decref(c1);
    json_decref(c2);
    /* the size record of an existing file: within its limits only */
    json_t *ok = json_loads("{\"op\":\"create\",\"name\":\"s\",\"gen\":5,\"size\":10,\"cs\":1000000,\"rep\":1}", 0, NULL);
    assert_true(record_replay(ns, ok, err, sizeof err));
    json_decref(ok);
    char id[FILEID_LEN + 1], rec[300];
    fileid_of_name("s", id);
    snprintf(rec, sizeof rec, "{\"op\":\"size\",\"id\":\"%s\",\"gen\":5,\"size\":4294967296000000000}", id);
    json_t *sz = json_loads(rec, 0, NULL);
    assert_false(record_replay(ns, sz, err, sizeof err));
    json_decref(sz);
    roundtrip(ns);
    namespace_free(ns);
}

static void count_visible(const ns_file *f, void *ud)
{
    (void)f;
    (*(int *)ud)++;
}

/* An overwrite writes beside a complete file: the name keeps the old one
 * until the replacement is whole; a second overwrite drops the first
 * (the last writer wins); a delete takes both; an incomplete file is
 * replaced in place; an empty replacement switches at once. */
static void test_overwrite_beside(void **state)
{
    (void)state;
    ns_table *ns = namespace_new();
    uint64_t gen, g2, g3, exp;
    char id[FILEID_LEN + 1], d2[FILEID_LEN + 1], d3[FILEID_LEN + 1];
    fileid_of_name("f", id);
    assert_int_equal(namespace_create(ns, "f", 1000, 1000, 1, NULL, true, &gen, NULL), NS_OK);
    /* incomplete: replaced in place, under the name's own identifier */
    assert_int_equal(namespace_overwrite(ns, "f", 1500, 1000, 1, NULL, &g2, d2), NS_OK);
    assert_string_equal(d2, id);
    assert_true(g2 > gen);
    assert_int_equal(nscheck_lookup(ns, "f")->size, 1500);
    ns_doomed d;
    assert_false(namespace_take_doomed(ns, &d));   /* it held nothing */
    assert_int_equal(namespace_report(ns, id, 0, 1, 1000, g2, NULL, &exp, &test_ver), NS_OK);
    assert_int_equal(namespace_report(ns, id, 1, 1, 500, g2, NULL, &exp, &test_ver), NS_OK);
    assert_true(namespace_file_complete(nscheck_lookup(ns, "f")));

    /* complete: a replacement beside it, found by its own identifier only */
    assert_int_equal(namespace_overwrite(ns, "f", 3000, 1000, 1, NULL, &g2, d2), NS_OK);
    assert_string_not_equal(d2, id);
    assert_int_equal(nscheck_lookup(ns, "f")->size, 1500);
    const ns_file *r = NULL;
    assert_int_equal(namespace_with_file(ns, d2, nscheck_grab, &r), NS_OK);
    assert_int_equal(r->size, 3000);
    assert_true(r->replaces);
    int n = 0;
    namespace_each(ns, count_visible, &n);
    assert_int_equal(n, 1);
    assert_int_equal(namespace_create(ns, "f", 10, 1000, 1, NULL, true, &g3, NULL), NS_EXISTS);
    assert_int_equal(namespace_report(ns, d2, 0, 2, 1000, g2, NULL, &exp, &test_ver), NS_OK);

    /* a second overwrite: the first replacement goes, its stored chunk
     * to be deleted */
    assert_int_equal(namespace_overwrite(ns, "f", 2000, 1000, 1, NULL, &g3, d3), NS_OK);
    assert_string_not_equal(d3, d2);
    assert_true(namespace_take_doomed(ns, &d));
    assert_string_equal(d.fileid, d2);
    assert_int_equal(d.n, 1);
    assert_int_equal(d.items[0].server, 2);
    namespace_doomed_free(&d);
    assert_int_equal(namespace_with_file(ns, d2, nscheck_grab, &r), NS_NOT_FOUND);
    assert_int_equal(namespace_report(ns, d2, 1, 2, 1000, g2, NULL, &exp, &test_ver), NS_NOT_FOUND);

    /* an append goes to the file readers see meanwhile */
    uint32_t nnew;
    uint16_t holders[PROTO_MAX_REPLICATION];
    unsigned nh, rep;
    assert_int_equal(append_needs(ns, "f", 10, &nnew, holders, &nh, &rep), NS_OK);

    /* its last chunk stored: it is the file, under its own identifier */
    assert_int_equal(namespace_report(ns, d3, 0, 3, 1000, g3, NULL, &exp, &test_ver), NS_OK);
    assert_int_equal(nscheck_lookup(ns, "f")->size, 1500);
    roundtrip(ns);   /* a replacement under way survives a checkpoint */
    assert_int_equal(namespace_report(ns, d3, 1, 3, 1000, g3, NULL, &exp, &test_ver), NS_OK);
    char hex[FILEID_LEN + 1];
    const ns_file *f = nscheck_lookup(ns, "f");
    assert_int_equal(f->size, 2000);
    assert_string_equal(namespace_file_id(f, hex), d3);
    assert_false(f->replaces);
    assert_true(namespace_take_doomed(ns, &d));
    assert_string_equal(d.fileid, id);
    assert_int_equal(d.n, 2);
    namespace_doomed_free(&d);
    assert_int_equal(namespace_report(ns, id, 0, 1, 1000, g2, NULL, &exp, &test_ver), NS_NOT_FOUND);
    roundtrip(ns);   /* and so does the alias */

    /* an empty replacement switches at once; then a delete takes it and
     * a replacement under way with it */
    assert_int_equal(namespace_overwrite(ns, "f", 0, 1000, 1, NULL, &g2, d2), NS_OK);
    assert_int_equal(nscheck_lookup(ns, "f")->size, 0);
    assert_true(namespace_take_doomed(ns, &d));
    assert_string_equal(d.fileid, d3);
    namespace_doomed_free(&d);
    assert_int_equal(namespace_overwrite(ns, "f", 1000, 1000, 1, NULL, &g3, d3), NS_OK);
    assert_int_equal(namespace_report(ns, d3, 0, 4, 1000, g3, NULL, &exp, &test_ver), NS_OK);
    assert_string_equal(namespace_file_id(nscheck_lookup(ns, "f"), hex), d3);
    assert_false(namespace_take_doomed(ns, &d));   /* the empty version held nothing */
    assert_int_equal(namespace_overwrite(ns, "f", 2000, 1000, 1, NULL, &g2, d2), NS_OK);
    assert_int_equal(namespace_report(ns, d2, 0, 5, 1000, g2, NULL, &exp, &test_ver), NS_OK);
    assert_int_equal(namespace_remove(ns, "f", NULL, &d), NS_OK);
    assert_string_equal(d.fileid, d3);
    namespace_doomed_free(&d);
    assert_true(namespace_take_doomed(ns, &d));   /* the replacement's stored chunk */
    assert_string_equal(d.fileid, d2);
    namespace_doomed_free(&d);
    assert_null(nscheck_lookup(ns, "f"));
    assert_int_equal(namespace_with_file(ns, d2, nscheck_grab, &r), NS_NOT_FOUND);
    assert_int_equal(namespace_create(ns, "f", 10, 1000, 1, NULL, true, &gen, NULL), NS_OK);
    assert_string_equal(namespace_file_id(nscheck_lookup(ns, "f"), hex), id);
    namespace_free(ns);
}

/* A copy of an upload's chunk that a full report names before the
 * upload's own report is in: left alone, whatever its age; once the file
 * is gone, garbage. */
static void test_unreported_upload_copy_is_pending(void **state)
{
    (void)state;
    ns_table *ns = namespace_new();
    uint64_t gen, exp, ver;
    char id[FILEID_LEN + 1];
    fileid_of_name("up", id);
    assert_int_equal(namespace_create(ns, "first", 0, 1000, 2, NULL, true, &gen, NULL), NS_OK);
    assert_int_equal(namespace_create(ns, "up", 2000, 1000, 2, NULL, true, &gen, NULL), NS_OK);
    assert_true(gen > 1);   /* version 0 would mean "not said" */
    assert_int_equal(namespace_check_replica(ns, id, 0, 1, 1000, gen, NULL), NS_REPLICA_PENDING);
    assert_int_equal(namespace_check_replica(ns, id, 0, 1, 1000, gen - 1, NULL), NS_REPLICA_STALE);
    assert_int_equal(namespace_report(ns, id, 0, 1, 1000, gen, NULL, &exp, &ver), NS_OK);
    assert_int_equal(namespace_check_replica(ns, id, 0, 1, 1000, gen, NULL), NS_REPLICA_KEEP);
    ns_doomed d;
    assert_int_equal(namespace_remove(ns, "up", NULL, &d), NS_OK);
    namespace_doomed_free(&d);
    assert_int_equal(namespace_check_replica(ns, id, 1, 1, 1000, gen, NULL), NS_REPLICA_UNKNOWN);
    namespace_free(ns);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unreported_upload_copy_is_pending),
        cmocka_unit_test(test_create_and_complete),
        cmocka_unit_test(test_zero_byte_file_is_complete),
        cmocka_unit_test(test_reports_checked),
        cmocka_unit_test(test_only_first_copy_settles),
        cmocka_unit_test(test_touched_age_across_the_wrap),
        cmocka_unit_test(test_exists_and_remove),
        cmocka_unit_test(test_overwrite_beside),
        cmocka_unit_test(test_stale_generation_refused),
        cmocka_unit_test(test_allocate),
        cmocka_unit_test(test_version_moves_with_mutation),
        cmocka_unit_test(test_many_files_grow_table),
        cmocka_unit_test(test_scan_in_slices),
        cmocka_unit_test(test_report_page_batch),
        cmocka_unit_test(test_checkpoint_roundtrip_at_limits),
        cmocka_unit_test(test_replay_refuses_what_is_past_the_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
