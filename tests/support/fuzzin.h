/*
 * fuzzin.h - what the libFuzzer targets share: the input as a C string.
 * Header-only, for the fuzz targets alone.
 */
#ifndef MINIDFS_FUZZIN_H
#define MINIDFS_FUZZIN_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A NUL-terminated copy of the input (a NUL inside ends it early), to
 * free; NULL when memory runs out. */
static inline char *fuzzin_cstring(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (s) {
        memcpy(s, data, size);
        s[size] = '\0';
    }
    return s;
}

#endif
