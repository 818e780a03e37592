/*
 * oplog.h - the operation log replicated through etcd: the bytes of the
 * active master's journal batches (the frames its log file holds), cut
 * into pieces of at most OPLOG_PIECE bytes under the keys
 * /minidfs/<cluster>/log/<piece number, 20 digits>, each piece put by a
 * transaction conditioned on the master's term (election.h) together
 * with /minidfs/<cluster>/loghead, the number of the piece to come. A
 * piece's value is its term (8 bytes, big-endian), a flag byte (1: the
 * last piece of its batch), then its bytes. A reader hands over whole
 * batches only, in order, and drops a batch a term left unfinished: that
 * master never acknowledged it. Compaction deletes the pieces below a
 * number the active master has in both its kept checkpoints (a master
 * further behind meets a gap and fetches a checkpoint), never the last.
 */
#ifndef MINIDFS_OPLOG_H
#define MINIDFS_OPLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "election.h"
#include "etcd.h"

/* A piece's bytes (below etcd's default 1.5 MiB request, base64 and all). */
#define OPLOG_PIECE (512u << 10)
/* A batch a reader assembles is at most this large. */
#define OPLOG_MAX_BATCH (512u << 20)
#define OPLOG_HEADER 9

typedef struct oplog oplog;

/* The active master's writer for cluster, committing under el's term. */
oplog *oplog_new(etcd *e, election *el, const char *cluster, char *err, size_t errlen);
void oplog_free(oplog *o);
/* Reads where the log goes on (the head key): the first thing a master
 * does in each term it is active; no ship goes out before it. */
bool oplog_resume(oplog *o, char *err, size_t errlen);
/* The number of the next piece. */
uint64_t oplog_next(const oplog *o);
/* Moves the head on to piece at when it is below (under the term): a
 * master that founds the log with a namespace it did not read from it
 * begins at 1, so that a reader from 0 meets a gap and fetches a
 * checkpoint instead of taking the log for the whole story. */
bool oplog_begin_at(oplog *o, uint64_t at, bool *deposed, char *err, size_t errlen);
/* Reads the head: the number of the piece to come (0: no log yet). */
bool oplog_head(etcd *e, const char *cluster, uint64_t *head, char *err, size_t errlen);
/* Puts len bytes (one journal batch, len > 0) as the next pieces: true
 * once etcd holds them all. Otherwise false, *deposed set when the term
 * ended; and after any failure every ship of the same term fails (a
 * batch cut short must end with its term, for readers to drop it: the
 * master steps down). */
bool oplog_ship(oplog *o, const char *buf, size_t len, bool *deposed, char *err, size_t errlen);
/* Deletes the pieces below number below (never the last one written). */
bool oplog_compact(oplog *o, uint64_t below, char *err, size_t errlen);

/* A reader of the log from a piece number on. */
typedef struct oplog_reader oplog_reader;
oplog_reader *oplog_reader_new(etcd *e, const char *cluster, uint64_t next, char *err,
                               size_t errlen);
void oplog_reader_free(oplog_reader *r);
/* Takes up to max pieces etcd holds from the reader's place on and hands
 * each batch they complete to fn (false from fn stops, with err set by
 * the reader); *batches: how many were handed over. False with err set
 * when etcd could not be asked, a piece is malformed, or pieces are
 * missing (compacted below the reader: it needs a checkpoint). */
typedef bool (*oplog_batch_fn)(void *ud, const char *buf, size_t len);
bool oplog_read(oplog_reader *r, size_t max, oplog_batch_fn fn, void *ud, size_t *batches,
                char *err, size_t errlen);
/* The piece after the last one whose batch was handed over (a reader
 * taken up again from there sees no batch twice). */
uint64_t oplog_reader_next(const oplog_reader *r);
/* The piece after the last one read, whole batch or not: below the head
 * once nothing more can be read, pieces are missing (compacted). */
uint64_t oplog_reader_at(const oplog_reader *r);

#endif
