/*
 * store.c - the chunkserver's disk. Every file operation is relative to one
 * directory descriptor, and every name it is given has passed
 * chunkid_parse, so nothing outside the directory can be named. Called
 * from many connection threads at once; it keeps no shared state beyond
 * that descriptor, a counter for unique temporary names, per-chunk locks
 * and a pool of staging buffers for direct writes. Must never
 * make a chunk visible before its bytes are durable, nor publish bytes
 * that fail their SHA-256.
 */
#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fsdir.h"
#include "iobuf.h"
#include "log.h"

#define STORE_TMP_PREFIX ".tmp-"
#define STORE_META_SUFFIX ".meta"
#define STORE_PENDING_SUFFIX ".meta-pending"
#define STORE_META_MAX 512

#define STORE_STRIPES 64
/* Direct writes: the staging buffer's size, and the alignment of its
 * address, of every write's length and of every file offset. 4096 is a
 * multiple of every logical block size in use; a device that wants more
 * makes the first write fail with EINVAL and the writer goes buffered. */
#define STORE_STAGE_BYTES (1u << 20)
#define STORE_DIRECT_ALIGN IOBUF_ALIGN

struct store {
    char *dir;
    int dirfd;
    _Atomic uint64_t seq;
    /* Changes to one chunk's names (publish, remove, new meta) hold its
     * stripe, so none sees another half done: a deletion never runs
     * between a replacement's new bytes and its new meta file. */
    pthread_mutex_t stripes[STORE_STRIPES];
    /* Staging buffers, handed from writer to writer: on huge pages, so a
     * 1 MiB direct write is one request to the device (see iobuf.c). */
    iobuf_pool *stage;
};

static char *store_stage_get(store *st)
{
    return iobuf_get(st->stage);
}

static void store_stage_put(store *st, char *b)
{
    iobuf_put(st->stage, b);
}

static pthread_mutex_t *store_stripe(store *st, const char *id)
{
    return &st->stripes[chunkid_hash(id) % STORE_STRIPES];
}

static store_status store_errno_status(int e)
{
    return (e == ENOSPC || e == EDQUOT) ? STORE_NO_SPACE : STORE_IO;
}

/* "cannot write chunk": the status errno e means (STORE_NO_SPACE or STORE_IO). */
static store_status store_write_error(store_writer *w, int e, char *err, size_t errlen)
{
    snprintf(err, errlen, "cannot write chunk %s: %s", w->id, strerror(e));
    return store_errno_status(e);
}

/* The uploader's checksum does not match what was received. */
static store_status store_bad_sum(store_writer *w, const char *got, const char *want, char *err,
                                  size_t errlen)
{
    snprintf(err, errlen, "chunk %s: the bytes received hash to %s, not to the %.64s the "
             "uploader sent; nothing kept", w->id, got, want);
    return STORE_BAD_SUM;
}

static bool store_hash_file(store *st, const char *id, char out[SHA256_HEX_LEN + 1],
                            uint64_t *size);
static bool store_hash_fd(int fd, char out[SHA256_HEX_LEN + 1], uint64_t *total);

/* True when name is "<chunk id><suffix>"; id gets the chunk id. */
static bool store_id_of(const char *name, const char *suffix, char id[CHUNKID_BUF])
{
    size_t n = strlen(name), sl = strlen(suffix);
    if (n <= sl || n - sl >= CHUNKID_BUF || strcmp(name + n - sl, suffix) != 0)
        return false;
    memcpy(id, name, n - sl);
    id[n - sl] = '\0';
    return chunkid_parse(id, NULL, NULL);
}

/* A replacement a crash interrupted: keep the meta that matches the bytes. */
static void store_settle_pending(store *st, const char *id, const char *pending)
{
    char meta[CHUNKID_BUF + 8], hex[SHA256_HEX_LEN + 1], buf[STORE_META_MAX];
    snprintf(meta, sizeof meta, "%s" STORE_META_SUFFIX, id);
    int fd = openat(st->dirfd, pending, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
    if (fd >= 0)
        close(fd);
    json_t *doc = n > 0 ? json_loadb(buf, (size_t)n, 0, NULL) : NULL;
    const char *sha = json_string_value(json_object_get(doc, "sha256"));
    uint64_t size;
    bool matches = sha && store_hash_file(st, id, hex, &size) && strcmp(hex, sha) == 0;
    json_decref(doc);
    if (matches && renameat(st->dirfd, pending, st->dirfd, meta) == 0)
        log_info("chunk %s: finished a replacement a crash interrupted", id);
    else
        unlinkat(st->dirfd, pending, 0);   /* the old bytes and meta stand */
}

store *store_open(const char *dir, char *err, size_t errlen)
{
    if (fsdir_make(dir) != 0) {
        snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
        return NULL;
    }
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open %s: %s", dir, strerror(errno));
        return NULL;
    }
    store *st = calloc(1, sizeof *st);
    if (!st || !(st->dir = strdup(dir)) || !(st->stage = iobuf_pool_new(STORE_STAGE_BYTES))) {
        if (st)
            free(st->dir);
        free(st);
        close(fd);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    st->dirfd = fd;
    for (int i = 0; i < STORE_STRIPES; i++)
        pthread_mutex_init(&st->stripes[i], NULL);
    /* Temporaries are what a crash left half-written: never worth keeping. */
    DIR *d = fsdir_list(fd);
    if (!d) {
        snprintf(err, errlen, "cannot list %s: %s", dir, strerror(errno));
        store_close(st);
        return NULL;
    }
    struct dirent *de;
    unsigned removed = 0, adopted = 0;
    while ((de = readdir(d)) != NULL) {
        const char *name = de->d_name;
        char id[CHUNKID_BUF];
        if (strncmp(name, STORE_TMP_PREFIX, strlen(STORE_TMP_PREFIX)) == 0) {
            removed += unlinkat(fd, name, 0) == 0;
        } else if (store_id_of(name, STORE_PENDING_SUFFIX, id)) {
            store_settle_pending(st, id, name);
        } else if (store_id_of(name, STORE_META_SUFFIX, id)) {
            /* a meta file whose chunk is gone (a crash mid-removal) */
            if (faccessat(fd, id, F_OK, 0) != 0 && errno == ENOENT)
                removed += unlinkat(fd, name, 0) == 0;
        } else if (chunkid_parse(name, NULL, NULL)) {
            /* a chunk without meta (a crash between the two names, or a
             * directory from before meta files): hash it, version unknown */
            store_meta m;
            if (store_read_meta(st, name, &m) == STORE_NOT_FOUND)
                adopted += store_set_version(st, name, 0) == STORE_OK;
        }
    }
    closedir(d);
    if (removed)
        log_info("removed %u unfinished chunk files left in %s", removed, dir);
    if (adopted)
        log_info("hashed %u chunks without meta files in %s (version unknown)", adopted, dir);
    return st;
}

void store_close(store *st)
{
    if (!st)
        return;
    close(st->dirfd);
    for (int i = 0; i < STORE_STRIPES; i++)
        pthread_mutex_destroy(&st->stripes[i]);
    iobuf_pool_free(st->stage);
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
    snprintf(w->mtmp, sizeof w->mtmp, "%s" STORE_META_SUFFIX, w->tmp);
    if (!(w->hash = sha256_stream_new())) {
        snprintf(err, errlen, "out of memory");
        return STORE_IO;
    }
    /* Not every filesystem takes O_DIRECT (tmpfs did not until 6.6). */
    w->fd = openat(st->dirfd, w->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_DIRECT, 0644);
    w->direct = w->fd >= 0;
    if (w->fd < 0 && errno == EINVAL)
        w->fd = openat(st->dirfd, w->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (w->fd < 0) {
        int e = errno;
        snprintf(err, errlen, "cannot create chunk file: %s", strerror(e));
        return store_errno_status(e);
    }
    w->have_tmp = true;
    return STORE_OK;
}

static store_status store_write_raw(store_writer *w, const void *data, size_t len, char *err,
                                    size_t errlen);

store_status store_begin_append(store *st, const char *id, uint64_t offset, uint64_t version,
                                store_writer *w, char *err, size_t errlen)
{
    store_meta m;
    store_status s = store_read_meta(st, id, &m);
    if (s != STORE_OK) {
        memset(w, 0, sizeof *w);
        w->fd = -1;
        snprintf(err, errlen, "no chunk %s here to append to", id);
        return s == STORE_NOT_FOUND ? STORE_NOT_FOUND : STORE_IO;
    }
    if (m.version >= version && version != 0) {
        memset(w, 0, sizeof *w);
        w->fd = -1;
        snprintf(err, errlen, "chunk %s here is version %llu, not older than %llu", id,
                 (unsigned long long)m.version, (unsigned long long)version);
        return STORE_NEWER;
    }
    int in;
    uint64_t size;
    if ((s = store_open_chunk(st, id, &in, &size)) != STORE_OK) {
        memset(w, 0, sizeof *w);
        w->fd = -1;
        snprintf(err, errlen, "cannot open chunk %s", id);
        return s;
    }
    if (size < offset || m.size < offset) {
        close(in);
        memset(w, 0, sizeof *w);
        w->fd = -1;
        snprintf(err, errlen, "chunk %s here has %llu bytes, fewer than the offset %llu", id,
                 (unsigned long long)size, (unsigned long long)offset);
        return STORE_BAD_SUM;
    }
    if ((s = store_begin(st, id, w, err, errlen)) != STORE_OK) {
        close(in);
        return s;
    }
    if (!(w->part = sha256_stream_new())) {
        close(in);
        snprintf(err, errlen, "out of memory");
        return STORE_IO;
    }
    /* The kept bytes, through one buffer, hashed on the way. */
    char buf[1 << 16];
    uint64_t left = offset;
    while (left > 0) {
        ssize_t n = pread(in, buf, left < sizeof buf ? (size_t)left : sizeof buf,
                          (off_t)(offset - left));
        if (n <= 0) {
            close(in);
            snprintf(err, errlen, "cannot read chunk %s: %s", id, n ? strerror(errno) : "short");
            return STORE_IO;
        }
        sha256_stream_update(w->hash, buf, (size_t)n);
        if ((s = store_write_raw(w, buf, (size_t)n, err, errlen)) != STORE_OK) {
            close(in);
            return s;
        }
        left -= (uint64_t)n;
    }
    close(in);
    w->base = offset;
    return STORE_OK;
}

store_status store_reserve(store_writer *w, uint64_t total, char *err, size_t errlen)
{
    if (total <= w->written)
        return STORE_OK;
    int rc = fallocate(w->fd, FALLOC_FL_KEEP_SIZE, (off_t)w->written, (off_t)(total - w->written));
    if (rc == 0 || (errno != ENOSPC && errno != EDQUOT))
        return STORE_OK;   /* not supported here: the writes will find out */
    snprintf(err, errlen, "no room for chunk %s (%llu bytes): %s", w->id,
             (unsigned long long)total, strerror(errno));
    return STORE_NO_SPACE;
}

void store_defer_hash(store_writer *w)
{
    if (w->part || w->written)
        return;   /* an append, or bytes already hashed: hash as usual */
    sha256_stream_free(w->hash);
    w->hash = NULL;
    w->deferred = true;
}

store_status store_check_deferred(store_writer *w, char *err, size_t errlen)
{
    if (!w->deferred)
        return STORE_OK;
    char got[SHA256_HEX_LEN + 1];
    uint64_t total = 0;
    int fd = openat(w->st->dirfd, w->tmp, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    bool ok = fd >= 0 && store_hash_fd(fd, got, &total);
    if (fd >= 0)
        close(fd);
    if (!ok) {
        snprintf(err, errlen, "cannot re-read chunk %s to check it: %s", w->id, strerror(errno));
        return STORE_IO;
    }
    if (total != w->meta.size || strcmp(got, w->meta.sha) != 0)
        return store_bad_sum(w, got, w->meta.sha, err, errlen);
    w->deferred = false;
    return STORE_OK;
}

store_status store_write(store_writer *w, const void *data, size_t len, char *err, size_t errlen)
{
    if (w->hash)
        sha256_stream_update(w->hash, data, len);
    if (w->part)
        sha256_stream_update(w->part, data, len);
    return store_write_raw(w, data, len, err, errlen);
}

static store_status store_write_fd(store_writer *w, const char *p, size_t len, char *err,
                                   size_t errlen)
{
    while (len > 0) {
        ssize_t n = write(w->fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return store_write_error(w, errno, err, errlen);
        }
        p += n;
        len -= (size_t)n;
    }
    return STORE_OK;
}

/* Leaves direct mode: later writes go through the page cache. */
static bool store_go_buffered(store_writer *w)
{
    int fl = fcntl(w->fd, F_GETFL);
    if (fl < 0 || fcntl(w->fd, F_SETFL, fl & ~O_DIRECT) != 0)
        return false;
    w->direct = false;
    return true;
}

/* Writes the staged bytes: the aligned part directly, and with all set the
 * unaligned rest too (buffered: it is the chunk's end). */
static store_status store_drain(store_writer *w, bool all, char *err, size_t errlen)
{
    size_t aligned = w->staged & ~(size_t)(STORE_DIRECT_ALIGN - 1);
    if (w->direct && aligned > 0) {
        ssize_t n;
        do
            n = write(w->fd, w->stage, aligned);
        while (n < 0 && errno == EINTR);
        if (n < 0 && errno == EINVAL && store_go_buffered(w))
            n = 0;   /* the device wants a larger alignment: write it buffered below */
        if (n < 0)
            return store_write_error(w, errno, err, errlen);
        /* A short direct write is possible (a nearly full disk); what is
         * left stays staged and goes out buffered. */
        memmove(w->stage, w->stage + n, w->staged - (size_t)n);
        w->staged -= (size_t)n;
        if ((size_t)n < aligned && w->direct && !store_go_buffered(w))
            return store_write_error(w, errno, err, errlen);
    }
    if (!w->direct || all) {
        if (w->direct && w->staged > 0 && !store_go_buffered(w))
            return store_write_error(w, errno, err, errlen);
        store_status s = store_write_fd(w, w->stage, w->staged, err, errlen);
        if (s != STORE_OK)
            return s;
        w->staged = 0;
    }
    return STORE_OK;
}

static store_status store_write_raw(store_writer *w, const void *data, size_t len, char *err,
                                    size_t errlen)
{
    const char *p = data;
    if (!w->direct && w->staged == 0) {
        store_status s = store_write_fd(w, p, len, err, errlen);
        w->written += len;
        return s;
    }
    if (!w->stage && !(w->stage = store_stage_get(w->st))) {
        snprintf(err, errlen, "out of memory");
        return STORE_IO;
    }
    while (len > 0) {
        size_t k = STORE_STAGE_BYTES - w->staged;
        if (k > len)
            k = len;
        memcpy(w->stage + w->staged, p, k);
        w->staged += k;
        w->written += k;
        p += k;
        len -= k;
        if (w->staged == STORE_STAGE_BYTES) {
            store_status s = store_drain(w, !w->direct, err, errlen);
            if (s != STORE_OK)
                return s;
        }
    }
    return STORE_OK;
}

/* Writes meta as the file name (creating it); fsynced, not yet renamed. */
static store_status store_write_meta(int dirfd, const char *name, const store_meta *m, char *err,
                                     size_t errlen)
{
    char buf[STORE_META_MAX];
    json_t *doc = json_pack("{s:I,s:I,s:s}", "version", (json_int_t)m->version, "size",
                            (json_int_t)m->size, "sha256", m->sha);
    int n = doc ? json_dumpb(doc, buf, sizeof buf, JSON_COMPACT) : 0;
    json_decref(doc);
    int fd = n > 0 ? openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644) : -1;
    int e = fd < 0 ? (n > 0 ? errno : ENOMEM) : 0;
    if (fd >= 0) {
        if (write(fd, buf, (size_t)n) != n || fdatasync(fd) != 0)
            e = errno ? errno : EIO;
        if (close(fd) != 0 && !e)
            e = errno;
    }
    if (e) {
        snprintf(err, errlen, "cannot write %s: %s", name, strerror(e));
        return store_errno_status(e);
    }
    return STORE_OK;
}

store_status store_seal(store_writer *w, const char *expect_sha, char *err, size_t errlen)
{
    char part[SHA256_HEX_LEN + 1];
    w->meta.size = w->written;
    if (w->deferred) {
        if (!expect_sha) {
            snprintf(err, errlen, "chunk %s: no checksum to keep with it", w->id);
            return STORE_BAD_SUM;
        }
        snprintf(w->meta.sha, sizeof w->meta.sha, "%s", expect_sha);
        snprintf(w->part_sha, sizeof w->part_sha, "%s", expect_sha);
        return STORE_OK;   /* checked later: store_check_deferred */
    }
    if (!sha256_stream_final_hex(w->hash, w->meta.sha) ||
        (w->part && !sha256_stream_final_hex(w->part, part))) {
        snprintf(err, errlen, "cannot hash chunk %s", w->id);
        return STORE_IO;
    }
    const char *got = w->part ? part : w->meta.sha;
    snprintf(w->part_sha, sizeof w->part_sha, "%s", got);
    if (expect_sha && strcmp(expect_sha, got) != 0)
        return store_bad_sum(w, got, expect_sha, err, errlen);
    return STORE_OK;
}

store_status store_finish(store_writer *w, uint64_t version, char *err, size_t errlen)
{
    store_status s = w->staged ? store_drain(w, true, err, errlen) : STORE_OK;
    store_stage_put(w->st, w->stage);   /* no more bytes come */
    w->stage = NULL;
    if (s != STORE_OK)
        return s;
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
    w->meta.version = version;
    w->have_mtmp = true;
    return store_write_meta(w->st->dirfd, w->mtmp, &w->meta, err, errlen);
}

static store_status store_publish_locked(store_writer *w, bool replace, char *err,
                                         size_t errlen);

store_status store_publish(store_writer *w, bool replace, char *err, size_t errlen)
{
    pthread_mutex_t *lock = store_stripe(w->st, w->id);
    pthread_mutex_lock(lock);
    store_status s = store_publish_locked(w, replace, err, errlen);
    pthread_mutex_unlock(lock);
    return s;
}

static store_status store_publish_locked(store_writer *w, bool replace, char *err,
                                         size_t errlen)
{
    int dirfd = w->st->dirfd;
    char meta[CHUNKID_BUF + 8], pending[CHUNKID_BUF + 16];
    snprintf(meta, sizeof meta, "%s" STORE_META_SUFFIX, w->id);
    if (replace) {
        /* Both names change: the new meta goes first under a "pending"
         * name, so a crash in between is told apart at start (the bytes
         * are checked against it, and the pair that matches is kept). */
        snprintf(pending, sizeof pending, "%s" STORE_PENDING_SUFFIX, w->id);
        if (renameat(dirfd, w->mtmp, dirfd, pending) != 0)
            goto fail;
        w->have_mtmp = false;
        if (renameat(dirfd, w->tmp, dirfd, w->id) != 0) {
            unlinkat(dirfd, pending, 0);
            goto fail;
        }
        w->have_tmp = false;
        if (renameat(dirfd, pending, dirfd, meta) != 0)
            goto fail;
        if (fsync(dirfd) != 0)
            log_warn("fsync of %s: %s", w->st->dir, strerror(errno));
        return STORE_OK;
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
    /* A crash between the two names leaves the chunk without its meta: it
     * is hashed again at start and counts as version unknown. */
    if (renameat(dirfd, w->mtmp, dirfd, meta) != 0)
        goto fail;
    w->have_mtmp = false;
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
    if (w->have_mtmp) {
        unlinkat(w->st->dirfd, w->mtmp, 0);
        w->have_mtmp = false;
    }
    sha256_stream_free(w->hash);
    sha256_stream_free(w->part);
    w->hash = w->part = NULL;
    if (w->st)
        store_stage_put(w->st, w->stage);
    w->stage = NULL;
    w->staged = 0;
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

store_status store_read_meta(store *st, const char *id, store_meta *out)
{
    char name[CHUNKID_BUF + 8], buf[STORE_META_MAX];
    snprintf(name, sizeof name, "%s" STORE_META_SUFFIX, id);
    int fd = openat(st->dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return errno == ENOENT ? STORE_NOT_FOUND : STORE_IO;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return STORE_IO;
    json_t *doc = json_loadb(buf, (size_t)n, 0, NULL);
    json_t *v = json_object_get(doc, "version"), *sz = json_object_get(doc, "size");
    const char *sha = json_string_value(json_object_get(doc, "sha256"));
    unsigned char md[SHA256_LEN];
    bool ok = json_is_integer(v) && json_is_integer(sz) && json_integer_value(v) >= 0 &&
              json_integer_value(sz) >= 0 && sha && sha256_from_hex(sha, md);
    if (ok) {
        out->version = (uint64_t)json_integer_value(v);
        out->size = (uint64_t)json_integer_value(sz);
        snprintf(out->sha, sizeof out->sha, "%s", sha);
    }
    json_decref(doc);
    return ok ? STORE_OK : STORE_IO;
}

static store_status store_set_version_locked(store *st, const char *id, uint64_t version);

store_status store_set_version(store *st, const char *id, uint64_t version)
{
    pthread_mutex_t *lock = store_stripe(st, id);
    pthread_mutex_lock(lock);
    store_status s = store_set_version_locked(st, id, version);
    pthread_mutex_unlock(lock);
    return s;
}

static store_status store_set_version_locked(store *st, const char *id, uint64_t version)
{
    char err[256], tmp[CHUNKID_BUF + 64], name[CHUNKID_BUF + 8];
    store_meta m;
    if (store_read_meta(st, id, &m) != STORE_OK) {
        /* No meta yet: hash the chunk as it is. */
        if (!store_hash_file(st, id, m.sha, &m.size))
            return STORE_IO;
    }
    m.version = version;
    snprintf(tmp, sizeof tmp, STORE_TMP_PREFIX "%s-%ld-%llu" STORE_META_SUFFIX, id,
             (long)getpid(), (unsigned long long)atomic_fetch_add(&st->seq, 1));
    snprintf(name, sizeof name, "%s" STORE_META_SUFFIX, id);
    store_status s = store_write_meta(st->dirfd, tmp, &m, err, sizeof err);
    if (s == STORE_OK && renameat(st->dirfd, tmp, st->dirfd, name) != 0)
        s = store_errno_status(errno);
    if (s != STORE_OK)
        unlinkat(st->dirfd, tmp, 0);
    return s;
}

static store_status store_unlink_both(store *st, const char *id)
{
    char name[CHUNKID_BUF + 8];
    snprintf(name, sizeof name, "%s" STORE_META_SUFFIX, id);
    if (unlinkat(st->dirfd, id, 0) != 0) {
        int e = errno;
        unlinkat(st->dirfd, name, 0);
        return e == ENOENT ? STORE_NOT_FOUND : STORE_IO;
    }
    unlinkat(st->dirfd, name, 0);
    return STORE_OK;
}

store_status store_remove(store *st, const char *id, uint64_t max_version)
{
    pthread_mutex_t *lock = store_stripe(st, id);
    pthread_mutex_lock(lock);
    store_meta m;
    store_status s;
    if (max_version > 0 && store_read_meta(st, id, &m) == STORE_OK && m.version > max_version)
        s = STORE_NEWER;
    else
        s = store_unlink_both(st, id);
    pthread_mutex_unlock(lock);
    return s;
}

store_status store_remove_exact(store *st, const char *id, const store_meta *expect)
{
    pthread_mutex_t *lock = store_stripe(st, id);
    pthread_mutex_lock(lock);
    store_meta m;
    store_status s = store_read_meta(st, id, &m);
    if (s == STORE_OK && (m.version != expect->version || m.size != expect->size ||
                          strcmp(m.sha, expect->sha) != 0))
        s = STORE_NEWER;   /* replaced since: not the copy that was judged */
    else if (s == STORE_OK)
        s = store_unlink_both(st, id);
    pthread_mutex_unlock(lock);
    return s;
}

void store_list(store *st, bool (*fn)(void *ud, const char *id, const store_meta *m,
                                      int64_t age_ms), void *ud)
{
    DIR *d = fsdir_list(st->dirfd);
    if (!d)
        return;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (!chunkid_parse(de->d_name, NULL, NULL))
            continue;
        store_meta m;
        struct stat sb;
        if (store_read_meta(st, de->d_name, &m) != STORE_OK ||
            fstatat(st->dirfd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0)
            continue;   /* being written or removed right now */
        int64_t age = (int64_t)(now.tv_sec - sb.st_mtim.tv_sec) * 1000 +
                      (now.tv_nsec - sb.st_mtim.tv_nsec) / 1000000;
        if (!fn(ud, de->d_name, &m, age < 0 ? 0 : age))
            break;
    }
    closedir(d);
}

void store_list_ids(store *st, bool (*fn)(void *ud, const char *id), void *ud)
{
    DIR *d = fsdir_list(st->dirfd);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        char id[CHUNKID_BUF];
        if (store_id_of(de->d_name, STORE_META_SUFFIX, id) && !fn(ud, id))
            break;
    }
    closedir(d);
}

/* SHA-256 and length of everything fd holds from its current offset. */
static bool store_hash_fd(int fd, char out[SHA256_HEX_LEN + 1], uint64_t *total)
{
    sha256_stream *h = sha256_stream_new();
    char buf[1 << 16];
    ssize_t n = 0;
    *total = 0;
    while (h && (n = read(fd, buf, sizeof buf)) > 0) {
        sha256_stream_update(h, buf, (size_t)n);
        *total += (uint64_t)n;
    }
    bool ok = h && n == 0 && sha256_stream_final_hex(h, out);
    sha256_stream_free(h);
    return ok;
}

static bool store_hash_file(store *st, const char *id, char out[SHA256_HEX_LEN + 1],
                            uint64_t *size)
{
    int fd;
    if (store_open_chunk(st, id, &fd, size) != STORE_OK)
        return false;
    uint64_t total;
    bool ok = store_hash_fd(fd, out, &total) && total == *size;
    close(fd);
    return ok;
}
