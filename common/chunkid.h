/*
 * chunkid.h - names of clusters, files and chunks.
 *
 * A cluster's id is 32 lowercase hex digits, drawn at random when its
 * master creates a new namespace; every chunkserver records the id of the
 * cluster it joined, and no master of another cluster can make it act.
 *
 * A file's identifier is the lowercase hex SHA-256 of its name. Chunk i of
 * that file is "<identifier>_<i>", i in decimal without leading zeros, and
 * that string is also the chunk's file name on a chunkserver's disk. Because
 * chunk ids become paths, they are validated strictly: exactly 64 lowercase
 * hex digits, one '_', and a canonical decimal index below 2^32. Nothing
 * else ("../x", "/etc/passwd", "ABC..._1", "<id>_01") is a chunk id.
 */
#ifndef MINIDFS_CHUNKID_H
#define MINIDFS_CHUNKID_H

#include <stdbool.h>
#include <stdint.h>

#define CLUSTERID_LEN 32
#define FILEID_LEN 64
#define CHUNKID_MAX_LEN (FILEID_LEN + 1 + 10)
#define CHUNKID_BUF (CHUNKID_MAX_LEN + 1)

/* True when s is exactly 32 lowercase hex digits. */
bool clusterid_valid(const char *s);

/* out = sha256hex(name). Returns false only if hashing fails. */
bool fileid_of_name(const char *name, char out[FILEID_LEN + 1]);

/* True when s is exactly 64 lowercase hex digits. */
bool fileid_valid(const char *s);

/* Splits a chunk id; fileid and index may be NULL. False if s is not a
 * valid chunk id. */
bool chunkid_parse(const char *s, char fileid[FILEID_LEN + 1], uint32_t *index);

void chunkid_format(char out[CHUNKID_BUF], const char *fileid, uint32_t index);

/* A cheap, well-spread hash of an id (FNV-1a), for picking one of a
 * fixed set of per-chunk locks. */
uint32_t chunkid_hash(const char *id);

#endif
