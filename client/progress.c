/*
 * progress.c - renders transfer progress, and what it waits for when a
 * transfer stands still (a hung server must not look like a finished
 * write at 100 %). Called by one transfer thread at a time; never writes
 * anywhere but stderr.
 */
#include "progress.h"

#include "escape.h"
#include "monotime.h"

#include <stdio.h>
#include <time.h>

void progress_start(progress *p, bool enabled, const char *verb, const char *name, uint64_t total)
{
    p->enabled = enabled;
    p->verb = verb;
    escape_text(name, p->name, sizeof p->name);
    p->total = total;
    p->base = 0;
    p->start_ms = p->last_ms = monotime_ms();
}

static void progress_draw(progress *p, uint64_t done, int64_t now, const char *waiting)
{
    double secs = (double)(now - p->start_ms) / 1000.0;
    double rate = secs > 0 ? (double)done / secs / 1048576.0 : 0.0;
    double pct = p->total ? 100.0 * (double)done / (double)p->total : 100.0;
    char shown[200] = "";
    if (waiting && waiting[0])
        escape_text(waiting, shown, sizeof shown);
    fprintf(stderr, "\r%s %s: %.1f / %.1f MiB (%3.0f%%) %7.1f MiB/s%s%s\033[K", p->verb, p->name,
            (double)done / 1048576.0, (double)p->total / 1048576.0, pct, rate,
            shown[0] ? " - waiting for " : "", shown);
    fflush(stderr);
}

void progress_update(progress *p, uint64_t done, const char *waiting)
{
    if (!p->enabled)
        return;
    int64_t now = monotime_ms();
    if (now - p->last_ms < 100)
        return;
    p->last_ms = now;
    progress_draw(p, p->base + done, now, waiting);
}

void progress_end(progress *p, bool ok, uint64_t done)
{
    if (!p->enabled)
        return;
    if (ok)
        progress_draw(p, done, monotime_ms(), NULL);
    fputc('\n', stderr);
}
