/*
 * allocate.c - deciding where chunks go, for every caller: the live
 * chunkservers as placement facts (uploads, allocations, repairs), and
 * chunk allocation, the one piece of logic behind both POST /allocate and
 * the stdio node's allocate_chunk: check the request, place a new chunk,
 * record it and its lease in the namespace, write the answer's fields.
 * Owns nothing; never does I/O, so any thread may call it.
 */
#include "allocate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonf.h"
#include "lease.h"
#include "protocol.h"

/* The host part of "HOST:PORT/". */
static size_t allocate_host_len(const char *addr)
{
    const char *colon = strrchr(addr, ':');
    return colon ? (size_t)(colon - addr) : strlen(addr);
}

/* Turns registry facts into placement facts: racks as small numbers, and
 * each server's closeness to the writer (same host, else same rack as a
 * server on the writer's host). */
static void allocate_facts(master *m, const registry_info *live, size_t n,
                               const char *writer_host, placement_server *out)
{
    const char *writer_rack = NULL;
    for (size_t i = 0; i < n; i++) {
        const char *a = registry_addr(m->reg, live[i].index);
        size_t hl = allocate_host_len(a);
        out[i] = (placement_server){ .index = live[i].index, .capacity = live[i].capacity,
                                     .used = live[i].used };
        out[i].rack = (uint16_t)i;
        for (size_t j = 0; j < i; j++)
            if (strcmp(live[j].rack, live[i].rack) == 0) {
                out[i].rack = out[j].rack;
                break;
            }
        if (writer_host && writer_host[0] && strlen(writer_host) == hl && strncmp(a, writer_host, hl) == 0) {
            out[i].closeness = 2;
            writer_rack = live[i].rack;
        }
    }
    for (size_t i = 0; writer_rack && i < n; i++)
        if (out[i].closeness == 0 && strcmp(live[i].rack, writer_rack) == 0)
            out[i].closeness = 1;
}

bool allocate_live_servers(master *m, const char *writer_host, placement_server **out, size_t *n)
{
    size_t cap = registry_count(m->reg) + 1;
    registry_info *live = malloc(cap * sizeof *live);
    *out = malloc(cap * sizeof **out);
    if (!live || !*out) {
        free(live);
        free(*out);
        *out = NULL;
        return false;
    }
    *n = registry_live_info(m->reg, registry_now_ms(), live, cap);
    allocate_facts(m, live, *n, writer_host, *out);
    free(live);
    return true;
}

bool allocate_parse(json_t *req, allocate_req *out, char *err, size_t errlen)
{
    long long index;
    if (!jsonf_string(req, PROTO_F_FILE, &out->file, err, errlen) ||
        !jsonf_int(req, PROTO_F_CHUNK_INDEX, 0, PROTO_MAX_CHUNKS - 1, &index, err, errlen))
        return false;
    if (out->file[0] == '\0' || strlen(out->file) > PROTO_MAX_FILE_NAME) {
        snprintf(err, errlen, "field \"%s\" must be 1 to %d bytes", PROTO_F_FILE,
                 PROTO_MAX_FILE_NAME);
        return false;
    }
    out->index = (uint32_t)index;
    return true;
}

ns_status allocate_chunk(master *m, const allocate_req *r, const ns_who *who,
                         const placement_server *servers, size_t nservers,
                         const char *(*name_of)(void *ud, uint16_t index), void *ud,
                         json_t *answer)
{
    uint16_t plan[PROTO_MAX_REPLICATION];
    unsigned nplan = placement_plan(&m->place, servers, nservers, 1, m->replication,
                                    m->chunk_size, plan);
    lease_allocation a;
    ns_status st = lease_allocate(m->ns, r->file, r->index, m->chunk_size, m->replication,
                                  who, plan, nplan, registry_now_ms(), m->lease_ms, &a);
    if (st != NS_OK)
        return st;
    json_t *secondaries = json_array();
    for (unsigned k = 1; k < a.nrep; k++)
        json_array_append_new(secondaries, json_string(name_of(ud, a.rep[k])));
    json_object_set_new(answer, PROTO_F_CHUNK_HANDLE, json_string(a.handle));
    json_object_set_new(answer, PROTO_F_PRIMARY, json_string(name_of(ud, a.rep[0])));
    json_object_set_new(answer, PROTO_F_SECONDARIES, secondaries);
    json_object_set_new(answer, PROTO_F_LEASE_MS, json_integer(a.lease_left_ms));
    json_object_set_new(answer, PROTO_F_VERSION, json_integer((json_int_t)a.version));
    return NS_OK;
}
