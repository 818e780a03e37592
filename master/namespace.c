/*
 * namespace.c - the files: a hash of files keyed by identifier, each with
 * its chunk array and its place in the directory tree (tree.c keeps the
 * tree's shape and the path keys, dirops.c the directories, renames and
 * removals of trees); a queue of what swaps left on the chunkservers; the
 * changes of files and chunks, the records (record.h) that journal them,
 * and their replay, including that of a meta-dir from before directories
 * (its names are normalised into paths once, as they are replayed).
 * Leases and allocation live in lease.c, appends in append.c, owners and
 * modes in perm.c (a file is born its creator's, and creates, overwrites
 * and removals ask perm_may under the same lock; a node holds the numbers
 * of its owner's and group's names, from intern.c), users in users.c;
 * they share namespace_impl.h.
 * One read-write lock guards all of it: lookups (the common case) run in
 * parallel; creates, reports and removals are short and exclusive. Must
 * never do I/O or call out while holding the lock (journal_append only
 * copies bytes).
 */
#include "namespace_impl.h"

#include "append.h"
#include "drain.h"
#include "intern.h"
#include "lease.h"
#include "log.h"
#include "monotime.h"
#include "nspath.h"
#include "perm.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

_Static_assert(sizeof(ns_chunk) == 64, "a chunk record is 64 bytes: mind the master's memory");
_Static_assert(sizeof(ns_file) <= 256, "a file is at most 256 bytes: mind the master's memory");
_Static_assert(PROTO_MAX_REPLICATION <= 8, "ns_chunk.corrupt has a bit per holder");
_Static_assert(INTERN_MAX <= UINT16_MAX, "ns_node keeps a name's number in 16 bits");

unsigned namespace_http_status(ns_status st)
{
    static const unsigned http[] = {
        [NS_OK] = 200,          [NS_NOT_FOUND] = 404,   [NS_EXISTS] = 409,
        [NS_BAD_INDEX] = 400,   [NS_BAD_SIZE] = 400,    [NS_DUPLICATE] = 409,
        [NS_STALE] = 410,       [NS_NO_MEMORY] = 500,   [NS_NO_SERVERS] = 503,
        [NS_BAD_SUM] = 400,     [NS_BUSY] = 409,        [NS_INCOMPLETE] = 409,
        [NS_BAD_TOKEN] = 410,   [NS_FORBIDDEN] = 403,   [NS_TOO_MANY] = 429,
        [NS_BAD_PATH] = 400,    [NS_NOT_DIR] = 409,     [NS_IS_DIR] = 409,
        [NS_NOT_EMPTY] = 409,   [NS_INVALID] = 400,     [NS_ID_TAKEN] = 409,
    };
    return (unsigned)st < sizeof http / sizeof *http ? http[st] : 500;
}

void namespace_log(ns_table *ns, record *r)
{
    if (ns->j) {
        json_t *o = record_encode(r);
        if (o)
            journal_append_json(ns->j, o);
        json_decref(o);
    }
    record_clear(r);
}

void namespace_log_counter(ns_table *ns)
{
    record r = { .kind = RECORD_COUNTER, .version = ns->counter };
    namespace_log(ns, &r);
}

void namespace_chunk_record(const ns_file *f, uint32_t i, record *r)
{
    const ns_chunk *c = &f->chunks[i];
    memset(r, 0, sizeof *r);
    r->kind = RECORD_CHUNK;
    namespace_file_id(f, r->fileid);
    r->gen = f->generation;
    r->chunk.index = i;
    r->chunk.version = c->version;
    r->chunk.stored = (c->flags & NS_CHUNK_STORED) != 0;
    r->pending = i >= f->ncommitted;   /* an append's new chunk: not readable yet */
    r->chunk.has_sha = !r->pending && (c->flags & NS_CHUNK_HAS_SHA);
    if (r->chunk.has_sha)
        memcpy(r->chunk.sha, c->sha, sizeof c->sha);
}

bool namespace_chunk_sum(const ns_chunk *c, char out[SHA256_HEX_LEN + 1])
{
    out[0] = '\0';
    if (!(c->flags & NS_CHUNK_HAS_SHA))
        return false;
    sha256_to_hex(c->sha, out);
    return true;
}

void namespace_cluster_id(ns_table *ns, char *out)
{
    pthread_rwlock_rdlock(&ns->lock);
    memcpy(out, ns->cluster, sizeof ns->cluster);
    pthread_rwlock_unlock(&ns->lock);
}

static void namespace_log_chunk(ns_table *ns, const ns_file *f, uint32_t i)
{
    record r;
    namespace_chunk_record(f, i, &r);
    namespace_log(ns, &r);
}

static void namespace_cluster_record(const ns_table *ns, record *r)
{
    memset(r, 0, sizeof *r);
    r->kind = RECORD_CLUSTER;
    memcpy(r->cluster, ns->cluster, sizeof r->cluster);
}

bool namespace_set_cluster_id(ns_table *ns, const char *id)
{
    if (!clusterid_valid(id))
        return false;
    pthread_rwlock_wrlock(&ns->lock);
    bool ok = ns->cluster[0] == '\0';
    if (ok) {
        memcpy(ns->cluster, id, sizeof ns->cluster);
        record r;
        namespace_cluster_record(ns, &r);
        namespace_log(ns, &r);
    }
    pthread_rwlock_unlock(&ns->lock);
    return ok;
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
    return (size_t)namespace_hex_prefix(fileid, 15);
}

ns_table *namespace_new(void)
{
    ns_table *ns = calloc(1, sizeof *ns);
    if (!ns)
        return NULL;
    ns->nbuckets = 1024;
    ns->naliasb = 64;
    ns->nkb = 1024;
    ns->nkb2 = 64;
    ns->buckets = calloc(ns->nbuckets, sizeof *ns->buckets);
    ns->aliases = calloc(ns->naliasb, sizeof *ns->aliases);
    ns->kb = calloc(ns->nkb, sizeof *ns->kb);
    ns->kb2 = calloc(ns->nkb2, sizeof *ns->kb2);
    ns->root = namespace_dir_new("", NULL, NULL, NS_ROOT_MODE, 0, 0);
    if (!ns->buckets || !ns->aliases || !ns->kb || !ns->kb2 || !ns->root) {
        free(ns->buckets);
        free(ns->aliases);
        free(ns->kb);
        free(ns->kb2);
        namespace_dir_free(ns->root);
        free(ns);
        return NULL;
    }
    ns->ndirs = 1;
    pthread_rwlock_init(&ns->lock, NULL);
    return ns;
}

void namespace_file_free(ns_file *f)
{
    if (f->rare) {
        free(f->rare->append);
        free(f->rare->leases);
        free(f->rare);
    }
    namespace_node_name_free(&f->node);
    free(f->chunks);
    free(f);
}

void namespace_clear(ns_table *ns)
{
    pthread_rwlock_wrlock(&ns->lock);
    /* The directories first (the walk passes through files), then the
     * files, which the identifier table owns. */
    namespace_dirs_free(ns->root);
    for (size_t i = 0; i < ns->nbuckets; i++) {
        ns_file *f = ns->buckets[i];
        while (f) {
            ns_file *next = f->next;
            namespace_file_free(f);
            f = next;
        }
        ns->buckets[i] = NULL;
    }
    namespace_alias_clear(ns);
    ns->root->entries = NULL;
    ns->root->nentries = 0;
    ns->root->generation = 0;
    ns->ndirs = 1;
    memset(ns->kb, 0, ns->nkb * sizeof *ns->kb);
    memset(ns->kb2, 0, ns->nkb2 * sizeof *ns->kb2);
    ns->nkeyed = ns->nkeyed2 = 0;
    while (ns->doomed) {
        ns_doomed_node *n = ns->doomed;
        ns->doomed = n->next;
        namespace_doomed_free(&n->d);
        free(n);
    }
    atomic_store(&ns->ndoomed, 0);
    ns->count = 0;
    ns->counter = 0;
    ns->cluster[0] = '\0';
    ns->open_total = 0;
    users_clear(ns);
    drain_clear(ns);
    pthread_rwlock_unlock(&ns->lock);
}

void namespace_free(ns_table *ns)
{
    if (!ns)
        return;
    namespace_clear(ns);
    free(ns->buckets);
    free(ns->aliases);
    free(ns->kb);
    free(ns->kb2);
    namespace_dir_free(ns->root);
    pthread_rwlock_destroy(&ns->lock);
    free(ns);
}

bool namespace_file_complete(const ns_file *f)
{
    for (uint32_t i = 0; i < f->ncommitted; i++)
        if (!(f->chunks[i].flags & NS_CHUNK_STORED))
            return false;
    return true;
}

uint64_t namespace_chunk_length(const ns_file *f, uint32_t index)
{
    uint64_t start = (uint64_t)index * f->chunk_size;
    if (start >= f->size)
        return 0;   /* allocated past the written end: not known yet */
    uint64_t left = f->size - start;
    return left < f->chunk_size ? left : f->chunk_size;
}

/* The identifier's first 8 bytes: a SHA-256's are uniformly distributed
 * already. */
static size_t namespace_fid_hash(const uint8_t fid[SHA256_LEN])
{
    uint64_t h;
    memcpy(&h, fid, sizeof h);
    return (size_t)h;
}

ns_file **namespace_slot_of(ns_table *ns, const uint8_t fid[SHA256_LEN])
{
    ns_file **p = &ns->buckets[namespace_fid_hash(fid) & (ns->nbuckets - 1)];
    while (*p && memcmp((*p)->fid, fid, SHA256_LEN) != 0)
        p = &(*p)->next;
    return p;
}

ns_file **namespace_slot(ns_table *ns, const char *fileid)
{
    static ns_file *none;   /* never written: no file has an identifier that is no hex */
    uint8_t fid[SHA256_LEN];
    return sha256_from_hex(fileid, fid) ? namespace_slot_of(ns, fid) : &none;
}

char *namespace_file_id(const ns_file *f, char *out)
{
    sha256_to_hex(f->fid, out);
    return out;
}

ns_rare *namespace_rare(ns_file *f)
{
    if (!f->rare)
        f->rare = calloc(1, sizeof *f->rare);
    return f->rare;
}

void namespace_rare_trim(ns_file *f)
{
    ns_rare *r = f->rare;
    if (r && !r->nleases && !r->append && !r->replacement && !r->keyed2) {
        free(r->leases);
        free(r);
        f->rare = NULL;
    }
}

void namespace_set_partner(ns_file *f, ns_file *partner)
{
    if (!partner && !f->rare)
        return;
    f->rare->replacement = partner;
    namespace_rare_trim(f);
}

bool namespace_pair(ns_file *f, ns_file *old)
{
    if (!namespace_rare(f) || !namespace_rare(old)) {
        namespace_rare_trim(f);
        namespace_rare_trim(old);
        return false;
    }
    f->rare->replacement = old;
    old->rare->replacement = f;
    return true;
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
            size_t j = namespace_fid_hash(f->fid) & (n - 1);
            f->next = b[j];
            b[j] = f;
            f = next;
        }
    }
    free(ns->buckets);
    ns->buckets = b;
    ns->nbuckets = n;
}

static ns_alias **namespace_alias_slot(ns_table *ns, const char *nameid)
{
    ns_alias **p = &ns->aliases[namespace_hash(nameid) & (ns->naliasb - 1)];
    while (*p && strcmp((*p)->nameid, nameid) != 0)
        p = &(*p)->next;
    return p;
}

/* Remembers that the old name nameid is file f now (write lock held;
 * replay of an old meta-dir only); false when memory runs out. */
static bool namespace_alias_set(ns_table *ns, const char *nameid, const ns_file *f)
{
    ns_alias **p = namespace_alias_slot(ns, nameid);
    ns_alias *a = *p;
    if (!a) {
        if (!(a = calloc(1, sizeof *a)))
            return false;
        memcpy(a->nameid, nameid, sizeof a->nameid);
        *p = a;
        ns->nalias++;
    }
    namespace_file_id(f, a->fileid);
    a->gen = f->generation;
    if (ns->nalias > ns->naliasb) {
        size_t n = ns->naliasb * 2;
        ns_alias **b = calloc(n, sizeof *b);
        if (!b)
            return true;   /* longer chains; still correct */
        for (size_t i = 0; i < ns->naliasb; i++)
            while (ns->aliases[i]) {
                ns_alias *x = ns->aliases[i];
                ns->aliases[i] = x->next;
                size_t j = namespace_hash(x->nameid) & (n - 1);
                x->next = b[j];
                b[j] = x;
            }
        free(ns->aliases);
        ns->aliases = b;
        ns->naliasb = n;
    }
    return true;
}

/* The file an old name is now, if it is still there (an alias outlives
 * its file harmlessly: it names an identifier and a generation). */
static ns_file *namespace_alias_find(ns_table *ns, const char *nameid)
{
    ns_alias *a = ns->nalias ? *namespace_alias_slot(ns, nameid) : NULL;
    if (!a)
        return NULL;
    ns_file *f = *namespace_slot(ns, a->fileid);
    return f && f->generation == a->gen ? f : NULL;
}

void namespace_alias_clear(ns_table *ns)
{
    for (size_t i = 0; i < ns->naliasb; i++)
        while (ns->aliases[i]) {
            ns_alias *a = ns->aliases[i];
            ns->aliases[i] = a->next;
            free(a);
        }
    ns->nalias = 0;
}

void namespace_conversion_done(ns_table *ns)
{
    pthread_rwlock_wrlock(&ns->lock);
    namespace_alias_clear(ns);
    pthread_rwlock_unlock(&ns->lock);
}

size_t namespace_converted(ns_table *ns)
{
    pthread_rwlock_rdlock(&ns->lock);
    size_t n = ns->converted;
    pthread_rwlock_unlock(&ns->lock);
    return n;
}

ns_status namespace_nameid(const char *name, char out[FILEID_LEN + 1])
{
    char path[NSPATH_MAX + 1];
    if (nspath_normalize(name, path) != NSPATH_OK || !path[1])
        return NS_BAD_PATH;
    return nspath_id(path, out) ? NS_OK : NS_NO_MEMORY;
}

ns_file *namespace_by_id(ns_table *ns, const char *id)
{
    ns_file *f = namespace_named(ns, id);
    if (f)
        return f;
    f = *namespace_slot(ns, id);
    return f && f->own_id ? f : NULL;   /* a renamed file is not found by its old path */
}

/* The file readers see at the path whose identifier is nameid (a lock is
 * held); while an old meta-dir is replayed, at the old name whose
 * identifier it is. */
ns_file *namespace_named(ns_table *ns, const char *nameid)
{
    ns_file *f = namespace_alias_find(ns, nameid);
    return f && !f->replaces ? f : tree_keys_find(ns, nameid);
}

/* A data identifier, for an overwrite's chunks or a new file whose path's
 * identifier is taken: never one a path has (a path holds no newline),
 * nor one an earlier generation had. */
static bool namespace_dataid(const char *name, uint64_t gen, uint8_t out[SHA256_LEN])
{
    char buf[NSPATH_MAX + 32];
    int n = snprintf(buf, sizeof buf, "%s\n%llu", name, (unsigned long long)gen);
    return n > 0 && (size_t)n < sizeof buf && sha256_digest(buf, (size_t)n, out);
}

bool namespace_holder_corrupt(const ns_chunk *c, unsigned k)
{
    return (c->corrupt >> k) & 1u;
}

void namespace_health(const ns_file *f, bool (*live)(void *ud, uint16_t server), void *ud,
                      ns_health *out)
{
    memset(out, 0, sizeof *out);
    for (uint32_t i = 0; i < f->ncommitted; i++) {
        const ns_chunk *c = &f->chunks[i];
        unsigned copies = 0;
        for (unsigned k = 0; k < c->nrep; k++)
            copies += (!live || live(ud, c->rep[k])) && !namespace_holder_corrupt(c, k);
        out->under += copies < f->replication;
        bool stored = (c->flags & NS_CHUNK_STORED) != 0;
        out->unavailable += copies == 0 && stored;
        out->corrupt += copies == 0 && stored && c->corrupt != 0;
    }
}

/* Adds server as c's next holder, its copy not known to be rotten. */
static void namespace_holder_add(ns_chunk *c, uint16_t server)
{
    if (c->nrep >= PROTO_MAX_REPLICATION)
        return;
    c->corrupt &= (uint8_t)~(1u << c->nrep);
    c->rep[c->nrep++] = server;
}

/* Removes holder k of c, and its rotten mark with it. */
static void namespace_holder_remove(ns_chunk *c, unsigned k)
{
    memmove(&c->rep[k], &c->rep[k + 1], (c->nrep - k - 1) * sizeof c->rep[0]);
    unsigned below = c->corrupt & ((1u << k) - 1), above = (unsigned)c->corrupt >> (k + 1);
    c->corrupt = (uint8_t)(below | above << k);
    c->nrep--;
}

/* Forgets every holder of c (a new version: they hold the old one). */
void namespace_holders_clear(ns_chunk *c)
{
    c->nrep = 0;
    c->corrupt = 0;
}

/* Chunks a file of size bytes takes (chunk_size > 0). */
uint64_t namespace_chunks_for(uint64_t size, uint64_t chunk_size)
{
    return size / chunk_size + (size % chunk_size != 0);
}

/* Whether a file of size bytes in chunks of chunk_size is within the
 * limits: a chunk size of 1 byte to PROTO_MAX_CHUNK_SIZE, at most
 * PROTO_MAX_CHUNKS chunks. */
bool namespace_size_ok(uint64_t size, uint64_t chunk_size)
{
    return chunk_size >= 1 && chunk_size <= PROTO_MAX_CHUNK_SIZE &&
           namespace_chunks_for(size, chunk_size) <= PROTO_MAX_CHUNKS;
}

/* Makes room for n chunk slots in f (the write lock is held); the new
 * ones are zero. False when memory runs out. */
bool namespace_grow_chunks(ns_file *f, uint64_t n)
{
    if (n <= f->nchunks)
        return true;
    if (n > PROTO_MAX_CHUNKS)
        return false;
    ns_chunk *grown = realloc(f->chunks, (size_t)n * sizeof *grown);
    if (!grown)
        return false;
    memset(&grown[f->nchunks], 0, ((size_t)n - f->nchunks) * sizeof *grown);
    f->chunks = grown;
    f->nchunks = (uint32_t)n;
    return true;
}

int64_t namespace_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A new file named base (its last component), in neither the table nor
 * the tree, without an identifier yet; chunk versions start at gen. */
static ns_file *namespace_file_new(const char *base, uint64_t gen, uint64_t size,
                                   uint64_t chunk_size, unsigned replication)
{
    /* The limits of docs/PROTOCOL.md, checked here too, so that nothing
     * a request or a record says can make a file this table (or its
     * checkpoint) cannot hold. */
    if (!namespace_size_ok(size, chunk_size) || strlen(base) > NSPATH_NAME_MAX)
        return NULL;
    ns_file *f = namespace_node_alloc(sizeof *f, false, base);
    if (!f)
        return NULL;
    f->generation = gen;
    f->size = size;
    f->chunk_size = (uint32_t)chunk_size;   /* at most PROTO_MAX_CHUNK_SIZE, checked above */
    f->node.mode = NS_MODE_DEFAULT;
    f->touched = (uint32_t)monotime_ms();
    f->replication = (uint8_t)(replication < 1 ? 1 : replication < PROTO_MAX_REPLICATION ? replication
                                                                                   : PROTO_MAX_REPLICATION);
    uint64_t n = namespace_chunks_for(size, chunk_size);
    f->nchunks = f->ncommitted = (uint32_t)n;
    if (f->nchunks && !(f->chunks = calloc(f->nchunks, sizeof *f->chunks))) {
        namespace_file_free(f);
        return NULL;
    }
    for (uint32_t i = 0; i < f->nchunks; i++)
        f->chunks[i].version = gen;
    return f;
}

bool namespace_node_own(ns_node *n, const char *owner, const char *group)
{
    uint32_t o = intern_id(owner), g = intern_id(group);
    if ((owner && !o) || (group && !g))
        return false;
    n->owner_id = (uint16_t)o;   /* at most INTERN_MAX */
    n->group_id = (uint16_t)g;
    return true;
}

bool namespace_file_own(ns_file *f, const char *owner, const char *group)
{
    return namespace_node_own(&f->node, owner, group);
}

void namespace_set_limits(ns_table *ns, size_t max_total, size_t max_per_user)
{
    pthread_rwlock_wrlock(&ns->lock);
    ns->max_open = max_total;
    ns->max_open_user = max_per_user;
    pthread_rwlock_unlock(&ns->lock);
}

size_t namespace_open_uploads(ns_table *ns, const char *user)
{
    pthread_rwlock_rdlock(&ns->lock);
    size_t n = user ? users_open(ns, user) : ns->open_total;
    pthread_rwlock_unlock(&ns->lock);
    return n;
}

/* Whether who may begin one more upload (the write lock is held). */
static bool namespace_open_ok(const ns_table *ns, const ns_who *who)
{
    if (ns->max_open && ns->open_total >= ns->max_open)
        return false;
    return !who || who->super || !ns->max_open_user || users_open(ns, who->user) < ns->max_open_user;
}

/* Counts f as an upload in progress (open) or no longer (the write lock
 * is held). */
static void namespace_set_open(ns_table *ns, ns_file *f, bool open)
{
    if (f->open == open)
        return;
    f->open = open;
    if (open)
        ns->open_total++;
    else if (ns->open_total > 0)
        ns->open_total--;
    users_open_add(ns, namespace_owner(&f->node), open ? 1 : -1);
}

/* Puts f in the identifier table where slot points (empty); the write
 * lock is held. */
static void namespace_insert(ns_table *ns, ns_file **slot, ns_file *f)
{
    f->next = NULL;
    *slot = f;
    if (f->generation > ns->counter)
        ns->counter = f->generation;
    if (++ns->count > ns->nbuckets * NS_CHAIN_LOAD)
        namespace_grow(ns);
}

/* Hangs f in directory d (the write lock is held): false when its path
 * keys cannot be made (out of memory), f then outside the tree again. */
static bool namespace_hang(ns_table *ns, ns_dir *d, ns_file *f, const ns_pathids *ids)
{
    tree_insert(d, &f->node);
    if (tree_keys_add(ns, f, ids))
        return true;
    tree_remove(d, &f->node);
    return false;
}

size_t namespace_path(const ns_file *f, char *out, size_t cap)
{
    /* A replacement is not in the tree: its path is its file's. */
    const ns_file *at = f->replaces && namespace_partner(f) ? namespace_partner(f) : f;
    return tree_path(&at->node, out, cap);
}

/* The create record of f at path (false when memory runs out); ids: the
 * path's identifiers, or NULL to hash them here. The record names f's
 * identifier by the spelling it is of the path (nothing for the one
 * without '/', a flag for the one with it) and spells it out only when it
 * is neither. */
static bool namespace_create_record(const ns_file *f, const char *path, const ns_pathids *ids,
                                    record *r)
{
    memset(r, 0, sizeof *r);
    r->kind = RECORD_CREATE;
    r->gen = f->generation;
    r->size = f->size;
    r->chunk_size = f->chunk_size;
    r->replication = f->replication;
    r->over = f->replaces;
    r->own_id = f->own_id;
    char mine[FILEID_LEN + 1], fh[FILEID_LEN + 1];
    namespace_file_id(f, fh);
    if (f->own_id) {
        memcpy(r->fileid, fh, sizeof r->fileid);
    } else if (ids ? !strcmp(ids->id[0], fh) : nspath_id(path, mine) && !strcmp(mine, fh)) {
        /* the path's own: nothing to say */
    } else if (ids ? !strcmp(ids->id[1], fh)
                   : nspath_id_slashed(path, mine) && !strcmp(mine, fh)) {
        r->slashed = true;
    } else {
        memcpy(r->fileid, fh, sizeof r->fileid);
    }
    r->has_mode = f->node.mode != NS_MODE_DEFAULT;
    r->mode = f->node.mode;
    r->time_ms = f->node.ctime_ms;
    r->mtime_ms = f->node.mtime_ms;
    const char *owner = namespace_owner(&f->node), *group = namespace_group(&f->node);
    if (!(r->name = strdup(path)) || (owner && !(r->owner = strdup(owner))) ||
        (group && !(r->group = strdup(group)))) {
        record_clear(r);
        return false;
    }
    return true;
}

static void namespace_log_create(ns_table *ns, const ns_file *f, const char *path,
                                 const ns_pathids *ids)
{
    record r;
    if (ns->j && namespace_create_record(f, path, ids, &r))
        namespace_log(ns, &r);
}

/* The new file a create or an overwrite asks for, in neither table nor
 * tree, and its path's identifiers (hashed here, not under the lock):
 * NS_BAD_PATH for the root, NS_BAD_SIZE past the limits, NS_NO_MEMORY
 * when it cannot be made. */
static ns_status namespace_file_asked(const char *path, uint64_t size, uint64_t chunk_size,
                                      unsigned replication, const ns_who *who, int64_t now,
                                      ns_pathids *ids, ns_file **f)
{
    *f = NULL;
    if (!path[0] || !path[1])
        return NS_BAD_PATH;
    if (!namespace_size_ok(size, chunk_size))
        return NS_BAD_SIZE;
    if (!namespace_pathids(path, ids))
        return NS_NO_MEMORY;
    *f = namespace_file_new(nspath_base(path), 0, size, chunk_size, replication);
    if (*f && who && !namespace_file_own(*f, who->user, who->group)) {
        namespace_file_free(*f);
        *f = NULL;
    }
    if (*f)
        (*f)->node.ctime_ms = (*f)->node.mtime_ms = now;
    return *f ? NS_OK : NS_NO_MEMORY;
}

/* Gives f (not in the table) its identifier for path at generation gen:
 * the path's own as the asker spelt it (slashed: with its leading '/',
 * "/data/log.dat"; else the seed's "input.txt") when free, else (any_id) a
 * data identifier; NS_ID_TAKEN when the path's is taken and the asker
 * cannot take another. */
static ns_status namespace_pick_id(ns_table *ns, ns_file *f, const char *path, uint64_t gen,
                                   bool any_id, bool slashed, const ns_pathids *ids)
{
    if (!sha256_from_hex(ids->id[slashed ? 1 : 0], f->fid))
        return NS_NO_MEMORY;   /* cannot be: nspath_id's hex */
    f->own_id = false;
    if (!*namespace_slot_of(ns, f->fid))
        return NS_OK;
    if (!any_id)
        return NS_ID_TAKEN;
    f->own_id = true;
    return namespace_dataid(path, gen, f->fid) ? NS_OK : NS_NO_MEMORY;
}

ns_status namespace_create(ns_table *ns, const char *path, uint64_t size, uint64_t chunk_size,
                           unsigned replication, const ns_who *who, bool any_id,
                           uint64_t *generation, char fileid[FILEID_LEN + 1])
{
    bool slashed = path && path[0] == '/';
    NAMESPACE_NORM(path);
    ns_file *f;
    ns_pathids ids;
    ns_status st = namespace_file_asked(path, size, chunk_size, replication, who,
                                        namespace_wall_ms(), &ids, &f);
    if (st != NS_OK)
        return st;
    pthread_rwlock_wrlock(&ns->lock);
    ns_place pl;   /* one walk serves the checks and the making */
    st = namespace_place(ns, path, &pl);
    if (st == NS_OK && pl.at)
        st = pl.at->dir ? NS_IS_DIR : NS_EXISTS;
    else if (st == NS_OK)
        st = namespace_place_check(&pl, who);
    if (st == NS_OK && f->nchunks && !namespace_open_ok(ns, who))
        st = NS_TOO_MANY;
    uint64_t gen = ns->counter + 1;
    if (st == NS_OK)
        st = namespace_pick_id(ns, f, path, gen, any_id, slashed, &ids);
    ns_dir *parent = NULL;
    if (st == NS_OK && !(parent = namespace_place_make(ns, &pl, path, gen, f->node.ctime_ms,
                                                        who ? who->user : NULL,
                                                        who ? who->group : NULL)))
        st = NS_NO_MEMORY;
    if (st == NS_OK) {
        f->generation = ns->counter = gen;
        for (uint32_t i = 0; i < f->nchunks; i++)
            f->chunks[i].version = f->generation;
        namespace_insert(ns, namespace_slot_of(ns, f->fid), f);
        if (!namespace_hang(ns, parent, f, &ids)) {
            namespace_unlink(ns, f, false);
            pthread_rwlock_unlock(&ns->lock);
            namespace_file_free(f);
            return NS_NO_MEMORY;
        }
        namespace_set_open(ns, f, f->nchunks > 0);
        parent->node.mtime_ms = f->node.ctime_ms;
        *generation = f->generation;
        if (fileid)
            namespace_file_id(f, fileid);
        namespace_log_create(ns, f, path, &ids);
        f = NULL;
    }
    pthread_rwlock_unlock(&ns->lock);
    if (f)
        namespace_file_free(f);
    return st;
}

void namespace_unlink(ns_table *ns, ns_file *f, bool log)
{
    namespace_set_open(ns, f, false);
    ns_file **slot = namespace_slot_of(ns, f->fid);
    if (*slot == f) {
        *slot = f->next;
        ns->count--;
    }
    if (log) {
        record r = { .kind = RECORD_DELETE, .gen = f->generation, .time_ms = namespace_wall_ms() };
        namespace_file_id(f, r.fileid);
        namespace_log(ns, &r);
    }
    ns_file *partner = namespace_partner(f);
    namespace_set_partner(f, NULL);
    if (f->replaces) {   /* an overwrite under way: its file goes on without it */
        if (partner && namespace_partner(partner) == f)
            namespace_set_partner(partner, NULL);
        return;
    }
    if (f->node.parent)
        tree_remove(f->node.parent, &f->node);
    tree_keys_drop(ns, f);
    if (partner) {
        namespace_set_partner(partner, NULL);
        namespace_unlink(ns, partner, log);
        namespace_queue_doom(ns, partner);
    }
}

/* What an unlinked file leaves on the chunkservers; frees the file. */
static void namespace_doom(ns_file *f, ns_doomed *doomed)
{
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
}

void namespace_queue_doom(ns_table *ns, ns_file *f)
{
    ns_doomed_node *n = calloc(1, sizeof *n);
    ns_doomed lost = { .n = 0 };
    ns_doomed *d = n ? &n->d : &lost;
    namespace_file_id(f, d->fileid);
    namespace_doom(f, d);
    if (!n || d->n == 0) {   /* nothing held anywhere (or no memory: GC finds them) */
        namespace_doomed_free(d);
        free(n);
        return;
    }
    n->next = ns->doomed;
    ns->doomed = n;
    atomic_fetch_add(&ns->ndoomed, 1);
}

bool namespace_take_doomed(ns_table *ns, ns_doomed *d)
{
    if (atomic_load(&ns->ndoomed) == 0)   /* the common case, after every report */
        return false;
    pthread_rwlock_wrlock(&ns->lock);
    ns_doomed_node *n = ns->doomed;
    if (n) {
        ns->doomed = n->next;
        atomic_fetch_sub(&ns->ndoomed, 1);
    }
    pthread_rwlock_unlock(&ns->lock);
    if (!n)
        return false;
    *d = n->d;
    free(n);
    return true;
}

/* Re-points the old names that were old's at r, which took its place. */
static void namespace_alias_move(ns_table *ns, const ns_file *old, const ns_file *r)
{
    char was[FILEID_LEN + 1];
    namespace_file_id(old, was);
    for (size_t i = 0; ns->nalias && i < ns->naliasb; i++)
        for (ns_alias *a = ns->aliases[i]; a; a = a->next)
            if (a->gen == old->generation && strcmp(a->fileid, was) == 0) {
                namespace_file_id(r, a->fileid);
                a->gen = r->generation;
            }
}

/* A replacement that is complete takes its file's place in the tree (the
 * write lock is held): the version it replaces goes, its chunks into the
 * doomed queue. No record of its own: the one that made the replacement
 * complete (its creation, or its last chunk stored) implies it, live and
 * in replay. */
static void namespace_maybe_swap(ns_table *ns, ns_file *r)
{
    if (!r->replaces || !namespace_file_complete(r))
        return;
    ns_file *old = namespace_partner(r);
    ns_dir *d = old ? old->node.parent : NULL;
    if (!d)
        return;   /* cannot be: a file that goes takes its replacement with it */
    /* Its place, under its name now (it may have been renamed meanwhile). */
    r->replaces = false;
    namespace_set_partner(r, NULL);
    namespace_set_partner(old, NULL);
    namespace_alias_move(ns, old, r);
    char *heap;
    bool named = namespace_name_prepare(&r->node, namespace_node_name(&old->node), &heap);
    if (named)   /* r is in no treap: its name may change */
        namespace_name_set(&r->node, namespace_node_name(&old->node), heap);
    namespace_unlink(ns, old, false);
    r->node.mtime_ms = r->node.ctime_ms;
    r->node.ctime_ms = old->node.ctime_ms;
    if (!named || !namespace_hang(ns, d, r, NULL)) {   /* out of memory: the new version is lost, as its upload */
        namespace_unlink(ns, r, false);
        namespace_queue_doom(ns, r);
    }
    namespace_queue_doom(ns, old);
}

ns_status namespace_overwrite(ns_table *ns, const char *path, uint64_t size, uint64_t chunk_size,
                              unsigned replication, const ns_who *who, uint64_t *generation,
                              char dataid[FILEID_LEN + 1])
{
    bool slashed = path && path[0] == '/';
    NAMESPACE_NORM(path);
    ns_file *f;
    ns_pathids ids;
    ns_status st = namespace_file_asked(path, size, chunk_size, replication, who,
                                        namespace_wall_ms(), &ids, &f);
    if (st != NS_OK)
        return st;
    pthread_rwlock_wrlock(&ns->lock);
    ns_place pl;   /* one walk; unlinking a file below keeps it true */
    ns_file *old = NULL;
    st = namespace_place(ns, path, &pl);
    if (st == NS_OK && pl.at && pl.at->dir)
        st = NS_IS_DIR;
    else if (st == NS_OK && pl.at)
        old = (ns_file *)pl.at;
    else if (st == NS_OK)
        st = namespace_place_check(&pl, who);
    if (st == NS_OK && f->nchunks && !namespace_open_ok(ns, who))
        st = NS_TOO_MANY;
    if (st == NS_OK && old && !perm_may(&old->node, who, PERM_WRITE))
        st = NS_FORBIDDEN;
    if (st == NS_OK && old && !namespace_file_own(f, namespace_owner(&old->node),
                                                   namespace_group(&old->node)))
        st = NS_NO_MEMORY;
    if (st != NS_OK) {
        pthread_rwlock_unlock(&ns->lock);
        namespace_file_free(f);
        return st;
    }
    if (old)
        f->node.mode = old->node.mode;   /* a file keeps its owner and mode when overwritten */
    uint64_t gen = ns->counter + 1;
    bool beside = old && namespace_file_complete(old);
    if (beside && namespace_partner(old)) {   /* the last writer wins */
        ns_file *r = namespace_partner(old);
        namespace_unlink(ns, r, true);
        namespace_queue_doom(ns, r);
    } else if (!beside && old) {        /* an upload that never finished */
        namespace_unlink(ns, old, true);
        namespace_queue_doom(ns, old);
        old = NULL;
    }
    if (beside) {
        f->own_id = true;
        st = namespace_dataid(path, gen, f->fid) ? NS_OK : NS_NO_MEMORY;
    } else {
        st = namespace_pick_id(ns, f, path, gen, true, slashed, &ids);
    }
    ns_dir *parent = NULL;
    if (st == NS_OK && !beside &&
        !(parent = namespace_place_make(ns, &pl, path, gen, f->node.ctime_ms,
                                        who ? who->user : NULL, who ? who->group : NULL)))
        st = NS_NO_MEMORY;
    if (st == NS_OK && *namespace_slot_of(ns, f->fid))
        st = NS_EXISTS;   /* cannot be: a data identifier is new */
    if (st == NS_OK && beside && !namespace_pair(f, old))
        st = NS_NO_MEMORY;
    if (st != NS_OK) {
        pthread_rwlock_unlock(&ns->lock);
        namespace_file_free(f);
        return st;
    }
    f->generation = ns->counter = gen;
    for (uint32_t i = 0; i < f->nchunks; i++)
        f->chunks[i].version = gen;
    namespace_insert(ns, namespace_slot_of(ns, f->fid), f);
    if (beside) {
        f->replaces = true;   /* namespace_pair linked them */
    } else if (!namespace_hang(ns, parent, f, &ids)) {
        namespace_unlink(ns, f, false);
        pthread_rwlock_unlock(&ns->lock);
        namespace_file_free(f);
        return NS_NO_MEMORY;
    } else {
        parent->node.mtime_ms = f->node.ctime_ms;
    }
    namespace_set_open(ns, f, f->nchunks > 0);
    namespace_log_create(ns, f, path, &ids);
    *generation = gen;
    namespace_file_id(f, dataid);
    namespace_maybe_swap(ns, f);   /* no chunks: complete at once */
    pthread_rwlock_unlock(&ns->lock);
    return NS_OK;
}

ns_status namespace_remove(ns_table *ns, const char *path, const ns_who *who,
                           ns_doomed *doomed)
{
    memset(doomed, 0, sizeof *doomed);
    NAMESPACE_NORM(path);
    pthread_rwlock_wrlock(&ns->lock);
    ns_node *n;
    ns_status st = tree_lookup(ns, path, &n);
    if (st == NS_OK && n->dir)
        st = NS_IS_DIR;
    if (st == NS_OK && !perm_may_unlink(n->parent, n, who))
        st = NS_FORBIDDEN;
    if (st != NS_OK) {
        pthread_rwlock_unlock(&ns->lock);
        return st;
    }
    ns_file *f = (ns_file *)n;
    ns_dir *parent = n->parent;
    namespace_unlink(ns, f, true);
    parent->node.mtime_ms = namespace_wall_ms();
    pthread_rwlock_unlock(&ns->lock);
    /* The file is unlinked: nobody else can reach it now. */
    namespace_file_id(f, doomed->fileid);
    namespace_doom(f, doomed);
    return NS_OK;
}

/* An upload nobody writes to any more: incomplete, no append, untouched
 * for expiry_ms. */
static bool namespace_abandoned(const ns_file *f, int64_t now_ms, int64_t expiry_ms)
{
    return !namespace_append_of(f) && namespace_touched_age(f, now_ms) >= expiry_ms && !namespace_file_complete(f);
}

typedef struct {
    int64_t now_ms, expiry_ms;
    size_t n, max;
    struct ns_expiring { char fileid[FILEID_LEN + 1]; uint64_t gen; } *v;
} namespace_expiry_scan;

size_t namespace_expire(ns_table *ns, int64_t now_ms, int64_t expiry_ms, size_t max,
                        void (*fn)(void *ud, const char *name, ns_doomed *doomed), void *ud)
{
    /* Candidates under the read lock (a scan must not stall requests),
     * then each removed under the write lock if it is still abandoned. */
    namespace_expiry_scan sc = { .now_ms = now_ms, .expiry_ms = expiry_ms, .max = max };
    if (!(sc.v = calloc(max ? max : 1, sizeof *sc.v)))
        return 0;
    pthread_rwlock_rdlock(&ns->lock);
    for (size_t b = 0; b < ns->nbuckets && sc.n < max; b++)
        for (ns_file *f = ns->buckets[b]; f && sc.n < max; f = f->next)
            if (namespace_abandoned(f, now_ms, expiry_ms)) {
                namespace_file_id(f, sc.v[sc.n].fileid);
                sc.v[sc.n++].gen = f->generation;
            }
    pthread_rwlock_unlock(&ns->lock);
    size_t removed = 0;
    for (size_t i = 0; i < sc.n; i++) {
        char path[NSPATH_MAX + 1];
        pthread_rwlock_wrlock(&ns->lock);
        ns_file *f = *namespace_slot(ns, sc.v[i].fileid);
        bool go = f && f->generation == sc.v[i].gen && namespace_abandoned(f, now_ms, expiry_ms);
        if (go) {
            namespace_path(f, path, sizeof path);
            namespace_unlink(ns, f, true);
        }
        pthread_rwlock_unlock(&ns->lock);
        if (!go)
            continue;
        ns_doomed d = { .n = 0 };
        namespace_file_id(f, d.fileid);
        namespace_doom(f, &d);
        fn(ud, path, &d);
        namespace_doomed_free(&d);
        removed++;
    }
    free(sc.v);
    return removed;
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
    ns_append *ap = namespace_append_of(f);
    if (ap && (int64_t)index == ap->fill_index && version == ap->version) {
        /* The filled last chunk: its new state waits for the commit. */
        st = append_report_fill(ap, server, size, sha ? md : NULL, expected);
        if (st == NS_OK)
            *version_out = version;
        goto out;
    }
    /* A report under the lease's newer version is a mutation: from now on
     * that is the chunk's version, and holders of the old one are stale. */
    const ns_lease *cl = f->rare ? lease_of(f, index, false) : NULL;
    bool newer = version != 0 && cl && version == cl->version && version > c->version;
    if (version != 0 && version != c->version && !newer) {
        st = NS_STALE;
        goto out;
    }
    uint64_t logical = ap && index >= f->ncommitted ? ap->new_size : f->size;
    uint64_t start = (uint64_t)index * f->chunk_size;
    bool past_end = start >= logical;
    *expected = past_end ? f->chunk_size   /* only an upper bound is known */
                         : (logical - start < f->chunk_size ? logical - start : f->chunk_size);
    if (size >= 0 && (past_end ? (uint64_t)size > *expected : (uint64_t)size != *expected)) {
        st = NS_BAD_SIZE;
        goto out;
    }
    if (newer) {
        c->version = version;
        *version_out = version;
        namespace_holders_clear(c);
        c->flags &= (uint8_t)~NS_CHUNK_HAS_SHA;   /* new bytes, new checksum */
        namespace_log_chunk(ns, f, index);
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
    /* Only a version's first holder starts the settling time: the copies
     * after it are its pipeline's, or repair's, and a repaired copy must
     * not hold back the repair of the file's other chunks. */
    if (c->nrep == 0)
        f->touched = (uint32_t)monotime_ms();
    namespace_holder_add(c, server);
    bool changed = false;
    if (!(c->flags & NS_CHUNK_STORED)) {
        c->flags |= NS_CHUNK_STORED;
        f->nstored++;
        changed = true;
        /* An upload's last chunk: it is in progress no more. */
        if (f->open && f->nstored >= f->ncommitted && namespace_file_complete(f))
            namespace_set_open(ns, f, false);
    }
    if (sha && !(c->flags & NS_CHUNK_HAS_SHA)) {
        memcpy(c->sha, md, sizeof md);
        c->flags |= NS_CHUNK_HAS_SHA;
        changed = true;
    }
    if (changed)
        namespace_log_chunk(ns, f, index);
    if (changed && f->replaces)
        namespace_maybe_swap(ns, f);
out:
    pthread_rwlock_unlock(&ns->lock);
    return st;
}

/* Records server as a holder of c unless it is one already; true when
 * it was not. */
static bool namespace_add_holder(ns_chunk *c, uint16_t server)
{
    for (unsigned r = 0; r < c->nrep; r++)
        if (c->rep[r] == server)
            return false;
    unsigned before = c->nrep;
    namespace_holder_add(c, server);
    return c->nrep > before;
}

/* namespace_check_replica with the write lock held. */
static ns_replica_verdict namespace_check_locked(ns_table *ns, ns_file *f, uint32_t index,
                                                 uint16_t server, uint64_t size,
                                                 uint64_t version, const uint8_t *md,
                                                 size_t *added)
{
    ns_replica_verdict v = NS_REPLICA_KEEP;
    (void)ns;
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
        /* A fill under way, or one whose append was abandoned: in the
         * latter the copy's first bytes are still the chunk (the new copy
         * was built from them), so it serves readers, who ask for exactly
         * the committed length and check it against the recorded sum. */
        uint64_t want = namespace_chunk_length(f, index);
        const ns_append *ap = namespace_append_of(f);
        if ((ap && version == ap->version) || !(c->flags & NS_CHUNK_STORED) ||
            size < want) {
            v = NS_REPLICA_PENDING;
            goto out;
        }
        *added += namespace_add_holder(c, server);
        goto out;
    }
    if (!(c->flags & NS_CHUNK_STORED)) {
        /* Never reported stored, of a file that is still there: an upload
         * whose own report may be a moment behind this one. Left alone,
         * never judged by age (a grace period shorter than that moment
         * deleted the copy the report was about to record); if the upload
         * died, its file expires, and then the copy is garbage. */
        v = NS_REPLICA_PENDING;
        goto out;
    }
    uint64_t want = namespace_chunk_length(f, index);
    bool past_end = (uint64_t)index * f->chunk_size >= f->size;
    if ((past_end ? size > f->chunk_size : size != want) ||
        (md && (c->flags & NS_CHUNK_HAS_SHA) && memcmp(md, c->sha, SHA256_LEN) != 0)) {
        v = NS_REPLICA_STALE;
        goto out;
    }
    *added += namespace_add_holder(c, server);
out:
    return v;
}

ns_replica_verdict namespace_check_replica(ns_table *ns, const char *fileid, uint32_t index,
                                           uint16_t server, uint64_t size, uint64_t version,
                                           const char *sha)
{
    size_t added = 0;
    uint8_t md[SHA256_LEN];
    bool have_md = sha && sha[0] && sha256_from_hex(sha, md);
    pthread_rwlock_wrlock(&ns->lock);
    ns_replica_verdict v = namespace_check_locked(ns, *namespace_slot(ns, fileid), index, server,
                                                  size, version, have_md ? md : NULL, &added);
    pthread_rwlock_unlock(&ns->lock);
    return v;
}

/* How far ahead the batch below prefetches: a bucket, then its first
 * file, then the chunk: three cache misses per entry of a report, which
 * otherwise come one after another. */
#define NS_PREFETCH_AHEAD 8

size_t namespace_check_replicas(ns_table *ns, uint16_t server, const ns_replica_in *in, size_t n,
                                ns_replica_verdict *out)
{
    size_t added = 0;
    for (size_t i = 0; i < n;) {
        pthread_rwlock_wrlock(&ns->lock);
        size_t mask = ns->nbuckets - 1;
        for (size_t end = i + NS_REPLICAS_PER_LOCK < n ? i + NS_REPLICAS_PER_LOCK : n; i < end;
             i++) {
            size_t a = i + NS_PREFETCH_AHEAD, b = i + NS_PREFETCH_AHEAD / 2, c = i + 2;
            if (a < end)
                __builtin_prefetch(&ns->buckets[namespace_fid_hash(in[a].fid) & mask]);
            if (b < end) {
                ns_file *h = ns->buckets[namespace_fid_hash(in[b].fid) & mask];
                if (h)
                    __builtin_prefetch(h->fid);
            }
            if (c < end) {
                ns_file *g = *namespace_slot_of(ns, in[c].fid);
                if (g && in[c].index < g->nchunks)
                    __builtin_prefetch(&g->chunks[in[c].index]);
            }
            out[i] = namespace_check_locked(ns, *namespace_slot_of(ns, in[i].fid), in[i].index,
                                            server, in[i].size, in[i].version,
                                            in[i].has_sha ? in[i].sha : NULL, &added);
        }
        pthread_rwlock_unlock(&ns->lock);
    }
    return added;
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
                namespace_holder_remove(c, r);
                dropped = true;
                break;
            }
    }
    pthread_rwlock_unlock(&ns->lock);
    return dropped;
}

bool namespace_mark_corrupt(ns_table *ns, const char *fileid, uint32_t index, uint16_t server,
                            bool (*live)(void *ud, uint16_t server), void *ud)
{
    bool may_go = false;
    pthread_rwlock_wrlock(&ns->lock);
    ns_file *f = *namespace_slot(ns, fileid);
    ns_chunk *c = f && index < f->nchunks ? &f->chunks[index] : NULL;
    int mine = -1;
    unsigned good = 0;
    for (unsigned k = 0; c && k < c->nrep; k++) {
        if (c->rep[k] == server)
            mine = (int)k;
        else if (!namespace_holder_corrupt(c, k) && (!live || live(ud, c->rep[k])))
            good++;
    }
    /* A copy the master does not count (a stale one, or one not reported
     * since a restart) is kept too: whether it is the last is unknown. */
    if (mine >= 0 && good > 0) {
        namespace_holder_remove(c, (unsigned)mine);
        may_go = true;
    } else if (mine >= 0) {
        c->corrupt |= (uint8_t)(1u << mine);
    }
    pthread_rwlock_unlock(&ns->lock);
    return may_go;
}


ns_status namespace_with_file(ns_table *ns, const char *fileid,
                              void (*fn)(const ns_file *f, void *ud), void *ud)
{
    pthread_rwlock_rdlock(&ns->lock);
    ns_file *f = namespace_by_id(ns, fileid);
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
            if (!f->replaces)
                fn(f, ud);
    pthread_rwlock_unlock(&ns->lock);
}

bool namespace_scan_step(ns_table *ns, ns_scan *sc, size_t budget,
                         void (*fn)(const ns_file *f, void *ud), void *ud)
{
    pthread_rwlock_rdlock(&ns->lock);
    if (sc->nbuckets == 0) {   /* a new walk */
        sc->nbuckets = ns->nbuckets;
        sc->bucket = 0;
    }
    /* The table only grows, by doublings: a bucket of the walk's first
     * size is every bucket congruent to it now. */
    size_t n0 = sc->nbuckets, n = ns->nbuckets, seen = 0;
    bool done = n < n0;   /* cleared and made anew: start over */
    while (!done && seen < budget) {
        for (size_t b = sc->bucket; b < n; b += n0)
            for (ns_file *f = ns->buckets[b]; f; f = f->next)
                if (!f->replaces) {
                    fn(f, ud);
                    seen += 1 + f->ncommitted;
                }
        done = ++sc->bucket == n0;
    }
    pthread_rwlock_unlock(&ns->lock);
    if (done)
        sc->nbuckets = 0;
    return done;
}

size_t namespace_count(ns_table *ns)
{
    pthread_rwlock_rdlock(&ns->lock);
    size_t n = ns->count;
    pthread_rwlock_unlock(&ns->lock);
    return n;
}

/* ---- replay (the apply column of record.c's table) and checkpoints ---- */

static void namespace_raise_counter(ns_table *ns, uint64_t v)
{
    if (v > ns->counter)
        ns->counter = v;
}

/* Sets chunk i of f from a record's fields. */
static bool namespace_set_chunk(ns_table *ns, ns_file *f, const record_chunk *rc, bool pending)
{
    uint64_t i = rc->index;
    /* an allocation or an append added it */
    if (i > f->nchunks || !namespace_grow_chunks(f, i + 1))
        return false;
    if (!pending && i >= f->ncommitted)
        f->ncommitted = (uint32_t)i + 1;
    ns_chunk *c = &f->chunks[i];
    if (pending && rc->version > c->version) {   /* a slot reused by a later append */
        c->flags = 0;
        namespace_holders_clear(c);
    }
    if (rc->version > c->version) {
        c->version = rc->version;
        c->flags &= (uint8_t)~NS_CHUNK_HAS_SHA;   /* a mutation: its checksum follows */
    }
    namespace_raise_counter(ns, rc->version);
    if (rc->stored && !(c->flags & NS_CHUNK_STORED)) {
        c->flags |= NS_CHUNK_STORED;
        f->nstored++;
    }
    if (rc->has_sha) {
        memcpy(c->sha, rc->sha, sizeof c->sha);
        c->flags |= NS_CHUNK_HAS_SHA;
    }
    return true;
}

/* Where a file of an old meta-dir goes: its name normalised, or, for a
 * name that is no path ("..", control characters) or whose path is taken
 * (by another old spelling of it, "a" and "/a", or a file where a
 * directory would be), /lost+found/<its identifier>. */
static void namespace_old_path(ns_table *ns, const char *name, const char *fileid,
                               char path[NSPATH_MAX + 1])
{
    ns_node *n;
    if (nspath_normalize(name, path) == NSPATH_OK && path[1] &&
        tree_lookup(ns, path, &n) == NS_NOT_FOUND && namespace_parent_check(ns, path, NULL) == NS_OK)
        return;
    snprintf(path, NSPATH_MAX + 1, "/lost+found/%s", fileid);
    log_warn("converting the meta-dir: the file \"%.200s\" is %s now", name, path);
}

/* Creates (or replaces an older incarnation of) the file a create or file
 * record describes; NULL when a newer one is already there, or the record
 * no longer fits the tree (replayed over a later state). A record from
 * before directories (old_name) names the file by an old name: it is
 * converted here, once. */
static ns_file *namespace_replay_create(ns_table *ns, const record *r, bool *bad)
{
    *bad = false;
    char path[NSPATH_MAX + 1], nameid[FILEID_LEN + 1], natural[FILEID_LEN + 1];
    ns_file *named = NULL;
    if (r->old_name) {
        if (!fileid_of_name(r->name, nameid)) {
            *bad = true;
            return NULL;
        }
        named = namespace_alias_find(ns, nameid);
        if (named && named->replaces)
            named = namespace_partner(named);
        ns->converted++;
    } else if (nspath_normalize(r->name, path) != NSPATH_OK || strcmp(path, r->name) != 0 ||
               !path[1]) {
        *bad = true;   /* a new record holds a normalised path, never the root */
        return NULL;
    }
    const char *fileid = r->fileid[0] ? r->fileid : r->old_name ? nameid : NULL;
    if (!fileid && !(r->slashed ? nspath_id_slashed(path, natural) : nspath_id(path, natural))) {
        *bad = true;
        return NULL;
    }
    if (!fileid)
        fileid = natural;
    ns_file *same = *namespace_slot(ns, fileid);
    if (!r->old_name) {
        ns_node *n;
        ns_status st = tree_lookup(ns, path, &n);
        if (st == NS_OK && n->dir)
            return NULL;   /* a directory there now: a later state */
        named = st == NS_OK ? (ns_file *)n : NULL;
    }
    uint64_t gen = r->gen;
    /* Replayed over a checkpoint that already has it, or a newer file. */
    if ((same && same->generation >= gen) || (named && named->generation >= gen) ||
        (named && namespace_partner(named) && namespace_partner(named)->generation >= gen))
        return NULL;
    if (same) {   /* an older incarnation under the same identifier */
        namespace_unlink(ns, same, false);
        namespace_queue_doom(ns, same);
        if (named == same)
            named = NULL;
    }
    bool over = r->over && named;
    if (over && namespace_partner(named)) {
        ns_file *old = namespace_partner(named);
        namespace_unlink(ns, old, false);
        namespace_queue_doom(ns, old);
    } else if (!over && named) {
        namespace_unlink(ns, named, false);
        namespace_queue_doom(ns, named);
        named = NULL;
    }
    if (r->old_name && !over)
        namespace_old_path(ns, r->name, fileid, path);
    else if (r->old_name)
        namespace_path(named, path, sizeof path);
    unsigned rep = r->replication > PROTO_MAX_REPLICATION ? PROTO_MAX_REPLICATION
                                                          : (unsigned)r->replication;
    ns_file *f = namespace_file_new(nspath_base(path), gen, r->size, r->chunk_size, rep);
    if (!f || !namespace_file_own(f, r->owner, r->group) || r->mode > 0777) {
        if (f)
            namespace_file_free(f);
        *bad = true;
        return NULL;
    }
    if (r->has_mode)
        f->node.mode = (uint16_t)r->mode;
    /* A file from before directories had no times: it is as old as its
     * conversion. */
    f->node.ctime_ms = r->old_name && !r->time_ms ? namespace_wall_ms() : (int64_t)r->time_ms;
    f->node.mtime_ms = r->mtime_ms ? (int64_t)r->mtime_ms : f->node.ctime_ms;
    if (!sha256_from_hex(fileid, f->fid)) {
        namespace_file_free(f);
        *bad = true;
        return NULL;
    }
    char k1[FILEID_LEN + 1], k2[FILEID_LEN + 1];
    f->own_id = r->old_name ? !nspath_id(path, k1) || !nspath_id_slashed(path, k2) ||
                                  (strcmp(fileid, k1) != 0 && strcmp(fileid, k2) != 0)
                            : r->own_id;
    namespace_insert(ns, namespace_slot_of(ns, f->fid), f);
    if (over && !namespace_pair(f, named)) {
        namespace_unlink(ns, f, false);
        namespace_file_free(f);
        *bad = true;   /* out of memory: recovery cannot go on without it */
        return NULL;
    } else if (over) {
        f->replaces = true;
    } else {
        ns_dir *d = namespace_parent_make(ns, path, gen, f->node.ctime_ms, r->owner, r->group);
        if (!d || !namespace_hang(ns, d, f, NULL)) {
            namespace_unlink(ns, f, false);
            namespace_file_free(f);
            *bad = true;   /* out of memory: recovery cannot go on without it */
            return NULL;
        }
        namespace_touch(&d->node, f->node.ctime_ms);
    }
    if (r->old_name && !namespace_alias_set(ns, nameid, over ? named : f))
        *bad = true;
    return f;
}

bool namespace_apply(ns_table *ns, const record *r)
{
    if ((unsigned)r->kind >= RECORD_NKINDS)
        return false;
    pthread_rwlock_wrlock(&ns->lock);
    bool ok = record_table[r->kind].apply(ns, r);
    pthread_rwlock_unlock(&ns->lock);
    return ok;
}

bool namespace_apply_create(ns_table *ns, const record *r)
{
    bool bad;
    ns_file *f = namespace_replay_create(ns, r, &bad);
    if (f && !bad)
        namespace_maybe_swap(ns, f);
    return !bad;
}

bool namespace_apply_file(ns_table *ns, const record *r)
{
    bool bad;
    ns_file *f = namespace_replay_create(ns, r, &bad);
    if (bad || !f)
        return !bad;
    if (r->has_slots && r->slots > f->nchunks) {   /* allocated chunks past the size */
        uint32_t from = f->nchunks;
        if (!namespace_grow_chunks(f, r->slots))
            return false;
        for (uint32_t q = from; q < f->nchunks; q++)
            f->chunks[q].version = f->generation;
        f->ncommitted = f->nchunks;
    }
    for (size_t k = 0; k < r->nchunks; k++)
        if (!namespace_set_chunk(ns, f, &r->chunks[k], false))
            return false;
    if (r->has_committed && r->committed <= f->nchunks)
        f->ncommitted = (uint32_t)r->committed;
    namespace_maybe_swap(ns, f);
    return true;
}

/* The file a delete, chunk, commit or size record names, if it is still
 * the incarnation the record is about (a later one ignores it). */
static ns_file *namespace_replay_target(ns_table *ns, const record *r)
{
    namespace_raise_counter(ns, r->gen);
    ns_file *f = *namespace_slot(ns, r->fileid);
    return f && f->generation == r->gen ? f : NULL;
}

bool namespace_apply_delete(ns_table *ns, const record *r)
{
    namespace_raise_counter(ns, r->gen);
    ns_file *f = *namespace_slot(ns, r->fileid);
    if (f && f->generation <= r->gen) {
        ns_dir *d = f->node.parent;
        namespace_unlink(ns, f, false);
        namespace_queue_doom(ns, f);
        if (d && r->time_ms)
            d->node.mtime_ms = (int64_t)r->time_ms;
    }
    return true;
}

bool namespace_apply_chunk(ns_table *ns, const record *r)
{
    ns_file *f = namespace_replay_target(ns, r);
    if (!f)
        return true;   /* a chunk of an incarnation that is gone by now */
    if (!namespace_set_chunk(ns, f, &r->chunk, r->pending))
        return false;
    namespace_maybe_swap(ns, f);
    return true;
}

bool namespace_apply_size(ns_table *ns, const record *r)
{
    ns_file *f = namespace_replay_target(ns, r);
    if (!f)
        return true;
    if (!namespace_size_ok(r->size, f->chunk_size))
        return false;
    uint64_t n = namespace_chunks_for(r->size, f->chunk_size);
    f->size = r->size;
    f->ncommitted = (uint32_t)(n < f->nchunks ? n : f->nchunks);
    return true;
}

bool namespace_apply_counter(ns_table *ns, const record *r)
{
    namespace_raise_counter(ns, r->version);
    return true;
}

bool namespace_apply_cluster(ns_table *ns, const record *r)
{
    /* Once per namespace: a second, different id is not ours to pick. */
    if (ns->cluster[0] && strcmp(ns->cluster, r->cluster) != 0)
        return false;
    memcpy(ns->cluster, r->cluster, sizeof ns->cluster);
    return true;
}

/* The file record of f at path (false when memory runs out). */
static bool namespace_file_record(const ns_file *f, const char *path, record *r)
{
    if (!namespace_create_record(f, path, NULL, r))
        return false;
    r->kind = RECORD_FILE;
    r->has_slots = r->has_committed = true;
    r->slots = f->nchunks;
    r->committed = f->ncommitted;
    size_t n = 0;
    for (uint32_t i = 0; i < f->nchunks; i++)
        n += f->chunks[i].version != f->generation || f->chunks[i].flags;
    if (n && !(r->chunks = calloc(n, sizeof *r->chunks))) {
        record_clear(r);
        return false;
    }
    for (uint32_t i = 0; i < f->nchunks; i++) {
        const ns_chunk *c = &f->chunks[i];
        if (c->version == f->generation && !c->flags)
            continue;   /* the default: left out, so big empty files stay small */
        record_chunk *rc = &r->chunks[r->nchunks++];
        rc->index = i;
        rc->version = c->version;
        rc->stored = (c->flags & NS_CHUNK_STORED) != 0;
        rc->has_sha = (c->flags & NS_CHUNK_HAS_SHA) != 0;
        memcpy(rc->sha, c->sha, sizeof rc->sha);
    }
    return true;
}

typedef struct {
    bool (*emit)(void *sink, const record *r);
    void *sink;
} namespace_dump_ctx;

/* One node's records: a directory's, or a file's and then its
 * replacement's (replay attaches it). Parents come before children. */
static bool namespace_dump_node(ns_node *n, void *ud)
{
    namespace_dump_ctx *x = ud;
    char path[NSPATH_MAX + 1];
    tree_path(n, path, sizeof path);
    record r;
    bool ok;
    if (n->dir) {
        ok = namespace_dir_record((ns_dir *)n, path, RECORD_DIR, &r) && x->emit(x->sink, &r);
        record_clear(&r);
        return ok;
    }
    ok = true;
    for (ns_file *g = (ns_file *)n; ok && g; g = g->replaces ? NULL : namespace_partner(g)) {
        ok = namespace_file_record(g, path, &r) && x->emit(x->sink, &r);
        record_clear(&r);
    }
    return ok;
}

bool namespace_dump(ns_table *ns, bool (*emit)(void *sink, const record *r), void *sink)
{
    pthread_rwlock_rdlock(&ns->lock);
    bool ok = true;
    record r = { .kind = RECORD_FORMAT, .version = RECORD_FORMAT_VERSION };
    ok = emit(sink, &r);
    if (ok && ns->cluster[0]) {
        namespace_cluster_record(ns, &r);
        ok = emit(sink, &r);
    }
    r = (record){ .kind = RECORD_COUNTER, .version = ns->counter };
    ok = ok && emit(sink, &r) && users_dump(ns, emit, sink) && drain_dump(ns, emit, sink);
    namespace_dump_ctx x = { emit, sink };
    ok = ok && tree_walk(&ns->root->node, namespace_dump_node, &x);
    pthread_rwlock_unlock(&ns->lock);
    return ok;
}
