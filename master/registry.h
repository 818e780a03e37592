/*
 * registry.h - the chunkservers the master knows, by address.
 *
 * A chunkserver is identified by its canonical "HOST:PORT/" and given a
 * small index the first time it registers; the index never changes and is
 * never reused, so the namespace can store indices instead of strings.
 * Chunkservers re-register every heartbeat; one that has been silent for
 * dead_after_ms is not live and gets no new chunks. Nor is one the clients
 * cannot reach though it reaches the master: REGISTRY_SHUN_REPORTS client
 * reports within REGISTRY_SHUN_MS shun it for REGISTRY_SHUN_MS (no new
 * chunks, its copies counted out by repair, listed last to readers) -
 * never more than a minority of the live servers at once, so no client
 * can shun a cluster; a stored chunk from it, its return after a silence,
 * or its restart (a new incarnation) lifts it.
 */
#ifndef MINIDFS_REGISTRY_H
#define MINIDFS_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "protocol.h"

#define REGISTRY_MAX PROTO_MAX_CHUNKSERVERS
#define REGISTRY_RACK_MAX 64
#define REGISTRY_SHUN_REPORTS 3
#define REGISTRY_SHUN_MS 30000

/* What placement needs to know of one chunkserver. */
typedef struct {
    uint16_t index;
    char rack[REGISTRY_RACK_MAX];
    uint64_t capacity, used;     /* bytes of its --dir's file system; 0/0: unknown */
} registry_info;

typedef struct registry registry;

registry *registry_new(int64_t dead_after_ms);
void registry_free(registry *r);

/* Registers (or refreshes) addr: a heartbeat, the only thing that makes a
 * chunkserver live. Returns its index, or -1 when full. */
int registry_register(registry *r, const char *addr, int64_t now_ms);
/* Index of a registered addr, or -1. Leaves its last-seen time alone: a
 * message that names a server is not a sign of its life. */
int registry_find(const registry *r, const char *addr);
/* Records what a heartbeat says of a chunkserver's rack, disk and load
 * (transfers in progress). */
void registry_set_disk(registry *r, int index, const char *rack, uint64_t capacity,
                       uint64_t used, uint32_t load);
uint32_t registry_load(registry *r, uint16_t index);
/* Copies the live chunkservers' placement facts; returns how many. */
size_t registry_live_info(registry *r, int64_t now_ms, registry_info *out, size_t max);

/* The address of a valid index; the string lives as long as r. */
const char *registry_addr(const registry *r, uint16_t index);
/* Heard from within dead_after_ms, and not shunned. */
bool registry_live(const registry *r, uint16_t index, int64_t now_ms);
/* Heard from within dead_after_ms (whatever the clients say). */
bool registry_heard(const registry *r, uint16_t index, int64_t now_ms);
/* A client could not connect to index. True when that shuns it now. */
bool registry_report_unreachable(registry *r, uint16_t index, int64_t now_ms);
/* The registration's incarnation (drawn at each start of the server; 0:
 * none sent): a new one means the server restarted, which lifts a
 * shunning as a return after a silence does. */
void registry_set_incarnation(registry *r, uint16_t index, uint64_t incarnation);
/* Reachable after all (a chunk stored there): the reports are forgotten. */
void registry_reachable(registry *r, uint16_t index);
bool registry_shunned(const registry *r, uint16_t index, int64_t now_ms);
int64_t registry_last_seen(const registry *r, uint16_t index);
size_t registry_count(const registry *r);
/* Writes up to max live indices, in registration order; returns how many. */
size_t registry_live_list(const registry *r, int64_t now_ms, uint16_t *out, size_t max);

/* Milliseconds on a monotonic clock. */
int64_t registry_now_ms(void);

#endif
