/*
 * ratelimit.c - per-address token buckets (see ratelimit.h): a fixed
 * table under one mutex, held for a hash and a little arithmetic. Never
 * allocates after ratelimit_new.
 */
#include "ratelimit.h"

#include <pthread.h>
#include <stdlib.h>

#define RATELIMIT_BUCKETS 4096u   /* a power of two */

typedef struct {
    double tokens;
    int64_t at_ms;   /* when tokens was last brought up to date (0: never) */
} ratelimit_bucket;

struct ratelimit {
    pthread_mutex_t mu;
    double rate, burst;
    ratelimit_bucket b[RATELIMIT_BUCKETS];
};

ratelimit *ratelimit_new(unsigned rate_per_s)
{
    ratelimit *rl = calloc(1, sizeof *rl);
    if (!rl)
        return NULL;
    pthread_mutex_init(&rl->mu, NULL);
    rl->rate = rate_per_s ? rate_per_s : 1;
    rl->burst = 2 * rl->rate;
    return rl;
}

void ratelimit_free(ratelimit *rl)
{
    if (!rl)
        return;
    pthread_mutex_destroy(&rl->mu);
    free(rl);
}

bool ratelimit_take(ratelimit *rl, const char *key, int64_t now_ms)
{
    uint32_t h = 2166136261u;   /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        h = (h ^ *p) * 16777619u;
    pthread_mutex_lock(&rl->mu);
    ratelimit_bucket *b = &rl->b[h & (RATELIMIT_BUCKETS - 1)];
    if (b->at_ms == 0) {
        b->tokens = rl->burst;
    } else if (now_ms > b->at_ms) {
        b->tokens += (double)(now_ms - b->at_ms) * rl->rate / 1000.0;
        if (b->tokens > rl->burst)
            b->tokens = rl->burst;
    }
    if (now_ms > b->at_ms)
        b->at_ms = now_ms;   /* a clock read that went back refills nothing */
    bool ok = b->tokens >= 1.0;
    if (ok)
        b->tokens -= 1.0;
    pthread_mutex_unlock(&rl->mu);
    return ok;
}
