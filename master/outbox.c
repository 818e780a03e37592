/*
 * outbox.c - per-chunkserver queues of what the master owes each
 * chunkserver (deletions, verifications, repair copies), filled by request
 * threads and drained by heartbeats. One mutex guards them all; every
 * operation is a short copy. Must never talk to a chunkserver
 * itself, and never hold the namespace lock (callers pass what they need).
 */
#include "outbox.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "protocol.h"
#include "registry.h"

typedef struct {
    char id[CHUNKID_BUF];
    uint64_t version;   /* a deletion: > 0; a verification or copy: 0 */
    char target[PROTO_MAX_SERVER_ADDR];   /* a copy: where to; "": not a copy */
} outbox_item;

typedef struct {
    outbox_item *items;
    size_t n, cap;
} outbox_queue;

struct outbox {
    pthread_mutex_t mu;
    outbox_queue q[REGISTRY_MAX];
};

outbox *outbox_new(void)
{
    outbox *o = calloc(1, sizeof *o);
    if (o)
        pthread_mutex_init(&o->mu, NULL);
    return o;
}

void outbox_free(outbox *o)
{
    if (!o)
        return;
    for (size_t i = 0; i < REGISTRY_MAX; i++)
        free(o->q[i].items);
    pthread_mutex_destroy(&o->mu);
    free(o);
}

static void outbox_push(outbox *o, uint16_t server, const char *id, uint64_t version, const char *target)
{
    if (server >= REGISTRY_MAX)
        return;
    pthread_mutex_lock(&o->mu);
    outbox_queue *q = &o->q[server];
    if (q->n == q->cap) {
        size_t cap = q->cap ? q->cap * 2 : 64;
        outbox_item *it = realloc(q->items, cap * sizeof *it);
        if (!it) {
            /* Dropped: the full report finds the chunk again later. */
            pthread_mutex_unlock(&o->mu);
            return;
        }
        q->items = it;
        q->cap = cap;
    }
    snprintf(q->items[q->n].id, sizeof q->items[q->n].id, "%s", id);
    snprintf(q->items[q->n].target, sizeof q->items[q->n].target, "%s", target ? target : "");
    q->items[q->n++].version = version;
    pthread_mutex_unlock(&o->mu);
}

void outbox_delete(outbox *o, uint16_t server, const char *chunk_id, uint64_t version)
{
    /* Version 0 would mean "verify"; a chunk of version 0 (unknown) is
     * deleted as "no newer than 1", which covers it. */
    outbox_push(o, server, chunk_id, version ? version : 1, NULL);
}

void outbox_delete_doomed(outbox *o, const ns_doomed *d)
{
    for (size_t i = 0; i < d->n; i++) {
        char id[CHUNKID_BUF];
        chunkid_format(id, d->fileid, d->items[i].index);
        outbox_delete(o, d->items[i].server, id, d->items[i].version);
    }
}

void outbox_verify(outbox *o, uint16_t server, const char *chunk_id)
{
    outbox_push(o, server, chunk_id, 0, NULL);
}

void outbox_copy(outbox *o, uint16_t server, const char *chunk_id, const char *target)
{
    outbox_push(o, server, chunk_id, 0, target);
}

void outbox_take(outbox *o, uint16_t server, size_t max, size_t max_copies, json_t **del,
                 json_t **ver, json_t **copy)
{
    *del = json_array();
    *ver = json_array();
    *copy = json_array();
    if (server >= REGISTRY_MAX)
        return;
    pthread_mutex_lock(&o->mu);
    outbox_queue *q = &o->q[server];
    size_t kept = 0, taken = 0, copies = 0;
    /* The oldest first; copies beyond max_copies wait for a later beat. */
    for (size_t i = 0; i < q->n; i++) {
        outbox_item *it = &q->items[i];
        bool is_copy = it->target[0] != '\0';
        if (taken < max && (!is_copy || copies < max_copies)) {
            taken++;
            if (is_copy) {
                copies++;
                json_array_append_new(*copy, json_pack("[s,s]", it->id, it->target));
            } else if (it->version) {
                json_array_append_new(*del, json_pack("[s,I]", it->id, (json_int_t)it->version));
            } else {
                json_array_append_new(*ver, json_string(it->id));
            }
        } else {
            if (kept != i)
                q->items[kept] = *it;
            kept++;
        }
    }
    q->n = kept;
    pthread_mutex_unlock(&o->mu);
}

size_t outbox_pending(outbox *o, uint16_t server)
{
    if (server >= REGISTRY_MAX)
        return 0;
    pthread_mutex_lock(&o->mu);
    size_t n = o->q[server].n;
    pthread_mutex_unlock(&o->mu);
    return n;
}
