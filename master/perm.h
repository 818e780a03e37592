/*
 * perm.h - who may do what to a file: owners, groups and mode bits, the
 * checks made with them, and chmod/chown.
 *
 * A file's mode bits are HDFS's: rwx for its owner, its group and others
 * (x means nothing for a file). A user is the owner class when it owns the
 * file, else the group class when its group is the file's, else other.
 * The namespace is flat for now, and its root acts as a sticky,
 * world-writable directory (like /tmp): anyone may create a name, only the
 * file's owner or a superuser may remove it or change its mode, and only
 * a superuser may give it away. A file without an owner (made on an open
 * master) belongs to the superusers. A NULL ns_who (an open master, or a
 * signed server) may do everything.
 */
#ifndef MINIDFS_PERM_H
#define MINIDFS_PERM_H

#include "namespace.h"

#define PERM_READ  4u
#define PERM_WRITE 2u
#define PERM_OWN   8u   /* be its owner (or a superuser) */

/* Whether who may do want (PERM_* bits) to f. */
bool perm_may(const ns_file *f, const ns_who *who, unsigned want);
/* The same for the file readers see under fileid, or whose own identifier
 * it is (a replacement's), as namespace_with_file finds it (NS_OK, NS_NOT_FOUND or
 * NS_FORBIDDEN), checked when a request arrives: as with a POSIX open,
 * what it was let do stays allowed for the request's life. */
ns_status perm_check(ns_table *ns, const char *fileid, const ns_who *who, unsigned want);
/* chmod (mode >= 0) and chown (owner, group: NULL keeps them) of the file
 * readers see under name (and of an overwrite of it under way), journalled
 * as one record: the mode and the group by the owner or a superuser (the
 * owner only to its own group), the owner by a superuser only. */
ns_status perm_set(ns_table *ns, const char *name, const ns_who *who, const char *owner,
                   const char *group, int mode);
/* Replays an attr record (record.h; the write lock is held). */
bool perm_apply_attr(ns_table *ns, const record *r);

#endif
