/*
 * addr.c - parses and builds addresses. Pure string work, no resolution,
 * no I/O. A chunkserver address ends up inside URLs the master and clients
 * call, so anything but a plain host and port is refused here.
 */
#include "addr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Set once by main (addr_use_tls) before any thread builds a URL. */
static bool addr_tls;

void addr_use_tls(bool on)
{
    addr_tls = on;
}

static const char *addr_skip_scheme(const char *s)
{
    if (strncmp(s, "http://", 7) == 0)
        return s + 7;
    if (strncmp(s, "https://", 8) == 0)
        return s + 8;
    return s;
}

static bool addr_host_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '-' || c == '_';
}

/* Splits "host:port" (host may be "[v6]" or empty) into its parts. */
static bool addr_split(const char *hp, size_t len, char *host, size_t hostlen, long *port,
                       char *err, size_t errlen)
{
    const char *colon = NULL;
    if (len > 0 && hp[0] == '[') {
        const char *close = memchr(hp, ']', len);
        if (!close || (size_t)(close - hp) + 1 >= len || close[1] != ':') {
            snprintf(err, errlen, "bad IPv6 address in \"%.*s\"", (int)len, hp);
            return false;
        }
        for (const char *p = hp + 1; p < close; p++)
            if (!(addr_host_char(*p) || *p == ':' || *p == '%')) {
                snprintf(err, errlen, "bad character in address \"%.*s\"", (int)len, hp);
                return false;
            }
        colon = close + 1;
    } else {
        for (size_t i = 0; i < len; i++) {
            if (hp[i] == ':') {
                colon = hp + i;
                break;
            }
            if (!addr_host_char(hp[i])) {
                snprintf(err, errlen, "bad character in address \"%.*s\"", (int)len, hp);
                return false;
            }
        }
    }
    if (!colon) {
        snprintf(err, errlen, "address \"%.*s\" has no port", (int)len, hp);
        return false;
    }
    size_t hl = (size_t)(colon - hp);
    if (hl >= hostlen) {
        snprintf(err, errlen, "host name too long");
        return false;
    }
    memcpy(host, hp, hl);
    host[hl] = '\0';
    const char *ps = colon + 1;
    size_t pl = len - hl - 1;
    long p = 0;
    if (pl == 0 || pl > 5)
        goto bad_port;
    for (size_t i = 0; i < pl; i++) {
        if (ps[i] < '0' || ps[i] > '9')
            goto bad_port;
        p = p * 10 + (ps[i] - '0');
    }
    if (p < 1 || p > 65535)
        goto bad_port;
    *port = p;
    return true;
bad_port:
    snprintf(err, errlen, "bad port in address \"%.*s\"", (int)len, hp);
    return false;
}

bool addr_master_base(const char *in, char *out, size_t outlen, char *err, size_t errlen)
{
    const char *hp = addr_skip_scheme(in);
    bool tls = strncmp(in, "https://", 8) == 0;
    if (strstr(hp, "://")) {
        snprintf(err, errlen, "master address \"%s\": only http:// and https:// are supported",
                 in);
        return false;
    }
    size_t len = strlen(hp);
    while (len > 0 && hp[len - 1] == '/')
        len--;
    char host[256];
    long port;
    if (!addr_split(hp, len, host, sizeof host, &port, err, errlen))
        return false;
    if (host[0] == '\0') {
        snprintf(err, errlen, "master address \"%s\" has no host", in);
        return false;
    }
    int n = snprintf(out, outlen, "%s://%s:%ld", tls ? "https" : "http", host, port);
    return n > 0 && (size_t)n < outlen;
}

size_t addr_master_list(const char *in, char *out, size_t outlen, char *err, size_t errlen)
{
    size_t n = 0, used = 0;
    out[0] = '\0';
    const char *p = in;
    for (;;) {
        size_t len = strcspn(p, ",");
        char one[512], base[512];
        if (len == 0 || len >= sizeof one) {
            snprintf(err, errlen, "master address list \"%.200s\": %s", in,
                     len ? "an entry too long" : "an empty entry");
            return 0;
        }
        memcpy(one, p, len);
        one[len] = '\0';
        if (!addr_master_base(one, base, sizeof base, err, errlen))
            return 0;
        if (n == ADDR_MAX_MASTERS) {
            snprintf(err, errlen, "master address list: at most %d masters", ADDR_MAX_MASTERS);
            return 0;
        }
        if (n > 0 && (strncmp(base, "https://", 8) == 0) != (strncmp(out, "https://", 8) == 0)) {
            snprintf(err, errlen, "master address list \"%.200s\": all http:// or all https://",
                     in);
            return 0;
        }
        int w = snprintf(out + used, outlen - used, "%s%s", n ? "," : "", base);
        if (w < 0 || (size_t)w >= outlen - used) {
            snprintf(err, errlen, "master address list too long");
            return 0;
        }
        used += (size_t)w;
        n++;
        if (!p[len])
            return n;
        p += len + 1;
    }
}

size_t addr_master_split(const char *list, char (*out)[ADDR_MAX_BASE], size_t max)
{
    size_t n = 0;
    for (const char *p = list; *p && n < max;) {
        size_t len = strcspn(p, ",");
        if (len < ADDR_MAX_BASE) {
            memcpy(out[n], p, len);
            out[n++][len] = '\0';
        }
        p += len + (p[len] == ',');
    }
    return n;
}

size_t addr_master_next(char (*bases)[ADDR_MAX_BASE], size_t n, size_t cur, const char *leader,
                        bool away)
{
    if (n < 2)
        return cur;
    if (leader && leader[0]) {
        for (size_t k = 0; k < n; k++)
            if (!strcmp(bases[k], leader))
                return k;
        return cur;
    }
    return away ? (cur + 1) % n : cur;
}

bool addr_canon_server(const char *in, const char *peer_host, char *out, size_t outlen,
                       char *err, size_t errlen)
{
    const char *hp = addr_skip_scheme(in);
    size_t len = strlen(hp);
    if (len > 0 && hp[len - 1] == '/')
        len--;
    char host[256];
    long port;
    if (!addr_split(hp, len, host, sizeof host, &port, err, errlen))
        return false;
    const char *h = host;
    if (host[0] == '\0' || !strcmp(host, "0.0.0.0") || !strcmp(host, "[::]")) {
        if (!peer_host || !peer_host[0]) {
            snprintf(err, errlen, "address \"%s\" has no host", in);
            return false;
        }
        h = peer_host;
    }
    int n = snprintf(out, outlen, "%s:%ld/", h, port);
    if (n < 0 || (size_t)n >= outlen) {
        snprintf(err, errlen, "address too long");
        return false;
    }
    return true;
}

bool addr_server_url(const char *server, const char *path, char *out, size_t outlen)
{
    size_t len = strlen(server);
    if (len > 0 && server[len - 1] == '/')
        len--;
    int n = snprintf(out, outlen, "%s://%.*s%s", addr_tls ? "https" : "http", (int)len, server,
                     path);
    return n > 0 && (size_t)n < outlen;
}
