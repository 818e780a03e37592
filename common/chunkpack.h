/*
 * chunkpack.h - the packed form of a full chunk report's entries.
 *
 * A chunkserver of a thousand-server cluster reports tens of thousands of
 * chunks; as JSON, each entry is an array of five values the master
 * builds a tree for and takes apart again, which cost it more than
 * judging the entry. Packed, an entry is one fixed record of
 * CHUNKPACK_RECORD bytes (the identifier and the checksum in binary, the
 * numbers little-endian), as HDFS sends block reports as arrays of longs.
 * A packed page's body (Content-Type PROTO_CONTENT_CHUNKPACK) is one line of
 * JSON, the envelope ({"url": ..., "clusterId": ...}), a '\n', and then
 * the records, with nothing between or after them. Record layout, byte
 * offsets:
 *
 *    0  32  the file identifier (the SHA-256 of its name, binary)
 *   32   4  the chunk's index
 *   36   4  flags: bit 0, a checksum follows; every other bit 0
 *   40   8  the copy's size in bytes
 *   48   8  its version
 *   56   8  age_ms, signed: since its file last changed, by the sender's clock
 *   64  32  its SHA-256, binary (zeros without flag bit 0)
 *
 * A record count never comes from the sender: it is the body's length
 * after the envelope over the record's, bounded by the caller. This file
 * only lays bytes out and finds them again; what an entry means is the
 * master's to judge.
 */
#ifndef MINIDFS_CHUNKPACK_H
#define MINIDFS_CHUNKPACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sha256.h"

#define CHUNKPACK_RECORD 96
#define CHUNKPACK_HAS_SHA 1u
/* The envelope's line, at most. */
#define CHUNKPACK_MAX_HEAD 4096

typedef struct {
    unsigned char fid[SHA256_LEN];
    uint32_t index;
    bool has_sha;
    uint64_t size, version;
    int64_t age_ms;
    unsigned char sha[SHA256_LEN];
} chunkpack_entry;

/* Writes e as a record. */
void chunkpack_put(unsigned char rec[CHUNKPACK_RECORD], const chunkpack_entry *e);
/* Reads a record; false when it sets a flag this version does not know. */
bool chunkpack_get(const unsigned char rec[CHUNKPACK_RECORD], chunkpack_entry *e);

/* A packed page's body: head (the envelope, one line of JSON, headlen
 * bytes) on a line of its own, then n records; malloc'd, its length in
 * *len; NULL when out of memory. */
char *chunkpack_body(const char *head, size_t headlen, const unsigned char *recs, size_t n,
                     size_t *len);

/* Finds the envelope and the records in a packed page's body of len
 * bytes: *head and *headlen the envelope's line (without its '\n'),
 * *recs and *n the records. False, with err, when there is no line of at
 * most CHUNKPACK_MAX_HEAD bytes first, or the rest is not whole records,
 * or holds more than max. */
bool chunkpack_split(const char *body, size_t len, size_t max, const char **head,
                     size_t *headlen, const unsigned char **recs, size_t *n, char *err,
                     size_t errlen);

#endif
