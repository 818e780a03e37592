/*
 * chunkid.c - validates and builds cluster, file and chunk ids. Pure functions: no
 * state, no I/O. Every byte of a chunk id that reaches a path passes
 * chunkid_parse first; it must never accept a string that could name
 * anything outside a chunkserver's directory.
 */
#include "chunkid.h"

#include <stdio.h>
#include <string.h>

#include "sha256.h"

bool fileid_of_name(const char *name, char out[FILEID_LEN + 1])
{
    return sha256_hex(name, strlen(name), out);
}

static bool chunkid_is_lower_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

bool clusterid_valid(const char *s)
{
    for (int i = 0; i < CLUSTERID_LEN; i++)
        if (!chunkid_is_lower_hex(s[i]))
            return false;
    return s[CLUSTERID_LEN] == '\0';
}

bool fileid_valid(const char *s)
{
    for (int i = 0; i < FILEID_LEN; i++)
        if (!chunkid_is_lower_hex(s[i]))
            return false;
    return s[FILEID_LEN] == '\0';
}

bool chunkid_parse(const char *s, char fileid[FILEID_LEN + 1], uint32_t *index)
{
    for (int i = 0; i < FILEID_LEN; i++)
        if (!chunkid_is_lower_hex(s[i]))
            return false;
    if (s[FILEID_LEN] != '_')
        return false;
    const char *d = s + FILEID_LEN + 1;
    size_t n = strlen(d);
    if (n == 0 || n > 10 || (d[0] == '0' && n > 1))
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (d[i] < '0' || d[i] > '9')
            return false;
        v = v * 10 + (uint64_t)(d[i] - '0');
    }
    if (v > UINT32_MAX)
        return false;
    if (fileid) {
        memcpy(fileid, s, FILEID_LEN);
        fileid[FILEID_LEN] = '\0';
    }
    if (index)
        *index = (uint32_t)v;
    return true;
}

void chunkid_format(char out[CHUNKID_BUF], const char *fileid, uint32_t index)
{
    snprintf(out, CHUNKID_BUF, "%.64s_%u", fileid, index);
}

uint32_t chunkid_hash(const char *id)
{
    uint32_t h = 2166136261u;
    for (const char *p = id; *p; p++)
        h = (h ^ (uint8_t)*p) * 16777619u;
    return h;
}
