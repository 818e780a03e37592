/*
 * reader.h - one upload's bytes: a chunk's range of the input file, handed
 * out in order and read ahead of the sender.
 *
 * A cold input is read with O_DIRECT and POSIX AIO, aligned blocks read
 * ahead of the caller; an input that is already cached,
 * or a filesystem that refuses direct I/O, is read with pread. Either way
 * the caller sees one sequential stream of exactly the chunk's bytes.
 */
#ifndef MINIDFS_READER_H
#define MINIDFS_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "iobuf.h"

typedef struct reader reader;

/* The bytes [offset, offset + length) of the open regular file fd (which
 * the reader never closes). Direct reads keep up to blocks buffers of pool
 * in flight (at most 8); with no pool, or fewer than two blocks for a
 * chunk that needs more, it only uses pread. NULL only when out of memory. */
reader *reader_open(int fd, uint64_t offset, uint64_t length, iobuf_pool *pool, unsigned blocks);

/* Up to want of the chunk's next bytes into buf: more than 0, 0 once the
 * whole chunk has been handed out, or -1 with err set (a read error, or
 * the file ended before the chunk did). Blocks only when not one byte is
 * ready yet. */
ssize_t reader_read(reader *r, char *buf, size_t want, char *err, size_t errlen);

/* Back to the chunk's first byte (a retried upload). If the read-ahead
 * cannot be restarted the reader carries on with pread. */
void reader_rewind(reader *r);

/* Whether the blocks come straight from the device (for tests). */
bool reader_is_direct(const reader *r);

/* Waits for any read still in flight, then frees everything. NULL is fine. */
void reader_close(reader *r);

#endif
