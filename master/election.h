/*
 * election.h - which master of a cluster is the active one, decided in
 * etcd: the key <prefix>/leader, made by a transaction only while it is
 * absent and held under the maker's lease, names the active master; the
 * revision that made it is the master's term. Every change the active
 * master commits is conditioned on that key still being the one of its
 * term, so a deposed master's commits fail however late they arrive, and
 * a master whose lease it could not renew stops counting itself active
 * before etcd can let another take over.
 */
#ifndef MINIDFS_ELECTION_H
#define MINIDFS_ELECTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "etcd.h"

#define ELECTION_MAX_NAME 256

typedef struct election election;

/* A contender for cluster's active master, known to the others as me
 * (its advertised address), under leases of ttl_s seconds (2 or more);
 * it campaigns on its first step. NULL with err set when a name is
 * empty or too long. */
election *election_new(etcd *e, const char *cluster, const char *me, int64_t ttl_s, char *err,
                       size_t errlen);
/* Resigns first if active. */
void election_free(election *el);
/* Commits go through e from now on (set before any): a client with a
 * longer timeout than the one that renews the lease, which must fail over
 * to another member fast enough to renew in time. */
void election_commit_through(election *el, etcd *e);

/* One round, to be run well within the TTL (a third of it, say): an
 * active master renews its lease; another campaigns if there is no
 * leader. *active: whether this one is active now; leader (may be NULL):
 * the active master's name, "" when none is known. False with err set
 * when etcd could not be asked (the role is then what was last known,
 * and election_active says how long it may still be trusted). */
bool election_step(election *el, bool *active, char *leader, size_t leaderlen, char *err,
                   size_t errlen);
/* Whether this master may act as the active one at monotonic time
 * now_ms: it won, and the lease it last renewed is surely still running
 * (its renewal was asked before now_ms - ttl, less a margin for clocks
 * that run at slightly different rates). */
bool election_active(const election *el, int64_t now_ms);
/* The term of the active master (the revision its leader key was made
 * at); 0 when not active. */
int64_t election_term(const election *el);
/* Makes ops (puts and deletes, at most ETCD_MAX_TXN - 1) in one
 * transaction, only if this master's leader key is still the one of its
 * term: true when done; false with *deposed set when another term began
 * (the master must step down: el counts itself standby from then), or
 * with err set when etcd could not be asked. */
bool election_commit(election *el, const etcd_op *ops, size_t nops, bool *deposed, char *err,
                     size_t errlen);
/* Gives up being active at once (revokes the lease, so that a standby
 * need not wait for it to run out). */
void election_resign(election *el);

#endif
