/*
 * reader.c - one upload's bytes, read ahead of the sender.
 *
 * Why not plain pread: read through the page cache, every byte of a cold
 * input first lands in freshly allocated cache pages and is then copied
 * out of them by the kernel. On a virtual machine that hands freed memory
 * back to its host (as the benchmark machine does), fresh pages are what
 * costs most: a cold 1 GiB read took 0.2 to 2.4 s of system time through
 * the cache, and 0.1 s with O_DIRECT into memory the process already owns.
 * An upload reads each byte once, so the cache buys it nothing.
 *
 * So a cold chunk is read with O_DIRECT, ahead of the caller: a ring of
 * aligned blocks from a shared pool, each one's read queued as soon as the
 * caller has drained it, so the disk works while the caller hashes and
 * sends. The reads are POSIX AIO (glibc's threads do them, one after
 * another per descriptor, which keeps one in flight per chunk while the
 * caller works on the block before). Kernel AIO was tried first and does
 * as well, but tearing a kernel AIO context down waits for an RCU grace
 * period: 50 ms an io_destroy here, 30 ms at exit. Direct I/O
 * wants aligned offsets, lengths and addresses; the blocks start at the
 * chunk's offset rounded down and the caller is handed only the chunk's own
 * bytes. A chunk whose first pages are already cached (a file just written)
 * is read with pread instead, as is a file on a filesystem that refuses
 * O_DIRECT; and a direct read that fails hands over to pread at the very
 * byte it failed on, so a quirk of one filesystem is never an upload error.
 * (The kernel keeps direct reads coherent with the cache: dirty cached
 * pages of the range are written back before the device is read.) A
 * small file (one chunk of READER_SMALL_BYTES or less: a tree's small
 * files) is read with pread on the caller's descriptor at once: one read
 * is all it takes, and a cache probe and a descriptor of its own cost
 * more than it.
 *
 * Under ThreadSanitizer the same direct reads are made synchronously with
 * pread: glibc's AIO threads are started from inside glibc, where TSan
 * cannot see them, and the first one to start another thread crashes in
 * TSan's allocator (a known limit of TSan, not a race of ours).
 *
 * A reader belongs to one transfer and is used by the thread driving it.
 * It must never free, reuse or requeue a block that a read may still be
 * filling, and never hand out a byte outside the chunk or past the file's
 * end.
 */
#include "reader.h"

#include <aio.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "iobuf.h"

#define READER_ALIGN IOBUF_ALIGN           /* offsets, lengths, addresses */
#define READER_PROBE_BYTES (4u << 20)      /* how much of the chunk's start the cache check looks at */
#define READER_BLOCKS_MAX 8u
#define READER_SMALL_BYTES (256u << 10)   /* a first chunk this small is one pread */

#if defined(__SANITIZE_THREAD__)
#define READER_SYNC_READS 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define READER_SYNC_READS 1
#endif
#endif
#ifndef READER_SYNC_READS
#define READER_SYNC_READS 0
#endif

typedef struct {
    struct aiocb cb;
    char *buf;
    uint64_t at;       /* file offset of buf[0] */
    long got;          /* bytes read, or -errno */
    bool busy;         /* queued, and its outcome not yet taken */
} reader_block;

struct reader {
    int src;                /* the caller's descriptor on the input */
    int fd;                 /* pread's: the chunk's own, or src; -1 until the first pread */
    bool own_fd;
    bool small;             /* a small first chunk (a small file): pread on the caller's descriptor */
    uint64_t start, end;    /* the chunk's bytes in the file */
    uint64_t pos;           /* the next byte to hand out */
    /* direct only */
    bool direct;
    int dfd;
    iobuf_pool *pool;       /* where the blocks' memory comes from */
    reader_block *blk;
    unsigned nblk, head;    /* head: the block holding pos */
    size_t bsize;
    uint64_t next_at;       /* where the next block to queue starts */
};

static uint64_t reader_align_down(uint64_t v)
{
    return v & ~(uint64_t)(READER_ALIGN - 1);
}

/* A descriptor of the chunk's own on the same open file (through /proc,
 * so the very same inode even if the name has moved), so that each chunk
 * in flight is one sequential stream with readahead of its own. */
static int reader_reopen(int fd, int flags)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    return open(path, O_RDONLY | O_CLOEXEC | flags);
}

/* Whether the first pages of the chunk are in the page cache: then a
 * pread copies them without touching the disk. mincore() looks without
 * reading anything in. */
static bool reader_cached(int fd, uint64_t start, uint64_t end)
{
    long page = sysconf(_SC_PAGESIZE);
    if (page <= 0 || (uint64_t)page > READER_ALIGN || READER_ALIGN % (uint64_t)page)
        return true;   /* an odd page size: stay on the simple path */
    uint64_t at = reader_align_down(start);
    uint64_t len = end - at < READER_PROBE_BYTES ? end - at : READER_PROBE_BYTES;
    size_t pages = (size_t)((len + (uint64_t)page - 1) / (uint64_t)page);
    unsigned char vec[READER_PROBE_BYTES / 4096];
    if (pages == 0 || pages > sizeof vec)
        return true;
    void *m = mmap(NULL, (size_t)len, PROT_READ, MAP_SHARED, fd, (off_t)at);
    if (m == MAP_FAILED)
        return false;
    bool cached = false;
    if (mincore(m, (size_t)len, vec) == 0) {
        size_t in = 0;
        for (size_t i = 0; i < pages; i++)
            in += vec[i] & 1;
        cached = in * 2 > pages;
    }
    munmap(m, (size_t)len);
    return cached;
}

/* Whether b's read is over, waiting for it if wait; its outcome is then
 * in b->got. */
static bool reader_done(reader_block *b, bool wait)
{
    if (!b->busy)
        return true;
    int e;
    while ((e = aio_error(&b->cb)) == EINPROGRESS) {
        if (!wait)
            return false;
        const struct aiocb *list[1] = { &b->cb };
        aio_suspend(list, 1, NULL);   /* EINTR: look again */
    }
    ssize_t n = aio_return(&b->cb);
    b->got = n >= 0 ? (long)n : -(long)(e ? e : EIO);
    b->busy = false;
    return true;
}

/* Nothing reads into any block once this returns. */
static void reader_drain(reader *r)
{
    for (unsigned i = 0; i < r->nblk; i++)
        reader_done(&r->blk[i], true);
}

/* Queues the read of the chunk's next range into b; false if the range is
 * past the chunk (b stays idle) or the read cannot be queued. */
static bool reader_submit(reader *r, reader_block *b)
{
    if (r->next_at >= r->end)
        return true;
    memset(&b->cb, 0, sizeof b->cb);
    b->at = r->next_at;
    b->got = 0;
    b->cb.aio_fildes = r->dfd;
    b->cb.aio_buf = b->buf;
    b->cb.aio_nbytes = r->bsize;
    b->cb.aio_offset = (off_t)b->at;
    b->cb.aio_sigevent.sigev_notify = SIGEV_NONE;
    if (READER_SYNC_READS) {
        ssize_t n = pread(r->dfd, b->buf, r->bsize, (off_t)b->at);
        b->got = n >= 0 ? (long)n : -(long)errno;
    } else {
        if (aio_read(&b->cb) != 0)
            return false;
        b->busy = true;
    }
    r->next_at += r->bsize;
    return true;
}

/* (Re)starts the ring at the block holding pos. */
static bool reader_fill(reader *r)
{
    r->head = 0;
    r->next_at = reader_align_down(r->pos);
    for (unsigned i = 0; i < r->nblk; i++)
        if (!reader_submit(r, &r->blk[i]))
            return false;
    return true;
}

/* Gives up direct reads for good; pread carries on from pos. */
static void reader_go_buffered(reader *r)
{
    if (!r->direct)
        return;
    r->direct = false;
    reader_drain(r);
    for (unsigned i = 0; i < r->nblk; i++)
        iobuf_put(r->pool, r->blk[i].buf);
    free(r->blk);
    r->blk = NULL;
    r->nblk = 0;
    close(r->dfd);
    r->dfd = -1;
}

/* Sets up the ring; false leaves the reader on pread. */
static bool reader_go_direct(reader *r, int fd, iobuf_pool *pool, unsigned blocks)
{
    size_t bsize = iobuf_size(pool);
    uint64_t need = (r->end - reader_align_down(r->start) + bsize - 1) / bsize;
    unsigned n = blocks < READER_BLOCKS_MAX ? blocks : READER_BLOCKS_MAX;
    if (n > need)
        n = (unsigned)need;
    if (n == 0 || (n < 2 && need > 1) || reader_cached(fd, r->start, r->end))
        return false;
    r->dfd = reader_reopen(fd, O_DIRECT);
    if (r->dfd < 0)
        return false;
    r->pool = pool;
    r->bsize = bsize;
    r->direct = true;
    r->blk = calloc(n, sizeof *r->blk);
    for (unsigned i = 0; r->blk && i < n; i++, r->nblk++)
        if (!(r->blk[i].buf = iobuf_get(pool)))
            break;
    if (r->nblk == n && reader_fill(r))
        return true;
    reader_go_buffered(r);
    return false;
}

reader *reader_open(int fd, uint64_t offset, uint64_t length, iobuf_pool *pool, unsigned blocks)
{
    reader *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->start = r->pos = offset;
    r->end = offset + length;
    r->src = fd;
    r->fd = r->dfd = -1;
    r->small = offset == 0 && length <= READER_SMALL_BYTES;
    if (length > 0 && pool && !r->small)
        reader_go_direct(r, fd, pool, blocks);
    return r;
}

bool reader_is_direct(const reader *r)
{
    return r->direct;
}

static ssize_t reader_fail(reader *r, int e, char *err, size_t errlen)
{
    snprintf(err, errlen, "reading the input at offset %" PRIu64 ": %s", r->pos,
             e ? strerror(e) : "the file became shorter");
    return -1;
}

/* pread's descriptor, opened at the first pread: a reader that stays
 * direct never needs one, nor does a small chunk's (the caller's will do:
 * pread takes its own offset). */
static int reader_pread_fd(reader *r)
{
    if (r->fd < 0 && r->small)
        r->fd = r->src;
    if (r->fd < 0) {
        r->fd = reader_reopen(r->src, 0);
        r->own_fd = r->fd >= 0;
        if (r->own_fd)
            posix_fadvise(r->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
        else
            r->fd = r->src;   /* without /proc: the shared descriptor still works, only slower */
    }
    return r->fd;
}

static ssize_t reader_pread(reader *r, char *buf, size_t want, char *err, size_t errlen)
{
    int fd = reader_pread_fd(r);
    ssize_t n;
    do
        n = pread(fd, buf, want, (off_t)r->pos);
    while (n < 0 && errno == EINTR);
    if (n <= 0)
        return reader_fail(r, n == 0 ? 0 : errno, err, errlen);
    r->pos += (uint64_t)n;
    return n;
}

/* From the ring: what the head blocks hold, waiting only while not one
 * byte is in hand. */
static ssize_t reader_direct(reader *r, char *buf, size_t want, char *err, size_t errlen)
{
    size_t done = 0;
    while (done < want && r->pos < r->end) {
        reader_block *b = &r->blk[r->head];
        if (!reader_done(b, done == 0))
            break;   /* something is in hand already: let it go */
        if (b->got < 0) {
            /* The kernel or the filesystem said no: pread takes over at
             * this very byte. */
            if (done)
                break;
            reader_go_buffered(r);
            return reader_pread(r, buf, want, err, errlen);
        }
        uint64_t off = r->pos - b->at;
        if (off >= (uint64_t)b->got) {
            if (done)
                break;
            return reader_fail(r, 0, err, errlen);   /* the file ended inside the chunk */
        }
        size_t n = (size_t)((uint64_t)b->got - off);
        if (n > want - done)
            n = want - done;
        memcpy(buf + done, b->buf + off, n);
        done += n;
        r->pos += n;
        if (r->pos == b->at + r->bsize) {
            /* Drained: it takes the range after the last one in flight. */
            if (!reader_submit(r, b)) {
                reader_go_buffered(r);
                break;
            }
            r->head = (r->head + 1) % r->nblk;
        }
    }
    return (ssize_t)done;
}

ssize_t reader_read(reader *r, char *buf, size_t want, char *err, size_t errlen)
{
    if (r->pos >= r->end || want == 0)
        return 0;
    if (want > r->end - r->pos)
        want = (size_t)(r->end - r->pos);
    /* The ring always yields a byte or an error (it waits for the head
     * block, or hands over to pread itself). */
    return r->direct ? reader_direct(r, buf, want, err, errlen)
                     : reader_pread(r, buf, want, err, errlen);
}

void reader_rewind(reader *r)
{
    if (r->direct)
        reader_drain(r);
    r->pos = r->start;
    if (r->direct && !reader_fill(r))
        reader_go_buffered(r);
}

void reader_close(reader *r)
{
    if (!r)
        return;
    reader_go_buffered(r);
    if (r->own_fd)
        close(r->fd);
    free(r);
}
