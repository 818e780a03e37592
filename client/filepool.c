/*
 * filepool.c - the worker threads and bounded queue of filepool.h. Holds
 * at most FILEPOOL_QUEUE pairs (two paths and a small JSON each) however
 * large the tree;
 * the producer waits for room. Must never run fn under its lock.
 */
#include "filepool.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define FILEPOOL_QUEUE 256
#define FILEPOOL_MAX_WORKERS 64

typedef struct {
    char *src, *dest;
    json_t *known;
} filepool_job;

struct filepool {
    pthread_mutex_t mu;
    pthread_cond_t room, work;
    filepool_job q[FILEPOOL_QUEUE];
    unsigned head, len;
    bool closing, failed;
    filepool_fn fn;
    void *ud;
    pthread_t threads[FILEPOOL_MAX_WORKERS];
    unsigned nthreads;
};

static void *filepool_worker(void *arg)
{
    filepool *p = arg;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (p->len == 0 && !p->closing)
            pthread_cond_wait(&p->work, &p->mu);
        if (p->len == 0)
            break;
        filepool_job j = p->q[p->head];
        p->head = (p->head + 1) % FILEPOOL_QUEUE;
        p->len--;
        pthread_cond_signal(&p->room);
        pthread_mutex_unlock(&p->mu);
        bool ok = p->fn(p->ud, j.src, j.dest, j.known);
        free(j.src);
        free(j.dest);
        json_decref(j.known);
        pthread_mutex_lock(&p->mu);
        if (!ok)
            p->failed = true;
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

filepool *filepool_new(unsigned workers, filepool_fn fn, void *ud)
{
    filepool *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->room, NULL);
    pthread_cond_init(&p->work, NULL);
    p->fn = fn;
    p->ud = ud;
    if (workers > FILEPOOL_MAX_WORKERS)
        workers = FILEPOOL_MAX_WORKERS;
    for (unsigned i = 0; i < workers; i++)
        if (pthread_create(&p->threads[p->nthreads], NULL, filepool_worker, p) == 0)
            p->nthreads++;
    if (p->nthreads == 0) {
        pthread_mutex_destroy(&p->mu);
        pthread_cond_destroy(&p->room);
        pthread_cond_destroy(&p->work);
        free(p);
        return NULL;
    }
    return p;
}

bool filepool_add(filepool *p, const char *src, const char *dest, json_t *known)
{
    /* The worker gets a copy of its own: no JSON value is shared between
     * threads (jansson's reference counts are atomic, but what they order
     * is invisible to a race detector, and one page's values are freed by
     * the thread that listed them). */
    filepool_job j = { strdup(src), strdup(dest), known ? json_deep_copy(known) : NULL };
    if (!j.src || !j.dest || (known && !j.known)) {
        free(j.src);
        free(j.dest);
        json_decref(j.known);
        return false;
    }
    pthread_mutex_lock(&p->mu);
    while (p->len == FILEPOOL_QUEUE)
        pthread_cond_wait(&p->room, &p->mu);
    p->q[(p->head + p->len) % FILEPOOL_QUEUE] = j;
    p->len++;
    pthread_cond_signal(&p->work);
    pthread_mutex_unlock(&p->mu);
    return true;
}

bool filepool_finish(filepool *p)
{
    pthread_mutex_lock(&p->mu);
    p->closing = true;
    pthread_cond_broadcast(&p->work);
    pthread_mutex_unlock(&p->mu);
    for (unsigned i = 0; i < p->nthreads; i++)
        pthread_join(p->threads[i], NULL);
    bool ok = !p->failed;
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->room);
    pthread_cond_destroy(&p->work);
    free(p);
    return ok;
}
