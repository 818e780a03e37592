/*
 * sha256.h - SHA-256 through OpenSSL's EVP interface, one-shot or streamed,
 * always rendered as 64 lowercase hex digits.
 */
#ifndef MINIDFS_SHA256_H
#define MINIDFS_SHA256_H

#include <stdbool.h>
#include <stddef.h>

#define SHA256_HEX_LEN 64
#define SHA256_LEN 32

typedef struct sha256_stream sha256_stream;

/* One shot, on a context the calling thread keeps. False only if OpenSSL
 * fails (out of memory). */
bool sha256_digest(const void *data, size_t len, unsigned char md[SHA256_LEN]);
bool sha256_hex(const void *data, size_t len, char out[SHA256_HEX_LEN + 1]);
/* The SHA-256 of no bytes, in hex. */
#define SHA256_EMPTY_HEX "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* Digest <-> 64 lowercase hex digits; from_hex is false for anything else. */
void sha256_to_hex(const unsigned char md[SHA256_LEN], char out[SHA256_HEX_LEN + 1]);
bool sha256_from_hex(const char *hex, unsigned char md[SHA256_LEN]);
/* Streamed, for hashing bytes as they pass. */
sha256_stream *sha256_stream_new(void);
bool sha256_stream_update(sha256_stream *s, const void *data, size_t len);
bool sha256_stream_final_hex(sha256_stream *s, char out[SHA256_HEX_LEN + 1]);
void sha256_stream_free(sha256_stream *s);

#endif
