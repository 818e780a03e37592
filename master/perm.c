/*
 * perm.c - owners, groups and modes of files (see perm.h): the permission
 * check, chmod/chown and the attr record that journals them. Holds the
 * namespace's lock only to look a file up or change its attributes; never
 * decides who a caller is (secure.c and users.c do).
 */
#include "perm.h"

#include <stdlib.h>
#include <string.h>

#include "namespace_impl.h"

bool perm_may(const ns_file *f, const ns_who *who, unsigned want)
{
    if (!who || who->super)
        return true;
    bool owner = f->owner && strcmp(f->owner, who->user) == 0;
    if ((want & PERM_OWN) && !owner)
        return false;
    unsigned bits = want & 7u, mode = f->mode;
    if (owner)
        mode >>= 6;
    else if (f->group && strcmp(f->group, who->group) == 0)
        mode >>= 3;
    return (mode & bits) == bits;
}

ns_status perm_check(ns_table *ns, const char *fileid, const ns_who *who, unsigned want)
{
    pthread_rwlock_rdlock(&ns->lock);
    const ns_file *f = namespace_named(ns, fileid);
    if (!f)
        f = *namespace_slot(ns, fileid);   /* a replacement's own identifier */
    ns_status st = !f ? NS_NOT_FOUND : perm_may(f, who, want) ? NS_OK : NS_FORBIDDEN;
    pthread_rwlock_unlock(&ns->lock);
    return st;
}

/* Sets f's attributes (and its replacement's): false when memory runs out. */
static bool perm_assign(ns_file *f, const char *owner, const char *group, int mode)
{
    for (; f; f = f->replacement) {
        if ((owner && !namespace_file_own(f, owner, f->group)) ||
            (group && !namespace_file_own(f, f->owner, group)))
            return false;
        if (mode >= 0)
            f->mode = (uint16_t)mode;
    }
    return true;
}

ns_status perm_set(ns_table *ns, const char *name, const ns_who *who, const char *owner,
                   const char *group, int mode)
{
    char nameid[FILEID_LEN + 1];
    if (mode > 0777 || !fileid_of_name(name, nameid))
        return mode > 0777 ? NS_BAD_SIZE : NS_NO_MEMORY;
    pthread_rwlock_wrlock(&ns->lock);
    ns_file *f = namespace_named(ns, nameid);
    ns_status st = NS_OK;
    if (!f)
        st = NS_NOT_FOUND;
    else if ((owner && who && !who->super) || !perm_may(f, who, PERM_OWN) ||
             (group && who && !who->super && strcmp(group, who->group) != 0))
        st = NS_FORBIDDEN;
    else if (!perm_assign(f, owner, group, mode))
        st = NS_NO_MEMORY;
    if (st == NS_OK) {
        record r = { .kind = RECORD_ATTR, .gen = f->generation, .has_mode = true,
                     .mode = f->mode };
        memcpy(r.fileid, f->fileid, sizeof r.fileid);
        if ((f->owner && !(r.owner = strdup(f->owner))) ||
            (f->group && !(r.group = strdup(f->group)))) {
            record_clear(&r);
            st = NS_NO_MEMORY;
        } else {
            namespace_log(ns, &r);
        }
    }
    pthread_rwlock_unlock(&ns->lock);
    return st;
}

bool perm_apply_attr(ns_table *ns, const record *r)
{
    ns_file *f = *namespace_slot(ns, r->fileid);
    if (!f || f->generation != r->gen)
        return true;   /* an incarnation that is gone by now */
    return perm_assign(f, r->owner, r->group, (int)r->mode);
}
