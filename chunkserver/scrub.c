/*
 * scrub.c - the scrubber thread and the one-chunk check. Reads chunk files
 * in 1 MiB pieces through one buffer; the pace comes from the ticker's
 * pause after each chunk, sized so the average stays under the rate. Must
 * never remove a chunk whose meta it could not read (that is not proof of
 * rot), and never hold more than one buffer of chunk data.
 */
#include "scrub.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "sha256.h"
#include "ticker.h"

#define SCRUB_BUF (1 << 20)
#define SCRUB_IDLE_MS 10000   /* pause after a full pass, or with nothing stored */

struct scrub {
    store *st;
    masterlink *ml;
    double bytes_per_ms;
    ticker *t;
    char (*ids)[CHUNKID_BUF];   /* this pass's list */
    size_t n, cap, next;
    char *buf;
};

typedef enum { SCRUB_SOUND, SCRUB_ROTTEN, SCRUB_UNKNOWN } scrub_verdict;

/* asked: the master asked about this chunk, which it thinks is here, so
 * a missing file is a lost replica; in a pass, one gone since the listing
 * was deleted, and there is nothing to judge. */
static scrub_verdict scrub_read(store *st, const char *id, bool asked, char *buf,
                                uint64_t *bytes, store_meta *m_out)
{
    store_meta m;
    *bytes = 0;
    int fd;
    uint64_t size;
    store_status s = store_open_chunk(st, id, &fd, &size);
    if (s == STORE_NOT_FOUND && asked) {
        memset(m_out, 0, sizeof *m_out);
        return SCRUB_ROTTEN;
    }
    if (s != STORE_OK)
        return SCRUB_UNKNOWN;
    /* The meta of exactly these bytes (same inode), not of a newer copy. */
    if (store_read_meta_fd(fd, &m) != STORE_OK) {
        close(fd);
        return SCRUB_UNKNOWN;
    }
    *m_out = m;
    sha256_stream *h = sha256_stream_new();
    ssize_t n;
    while (h && (n = read(fd, buf, SCRUB_BUF)) > 0) {
        sha256_stream_update(h, buf, (size_t)n);
        *bytes += (uint64_t)n;
    }
    close(fd);
    char hex[SHA256_HEX_LEN + 1];
    bool ok = h && n == 0 && sha256_stream_final_hex(h, hex);
    sha256_stream_free(h);
    if (!ok)
        return SCRUB_UNKNOWN;
    return size == m.size && *bytes == m.size && strcmp(hex, m.sha) == 0 ? SCRUB_SOUND
                                                                          : SCRUB_ROTTEN;
}

static bool scrub_check_with(store *st, masterlink *ml, const char *id, bool asked, char *buf,
                             uint64_t *bytes)
{
    store_meta m;
    scrub_verdict v = scrub_read(st, id, asked, buf, bytes, &m);
    if (v != SCRUB_ROTTEN)
        return true;
    /* Only the copy that was judged: one replaced meanwhile (an upload or
     * an append published a new version) is not rotten, just new. */
    if (store_remove_exact(st, id, &m) == STORE_NEWER)
        return true;
    log_warn("chunk %s is corrupt or missing on disk: removed; telling the master", id);
    char err[300];
    if (!masterlink_report_bad(ml, id, err, sizeof err))
        log_warn("cannot report corrupt chunk %s: %s (the next full report will)", id, err);
    return false;
}

bool scrub_check(store *st, masterlink *ml, const char *id)
{
    char *buf = malloc(SCRUB_BUF);
    if (!buf)
        return true;
    uint64_t bytes;
    bool ok = scrub_check_with(st, ml, id, true, buf, &bytes);
    free(buf);
    return ok;
}

static bool scrub_collect(void *ud, const char *id)
{
    scrub *s = ud;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 256;
        char(*ids)[CHUNKID_BUF] = realloc(s->ids, cap * sizeof *ids);
        if (!ids)
            return false;
        s->ids = ids;
        s->cap = cap;
    }
    snprintf(s->ids[s->n++], CHUNKID_BUF, "%s", id);
    return true;
}

static long scrub_tick(void *ud)
{
    scrub *s = ud;
    if (s->next >= s->n) {   /* a new pass */
        s->n = s->next = 0;
        store_list_ids(s->st, scrub_collect, s);
        if (s->n == 0)
            return SCRUB_IDLE_MS;
    }
    uint64_t bytes = 0;
    scrub_check_with(s->st, s->ml, s->ids[s->next++], false, s->buf, &bytes);
    long pause = (long)((double)bytes / s->bytes_per_ms);
    if (s->next >= s->n)
        pause += SCRUB_IDLE_MS;
    return pause;
}

scrub *scrub_start(store *st, masterlink *ml, double mbps)
{
    scrub *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->st = st;
    s->ml = ml;
    if (mbps <= 0)
        return s;
    s->bytes_per_ms = mbps * 1e6 / 1000.0;
    if (!(s->buf = malloc(SCRUB_BUF)) || !(s->t = ticker_start(scrub_tick, s, SCRUB_IDLE_MS / 10))) {
        free(s->buf);
        free(s);
        return NULL;
    }
    return s;
}

void scrub_stop(scrub *s)
{
    if (!s)
        return;
    ticker_stop(s->t);
    free(s->ids);
    free(s->buf);
    free(s);
}
