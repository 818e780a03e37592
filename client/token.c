/*
 * token.c - where a client's bearer token comes from (see token.h). Reads
 * one small file or one variable; never prints the token.
 */
#include "token.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "sha256.h"

bool token_find(const char *file, char out[TOKEN_LEN + 1], char *err, size_t errlen)
{
    out[0] = '\0';
    if (file) {
        auth_key k;
        if (!auth_secret_load(file, "token file", &k, err, errlen))
            return false;
        sha256_to_hex(k.k, out);
        return true;
    }
    const char *env = getenv("MINIDFS_TOKEN");
    if (!env || !env[0])
        return true;
    unsigned char raw[SHA256_LEN];
    if (strlen(env) != TOKEN_LEN || !sha256_from_hex(env, raw)) {
        snprintf(err, errlen, "MINIDFS_TOKEN is not a token (64 lowercase hex digits)");
        return false;
    }
    memcpy(out, env, TOKEN_LEN + 1);
    return true;
}
