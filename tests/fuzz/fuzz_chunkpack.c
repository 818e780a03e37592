/*
 * fuzz_chunkpack.c - libFuzzer target: a packed report page as a hostile
 * chunkserver would send it. chunkpack_split must never point past the
 * body or count more records than it holds or than the bound, and every
 * record chunkpack_get accepts must write back to the same bytes (but for
 * a checksum it says is not there).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chunkpack.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* a copy of exactly size bytes, so that ASan sees any read past it */
    char *body = malloc(size ? size : 1);
    if (!body)
        return 0;
    memcpy(body, data, size);
    const char *head;
    const unsigned char *recs;
    size_t headlen, n;
    char err[256];
    size_t max = size % 7;
    if (chunkpack_split(body, size, max, &head, &headlen, &recs, &n, err, sizeof err)) {
        if (head != body || headlen > CHUNKPACK_MAX_HEAD || n > max ||
            (const char *)recs != body + headlen + 1 || headlen + 1 + n * CHUNKPACK_RECORD != size ||
            memchr(head, '\n', headlen))
            abort();
        for (size_t i = 0; i < n; i++) {
            chunkpack_entry e;
            unsigned char again[CHUNKPACK_RECORD];
            if (!chunkpack_get(recs + i * CHUNKPACK_RECORD, &e))
                continue;
            chunkpack_put(again, &e);
            /* without a checksum, its 32 bytes are not read (and go back as zeros) */
            if (memcmp(again, recs + i * CHUNKPACK_RECORD, e.has_sha ? CHUNKPACK_RECORD : 64) != 0)
                abort();
        }
    }
    free(body);
    return 0;
}
