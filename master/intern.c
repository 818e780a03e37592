/*
 * intern.c - the set of owner and group names (intern.h): the names by
 * number in a fixed array read without a lock, and an open-addressing
 * table of numbers by name under one mutex. Owns the table and every
 * string; must never free or change a string it handed out (nodes keep
 * its number without counting), never reuse a number, and never keep
 * more than INTERN_MAX.
 */
#include "intern.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t intern_mu = PTHREAD_MUTEX_INITIALIZER;
/* [1 .. intern_n]: the names; published with release, read with acquire */
static _Atomic(const char *) intern_names[INTERN_MAX + 1];
static uint32_t *intern_slots;   /* numbers by name; 0: empty slot */
static size_t intern_nslots;     /* a power of two, kept at most half full */
static size_t intern_n;

static size_t intern_hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;   /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return (size_t)h;
}

/* The slot of s in slots: its number, or the empty slot it would take. */
static uint32_t *intern_find(uint32_t *slots, size_t nslots, const char *s)
{
    size_t i = intern_hash(s) & (nslots - 1);
    while (slots[i] && strcmp(atomic_load_explicit(&intern_names[slots[i]],
                                                   memory_order_relaxed), s) != 0)
        i = (i + 1) & (nslots - 1);
    return &slots[i];
}

static int intern_grow(void)
{
    size_t n = intern_nslots ? intern_nslots * 2 : 64;
    uint32_t *slots = calloc(n, sizeof *slots);
    if (!slots)
        return -1;
    for (size_t i = 0; i < intern_nslots; i++)
        if (intern_slots[i])
            *intern_find(slots, n, atomic_load_explicit(&intern_names[intern_slots[i]],
                                                        memory_order_relaxed)) = intern_slots[i];
    free(intern_slots);
    intern_slots = slots;
    intern_nslots = n;
    return 0;
}

uint32_t intern_id(const char *s)
{
    if (!s)
        return 0;
    uint32_t id = 0;
    pthread_mutex_lock(&intern_mu);
    if ((intern_n + 1) * 2 > intern_nslots && intern_n < INTERN_MAX && intern_grow() != 0)
        goto out;
    uint32_t *slot = intern_find(intern_slots, intern_nslots, s);
    if (!*slot && intern_n < INTERN_MAX) {
        char *copy = strdup(s);
        if (copy) {
            *slot = (uint32_t)++intern_n;
            atomic_store_explicit(&intern_names[*slot], copy, memory_order_release);
        }
    }
    id = *slot;
out:
    pthread_mutex_unlock(&intern_mu);
    return id;
}

const char *intern_at(uint32_t id)
{
    return id && id <= INTERN_MAX ? atomic_load_explicit(&intern_names[id], memory_order_acquire)
                                  : NULL;
}

size_t intern_count(void)
{
    pthread_mutex_lock(&intern_mu);
    size_t n = intern_n;
    pthread_mutex_unlock(&intern_mu);
    return n;
}
