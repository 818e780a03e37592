/*
 * election.c - the active master's lease in etcd (election.h): the
 * campaign (a transaction that makes <prefix>/leader only where there is
 * none, under a lease granted for it), the renewal of that lease, the
 * local deadline past which a master that could not renew no longer
 * trusts itself, and the commit conditioned on the term. Owns its lease
 * and its role, under one mutex (the election thread steps, the journal
 * commits, request threads ask); etcd calls are made outside it. Must
 * never let a master count itself active on anything but a transaction
 * etcd answered or a renewal etcd granted.
 */
#include "election.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monotime.h"

struct election {
    etcd *e;
    etcd *ce;               /* commits go through this one (election_commit_through) */
    char key[ELECTION_MAX_NAME + 32];
    char me[ELECTION_MAX_NAME + 1];
    int64_t ttl_s;
    pthread_mutex_t mu;
    int64_t lease;          /* 0: none held */
    bool active;
    int64_t term;           /* the leader key's create revision while active */
    int64_t asked_ms;       /* when the lease's last grant or renewal was asked */
};

election *election_new(etcd *e, const char *cluster, const char *me, int64_t ttl_s, char *err,
                       size_t errlen)
{
    if (!cluster || !*cluster || strlen(cluster) > ELECTION_MAX_NAME || !me || !*me ||
        strlen(me) > ELECTION_MAX_NAME || ttl_s < 2) {
        snprintf(err, errlen, "an election needs a cluster and a name of 1 to %d bytes and a "
                 "lease of 2 s or more", ELECTION_MAX_NAME);
        return NULL;
    }
    election *el = calloc(1, sizeof *el);
    if (!el) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    el->e = el->ce = e;
    snprintf(el->key, sizeof el->key, "/minidfs/%s/leader", cluster);
    snprintf(el->me, sizeof el->me, "%s", me);
    el->ttl_s = ttl_s;
    pthread_mutex_init(&el->mu, NULL);
    return el;
}

void election_commit_through(election *el, etcd *e)
{
    el->ce = e;
}

void election_free(election *el)
{
    if (!el)
        return;
    election_resign(el);
    pthread_mutex_destroy(&el->mu);
    free(el);
}

/* Standby from now on; the lease it held, if any, is the caller's to end. */
static void election_lose_locked(election *el)
{
    el->active = false;
    el->term = 0;
}

/* Reads the leader key: whether there is one, its holder's name into
 * leader, and whether it is this master's own under lease (a campaign
 * whose answer was lost). */
static bool election_read(election *el, int64_t lease, bool *held, char *leader,
                          size_t leaderlen, int64_t *mine, char *err, size_t errlen)
{
    etcd_kv *kvs;
    size_t n;
    bool more;
    *mine = 0;
    *held = false;
    if (!etcd_range(el->e, el->key, strlen(el->key), false, 0, 0, &kvs, &n, &more, NULL, err,
                    errlen))
        return false;
    *held = n > 0;
    if (leader && leaderlen)   /* a name is text: to its first NUL, if it has one */
        snprintf(leader, leaderlen, "%s", n ? kvs[0].value : "");
    if (n && lease && kvs[0].lease == lease && strcmp(kvs[0].value, el->me) == 0)
        *mine = kvs[0].create_revision;
    etcd_kvs_free(kvs, n);
    return true;
}

/* A standby's round: the leader if there is one, else a campaign. */
static bool election_campaign(election *el, bool *active, char *leader, size_t leaderlen,
                              char *err, size_t errlen)
{
    pthread_mutex_lock(&el->mu);
    int64_t lease = el->lease;
    pthread_mutex_unlock(&el->mu);
    int64_t mine;
    bool held;
    if (!election_read(el, lease, &held, leader, leaderlen, &mine, err, errlen))
        return false;
    int64_t asked = monotime_ms(), ttl;
    if (!mine && held)
        return true;   /* another is active */
    if (!mine && !lease) {
        if (!etcd_lease_grant(el->e, el->ttl_s, &lease, &ttl, err, errlen))
            return false;
        pthread_mutex_lock(&el->mu);
        el->lease = lease;
        el->asked_ms = asked;
        pthread_mutex_unlock(&el->mu);
    }
    bool won = mine != 0;
    int64_t term = mine;
    if (!won) {
        etcd_compare absent = { .key = el->key, .keylen = strlen(el->key), .target = ETCD_CREATE,
                                .relation = ETCD_EQUAL, .number = 0 };
        etcd_op take = { .key = el->key, .keylen = strlen(el->key), .value = el->me,
                         .valuelen = strlen(el->me), .lease = lease };
        bool asked_ok = etcd_txn(el->e, &absent, 1, &take, 1, NULL, 0, &won, &term, err, errlen);
        if (!asked_ok && !strstr(err, "lease not found"))
            return false;   /* unanswered: the next round reads what became of it */
        if (!won) {
            /* Another was quicker (or the lease ran out first): a standby
             * holds no lease, and the next campaign asks for a new one. */
            pthread_mutex_lock(&el->mu);
            if (el->lease == lease)
                el->lease = 0;
            pthread_mutex_unlock(&el->mu);
            char ignored[256];
            etcd_lease_revoke(el->e, lease, ignored, sizeof ignored);
            return asked_ok && election_read(el, 0, &held, leader, leaderlen, &mine, err, errlen);
        }
    }
    pthread_mutex_lock(&el->mu);
    el->active = true;
    el->term = term;
    pthread_mutex_unlock(&el->mu);
    *active = true;
    if (leader && leaderlen)
        snprintf(leader, leaderlen, "%s", el->me);
    return true;
}

bool election_step(election *el, bool *active, char *leader, size_t leaderlen, char *err,
                   size_t errlen)
{
    pthread_mutex_lock(&el->mu);
    *active = el->active;
    int64_t lease = el->lease;
    pthread_mutex_unlock(&el->mu);
    if (leader && leaderlen)
        snprintf(leader, leaderlen, "%s", *active ? el->me : "");
    if (!*active)
        return election_campaign(el, active, leader, leaderlen, err, errlen);
    int64_t asked = monotime_ms(), ttl;
    if (!etcd_lease_keepalive(el->e, lease, &ttl, err, errlen))
        return false;
    pthread_mutex_lock(&el->mu);
    if (ttl > 0 && el->lease == lease) {
        el->asked_ms = asked;
    } else {   /* it ran out: the key went with it */
        election_lose_locked(el);
        el->lease = 0;
    }
    *active = el->active;
    pthread_mutex_unlock(&el->mu);
    return *active || election_campaign(el, active, leader, leaderlen, err, errlen);
}

bool election_active(const election *el, int64_t now_ms)
{
    election *m = (election *)el;   /* the mutex only */
    pthread_mutex_lock(&m->mu);
    /* A tenth of the TTL for clocks that run at different rates, and a
     * quarter second for the renewal's own way to etcd. */
    int64_t ttl_ms = el->ttl_s * 1000;
    bool ok = el->active && now_ms < el->asked_ms + ttl_ms - ttl_ms / 10 - 250;
    pthread_mutex_unlock(&m->mu);
    return ok;
}

int64_t election_term(const election *el)
{
    election *m = (election *)el;
    pthread_mutex_lock(&m->mu);
    int64_t t = el->active ? el->term : 0;
    pthread_mutex_unlock(&m->mu);
    return t;
}

bool election_commit(election *el, const etcd_op *ops, size_t nops, bool *deposed, char *err,
                     size_t errlen)
{
    *deposed = false;
    int64_t term = election_term(el);
    if (!term) {
        *deposed = true;
        snprintf(err, errlen, "not the active master");
        return false;
    }
    etcd_compare held = { .key = el->key, .keylen = strlen(el->key), .target = ETCD_CREATE,
                          .relation = ETCD_EQUAL, .number = term };
    bool done;
    if (!etcd_txn(el->ce, &held, 1, ops, nops, NULL, 0, &done, NULL, err, errlen))
        return false;
    if (!done) {
        pthread_mutex_lock(&el->mu);
        if (el->term == term)
            election_lose_locked(el);
        pthread_mutex_unlock(&el->mu);
        *deposed = true;
        snprintf(err, errlen, "no longer the active master (term %lld ended)", (long long)term);
    }
    return done;
}

void election_resign(election *el)
{
    pthread_mutex_lock(&el->mu);
    int64_t lease = el->lease;
    el->lease = 0;
    election_lose_locked(el);
    pthread_mutex_unlock(&el->mu);
    char err[256];
    if (lease)
        etcd_lease_revoke(el->e, lease, err, sizeof err);
}
