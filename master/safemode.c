/*
 * safemode.c - when the master's safe mode ends (see safemode.h). Owns a few
 * atomic words, written at start (and when an HA master becomes active)
 * and read by request, repair and expiry threads.
 * Must never hold anything back past its deadline (stretched, while
 * reports still bring news, to SAFEMODE_STRETCH times its time at most):
 * it is a pause, not a state a master can get stuck in.
 */
#include "safemode.h"

#include "log.h"

void safemode_start_failover(safemode *s, int64_t now_ms, int64_t duration_ms)
{
    atomic_store(&s->placing, true);
    atomic_store(&s->until_ms, now_ms + (duration_ms > 0 ? duration_ms : 0));
    atomic_store(&s->began_ms, now_ms);
    atomic_store(&s->duration_ms, duration_ms > 0 ? duration_ms : 0);
    atomic_store(&s->report_ms, now_ms - SAFEMODE_REPORT_QUIET_MS);   /* none yet */
    atomic_store(&s->over, duration_ms <= 0);
    if (duration_ms > 0)
        log_info("safe mode for at most %lld ms after taking over: placing new chunks, but "
                 "deleting and repairing nothing before the chunkservers' full reports are in",
                 (long long)duration_ms);
}

bool safemode_holds_placement(safemode *s, int64_t now_ms)
{
    return !atomic_load(&s->placing) && safemode_on(s, now_ms);
}

void safemode_start(safemode *s, int64_t now_ms, int64_t duration_ms)
{
    atomic_store(&s->placing, false);
    atomic_store(&s->until_ms, now_ms + (duration_ms > 0 ? duration_ms : 0));
    atomic_store(&s->began_ms, now_ms);
    atomic_store(&s->duration_ms, duration_ms > 0 ? duration_ms : 0);
    atomic_store(&s->report_ms, now_ms - SAFEMODE_REPORT_QUIET_MS);   /* none yet */
    atomic_store(&s->joined_ms, now_ms);
    atomic_store(&s->over, duration_ms <= 0);
    if (duration_ms > 0)
        log_info("safe mode for at most %lld ms: taking chunk reports in; placing, deleting "
                 "and repairing nothing", (long long)duration_ms);
}

bool safemode_on(safemode *s, int64_t now_ms)
{
    if (atomic_load_explicit(&s->over, memory_order_relaxed))
        return false;
    if (now_ms < atomic_load(&s->until_ms))
        return true;
    /* reports still coming in: wait for them, within reason */
    if (now_ms - atomic_load(&s->report_ms) < SAFEMODE_REPORT_QUIET_MS &&
        now_ms - atomic_load(&s->began_ms) < SAFEMODE_STRETCH * atomic_load(&s->duration_ms))
        return true;
    safemode_leave(s, "its time is up");
    return false;
}

void safemode_report(safemode *s, int64_t now_ms)
{
    atomic_store_explicit(&s->report_ms, now_ms, memory_order_relaxed);
}

void safemode_joined(safemode *s, int64_t now_ms)
{
    atomic_store(&s->joined_ms, now_ms);
}

bool safemode_settled(safemode *s, int64_t now_ms)
{
    return now_ms - atomic_load(&s->joined_ms) >= SAFEMODE_SETTLE_MS;
}

void safemode_leave(safemode *s, const char *why)
{
    if (!atomic_exchange(&s->over, true))
        log_info("safe mode over (%s): deletions and repairs may go ahead", why);
}
