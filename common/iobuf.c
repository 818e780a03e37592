/*
 * iobuf.c - pooled buffers for direct I/O (the chunkserver's staging
 * buffers, the client's read-ahead blocks).
 *
 * Direct I/O wants aligned memory, and the layout of that memory decides
 * how many requests the device sees: the benchmark machine's disk takes at
 * most 254 segments per request, so 1 MiB on scattered 4 KiB pages goes
 * out as two requests (1,016 KiB and 8 KiB), while 1 MiB inside a 2 MiB
 * huge page is one. New memory is costly as well: on a virtual machine
 * that hands freed pages back to its host, every page the process faults
 * in anew is a trip to the host. So a pool carves its buffers out of 2 MiB
 * slabs, asks for huge pages for them (madvise; a kernel without them
 * gives small pages and everything still works), touches each slab once
 * so its pages exist before the first transfer, and hands the buffers out
 * again and again. Slabs stay with the pool until it is freed: what it
 * holds is the most that was ever in use at once.
 *
 * Any thread may get and put. The pool never hands one buffer to two
 * holders and never frees a slab while the pool lives.
 */
#include "iobuf.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* A free buffer's first bytes link it to the next free one. */
typedef struct iobuf_free {
    struct iobuf_free *next;
} iobuf_free;

struct iobuf_pool {
    size_t size;          /* each buffer */
    size_t slab;          /* each slab: IOBUF_SLAB, or size when larger */
    pthread_mutex_t mu;
    iobuf_free *free;
    void **slabs;
    size_t nslabs, cap;
};

static bool iobuf_size_ok(size_t size)
{
    if (size >= IOBUF_SLAB)
        return size % IOBUF_SLAB == 0;
    return size >= IOBUF_ALIGN && (size & (size - 1)) == 0;
}

iobuf_pool *iobuf_pool_new(size_t size)
{
    if (!iobuf_size_ok(size))
        return NULL;
    iobuf_pool *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->size = size;
    p->slab = size > IOBUF_SLAB ? size : IOBUF_SLAB;
    pthread_mutex_init(&p->mu, NULL);
    return p;
}

size_t iobuf_size(const iobuf_pool *p)
{
    return p->size;
}

/* A new slab, cut into buffers on the free list. Under p->mu. */
static bool iobuf_grow(iobuf_pool *p)
{
    if (p->nslabs == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 8;
        void **s = realloc(p->slabs, cap * sizeof *s);
        if (!s)
            return false;
        p->slabs = s;
        p->cap = cap;
    }
    char *m = aligned_alloc(IOBUF_SLAB, p->slab);
    if (!m)
        return false;
    madvise(m, p->slab, MADV_HUGEPAGE);
    memset(m, 0, p->slab);   /* fault it in now, as huge pages if there are any */
    p->slabs[p->nslabs++] = m;
    for (size_t off = p->slab; off >= p->size; off -= p->size) {
        iobuf_free *f = (iobuf_free *)(m + off - p->size);
        f->next = p->free;
        p->free = f;
    }
    return true;
}

void *iobuf_get(iobuf_pool *p)
{
    pthread_mutex_lock(&p->mu);
    iobuf_free *f = p->free;
    if (!f && iobuf_grow(p))
        f = p->free;
    if (f)
        p->free = f->next;
    pthread_mutex_unlock(&p->mu);
    return f;
}

void iobuf_put(iobuf_pool *p, void *b)
{
    if (!b)
        return;
    iobuf_free *f = b;
    pthread_mutex_lock(&p->mu);
    f->next = p->free;
    p->free = f;
    pthread_mutex_unlock(&p->mu);
}

size_t iobuf_pool_bytes(iobuf_pool *p)
{
    pthread_mutex_lock(&p->mu);
    size_t n = p->nslabs * p->slab;
    pthread_mutex_unlock(&p->mu);
    return n;
}

void iobuf_pool_free(iobuf_pool *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->nslabs; i++)
        free(p->slabs[i]);
    free(p->slabs);
    pthread_mutex_destroy(&p->mu);
    free(p);
}
