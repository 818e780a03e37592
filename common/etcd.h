/*
 * etcd.h - a client of etcd's v3 API through its JSON gateway (plain
 * HTTP and JSON, keys and values in base64, 64-bit numbers as strings):
 * leases, reads of a key or a prefix, and conditional transactions, the
 * pieces a replicated operation log and a leader's lease are made of; the
 * compaction of etcd's history, and its member list.
 * Calls block, each bounded by the client's timeout; an endpoint that
 * does not answer is passed over for the next in the list.
 */
#ifndef MINIDFS_ETCD_H
#define MINIDFS_ETCD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* At most this many endpoints, and this long a key, are taken. */
#define ETCD_MAX_ENDPOINTS 8
#define ETCD_MAX_KEY 1024

typedef struct etcd etcd;

/* A client of the etcd members at endpoints ("http://host:port", comma
 * separated), each call bounded by timeout_ms; NULL with err set when
 * the list is not one. Thread-safe: calls may come from any thread. */
etcd *etcd_new(const char *endpoints, long timeout_ms, char *err, size_t errlen);
void etcd_free(etcd *e);

/* One key as etcd holds it (value and key NUL-terminated as well, for
 * text; neither may hold a NUL where the caller expects text). */
typedef struct {
    char *key;
    size_t keylen;
    char *value;
    size_t valuelen;
    int64_t create_revision, mod_revision, version, lease;
} etcd_kv;

void etcd_kvs_free(etcd_kv *kvs, size_t n);

/* A lease of ttl_s seconds: its id and the TTL granted. */
bool etcd_lease_grant(etcd *e, int64_t ttl_s, int64_t *id, int64_t *ttl, char *err,
                      size_t errlen);
/* Renews lease id: *ttl the seconds it has again, 0 when it had expired
 * (then it is gone, and every key attached to it). */
bool etcd_lease_keepalive(etcd *e, int64_t id, int64_t *ttl, char *err, size_t errlen);
/* Ends lease id at once, deleting its keys (an unknown lease is no error). */
bool etcd_lease_revoke(etcd *e, int64_t id, char *err, size_t errlen);

/* The keys from key (exactly key, or with prefix every key beginning with
 * it) in order, at most limit (0: no limit) of them, as of revision rev
 * (0: now); *more when some were left out. *revision: the store's
 * revision the answer is of. The caller frees *kvs with etcd_kvs_free. */
bool etcd_range(etcd *e, const char *key, size_t keylen, bool prefix, int64_t limit,
                int64_t rev, etcd_kv **kvs, size_t *n, bool *more, int64_t *revision,
                char *err, size_t errlen);
/* The same for the keys from key up to (not including) end. */
bool etcd_range_between(etcd *e, const char *key, size_t keylen, const char *end, size_t endlen,
                        int64_t limit, int64_t rev, etcd_kv **kvs, size_t *n, bool *more,
                        int64_t *revision, char *err, size_t errlen);
/* Puts value at key (lease: attached to it, 0: none); *revision (may be
 * NULL): the store's revision after it. */
bool etcd_put(etcd *e, const char *key, size_t keylen, const char *value, size_t valuelen,
              int64_t lease, int64_t *revision, char *err, size_t errlen);
/* Deletes key, or every key beginning with it (prefix); *deleted (may be
 * NULL): how many. */
bool etcd_delete(etcd *e, const char *key, size_t keylen, bool prefix, int64_t *deleted,
                 char *err, size_t errlen);

/* Deletes the keys from key up to (not including) end. */
bool etcd_delete_between(etcd *e, const char *key, size_t keylen, const char *end, size_t endlen,
                         int64_t *deleted, char *err, size_t errlen);

/* What a transaction compares: a key's create or mod revision, version,
 * lease (number) or value (value). */
typedef enum { ETCD_CREATE, ETCD_MOD, ETCD_VERSION, ETCD_LEASE, ETCD_VALUE } etcd_target;
typedef enum { ETCD_EQUAL, ETCD_NOT_EQUAL, ETCD_LESS, ETCD_GREATER } etcd_relation;
typedef struct {
    const char *key;
    size_t keylen;
    etcd_target target;
    etcd_relation relation;
    int64_t number;
    const char *value;
    size_t valuelen;
} etcd_compare;

/* A put (lease 0: none) or a delete (prefix: of every key beginning with
 * key) a transaction makes. */
typedef struct {
    bool del;
    const char *key;
    size_t keylen;
    const char *value;
    size_t valuelen;
    int64_t lease;
    bool prefix;
} etcd_op;

/* If every comparison holds, the ops in then, else those in otherwise,
 * all at one revision: *succeeded says which, *revision (may be NULL) the
 * store's revision after. At most 128 of each. */
#define ETCD_MAX_TXN 128

/* Drops the history of every key before the current revision (etcd keeps
 * every old value until compacted: a log that is written and deleted
 * would otherwise grow etcd's database to its quota). */
bool etcd_compact_history(etcd *e, char *err, size_t errlen);
/* The cluster's members as "name=clientURL,..." into out (cut at outlen). */
bool etcd_members(etcd *e, char *out, size_t outlen, char *err, size_t errlen);
bool etcd_txn(etcd *e, const etcd_compare *cmp, size_t ncmp, const etcd_op *then, size_t nthen,
              const etcd_op *otherwise, size_t notherwise, bool *succeeded, int64_t *revision,
              char *err, size_t errlen);

#endif
