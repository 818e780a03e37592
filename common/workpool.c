/*
 * workpool.c - the threads of a work pool and their queue (workpool.h).
 * Owns the threads and the queue, a list threaded through the jobs
 * themselves, so queueing needs no memory and cannot fail. Knows nothing
 * of what a job does; must never drop a queued job, and never hold its
 * lock while a job runs.
 */
#include "workpool.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct workpool {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    workpool_job *head, **tail;
    bool stop;
    unsigned n;
    pthread_t threads[];
};

static void *workpool_thread(void *arg)
{
    workpool *p = arg;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        workpool_job *j = p->head;
        if (!j) {
            if (p->stop)
                break;
            pthread_cond_wait(&p->cv, &p->mu);
            continue;
        }
        if (!(p->head = j->next))
            p->tail = &p->head;
        pthread_mutex_unlock(&p->mu);
        j->fn(j);   /* j may be gone after this */
        pthread_mutex_lock(&p->mu);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

workpool *workpool_new(unsigned nthreads, const char *name, char *err, size_t errlen)
{
    if (nthreads == 0)
        nthreads = 1;
    workpool *p = calloc(1, sizeof *p + nthreads * sizeof(pthread_t));
    if (!p) {
        snprintf(err, errlen, "%s: out of memory", name);
        return NULL;
    }
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    p->tail = &p->head;
    for (; p->n < nthreads; p->n++) {
        int e = pthread_create(&p->threads[p->n], NULL, workpool_thread, p);
        if (e) {
            snprintf(err, errlen, "%s: cannot start a thread: %s", name, strerror(e));
            workpool_free(p);
            return NULL;
        }
    }
    return p;
}

void workpool_submit(workpool *p, workpool_job *job)
{
    job->next = NULL;
    pthread_mutex_lock(&p->mu);
    *p->tail = job;
    p->tail = &job->next;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

void workpool_free(workpool *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->stop = true;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    for (unsigned i = 0; i < p->n; i++)
        pthread_join(p->threads[i], NULL);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    free(p);
}
