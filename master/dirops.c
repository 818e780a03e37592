/*
 * dirops.c - what the namespace does with directories and whole trees:
 * making directories (and the missing ones above a new file), renaming a
 * file or a directory, removing one (a tree with all its files as one
 * journal record), listing a directory page by page, stat and du, and the
 * replay of the records that journal them (dir, rename, rmtree). Takes the
 * namespace's lock itself for the public calls; the helpers namespace.c
 * shares (namespace_impl.h) want it held. Must never move a chunk or
 * change an identifier: a rename changes a path and the path keys, nothing
 * a chunkserver holds.
 */
#include "namespace_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nspath.h"
#include "perm.h"

ns_dir *namespace_dir_new(const char *name, const char *owner, const char *group, unsigned mode,
                          uint64_t gen, int64_t t)
{
    ns_dir *d = namespace_node_alloc(sizeof *d, true, name);
    if (!d)
        return NULL;
    d->node.mode = (uint16_t)mode;
    d->node.ctime_ms = d->node.mtime_ms = t;
    d->generation = gen;
    if (!namespace_node_own(&d->node, owner, group)) {
        namespace_dir_free(d);
        return NULL;
    }
    return d;
}

void namespace_dir_free(ns_dir *d)
{
    if (!d)
        return;
    namespace_node_name_free(&d->node);
    free(d);
}

/* Frees every directory below d's entries (files are not freed here: the
 * identifier table owns them). */
static void namespace_dirs_free_at(ns_node *t)
{
    if (!t)
        return;
    namespace_dirs_free_at(t->left);
    namespace_dirs_free_at(t->right);
    if (t->dir) {
        namespace_dirs_free_at(((ns_dir *)t)->entries);
        namespace_dir_free((ns_dir *)t);
    }
}

void namespace_dirs_free(ns_dir *d)
{
    if (d)
        namespace_dirs_free_at(d->entries);
}

/* The deepest existing directory on the way to path's parent (every
 * component met must be a directory: NS_NOT_DIR otherwise), and in *rest
 * the first component below it that is missing (the path's last '/' when
 * none is). */
ns_status namespace_place(const ns_table *ns, const char *path, ns_place *pl)
{
    ns_dir *d = ns->root;
    const char *p = path, *last = strrchr(path, '/');
    while (*p == '/')
        p++;
    while (p < last) {
        const char *end = strchr(p, '/');
        ns_node *n = tree_find(d, p, (size_t)(end - p));
        if (!n)
            break;
        if (!n->dir)
            return NS_NOT_DIR;
        d = (ns_dir *)n;
        p = end + 1;
    }
    pl->dir = d;
    pl->rest = p;
    if (!path[1])   /* the root: there, in no directory */
        pl->at = &ns->root->node;
    else
        pl->at = p >= last ? tree_find(d, last + 1, strlen(last + 1)) : NULL;
    return NS_OK;
}

ns_status namespace_place_check(const ns_place *pl, const ns_who *who)
{
    return perm_may(&pl->dir->node, who, PERM_WRITE | PERM_EXEC) ? NS_OK : NS_FORBIDDEN;
}

ns_status namespace_parent_check(ns_table *ns, const char *path, const ns_who *who)
{
    ns_place pl;
    ns_status st = namespace_place(ns, path, &pl);
    return st == NS_OK ? namespace_place_check(&pl, who) : st;
}

ns_dir *namespace_place_make(ns_table *ns, const ns_place *pl, const char *path, uint64_t gen,
                             int64_t t, const char *owner, const char *group)
{
    ns_dir *d = pl->dir;
    const char *p = pl->rest, *last = strrchr(path, '/');
    while (p < last) {   /* each missing one, made inside the last */
        const char *end = strchr(p, '/');
        size_t len = (size_t)(end - p);
        char name[NSPATH_NAME_MAX + 1];
        if (len > NSPATH_NAME_MAX)
            return NULL;
        memcpy(name, p, len);
        name[len] = '\0';
        ns_dir *made = namespace_dir_new(name, owner, group, NS_DIR_MODE_DEFAULT, gen, t);
        if (!made)
            return NULL;
        tree_insert(d, &made->node);
        namespace_touch(&d->node, t);
        ns->ndirs++;
        if (gen > ns->counter)
            ns->counter = gen;
        d = made;
        p = end + 1;
    }
    return d;
}

ns_dir *namespace_parent_make(ns_table *ns, const char *path, uint64_t gen, int64_t t,
                              const char *owner, const char *group)
{
    ns_place pl;
    if (namespace_place(ns, path, &pl) != NS_OK)
        return NULL;   /* a file on the way */
    return namespace_place_make(ns, &pl, path, gen, t, owner, group);
}

uint64_t namespace_node_gen(const ns_node *n)
{
    return n->dir ? ((const ns_dir *)n)->generation : ((const ns_file *)n)->generation;
}

bool namespace_dir_record(const ns_dir *d, const char *path, record_kind kind, record *r)
{
    memset(r, 0, sizeof *r);
    r->kind = kind;
    r->gen = d->generation;
    r->time_ms = (uint64_t)d->node.ctime_ms;
    r->mtime_ms = (uint64_t)d->node.mtime_ms;
    r->has_mode = true;
    r->mode = d->node.mode;
    const char *owner = namespace_owner(&d->node), *group = namespace_group(&d->node);
    if (!(r->name = strdup(path)) || (owner && !(r->owner = strdup(owner))) ||
        (group && !(r->group = strdup(group)))) {
        record_clear(r);
        return false;
    }
    return true;
}

ns_status namespace_mkdir(ns_table *ns, const char *path, bool parents, unsigned mode,
                          const ns_who *who)
{
    NAMESPACE_NORM(path);
    if (mode > 01777)
        return NS_BAD_SIZE;
    int64_t now = namespace_wall_ms();
    pthread_rwlock_wrlock(&ns->lock);
    ns_place pl;
    ns_status st = namespace_place(ns, path, &pl);
    if (st == NS_OK && pl.at)
        st = !pl.at->dir ? NS_EXISTS : parents ? NS_OK : NS_EXISTS;
    else if (st == NS_OK) {
        if (!parents && pl.rest < strrchr(path, '/'))
            st = NS_NOT_FOUND;   /* without -p, the parent must be there */
        if (st == NS_OK)
            st = namespace_place_check(&pl, who);
        uint64_t gen = ns->counter + 1;
        ns_dir *d = NULL, *made = NULL;
        if (st == NS_OK &&
            (!(d = namespace_place_make(ns, &pl, path, gen, now, who ? who->user : NULL,
                                        who ? who->group : NULL)) ||
             !(made = namespace_dir_new(nspath_base(path), who ? who->user : NULL,
                                        who ? who->group : NULL, mode, gen, now))))
            st = NS_NO_MEMORY;
        if (st == NS_OK) {
            ns->counter = gen;
            tree_insert(d, &made->node);
            ns->ndirs++;
            d->node.mtime_ms = now;
            record r;
            if (ns->j && namespace_dir_record(made, path, RECORD_DIR, &r))
                namespace_log(ns, &r);
        }
    }
    pthread_rwlock_unlock(&ns->lock);
    return st;
}

/* Whether who may change every directory beneath n that has entries (a
 * recursive removal empties them all). */
typedef struct {
    const ns_who *who;
    bool ok;
} namespace_rm_check;

static bool namespace_rm_may(ns_node *n, void *ud)
{
    namespace_rm_check *c = ud;
    if (n->dir && ((ns_dir *)n)->entries && !perm_may(n, c->who, PERM_WRITE | PERM_EXEC))
        c->ok = false;
    if (!n->dir && n->parent && !perm_may_unlink(n->parent, n, c->who))
        c->ok = false;
    return c->ok;
}

/* Takes n and everything beneath it out of the tree (the write lock is
 * held): files into the doomed queue, directories freed. */
static void namespace_remove_tree(ns_table *ns, ns_node *n, size_t *nfiles)
{
    if (!n->dir) {
        namespace_unlink(ns, (ns_file *)n, false);
        namespace_queue_doom(ns, (ns_file *)n);
        (*nfiles)++;
        return;
    }
    ns_dir *d = (ns_dir *)n;
    while (d->entries)
        namespace_remove_tree(ns, d->entries, nfiles);   /* each takes itself out of d */
    if (n->parent)
        tree_remove(n->parent, n);
    namespace_dir_free(d);
    ns->ndirs--;
}

ns_status namespace_remove_path(ns_table *ns, const char *path, bool recursive,
                                const ns_who *who, size_t *nfiles)
{
    *nfiles = 0;
    NAMESPACE_NORM(path);
    int64_t now = namespace_wall_ms();
    pthread_rwlock_wrlock(&ns->lock);
    ns_node *n;
    ns_status st = tree_lookup(ns, path, &n);
    if (st == NS_OK && !n->parent)
        st = NS_INVALID;   /* the root */
    if (st == NS_OK && n->dir && ((ns_dir *)n)->entries && !recursive)
        st = NS_NOT_EMPTY;
    if (st == NS_OK && !perm_may_unlink(n->parent, n, who))
        st = NS_FORBIDDEN;
    if (st == NS_OK && n->dir && who && !who->super) {
        namespace_rm_check c = { who, true };
        tree_walk(n, namespace_rm_may, &c);
        st = c.ok ? NS_OK : NS_FORBIDDEN;
    }
    if (st == NS_OK) {
        ns_dir *parent = n->parent;
        record r = { .kind = n->dir ? RECORD_RMTREE : RECORD_DELETE, .gen = namespace_node_gen(n),
                     .time_ms = (uint64_t)now };
        if (n->dir)
            r.name = strdup(path);
        else
            namespace_file_id((ns_file *)n, r.fileid);
        if (n->dir && !r.name) {
            st = NS_NO_MEMORY;
        } else {
            namespace_remove_tree(ns, n, nfiles);
            parent->node.mtime_ms = now;
            namespace_log(ns, &r);
        }
        record_clear(&r);
    }
    pthread_rwlock_unlock(&ns->lock);
    return st;
}

/* Rekeys the files beneath a moved node: their paths changed. */
static bool namespace_rekey(ns_node *n, void *ud)
{
    ns_table *ns = ud;
    if (!n->dir) {
        tree_keys_drop(ns, (ns_file *)n);
        tree_keys_add(ns, (ns_file *)n, NULL);   /* out of memory: found by identifier only */
    }
    return true;
}

/* Moves n to directory d under name base, replacing what is there (the
 * write lock is held; every check made). */
static bool namespace_move(ns_table *ns, ns_node *n, ns_dir *d, const char *base, int64_t t)
{
    char *heap;
    if (!namespace_name_prepare(n, base, &heap))
        return false;
    ns_node *there = tree_find(d, base, strlen(base));
    if (there && there != n) {
        size_t gone = 0;
        namespace_remove_tree(ns, there, &gone);
    }
    ns_dir *from = n->parent;
    tree_remove(from, n);   /* out of its treap before its name changes */
    namespace_name_set(n, base, heap);
    tree_insert(d, n);
    from->node.mtime_ms = d->node.mtime_ms = t;
    tree_walk(n, namespace_rekey, ns);
    return true;
}

ns_status namespace_rename(ns_table *ns, const char *from, const char *to, bool replace,
                           const ns_who *who)
{
    NAMESPACE_NORM(from);
    NAMESPACE_NORM(to);
    int64_t now = namespace_wall_ms();
    char parent[NSPATH_MAX + 1];
    pthread_rwlock_wrlock(&ns->lock);
    ns_node *n, *p, *there = NULL;
    ns_status st = tree_lookup(ns, from, &n);
    if (st == NS_OK && (!n->parent || !to[1]))
        st = NS_INVALID;   /* the root moves nowhere, and nothing takes its place */
    else if (st == NS_OK && strcmp(from, to) == 0)
        goto out;          /* a move onto itself: nothing to do */
    else if (st == NS_OK && nspath_within(to, from))
        st = NS_INVALID;   /* a directory into itself */
    if (st == NS_OK) {
        nspath_parent(to, parent);
        st = tree_lookup(ns, parent, &p);
        if (st == NS_OK && !p->dir)
            st = NS_NOT_DIR;
    }
    if (st == NS_OK) {
        ns_status t = tree_lookup(ns, to, &there);
        if (t != NS_OK)
            there = NULL;
        if (there && !replace)
            st = NS_EXISTS;
        else if (there && there->dir && !n->dir)
            st = NS_IS_DIR;
        else if (there && !there->dir && n->dir)
            st = NS_NOT_DIR;
        else if (there && there->dir && ((ns_dir *)there)->entries)
            st = NS_NOT_EMPTY;
    }
    if (st == NS_OK && (!perm_may_unlink(n->parent, n, who) ||
                        !perm_may(p, who, PERM_WRITE | PERM_EXEC) ||
                        (there && !perm_may_unlink((ns_dir *)p, there, who))))
        st = NS_FORBIDDEN;
    if (st == NS_OK) {
        record r = { .kind = RECORD_RENAME, .gen = namespace_node_gen(n), .time_ms = (uint64_t)now,
                     .replace = there != NULL, .name = strdup(from), .to = strdup(to) };
        if (!r.name || !r.to || !namespace_move(ns, n, (ns_dir *)p, nspath_base(to), now))
            st = NS_NO_MEMORY;
        else
            namespace_log(ns, &r);
        record_clear(&r);
    }
out:
    pthread_rwlock_unlock(&ns->lock);
    return st;
}

ns_status namespace_with_path(ns_table *ns, const char *path, const ns_who *who,
                              void (*fn)(const ns_node *n, void *ud), void *ud)
{
    NAMESPACE_NORM(path);
    pthread_rwlock_rdlock(&ns->lock);
    ns_node *n;
    ns_status st = tree_lookup(ns, path, &n);
    if (st == NS_OK && !perm_may(n, who, 0))
        st = NS_FORBIDDEN;
    if (st == NS_OK)
        fn(n, ud);
    pthread_rwlock_unlock(&ns->lock);
    return st;
}

ns_status namespace_list(ns_table *ns, const char *path, const char *after, size_t max,
                         const ns_who *who, void (*fn)(const ns_node *n, void *ud), void *ud,
                         bool *more)
{
    *more = false;
    NAMESPACE_NORM(path);
    pthread_rwlock_rdlock(&ns->lock);
    ns_node *n;
    ns_status st = tree_lookup(ns, path, &n);
    if (st == NS_OK && !perm_may(n, who, n->dir ? PERM_READ : 0))
        st = NS_FORBIDDEN;
    if (st == NS_OK && !n->dir) {
        if (!after || !after[0])
            fn(n, ud);   /* a file lists as itself */
    } else if (st == NS_OK) {
        tree_iter it;
        tree_iter_start(&it, (const ns_dir *)n, after);
        const ns_node *e = tree_iter_next(&it);
        for (size_t k = 0; e && k < max; k++) {
            fn(e, ud);
            e = tree_iter_next(&it);
        }
        *more = e != NULL;
    }
    pthread_rwlock_unlock(&ns->lock);
    return st;
}

static bool namespace_du_one(ns_node *n, void *ud)
{
    ns_usage *u = ud;
    if (n->dir) {
        u->dirs++;
        return true;
    }
    const ns_file *f = (const ns_file *)n;
    u->files++;
    u->bytes += f->size;
    u->chunks += f->ncommitted;
    u->stored_bytes += f->size * f->replication;
    return true;
}

ns_status namespace_du(ns_table *ns, const char *path, const ns_who *who, ns_usage *out)
{
    memset(out, 0, sizeof *out);
    NAMESPACE_NORM(path);
    pthread_rwlock_rdlock(&ns->lock);
    ns_node *n;
    ns_status st = tree_lookup(ns, path, &n);
    if (st == NS_OK && !perm_may(n, who, n->dir ? PERM_READ : 0))
        st = NS_FORBIDDEN;
    if (st == NS_OK)
        tree_walk(n, namespace_du_one, out);
    pthread_rwlock_unlock(&ns->lock);
    return st;
}

size_t namespace_dir_count(ns_table *ns)
{
    pthread_rwlock_rdlock(&ns->lock);
    size_t n = ns->ndirs;
    pthread_rwlock_unlock(&ns->lock);
    return n;
}

/* ---- replay ---- */

/* A path a record holds must be normalised already. */
static bool namespace_path_ok(const char *path)
{
    char norm[NSPATH_MAX + 1];
    return path && nspath_normalize(path, norm) == NSPATH_OK && strcmp(norm, path) == 0;
}

static void namespace_raise(ns_table *ns, uint64_t gen)
{
    if (gen > ns->counter)
        ns->counter = gen;
}

bool namespace_apply_dir(ns_table *ns, const record *r)
{
    if (!namespace_path_ok(r->name))
        return false;
    namespace_raise(ns, r->gen);
    ns_node *n;
    ns_status st = tree_lookup(ns, r->name, &n);
    ns_dir *d = NULL;
    if (st == NS_OK && n->dir && namespace_node_gen(n) == r->gen) {
        d = (ns_dir *)n;   /* its attributes */
        if (!namespace_node_own(n, r->owner, r->group))
            return false;
    } else if (st == NS_NOT_FOUND) {
        ns_dir *above = namespace_parent_make(ns, r->name, r->gen, (int64_t)r->time_ms, r->owner,
                                              r->group);
        if (!above)
            return true;   /* a file on the way: a later state */
        if (!(d = namespace_dir_new(nspath_base(r->name), r->owner, r->group,
                                    NS_DIR_MODE_DEFAULT, r->gen, (int64_t)r->time_ms)))
            return false;
        tree_insert(above, &d->node);
        ns->ndirs++;
        namespace_touch(&above->node, (int64_t)r->time_ms);
    } else {
        return true;   /* a file there, or another directory: a later state */
    }
    if (r->has_mode)
        d->node.mode = (uint16_t)r->mode;
    d->node.ctime_ms = (int64_t)r->time_ms;
    d->node.mtime_ms = (int64_t)(r->mtime_ms ? r->mtime_ms : r->time_ms);
    return true;
}

bool namespace_apply_rename(ns_table *ns, const record *r)
{
    if (!namespace_path_ok(r->name) || !namespace_path_ok(r->to) || !r->to[1] ||
        nspath_within(r->to, r->name))
        return false;
    namespace_raise(ns, r->gen);
    ns_node *n;
    if (tree_lookup(ns, r->name, &n) != NS_OK || !n->parent || namespace_node_gen(n) != r->gen)
        return true;   /* moved or gone already */
    ns_dir *d = namespace_parent_make(ns, r->to, r->gen, (int64_t)r->time_ms, NULL, NULL);
    if (!d)
        return true;   /* a file where its directory would be: a later state */
    return namespace_move(ns, n, d, nspath_base(r->to), (int64_t)r->time_ms);
}

bool namespace_apply_rmtree(ns_table *ns, const record *r)
{
    if (!namespace_path_ok(r->name))
        return false;
    namespace_raise(ns, r->gen);
    ns_node *n;
    if (tree_lookup(ns, r->name, &n) != NS_OK || !n->dir || !n->parent ||
        namespace_node_gen(n) != r->gen)
        return true;
    ns_dir *parent = n->parent;
    size_t gone = 0;
    namespace_remove_tree(ns, n, &gone);
    parent->node.mtime_ms = (int64_t)r->time_ms;
    return true;
}
