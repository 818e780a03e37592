/*
 * lease.c - chunk leases: allocation of a chunk to write (GFS-style, a
 * primary and its replicas for a while, and the version the lease
 * creates; a file allocated at a new path is made there, with its
 * directories) and their renewal while a chunkserver still writes. Works on
 * the file table under its write lock (namespace_impl.h); must never
 * block or do I/O there.
 */
#include "lease.h"

#include <stdlib.h>
#include <string.h>

#include "namespace_impl.h"
#include "nspath.h"
#include "perm.h"

ns_lease *lease_of(ns_file *f, uint32_t index, bool create)
{
    ns_rare *r = f->rare;
    for (uint32_t i = 0; r && i < r->nleases; i++)
        if (r->leases[i].index == index)
            return &r->leases[i].lease;
    if (!create || !(r = namespace_rare(f)))
        return NULL;
    ns_chunk_lease *grown = realloc(r->leases, ((size_t)r->nleases + 1) * sizeof *grown);
    if (!grown) {
        namespace_rare_trim(f);
        return NULL;
    }
    r->leases = grown;
    memset(&r->leases[r->nleases], 0, sizeof *grown);
    r->leases[r->nleases].index = index;
    return &r->leases[r->nleases++].lease;
}

void lease_drop(ns_file *f, uint32_t index)
{
    ns_rare *r = f->rare;
    for (uint32_t i = 0; r && i < r->nleases; i++)
        if (r->leases[i].index == index) {
            r->leases[i] = r->leases[--r->nleases];
            namespace_rare_trim(f);
            return;
        }
}

/* Gives chunk index of f a lease in force: renews nothing that is still
 * valid. */
static void lease_grant(ns_table *ns, ns_file *f, uint32_t index, const uint16_t *plan,
                        unsigned nplan, int64_t now_ms, int64_t lease_ms)
{
    ns_chunk *c = &f->chunks[index];
    ns_lease *l = lease_of(f, index, false);
    if (l->until_ms > now_ms && l->version)
        return;
    if (l->nrep == 0) {
        /* Replicas: those already holding the chunk, else the plan. */
        const uint16_t *from = c->nrep ? c->rep : plan;
        unsigned n = c->nrep ? c->nrep : nplan;
        for (unsigned k = 0; k < n && k < PROTO_MAX_REPLICATION; k++)
            l->rep[l->nrep++] = from[k];
    }
    /* A chunk's first lease keeps the version it was born with (its
     * file's generation, unique already); every later one takes a new,
     * which becomes the chunk's version only once a replica reports a
     * mutation under it: until then the replicas that hold the chunk are
     * all still current. */
    bool first = l->version == 0 && !(c->flags & NS_CHUNK_STORED);
    l->version = first ? c->version : ++ns->counter;
    l->until_ms = now_ms + lease_ms;
    if (first) {
        record r;
        namespace_chunk_record(f, index, &r);
        namespace_log(ns, &r);
    } else {
        namespace_log_counter(ns);
    }
}

ns_status lease_allocate(ns_table *ns, const char *name, uint32_t index, uint64_t chunk_size,
                         unsigned replication, const ns_who *who, const uint16_t *plan,
                         unsigned nplan, int64_t now_ms, int64_t lease_ms,
                         lease_allocation *out)
{
    char fileid[FILEID_LEN + 1], path[NSPATH_MAX + 1], made[FILEID_LEN + 1];
    if (nspath_normalize(name, path) != NSPATH_OK || !path[1] || !nspath_id(path, fileid))
        return NS_BAD_PATH;
    uint64_t gen;
    ns_status st = namespace_create(ns, name, 0, chunk_size, replication, who, true, &gen, made);
    if (st != NS_OK && st != NS_EXISTS)
        return st;
    pthread_rwlock_wrlock(&ns->lock);
    ns_file *f = namespace_named(ns, fileid);
    st = NS_OK;
    if (!f) {
        st = NS_NOT_FOUND;   /* deleted between the create and here */
        goto out;
    }
    if (!perm_may(&f->node, who, PERM_WRITE)) {
        st = NS_FORBIDDEN;
        goto out;
    }
    if (index > f->ncommitted) {
        st = NS_BAD_INDEX;
        goto out;
    }
    if (index == f->ncommitted) {
        if (namespace_append_of(f)) {
            st = NS_BUSY;   /* an append is adding chunks right now */
            goto out;
        }
        if (nplan == 0) {
            st = NS_NO_SERVERS;
            goto out;
        }
        if (index == f->nchunks) {
            if (index >= PROTO_MAX_CHUNKS) {
                st = NS_BAD_INDEX;
                goto out;
            }
            if (!namespace_grow_chunks(f, (uint64_t)index + 1)) {
                st = NS_NO_MEMORY;
                goto out;
            }
        } else {
            lease_drop(f, index);   /* a slot an abandoned append left */
        }
        memset(&f->chunks[index], 0, sizeof *f->chunks);
        f->chunks[index].version = f->generation;
        f->ncommitted = index + 1;
    }
    ns_chunk *c = &f->chunks[index];
    ns_lease *l = lease_of(f, index, true);
    if (!l) {
        st = NS_NO_MEMORY;
        goto out;
    }
    if (l->nrep == 0 && c->nrep == 0 && nplan == 0) {
        st = NS_NO_SERVERS;
        goto out;
    }
    lease_grant(ns, f, index, plan, nplan, now_ms, lease_ms);
    char fid[FILEID_LEN + 1];
    chunkid_format(out->handle, namespace_file_id(f, fid), index);
    out->version = l->version;
    out->lease_left_ms = l->until_ms - now_ms;
    out->nrep = l->nrep;
    memcpy(out->rep, l->rep, sizeof out->rep);
out:
    pthread_rwlock_unlock(&ns->lock);
    return st;
}
void lease_renew(ns_table *ns, const char *fileid, uint32_t index, uint16_t server,
                 int64_t now_ms, int64_t lease_ms)
{
    pthread_rwlock_wrlock(&ns->lock);
    ns_file *f = *namespace_slot(ns, fileid);
    if (f)   /* being written: an upload that is slow, not abandoned */
        f->touched = (uint32_t)now_ms;
    ns_append *ap = f ? namespace_append_of(f) : NULL;
    if (ap && ap->until_ms > now_ms)
        ap->until_ms = now_ms + lease_ms;
    ns_lease *l = f && index < f->nchunks ? lease_of(f, index, false) : NULL;
    if (l && l->nrep > 0 && l->rep[0] == server && l->until_ms > now_ms)
        l->until_ms = now_ms + lease_ms;
    pthread_rwlock_unlock(&ns->lock);
}
