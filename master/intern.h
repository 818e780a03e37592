/*
 * intern.h - one shared copy of each owner and group name the namespace
 * holds, known by a small number: a million files of one user hold that
 * user's number (4 bytes) instead of two strings each.
 */
#ifndef MINIDFS_INTERN_H
#define MINIDFS_INTERN_H

#include <stddef.h>
#include <stdint.h>

/* At most this many distinct names are ever kept (owners and groups
 * come from users and chown, both a superuser's doing). */
#define INTERN_MAX 65535

/* The number of name s, from 1 (0: s is NULL, or memory or room for
 * another name ran out). The same name always gets the same number, for
 * the life of the process. Thread-safe. */
uint32_t intern_id(const char *s);
/* The name of number id (NULL: 0, or no such number). It never changes
 * and lives as long as the process. Thread-safe, and takes no lock. */
const char *intern_at(uint32_t id);
/* Names kept so far. */
size_t intern_count(void);

#endif
