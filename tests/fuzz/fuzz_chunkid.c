/*
 * fuzz_chunkid.c - libFuzzer target: the parsers of names that become
 * paths or terminal output. chunkid_parse must accept exactly the
 * canonical ids (what it accepts formats back to the same string), and
 * escape_text must never let a control byte through.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chunkid.h"
#include "escape.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
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
