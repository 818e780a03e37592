/*
 * chunkpack.c - packed chunk-report pages (chunkpack.h): the byte layout
 * by hand, little-endian whatever the host. It never trusts a length it
 * is given beyond the caller's bound, and never reads past the body it
 * was handed.
 */
#include "chunkpack.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void chunkpack_le(unsigned char *p, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t chunkpack_from_le(const unsigned char *p, int bytes)
{
    uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

void chunkpack_put(unsigned char rec[CHUNKPACK_RECORD], const chunkpack_entry *e)
{
    memcpy(rec, e->fid, SHA256_LEN);
    chunkpack_le(rec + 32, e->index, 4);
    chunkpack_le(rec + 36, e->has_sha ? CHUNKPACK_HAS_SHA : 0, 4);
    chunkpack_le(rec + 40, e->size, 8);
    chunkpack_le(rec + 48, e->version, 8);
    chunkpack_le(rec + 56, (uint64_t)e->age_ms, 8);
    if (e->has_sha)
        memcpy(rec + 64, e->sha, SHA256_LEN);
    else
        memset(rec + 64, 0, SHA256_LEN);
}

bool chunkpack_get(const unsigned char rec[CHUNKPACK_RECORD], chunkpack_entry *e)
{
    uint32_t flags = (uint32_t)chunkpack_from_le(rec + 36, 4);
    if (flags & ~CHUNKPACK_HAS_SHA)
        return false;
    memcpy(e->fid, rec, SHA256_LEN);
    e->index = (uint32_t)chunkpack_from_le(rec + 32, 4);
    e->has_sha = flags & CHUNKPACK_HAS_SHA;
    e->size = chunkpack_from_le(rec + 40, 8);
    e->version = chunkpack_from_le(rec + 48, 8);
    e->age_ms = (int64_t)chunkpack_from_le(rec + 56, 8);
    memcpy(e->sha, rec + 64, SHA256_LEN);
    return true;
}

char *chunkpack_body(const char *head, size_t headlen, const unsigned char *recs, size_t n,
                     size_t *len)
{
    *len = headlen + 1 + n * CHUNKPACK_RECORD;
    char *b = malloc(*len);
    if (!b)
        return NULL;
    memcpy(b, head, headlen);
    b[headlen] = '\n';
    if (n)
        memcpy(b + headlen + 1, recs, n * CHUNKPACK_RECORD);
    return b;
}

bool chunkpack_split(const char *body, size_t len, size_t max, const char **head,
                     size_t *headlen, const unsigned char **recs, size_t *n, char *err,
                     size_t errlen)
{
    const char *nl = memchr(body, '\n', len < CHUNKPACK_MAX_HEAD + 1 ? len : CHUNKPACK_MAX_HEAD + 1);
    if (!nl) {
        snprintf(err, errlen, "a packed report starts with its envelope, one line of JSON of "
                 "at most %d bytes", CHUNKPACK_MAX_HEAD);
        return false;
    }
    size_t rest = len - (size_t)(nl + 1 - body);
    if (rest % CHUNKPACK_RECORD != 0) {
        snprintf(err, errlen, "packed records are %d bytes each; %zu bytes is not whole records",
                 CHUNKPACK_RECORD, rest);
        return false;
    }
    if (rest / CHUNKPACK_RECORD > max) {
        snprintf(err, errlen, "%zu packed records; at most %zu", rest / CHUNKPACK_RECORD, max);
        return false;
    }
    *head = body;
    *headlen = (size_t)(nl - body);
    *recs = (const unsigned char *)(nl + 1);
    *n = rest / CHUNKPACK_RECORD;
    return true;
}
