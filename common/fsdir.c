/*
 * fsdir.c - creating the chunkservers' and the master's directories. Owns
 * no state; never removes or changes anything that exists.
 */
#include "fsdir.h"

#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>

int fsdir_make(const char *dir)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0755) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(path, 0755) != 0 && errno != EEXIST ? -1 : 0;
}
