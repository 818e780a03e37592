/*
 * perm.c - owners, groups and modes of files and directories (see perm.h): the permission
 * check, chmod/chown and the attr record that journals them. Holds the
 * namespace's lock only to look a file up or change its attributes; never
 * decides who a caller is (secure.c and users.c do).
 */
#include "perm.h"

#include <stdlib.h>
#include <string.h>

#include "namespace_impl.h"

/* want on n itself, for a user who is no superuser. */
static bool perm_bits(const ns_node *n, const ns_who *who, unsigned want)
{
    const char *o = namespace_owner(n), *g = namespace_group(n);
    bool owner = o && strcmp(o, who->user) == 0;
    if ((want & PERM_OWN) && !owner)
        return false;
    unsigned bits = want & 7u, mode = n->mode;
    if (owner)
        mode >>= 6;
    else if (g && strcmp(g, who->group) == 0)
        mode >>= 3;
    return (mode & bits) == bits;
}

bool perm_may(const ns_node *n, const ns_who *who, unsigned want)
{
    if (!who || who->super)
        return true;
    if (!perm_bits(n, who, want))
        return false;
    for (const ns_dir *d = n->parent; d; d = d->node.parent)
        if (!perm_bits(&d->node, who, PERM_EXEC))
            return false;   /* a directory above it that who may not pass */
    return true;
}

bool perm_may_unlink(const ns_dir *d, const ns_node *n, const ns_who *who)
{
    if (!who || who->super)
        return true;
    if (!d || !perm_may(&d->node, who, PERM_WRITE | PERM_EXEC))
        return false;
    return !(d->node.mode & PERM_STICKY) || perm_may(n, who, PERM_OWN) ||
           perm_may(&d->node, who, PERM_OWN);
}

ns_status perm_check(ns_table *ns, const char *fileid, const ns_who *who, unsigned want)
{
    pthread_rwlock_rdlock(&ns->lock);
    const ns_file *f = namespace_by_id(ns, fileid);
    ns_status st = !f ? NS_NOT_FOUND : perm_may(&f->node, who, want) ? NS_OK : NS_FORBIDDEN;
    pthread_rwlock_unlock(&ns->lock);
    return st;
}

/* Sets n's attributes (and a file's replacement's): false when memory
 * runs out. */
static bool perm_assign(ns_node *n, const char *owner, const char *group, int mode)
{
    while (n) {
        if ((owner && !namespace_node_own(n, owner, namespace_group(n))) ||
            (group && !namespace_node_own(n, namespace_owner(n), group)))
            return false;
        if (mode >= 0)
            n->mode = (uint16_t)mode;
        const ns_file *f = n->dir ? NULL : (const ns_file *)n;
        n = f && !f->replaces && namespace_partner(f) ? &namespace_partner(f)->node : NULL;
    }
    return true;
}

/* The record that journals n's attributes now (false: out of memory). */
static bool perm_record(ns_node *n, const char *path, record *r)
{
    if (n->dir)
        return namespace_dir_record((ns_dir *)n, path, RECORD_DIR, r);
    const ns_file *f = (const ns_file *)n;
    *r = (record){ .kind = RECORD_ATTR, .gen = f->generation, .has_mode = true, .mode = n->mode };
    namespace_file_id(f, r->fileid);
    const char *owner = namespace_owner(n), *group = namespace_group(n);
    if ((owner && !(r->owner = strdup(owner))) || (group && !(r->group = strdup(group)))) {
        record_clear(r);
        return false;
    }
    return true;
}

ns_status perm_set(ns_table *ns, const char *path, const ns_who *who, const char *owner,
                   const char *group, int mode)
{
    if (mode > 01777)
        return NS_BAD_SIZE;
    NAMESPACE_NORM(path);
    pthread_rwlock_wrlock(&ns->lock);
    ns_node *n;
    ns_status st = tree_lookup(ns, path, &n);
    if (st == NS_OK && mode > (n->dir ? 01777 : 0777))
        st = NS_BAD_SIZE;
    else if (st == NS_OK && ((owner && who && !who->super) || !perm_may(n, who, PERM_OWN) ||
                             (group && who && !who->super && strcmp(group, who->group) != 0)))
        st = NS_FORBIDDEN;
    else if (st == NS_OK && !perm_assign(n, owner, group, mode))
        st = NS_NO_MEMORY;
    record r;
    if (st == NS_OK) {
        if (!perm_record(n, path, &r))
            st = NS_NO_MEMORY;
        else
            namespace_log(ns, &r);
    }
    pthread_rwlock_unlock(&ns->lock);
    return st;
}

bool perm_apply_attr(ns_table *ns, const record *r)
{
    ns_file *f = *namespace_slot(ns, r->fileid);
    if (!f || f->generation != r->gen)
        return true;   /* an incarnation that is gone by now */
    return perm_assign(&f->node, r->owner, r->group, (int)r->mode);
}
