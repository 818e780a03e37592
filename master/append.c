/*
 * append.c - appends to a complete file: the plan (the fill of its partial
 * last chunk, the new chunks), the append's lock on the file, the
 * reports of the filled chunk, and the commit that makes the new bytes
 * readable in one record (and its replay). Works on the file table under
 * its lock (namespace_impl.h); must never block or do I/O there.
 */
#include "append.h"

#include <stdlib.h>
#include <string.h>

#include "lease.h"
#include "monotime.h"
#include "namespace_impl.h"

/* What appending bytes to f takes: the fill of its partial last chunk, and
 * how many new chunks. False when the file would outgrow the limits
 * (PROTO_MAX_CHUNKS chunks): nothing here can overflow or be cut short,
 * since the sizes are bounded before they are added. */
static bool append_shape(const ns_file *f, uint64_t bytes, int64_t *fill_index,
                                   uint64_t *fill_offset, uint64_t *fill_length, uint32_t *nnew)
{
    uint64_t cs = f->chunk_size, tail = f->size % cs;
    uint64_t room = (uint64_t)PROTO_MAX_CHUNKS * cs - f->size;   /* f->size is within it */
    *fill_index = -1;
    *fill_offset = *fill_length = 0;
    *nnew = 0;
    if (bytes > room)
        return false;
    uint64_t rest = bytes;
    if (f->size > 0 && tail > 0) {
        *fill_index = (int64_t)f->ncommitted - 1;
        *fill_offset = tail;
        *fill_length = bytes < cs - tail ? bytes : cs - tail;
        rest -= *fill_length;
    }
    uint64_t n = namespace_chunks_for(rest, cs);
    if ((uint64_t)f->ncommitted + n > PROTO_MAX_CHUNKS)
        return false;
    *nnew = (uint32_t)n;
    return true;
}

static ns_status append_check(ns_file *f, int64_t now_ms)
{
    if (!f)
        return NS_NOT_FOUND;
    const ns_append *cur = namespace_append_of(f);
    if (cur && cur->until_ms > now_ms)
        return NS_BUSY;
    if (f->ncommitted != (f->size + f->chunk_size - 1) / f->chunk_size ||
        !namespace_file_complete(f))
        return NS_INCOMPLETE;   /* also: a file of allocated chunks */
    return NS_OK;
}

ns_status append_needs(ns_table *ns, const char *name, uint64_t bytes, uint32_t *nnew,
                       uint16_t *holders, unsigned *nholders, unsigned *replication)
{
    char fileid[FILEID_LEN + 1];
    ns_status bad = namespace_nameid(name, fileid);
    if (bad != NS_OK)
        return bad;
    pthread_rwlock_rdlock(&ns->lock);
    ns_file *f = namespace_named(ns, fileid);
    ns_status st = append_check(f, monotime_ms());
    *nholders = 0;
    if (st == NS_OK) {
        *replication = f->replication;
        int64_t fi;
        uint64_t fo, fl;
        if (!append_shape(f, bytes, &fi, &fo, &fl, nnew)) {
            st = NS_BAD_SIZE;
        } else if (fi >= 0) {
            const ns_chunk *c = &f->chunks[fi];
            memcpy(holders, c->rep, c->nrep * sizeof *holders);
            *nholders = c->nrep;
        }
    }
    pthread_rwlock_unlock(&ns->lock);
    return st;
}

ns_status append_begin(ns_table *ns, const char *name, uint64_t bytes,
                       const uint16_t *fill_live, unsigned nfill_live, uint32_t nplan_chunks,
                       int64_t now_ms, int64_t lease_ms, append_plan *out)
{
    char fileid[FILEID_LEN + 1];
    ns_status bad = namespace_nameid(name, fileid);
    if (bad != NS_OK)
        return bad;
    memset(out, 0, sizeof *out);
    pthread_rwlock_wrlock(&ns->lock);
    ns_file *f = namespace_named(ns, fileid);
    ns_status st = append_check(f, now_ms);
    if (st != NS_OK)
        goto out;
    int64_t fi;
    uint64_t fo, fl;
    uint32_t nnew;
    if (!append_shape(f, bytes, &fi, &fo, &fl, &nnew)) {
        st = NS_BAD_SIZE;
        goto out;
    }
    if (nnew != nplan_chunks) {
        st = NS_BUSY;   /* the file changed since the caller planned: plan again */
        goto out;
    }
    if (fi >= 0 && nfill_live == 0) {
        st = NS_NO_SERVERS;
        goto out;
    }
    uint32_t first = f->ncommitted;
    if (!namespace_grow_chunks(f, (uint64_t)first + nnew)) {
        st = NS_NO_MEMORY;
        goto out;
    }
    ns_rare *rare = namespace_rare(f);
    ns_append *ap = !rare ? NULL : rare->append ? rare->append : calloc(1, sizeof *ap);
    if (!ap) {
        namespace_rare_trim(f);
        st = NS_NO_MEMORY;
        goto out;
    }
    memset(ap, 0, sizeof *ap);
    rare->append = ap;
    ap->version = ap->token = ++ns->counter;
    ap->until_ms = now_ms + lease_ms;
    ap->new_size = f->size + bytes;
    ap->fill_index = fi;
    ap->fill_size = fo + fl;
    namespace_log_counter(ns);
    for (uint32_t k = 0; k < nnew; k++) {   /* new slots, or ones an abandoned append left */
        ns_chunk *c = &f->chunks[first + k];
        lease_drop(f, first + k);
        memset(c, 0, sizeof *c);
        c->version = ap->version;
        if (ns->j) {   /* a million new slots: build no record nobody keeps */
            record r;
            namespace_chunk_record(f, first + k, &r);
            namespace_log(ns, &r);
        }
    }
    out->token = ap->token;
    out->version = ap->version;
    out->old_size = f->size;
    out->new_size = ap->new_size;
    out->chunk_size = f->chunk_size;
    out->generation = f->generation;
    out->lease_left_ms = lease_ms;
    out->fill_index = fi;
    out->fill_offset = fo;
    out->fill_length = fl;
    out->fill_nrep = nfill_live < PROTO_MAX_REPLICATION ? nfill_live : PROTO_MAX_REPLICATION;
    memcpy(out->fill_rep, fill_live, out->fill_nrep * sizeof *fill_live);
    out->first_new = first;
    out->nnew = nnew;
    namespace_file_id(f, out->fileid);
out:
    pthread_rwlock_unlock(&ns->lock);
    return st;
}

ns_status append_end(ns_table *ns, const char *name, uint64_t token, bool abort,
                     int64_t now_ms)
{
    (void)now_ms;
    char fileid[FILEID_LEN + 1];
    ns_status bad = namespace_nameid(name, fileid);
    if (bad != NS_OK)
        return bad;
    ns_status st = NS_OK;
    pthread_rwlock_wrlock(&ns->lock);
    ns_file *f = namespace_named(ns, fileid);
    ns_append *ap = f ? namespace_append_of(f) : NULL;
    if (!f) {
        st = NS_NOT_FOUND;
        goto out;
    }
    if (!ap || ap->token != token) {
        st = NS_BAD_TOKEN;
        goto out;
    }
    if (abort) {
        free(ap);
        f->rare->append = NULL;
        namespace_rare_trim(f);
        goto out;
    }
    uint32_t ncommitted = (uint32_t)namespace_chunks_for(ap->new_size, f->chunk_size);
    if ((ap->fill_index >= 0 && !ap->fill_done) || ncommitted > f->nchunks) {
        st = NS_INCOMPLETE;
        goto out;
    }
    for (uint32_t i = f->ncommitted; i < ncommitted; i++)
        if (!(f->chunks[i].flags & NS_CHUNK_STORED) || f->chunks[i].version != ap->version) {
            st = NS_INCOMPLETE;
            goto out;
        }
    if (ap->fill_index >= 0) {
        ns_chunk *c = &f->chunks[ap->fill_index];
        c->version = ap->version;
        memcpy(c->sha, ap->fill_sha, sizeof c->sha);
        c->flags |= NS_CHUNK_STORED | NS_CHUNK_HAS_SHA;
        c->nrep = ap->fill_nrep;
        c->corrupt = 0;
        memcpy(c->rep, ap->fill_rep, sizeof c->rep);
    }
    f->size = ap->new_size;
    f->ncommitted = ncommitted;
    f->touched = (uint32_t)monotime_ms();
    /* One record for the whole commit: a log cut anywhere in it replays to
     * the old file or the new one, never to a filled chunk with the new
     * version and checksum but the old size (which would make every
     * replica of it look stale). The new chunks' versions and stored
     * states are already in the log, as pending: the new size is what
     * makes them the file's. */
    record r = { .kind = RECORD_COMMIT, .gen = f->generation, .size = f->size,
                 .version = ap->version, .has_fill = ap->fill_index >= 0,
                 .fill_index = (uint64_t)(ap->fill_index >= 0 ? ap->fill_index : 0) };
    namespace_file_id(f, r.fileid);
    memcpy(r.fill_sha, ap->fill_sha, sizeof r.fill_sha);
    namespace_log(ns, &r);
    free(ap);
    f->rare->append = NULL;
    namespace_rare_trim(f);
out:
    pthread_rwlock_unlock(&ns->lock);
    return st;
}

ns_status append_report_fill(ns_append *ap, uint16_t server, long long size,
                             const uint8_t *sha, uint64_t *expected)
{
    *expected = ap->fill_size;
    if (size >= 0 && (uint64_t)size != ap->fill_size)
        return NS_BAD_SIZE;
    if (!sha)
        return NS_BAD_SUM;   /* an append always carries its checksum */
    if (ap->fill_done && memcmp(ap->fill_sha, sha, SHA256_LEN) != 0)
        return NS_BAD_SUM;
    for (unsigned r = 0; r < ap->fill_nrep; r++)
        if (ap->fill_rep[r] == server)
            return NS_DUPLICATE;
    memcpy(ap->fill_sha, sha, SHA256_LEN);
    ap->fill_done = true;
    if (ap->fill_nrep < PROTO_MAX_REPLICATION)
        ap->fill_rep[ap->fill_nrep++] = server;
    return NS_OK;
}

bool append_apply_commit(ns_table *ns, const record *r)
{
    if (r->version > ns->counter)
        ns->counter = r->version;
    ns_file *f = *namespace_slot(ns, r->fileid);
    if (!f || f->generation != r->gen)
        return true;   /* an incarnation that is gone by now */
    if (!namespace_size_ok(r->size, f->chunk_size) || (r->has_fill && r->fill_index >= f->nchunks))
        return false;
    if (r->has_fill) {
        ns_chunk *c = &f->chunks[r->fill_index];
        if (r->version > c->version)
            c->version = r->version;
        memcpy(c->sha, r->fill_sha, sizeof c->sha);
        if (!(c->flags & NS_CHUNK_STORED))
            f->nstored++;
        c->flags |= NS_CHUNK_STORED | NS_CHUNK_HAS_SHA;
    }
    uint64_t n = namespace_chunks_for(r->size, f->chunk_size);
    f->size = r->size;
    f->ncommitted = (uint32_t)(n < f->nchunks ? n : f->nchunks);
    return true;
}
