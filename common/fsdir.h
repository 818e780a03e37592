/*
 * fsdir.h - the directories the servers keep their state in: creating and
 * listing them, one process at a time in each (a lock), and the small
 * files of their own they keep there (written whole or not at all).
 */
#ifndef MINIDFS_FSDIR_H
#define MINIDFS_FSDIR_H

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>

/* The lock file every server takes in its directory. */
#define FSDIR_LOCK_NAME ".lock"

/* mkdir -p: creates dir and any missing parents (mode 0755). 0, or -1 with
 * errno set. */
int fsdir_make(const char *dir);

/* A listing of the directory open on dirfd, from its first entry (each
 * listing has its own offset); close with closedir. NULL with errno set. */
DIR *fsdir_list(int dirfd);

/* Takes an exclusive lock (flock) on the directory open on dirfd, held
 * until the returned descriptor is closed or the process ends (a kill -9
 * releases it too), and writes our pid into the lock file for whoever
 * finds it taken. -1 with err set when another process holds it: err then
 * names dir, what the holder is (what), and its pid. */
int fsdir_lock(int dirfd, const char *dir, const char *what, char *err, size_t errlen);

/* Replaces the file name in the directory with len bytes of data, durably
 * and atomically: a crash leaves the old file or the new one, never half.
 * 0, or an errno. */
int fsdir_write_file(int dirfd, const char *name, const void *data, size_t len);
/* Reads up to cap - 1 bytes of the file name into buf, NUL-terminated;
 * the length, or -1 with errno set (ENOENT: no such file). */
long fsdir_read_file(int dirfd, const char *name, char *buf, size_t cap);

#endif
