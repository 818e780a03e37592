/*
 * intern.h - one shared copy of each owner and group name the namespace
 * holds: a million files of one user point at one string instead of
 * holding two copies each.
 */
#ifndef MINIDFS_INTERN_H
#define MINIDFS_INTERN_H

#include <stddef.h>

/* At most this many distinct names are ever kept (owners and groups
 * come from users and chown, both a superuser's doing). */
#define INTERN_MAX 65536

/* The shared copy of s (NULL: NULL). It lives as long as the process and
 * never changes. NULL when s is not NULL and memory, or room for another
 * name, runs out. Thread-safe. */
const char *intern_name(const char *s);
/* Names kept so far. */
size_t intern_count(void);

#endif
