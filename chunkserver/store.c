/*
 * store.c - the chunkserver's disk. Every file operation is relative to one
 * directory descriptor, and every name it is given has passed
 * chunkid_parse, so nothing outside the directory can be named. Called
 * from many connection threads at once; it keeps no shared state beyond
 * that descriptor and its temporaries' subdirectories', the directory's
 * lock, a counter for unique temporary names, per-chunk locks, a pool of
 * staging buffers for direct writes, the group commit of the
 * directory's fsync, a histogram of chunk fsyncs (the metrics) and the
 * count of the published chunks' bytes (counted at open, kept by publish
 * and removal). Must never make a chunk
 * visible before its bytes are durable, nor publish bytes that fail their
 * SHA-256, nor answer for a published chunk before its name is durable.
 */
#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "fsdir.h"
#include "groupq.h"
#include "iobuf.h"
#include "log.h"
#include "metrics.h"
#include "monotime.h"

#define STORE_TMP_PREFIX ".tmp-"
/* Where temporaries are made: a directory of their own, so that creating
 * one never waits on the chunk directory's lock, which its fsync holds
 * while it writes (see store_sync_dir). Older versions made them beside
 * the chunks; those are still cleared at start. */
#define STORE_TMP_DIR ".tmp"
/* ... spread over this many subdirectories of it, ".tmp/0" to ".tmp/7":
 * making a file takes its directory's lock while ext4 finds it an inode,
 * which on a filesystem without a journal can mean a long scan (past the
 * inodes freed in the last minutes); a connection thread that finds the
 * lock held spins on it, burning the core the holder needs. Spread, the
 * connection threads of a tree of small files seldom meet. */
#define STORE_TMP_SHARDS 8
/* The id of the cluster the directory joined, 32 hex digits and a newline. */
#define STORE_CLUSTER_FILE ".cluster-id"
/* A chunk's meta: one extended attribute of its file, 56 bytes, so that
 * ext4 keeps it inside the inode (no block of its own):
 *   "mdfs"  u32 format (1)  u64 version  u64 size  32-byte SHA-256
 * integers little-endian. */
#define STORE_XATTR "user.minidfs"
#define STORE_XATTR_MAGIC "mdfs"
#define STORE_XATTR_FORMAT 1u
#define STORE_XATTR_LEN 56
/* The meta files of format 0 (before the attribute), read only to
 * convert a directory they are found in. */
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
    int tmpfd;    /* STORE_TMP_DIR */
    int shardfd[STORE_TMP_SHARDS];   /* its subdirectories, where temporaries are made */
    int lockfd;   /* holds the directory's lock: one chunkserver per directory */
    _Atomic uint64_t seq;
    /* Changes to one chunk (publish, remove, new version) hold its
     * stripe, so none sees another half done: a check's removal never
     * takes the copy that replaced the one it judged. */
    pthread_mutex_t stripes[STORE_STRIPES];
    /* Staging buffers, handed from writer to writer: on huge pages, so a
     * 1 MiB direct write is one request to the device (see iobuf.c). */
    iobuf_pool *stage;
    /* Told of every removal before it happens (see store_on_remove). */
    pthread_mutex_t hook_mu;
    void (*on_remove)(void *ud, const char *id);
    void *on_remove_ud;
    metrics_hist fsync_hist;   /* each chunk's fsync, for the metrics */
    /* bytes of the published chunks: counted at open, kept by publish and
     * unlink under the chunk's stripe (store_stored_bytes) */
    _Atomic int64_t stored_bytes;
    /* The directory's fsync, group-committed: a publisher queues after
     * its rename and waits for an fsync that began after that; one fsync
     * covers every rename before it, so many small chunks published at
     * once share it instead of queueing on the directory's inode lock one
     * fsync each. */
    groupq dsync;
};

/* One fsync of the directory for the renames of every publisher queued
 * (store_sync_dir). */
static void store_sync_dir_act(void *ud, groupq_entry **batch, size_t n)
{
    store *st = ud;
    int e = fsync(st->dirfd) == 0 ? 0 : errno;
    for (size_t i = 0; i < n; i++)
        *(int *)batch[i]->item = e;
}

unsigned store_http_status(store_status st)
{
    static const unsigned http[] = {
        [STORE_OK] = 200,        [STORE_NOT_FOUND] = 404, [STORE_EXISTS] = 409,
        [STORE_NO_SPACE] = 507,  [STORE_IO] = 500,        [STORE_BAD_SUM] = 400,
        [STORE_NEWER] = 409,     [STORE_SHORT] = 409,
    };
    return (unsigned)st < sizeof http / sizeof *http ? http[st] : 500;
}

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

static void store_meta_encode(const store_meta *m, unsigned char b[STORE_XATTR_LEN])
{
    memcpy(b, STORE_XATTR_MAGIC, 4);
    for (int i = 0; i < 4; i++)
        b[4 + i] = (unsigned char)(STORE_XATTR_FORMAT >> (8 * i));
    for (int i = 0; i < 8; i++) {
        b[8 + i] = (unsigned char)(m->version >> (8 * i));
        b[16 + i] = (unsigned char)(m->size >> (8 * i));
    }
    sha256_from_hex(m->sha, b + 24);
}

static bool store_meta_decode(const unsigned char *b, ssize_t n, store_meta *m)
{
    if (n != STORE_XATTR_LEN || memcmp(b, STORE_XATTR_MAGIC, 4) != 0)
        return false;
    uint32_t format = 0;
    m->version = m->size = 0;
    for (int i = 3; i >= 0; i--)
        format = format << 8 | b[4 + i];
    for (int i = 7; i >= 0; i--) {
        m->version = m->version << 8 | b[8 + i];
        m->size = m->size << 8 | b[16 + i];
    }
    if (format != STORE_XATTR_FORMAT)
        return false;
    sha256_to_hex(b + 24, m->sha);
    return true;
}

store_status store_read_meta_fd(int fd, store_meta *out)
{
    unsigned char b[STORE_XATTR_LEN + 1];
    ssize_t n = fgetxattr(fd, STORE_XATTR, b, sizeof b);
    if (n < 0)
        return errno == ENODATA ? STORE_NOT_FOUND : STORE_IO;
    return store_meta_decode(b, n, out) ? STORE_OK : STORE_IO;
}

/* 0, or the errno that kept m from being attached to fd's file. */
static int store_meta_set_fd(int fd, const store_meta *m)
{
    unsigned char b[STORE_XATTR_LEN];
    store_meta_encode(m, b);
    return fsetxattr(fd, STORE_XATTR, b, sizeof b, 0) == 0 ? 0 : errno;
}

/* A meta file of format 0 (JSON: version, size, sha256). */
static bool store_read_meta_file(store *st, const char *name, store_meta *out)
{
    char buf[STORE_META_MAX];
    int fd = openat(st->dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return false;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    json_t *doc = n > 0 ? json_loadb(buf, (size_t)n, 0, NULL) : NULL;
    json_t *v = json_object_get(doc, "version"), *sz = json_object_get(doc, "size");
    const char *sha = json_string_value(json_object_get(doc, "sha256"));
    unsigned char md[SHA256_LEN];
    bool ok = json_is_integer(v) && json_is_integer(sz) && json_integer_value(v) >= 0 &&
              json_integer_value(sz) >= 0 && sha && sha256_from_hex(sha, md);
    if (ok) {
        out->version = (uint64_t)json_integer_value(v);
        out->size = (uint64_t)json_integer_value(sz);
        sha256_to_hex(md, out->sha);
    }
    json_decref(doc);
    return ok;
}

typedef enum { STORE_KEPT, STORE_CONVERTED, STORE_ADOPTED, STORE_UNREADABLE } store_found;

/* A chunk file found at start: one without its attribute gets it, from
 * the meta files of format 0 beside it when there are (of a replacement a
 * crash interrupted, the meta that matches the bytes), else from its
 * bytes with version unknown (the Go path writes no meta). The meta files
 * go only once the attribute is durable. */
static store_found store_settle(store *st, const char *id)
{
    char meta[NAME_MAX + 16], pending[NAME_MAX + 24];
    snprintf(meta, sizeof meta, "%s" STORE_META_SUFFIX, id);
    snprintf(pending, sizeof pending, "%s" STORE_PENDING_SUFFIX, id);
    int fd = openat(st->dirfd, id, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        if (fd >= 0)
            close(fd);
        return STORE_UNREADABLE;
    }
    store_meta m, pm, mm;
    store_found found = STORE_KEPT;
    store_status s = store_read_meta_fd(fd, &m);
    if (s == STORE_IO) {
        /* not ours to overwrite, and not proof the bytes are bad */
        log_warn("chunk %s: its meta attribute is unreadable; left as it is", id);
        close(fd);
        return STORE_UNREADABLE;
    }
    if (s == STORE_NOT_FOUND) {
        bool have_p = store_read_meta_file(st, pending, &pm);
        bool have_m = store_read_meta_file(st, meta, &mm);
        char hex[SHA256_HEX_LEN + 1];
        uint64_t total = 0;
        bool hashed = (have_p || !have_m) && store_hash_fd(fd, hex, &total) &&
                      total == (uint64_t)sb.st_size;
        if (have_p && hashed && pm.size == total && strcmp(pm.sha, hex) == 0) {
            m = pm;   /* the replacement's bytes landed */
        } else if (have_m) {
            m = mm;   /* the old pair stands (the scrubber judges its bytes) */
        } else if (hashed) {
            m.version = 0;
            m.size = total;
            snprintf(m.sha, sizeof m.sha, "%s", hex);
        } else {
            close(fd);
            return STORE_UNREADABLE;
        }
        if (store_meta_set_fd(fd, &m) != 0 || fsync(fd) != 0) {
            log_warn("chunk %s: cannot record its meta: %s", id, strerror(errno));
            close(fd);
            return STORE_UNREADABLE;
        }
        found = have_m || have_p ? STORE_CONVERTED : STORE_ADOPTED;
    }
    close(fd);
    unlinkat(st->dirfd, pending, 0);
    unlinkat(st->dirfd, meta, 0);
    return found;
}

/* Whether the directory's filesystem keeps user extended attributes. */
static bool store_probe_xattr(int dirfd, char *err, size_t errlen, const char *dir)
{
    char name[64];
    snprintf(name, sizeof name, STORE_TMP_PREFIX "probe-%ld", (long)getpid());
    int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf(err, errlen, "cannot create files in %s: %s", dir, strerror(errno));
        return false;
    }
    store_meta m = { .version = 0, .size = 0 };
    memset(m.sha, '0', SHA256_HEX_LEN);
    m.sha[SHA256_HEX_LEN] = '\0';
    int e = store_meta_set_fd(fd, &m);
    close(fd);
    unlinkat(dirfd, name, 0);
    if (e == 0)
        return true;
    if (e == ENOTSUP)
        snprintf(err, errlen, "the filesystem of %s keeps no user extended attributes, where "
                 "each chunk's version and SHA-256 are kept (ext4, xfs and btrfs do, tmpfs from "
                 "Linux 6.6)", dir);
    else
        snprintf(err, errlen, "cannot set an extended attribute in %s: %s", dir, strerror(e));
    return false;
}

/* Removes the temporaries a crash left in the directory tfd (STORE_TMP_DIR
 * or one of its shards, named where); the number removed. (Those beside
 * the chunks, from older versions, store_open removes.) On a filesystem
 * without a journal a crash in the middle of a publish's rename can leave
 * the temporary's name as well as the chunk's, both naming one inode with
 * one link: that name is left alone, since removing it would free the
 * chunk's bytes. */
static unsigned store_clear_temporaries(store *st, int tfd, const char *where)
{
    unsigned removed = 0;
    DIR *d = fsdir_list(tfd);
    struct dirent *de;
    while (d && (de = readdir(d)) != NULL) {
        const char *name = de->d_name;
        if (strncmp(name, STORE_TMP_PREFIX, strlen(STORE_TMP_PREFIX)) != 0)
            continue;
        char id[CHUNKID_BUF];
        const char *dash = strchr(name + strlen(STORE_TMP_PREFIX), '-');
        size_t k = dash ? (size_t)(dash - name) - strlen(STORE_TMP_PREFIX) : 0;
        struct stat a, b;
        if (k > 0 && k < sizeof id) {
            memcpy(id, name + strlen(STORE_TMP_PREFIX), k);
            id[k] = '\0';
            if (chunkid_parse(id, NULL, NULL) &&
                fstatat(tfd, name, &a, AT_SYMLINK_NOFOLLOW) == 0 &&
                fstatat(st->dirfd, id, &b, AT_SYMLINK_NOFOLLOW) == 0 && a.st_ino == b.st_ino &&
                a.st_dev == b.st_dev) {
                log_warn("%s/%s/%s is also chunk %s (a crash in its rename): left alone",
                         st->dir, where, name, id);
                continue;
            }
        }
        removed += unlinkat(tfd, name, 0) == 0;
    }
    if (d)
        closedir(d);
    if (removed && fsync(tfd) != 0)
        log_warn("fsync of %s/%s: %s", st->dir, where, strerror(errno));
    return removed;
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
    st->tmpfd = -1;
    for (int i = 0; i < STORE_TMP_SHARDS; i++)
        st->shardfd[i] = -1;
    st->lockfd = -1;
    for (int i = 0; i < STORE_STRIPES; i++)
        pthread_mutex_init(&st->stripes[i], NULL);
    pthread_mutex_init(&st->hook_mu, NULL);
    groupq_init(&st->dsync, GROUPQ_MAX_BATCH, store_sync_dir_act, st);
    /* Before anything is touched: a second server on this directory would
     * take the first one's temporaries for a crash's leftovers, and the
     * master would take its chunks for surplus copies. */
    if ((st->lockfd = fsdir_lock(fd, dir, "chunkserver", err, errlen)) < 0 ||
        !store_probe_xattr(fd, err, errlen, dir)) {
        store_close(st);
        return NULL;
    }
    if ((mkdirat(fd, STORE_TMP_DIR, 0755) != 0 && errno != EEXIST) ||
        (st->tmpfd = openat(fd, STORE_TMP_DIR,
                            O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
        snprintf(err, errlen, "cannot use %s/%s: %s", dir, STORE_TMP_DIR, strerror(errno));
        store_close(st);
        return NULL;
    }
    /* Temporaries are what a crash left half-written: never worth keeping
     * (in STORE_TMP_DIR itself: from the versions before its shards). */
    unsigned removed = store_clear_temporaries(st, st->tmpfd, STORE_TMP_DIR);
    for (int i = 0; i < STORE_TMP_SHARDS; i++) {
        char where[32];
        snprintf(where, sizeof where, STORE_TMP_DIR "/%d", i);
        const char *name = where + strlen(STORE_TMP_DIR "/");
        if ((mkdirat(st->tmpfd, name, 0755) != 0 && errno != EEXIST) ||
            (st->shardfd[i] = openat(st->tmpfd, name,
                                     O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
            snprintf(err, errlen, "cannot use %s/%s: %s", dir, where, strerror(errno));
            store_close(st);
            return NULL;
        }
        removed += store_clear_temporaries(st, st->shardfd[i], where);
    }
    DIR *d = fsdir_list(fd);
    if (!d) {
        snprintf(err, errlen, "cannot list %s: %s", dir, strerror(errno));
        store_close(st);
        return NULL;
    }
    struct dirent *de;
    unsigned converted = 0, adopted = 0;
    while ((de = readdir(d)) != NULL) {
        const char *name = de->d_name;
        char id[CHUNKID_BUF];
        if (strncmp(name, STORE_TMP_PREFIX, strlen(STORE_TMP_PREFIX)) == 0) {
            removed += unlinkat(fd, name, 0) == 0;
        } else if (store_id_of(name, STORE_PENDING_SUFFIX, id) ||
                   store_id_of(name, STORE_META_SUFFIX, id)) {
            /* format 0; its chunk converts when it is met, but a meta
             * file whose chunk is gone (a crash mid-removal) just goes */
            if (faccessat(fd, id, F_OK, AT_SYMLINK_NOFOLLOW) != 0 && errno == ENOENT)
                removed += unlinkat(fd, name, 0) == 0;
        } else if (chunkid_parse(name, NULL, NULL)) {
            store_found f = store_settle(st, name);
            converted += f == STORE_CONVERTED;
            adopted += f == STORE_ADOPTED;
        }
    }
    closedir(d);
    if ((removed || converted || adopted) && fsync(fd) != 0)
        log_warn("fsync of %s: %s", dir, strerror(errno));
    if (removed)
        log_info("removed %u unfinished chunk files left in %s", removed, dir);
    if (converted)
        log_info("moved the meta files of %u chunks in %s into their attributes", converted, dir);
    if (adopted)
        log_info("hashed %u chunks without meta in %s (version unknown)", adopted, dir);
    uint64_t chunks, bytes;
    store_usage(st, &chunks, &bytes);
    atomic_store(&st->stored_bytes, (int64_t)bytes);
    return st;
}

void store_close(store *st)
{
    if (!st)
        return;
    close(st->dirfd);
    if (st->tmpfd >= 0)
        close(st->tmpfd);
    for (int i = 0; i < STORE_TMP_SHARDS; i++)
        if (st->shardfd[i] >= 0)
            close(st->shardfd[i]);
    if (st->lockfd >= 0)
        close(st->lockfd);
    for (int i = 0; i < STORE_STRIPES; i++)
        pthread_mutex_destroy(&st->stripes[i]);
    pthread_mutex_destroy(&st->hook_mu);
    groupq_destroy(&st->dsync);
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
    uint64_t seq = atomic_fetch_add(&st->seq, 1);
    snprintf(w->tmp, sizeof w->tmp, STORE_TMP_PREFIX "%s-%ld-%llu", id, (long)getpid(),
             (unsigned long long)seq);
    if (!(w->hash = sha256_stream_new())) {
        snprintf(err, errlen, "out of memory");
        return STORE_IO;
    }
    /* Not every filesystem takes O_DIRECT (tmpfs did not until 6.6). */
    w->tmpfd = st->shardfd[seq % STORE_TMP_SHARDS];
    w->fd = openat(w->tmpfd, w->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_DIRECT, 0644);
    w->direct = w->fd >= 0;
    if (w->fd < 0 && errno == EINVAL)
        w->fd = openat(w->tmpfd, w->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
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
        return STORE_SHORT;
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

static bool store_go_buffered(store_writer *w);

store_status store_reserve(store_writer *w, uint64_t total, char *err, size_t errlen)
{
    if (total <= w->written)
        return STORE_OK;
    /* What plainly cannot fit is refused without trying: ext4 allocates
     * until the disk is full before it gives up, and for that moment
     * every other writer on the disk (the other uploads, a master's
     * journal) would find it full too. */
    struct statvfs vfs;
    if (fstatvfs(w->fd, &vfs) == 0 &&
        total - w->written > (uint64_t)vfs.f_bavail * (uint64_t)vfs.f_frsize) {
        snprintf(err, errlen, "no room for chunk %s (%llu bytes): %s (%llu bytes free)", w->id,
                 (unsigned long long)total, strerror(ENOSPC),
                 (unsigned long long)vfs.f_bavail * (unsigned long long)vfs.f_frsize);
        return STORE_NO_SPACE;
    }
    /* A chunk smaller than one staging buffer is one write either way:
     * through the page cache it costs no copy into the stage, needs no
     * extent set aside (a write that finds the disk full says so), and its
     * bytes stay cached for the read that often follows a small file. */
    if (w->direct && w->written == 0 && total < STORE_STAGE_BYTES && store_go_buffered(w))
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
    int fd = openat(w->tmpfd, w->tmp, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
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
    /* The meta rides in the same inode, so one fsync makes both durable
     * and a later rename moves both at once. */
    w->meta.version = version;
    int e = store_meta_set_fd(w->fd, &w->meta);
    if (e) {
        snprintf(err, errlen, "cannot record the meta of chunk %s: %s", w->id, strerror(e));
        return store_errno_status(e);
    }
    int64_t t0 = monotime_ns();
    int rc = fsync(w->fd);
    e = errno;
    metrics_observe(&w->st->fsync_hist, monotime_ns() - t0);
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

static store_status store_publish_locked(store_writer *w, bool replace, char *err,
                                         size_t errlen);

/* Makes every rename that returned before this call durable: 0, or the
 * errno of the fsync of the directory that covered it (every caller it
 * covered gets it: an error is never lost). The caller syncs for all
 * queued when nobody is syncing; the others wait for it (groupq.h). */
static int store_sync_dir(store *st)
{
    int e = 0;
    groupq_entry q = { .item = &e };
    groupq_run(&st->dsync, &q);
    return e;
}

store_status store_publish(store_writer *w, bool replace, char *err, size_t errlen)
{
    pthread_mutex_t *lock = store_stripe(w->st, w->id);
    pthread_mutex_lock(lock);
    store_status s = store_publish_locked(w, replace, err, errlen);
    pthread_mutex_unlock(lock);
    if (s != STORE_OK)
        return s;
    /* Outside the stripe: the name is in place, only its durability is
     * awaited, and the others who published meanwhile share the fsync. */
    int e = store_sync_dir(w->st);
    if (e) {
        log_warn("fsync of %s: %s", w->st->dir, strerror(e));
        snprintf(err, errlen, "cannot make chunk %s durable: %s", w->id, strerror(e));
        return store_errno_status(e);
    }
    return STORE_OK;
}

static store_status store_publish_locked(store_writer *w, bool replace, char *err,
                                         size_t errlen)
{
    int dirfd = w->st->dirfd, tmpfd = w->tmpfd;
    if (replace) {
        /* The bytes and their meta are one inode: one rename swaps both. */
        struct stat old;
        bool had = fstatat(dirfd, w->id, &old, AT_SYMLINK_NOFOLLOW) == 0;
        if (renameat(tmpfd, w->tmp, dirfd, w->id) != 0)
            goto fail;
        if (had)
            atomic_fetch_sub(&w->st->stored_bytes, (int64_t)old.st_size);
    } else {
        /* The atomic "create if absent"; link() where renameat2 is not
         * known (the temporary name then goes separately). */
        if (renameat2(tmpfd, w->tmp, dirfd, w->id, RENAME_NOREPLACE) != 0) {
            if (errno == EEXIST)
                return STORE_EXISTS;
            if (errno != EINVAL && errno != ENOSYS)
                goto fail;
            if (linkat(tmpfd, w->tmp, dirfd, w->id, 0) != 0) {
                if (errno == EEXIST)
                    return STORE_EXISTS;
                goto fail;
            }
            unlinkat(tmpfd, w->tmp, 0);
        }
    }
    w->have_tmp = false;
    atomic_fetch_add(&w->st->stored_bytes, (int64_t)w->written);
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
        unlinkat(w->tmpfd, w->tmp, 0);
        w->have_tmp = false;
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
    int fd = openat(st->dirfd, id, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return errno == ENOENT ? STORE_NOT_FOUND : STORE_IO;
    store_status s = store_read_meta_fd(fd, out);
    close(fd);
    return s;
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
    int fd = openat(st->dirfd, id, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return errno == ENOENT ? STORE_NOT_FOUND : STORE_IO;
    store_meta m;
    store_status s = store_read_meta_fd(fd, &m);
    if (s == STORE_NOT_FOUND) {
        s = store_hash_fd(fd, m.sha, &m.size) ? STORE_OK : STORE_IO;   /* as it is */
    }
    if (s == STORE_OK) {
        m.version = version;
        int e = store_meta_set_fd(fd, &m);
        if (!e && fsync(fd) != 0)
            e = errno;
        s = e ? store_errno_status(e) : STORE_OK;
    }
    close(fd);
    return s;
}

void store_on_remove(store *st, void (*fn)(void *ud, const char *id), void *ud)
{
    pthread_mutex_lock(&st->hook_mu);
    st->on_remove = fn;
    st->on_remove_ud = ud;
    pthread_mutex_unlock(&st->hook_mu);
}

static store_status store_unlink(store *st, const char *id)
{
    /* Told first: whoever sees the file gone already knows it was us. */
    pthread_mutex_lock(&st->hook_mu);
    if (st->on_remove)
        st->on_remove(st->on_remove_ud, id);
    pthread_mutex_unlock(&st->hook_mu);
    struct stat sb;
    off_t size = fstatat(st->dirfd, id, &sb, AT_SYMLINK_NOFOLLOW) == 0 ? sb.st_size : 0;
    if (unlinkat(st->dirfd, id, 0) == 0) {
        atomic_fetch_sub(&st->stored_bytes, (int64_t)size);
        return STORE_OK;
    }
    return errno == ENOENT ? STORE_NOT_FOUND : STORE_IO;
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
        s = store_unlink(st, id);
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
        s = store_unlink(st, id);
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
        int fd = openat(st->dirfd, de->d_name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
            continue;   /* removed right now */
        bool ok = store_read_meta_fd(fd, &m) == STORE_OK && fstat(fd, &sb) == 0;
        close(fd);
        if (!ok)
            continue;
        int64_t age = (int64_t)(now.tv_sec - sb.st_mtim.tv_sec) * 1000 +
                      (now.tv_nsec - sb.st_mtim.tv_nsec) / 1000000;
        if (!fn(ud, de->d_name, &m, age < 0 ? 0 : age))
            break;
    }
    closedir(d);
}

bool store_cluster_id(store *st, char *out, char *err, size_t errlen)
{
    char buf[CLUSTERID_LEN + 8];
    out[0] = '\0';
    long n = fsdir_read_file(st->dirfd, STORE_CLUSTER_FILE, buf, sizeof buf);
    if (n < 0 && errno == ENOENT)
        return true;
    if (n < 0) {
        snprintf(err, errlen, "cannot read %s/%s: %s", st->dir, STORE_CLUSTER_FILE,
                 strerror(errno));
        return false;
    }
    buf[strcspn(buf, "\n")] = '\0';
    if (!clusterid_valid(buf)) {
        snprintf(err, errlen, "%s/%s does not hold a cluster id (%d hex digits)", st->dir,
                 STORE_CLUSTER_FILE, CLUSTERID_LEN);
        return false;
    }
    memcpy(out, buf, CLUSTERID_LEN + 1);
    return true;
}

store_status store_set_cluster_id(store *st, const char *id, char *err, size_t errlen)
{
    char line[CLUSTERID_LEN + 2];
    int n = snprintf(line, sizeof line, "%s\n", id);
    int e = clusterid_valid(id) ? fsdir_write_file(st->dirfd, STORE_CLUSTER_FILE, line,
                                                   (size_t)n)
                                : EINVAL;
    if (e) {
        snprintf(err, errlen, "cannot write %s/%s: %s", st->dir, STORE_CLUSTER_FILE,
                 strerror(e));
        return store_errno_status(e);
    }
    return STORE_OK;
}

static bool store_count_one(void *ud, const char *id)
{
    (void)id;
    (*(size_t *)ud)++;
    return true;
}

size_t store_count(store *st)
{
    size_t n = 0;
    store_list_ids(st, store_count_one, &n);
    return n;
}

void store_list_ids(store *st, bool (*fn)(void *ud, const char *id), void *ud)
{
    DIR *d = fsdir_list(st->dirfd);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (chunkid_parse(de->d_name, NULL, NULL) && !fn(ud, de->d_name))
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

const metrics_hist *store_fsync_hist(const store *st)
{
    return &st->fsync_hist;
}

typedef struct {
    store *st;
    uint64_t chunks, bytes;
} store_usage_walk;

static bool store_usage_one(void *ud, const char *id)
{
    store_usage_walk *u = ud;
    struct stat sb;
    if (fstatat(u->st->dirfd, id, &sb, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(sb.st_mode)) {
        u->chunks++;
        u->bytes += (uint64_t)sb.st_size;
    }
    return true;
}

void store_usage(store *st, uint64_t *chunks, uint64_t *bytes)
{
    store_usage_walk u = { .st = st };
    store_list_ids(st, store_usage_one, &u);
    *chunks = u.chunks;
    *bytes = u.bytes;
}

uint64_t store_stored_bytes(store *st)
{
    int64_t b = atomic_load(&st->stored_bytes);
    return b > 0 ? (uint64_t)b : 0;
}
