/*
 * users.h - the users of a secure master: who holds which bearer token.
 *
 * A user is a name, one group and a superuser flag, known by the SHA-256
 * of its token (never the token itself, which is printed once, when it is
 * made). Users are journalled and checkpointed with the namespace, so
 * they survive restarts (and will travel with its log). The first
 * superuser is not here: it is admin.token in the meta-dir (secure.h).
 * A token is 64 lowercase hex digits (32 random bytes), the same form as
 * a key file.
 */
#ifndef MINIDFS_USERS_H
#define MINIDFS_USERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "namespace.h"
#include "record.h"

#define USERS_MAX 1024          /* users one master keeps */
#define USERS_TOKEN_LEN 64      /* hex digits */
#define USERS_ADMIN "admin"     /* admin.token's holder: a reserved name */

/* A user or group name: 1 to NS_PRINCIPAL_MAX bytes of [A-Za-z0-9._-],
 * not starting with '-' or '.'. */
bool users_name_valid(const char *name);

/* What a token stands for, from its 64 hex digits; false when it is not
 * one (malformed, unknown, revoked or expired at now_ms, wall clock). */
bool users_lookup(ns_table *ns, const char *token, int64_t now_ms, ns_who *out);
/* The SHA-256 a token is known by (false when token is not 64 hex digits). */
bool users_token_sha(const char *token, uint8_t sha[SHA256_LEN]);

/* Adds a user with a new token, written to token (and journalled, the
 * caller makes it durable): NS_EXISTS when the name is taken (revoke it
 * first), NS_BAD_SIZE with USERS_MAX users already. until_ms: when the
 * token stops being good (wall clock; 0 never). */
ns_status users_add(ns_table *ns, const char *name, const char *group, bool super,
                    int64_t now_ms, int64_t until_ms, char token[USERS_TOKEN_LEN + 1]);
/* Journals admin.token's holder (USERS_ADMIN, a superuser) as a user known
 * by sha, unless it is one already with that token: the master that
 * founds an HA cluster does, so that every master of the cluster knows
 * the first superuser. */
ns_status users_adopt_admin(ns_table *ns, const uint8_t sha[SHA256_LEN], int64_t now_ms);
/* Revokes a user's token: NS_NOT_FOUND when there is no such user. */
ns_status users_revoke(ns_table *ns, const char *name);

typedef struct {
    char name[NS_PRINCIPAL_MAX + 1];
    char group[NS_PRINCIPAL_MAX + 1];
    bool super;
    int64_t made_ms, until_ms;
} users_info;
/* Calls fn for every user, in the order they were added, under the read
 * lock (fn must not call back into the namespace). */
void users_each(ns_table *ns, void (*fn)(const users_info *u, void *ud), void *ud);

/* The apply column of record.c's table for user and revoke records. */
bool users_apply_add(ns_table *ns, const record *r);
bool users_apply_revoke(ns_table *ns, const record *r);

#endif
