/*
 * nspath.c - namespace paths checked and normalised (see nspath.h). One
 * pass over the input, writing into the caller's buffer; never reads past
 * the input's terminator nor writes past NSPATH_MAX + 1 bytes.
 */
#include "nspath.h"

#include <string.h>

#include "escape.h"
#include "sha256.h"

nspath_status nspath_normalize(const char *in, char out[NSPATH_MAX + 1])
{
    if (!in || !in[0])
        return NSPATH_EMPTY;
    size_t n = 0;
    const char *p = in;
    while (*p) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        const char *start = p;
        while (*p && *p != '/') {
            unsigned char c = (unsigned char)*p;
            if (c < 0x20 || c == 0x7f)
                return NSPATH_CONTROL;
            if (c >= 0x80) {
                size_t u = escape_utf8_len((const unsigned char *)p);
                if (u == 0)
                    return NSPATH_NOT_UTF8;
                p += u;
                continue;
            }
            p++;
        }
        size_t len = (size_t)(p - start);
        if (len == 1 && start[0] == '.')
            continue;
        if (len == 2 && start[0] == '.' && start[1] == '.')
            return NSPATH_DOTDOT;
        if (len > NSPATH_NAME_MAX)
            return NSPATH_NAME_TOO_LONG;
        if (n + 1 + len > NSPATH_MAX)
            return NSPATH_TOO_LONG;
        out[n++] = '/';
        memcpy(out + n, start, len);
        n += len;
    }
    if (n == 0)
        out[n++] = '/';   /* "/", "//", "/./": the root */
    out[n] = '\0';
    return NSPATH_OK;
}

const char *nspath_status_text(nspath_status st)
{
    switch (st) {
    case NSPATH_OK: return "a good path";
    case NSPATH_EMPTY: return "the path is empty";
    case NSPATH_DOTDOT: return "\"..\" is not allowed in a path";
    case NSPATH_CONTROL: return "a path may not hold control characters";
    case NSPATH_NOT_UTF8: return "a path must be UTF-8";
    case NSPATH_NAME_TOO_LONG: return "a path component is longer than 255 bytes";
    case NSPATH_TOO_LONG: return "the path is longer than 4096 bytes";
    }
    return "a bad path";
}

bool nspath_parent(const char *path, char out[NSPATH_MAX + 1])
{
    const char *slash = strrchr(path, '/');
    if (!slash || !path[1])
        return false;   /* the root, or not normalised */
    size_t len = slash == path ? 1 : (size_t)(slash - path);
    memcpy(out, path, len);
    out[len] = '\0';
    return true;
}

const char *nspath_base(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

bool nspath_within(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    if (n == 1 && dir[0] == '/')
        return true;
    return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

bool nspath_id(const char *path, char out[NSPATH_ID_LEN + 1])
{
    const char *p = path[0] == '/' ? path + 1 : path;
    return sha256_hex(p, strlen(p), out);
}

bool nspath_id_slashed(const char *path, char out[NSPATH_ID_LEN + 1])
{
    return sha256_hex(path, strlen(path), out);
}
