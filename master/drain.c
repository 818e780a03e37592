/*
 * drain.c - the decommissioned chunkservers as part of the namespace
 * (see drain.h): a small array of addresses under the namespace's lock,
 * changed only by an operator's order or its record's replay. Never talks
 * to the registry: the API and the registration sync it from here.
 */
#include "drain.h"

#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "namespace_impl.h"
#include "protocol.h"

static long drain_find(const ns_table *ns, const char *addr)
{
    for (size_t i = 0; i < ns->ndrained; i++)
        if (!strcmp(ns->drained[i], addr))
            return (long)i;
    return -1;
}

/* Under the write lock: the set as it should be; false when full. */
static bool drain_put(ns_table *ns, const char *addr, bool on)
{
    long at = drain_find(ns, addr);
    if (!on) {
        if (at >= 0)
            memmove(ns->drained[at], ns->drained[at + 1],
                    (ns->ndrained - (size_t)at - 1) * sizeof *ns->drained);
        ns->ndrained -= at >= 0;
        return true;
    }
    if (at >= 0)
        return true;
    if (ns->ndrained == PROTO_MAX_CHUNKSERVERS)
        return false;
    if (ns->ndrained == ns->drained_cap) {
        size_t cap = ns->drained_cap ? ns->drained_cap * 2 : 8;
        void *p = realloc(ns->drained, cap * sizeof *ns->drained);
        if (!p)
            return false;
        ns->drained = p;
        ns->drained_cap = cap;
    }
    snprintf(ns->drained[ns->ndrained++], sizeof *ns->drained, "%s", addr);
    return true;
}

/* A record's address must be what the registry keys servers by. */
static bool drain_addr_ok(const char *addr)
{
    char canon[PROTO_MAX_SERVER_ADDR], err[128];
    return addr && strlen(addr) < PROTO_MAX_SERVER_ADDR &&
           addr_canon_server(addr, NULL, canon, sizeof canon, err, sizeof err) &&
           !strcmp(canon, addr);
}

ns_status drain_set(ns_table *ns, const char *addr, bool on)
{
    if (!drain_addr_ok(addr))
        return NS_BAD_PATH;
    record r = { .kind = RECORD_DRAIN, .name = strdup(addr), .drain_on = on };
    if (!r.name)
        return NS_NO_MEMORY;
    pthread_rwlock_wrlock(&ns->lock);
    bool was = drain_find(ns, addr) >= 0;
    ns_status st = NS_OK;
    if (was != on) {
        if (drain_put(ns, addr, on))
            namespace_log(ns, &r);
        else
            st = NS_TOO_MANY;
    }
    pthread_rwlock_unlock(&ns->lock);
    record_clear(&r);
    return st;
}

bool drain_has(ns_table *ns, const char *addr)
{
    pthread_rwlock_rdlock(&ns->lock);
    bool on = ns->ndrained && drain_find(ns, addr) >= 0;
    pthread_rwlock_unlock(&ns->lock);
    return on;
}

bool drain_apply(ns_table *ns, const record *r)
{
    return drain_addr_ok(r->name) && drain_put(ns, r->name, r->drain_on);
}

bool drain_dump(ns_table *ns, bool (*emit)(void *sink, const record *r), void *sink)
{
    for (size_t i = 0; i < ns->ndrained; i++) {
        record r = { .kind = RECORD_DRAIN, .name = ns->drained[i], .drain_on = true };
        if (!emit(sink, &r))
            return false;
    }
    return true;
}

void drain_clear(ns_table *ns)
{
    free(ns->drained);
    ns->drained = NULL;
    ns->ndrained = ns->drained_cap = 0;
}
