/*
 * namespace.c - the file table: a hash of files keyed by identifier, each
 * with its chunk array. One read-write lock guards all of it: lookups (the
 * common case) run in parallel; creates, reports and removals are short
 * and exclusive. Must never do I/O or call out while holding the lock.
 */
#include "namespace.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct ns_table {
    pthread_rwlock_t lock;
    ns_file **buckets;
    size_t nbuckets;   /* a power of two */
    size_t count;
    uint64_t generations;   /* last generation handed out */
    uint64_t versions;      /* last chunk version handed out */
};

/* The identifier is a SHA-256 in hex, so its leading digits are already
 * uniformly distributed: they are the hash. */
static size_t namespace_hash(const char *fileid)
{
    size_t h = 0;
    for (int i = 0; i < 15; i++) {
        char c = fileid[i];
        h = (h << 4) | (size_t)(c <= '9' ? c - '0' : c - 'a' + 10);
    }
    return h;
}

ns_table *namespace_new(void)
{
    ns_table *ns = calloc(1, sizeof *ns);
    if (!ns)
        return NULL;
    ns->nbuckets = 1024;
    ns->buckets = calloc(ns->nbuckets, sizeof *ns->buckets);
    if (!ns->buckets) {
        free(ns);
        return NULL;
    }
    pthread_rwlock_init(&ns->lock, NULL);
    return ns;
}

static void namespace_file_free(ns_file *f)
{
    for (uint32_t i = 0; f->chunks && i < f->nchunks; i++)
        free(f->chunks[i].lease);
    free(f->name);
    free(f->chunks);
    free(f);
}

void namespace_free(ns_table *ns)
{
    if (!ns)
        return;
    for (size_t i = 0; i < ns->nbuckets; i++) {
        ns_file *f = ns->buckets[i];
        while (f) {
            ns_file *next = f->next;
            namespace_file_free(f);
            f = next;
        }
    }
    free(ns->buckets);
    pthread_rwlock_destroy(&ns->lock);
    free(ns);
}

uint64_t namespace_chunk_length(const ns_file *f, uint32_t index)
{
    uint64_t start = (uint64_t)index * f->chunk_size;
    if (start >= f->size)
        return 0;   /* allocated past the written end: not known yet */
    uint64_t left = f->size - start;
    return left < f->chunk_size ? left : f->chunk_size;
}

static ns_file **namespace_slot(ns_table *ns, const char *fileid)
{
    ns_file **p = &ns->buckets[namespace_hash(fileid) & (ns->nbuckets - 1)];
    while (*p && strcmp((*p)->fileid, fileid) != 0)
        p = &(*p)->next;
    return p;
}

static void namespace_grow(ns_table *ns)
{
    size_t n = ns->nbuckets * 2;
    ns_file **b = calloc(n, sizeof *b);
    if (!b)
        return;   /* keep the longer chains; still correct */
    for (size_t i = 0; i < ns->nbuckets; i++) {
        ns_file *f = ns->buckets[i];
        while (f) {
            ns_file *next = f->next;
            size_t j = namespace_hash(f->fileid) & (n - 1);
            f->next = b[j];
            b[j] = f;
            f = next;
        }
    }
    free(ns->buckets);
    ns->buckets = b;
    ns->nbuckets = n;
}

uint32_t namespace_under_replicated(const ns_file *f, bool (*live)(void *ud, uint16_t server),
                                    void *ud)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < f->nchunks; i++) {
        const ns_chunk *c = &f->chunks[i];
        unsigned copies = 0;
        for (unsigned k = 0; k < c->nrep; k++)
            copies += !live || live(ud, c->rep[k]);
        n += copies < f->replication;
    }
    return n;
}

ns_status namespace_create(ns_table *ns, const char *name, uint64_t size, uint64_t chunk_size,
                           unsigned replication, uint64_t *generation)
{
    ns_file *f = calloc(1, sizeof *f);
    if (!f || !fileid_of_name(name, f->fileid) || !(f->name = strdup(name))) {
        free(f);
        return NS_NO_MEMORY;
    }
    f->size = size;
    f->chunk_size = chunk_size;
    f->replication = (uint8_t)(replication < NS_MAX_REPLICAS ? replication : NS_MAX_REPLICAS);
    f->nchunks = (uint32_t)((size + chunk_size - 1) / chunk_size);
    if (f->nchunks && !(f->chunks = calloc(f->nchunks, sizeof *f->chunks))) {
        namespace_file_free(f);
        return NS_NO_MEMORY;
    }
    pthread_rwlock_wrlock(&ns->lock);
    ns_file **slot = namespace_slot(ns, f->fileid);
    if (*slot) {
        pthread_rwlock_unlock(&ns->lock);
        namespace_file_free(f);
        return NS_EXISTS;
    }
    f->generation = ++ns->generations;
    *generation = f->generation;
    *slot = f;
    if (++ns->count > ns->nbuckets)
        namespace_grow(ns);
    pthread_rwlock_unlock(&ns->lock);
    return NS_OK;
}

ns_status namespace_remove(ns_table *ns, const char *name, ns_doomed *doomed)
{
    memset(doomed, 0, sizeof *doomed);
    if (!fileid_of_name(name, doomed->fileid))
        return NS_NO_MEMORY;
    pthread_rwlock_wrlock(&ns->lock);
    ns_file **slot = namespace_slot(ns, doomed->fileid);
    ns_file *f = *slot;
    if (!f) {
        pthread_rwlock_unlock(&ns->lock);
        return NS_NOT_FOUND;
    }
    *slot = f->next;
    ns->count--;
    pthread_rwlock_unlock(&ns->lock);

    /* The file is unlinked: nobody else can reach it now. */
    size_t n = 0;
    for (uint32_t i = 0; i < f->nchunks; i++)
        n += f->chunks[i].nrep;
    doomed->items = n ? calloc(n, sizeof *doomed->items) : NULL;
    if (doomed->items) {
        for (uint32_t i = 0; i < f->nchunks; i++)
            for (unsigned r = 0; r < f->chunks[i].nrep; r++)
                doomed->items[doomed->n++] = (struct ns_doomed_chunk){ i, f->chunks[i].rep[r] };
    }
    namespace_file_free(f);
    return NS_OK;
}

void namespace_doomed_free(ns_doomed *d)
{
    free(d->items);
    memset(d, 0, sizeof *d);
}

ns_status namespace_report(ns_table *ns, const char *fileid, uint32_t index, uint16_t server,
                           long long size, uint64_t generation, uint64_t *expected)
{
    ns_status st = NS_OK;
    pthread_rwlock_wrlock(&ns->lock);
    ns_file *f = *namespace_slot(ns, fileid);
    if (!f) {
        st = NS_NOT_FOUND;
        goto out;
    }
    if (generation != 0 && generation != f->generation) {
        st = NS_STALE;
        goto out;
    }
    if (index >= f->nchunks) {
        st = NS_BAD_INDEX;
        goto out;
    }
    *expected = namespace_chunk_length(f, index);
    bool past_end = (uint64_t)index * f->chunk_size >= f->size;
    if (past_end)
        *expected = f->chunk_size;   /* only an upper bound is known */
    if (size >= 0 && (past_end ? (uint64_t)size > *expected : (uint64_t)size != *expected)) {
        st = NS_BAD_SIZE;
        goto out;
    }
    ns_chunk *c = &f->chunks[index];
    for (unsigned r = 0; r < c->nrep; r++)
        if (c->rep[r] == server) {
            st = NS_DUPLICATE;
            goto out;
        }
    if (c->nrep < NS_MAX_REPLICAS) {
        c->rep[c->nrep++] = server;
        if (c->nrep == 1)
            f->nstored++;
    }
out:
    pthread_rwlock_unlock(&ns->lock);
    return st;
}

/* Gives chunk c a lease in force: renews nothing that is still valid. */
static void namespace_lease(ns_table *ns, ns_chunk *c, const uint16_t *plan, unsigned nplan,
                            int64_t now_ms, int64_t lease_ms)
{
    ns_lease *l = c->lease;
    if (l->until_ms > now_ms && l->version)
        return;
    if (l->nrep == 0) {
        /* Replicas: those already holding the chunk, else the plan. */
        const uint16_t *from = c->nrep ? c->rep : plan;
        unsigned n = c->nrep ? c->nrep : nplan;
        for (unsigned k = 0; k < n && k < NS_MAX_REPLICAS; k++)
            l->rep[l->nrep++] = from[k];
    }
    l->version = ++ns->versions;
    l->until_ms = now_ms + lease_ms;
}

ns_status namespace_allocate(ns_table *ns, const char *name, uint32_t index, uint64_t chunk_size,
                             unsigned replication, const uint16_t *plan, unsigned nplan,
                             int64_t now_ms, int64_t lease_ms, ns_allocation *out)
{
    char fileid[FILEID_LEN + 1];
    if (!fileid_of_name(name, fileid))
        return NS_NO_MEMORY;
    uint64_t gen;
    ns_status st = namespace_create(ns, name, 0, chunk_size, replication, &gen);
    if (st != NS_OK && st != NS_EXISTS)
        return st;
    pthread_rwlock_wrlock(&ns->lock);
    ns_file *f = *namespace_slot(ns, fileid);
    st = NS_OK;
    if (!f) {
        st = NS_NOT_FOUND;   /* deleted between the create and here */
        goto out;
    }
    if (index > f->nchunks) {
        st = NS_BAD_INDEX;
        goto out;
    }
    if (index == f->nchunks) {
        if (nplan == 0) {
            st = NS_NO_SERVERS;
            goto out;
        }
        ns_chunk *grown = realloc(f->chunks, ((size_t)f->nchunks + 1) * sizeof *grown);
        if (!grown) {
            st = NS_NO_MEMORY;
            goto out;
        }
        f->chunks = grown;
        memset(&f->chunks[index], 0, sizeof *grown);
        f->nchunks++;
    }
    ns_chunk *c = &f->chunks[index];
    if (!c->lease && !(c->lease = calloc(1, sizeof *c->lease))) {
        st = NS_NO_MEMORY;
        goto out;
    }
    if (c->lease->nrep == 0 && c->nrep == 0 && nplan == 0) {
        st = NS_NO_SERVERS;
        goto out;
    }
    namespace_lease(ns, c, plan, nplan, now_ms, lease_ms);
    chunkid_format(out->handle, fileid, index);
    out->version = c->lease->version;
    out->lease_left_ms = c->lease->until_ms - now_ms;
    out->nrep = c->lease->nrep;
    memcpy(out->rep, c->lease->rep, sizeof out->rep);
out:
    pthread_rwlock_unlock(&ns->lock);
    return st;
}

ns_status namespace_with_file(ns_table *ns, const char *fileid,
                              void (*fn)(const ns_file *f, void *ud), void *ud)
{
    pthread_rwlock_rdlock(&ns->lock);
    ns_file *f = *namespace_slot(ns, fileid);
    if (f)
        fn(f, ud);
    pthread_rwlock_unlock(&ns->lock);
    return f ? NS_OK : NS_NOT_FOUND;
}

void namespace_each(ns_table *ns, void (*fn)(const ns_file *f, void *ud), void *ud)
{
    pthread_rwlock_rdlock(&ns->lock);
    for (size_t i = 0; i < ns->nbuckets; i++)
        for (ns_file *f = ns->buckets[i]; f; f = f->next)
            fn(f, ud);
    pthread_rwlock_unlock(&ns->lock);
}

size_t namespace_count(ns_table *ns)
{
    pthread_rwlock_rdlock(&ns->lock);
    size_t n = ns->count;
    pthread_rwlock_unlock(&ns->lock);
    return n;
}
