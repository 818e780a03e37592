/*
 * sign.c - a test tool: prints the X-Minidfs-Auth value that signs one
 * request with a cluster key, so a test can send signed, forged, stale and
 * replayed requests with curl.
 *
 * usage: sign KEYFILE METHOD TARGET BODYFILE [SKEW_MS]
 *        sign cap KEYFILE r|w CHUNK_ID EXPIRY_FROM_NOW_MS
 * SKEW_MS moves the signature's time from now (negative: into the past);
 * the second form prints a capability, as a secure master hands out.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"

int main(int argc, char **argv)
{
    if (argc == 6 && strcmp(argv[1], "cap") == 0) {
        char err[512], cap[AUTH_CAP_MAX];
        auth_key k;
        if (!auth_key_load(argv[2], &k, err, sizeof err) ||
            !auth_cap_make(&k, argv[3][0], argv[4], auth_now_ms() + atoll(argv[5]), cap)) {
            fprintf(stderr, "sign: cannot make a capability\n");
            return 1;
        }
        printf("%s\n", cap);
        return 0;
    }
    if (argc < 5 || argc > 6) {
        fprintf(stderr, "usage: sign KEYFILE METHOD TARGET BODYFILE [SKEW_MS]\n");
        return 2;
    }
    char err[512];
    auth_key k;
    if (!auth_key_load(argv[1], &k, err, sizeof err)) {
        fprintf(stderr, "sign: %s\n", err);
        return 1;
    }
    FILE *f = fopen(argv[4], "rb");
    if (!f) {
        perror(argv[4]);
        return 1;
    }
    static char body[1 << 20];
    size_t n = fread(body, 1, sizeof body, f);
    fclose(f);
    char sum[SHA256_HEX_LEN + 1], value[AUTH_VALUE_MAX];
    long long skew = argc == 6 ? atoll(argv[5]) : 0;
    if (!sha256_hex(body, n, sum) ||
        !auth_sign(&k, argv[2], argv[3], sum, auth_now_ms() + skew, value)) {
        fprintf(stderr, "sign: cannot sign\n");
        return 1;
    }
    printf("%s\n", value);
    return 0;
}
