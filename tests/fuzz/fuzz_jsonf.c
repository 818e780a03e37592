/*
 * fuzz_jsonf.c - libFuzzer target: a request body, parsed as the servers
 * parse one and read through the checked field getters. Nothing may crash,
 * and a getter that says yes must hand back a value in its range.
 */
#include <stdint.h>
#include <stdlib.h>

#include "jsonf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];
    json_t *req = jsonf_parse_object((const char *)data, size, err, sizeof err);
    if (!req)
        return 0;
    static const char *const keys[] = { "fileName", "fileSize", "size", "url", "chunks",
                                        "overwrite", "token", "clusterId" };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const char *s;
        long long n = 7;
        bool b;
        if (jsonf_string(req, keys[i], &s, err, sizeof err) && !s)
            abort();
        if (jsonf_int(req, keys[i], 0, 1000, &n, err, sizeof err) && (n < 0 || n > 1000))
            abort();
        n = 7;
        if (jsonf_int_opt(req, keys[i], -5, 5, &n, err, sizeof err) && n != 7 &&
            (n < -5 || n > 5))
            abort();
        jsonf_bool_opt(req, keys[i], false, &b, err, sizeof err);
    }
    json_decref(req);
    return 0;
}
