/*
 * users.c - the table of a secure master's users (see users.h): a small
 * array in the namespace, under its lock, scanned by token digest on every
 * request (at most USERS_MAX entries of 32 bytes). Owns the user and
 * revoke records. Never stores, logs or journals a token, only its digest.
 */
#include "users.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "namespace_impl.h"
#include "sha256.h"

typedef struct users_entry {
    users_info info;
    uint8_t sha[SHA256_LEN];
    size_t open;   /* uploads in progress (namespace.c counts them) */
} users_entry;

bool users_name_valid(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > NS_PRINCIPAL_MAX || name[0] == '-' || name[0] == '.')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

bool users_token_sha(const char *token, uint8_t sha[SHA256_LEN])
{
    uint8_t raw[SHA256_LEN];
    return token && strlen(token) == USERS_TOKEN_LEN && sha256_from_hex(token, raw) &&
           sha256_digest(raw, sizeof raw, sha);
}

/* The index of name, or -1. */
static long users_find(const ns_table *ns, const char *name)
{
    for (size_t i = 0; i < ns->nusers; i++)
        if (strcmp(ns->users[i].info.name, name) == 0)
            return (long)i;
    return -1;
}

bool users_lookup(ns_table *ns, const char *token, int64_t now_ms, ns_who *out)
{
    uint8_t sha[SHA256_LEN];
    if (!users_token_sha(token, sha))
        return false;
    bool found = false;
    pthread_rwlock_rdlock(&ns->lock);
    for (size_t i = 0; i < ns->nusers && !found; i++) {
        const users_entry *e = &ns->users[i];
        if (memcmp(e->sha, sha, sizeof sha) != 0 || (e->info.until_ms && now_ms >= e->info.until_ms))
            continue;
        memset(out, 0, sizeof *out);
        memcpy(out->user, e->info.name, sizeof out->user);
        memcpy(out->group, e->info.group, sizeof out->group);
        out->super = e->info.super;
        found = true;
    }
    pthread_rwlock_unlock(&ns->lock);
    return found;
}

/* Puts a user in the table (replacing one of that name); the write lock
 * is held. */
static bool users_put(ns_table *ns, const users_info *info, const uint8_t sha[SHA256_LEN])
{
    long at = users_find(ns, info->name);
    if (at < 0) {
        if (ns->nusers >= USERS_MAX)
            return false;
        users_entry *grown = realloc(ns->users, (ns->nusers + 1) * sizeof *grown);
        if (!grown)
            return false;
        ns->users = grown;
        at = (long)ns->nusers++;
    }
    ns->users[at].info = *info;
    memcpy(ns->users[at].sha, sha, SHA256_LEN);
    ns->users[at].open = 0;
    return true;
}

static void users_remove(ns_table *ns, long at)
{
    memmove(&ns->users[at], &ns->users[at + 1], (ns->nusers - (size_t)at - 1) * sizeof *ns->users);
    ns->nusers--;
}

/* The user record of an entry (false when memory runs out). */
static bool users_record(const users_entry *e, record *r)
{
    memset(r, 0, sizeof *r);
    r->kind = RECORD_USER;
    r->super = e->info.super;
    r->made_ms = (uint64_t)e->info.made_ms;
    r->until_ms = (uint64_t)e->info.until_ms;
    memcpy(r->token_sha, e->sha, sizeof r->token_sha);
    if (!(r->name = strdup(e->info.name)) || !(r->group = strdup(e->info.group))) {
        record_clear(r);
        return false;
    }
    return true;
}

ns_status users_add(ns_table *ns, const char *name, const char *group, bool super,
                    int64_t now_ms, int64_t until_ms, char token[USERS_TOKEN_LEN + 1])
{
    if (!users_name_valid(name) || !users_name_valid(group) || until_ms < 0)
        return NS_BAD_SIZE;
    if (strcmp(name, USERS_ADMIN) == 0)
        return NS_EXISTS;
    uint8_t raw[SHA256_LEN];
    users_entry e = { 0 };
    if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw ||
        !sha256_digest(raw, sizeof raw, e.sha))
        return NS_NO_MEMORY;
    sha256_to_hex(raw, token);
    snprintf(e.info.name, sizeof e.info.name, "%s", name);
    snprintf(e.info.group, sizeof e.info.group, "%s", group);
    e.info.super = super;
    e.info.made_ms = now_ms;
    e.info.until_ms = until_ms;
    record r;
    if (!users_record(&e, &r))
        return NS_NO_MEMORY;
    pthread_rwlock_wrlock(&ns->lock);
    ns_status st = users_find(ns, name) >= 0 ? NS_EXISTS
                   : !users_put(ns, &e.info, e.sha) ? (ns->nusers >= USERS_MAX ? NS_BAD_SIZE
                                                                               : NS_NO_MEMORY)
                                                    : NS_OK;
    if (st == NS_OK)
        namespace_log(ns, &r);
    pthread_rwlock_unlock(&ns->lock);
    record_clear(&r);
    return st;
}

ns_status users_adopt_admin(ns_table *ns, const uint8_t sha[SHA256_LEN], int64_t now_ms)
{
    users_entry e = { .info = { .super = true, .made_ms = now_ms } };
    snprintf(e.info.name, sizeof e.info.name, "%s", USERS_ADMIN);
    snprintf(e.info.group, sizeof e.info.group, "%s", USERS_ADMIN);
    memcpy(e.sha, sha, sizeof e.sha);
    record r;
    if (!users_record(&e, &r))
        return NS_NO_MEMORY;
    pthread_rwlock_wrlock(&ns->lock);
    long at = users_find(ns, USERS_ADMIN);
    ns_status st = NS_OK;
    if (at < 0 || memcmp(ns->users[at].sha, sha, SHA256_LEN) != 0) {
        if (users_put(ns, &e.info, e.sha))
            namespace_log(ns, &r);
        else
            st = NS_NO_MEMORY;
    }
    pthread_rwlock_unlock(&ns->lock);
    record_clear(&r);
    return st;
}

ns_status users_revoke(ns_table *ns, const char *name)
{
    record r = { .kind = RECORD_REVOKE, .name = strdup(name) };
    if (!r.name)
        return NS_NO_MEMORY;
    pthread_rwlock_wrlock(&ns->lock);
    long at = users_find(ns, name);
    if (at >= 0) {
        users_remove(ns, at);
        namespace_log(ns, &r);
    }
    pthread_rwlock_unlock(&ns->lock);
    record_clear(&r);
    return at >= 0 ? NS_OK : NS_NOT_FOUND;
}

void users_each(ns_table *ns, void (*fn)(const users_info *u, void *ud), void *ud)
{
    pthread_rwlock_rdlock(&ns->lock);
    for (size_t i = 0; i < ns->nusers; i++)
        fn(&ns->users[i].info, ud);
    pthread_rwlock_unlock(&ns->lock);
}

bool users_apply_add(ns_table *ns, const record *r)
{
    if (!users_name_valid(r->name) || !r->group || !users_name_valid(r->group) ||
        r->made_ms > INT64_MAX || r->until_ms > INT64_MAX)
        return false;
    users_info info = { .super = r->super, .made_ms = (int64_t)r->made_ms,
                        .until_ms = (int64_t)r->until_ms };
    snprintf(info.name, sizeof info.name, "%s", r->name);
    snprintf(info.group, sizeof info.group, "%s", r->group);
    return users_put(ns, &info, r->token_sha);
}

bool users_apply_revoke(ns_table *ns, const record *r)
{
    long at = users_find(ns, r->name);
    if (at >= 0)
        users_remove(ns, at);
    return true;
}

bool users_dump(ns_table *ns, bool (*emit)(void *sink, const record *r), void *sink)
{
    bool ok = true;
    for (size_t i = 0; ok && i < ns->nusers; i++) {
        record r;
        ok = users_record(&ns->users[i], &r) && emit(sink, &r);
        record_clear(&r);
    }
    return ok;
}

size_t users_open(const ns_table *ns, const char *name)
{
    long at = name ? users_find(ns, name) : -1;
    return at >= 0 ? ns->users[at].open : 0;
}

void users_open_add(ns_table *ns, const char *name, int delta)
{
    long at = name ? users_find(ns, name) : -1;
    if (at >= 0 && delta > 0)
        ns->users[at].open++;
    else if (at >= 0 && ns->users[at].open > 0)
        ns->users[at].open--;
}

void users_clear(ns_table *ns)
{
    free(ns->users);
    ns->users = NULL;
    ns->nusers = 0;
}
