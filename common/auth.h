/*
 * auth.h - the cluster secret and the signatures made with it. A secure
 * cluster shares one 32-byte key (cluster.key); every server-to-server
 * request carries X-Minidfs-Auth: an HMAC-SHA-256 over its method, its
 * target (path and query), a timestamp, a random nonce and its body's
 * SHA-256. The receiver recomputes it, refuses a timestamp more than
 * AUTH_SKEW_MS away from its own clock, and refuses a nonce it has seen
 * (a replay). A streamed chunk, whose bytes carry their own checksum,
 * signs AUTH_STREAMED in place of its body's digest.
 *
 * Clients hold no key: the master hands them capabilities, an HMAC under
 * the same key over an operation, a chunk id and an expiry, which the
 * chunkservers check (HDFS block tokens are the model).
 */
#ifndef MINIDFS_AUTH_H
#define MINIDFS_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sha256.h"

#define AUTH_KEY_LEN 32
#define AUTH_HEADER "X-Minidfs-Auth"
#define AUTH_SKEW_MS 30000
#define AUTH_STREAMED "streamed"
/* "v1 <ms> <16 hex nonce> <64 hex mac>" */
#define AUTH_VALUE_MAX 128

typedef struct {
    uint8_t k[AUTH_KEY_LEN];
} auth_key;

/* Makes a new random key and writes it to path (which must not exist),
 * mode 0600, durably. */
bool auth_key_create(const char *path, auth_key *out, char *err, size_t errlen);
/* Reads the key in path (64 hex digits); refuses a file that others than
 * its owner may read. */
bool auth_key_load(const char *path, auth_key *out, char *err, size_t errlen);
/* The same for any secret of that form (a user's token file), named what
 * in the messages. */
bool auth_secret_load(const char *path, const char *what, auth_key *out, char *err,
                      size_t errlen);

/* The wall clock in ms: timestamps cross machines. */
int64_t auth_now_ms(void);

/* The X-Minidfs-Auth value for one request; body_sha is the body's
 * SHA-256 in hex (sha256 of "" for none) or AUTH_STREAMED. False when no
 * randomness is to be had. */
bool auth_sign(const auth_key *k, const char *method, const char *target, const char *body_sha,
               int64_t now_ms, char out[AUTH_VALUE_MAX]);

typedef enum {
    AUTH_OK,
    AUTH_MISSING,     /* no signature */
    AUTH_MALFORMED,   /* not one of ours */
    AUTH_BAD_MAC,     /* signed with another key, or the request was altered */
    AUTH_STALE,       /* its timestamp is too far from ours */
    AUTH_REPLAYED,    /* its nonce was seen already */
    AUTH_BUSY,        /* too many signed requests at once to remember them all */
    AUTH_FORBIDDEN,   /* a capability for another chunk or operation */
} auth_status;

/* ---- capabilities: what the master hands a client for one chunk ---- */

/* "<op><expiry ms>.<64 hex mac>": op 'r' (read) or 'w' (write). */
#define AUTH_CAP_MAX 96
#define AUTH_CAP_READ 'r'
#define AUTH_CAP_WRITE 'w'

/* A capability for op on chunk_id until expiry_ms (wall clock). */
bool auth_cap_make(const auth_key *k, char op, const char *chunk_id, int64_t expiry_ms,
                   char out[AUTH_CAP_MAX]);
/* Checks a capability (NULL: none) for op on chunk_id: AUTH_OK,
 * AUTH_MISSING, AUTH_MALFORMED, AUTH_STALE (expired) or AUTH_FORBIDDEN
 * (made for another chunk or operation, or with another key). */
auth_status auth_cap_check(const auth_key *k, char op, const char *chunk_id, const char *cap,
                           int64_t now_ms);

/* The nonce of an X-Minidfs-Auth value, into out: answers to a signed
 * request are signed over it (method AUTH_ANSWER), which binds an answer
 * to its request. False when value is not one of ours. */
#define AUTH_ANSWER "ANSWER"
bool auth_value_nonce(const char *value, char out[17]);

/* The HTTP status answering st (401; 403 for AUTH_FORBIDDEN, 503 for
 * AUTH_BUSY), and a phrase. */
unsigned auth_http_status(auth_status st);
const char *auth_status_text(auth_status st);

/* The nonces seen within the skew window, to refuse replays. */
typedef struct auth_replay auth_replay;
auth_replay *auth_replay_new(void);
void auth_replay_free(auth_replay *r);

/* Checks a request's X-Minidfs-Auth value (NULL: none) against k; with
 * seen, a nonce is accepted once. Any thread. */
auth_status auth_verify(const auth_key *k, auth_replay *seen, const char *method,
                        const char *target, const char *body_sha, const char *value,
                        int64_t now_ms);

#endif
