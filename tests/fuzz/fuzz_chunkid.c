/*
 * fuzz_chunkid.c - libFuzzer target: the parsers of names that become
 * paths or terminal output. chunkid_parse must accept exactly the
 * canonical ids (what it accepts formats back to the same string),
 * nspath_normalize must hand back a path in its normal form (absolute,
 * no empty, "." or ".." component, no control byte, within the limits,
 * and normalising it again changes nothing), and escape_text must never
 * let a control byte through.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chunkid.h"
#include "escape.h"
#include "fuzzin.h"
#include "nspath.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzzin_cstring(data, size);
    if (!s)
        return 0;
    char fileid[FILEID_LEN + 1], again[CHUNKID_BUF];
    uint32_t index;
    if (chunkid_parse(s, fileid, &index)) {
        chunkid_format(again, fileid, index);
        if (strcmp(again, s) != 0 || !fileid_valid(fileid))
            abort();   /* accepted a non-canonical id */
        if (strchr(s, '/') || strstr(s, ".."))
            abort();   /* a path outside the directory */
    }
    if (clusterid_valid(s) && strlen(s) != CLUSTERID_LEN)
        abort();
    char path[NSPATH_MAX + 1], path2[NSPATH_MAX + 1];
    if (nspath_normalize(s, path) == NSPATH_OK) {
        size_t n = strlen(path);
        if (path[0] != '/' || n > NSPATH_MAX || (n > 1 && path[n - 1] == '/') ||
            strstr(path, "//") || strstr(path, "/./") || strstr(path, "/../") ||
            (n >= 2 && !strcmp(path + n - 2, "/.")) || (n >= 3 && !strcmp(path + n - 3, "/..")))
            abort();   /* not in normal form */
        for (const unsigned char *p = (const unsigned char *)path; *p; p++)
            if (*p < 0x20 || *p == 0x7f)
                abort();
        if (nspath_normalize(path, path2) != NSPATH_OK || strcmp(path, path2) != 0)
            abort();   /* normalising is idempotent */
    }
    char out[512];
    escape_text(s, out, sizeof out);
    for (const unsigned char *p = (const unsigned char *)out; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            abort();   /* a control byte got through */
    if (strlen(out) >= sizeof out)
        abort();
    free(s);
    return 0;
}
