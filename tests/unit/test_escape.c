/* test_escape.c - untrusted text made printable: control characters
 * (C0, DEL, C1) and broken UTF-8 visible, printable text untouched, never
 * half an escape when the room runs out; and text mended into UTF-8 for
 * JSON (a message cut inside a character). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "escape.h"

static void expect(const char *in, const char *want)
{
    char out[256];
    assert_string_equal(escape_text(in, out, sizeof out), want);
}

static void test_controls_made_visible(void **state)
{
    (void)state;
    expect("plain name.txt", "plain name.txt");
    expect("a\nforged row", "a\\nforged row");
    expect("tab\there\r", "tab\\there\\r");
    expect("\x1b[31mred", "\\x1b[31mred");
    expect("del\x7f", "del\\x7f");
    expect("back\\slash", "back\\\\slash");
    expect("\xc2\x9b" "31m", "\\xc2\\x9b31m");   /* C1 CSI, as UTF-8 */
}

static void test_utf8_kept_broken_escaped(void **state)
{
    (void)state;
    expect("caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80");
    expect("bad\xff", "bad\\xff");
    expect("cut\xe6\x97", "cut\\xe6\\x97");
    expect("overlong\xc0\xaf", "overlong\\xc0\\xaf");
    expect("surrogate\xed\xa0\x80", "surrogate\\xed\\xa0\\x80");
}

static void test_cut_short_whole(void **state)
{
    (void)state;
    char out[6];
    assert_string_equal(escape_text("ab\ncd", out, sizeof out), "ab\\nc");
    assert_string_equal(escape_text("abcd\n", out, sizeof out), "abcd");   /* not "abcd\" */
    char tiny[1];
    assert_string_equal(escape_text("x", tiny, sizeof tiny), "");
    char buf[32] = "in\nplace";
    assert_string_equal(escape_in_place(buf, sizeof buf), "in\\nplace");
}

static void test_utf8_mended(void **state)
{
    (void)state;
    char cut[] = "no such file: /\xe2\x80\xa6\xe2\x80";   /* cut inside the second */
    assert_string_equal(escape_utf8_mend(cut), "no such file: /\xe2\x80\xa6??");
    expect(cut, cut);   /* nothing left that escape_text would call broken */
    char stray[] = "a\xff" "b\xc3\xa9";
    assert_string_equal(escape_utf8_mend(stray), "a?b\xc3\xa9");
    char whole[] = "caf\xc3\xa9 \xf0\x9f\x98\x80";
    assert_string_equal(escape_utf8_mend(whole), "caf\xc3\xa9 \xf0\x9f\x98\x80");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_controls_made_visible),
        cmocka_unit_test(test_utf8_kept_broken_escaped),
        cmocka_unit_test(test_cut_short_whole),
        cmocka_unit_test(test_utf8_mended),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
