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
 *
 * An operator may decommission a server: it gets no new chunks (it is
 * left out of registry_live_info) while repair copies what it holds
 * elsewhere; the census (census.h) counts, per server, the chunks it
 * holds and those still short of copies without it, and the server is
 * decommissioned once a census begun after the order finds none.
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
/* A live server's own message other than a heartbeat (a page of its full
 * report, which can take longer than dead_after_ms to send to a busy
 * master, and stops its heartbeats meanwhile): keeps it live. A silent
 * server must register again to be live. */
void registry_touch(registry *r, uint16_t index, int64_t now_ms);
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
/* The live list as a heartbeat answers it: its version (16 hex digits, a
 * digest; changes whenever the list does) and, unless out is NULL, up to
 * max indices. At most REGISTRY_MEMBERS_MS old (a server that dies is
 * listed that much longer); a join, a return or a shunning shows at once.
 * Returns how many are live. */
size_t registry_members(registry *r, int64_t now_ms, char version[17], uint16_t *out,
                        size_t max);

/* Decommission (on) or recommission (off) index; census_seq is the number
 * of the census now under way (census.h), so that only a later one may
 * call it drained. */
void registry_set_draining(registry *r, uint16_t index, bool on, uint64_t census_seq);
bool registry_draining(const registry *r, uint16_t index);
/* What census census_seq found on index: chunks held, and of those,
 * chunks that would be short of copies without it. */
void registry_set_census(registry *r, uint16_t index, uint64_t held, uint64_t needed,
                         uint64_t census_seq);
/* Notes whether index is now dead; true when that changed (a line for the
 * log). */
bool registry_note_dead(registry *r, uint16_t index, bool dead);

/* All the master knows of one server, for reports and the dashboard. */
typedef struct {
    const char *addr;
    char rack[REGISTRY_RACK_MAX];
    uint64_t capacity, used;
    uint32_t load;
    int64_t last_seen_ms;     /* monotonic */
    bool heard, shunned, draining, drained;
    uint64_t held, needed;
    const char *state;        /* live, unreachable, dead, decommissioning, decommissioned */
} registry_view;
void registry_view_of(registry *r, uint16_t index, int64_t now_ms, registry_view *v);

/* Milliseconds on a monotonic clock. */
int64_t registry_now_ms(void);

#endif
