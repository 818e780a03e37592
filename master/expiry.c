/*
 * expiry.c - the thread that removes abandoned uploads (see expiry.h).
 * Owns nothing but its ticker; changes the namespace only through
 * namespace_expire, and hands what a removal leaves to the outbox.
 * Must never remove a file that is complete, being appended to, or was
 * touched within the expiry time; it removes one a twentieth of that
 * time late at most (30 s at most), so as not to walk the namespace
 * every second.
 */
#include "expiry.h"

#include <stdlib.h>

#include "log.h"
#include "ticker.h"

#define EXPIRY_BATCH 256   /* removals per pass; the next pass takes more */
#define EXPIRY_PAUSE_MAX_MS 30000

struct expiry {
    master *m;
    int64_t expiry_ms;
    ticker *t;
};

static void expiry_removed(void *ud, const char *name, ns_doomed *d)
{
    expiry *e = ud;
    log_info("upload of \"%s\" abandoned: incomplete and untouched for %lld ms; removed (%zu "
             "chunk replicas to delete)", name, (long long)e->expiry_ms, d->n);
    outbox_delete_doomed(e->m->outbox, d);
}

static long expiry_pass(void *ud)
{
    expiry *e = ud;
    int64_t now = registry_now_ms();
    /* A pass walks every file (under the read lock): at 100,000 files it
     * cost 1 % of a core once a second. A twentieth of the expiry time
     * apart, at most EXPIRY_PAUSE_MAX_MS, an upload goes at most 5 %
     * late. */
    long pause = e->expiry_ms / 20 < EXPIRY_PAUSE_MAX_MS ? (long)(e->expiry_ms / 20) + 10
                                                        : EXPIRY_PAUSE_MAX_MS;
    if (!master_active(e->m) || safemode_on(&e->m->safe, now))
        return pause;
    if (namespace_expire(e->m->ns, now, e->expiry_ms, EXPIRY_BATCH, expiry_removed, e) > 0 &&
        !master_durable(e->m))
        log_error("the removal of abandoned uploads is not durable: %s",
                  journal_failure(e->m->j));
    return pause;
}

expiry *expiry_start(master *m, int64_t expiry_ms)
{
    expiry *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    e->m = m;
    e->expiry_ms = expiry_ms;
    if (!(e->t = ticker_start(expiry_pass, e, 0))) {
        free(e);
        return NULL;
    }
    return e;
}

void expiry_stop(expiry *e)
{
    if (!e)
        return;
    ticker_stop(e->t);
    free(e);
}
