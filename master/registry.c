/*
 * registry.c - the chunkserver table. Entries are appended under a mutex
 * and never removed; an entry's address is written once before the entry
 * is published (count is released after it), so readers of an index below
 * count need no lock. Last-seen times are atomics, updated by the thread
 * that serves a chunkserver's heartbeat, and by nothing else; so are the
 * ends of shunning (clients could not reach the server), set under the
 * lock from the clients' reports.
 */
#include "registry.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "monotime.h"
#include "protocol.h"

typedef struct {
    char addr[PROTO_MAX_SERVER_ADDR];
    _Atomic int64_t last_seen_ms;
    _Atomic int64_t shunned_until_ms;   /* 0: not shunned */
    /* under the lock: */
    int64_t reports[REGISTRY_SHUN_REPORTS];   /* clients that could not connect: when */
    uint64_t incarnation;                     /* of its last registration (0: none) */
    unsigned next_report;
    char rack[REGISTRY_RACK_MAX];
    uint64_t capacity, used;
    uint32_t load;
    /* decommission (an operator's, never a peer's), and what the last
     * census found on the server (census.h) */
    _Atomic bool draining;
    _Atomic uint64_t drain_census;   /* the census number when draining began */
    _Atomic uint64_t held, needed;   /* chunks it holds; of those, ones short without it */
    _Atomic uint64_t census_seq;     /* the census that counted them */
    _Atomic bool said_dead;          /* the log said it is dead (census.c) */
} registry_entry;

struct registry {
    pthread_mutex_t lock;   /* serializes appends; guards rack and disk figures */
    _Atomic size_t count;
    int64_t dead_after_ms;
    registry_entry *e;
};

int64_t registry_now_ms(void)
{
    return monotime_ms();
}

registry *registry_new(int64_t dead_after_ms)
{
    registry *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->e = calloc(REGISTRY_MAX, sizeof *r->e);
    if (!r->e) {
        free(r);
        return NULL;
    }
    pthread_mutex_init(&r->lock, NULL);
    r->dead_after_ms = dead_after_ms;
    return r;
}

void registry_free(registry *r)
{
    if (!r)
        return;
    pthread_mutex_destroy(&r->lock);
    free(r->e);
    free(r);
}

int registry_find(const registry *r, const char *addr)
{
    size_t n = atomic_load_explicit(&r->count, memory_order_acquire);
    for (size_t i = 0; i < n; i++)
        if (strcmp(r->e[i].addr, addr) == 0)
            return (int)i;
    return -1;
}

int registry_register(registry *r, const char *addr, int64_t now_ms)
{
    int i = registry_find(r, addr);
    if (i >= 0) {
        if (!registry_heard(r, (uint16_t)i, now_ms))
            registry_reachable(r, (uint16_t)i);   /* back after a silence: a new start */
        atomic_store(&r->e[i].last_seen_ms, now_ms);
        return i;
    }
    if (strlen(addr) >= PROTO_MAX_SERVER_ADDR)
        return -1;
    pthread_mutex_lock(&r->lock);
    i = registry_find(r, addr);   /* another thread may have won the race */
    if (i < 0) {
        size_t n = atomic_load(&r->count);
        if (n < REGISTRY_MAX) {
            strcpy(r->e[n].addr, addr);
            strcpy(r->e[n].rack, "default");
            atomic_store(&r->e[n].last_seen_ms, now_ms);
            atomic_store_explicit(&r->count, n + 1, memory_order_release);
            i = (int)n;
        }
    } else {
        atomic_store(&r->e[i].last_seen_ms, now_ms);
    }
    pthread_mutex_unlock(&r->lock);
    return i;
}

const char *registry_addr(const registry *r, uint16_t index)
{
    return r->e[index].addr;
}

int64_t registry_last_seen(const registry *r, uint16_t index)
{
    return atomic_load(&r->e[index].last_seen_ms);
}

bool registry_heard(const registry *r, uint16_t index, int64_t now_ms)
{
    return now_ms - atomic_load(&r->e[index].last_seen_ms) <= r->dead_after_ms;
}

bool registry_shunned(const registry *r, uint16_t index, int64_t now_ms)
{
    return atomic_load(&r->e[index].shunned_until_ms) > now_ms;
}

bool registry_live(const registry *r, uint16_t index, int64_t now_ms)
{
    return registry_heard(r, index, now_ms) && !registry_shunned(r, index, now_ms);
}

bool registry_report_unreachable(registry *r, uint16_t index, int64_t now_ms)
{
    size_t n = registry_count(r);
    if (index >= n)
        return false;
    pthread_mutex_lock(&r->lock);
    registry_entry *e = &r->e[index];
    e->reports[e->next_report++ % REGISTRY_SHUN_REPORTS] = now_ms;
    bool all_recent = true;
    for (unsigned k = 0; k < REGISTRY_SHUN_REPORTS; k++)
        all_recent = all_recent && e->reports[k] && now_ms - e->reports[k] <= REGISTRY_SHUN_MS;
    bool shun = false;
    if (all_recent && registry_heard(r, index, now_ms)) {
        /* A minority at most: the servers heard from, and of them shunned. */
        size_t heard = 0, shunned = 0;
        for (size_t i = 0; i < n; i++) {
            if (!registry_heard(r, (uint16_t)i, now_ms))
                continue;
            heard++;
            shunned += i != index && registry_shunned(r, (uint16_t)i, now_ms);
        }
        shun = (shunned + 1) * 2 < heard;
        if (shun) {
            shun = !registry_shunned(r, index, now_ms);   /* newly */
            atomic_store(&e->shunned_until_ms, now_ms + REGISTRY_SHUN_MS);
        }
    }
    pthread_mutex_unlock(&r->lock);
    return shun;
}

void registry_set_incarnation(registry *r, uint16_t index, uint64_t incarnation)
{
    if (index >= registry_count(r) || incarnation == 0)
        return;
    pthread_mutex_lock(&r->lock);
    bool restarted = r->e[index].incarnation != incarnation;
    r->e[index].incarnation = incarnation;
    pthread_mutex_unlock(&r->lock);
    if (restarted)
        registry_reachable(r, index);
}

void registry_reachable(registry *r, uint16_t index)
{
    if (index >= registry_count(r))
        return;
    pthread_mutex_lock(&r->lock);
    registry_entry *e = &r->e[index];
    memset(e->reports, 0, sizeof e->reports);
    atomic_store(&e->shunned_until_ms, 0);
    pthread_mutex_unlock(&r->lock);
}

size_t registry_count(const registry *r)
{
    return atomic_load_explicit(&r->count, memory_order_acquire);
}

size_t registry_live_list(const registry *r, int64_t now_ms, uint16_t *out, size_t max)
{
    size_t n = registry_count(r), k = 0;
    for (size_t i = 0; i < n && k < max; i++)
        if (registry_live(r, (uint16_t)i, now_ms))
            out[k++] = (uint16_t)i;
    return k;
}

void registry_set_disk(registry *r, int index, const char *rack, uint64_t capacity,
                       uint64_t used, uint32_t load)
{
    pthread_mutex_lock(&r->lock);
    registry_entry *e = &r->e[index];
    snprintf(e->rack, sizeof e->rack, "%s", rack);
    e->capacity = capacity;
    e->used = used;
    e->load = load;
    pthread_mutex_unlock(&r->lock);
}

uint32_t registry_load(registry *r, uint16_t index)
{
    pthread_mutex_lock(&r->lock);
    uint32_t l = index < registry_count(r) ? r->e[index].load : 0;
    pthread_mutex_unlock(&r->lock);
    return l;
}

size_t registry_live_info(registry *r, int64_t now_ms, registry_info *out, size_t max)
{
    size_t n = registry_count(r), k = 0;
    pthread_mutex_lock(&r->lock);
    for (size_t i = 0; i < n && k < max; i++) {
        if (!registry_live(r, (uint16_t)i, now_ms) || atomic_load(&r->e[i].draining))
            continue;
        registry_info *o = &out[k++];
        o->index = (uint16_t)i;
        memcpy(o->rack, r->e[i].rack, sizeof o->rack);
        o->capacity = r->e[i].capacity;
        o->used = r->e[i].used;
    }
    pthread_mutex_unlock(&r->lock);
    return k;
}

void registry_set_draining(registry *r, uint16_t index, bool on, uint64_t census_seq)
{
    atomic_store(&r->e[index].drain_census, census_seq);
    atomic_store(&r->e[index].draining, on);
}

bool registry_draining(const registry *r, uint16_t index)
{
    return index < registry_count(r) && atomic_load(&r->e[index].draining);
}

void registry_set_census(registry *r, uint16_t index, uint64_t held, uint64_t needed,
                         uint64_t census_seq)
{
    registry_entry *e = &r->e[index];
    atomic_store(&e->held, held);
    atomic_store(&e->needed, needed);
    atomic_store(&e->census_seq, census_seq);
}

bool registry_note_dead(registry *r, uint16_t index, bool dead)
{
    return atomic_exchange(&r->e[index].said_dead, dead) != dead;
}

void registry_view_of(registry *r, uint16_t index, int64_t now_ms, registry_view *v)
{
    registry_entry *e = &r->e[index];
    memset(v, 0, sizeof *v);
    v->addr = e->addr;
    pthread_mutex_lock(&r->lock);
    memcpy(v->rack, e->rack, sizeof v->rack);
    v->capacity = e->capacity;
    v->used = e->used;
    v->load = e->load;
    pthread_mutex_unlock(&r->lock);
    v->last_seen_ms = atomic_load(&e->last_seen_ms);
    v->heard = registry_heard(r, index, now_ms);
    v->shunned = registry_shunned(r, index, now_ms);
    v->draining = atomic_load(&e->draining);
    v->held = atomic_load(&e->held);
    v->needed = atomic_load(&e->needed);
    /* drained: a census that began after the draining did finds nothing
     * that still needs this server's copies */
    v->drained = v->draining && atomic_load(&e->census_seq) > atomic_load(&e->drain_census) &&
                 v->needed == 0;
    if (v->drained)
        v->state = "decommissioned";
    else if (v->draining)
        v->state = v->heard ? "decommissioning" : "dead";
    else if (!v->heard)
        v->state = "dead";
    else if (v->shunned)
        v->state = "unreachable";
    else
        v->state = "live";
}
