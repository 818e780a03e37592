/*
 * token.h - the bearer token a client shows a secure master: from
 * --token-file (a file of 64 hex digits that only its owner may read,
 * like admin.token) or else MINIDFS_TOKEN. It goes to the master only,
 * never to a chunkserver (they get per-chunk capabilities).
 */
#ifndef MINIDFS_TOKEN_H
#define MINIDFS_TOKEN_H

#include <stdbool.h>
#include <stddef.h>

#define TOKEN_LEN 64

/* Finds the token: *out gets it ("" when neither source gives one, for an
 * open master). False with err set when one is given and is not good. */
bool token_find(const char *file, char out[TOKEN_LEN + 1], char *err, size_t errlen);

#endif
