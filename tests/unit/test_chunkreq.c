/* test_chunkreq.c - the chunk PUT as a value: what senders build is what
 * the receiver reads back, and a hostile request is refused with the
 * right status before it can size anything. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "chunkreq.h"

#define HEX64 "0e5523056ab6dbb2a3bfa672b305d76b003954fa5a1bcc8de29528c2ad79b2ed"
#define ID HEX64 "_3"

/* A request as the receiver sees it: headers and query arguments. */
typedef struct {
    const char *names[12];
    const char *values[12];
    bool query[12];
    size_t n;
} wire;

static void wire_set(wire *w, bool query, const char *name, const char *value)
{
    w->names[w->n] = name;
    w->values[w->n] = value;
    w->query[w->n++] = query;
}

static const char *wire_get(void *ud, bool query, const char *name)
{
    wire *w = ud;
    for (size_t i = 0; i < w->n; i++)
        if (w->query[i] == query && strcasecmp(w->names[i], name) == 0)
            return w->values[i];
    return NULL;
}

/* Loads what a sender built (URL and header lines) into a wire. */
static void wire_from(wire *w, const char *url, struct curl_slist *headers, char store[][600])
{
    memset(w, 0, sizeof *w);
    size_t k = 0;
    const char *q = strchr(url, '?');
    if (q) {
        const char *eq = strchr(q, '=');
        snprintf(store[k], 600, "%.*s", (int)(eq - q - 1), q + 1);
        wire_set(w, true, store[k], eq + 1);
        k++;
    }
    for (struct curl_slist *h = headers; h; h = h->next) {
        const char *colon = strchr(h->data, ':');
        snprintf(store[k], 600, "%.*s", (int)(colon - h->data), h->data);
        const char *v = colon + 1;
        while (*v == ' ')
            v++;
        wire_set(w, false, store[k], v);
        k++;
    }
}

static void test_what_is_sent_is_what_is_read(void **state)
{
    (void)state;
    chunkreq a = { .append = true, .offset = 4096, .version = 77, .sum = CHUNKREQ_SUM_HEADER,
                   .nchain = 2, .length = 1000 };
    snprintf(a.id, sizeof a.id, "%s", ID);
    snprintf(a.sha, sizeof a.sha, "%s", HEX64);
    snprintf(a.chain[0], sizeof a.chain[0], "127.0.0.1:9001/");
    snprintf(a.chain[1], sizeof a.chain[1], "127.0.0.1:9002/");
    char url[512];
    assert_true(chunkreq_url(&a, "127.0.0.1:9000/", url, sizeof url));
    assert_string_equal(url, "http://127.0.0.1:9000/chunks/" ID "?offset=4096");
    struct curl_slist *headers = NULL;
    assert_true(chunkreq_headers(&a, &headers));
    char store[16][600], len[32];
    wire w;
    wire_from(&w, url, headers, store);
    snprintf(len, sizeof len, "%llu", (unsigned long long)chunkreq_body_length(&a));
    wire_set(&w, false, "Content-Length", len);
    chunkreq b;
    uint64_t declared;
    char err[300] = "";
    assert_int_equal(chunkreq_parse(&b, ID, wire_get, &w, 1 << 20, &declared, err, sizeof err),
                     CHUNKREQ_OK);
    assert_memory_equal(&a, &b, sizeof a);
    assert_int_equal(declared, 1000);
    curl_slist_free_all(headers);

    /* A trailing sum: the body holds 64 bytes more than the chunk. */
    chunkreq t = { .sum = CHUNKREQ_SUM_TRAILING, .length = 10 };
    snprintf(t.id, sizeof t.id, "%s", ID);
    headers = NULL;
    assert_true(chunkreq_url(&t, "h:1/", url, sizeof url));
    assert_true(chunkreq_headers(&t, &headers));
    wire_from(&w, url, headers, store);
    assert_int_equal(chunkreq_body_length(&t), 74);
    wire_set(&w, false, "Content-Length", "74");
    assert_int_equal(chunkreq_parse(&b, ID, wire_get, &w, 1 << 20, &declared, err, sizeof err),
                     CHUNKREQ_OK);
    assert_memory_equal(&t, &b, sizeof t);
    curl_slist_free_all(headers);
}

typedef struct {
    const char *id, *length, *sha, *version, *offset, *chain;
    chunkreq_status want;
    unsigned http;
} bad_case;

static void test_hostile_requests_refused(void **state)
{
    (void)state;
    char long_chain[2400] = "";
    for (int i = 0; i < 8; i++)   /* one hop more than a chain holds */
        snprintf(long_chain + strlen(long_chain), sizeof long_chain - strlen(long_chain),
                 "%s127.0.0.1:%d/", i ? "," : "", 9000 + i);
    const bad_case cases[] = {
        { "../../etc/passwd", "10", NULL, NULL, NULL, NULL, CHUNKREQ_BAD, 400 },
        { ID, NULL, NULL, NULL, NULL, NULL, CHUNKREQ_NO_LENGTH, 411 },
        { ID, "-5", NULL, NULL, NULL, NULL, CHUNKREQ_TOO_LARGE, 413 },
        { ID, "99999999999999999999999", NULL, NULL, NULL, NULL, CHUNKREQ_TOO_LARGE, 413 },
        { ID, "2000", NULL, NULL, NULL, NULL, CHUNKREQ_TOO_LARGE, 413 },
        { ID, "0", NULL, NULL, NULL, NULL, CHUNKREQ_BAD, 400 },
        { ID, "10", "abc", NULL, NULL, NULL, CHUNKREQ_BAD, 400 },
        { ID, "64", "trailing", NULL, NULL, NULL, CHUNKREQ_BAD, 400 },
        { ID, "10", NULL, "12x", NULL, NULL, CHUNKREQ_BAD, 400 },
        { ID, "10", NULL, "-1", NULL, NULL, CHUNKREQ_BAD, 400 },
        { ID, "10", HEX64, NULL, "5", NULL, CHUNKREQ_BAD, 400 },        /* append, no version */
        { ID, "10", NULL, "3", "5", NULL, CHUNKREQ_BAD, 400 },          /* append, no sum */
        { ID, "10", HEX64, "3", "5z", NULL, CHUNKREQ_BAD, 400 },
        { ID, "10", HEX64, "3", "1024", NULL, CHUNKREQ_TOO_LARGE, 413 }, /* offset past the chunk */
        { ID, "1000", HEX64, "3", "100", NULL, CHUNKREQ_TOO_LARGE, 413 },/* past it with the bytes */
        { ID, "10", NULL, NULL, NULL, "", CHUNKREQ_OK, 200 },
        { ID, "10", NULL, NULL, NULL, ",127.0.0.1:1/", CHUNKREQ_BAD, 400 },
        { ID, "10", NULL, NULL, NULL, "no-port", CHUNKREQ_BAD, 400 },
        { ID, "10", NULL, NULL, NULL, long_chain, CHUNKREQ_BAD, 400 },
        { ID, "10", NULL, NULL, NULL, "127.0.0.1:9/,127.0.0.1:8/,http://127.0.0.1:9", CHUNKREQ_BAD,
          400 },   /* a hop twice, however spelled: a loop */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const bad_case *c = &cases[i];
        wire w = { .n = 0 };
        if (c->length)
            wire_set(&w, false, "Content-Length", c->length);
        if (c->sha)
            wire_set(&w, false, PROTO_HDR_SHA256, c->sha);
        if (c->version)
            wire_set(&w, false, PROTO_HDR_CHUNK_VERSION, c->version);
        if (c->offset)
            wire_set(&w, true, PROTO_QUERY_OFFSET, c->offset);
        if (c->chain)
            wire_set(&w, false, PROTO_HDR_CHAIN, c->chain);
        chunkreq r;
        uint64_t declared;
        char err[300] = "";
        chunkreq_status st = chunkreq_parse(&r, c->id, wire_get, &w, 1024, &declared, err,
                                            sizeof err);
        if (st != c->want)
            fail_msg("case %zu: status %d, wanted %d (%s)", i, st, c->want, err);
        assert_int_equal(chunkreq_http_status(st), c->http);
        if (st != CHUNKREQ_OK)
            assert_true(err[0] != '\0');
    }
}

static void test_chain_is_canonical(void **state)
{
    (void)state;
    wire w = { .n = 0 };
    wire_set(&w, false, "Content-Length", "10");
    wire_set(&w, false, PROTO_HDR_CHAIN, "127.0.0.1:9001,localhost:9002/");
    chunkreq r;
    uint64_t declared;
    char err[300];
    assert_int_equal(chunkreq_parse(&r, ID, wire_get, &w, 1024, &declared, err, sizeof err),
                     CHUNKREQ_OK);
    assert_int_equal(r.nchain, 2);
    assert_string_equal(r.chain[0], "127.0.0.1:9001/");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_what_is_sent_is_what_is_read),
        cmocka_unit_test(test_hostile_requests_refused),
        cmocka_unit_test(test_chain_is_canonical),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
