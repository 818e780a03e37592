/* test_record.c - the journal's record codec: every kind survives an
 * encode and a decode unchanged, reads the JSON older masters wrote, and
 * refuses records with a field missing or of the wrong type. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "drain.h"
#include "namespace.h"
#include "record.h"

#define ID_A "0e5523056ab6dbb2a3bfa672b305d76b003954fa5a1bcc8de29528c2ad79b2ed"
#define ID_B "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define CLUSTER "0123456789abcdef0123456789abcdef"

/* A record of kind k with every field of the kind set to something other
 * than its zero value; false for a kind this test does not know (a new
 * kind must bring its sample). */
static bool sample(record_kind k, record *r)
{
    memset(r, 0, sizeof *r);
    r->kind = k;
    switch (k) {
    case RECORD_FILE:
        r->has_slots = r->has_committed = true;
        r->slots = 7;
        r->committed = 5;
        r->nchunks = 2;
        r->chunks = calloc(2, sizeof *r->chunks);
        r->chunks[0] = (record_chunk){ .index = 1, .version = 40, .stored = true, .has_sha = true };
        memset(r->chunks[0].sha, 0xab, sizeof r->chunks[0].sha);
        r->chunks[1] = (record_chunk){ .index = 6, .version = 41 };
        /* a file record has every field of a create */
        __attribute__((fallthrough));
    case RECORD_CREATE:
        r->name = strdup("/logs/2026/a \"quoted\" \u00e9.txt");
        r->time_ms = 1790000000001ull;
        r->mtime_ms = 1790000000002ull;
        r->gen = 39;
        r->size = 5000000000ull;
        r->chunk_size = 1048576;
        r->replication = 3;
        r->over = true;
        r->own_id = true;
        memcpy(r->fileid, ID_B, sizeof r->fileid);
        r->owner = strdup("alice");
        r->group = strdup("staff");
        r->has_mode = true;
        r->mode = 0640;
        return true;
    case RECORD_DELETE:
        memcpy(r->fileid, ID_A, sizeof r->fileid);
        r->gen = 12;
        r->time_ms = 1790000000003ull;
        return true;
    case RECORD_FORMAT:
        r->version = RECORD_FORMAT_VERSION;
        return true;
    case RECORD_DIR:
        r->name = strdup("/logs/2026");
        r->gen = 41;
        r->time_ms = 1790000000004ull;
        r->mtime_ms = 1790000000005ull;
        r->owner = strdup("alice");
        r->group = strdup("staff");
        r->has_mode = true;
        r->mode = 01777;
        return true;
    case RECORD_RENAME:
        r->name = strdup("/logs/2026");
        r->to = strdup("/archive/2026 \u00e9");
        r->gen = 41;
        r->time_ms = 1790000000006ull;
        r->replace = true;
        return true;
    case RECORD_RMTREE:
        r->name = strdup("/archive");
        r->gen = 42;
        r->time_ms = 1790000000007ull;
        return true;
    case RECORD_CHUNK:
        memcpy(r->fileid, ID_A, sizeof r->fileid);
        r->gen = 12;
        r->chunk = (record_chunk){ .index = 4294967295u, .version = 77, .stored = true,
                                   .has_sha = true };
        memset(r->chunk.sha, 0x5c, sizeof r->chunk.sha);
        r->pending = true;
        return true;
    case RECORD_COMMIT:
        memcpy(r->fileid, ID_A, sizeof r->fileid);
        r->gen = 12;
        r->size = 3000;
        r->version = 90;
        r->has_fill = true;
        r->fill_index = 2;
        memset(r->fill_sha, 0x17, sizeof r->fill_sha);
        return true;
    case RECORD_SIZE:
        memcpy(r->fileid, ID_A, sizeof r->fileid);
        r->gen = 12;
        r->size = 2999;
        return true;
    case RECORD_COUNTER:
        r->version = 1ull << 40;
        return true;
    case RECORD_CLUSTER:
        memcpy(r->cluster, CLUSTER, sizeof r->cluster);
        return true;
    case RECORD_ATTR:
        memcpy(r->fileid, ID_A, sizeof r->fileid);
        r->gen = 12;
        r->owner = strdup("bob");
        r->group = strdup("ops");
        r->has_mode = true;
        r->mode = 0600;
        return true;
    case RECORD_USER:
        r->name = strdup("carol");
        r->group = strdup("staff");
        r->super = true;
        memset(r->token_sha, 0x3e, sizeof r->token_sha);
        r->made_ms = 1790000000000ull;
        r->until_ms = 1790000360000ull;
        return true;
    case RECORD_REVOKE:
        r->name = strdup("carol");
        return true;
    case RECORD_DRAIN:
        r->name = strdup("10.0.0.7:8001/");
        r->drain_on = true;
        return true;
    case RECORD_NKINDS:
        break;
    }
    return false;
}

static char *dump(const record *r)
{
    json_t *o = record_encode(r);
    assert_non_null(o);
    char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    assert_non_null(s);
    return s;
}

static void assert_same(const record *a, const record *b)
{
    assert_int_equal(a->kind, b->kind);
    if (a->name || b->name)
        assert_string_equal(a->name, b->name);
    assert_int_equal(a->old_name, b->old_name);
    if (a->to || b->to)
        assert_string_equal(a->to, b->to);
    assert_int_equal(a->replace, b->replace);
    assert_int_equal(a->time_ms, b->time_ms);
    assert_int_equal(a->mtime_ms, b->mtime_ms);
    assert_int_equal(a->size, b->size);
    assert_int_equal(a->chunk_size, b->chunk_size);
    assert_int_equal(a->replication, b->replication);
    assert_int_equal(a->over, b->over);
    assert_int_equal(a->own_id, b->own_id);
    assert_int_equal(a->slashed, b->slashed);
    assert_string_equal(a->fileid, b->fileid);
    assert_int_equal(a->gen, b->gen);
    assert_memory_equal(&a->chunk, &b->chunk, sizeof a->chunk);
    assert_int_equal(a->pending, b->pending);
    assert_int_equal(a->version, b->version);
    assert_int_equal(a->has_fill, b->has_fill);
    assert_int_equal(a->fill_index, b->fill_index);
    assert_memory_equal(a->fill_sha, b->fill_sha, sizeof a->fill_sha);
    assert_int_equal(a->has_slots, b->has_slots);
    assert_int_equal(a->slots, b->slots);
    assert_int_equal(a->has_committed, b->has_committed);
    assert_int_equal(a->committed, b->committed);
    assert_int_equal(a->nchunks, b->nchunks);
    for (size_t k = 0; k < a->nchunks; k++)
        assert_memory_equal(&a->chunks[k], &b->chunks[k], sizeof a->chunks[k]);
    assert_string_equal(a->cluster, b->cluster);
    if (a->owner || b->owner)
        assert_string_equal(a->owner, b->owner);
    if (a->group || b->group)
        assert_string_equal(a->group, b->group);
    assert_int_equal(a->has_mode, b->has_mode);
    assert_int_equal(a->mode, b->mode);
    assert_int_equal(a->super, b->super);
    assert_memory_equal(a->token_sha, b->token_sha, sizeof a->token_sha);
    assert_int_equal(a->made_ms, b->made_ms);
    assert_int_equal(a->until_ms, b->until_ms);
    assert_int_equal(a->drain_on, b->drain_on);
}

static void test_every_kind_round_trips(void **state)
{
    (void)state;
    for (unsigned k = 0; k < RECORD_NKINDS; k++) {
        record a, b;
        assert_true(sample((record_kind)k, &a));
        assert_non_null(record_table[k].op);
        assert_non_null(record_table[k].apply);
        char *text = dump(&a);
        json_t *in = json_loads(text, 0, NULL);
        assert_non_null(in);
        char err[128];
        assert_true(record_decode(in, &b, err, sizeof err));
        assert_same(&a, &b);
        char *again = dump(&b);
        assert_string_equal(text, again);   /* encoding is a function of the value */
        free(text);
        free(again);
        json_decref(in);
        record_clear(&a);
        record_clear(&b);
        assert_null(a.name);
    }
}

/* The exact lines an earlier master wrote still read. */
static void test_reads_what_older_masters_wrote(void **state)
{
    (void)state;
    static const char *lines[] = {
        "{\"op\":\"create\",\"name\":\"input.txt\",\"gen\":1,\"size\":10,\"cs\":4,\"rep\":3}",
        "{\"op\":\"chunk\",\"id\":\"" ID_A "\",\"gen\":1,\"i\":0,\"v\":1,\"stored\":true}",
        "{\"op\":\"size\",\"id\":\"" ID_A "\",\"gen\":1,\"size\":12}",
        "{\"op\":\"file\",\"name\":\"x\",\"gen\":3,\"size\":0,\"cs\":4,\"rep\":1,\"chunks\":[]}",
        "{\"op\":\"counter\",\"v\":9}",
    };
    for (size_t i = 0; i < sizeof lines / sizeof *lines; i++) {
        json_t *in = json_loads(lines[i], 0, NULL);
        record r;
        char err[128];
        assert_true(record_decode(in, &r, err, sizeof err));
        record_clear(&r);
        json_decref(in);
    }
}

static void test_bad_records_refused(void **state)
{
    (void)state;
    static const char *lines[] = {
        "{}",
        "{\"op\":7}",
        "{\"op\":\"rename\",\"from\":\"a\",\"to\":\"b\"}",
        "{\"op\":\"create\",\"gen\":1,\"size\":10,\"cs\":4,\"rep\":3}",
        "{\"op\":\"create\",\"name\":\"a\",\"gen\":1,\"size\":10,\"cs\":0,\"rep\":3}",
        "{\"op\":\"create\",\"name\":\"a\",\"gen\":-1,\"size\":10,\"cs\":4,\"rep\":3}",
        "{\"op\":\"create\",\"name\":\"a\",\"gen\":1,\"size\":10,\"cs\":4,\"rep\":3,\"data\":\"../x\"}",
        "{\"op\":\"delete\",\"id\":\"../../etc/passwd\",\"gen\":1}",
        "{\"op\":\"delete\",\"id\":\"" ID_A "\"}",
        "{\"op\":\"chunk\",\"id\":\"" ID_A "\",\"gen\":1,\"v\":1}",
        "{\"op\":\"chunk\",\"id\":\"" ID_A "\",\"gen\":1,\"i\":\"0\",\"v\":1}",
        "{\"op\":\"commit\",\"id\":\"" ID_A "\",\"gen\":1,\"size\":3,\"v\":2,\"fill\":[0,\"zz\"]}",
        "{\"op\":\"commit\",\"id\":\"" ID_A "\",\"gen\":1,\"size\":3,\"v\":2,\"fill\":[-1]}",
        "{\"op\":\"file\",\"name\":\"x\",\"gen\":3,\"size\":0,\"cs\":4,\"rep\":1,\"n\":\"7\"}",
        "{\"op\":\"file\",\"name\":\"x\",\"gen\":3,\"size\":0,\"cs\":4,\"rep\":1,\"chunks\":[[-1,2]]}",
        "{\"op\":\"counter\"}",
        "{\"op\":\"cluster\",\"id\":\"not a cluster id\"}",
        "{\"op\":\"create\",\"name\":\"a\",\"gen\":1,\"size\":1,\"cs\":4,\"rep\":1,\"mode\":512}",
        "{\"op\":\"create\",\"name\":\"a\",\"gen\":1,\"size\":1,\"cs\":4,\"rep\":1,\"owner\":\"\"}",
        "{\"op\":\"attr\",\"id\":\"" ID_A "\",\"gen\":1,\"owner\":\"bob\"}",
        "{\"op\":\"attr\",\"id\":\"" ID_A "\",\"gen\":1,\"owner\":7,\"mode\":384}",
        "{\"op\":\"user\",\"name\":\"u\",\"group\":\"g\",\"super\":false,\"made\":1,\"until\":0}",
        "{\"op\":\"user\",\"name\":\"u\",\"group\":\"g\",\"super\":\"yes\",\"tok\":\"" ID_A "\",\"made\":1,\"until\":0}",
        "{\"op\":\"user\",\"group\":\"g\",\"super\":false,\"tok\":\"" ID_A "\",\"made\":1,\"until\":0}",
        "{\"op\":\"revoke\"}",
        "{\"op\":\"drain\",\"on\":true}",
        "{\"op\":\"drain\",\"server\":\"10.0.0.7:8001/\",\"on\":1}",
        "{\"op\":\"drain\",\"server\":\"\",\"on\":true}",
        "{\"op\":\"create\",\"path\":\"/a\",\"gen\":1,\"size\":1,\"cs\":4,\"rep\":1,\"slash\":true,\"data\":\"" ID_A "\"}",
        "{\"op\":\"create\",\"path\":\"/a\",\"gen\":1,\"size\":1,\"cs\":4,\"rep\":1,\"slash\":true,\"own\":true}",
    };
    for (size_t i = 0; i < sizeof lines / sizeof *lines; i++) {
        json_t *in = json_loads(lines[i], 0, NULL);
        assert_non_null(in);
        record r;
        char err[128] = "";
        if (record_decode(in, &r, err, sizeof err))
            fail_msg("accepted: %s", lines[i]);
        assert_non_null(strstr(err, "unreadable"));
        assert_null(r.name);
        assert_null(r.chunks);
        assert_null(r.owner);
        assert_null(r.group);
        json_decref(in);
    }
}

/* Replay goes through the table's apply column and lands in the table. */
static void test_replay_applies(void **state)
{
    (void)state;
    ns_table *ns = namespace_new();
    record r;
    assert_true(sample(RECORD_CREATE, &r));
    r.over = false;
    r.fileid[0] = '\0';
    r.size = 10;
    r.chunk_size = 4;
    json_t *o = record_encode(&r);
    char err[128];
    assert_true(record_replay(ns, o, err, sizeof err));
    json_decref(o);
    record_clear(&r);
    assert_int_equal(namespace_count(ns), 1);
    /* A second, different cluster id is refused by apply, not by decode. */
    assert_true(sample(RECORD_CLUSTER, &r));
    assert_true(namespace_apply(ns, &r));
    r.cluster[0] = 'f';
    assert_false(namespace_apply(ns, &r));
    namespace_free(ns);
}

static bool count_drains(void *sink, const record *r)
{
    if (r->kind == RECORD_DRAIN) {
        assert_string_equal(r->name, "10.0.0.7:8001/");
        assert_true(r->drain_on);
        (*(int *)sink)++;
    }
    return true;
}

/* A decommission replays into the namespace, is part of its checkpoint,
 * and a recommission takes it back; an address in no canonical form is
 * refused by apply. */
static void test_drain_replays_and_dumps(void **state)
{
    (void)state;
    ns_table *ns = namespace_new();
    char err[128];
    json_t *on = json_loads("{\"op\":\"drain\",\"server\":\"10.0.0.7:8001/\",\"on\":true}", 0, NULL);
    json_t *off = json_loads("{\"op\":\"drain\",\"server\":\"10.0.0.7:8001/\",\"on\":false}", 0, NULL);
    json_t *odd = json_loads("{\"op\":\"drain\",\"server\":\"http://10.0.0.7:8001\",\"on\":true}", 0, NULL);
    assert_true(record_replay(ns, on, err, sizeof err));
    assert_true(record_replay(ns, on, err, sizeof err));   /* twice: still one */
    assert_true(drain_has(ns, "10.0.0.7:8001/"));
    assert_false(drain_has(ns, "10.0.0.8:8001/"));
    assert_false(record_replay(ns, odd, err, sizeof err));
    int n = 0;
    assert_true(namespace_dump(ns, count_drains, &n));
    assert_int_equal(n, 1);
    assert_true(record_replay(ns, off, err, sizeof err));
    assert_false(drain_has(ns, "10.0.0.7:8001/"));
    n = 0;
    assert_true(namespace_dump(ns, count_drains, &n));
    assert_int_equal(n, 0);
    json_decref(on);
    json_decref(off);
    json_decref(odd);
    namespace_free(ns);
}

static void copy_fileid(const ns_file *f, void *ud)
{
    namespace_file_id(f, ud);
}

/* A file asked for with its '/' carries the slashed path's identifier:
 * the record says so with a flag, not 64 hex digits, and replay gives the
 * file that identifier back. */
static void test_slashed_identifier(void **state)
{
    (void)state;
    record r;
    assert_true(sample(RECORD_CREATE, &r));
    free(r.name);
    r.name = strdup("/logs/a.txt");
    r.over = r.own_id = false;
    r.fileid[0] = '\0';
    r.slashed = true;
    json_t *o = record_encode(&r);
    assert_true(json_is_true(json_object_get(o, "slash")));
    assert_null(json_object_get(o, "data"));
    record back;
    char err[128];
    assert_true(record_decode(o, &back, err, sizeof err));
    assert_true(back.slashed);
    assert_string_equal(back.fileid, "");
    record_clear(&back);
    ns_table *ns = namespace_new();
    assert_true(record_replay(ns, o, err, sizeof err));
    json_decref(o);
    record_clear(&r);
    char k2[FILEID_LEN + 1], got[FILEID_LEN + 1] = "";
    assert_true(sha256_hex("/logs/a.txt", strlen("/logs/a.txt"), k2));
    assert_int_equal(namespace_with_file(ns, k2, copy_fileid, got), NS_OK);
    assert_string_equal(got, k2);
    namespace_free(ns);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_kind_round_trips),
        cmocka_unit_test(test_reads_what_older_masters_wrote),
        cmocka_unit_test(test_bad_records_refused),
        cmocka_unit_test(test_replay_applies),
        cmocka_unit_test(test_drain_replays_and_dumps),
        cmocka_unit_test(test_slashed_identifier),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
