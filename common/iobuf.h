/*
 * iobuf.h - pooled buffers for direct I/O: aligned, on huge pages where the
 * kernel has them, and reused rather than given back.
 */
#ifndef MINIDFS_IOBUF_H
#define MINIDFS_IOBUF_H

#include <stddef.h>

/* The alignment of every buffer's address (and the granule direct I/O
 * needs for offsets and lengths on every device in use). */
#define IOBUF_ALIGN 4096u
/* The slab a pool carves its buffers from: one huge page. */
#define IOBUF_SLAB (2u << 20)

typedef struct iobuf_pool iobuf_pool;

/* Buffers of size bytes: a power of two from IOBUF_ALIGN to IOBUF_SLAB, or
 * a multiple of IOBUF_SLAB. NULL for any other size or out of memory. */
iobuf_pool *iobuf_pool_new(size_t size);
size_t iobuf_size(const iobuf_pool *p);

/* A buffer of the pool's size, or NULL when out of memory. Any thread. */
void *iobuf_get(iobuf_pool *p);
/* Back to the pool, once nothing (the kernel included) uses it. NULL is fine. */
void iobuf_put(iobuf_pool *p, void *b);

/* How many bytes of slabs the pool holds (in use or free). */
size_t iobuf_pool_bytes(iobuf_pool *p);

/* Every buffer must be back. NULL is fine. */
void iobuf_pool_free(iobuf_pool *p);

#endif
