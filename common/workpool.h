/*
 * workpool.h - a fixed set of threads that run the jobs handed to them,
 * first come first served. The chunkserver commits the items of a batch
 * on one, so that their flushes, renames and master reports overlap.
 */
#ifndef MINIDFS_WORKPOOL_H
#define MINIDFS_WORKPOOL_H

#include <stddef.h>

/* A job: the caller owns it, and keeps it alive until fn has returned;
 * fn may free it. */
typedef struct workpool_job {
    void (*fn)(struct workpool_job *job);
    struct workpool_job *next;   /* the pool's: the queue's link */
} workpool_job;

typedef struct workpool workpool;

/* Starts nthreads (at least 1) threads; NULL with a reason in err when
 * one cannot start. */
workpool *workpool_new(unsigned nthreads, const char *name, char *err, size_t errlen);
/* Queues job; a thread runs it soon. Never runs it on the caller's
 * thread, never fails: the queue is the jobs' own links. */
void workpool_submit(workpool *p, workpool_job *job);
/* Runs every job still queued, then stops and joins the threads (NULL:
 * nothing). No job may be submitted meanwhile. */
void workpool_free(workpool *p);

#endif
