/*
 * fsdir.c - creating, listing and locking the chunkservers' and the
 * master's directories, and the small files they keep there. Owns no
 * state; never removes or changes a file it did not write itself (the lock
 * file, and the files written through fsdir_write_file).
 */
#include "fsdir.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

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

DIR *fsdir_list(int dirfd)
{
    int fd = dup(dirfd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        errno = e;
        return NULL;
    }
    rewinddir(d);   /* the dup shares its offset with every earlier listing */
    return d;
}

int fsdir_lock(int dirfd, const char *dir, const char *what, char *err, size_t errlen)
{
    int fd = openat(dirfd, FSDIR_LOCK_NAME, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) {
        snprintf(err, errlen, "cannot create %s/%s: %s", dir, FSDIR_LOCK_NAME, strerror(errno));
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        char pid[32] = "";
        ssize_t n = e == EWOULDBLOCK ? pread(fd, pid, sizeof pid - 1, 0) : -1;
        close(fd);
        if (e != EWOULDBLOCK) {
            snprintf(err, errlen, "cannot lock %s: %s", dir, strerror(e));
            return -1;
        }
        pid[n > 0 ? n : 0] = '\0';
        pid[strcspn(pid, "\n")] = '\0';
        snprintf(err, errlen, "%s is in use by another %s (pid %s); refusing to share it, as two "
                 "servers on one directory would undo each other's work", dir, what,
                 pid[0] ? pid : "unknown");
        return -1;
    }
    char line[32];
    int n = snprintf(line, sizeof line, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, line, (size_t)n, 0) != n) {
        snprintf(err, errlen, "cannot write %s/%s: %s", dir, FSDIR_LOCK_NAME, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

int fsdir_write_file(int dirfd, const char *name, const void *data, size_t len)
{
    char tmp[300];
    if (snprintf(tmp, sizeof tmp, ".tmp-%s-%ld", name, (long)getpid()) >= (int)sizeof tmp)
        return ENAMETOOLONG;
    int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0)
        return errno;
    int e = 0;
    if (write(fd, data, len) != (ssize_t)len)
        e = errno ? errno : EIO;
    if (!e && fsync(fd) != 0)
        e = errno;
    if (close(fd) != 0 && !e)
        e = errno;
    if (!e && renameat(dirfd, tmp, dirfd, name) != 0)
        e = errno;
    if (e) {
        unlinkat(dirfd, tmp, 0);
        return e;
    }
    return fsync(dirfd) == 0 ? 0 : errno;
}

long fsdir_read_file(int dirfd, const char *name, char *buf, size_t cap)
{
    int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, cap - 1);
    int e = errno;
    close(fd);
    if (n < 0) {
        errno = e;
        return -1;
    }
    buf[n] = '\0';
    return (long)n;
}
