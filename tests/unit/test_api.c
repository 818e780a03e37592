/*
 * test_api.c - the master's route tables (api_impl.h): each endpoint once,
 * a body exactly where the method has one, the lookup's 404 and 405, and
 * who a secure master takes each route from. The last is a security rule
 * written down: moving a route to another class must change this test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "api_impl.h"
#include "protocol.h"

typedef struct {
    const master_api_route *t;
    size_t n;
} table;

static size_t all_routes(const master_api_route **out, size_t max)
{
    const table tables[] = {
        { master_api_client_routes, master_api_client_nroutes },
        { master_api_chunkserver_routes, master_api_chunkserver_nroutes },
        { master_api_admin_routes, master_api_admin_nroutes },
        { master_api_tree_routes, master_api_tree_nroutes },
    };
    size_t k = 0;
    for (size_t i = 0; i < sizeof tables / sizeof *tables; i++)
        for (size_t j = 0; j < tables[i].n; j++) {
            assert_true(k < max);
            out[k++] = &tables[i].t[j];
        }
    return k;
}

/* Every route is found by its own path and method, once, and has the one
 * handler its method calls for: a JSON body for POST, none otherwise. */
static void test_routes_well_formed(void **state)
{
    (void)state;
    const master_api_route *r[64];
    size_t n = all_routes(r, 64);
    assert_true(n >= 20);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(r[i]->path[0], '/');
        bool post = !strcmp(r[i]->method, "POST");
        assert_true(post || !strcmp(r[i]->method, "GET") || !strcmp(r[i]->method, "DELETE"));
        assert_int_equal(post, r[i]->with_json != NULL);
        assert_int_equal(!post, r[i]->plain != NULL);
        for (size_t j = i + 1; j < n; j++)
            assert_false(!strcmp(r[i]->path, r[j]->path) && !strcmp(r[i]->method, r[j]->method));
        char allowed[64];
        assert_ptr_equal(master_api_find(r[i]->path, r[i]->method, allowed, sizeof allowed), r[i]);
    }
}

static void test_lookup(void **state)
{
    (void)state;
    char allowed[64] = "junk";
    const master_api_route *get = master_api_find(PROTO_PATH_GET, "GET", allowed, sizeof allowed);
    assert_non_null(get);
    assert_ptr_equal(master_api_find(PROTO_PATH_GET, "HEAD", allowed, sizeof allowed), get);
    /* a known path with another method: a 405 and what it does take */
    assert_null(master_api_find(PROTO_PATH_FILES, "PUT", allowed, sizeof allowed));
    assert_string_equal(allowed, "GET, DELETE");
    assert_null(master_api_find(PROTO_PATH_TOKENS, "PATCH", allowed, sizeof allowed));
    assert_string_equal(allowed, "POST, GET, DELETE");
    /* HEAD is GET's only: a POST-only path does not answer it */
    assert_null(master_api_find(PROTO_PATH_UPLOAD, "HEAD", allowed, sizeof allowed));
    assert_string_equal(allowed, "POST");
    /* unknown paths, near misses included: a 404, nothing allowed */
    const char *unknown[] = { "/", "/nope", "/get/", "/GET", "/files?x", "/admin", "/admin/tokens/x",
                              "//get", "" };
    for (size_t i = 0; i < sizeof unknown / sizeof *unknown; i++) {
        strcpy(allowed, "junk");
        assert_null(master_api_find(unknown[i], "GET", allowed, sizeof allowed));
        assert_string_equal(allowed, "");
    }
    /* a buffer too small for the list is cut, never overrun */
    char tiny[5];
    assert_null(master_api_find(PROTO_PATH_TOKENS, "PUT", tiny, sizeof tiny));
    assert_string_equal(tiny, "POST");
}

/* Who a secure master takes each route from. Only a signed chunkserver
 * may register, report chunks or confirm a stored one; bad-copy and
 * unreachable reports come from either side (the handler tells them
 * apart); tokens are a superuser's; everything else is any user's. */
static void test_access(void **state)
{
    (void)state;
    const master_api_route *r[64];
    size_t n = all_routes(r, 64);
    for (size_t i = 0; i < n; i++) {
        const char *p = r[i]->path;
        master_access want = MASTER_USERS;
        if (!strcmp(p, PROTO_PATH_REGISTER) || !strcmp(p, PROTO_PATH_CHUNK_REPORT) ||
            !strcmp(p, PROTO_PATH_UPLOAD_OK))
            want = MASTER_SERVERS;
        else if (!strcmp(p, PROTO_PATH_BAD_CHUNK) || !strcmp(p, PROTO_PATH_UNREACHABLE))
            want = MASTER_EITHER;
        else if (!strcmp(p, PROTO_PATH_TOKENS))
            want = MASTER_SUPER;
        if (r[i]->access != want)
            fail_msg("%s %s: access %d, want %d", r[i]->method, p, (int)r[i]->access, (int)want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_routes_well_formed),
        cmocka_unit_test(test_lookup),
        cmocka_unit_test(test_access),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
