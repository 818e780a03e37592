/*
 * nspath.h - the grammar of a path in the minidfs namespace, checked and
 * normalised where a name enters: absolute, '/'-separated, with "//",
 * "/./" and a trailing '/' collapsed, so "/logs/2026/a.txt",
 * "logs/2026/a.txt", "//logs/2026/a.txt" and "/logs/2026/./a.txt" are one
 * file. A name without a leading '/' (the seed's "input.txt") means
 * "/input.txt". Refused: an empty path, "..", a control character, a
 * byte that is not part of well-formed UTF-8 (names travel in JSON), a
 * component over NSPATH_NAME_MAX bytes, a path over NSPATH_MAX bytes.
 * Pure string work (and a hash): no I/O, no allocation.
 */
#ifndef MINIDFS_NSPATH_H
#define MINIDFS_NSPATH_H

#include <stdbool.h>
#include <stddef.h>

#define NSPATH_MAX 4096        /* bytes of a normalised path */
#define NSPATH_NAME_MAX 255    /* bytes of one component */

typedef enum {
    NSPATH_OK,
    NSPATH_EMPTY,          /* "" */
    NSPATH_DOTDOT,         /* a ".." component */
    NSPATH_CONTROL,        /* a byte below 0x20, or 0x7f */
    NSPATH_NOT_UTF8,       /* a byte outside well-formed UTF-8 */
    NSPATH_NAME_TOO_LONG,  /* a component over NSPATH_NAME_MAX bytes */
    NSPATH_TOO_LONG,       /* over NSPATH_MAX bytes once normalised */
} nspath_status;

/* Normalises in into out (room for NSPATH_MAX + 1 bytes); "/" is the root. */
nspath_status nspath_normalize(const char *in, char out[NSPATH_MAX + 1]);
/* Why a path was refused, as a phrase for an error message. */
const char *nspath_status_text(nspath_status st);

/* Of a normalised path: its parent directory ("/" for "/a"; false for the
 * root, which has none), and its last component ("" for the root). */
bool nspath_parent(const char *path, char out[NSPATH_MAX + 1]);
const char *nspath_base(const char *path);
/* Whether normalised path is dir itself or lies beneath it ("/a/b" is
 * under "/a", "/ab" is not; everything is under "/"). */
bool nspath_within(const char *path, const char *dir);

/* The identifiers a normalised path is known by (64 hex digits of a
 * SHA-256): its own, of the path without its leading '/' (the seed's
 * spelling, "input.txt" for "/input.txt", which a new file's chunks are
 * named with), and of the path as it is. */
#define NSPATH_ID_LEN 64
bool nspath_id(const char *path, char out[NSPATH_ID_LEN + 1]);
bool nspath_id_slashed(const char *path, char out[NSPATH_ID_LEN + 1]);

#endif
