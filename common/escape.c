/*
 * escape.c - printable renderings of untrusted text, and text mended into
 * well-formed UTF-8 for JSON (see escape.h). Pure: no state, no
 * allocation, so the logger and the error answers can call it on any
 * thread and on any error path.
 */
#include "escape.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

size_t escape_utf8_len(const unsigned char *p)
{
    size_t n;
    unsigned char c = p[0];
    if (c >= 0xc2 && c <= 0xdf)
        n = 2;
    else if (c >= 0xe0 && c <= 0xef)
        n = 3;
    else if (c >= 0xf0 && c <= 0xf4)
        n = 4;
    else
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((p[i] & 0xc0) != 0x80)
            return 0;
    /* overlong three- and four-byte forms, surrogates, past U+10FFFF */
    if ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] > 0x9f) || (c == 0xf0 && p[1] < 0x90) ||
        (c == 0xf4 && p[1] > 0x8f))
        return 0;
    return n;
}

char *escape_text(const char *s, char *out, size_t outlen)
{
    if (outlen == 0)
        return out;
    const unsigned char *p = (const unsigned char *)s;
    size_t o = 0;
    while (*p) {
        char piece[20];
        size_t plen;
        size_t u = *p >= 0x80 ? escape_utf8_len(p) : 1;
        bool c1 = u == 2 && p[0] == 0xc2 && p[1] <= 0x9f;   /* U+0080..U+009F */
        if (*p == '\\') {
            plen = (size_t)snprintf(piece, sizeof piece, "\\\\");
            u = 1;
        } else if (*p == '\n' || *p == '\r' || *p == '\t') {
            plen = (size_t)snprintf(piece, sizeof piece, "\\%c",
                                    *p == '\n' ? 'n' : *p == '\r' ? 'r' : 't');
        } else if (*p < 0x20 || *p == 0x7f || u == 0) {
            plen = (size_t)snprintf(piece, sizeof piece, "\\x%02x", *p);
            u = 1;
        } else if (c1) {
            plen = (size_t)snprintf(piece, sizeof piece, "\\x%02x\\x%02x", p[0], p[1]);
        } else {
            memcpy(piece, p, u);
            plen = u;
        }
        if (o + plen >= outlen)
            break;   /* cut short: never half an escape */
        memcpy(out + o, piece, plen);
        o += plen;
        p += u;
    }
    out[o] = '\0';
    return out;
}

char *escape_utf8_mend(char *s)
{
    for (unsigned char *p = (unsigned char *)s; *p;) {
        size_t u = *p >= 0x80 ? escape_utf8_len(p) : 1;
        if (u == 0) {
            *p = '?';
            u = 1;
        }
        p += u;
    }
    return s;
}

char *escape_in_place(char *buf, size_t cap)
{
    char tmp[4096];
    size_t len = strlen(buf);
    if (len >= sizeof tmp)
        buf[len = sizeof tmp - 1] = '\0';
    memcpy(tmp, buf, len + 1);
    escape_text(tmp, buf, cap);
    return buf;
}
