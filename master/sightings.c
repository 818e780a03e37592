/*
 * sightings.c - the table of unknown replicas and when the master first
 * saw each (see sightings.h): open addressing on the chunk id's hash,
 * grown by doubling while it stays at most half full, pruned by copying
 * what is still fresh into a new array. One mutex; every call is short.
 * Must never answer a time earlier than the first sighting it recorded.
 */
#include "sightings.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chunkid.h"

#define SIGHTINGS_MIN_SLOTS 1024

typedef struct {
    bool used;
    uint16_t server;
    int64_t first_ms, last_ms;
    char id[CHUNKID_BUF];
} sightings_entry;

struct sightings {
    pthread_mutex_t mu;
    sightings_entry *slots;
    size_t nslots;   /* a power of two */
    size_t count, max;
};

sightings *sightings_new(size_t max)
{
    sightings *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->max = max;
    pthread_mutex_init(&s->mu, NULL);
    return s;
}

void sightings_free(sightings *s)
{
    if (!s)
        return;
    pthread_mutex_destroy(&s->mu);
    free(s->slots);
    free(s);
}

static size_t sightings_home(const sightings *s, uint16_t server, const char *id)
{
    return ((size_t)chunkid_hash(id) * 31u + server) & (s->nslots - 1);
}

/* The slot of (server, id), or the empty slot where it would go. */
static sightings_entry *sightings_find(sightings *s, uint16_t server, const char *id)
{
    for (size_t i = sightings_home(s, server, id);; i = (i + 1) & (s->nslots - 1)) {
        sightings_entry *e = &s->slots[i];
        if (!e->used || (e->server == server && strcmp(e->id, id) == 0))
            return e;
    }
}

/* Moves every entry fresher than the cutoff into a table of n slots. */
static bool sightings_rebuild(sightings *s, size_t n, int64_t cutoff_ms)
{
    sightings_entry *old = s->slots;
    size_t nold = s->nslots;
    sightings_entry *fresh = calloc(n, sizeof *fresh);
    if (!fresh)
        return false;
    s->slots = fresh;
    s->nslots = n;
    s->count = 0;
    for (size_t i = 0; i < nold; i++)
        if (old[i].used && old[i].last_ms >= cutoff_ms) {
            *sightings_find(s, old[i].server, old[i].id) = old[i];
            s->count++;
        }
    free(old);
    return true;
}

int64_t sightings_first(sightings *s, uint16_t server, const char *id, int64_t now_ms)
{
    int64_t first = now_ms;
    pthread_mutex_lock(&s->mu);
    if (!s->slots && !sightings_rebuild(s, SIGHTINGS_MIN_SLOTS, INT64_MIN))
        goto out;
    sightings_entry *e = sightings_find(s, server, id);
    if (e->used) {
        e->last_ms = now_ms;
        first = e->first_ms;
        goto out;
    }
    if (s->count >= s->max)
        goto out;   /* full: "just now", which only delays the collection */
    if (2 * (s->count + 1) > s->nslots) {
        if (!sightings_rebuild(s, 2 * s->nslots, INT64_MIN))
            goto out;
        e = sightings_find(s, server, id);
    }
    *e = (sightings_entry){ .used = true, .server = server, .first_ms = now_ms,
                            .last_ms = now_ms };
    snprintf(e->id, sizeof e->id, "%s", id);
    s->count++;
out:
    pthread_mutex_unlock(&s->mu);
    return first;
}

void sightings_prune(sightings *s, int64_t now_ms, int64_t idle_ms)
{
    pthread_mutex_lock(&s->mu);
    if (s->slots) {
        size_t n = s->nslots;
        while (n > SIGHTINGS_MIN_SLOTS && n / 8 > s->count)
            n /= 2;   /* shrink after a big collection */
        sightings_rebuild(s, n, now_ms - idle_ms);
    }
    pthread_mutex_unlock(&s->mu);
}

size_t sightings_count(sightings *s)
{
    pthread_mutex_lock(&s->mu);
    size_t n = s->count;
    pthread_mutex_unlock(&s->mu);
    return n;
}
