/*
 * allocate.c - chunk allocation, the one piece of logic behind both
 * POST /allocate and the stdio node's allocate_chunk: check the request,
 * place a new chunk with the placement policy, record it and its lease in
 * the namespace, and write the answer's fields. Owns nothing; never does
 * I/O, so both front ends can call it from their own threads.
 */
#include "master.h"

#include <stdio.h>
#include <string.h>

#include "jsonf.h"
#include "protocol.h"

bool master_alloc_parse(json_t *req, master_alloc_req *out, char *err, size_t errlen)
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

ns_status master_alloc(master *m, const master_alloc_req *r, const placement_server *servers,
                       size_t nservers, const char *(*name_of)(void *ud, uint16_t index),
                       void *ud, json_t *answer)
{
    uint16_t plan[PROTO_MAX_REPLICATION];
    unsigned nplan = placement_plan(&m->place, servers, nservers, 1, m->replication,
                                    m->chunk_size, plan);
    ns_allocation a;
    ns_status st = namespace_allocate(m->ns, r->file, r->index, m->chunk_size, m->replication,
                                      plan, nplan, registry_now_ms(), m->lease_ms, &a);
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
