/*
 * fsdir.h - directories the servers keep their state in.
 */
#ifndef MINIDFS_FSDIR_H
#define MINIDFS_FSDIR_H

/* mkdir -p: creates dir and any missing parents (mode 0755). 0, or -1 with
 * errno set. */
int fsdir_make(const char *dir);

#endif
