/*
 * intern.c - the set of owner and group names (intern.h): an open-
 * addressing table of strings under one mutex. Owns the table and every
 * string in it; must never free or change a string it handed out (nodes
 * point at them without counting), and never keep more than INTERN_MAX.
 */
#include "intern.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t intern_mu = PTHREAD_MUTEX_INITIALIZER;
static char **intern_slots;   /* NULL: empty slot */
static size_t intern_nslots;  /* a power of two, kept at most half full */
static size_t intern_n;

static size_t intern_hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;   /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return (size_t)h;
}

static char **intern_find(char **slots, size_t nslots, const char *s)
{
    size_t i = intern_hash(s) & (nslots - 1);
    while (slots[i] && strcmp(slots[i], s) != 0)
        i = (i + 1) & (nslots - 1);
    return &slots[i];
}

static int intern_grow(void)
{
    size_t n = intern_nslots ? intern_nslots * 2 : 64;
    char **slots = calloc(n, sizeof *slots);
    if (!slots)
        return -1;
    for (size_t i = 0; i < intern_nslots; i++)
        if (intern_slots[i])
            *intern_find(slots, n, intern_slots[i]) = intern_slots[i];
    free(intern_slots);
    intern_slots = slots;
    intern_nslots = n;
    return 0;
}

const char *intern_name(const char *s)
{
    if (!s)
        return NULL;
    const char *r = NULL;
    pthread_mutex_lock(&intern_mu);
    if ((intern_n + 1) * 2 > intern_nslots && intern_n < INTERN_MAX && intern_grow() != 0)
        goto out;
    char **slot = intern_find(intern_slots, intern_nslots, s);
    if (!*slot && intern_n < INTERN_MAX && (*slot = strdup(s)))
        intern_n++;
    r = *slot;
out:
    pthread_mutex_unlock(&intern_mu);
    return r;
}

size_t intern_count(void)
{
    pthread_mutex_lock(&intern_mu);
    size_t n = intern_n;
    pthread_mutex_unlock(&intern_mu);
    return n;
}
