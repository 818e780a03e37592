/*
 * namespace.c - the file table: a hash of files keyed by identifier, each
 * with its chunk array, and the journal records that describe its changes.
 * One read-write lock guards all of it: lookups (the common case) run in
 * parallel; creates, reports and removals are short and exclusive. Must
 * never do I/O or call out while holding the lock (journal_append only
 * copies bytes).
 *
 * Records ("op" names the kind):
 *   create  {name, gen, size, cs, rep}        a file was created
 *   delete  {id, gen}                          it was removed
 *   chunk   {id, gen, i, v, stored, sha?}      chunk i's version / stored state
 *   file    {name, gen, size, cs, rep, n, chunks:[[i,v,stored,sha|null],..]}
 *                                              a whole file (checkpoints)
 *   counter {v}                                the version counter
 */
#include "namespace.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct ns_table {
    pthread_rwlock_t lock;
    ns_file **buckets;
    size_t nbuckets;   /* a power of two */
    size_t count;
    uint64_t counter;       /* last generation or chunk version handed out */
    journal *j;             /* NULL: changes are not journalled */
};

#define NS_OP "op"

static int64_t namespace_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void namespace_log(ns_table *ns, json_t *rec)
{
    if (ns->j && rec)
        journal_append_json(ns->j, rec);
    json_decref(rec);
}

static json_t *namespace_chunk_record(const ns_file *f, uint32_t i)
{
    const ns_chunk *c = &f->chunks[i];
    json_t *rec = json_pack("{s:s,s:s,s:I,s:I,s:I,s:b}", NS_OP, "chunk", "id", f->fileid, "gen",
                            (json_int_t)f->generation, "i", (json_int_t)i, "v",
                            (json_int_t)c->version, "stored", (c->flags & NS_CHUNK_STORED) != 0);
    char hex[SHA256_HEX_LEN + 1];
    if (rec && namespace_chunk_sum(c, hex))
        json_object_set_new(rec, "sha", json_string(hex));
    return rec;
}

bool namespace_chunk_sum(const ns_chunk *c, char out[SHA256_HEX_LEN + 1])
{
    out[0] = '\0';
    if (!(c->flags & NS_CHUNK_HAS_SHA))
        return false;
    sha256_to_hex(c->sha, out);
    return true;
}

void namespace_set_journal(ns_table *ns, journal *j)
{
    pthread_rwlock_wrlock(&ns->lock);
    ns->j = j;
    pthread_rwlock_unlock(&ns->lock);
}

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

/* A new file, not yet in the table; chunk versions start at gen. */
static ns_file *namespace_file_new(const char *name, uint64_t gen, uint64_t size,
                                   uint64_t chunk_size, unsigned replication)
{
    ns_file *f = calloc(1, sizeof *f);
    if (!f || chunk_size == 0 || !fileid_of_name(name, f->fileid) || !(f->name = strdup(name))) {
        free(f);
        return NULL;
    }
    f->generation = gen;
    f->size = size;
    f->chunk_size = chunk_size;
    f->touched_ms = namespace_now_ms();
    f->replication = (uint8_t)(replication < NS_MAX_REPLICAS ? replication : NS_MAX_REPLICAS);
    uint64_t n = (size + chunk_size - 1) / chunk_size;
    if (n > UINT32_MAX) {
        namespace_file_free(f);
        return NULL;
    }
    f->nchunks = (uint32_t)n;
    if (f->nchunks && !(f->chunks = calloc(f->nchunks, sizeof *f->chunks))) {
        namespace_file_free(f);
        return NULL;
    }
    for (uint32_t i = 0; i < f->nchunks; i++)
        f->chunks[i].version = gen;
    return f;
}

/* Puts f where slot points (empty); the write lock is held. */
static void namespace_insert(ns_table *ns, ns_file **slot, ns_file *f)
{
    f->next = NULL;
    *slot = f;
    if (f->generation > ns->counter)
        ns->counter = f->generation;
    if (++ns->count > ns->nbuckets)
        namespace_grow(ns);
}

static json_t *namespace_create_record(const ns_file *f)
{
    return json_pack("{s:s,s:s,s:I,s:I,s:I,s:i}", NS_OP, "create", "name", f->name, "gen",
                     (json_int_t)f->generation, "size", (json_int_t)f->size, "cs",
                     (json_int_t)f->chunk_size, "rep", (int)f->replication);
}

ns_status namespace_create(ns_table *ns, const char *name, uint64_t size, uint64_t chunk_size,
                           unsigned replication, uint64_t *generation)
{
    ns_file *f = namespace_file_new(name, 0, size, chunk_size, replication);
    if (!f)
        return NS_NO_MEMORY;
    pthread_rwlock_wrlock(&ns->lock);
    ns_file **slot = namespace_slot(ns, f->fileid);
    if (*slot) {
        pthread_rwlock_unlock(&ns->lock);
        namespace_file_free(f);
        return NS_EXISTS;
    }
    f->generation = ++ns->counter;
    for (uint32_t i = 0; i < f->nchunks; i++)
        f->chunks[i].version = f->generation;
    *generation = f->generation;
    namespace_insert(ns, slot, f);
    namespace_log(ns, namespace_create_record(f));
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
    namespace_log(ns, json_pack("{s:s,s:s,s:I}", NS_OP, "delete", "id", f->fileid, "gen",
                                (json_int_t)f->generation));
    pthread_rwlock_unlock(&ns->lock);

    /* The file is unlinked: nobody else can reach it now. */
    size_t n = 0;
    for (uint32_t i = 0; i < f->nchunks; i++)
        n += f->chunks[i].nrep;
    doomed->items = n ? calloc(n, sizeof *doomed->items) : NULL;
    if (doomed->items) {
        for (uint32_t i = 0; i < f->nchunks; i++)
            for (unsigned r = 0; r < f->chunks[i].nrep; r++)
                doomed->items[doomed->n++] =
                    (struct ns_doomed_chunk){ i, f->chunks[i].rep[r], f->chunks[i].version };
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
                           long long size, uint64_t version, const char *sha,
                           uint64_t *expected, uint64_t *version_out)
{
    uint8_t md[SHA256_LEN];
    if (sha && !sha256_from_hex(sha, md))
        return NS_BAD_SUM;
    ns_status st = NS_OK;
    pthread_rwlock_wrlock(&ns->lock);
    ns_file *f = *namespace_slot(ns, fileid);
    if (!f) {
        st = NS_NOT_FOUND;
        goto out;
    }
    if (index >= f->nchunks) {
        st = version != 0 && version < f->generation ? NS_STALE : NS_BAD_INDEX;
        goto out;
    }
    ns_chunk *c = &f->chunks[index];
    *version_out = c->version;
    /* A report under the lease's newer version is a mutation: from now on
     * that is the chunk's version, and holders of the old one are stale. */
    bool newer = version != 0 && c->lease && version == c->lease->version &&
                 version > c->version;
    if (version != 0 && version != c->version && !newer) {
        st = NS_STALE;
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
    if (newer) {
        c->version = version;
        *version_out = version;
        c->nrep = 0;
        c->flags &= (uint8_t)~NS_CHUNK_HAS_SHA;   /* new bytes, new checksum */
        namespace_log(ns, namespace_chunk_record(f, index));
    }
    for (unsigned r = 0; r < c->nrep; r++)
        if (c->rep[r] == server) {
            st = NS_DUPLICATE;
            goto out;
        }
    if (sha && (c->flags & NS_CHUNK_HAS_SHA) && memcmp(c->sha, md, sizeof md) != 0) {
        st = NS_BAD_SUM;
        goto out;
    }
    if (c->nrep < NS_MAX_REPLICAS)
        c->rep[c->nrep++] = server;
    f->touched_ms = namespace_now_ms();
    bool changed = false;
    if (!(c->flags & NS_CHUNK_STORED)) {
        c->flags |= NS_CHUNK_STORED;
        f->nstored++;
        changed = true;
    }
    if (sha && !(c->flags & NS_CHUNK_HAS_SHA)) {
        memcpy(c->sha, md, sizeof md);
        c->flags |= NS_CHUNK_HAS_SHA;
        changed = true;
    }
    if (changed)
        namespace_log(ns, namespace_chunk_record(f, index));
out:
    pthread_rwlock_unlock(&ns->lock);
    return st;
}

ns_replica_verdict namespace_check_replica(ns_table *ns, const char *fileid, uint32_t index,
                                           uint16_t server, uint64_t size, uint64_t version,
                                           const char *sha)
{
    uint8_t md[SHA256_LEN];
    bool have_md = sha && sha[0] && sha256_from_hex(sha, md);
    ns_replica_verdict v = NS_REPLICA_KEEP;
    pthread_rwlock_wrlock(&ns->lock);
    ns_file *f = *namespace_slot(ns, fileid);
    if (!f || index >= f->nchunks) {
        /* An index past the end of a newer file is an old file's chunk. */
        v = f && version != 0 && version < f->generation ? NS_REPLICA_STALE : NS_REPLICA_UNKNOWN;
        goto out;
    }
    ns_chunk *c = &f->chunks[index];
    if (version != 0 && version < c->version) {
        v = NS_REPLICA_STALE;
        goto out;
    }
    if (version != 0 && version > c->version) {
        v = NS_REPLICA_PENDING;
        goto out;
    }
    if (!(c->flags & NS_CHUNK_STORED)) {
        /* Never reported stored: an upload under way (young) or one that
         * died (old); the caller tells them apart by age. */
        v = NS_REPLICA_UNKNOWN;
        goto out;
    }
    uint64_t want = namespace_chunk_length(f, index);
    bool past_end = (uint64_t)index * f->chunk_size >= f->size;
    if ((past_end ? size > f->chunk_size : size != want) ||
        (have_md && (c->flags & NS_CHUNK_HAS_SHA) && memcmp(md, c->sha, sizeof md) != 0)) {
        v = NS_REPLICA_STALE;
        goto out;
    }
    for (unsigned r = 0; r < c->nrep; r++)
        if (c->rep[r] == server)
            goto out;
    if (c->nrep < NS_MAX_REPLICAS)
        c->rep[c->nrep++] = server;
out:
    pthread_rwlock_unlock(&ns->lock);
    return v;
}

bool namespace_drop_replica(ns_table *ns, const char *fileid, uint32_t index, uint16_t server)
{
    bool dropped = false;
    pthread_rwlock_wrlock(&ns->lock);
    ns_file *f = *namespace_slot(ns, fileid);
    if (f && index < f->nchunks) {
        ns_chunk *c = &f->chunks[index];
        for (unsigned r = 0; r < c->nrep; r++)
            if (c->rep[r] == server) {
                memmove(&c->rep[r], &c->rep[r + 1], (c->nrep - r - 1) * sizeof c->rep[0]);
                c->nrep--;
                dropped = true;
                break;
            }
    }
    pthread_rwlock_unlock(&ns->lock);
    return dropped;
}

/* Gives chunk c a lease in force: renews nothing that is still valid. */
static void namespace_lease(ns_table *ns, ns_file *f, uint32_t index, const uint16_t *plan,
                            unsigned nplan, int64_t now_ms, int64_t lease_ms)
{
    ns_chunk *c = &f->chunks[index];
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
    /* A chunk's first lease keeps the version it was born with (its
     * file's generation, unique already); every later one takes a new,
     * which becomes the chunk's version only once a replica reports a
     * mutation under it: until then the replicas that hold the chunk are
     * all still current. */
    bool first = l->version == 0 && !(c->flags & NS_CHUNK_STORED);
    l->version = first ? c->version : ++ns->counter;
    l->until_ms = now_ms + lease_ms;
    if (first)
        namespace_log(ns, namespace_chunk_record(f, index));
    else
        namespace_log(ns, json_pack("{s:s,s:I}", NS_OP, "counter", "v", (json_int_t)ns->counter));
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
        f->chunks[index].version = f->generation;
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
    namespace_lease(ns, f, index, plan, nplan, now_ms, lease_ms);
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

/* ---- recovery and checkpoints ---- */

static bool namespace_rec_int(json_t *rec, const char *key, uint64_t *out)
{
    json_t *v = json_object_get(rec, key);
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return false;
    *out = (uint64_t)json_integer_value(v);
    return true;
}

/* Sets chunk i of f from a record's fields (the write lock is held). */
static bool namespace_apply_chunk(ns_table *ns, ns_file *f, uint64_t i, uint64_t v, bool stored,
                                  const char *sha)
{
    if (i > f->nchunks || i >= UINT32_MAX)
        return false;
    if (i == f->nchunks) {   /* an allocation added it */
        ns_chunk *grown = realloc(f->chunks, ((size_t)f->nchunks + 1) * sizeof *grown);
        if (!grown)
            return false;
        f->chunks = grown;
        memset(&f->chunks[i], 0, sizeof *grown);
        f->nchunks++;
    }
    ns_chunk *c = &f->chunks[i];
    if (v > c->version) {
        c->version = v;
        c->flags &= (uint8_t)~NS_CHUNK_HAS_SHA;   /* a mutation: its checksum follows */
    }
    if (v > ns->counter)
        ns->counter = v;
    if (stored && !(c->flags & NS_CHUNK_STORED)) {
        c->flags |= NS_CHUNK_STORED;
        f->nstored++;
    }
    if (sha && sha256_from_hex(sha, c->sha))
        c->flags |= NS_CHUNK_HAS_SHA;
    return true;
}

/* Creates (or replaces an older incarnation of) the file a create or file
 * record describes; NULL when a newer one is already there. */
static ns_file *namespace_apply_create(ns_table *ns, json_t *rec, bool *bad)
{
    const char *name = json_string_value(json_object_get(rec, "name"));
    uint64_t gen, size, cs, rep;
    *bad = !name || !namespace_rec_int(rec, "gen", &gen) ||
           !namespace_rec_int(rec, "size", &size) || !namespace_rec_int(rec, "cs", &cs) ||
           !namespace_rec_int(rec, "rep", &rep) || cs == 0;
    if (*bad)
        return NULL;
    ns_file *f = namespace_file_new(name, gen, size, cs, (unsigned)rep);
    if (!f) {
        *bad = true;
        return NULL;
    }
    ns_file **slot = namespace_slot(ns, f->fileid);
    if (*slot && (*slot)->generation >= gen) {
        namespace_file_free(f);
        return NULL;   /* replayed over a checkpoint that already has it */
    }
    if (*slot) {
        ns_file *old = *slot;
        *slot = old->next;
        ns->count--;
        namespace_file_free(old);
        slot = namespace_slot(ns, f->fileid);
    }
    namespace_insert(ns, slot, f);
    return f;
}

bool namespace_apply(ns_table *ns, json_t *rec, char *err, size_t errlen)
{
    const char *op = json_string_value(json_object_get(rec, NS_OP));
    bool ok = true, bad = false;
    uint64_t gen = 0, i = 0, v = 0;
    pthread_rwlock_wrlock(&ns->lock);
    if (!op) {
        ok = false;
    } else if (!strcmp(op, "create")) {
        namespace_apply_create(ns, rec, &bad);
        ok = !bad;
    } else if (!strcmp(op, "file")) {
        ns_file *f = namespace_apply_create(ns, rec, &bad);
        ok = !bad;
        json_t *chunks = json_object_get(rec, "chunks"), *e;
        uint64_t n = 0;
        if (f && namespace_rec_int(rec, "n", &n))
            while (ok && f->nchunks < n)   /* allocated chunks past the size */
                ok = namespace_apply_chunk(ns, f, f->nchunks, f->generation, false, NULL);
        size_t k;
        json_array_foreach(chunks, k, e) {
            if (!f || !ok)
                break;
            json_t *sha = json_array_get(e, 3);
            ok = json_is_integer(json_array_get(e, 0)) && json_is_integer(json_array_get(e, 1)) &&
                 namespace_apply_chunk(ns, f, (uint64_t)json_integer_value(json_array_get(e, 0)),
                                       (uint64_t)json_integer_value(json_array_get(e, 1)),
                                       json_is_true(json_array_get(e, 2)),
                                       json_string_value(sha));
        }
    } else if (!strcmp(op, "delete") || !strcmp(op, "chunk")) {
        const char *id = json_string_value(json_object_get(rec, "id"));
        ok = id && fileid_valid(id) && namespace_rec_int(rec, "gen", &gen);
        ns_file **slot = ok ? namespace_slot(ns, id) : NULL;
        ns_file *f = slot ? *slot : NULL;
        if (ok && f && op[0] == 'd' && f->generation <= gen) {
            *slot = f->next;
            ns->count--;
            namespace_file_free(f);
        } else if (ok && op[0] == 'c') {
            ok = namespace_rec_int(rec, "i", &i) && namespace_rec_int(rec, "v", &v);
            /* A chunk of an incarnation that is gone by now changes nothing. */
            if (ok && f && f->generation == gen)
                ok = namespace_apply_chunk(ns, f, i, v,
                                           json_is_true(json_object_get(rec, "stored")),
                                           json_string_value(json_object_get(rec, "sha")));
        }
        if (gen > ns->counter)
            ns->counter = gen;
    } else if (!strcmp(op, "counter")) {
        ok = namespace_rec_int(rec, "v", &v);
        if (ok && v > ns->counter)
            ns->counter = v;
    } else {
        ok = false;
    }
    pthread_rwlock_unlock(&ns->lock);
    if (!ok)
        snprintf(err, errlen, "unreadable %s record", op ? op : "untyped");
    return ok;
}

static json_t *namespace_file_record(const ns_file *f)
{
    json_t *chunks = json_array();
    for (uint32_t i = 0; i < f->nchunks; i++) {
        const ns_chunk *c = &f->chunks[i];
        if (c->version == f->generation && !c->flags)
            continue;   /* the default: left out, so big empty files stay small */
        char hex[SHA256_HEX_LEN + 1];
        json_array_append_new(chunks, json_pack("[I,I,b,o]", (json_int_t)i,
                                                (json_int_t)c->version,
                                                (c->flags & NS_CHUNK_STORED) != 0,
                                                namespace_chunk_sum(c, hex) ? json_string(hex)
                                                                            : json_null()));
    }
    json_t *rec = namespace_create_record(f);
    json_object_set_new(rec, NS_OP, json_string("file"));
    json_object_set_new(rec, "n", json_integer((json_int_t)f->nchunks));
    json_object_set_new(rec, "chunks", chunks);
    return rec;
}

bool namespace_dump(ns_table *ns, bool (*emit)(void *sink, const json_t *rec), void *sink)
{
    pthread_rwlock_rdlock(&ns->lock);
    json_t *rec = json_pack("{s:s,s:I}", NS_OP, "counter", "v", (json_int_t)ns->counter);
    bool ok = rec && emit(sink, rec);
    json_decref(rec);
    for (size_t b = 0; ok && b < ns->nbuckets; b++)
        for (ns_file *f = ns->buckets[b]; ok && f; f = f->next) {
            rec = namespace_file_record(f);
            ok = rec && emit(sink, rec);
            json_decref(rec);
        }
    pthread_rwlock_unlock(&ns->lock);
    return ok;
}
