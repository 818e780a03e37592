/* test_addr.c - master URLs (one, or an HA cluster's list, and which of
 * the list to ask next) and chunkserver addresses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "addr.h"

static void test_master_base(void **state)
{
    (void)state;
    char out[256], err[256];
    assert_true(addr_master_base("http://localhost:8000/", out, sizeof out, err, sizeof err));
    assert_string_equal(out, "http://localhost:8000");
    assert_true(addr_master_base("127.0.0.1:9", out, sizeof out, err, sizeof err));
    assert_string_equal(out, "http://127.0.0.1:9");
    assert_true(addr_master_base("http://[::1]:8000", out, sizeof out, err, sizeof err));
    assert_string_equal(out, "http://[::1]:8000");
    assert_true(addr_master_base("https://x:1/", out, sizeof out, err, sizeof err));
    assert_string_equal(out, "https://x:1");
    assert_false(addr_master_base("ftp://x:1/", out, sizeof out, err, sizeof err));
    assert_false(addr_master_base("https://http://x:1/", out, sizeof out, err, sizeof err));
    assert_false(addr_master_base("http://localhost/", out, sizeof out, err, sizeof err));
    assert_false(addr_master_base("http://:8000/", out, sizeof out, err, sizeof err));
    assert_false(addr_master_base("http://h:0/", out, sizeof out, err, sizeof err));
    assert_false(addr_master_base("http://h:99999/", out, sizeof out, err, sizeof err));
}

static void test_master_list(void **state)
{
    (void)state;
    char out[4096], err[256];
    assert_int_equal(addr_master_list("http://a:1/,b:2", out, sizeof out, err, sizeof err), 2);
    assert_string_equal(out, "http://a:1,http://b:2");
    assert_int_equal(addr_master_list("c:3", out, sizeof out, err, sizeof err), 1);
    assert_string_equal(out, "http://c:3");
    assert_int_equal(addr_master_list("a:1,,b:2", out, sizeof out, err, sizeof err), 0);
    assert_non_null(strstr(err, "empty"));
    assert_int_equal(addr_master_list("https://a:1,http://b:2", out, sizeof out, err, sizeof err), 0);
    assert_non_null(strstr(err, "all http"));
    assert_int_equal(addr_master_list("a:1,b:2,c:3,d:4,e:5,f:6,g:7,h:8,i:9", out, sizeof out, err,
                                      sizeof err), 0);
    assert_int_equal(addr_master_list("a:1,nohost", out, sizeof out, err, sizeof err), 0);
    char bases[ADDR_MAX_MASTERS][ADDR_MAX_BASE];
    assert_int_equal(addr_master_split("http://a:1,http://b:2,http://c:3", bases,
                                       ADDR_MAX_MASTERS), 3);
    assert_string_equal(bases[2], "http://c:3");
    /* the hint, only to a master of the list; the next when away; else stay */
    assert_int_equal(addr_master_next(bases, 3, 0, "http://c:3", false), 2);
    assert_int_equal(addr_master_next(bases, 3, 0, "http://evil:1", true), 0);
    assert_int_equal(addr_master_next(bases, 3, 2, "", true), 0);
    assert_int_equal(addr_master_next(bases, 3, 1, "", false), 1);
    assert_int_equal(addr_master_next(bases, 1, 0, "", true), 0);
}

static void test_canon_server(void **state)
{
    (void)state;
    char out[256], err[256];
    assert_true(addr_canon_server("localhost:8001/", NULL, out, sizeof out, err, sizeof err));
    assert_string_equal(out, "localhost:8001/");
    assert_true(addr_canon_server("http://h:8001", NULL, out, sizeof out, err, sizeof err));
    assert_string_equal(out, "h:8001/");
    assert_true(addr_canon_server(":8001/", "127.0.0.1", out, sizeof out, err, sizeof err));
    assert_string_equal(out, "127.0.0.1:8001/");
    assert_true(addr_canon_server("0.0.0.0:8001", "[::1]", out, sizeof out, err, sizeof err));
    assert_string_equal(out, "[::1]:8001/");
    assert_false(addr_canon_server(":8001/", NULL, out, sizeof out, err, sizeof err));
    assert_false(addr_canon_server("h:8001/x", NULL, out, sizeof out, err, sizeof err));
    assert_false(addr_canon_server("user@h:80/", NULL, out, sizeof out, err, sizeof err));
    assert_false(addr_canon_server("h 1:80/", NULL, out, sizeof out, err, sizeof err));
    assert_false(addr_canon_server("h/../x:80/", NULL, out, sizeof out, err, sizeof err));
}

static void test_server_url(void **state)
{
    (void)state;
    char out[256];
    assert_true(addr_server_url("h:1/", "/chunks/x", out, sizeof out));
    assert_string_equal(out, "http://h:1/chunks/x");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_master_base),
        cmocka_unit_test(test_master_list),
        cmocka_unit_test(test_canon_server),
        cmocka_unit_test(test_server_url),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
