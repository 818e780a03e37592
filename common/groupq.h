/*
 * groupq.h - a group commit: threads that each need one costly act done
 * for them (an fsync that covers the name they just made, a request to
 * the master that carries their report) queue up, and one of them acts
 * for everyone queued at once. The first to find nobody acting acts; the
 * others sleep, each on its own semaphore, and are woken exactly once:
 * when an act has been done for them, or when it is their turn to act for
 * those who queued while the last act ran. Nobody is woken to find the
 * act was not theirs, and nobody wakes into a lock another just took,
 * which is what a condition variable and a broadcast cost per waiter.
 */
#ifndef MINIDFS_GROUPQ_H
#define MINIDFS_GROUPQ_H

#include <pthread.h>
#include <semaphore.h>
#include <stdbool.h>
#include <stddef.h>

/* The most entries one act covers. */
#define GROUPQ_MAX_BATCH 256u

/* A place in the queue; the caller embeds it in (or points it at) what
 * the act needs, and keeps it alive until groupq_run returns. */
typedef struct groupq_entry {
    void *item;                  /* the caller's: handed to the act */
    struct groupq_entry *next;   /* the queue's */
    sem_t wake;                  /* the queue's */
    bool done;                   /* the queue's: an act covered this entry */
} groupq_entry;

/* Acts for batch[0..n), n >= 1, on the thread whose turn it is, with no
 * lock held; whatever it must tell each entry it leaves in its item. */
typedef void (*groupq_act_fn)(void *ud, groupq_entry **batch, size_t n);

typedef struct groupq {
    pthread_mutex_t mu;
    groupq_entry *head, **tail;
    bool acting;                 /* a thread is between taking a batch and handing on */
    size_t max;
    groupq_act_fn act;
    void *ud;
} groupq;

/* max: entries per act, 1 to GROUPQ_MAX_BATCH (clamped). */
void groupq_init(groupq *q, size_t max, groupq_act_fn act, void *ud);
/* Nobody may be in groupq_run. */
void groupq_destroy(groupq *q);
/* Queues e (item set by the caller) and returns once an act has covered
 * it: an act that began after this call did, so it sees whatever the
 * caller did before calling. The act may run on this thread, for others
 * too, several times if more than max were queued ahead. */
void groupq_run(groupq *q, groupq_entry *e);

#endif
