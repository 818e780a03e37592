/*
 * ticker.c - the periodic thread (see ticker.h). Owns its thread, mutex
 * and condition variable; the pause is a timed wait on the condition, so
 * ticker_stop never waits out a pause, and on the monotonic clock, so a
 * step of the wall clock (NTP at boot, an operator's date -s) neither
 * stretches a pause (a step back of N s would delay heartbeats by N s,
 * and past --dead-after-ms get a live server declared dead) nor cuts it
 * short. Must never hold its mutex while the callback runs: the callback
 * may block on the network.
 */
#include "ticker.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

struct ticker {
    long (*fn)(void *ud);
    void *ud;
    long first_delay_ms;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool stop;
    bool kicked;   /* call again without pausing */
};

static void *ticker_loop(void *arg)
{
    ticker *t = arg;
    long delay = t->first_delay_ms;
    pthread_mutex_lock(&t->lock);
    for (;;) {
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += delay / 1000;
        until.tv_nsec += (delay % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        while (!t->stop && !t->kicked &&
               pthread_cond_timedwait(&t->wake, &t->lock, &until) != ETIMEDOUT)
            ;
        if (t->stop)
            break;
        t->kicked = false;
        pthread_mutex_unlock(&t->lock);
        delay = t->fn(t->ud);
        if (delay < 0)
            delay = 0;
        pthread_mutex_lock(&t->lock);
    }
    pthread_mutex_unlock(&t->lock);
    return NULL;
}

ticker *ticker_start(long (*fn)(void *ud), void *ud, long first_delay_ms)
{
    ticker *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->fn = fn;
    t->ud = ud;
    t->first_delay_ms = first_delay_ms;
    pthread_mutex_init(&t->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&t->wake, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&t->thread, NULL, ticker_loop, t) != 0) {
        pthread_mutex_destroy(&t->lock);
        pthread_cond_destroy(&t->wake);
        free(t);
        return NULL;
    }
    return t;
}

void ticker_kick(ticker *t)
{
    if (!t)
        return;
    pthread_mutex_lock(&t->lock);
    t->kicked = true;
    pthread_cond_signal(&t->wake);
    pthread_mutex_unlock(&t->lock);
}

void ticker_stop(ticker *t)
{
    if (!t)
        return;
    pthread_mutex_lock(&t->lock);
    t->stop = true;
    pthread_cond_signal(&t->wake);
    pthread_mutex_unlock(&t->lock);
    pthread_join(t->thread, NULL);
    pthread_mutex_destroy(&t->lock);
    pthread_cond_destroy(&t->wake);
    free(t);
}
