/*
 * registry.c - the chunkserver table. Entries are appended under a mutex
 * and never removed; an entry's address is written once before the entry
 * is published (count, and its slot in the index by address, are released
 * after it), so readers of an index below count, and lookups by address,
 * need no lock. The live list a heartbeat answers with is cached with its
 * version for REGISTRY_MEMBERS_MS, or until a server joins, returns or is
 * shunned or forgiven: a beat costs O(1), not O(servers). Last-seen times are atomics, updated by the thread
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

#include "chunkid.h"
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

/* Slots of the index by address: twice the most entries, so a probe ends
 * at an empty slot soon. */
#define REGISTRY_SLOTS (2 * REGISTRY_MAX)
/* How old the cached live list may get before a heartbeat computes it
 * again (a join, a return or a shunning does it at once). */
#define REGISTRY_MEMBERS_MS 100

struct registry {
    pthread_mutex_t lock;   /* serializes appends; guards rack and disk figures */
    _Atomic size_t count;
    int64_t dead_after_ms;
    registry_entry *e;
    /* entries by address: index + 1 (0: empty), written under the lock
     * and published with release, read without it */
    _Atomic uint16_t slots[REGISTRY_SLOTS];
    /* the live list as last computed, and its version */
    pthread_mutex_t members_mu;
    _Atomic bool members_dirty;
    int64_t members_at;
    uint16_t *members;
    size_t nmembers;
    char members_version[17];
};

/* chunkid_hash is FNV-1a over any string: an address spreads as well. */
static size_t registry_hash(const char *addr)
{
    return chunkid_hash(addr) % REGISTRY_SLOTS;
}

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
    r->members = calloc(REGISTRY_MAX, sizeof *r->members);
    if (!r->e || !r->members) {
        free(r->e);
        free(r->members);
        free(r);
        return NULL;
    }
    pthread_mutex_init(&r->lock, NULL);
    pthread_mutex_init(&r->members_mu, NULL);
    r->members_dirty = true;
    r->dead_after_ms = dead_after_ms;
    return r;
}

void registry_free(registry *r)
{
    if (!r)
        return;
    pthread_mutex_destroy(&r->lock);
    pthread_mutex_destroy(&r->members_mu);
    free(r->e);
    free(r->members);
    free(r);
}

int registry_find(const registry *r, const char *addr)
{
    for (size_t s = registry_hash(addr);; s = (s + 1) % REGISTRY_SLOTS) {
        unsigned v = atomic_load_explicit(&((registry *)r)->slots[s], memory_order_acquire);
        if (v == 0)
            return -1;
        if (strcmp(r->e[v - 1].addr, addr) == 0)
            return (int)v - 1;
    }
}

int registry_register(registry *r, const char *addr, int64_t now_ms)
{
    int i = registry_find(r, addr);
    if (i >= 0) {
        if (!registry_heard(r, (uint16_t)i, now_ms)) {
            registry_reachable(r, (uint16_t)i);   /* back after a silence: a new start */
            atomic_store(&r->members_dirty, true);
        }
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
            size_t s = registry_hash(addr);
            while (atomic_load(&r->slots[s]))
                s = (s + 1) % REGISTRY_SLOTS;
            atomic_store_explicit(&r->slots[s], (uint16_t)(n + 1), memory_order_release);
            atomic_store(&r->members_dirty, true);
            i = (int)n;
        }
    } else {
        atomic_store(&r->e[i].last_seen_ms, now_ms);
    }
    pthread_mutex_unlock(&r->lock);
    return i;
}

void registry_touch(registry *r, uint16_t index, int64_t now_ms)
{
    if (index < registry_count(r) && registry_heard(r, index, now_ms))
        atomic_store(&r->e[index].last_seen_ms, now_ms);
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
            atomic_store(&r->members_dirty, true);
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
    if (atomic_exchange(&e->shunned_until_ms, 0) != 0)
        atomic_store(&r->members_dirty, true);
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

size_t registry_members(registry *r, int64_t now_ms, char version[17], uint16_t *out,
                        size_t max)
{
    pthread_mutex_lock(&r->members_mu);
    if (atomic_exchange(&r->members_dirty, false) || now_ms - r->members_at >= REGISTRY_MEMBERS_MS ||
        now_ms < r->members_at) {
        r->nmembers = registry_live_list(r, now_ms, r->members, REGISTRY_MAX);
        r->members_at = now_ms;
        /* a digest of the indices: an index names one address for good */
        uint64_t h = 1469598103934665603ULL ^ r->nmembers;
        for (size_t i = 0; i < r->nmembers; i++) {
            h = (h ^ (r->members[i] & 0xff)) * 1099511628211ULL;
            h = (h ^ (r->members[i] >> 8)) * 1099511628211ULL;
        }
        snprintf(r->members_version, sizeof r->members_version, "%016llx", (unsigned long long)h);
    }
    memcpy(version, r->members_version, 17);
    size_t n = out ? (r->nmembers < max ? r->nmembers : max) : r->nmembers;
    if (out)
        memcpy(out, r->members, n * sizeof *out);
    pthread_mutex_unlock(&r->members_mu);
    return n;
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
