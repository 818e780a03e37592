/* test_addr.c - master URLs and chunkserver addresses. */
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
        cmocka_unit_test(test_canon_server),
        cmocka_unit_test(test_server_url),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
