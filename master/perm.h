/*
 * perm.h - who may do what to a file or a directory: owners, groups and
 * mode bits, the checks made with them, and chmod/chown.
 *
 * Mode bits are HDFS's: rwx for the owner, the group and others, and the
 * sticky bit (01000) on a directory. A user is the owner class when it
 * owns the entry, else the group class when its group is the entry's,
 * else other. Every check also wants x on each directory above the entry
 * (traversal, as HDFS and POSIX have it: a 0700 directory hides all
 * beneath it, whatever their modes). Reading a file wants r; writing
 * (overwrite, append) wants w on the file; creating, removing or renaming
 * an entry wants w and x on its directory, and, when that directory is
 * sticky (the root is, 01777, like /tmp), being the entry's or the
 * directory's owner too. Listing a directory, or summing it (du), wants r
 * on it; stat wants nothing but the traversal. Changing the mode or group
 * wants ownership; giving an entry away, a superuser. An entry without an
 * owner (made on an open master) belongs to the superusers. A NULL ns_who
 * (an open master, or a signed server) may do everything.
 */
#ifndef MINIDFS_PERM_H
#define MINIDFS_PERM_H

#include "namespace.h"

#define PERM_READ  4u
#define PERM_WRITE 2u
#define PERM_EXEC  1u   /* a directory's: pass through it, or change its entries (with w) */
#define PERM_OWN   8u   /* be its owner (or a superuser) */

#define PERM_STICKY 01000u

/* Whether who may do want (PERM_* bits; 0: only reach it) to n, passing
 * through every directory above it. */
bool perm_may(const ns_node *n, const ns_who *who, unsigned want);
/* Whether who may take n out of directory d (remove or rename it). */
bool perm_may_unlink(const ns_dir *d, const ns_node *n, const ns_who *who);
/* The same for the file readers see under fileid, or whose own identifier
 * it is (a replacement's), as namespace_with_file finds it (NS_OK, NS_NOT_FOUND or
 * NS_FORBIDDEN), checked when a request arrives: as with a POSIX open,
 * what it was let do stays allowed for the request's life. */
ns_status perm_check(ns_table *ns, const char *fileid, const ns_who *who, unsigned want);
/* chmod (mode >= 0: up to 0777 for a file, 01777 for a directory) and
 * chown (owner, group: NULL keeps them) of the entry at path (and of an
 * overwrite of a file under way), journalled as one record (attr for a
 * file, dir for a directory): the mode and the group by the owner or a
 * superuser (the owner only to its own group), the owner by a superuser
 * only. */
ns_status perm_set(ns_table *ns, const char *path, const ns_who *who, const char *owner,
                   const char *group, int mode);
/* Replays an attr record (record.h; the write lock is held). */
bool perm_apply_attr(ns_table *ns, const record *r);

#endif
