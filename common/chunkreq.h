/*
 * chunkreq.h - the chunk PUT, the data path's one write request, as a
 * value: which chunk, where in it (an append's offset), its version, its
 * checksum (in a header, or trailing the bytes), the rest of the
 * replication chain and, on a secure cluster, the master's capability. Senders (the client's transfers, the pipeline's
 * forward, repair's copier) turn one into a URL and headers; the receiver
 * turns headers back into one, bounding every field. Knows nothing of
 * sockets, disks or who is a peer: the receiver decides whom it forwards to.
 */
#ifndef MINIDFS_CHUNKREQ_H
#define MINIDFS_CHUNKREQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

#include "auth.h"
#include "chunkid.h"
#include "protocol.h"
#include "sha256.h"

/* Hops after the receiver: with it, a chain is at most a chunk's replicas. */
#define CHUNKREQ_MAX_CHAIN (PROTO_MAX_REPLICATION - 1)

typedef enum {
    CHUNKREQ_SUM_NONE,       /* no checksum sent */
    CHUNKREQ_SUM_HEADER,     /* sha holds it, sent in the header */
    CHUNKREQ_SUM_TRAILING,   /* the body's last 64 bytes are its hex digest */
} chunkreq_sum;

typedef struct {
    char id[CHUNKID_BUF];
    bool append;             /* ?offset=: a new version keeping the first offset bytes */
    uint64_t offset;
    uint64_t version;        /* the chunk's version; 0: none */
    chunkreq_sum sum;
    char sha[SHA256_HEX_LEN + 1];   /* CHUNKREQ_SUM_HEADER */
    size_t nchain;
    char chain[CHUNKREQ_MAX_CHAIN][PROTO_MAX_SERVER_ADDR];   /* canonical "HOST:PORT/" */
    uint64_t length;         /* chunk bytes in the body (a trailing sum not counted) */
    char capability[AUTH_CAP_MAX];   /* the master's, on a secure cluster; "": none */
} chunkreq;

/* Why a request was refused; chunkreq_http_status maps them. */
typedef enum {
    CHUNKREQ_OK,
    CHUNKREQ_BAD,             /* a field is malformed: 400 */
    CHUNKREQ_NO_LENGTH,       /* no Content-Length: 411 */
    CHUNKREQ_TOO_LARGE,       /* more than a chunk holds: 413 */
} chunkreq_status;

unsigned chunkreq_http_status(chunkreq_status st);

/* "http://SERVER/chunks/<id>[?offset=N]" into url; false when it does not fit. */
bool chunkreq_url(const chunkreq *r, const char *server, char *url, size_t urllen);
/* Appends the request's headers (version, checksum, chain) to *headers;
 * false when memory runs out (*headers then holds what was added). */
bool chunkreq_headers(const chunkreq *r, struct curl_slist **headers);
/* Bytes of the PUT body: the chunk bytes and a trailing checksum. */
uint64_t chunkreq_body_length(const chunkreq *r);
/* Sets h up to send r's body (chunkreq_body_length bytes from rd(..., ud),
 * through curl's upload buffer of buffer bytes) with headers; the URL and
 * the answer's handling are the caller's. */
void chunkreq_curl_put(CURL *h, const chunkreq *r, struct curl_slist *headers,
                       curl_read_callback rd, void *ud, long buffer);

/* How the receiver reads a header (query false) or a query argument. */
typedef const char *(*chunkreq_lookup)(void *ud, bool query, const char *name);
/* Reads the PUT of chunk id from its headers and arguments; the chunk may
 * hold at most limit bytes. *declared gets the Content-Length as sent
 * (0 when none or unreadable) even when the request is refused; on a
 * refusal err says why. The chain is read and canonicalised, not judged. */
chunkreq_status chunkreq_parse(chunkreq *r, const char *id, chunkreq_lookup get, void *ud,
                               uint64_t limit, uint64_t *declared, char *err, size_t errlen);
/* A header's decimal value (a version, a length): digits only, no sign or
 * space, at most UINT64_MAX; false otherwise. */
bool chunkreq_parse_uint(const char *s, uint64_t *out);

#endif
