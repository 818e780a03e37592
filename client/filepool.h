/*
 * filepool.h - many whole-file transfers at once: a bounded queue of
 * (source, destination) pairs, each with what is known of it already
 * (get -r: the layout its listing carried; put -r: a job of small files
 * to plan and send together, its pair then empty: what known means is
 * the worker function's business), and worker threads that take them, so
 * that `put -r` and `get -r` keep many files in flight (one master call
 * and one small chunk at a time each would leave the disk, the network
 * and the master's group commit idle between files).
 */
#ifndef MINIDFS_FILEPOOL_H
#define MINIDFS_FILEPOOL_H

#include <stdbool.h>

#include <jansson.h>

/* Moves one file; false when it failed (the function reports why). known
 * is the pair's JSON (NULL: none), borrowed for the call. Runs on a
 * worker thread: it must be safe to call from several at once. */
typedef bool (*filepool_fn)(void *ud, const char *src, const char *dest, json_t *known);

typedef struct filepool filepool;

/* workers threads running fn; NULL when none could start. */
filepool *filepool_new(unsigned workers, filepool_fn fn, void *ud);
/* Queues a pair and known (NULL: none), each copied for the worker;
 * waits while the queue is full. False when memory runs out (the pair is
 * then not queued). */
bool filepool_add(filepool *p, const char *src, const char *dest, json_t *known);
/* Waits for every queued pair, stops the workers, frees p; true when
 * every transfer succeeded. */
bool filepool_finish(filepool *p);

#endif
