/*
 * store.c - the chunkserver's disk. Every file operation is relative to one
 * directory descriptor, and every name it is given has passed
 * chunkid_parse, so nothing outside the directory can be named. Called
 * from many connection threads at once; it keeps no shared state beyond
 * that descriptor and a counter for unique temporary names. Must never
 * make a chunk visible before its bytes are durable.
 */
#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

#define STORE_TMP_PREFIX ".tmp-"

struct store {
    char *dir;
    int dirfd;
    _Atomic uint64_t seq;
};

static store_status store_errno_status(int e)
{
    return (e == ENOSPC || e == EDQUOT) ? STORE_NO_SPACE : STORE_IO;
}

static int store_mkdirs(const char *dir)
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
    if (mkdir(path, 0755) != 0 && errno != EEXIST)
        return -1;
    return 0;
}

store *store_open(const char *dir, char *err, size_t errlen)
{
    if (store_mkdirs(dir) != 0) {
        snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
        return NULL;
    }
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open %s: %s", dir, strerror(errno));
        return NULL;
    }
    store *st = calloc(1, sizeof *st);
    if (!st || !(st->dir = strdup(dir))) {
        free(st);
        close(fd);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    st->dirfd = fd;

    /* Temporaries are what a crash left half-written: never worth keeping. */
    int dfd = dup(fd);
    DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
    if (!d) {
        if (dfd >= 0)
            close(dfd);
        snprintf(err, errlen, "cannot list %s: %s", dir, strerror(errno));
        store_close(st);
        return NULL;
    }
    struct dirent *de;
    unsigned removed = 0;
    while ((de = readdir(d)) != NULL)
        if (strncmp(de->d_name, STORE_TMP_PREFIX, strlen(STORE_TMP_PREFIX)) == 0 &&
            unlinkat(fd, de->d_name, 0) == 0)
            removed++;
    closedir(d);
    if (removed)
        log_info("removed %u unfinished chunk files left in %s", removed, dir);
    return st;
}

void store_close(store *st)
{
    if (!st)
        return;
    close(st->dirfd);
    free(st->dir);
    free(st);
}

const char *store_dir(const store *st)
{
    return st->dir;
}

store_status store_begin(store *st, const char *id, store_writer *w, char *err, size_t errlen)
{
    memset(w, 0, sizeof *w);
    w->st = st;
    w->fd = -1;
    snprintf(w->id, sizeof w->id, "%s", id);
    snprintf(w->tmp, sizeof w->tmp, STORE_TMP_PREFIX "%s-%ld-%llu", id, (long)getpid(),
             (unsigned long long)atomic_fetch_add(&st->seq, 1));
    w->fd = openat(st->dirfd, w->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (w->fd < 0) {
        int e = errno;
        snprintf(err, errlen, "cannot create chunk file: %s", strerror(e));
        return store_errno_status(e);
    }
    w->have_tmp = true;
    return STORE_OK;
}

store_status store_write(store_writer *w, const void *data, size_t len, char *err, size_t errlen)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n = write(w->fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            snprintf(err, errlen, "cannot write chunk %s: %s", w->id, strerror(e));
            return store_errno_status(e);
        }
        p += n;
        len -= (size_t)n;
        w->written += (uint64_t)n;
    }
    return STORE_OK;
}

store_status store_finish(store_writer *w, char *err, size_t errlen)
{
    int rc = fdatasync(w->fd);
    int e = errno;
    if (close(w->fd) != 0 && rc == 0) {
        rc = -1;
        e = errno;
    }
    w->fd = -1;
    if (rc != 0) {
        snprintf(err, errlen, "cannot flush chunk %s: %s", w->id, strerror(e));
        return store_errno_status(e);
    }
    return STORE_OK;
}

store_status store_publish(store_writer *w, bool replace, char *err, size_t errlen)
{
    int dirfd = w->st->dirfd;
    if (replace) {
        if (renameat(dirfd, w->tmp, dirfd, w->id) != 0)
            goto fail;
    } else {
        /* link() never replaces: the atomic "create if absent". */
        if (linkat(dirfd, w->tmp, dirfd, w->id, 0) != 0) {
            if (errno == EEXIST)
                return STORE_EXISTS;
            goto fail;
        }
        unlinkat(dirfd, w->tmp, 0);
    }
    w->have_tmp = false;
    if (fsync(dirfd) != 0)
        log_warn("fsync of %s: %s", w->st->dir, strerror(errno));
    return STORE_OK;
fail:;
    int e = errno;
    snprintf(err, errlen, "cannot publish chunk %s: %s", w->id, strerror(e));
    return store_errno_status(e);
}

void store_discard(store_writer *w)
{
    if (w->fd >= 0) {
        close(w->fd);
        w->fd = -1;
    }
    if (w->have_tmp) {
        unlinkat(w->st->dirfd, w->tmp, 0);
        w->have_tmp = false;
    }
}

store_status store_open_chunk(store *st, const char *id, int *fd, uint64_t *size)
{
    *fd = openat(st->dirfd, id, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (*fd < 0)
        return errno == ENOENT ? STORE_NOT_FOUND : STORE_IO;
    struct stat sb;
    if (fstat(*fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(*fd);
        *fd = -1;
        return STORE_IO;
    }
    *size = (uint64_t)sb.st_size;
    return STORE_OK;
}

store_status store_remove(store *st, const char *id)
{
    if (unlinkat(st->dirfd, id, 0) != 0)
        return errno == ENOENT ? STORE_NOT_FOUND : STORE_IO;
    return STORE_OK;
}
