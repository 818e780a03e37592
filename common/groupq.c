/*
 * groupq.c - the queue and hand-over of groupq.h. Owns the order of the
 * queue and who acts next; knows nothing of what an act does. Must never
 * run an act with its lock held, never let two acts run at once, never
 * return to a caller before an act taken after its call has covered it,
 * and never touch an entry after waking its owner (who may then return
 * and free it).
 */
#include "groupq.h"

#include <errno.h>

void groupq_init(groupq *q, size_t max, groupq_act_fn act, void *ud)
{
    pthread_mutex_init(&q->mu, NULL);
    q->head = NULL;
    q->tail = &q->head;
    q->acting = false;
    q->max = max < 1 ? 1 : max > GROUPQ_MAX_BATCH ? GROUPQ_MAX_BATCH : max;
    q->act = act;
    q->ud = ud;
}

void groupq_destroy(groupq *q)
{
    pthread_mutex_destroy(&q->mu);
}

static void groupq_sleep(groupq_entry *e)
{
    while (sem_wait(&e->wake) != 0 && errno == EINTR)
        ;
}

void groupq_run(groupq *q, groupq_entry *e)
{
    e->next = NULL;
    e->done = false;
    sem_init(&e->wake, 0, 0);
    pthread_mutex_lock(&q->mu);
    *q->tail = e;
    q->tail = &e->next;
    bool turn = !q->acting;
    q->acting = true;
    pthread_mutex_unlock(&q->mu);
    for (;;) {
        if (!turn) {
            groupq_sleep(e);
            if (e->done)   /* the poster wrote it before sem_post */
                break;
            /* else woken to act: e heads the queue */
        }
        groupq_entry *batch[GROUPQ_MAX_BATCH];
        size_t n = 0;
        pthread_mutex_lock(&q->mu);
        while (q->head && n < q->max) {
            batch[n++] = q->head;
            q->head = q->head->next;
        }
        if (!q->head)
            q->tail = &q->head;
        pthread_mutex_unlock(&q->mu);
        q->act(q->ud, batch, n);
        bool mine = false;
        for (size_t i = 0; i < n; i++) {
            if (batch[i] == e) {
                mine = true;
                continue;
            }
            batch[i]->done = true;
            sem_post(&batch[i]->wake);   /* its owner may return and free it now */
        }
        if (!mine) {
            turn = true;   /* more than max were ahead of e: act again */
            continue;
        }
        /* Hand on: whoever heads the queue acts next. It cannot leave
         * meanwhile (only an act covers it, and acting stays set). */
        pthread_mutex_lock(&q->mu);
        groupq_entry *next = q->head;
        if (!next)
            q->acting = false;
        pthread_mutex_unlock(&q->mu);
        if (next)
            sem_post(&next->wake);
        break;
    }
    sem_destroy(&e->wake);
}
