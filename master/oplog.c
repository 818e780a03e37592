/*
 * oplog.c - the operation log in etcd (oplog.h): the writer cuts a batch
 * into pieces and commits each with the head under the term; the reader
 * reassembles batches piece by piece. Owns the writer's place and the
 * reader's pending batch. Must never hand a reader's caller part of a
 * batch, a batch twice, or a batch out of order, and never let a writer
 * go on in a term after a batch it could not finish.
 */
#include "oplog.h"

#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OPLOG_LAST 1u
#define OPLOG_KEY_MAX (ELECTION_MAX_NAME + 64)

struct oplog {
    etcd *e;
    election *el;
    char prefix[OPLOG_KEY_MAX];   /* /minidfs/<cluster>/log/ */
    char head[OPLOG_KEY_MAX];     /* /minidfs/<cluster>/loghead */
    _Atomic uint64_t next;        /* the shipper moves it; compaction reads it */
    int64_t resumed;              /* the term the head was read in (0: none) */
    int64_t broken;               /* the term a ship failed in: no more in it */
};

struct oplog_reader {
    etcd *e;
    char prefix[OPLOG_KEY_MAX];
    uint64_t next;        /* the next piece to read */
    uint64_t done;        /* the piece after the last whole batch handed over */
    char *batch;          /* the batch being assembled */
    size_t len, cap;
    uint64_t term;        /* its term (0: none under way) */
};

static bool oplog_names(const char *cluster, char *prefix, char *head, char *err, size_t errlen)
{
    if (!cluster || !*cluster || strlen(cluster) > ELECTION_MAX_NAME) {
        snprintf(err, errlen, "a cluster name of 1 to %d bytes", ELECTION_MAX_NAME);
        return false;
    }
    snprintf(prefix, OPLOG_KEY_MAX, "/minidfs/%s/log/", cluster);
    if (head)
        snprintf(head, OPLOG_KEY_MAX, "/minidfs/%s/loghead", cluster);
    return true;
}

/* The key of piece n. */
static size_t oplog_key(const char *prefix, uint64_t n, char out[OPLOG_KEY_MAX + 24])
{
    return (size_t)snprintf(out, OPLOG_KEY_MAX + 24, "%s%020" PRIu64, prefix, n);
}

oplog *oplog_new(etcd *e, election *el, const char *cluster, char *err, size_t errlen)
{
    oplog *o = calloc(1, sizeof *o);
    if (!o) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (!oplog_names(cluster, o->prefix, o->head, err, errlen)) {
        free(o);
        return NULL;
    }
    o->e = e;
    o->el = el;
    return o;
}

void oplog_free(oplog *o)
{
    free(o);
}

/* Reads the head key: the number of the piece to come (0: no log yet). */
static bool oplog_read_head(etcd *e, const char *key, uint64_t *head, char *err, size_t errlen)
{
    etcd_kv *kvs;
    size_t n;
    bool more;
    if (!etcd_range(e, key, strlen(key), false, 0, 0, &kvs, &n, &more, NULL, err, errlen))
        return false;
    uint64_t next = 0;
    bool ok = true;
    if (n) {
        char *end;
        unsigned long long v = strtoull(kvs[0].value, &end, 10);
        ok = kvs[0].valuelen > 0 && !*end && v < UINT64_MAX;
        next = v;
    }
    etcd_kvs_free(kvs, n);
    if (!ok) {
        snprintf(err, errlen, "the log head %s is not a number", key);
        return false;
    }
    *head = next;
    return true;
}

bool oplog_head(etcd *e, const char *cluster, uint64_t *head, char *err, size_t errlen)
{
    char prefix[OPLOG_KEY_MAX], key[OPLOG_KEY_MAX];
    return oplog_names(cluster, prefix, key, err, errlen) &&
           oplog_read_head(e, key, head, err, errlen);
}

bool oplog_resume(oplog *o, char *err, size_t errlen)
{
    int64_t term = election_term(o->el);   /* before the read: the head is this term's */
    uint64_t next;
    if (!oplog_read_head(o->e, o->head, &next, err, errlen))
        return false;
    if (term <= 0) {
        snprintf(err, errlen, "not the active master");
        return false;
    }
    o->next = next;
    o->resumed = term;
    return true;
}

bool oplog_begin_at(oplog *o, uint64_t at, bool *deposed, char *err, size_t errlen)
{
    *deposed = false;
    if (o->next >= at)
        return true;
    char head[24];
    int hlen = snprintf(head, sizeof head, "%" PRIu64, at);
    etcd_op op = { .key = o->head, .keylen = strlen(o->head), .value = head,
                   .valuelen = (size_t)hlen };
    if (!election_commit(o->el, &op, 1, deposed, err, errlen))
        return false;
    o->next = at;
    return true;
}

uint64_t oplog_next(const oplog *o)
{
    return o->next;
}

bool oplog_ship(oplog *o, const char *buf, size_t len, bool *deposed, char *err, size_t errlen)
{
    *deposed = false;
    int64_t term = election_term(o->el);
    if (term <= 0 || o->resumed != term || o->broken == term || len == 0) {
        *deposed = term <= 0;
        snprintf(err, errlen, "%s", term <= 0            ? "not the active master"
                                   : o->resumed != term ? "the log was not resumed in this term"
                                   : o->broken == term  ? "an earlier batch could not be shipped "
                                                          "in this term: step down"
                                                        : "an empty batch");
        return false;
    }
    char *piece = malloc(OPLOG_HEADER + (len < OPLOG_PIECE ? len : OPLOG_PIECE));
    if (!piece) {
        o->broken = term;
        snprintf(err, errlen, "out of memory");
        return false;
    }
    for (int i = 0; i < 8; i++)
        piece[i] = (char)((uint64_t)term >> (56 - 8 * i));
    size_t off = 0;
    bool ok = true;
    while (ok && off < len) {
        size_t take = len - off < OPLOG_PIECE ? len - off : OPLOG_PIECE;
        piece[8] = off + take == len ? (char)OPLOG_LAST : 0;
        memcpy(piece + OPLOG_HEADER, buf + off, take);
        char key[OPLOG_KEY_MAX + 24], head[24];
        size_t klen = oplog_key(o->prefix, o->next, key);
        int hlen = snprintf(head, sizeof head, "%" PRIu64, o->next + 1);
        etcd_op ops[2] = {
            { .key = key, .keylen = klen, .value = piece, .valuelen = OPLOG_HEADER + take },
            { .key = o->head, .keylen = strlen(o->head), .value = head, .valuelen = (size_t)hlen },
        };
        ok = election_commit(o->el, ops, 2, deposed, err, errlen);
        if (ok) {
            o->next++;
            off += take;
        }
    }
    free(piece);
    if (!ok)
        o->broken = term;
    return ok;
}

bool oplog_compact(oplog *o, uint64_t below, char *err, size_t errlen)
{
    /* The last piece stays: a reader far behind then meets a gap (a piece
     * it wants missing before one it does not) rather than nothing. */
    if (below >= o->next)
        below = o->next ? o->next - 1 : 0;
    char from[OPLOG_KEY_MAX + 24], to[OPLOG_KEY_MAX + 24];
    size_t flen = oplog_key(o->prefix, 0, from), tlen = oplog_key(o->prefix, below, to);
    return below == 0 || etcd_delete_between(o->e, from, flen, to, tlen, NULL, err, errlen);
}

oplog_reader *oplog_reader_new(etcd *e, const char *cluster, uint64_t next, char *err,
                               size_t errlen)
{
    oplog_reader *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (!oplog_names(cluster, r->prefix, NULL, err, errlen)) {
        free(r);
        return NULL;
    }
    r->e = e;
    r->next = r->done = next;
    return r;
}

void oplog_reader_free(oplog_reader *r)
{
    if (r)
        free(r->batch);
    free(r);
}

uint64_t oplog_reader_next(const oplog_reader *r)
{
    return r->done;
}

uint64_t oplog_reader_at(const oplog_reader *r)
{
    return r->next;
}

/* Takes piece n (its value v of vlen bytes) into the batch under way;
 * *whole when it ended one. */
static bool oplog_take(oplog_reader *r, uint64_t n, const char *v, size_t vlen, bool *whole,
                       char *err, size_t errlen)
{
    *whole = false;
    if (vlen < OPLOG_HEADER || vlen > OPLOG_HEADER + OPLOG_PIECE) {
        snprintf(err, errlen, "log piece %" PRIu64 ": %zu bytes, not a piece", n, vlen);
        return false;
    }
    uint64_t term = 0;
    for (int i = 0; i < 8; i++)
        term = term << 8 | (uint8_t)v[i];
    if (term == 0 || term < r->term || ((uint8_t)v[8] & ~OPLOG_LAST)) {
        snprintf(err, errlen, "log piece %" PRIu64 ": term %" PRIu64 " after %" PRIu64
                 " or unknown flags: not a log this reader can follow", n, term, r->term);
        return false;
    }
    if (term > r->term) {   /* a batch its term left unfinished was never acknowledged */
        r->len = 0;
        r->term = term;
    }
    size_t take = vlen - OPLOG_HEADER;
    if (r->len + take > OPLOG_MAX_BATCH) {
        snprintf(err, errlen, "log piece %" PRIu64 ": a batch of over %u bytes", n,
                 OPLOG_MAX_BATCH);
        return false;
    }
    if (r->len + take > r->cap) {
        size_t cap = r->cap ? r->cap : OPLOG_PIECE;
        while (cap < r->len + take)
            cap *= 2;
        char *grown = realloc(r->batch, cap);
        if (!grown) {
            snprintf(err, errlen, "out of memory");
            return false;
        }
        r->batch = grown;
        r->cap = cap;
    }
    memcpy(r->batch + r->len, v + OPLOG_HEADER, take);
    r->len += take;
    *whole = (uint8_t)v[8] & OPLOG_LAST;
    return true;
}

bool oplog_read(oplog_reader *r, size_t max, oplog_batch_fn fn, void *ud, size_t *batches,
                char *err, size_t errlen)
{
    *batches = 0;
    char from[OPLOG_KEY_MAX + 24], to[OPLOG_KEY_MAX + 24];
    size_t flen = oplog_key(r->prefix, r->next, from);
    size_t tlen = (size_t)snprintf(to, sizeof to, "%s", r->prefix);
    to[tlen - 1]++;   /* past every piece: the prefix's '/' becomes '0' */
    etcd_kv *kvs;
    size_t n;
    bool more;
    if (!etcd_range_between(r->e, from, flen, to, tlen, max ? (int64_t)max : 0, 0, &kvs, &n, &more,
                            NULL, err, errlen))
        return false;
    bool ok = true;
    for (size_t i = 0; ok && i < n; i++) {
        char want[OPLOG_KEY_MAX + 24];
        size_t wlen = oplog_key(r->prefix, r->next, want);
        if (kvs[i].keylen != wlen || memcmp(kvs[i].key, want, wlen) != 0) {
            snprintf(err, errlen, "the log in etcd no longer holds piece %" PRIu64
                     " (compacted): a checkpoint is needed", r->next);
            ok = false;
            break;
        }
        bool whole;
        ok = oplog_take(r, r->next, kvs[i].value, kvs[i].valuelen, &whole, err, errlen);
        if (!ok)
            break;
        r->next++;
        if (whole) {
            if (!fn(ud, r->batch, r->len)) {
                snprintf(err, errlen, "log piece %" PRIu64 ": its batch was refused", r->next - 1);
                r->next = r->done;   /* a read taken up again offers it again */
                r->len = 0;
                ok = false;
                break;
            }
            r->len = 0;
            r->done = r->next;
            (*batches)++;
        }
    }
    etcd_kvs_free(kvs, n);
    return ok;
}
