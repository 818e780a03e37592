/*
 * fsdir.h - directories the servers keep their state in.
 */
#ifndef MINIDFS_FSDIR_H
#define MINIDFS_FSDIR_H

#include <dirent.h>

/* mkdir -p: creates dir and any missing parents (mode 0755). 0, or -1 with
 * errno set. */
int fsdir_make(const char *dir);

/* A listing of the directory open on dirfd, from its first entry (each
 * listing has its own offset); close with closedir. NULL with errno set. */
DIR *fsdir_list(int dirfd);

#endif
