/*
 * batch.c - POST /chunks (see batch.h): reads the items' header lines and
 * bytes off the body as they arrive and hands each item to receive.c as
 * the PUT it stands for. The bytes are taken on the connection's thread;
 * once an item's last byte is in, its commit (flush, rename, report to
 * the master: receive_end) runs on the chunkserver's commit pool while the
 * next item is read, up to CS_BATCH_INFLIGHT at a time, so the items of a
 * batch share their directory syncs and master reports instead of waiting
 * for them one after the other. Owns the batch's framing and its answers;
 * what each item may do (its capability, its size, its checksum, its
 * commit) is receive.c's to judge, exactly as for a lone PUT. Must never
 * hold more than one header line of the body, never take an item's bytes
 * past its announced length, never answer (or free the batch) before
 * every commit it handed out has ended, and never answer 200 for a batch
 * whose every item was not read through.
 */
#include "batch.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pthread.h>

#include <jansson.h>

#include "chunkreq.h"
#include "httpd.h"
#include "protocol.h"
#include "receive.h"
#include "sha256.h"
#include "workpool.h"

/* After the batch is refused as a whole, what is still read (so the
 * uploader reads the refusal) before hanging up. */
#define CS_BATCH_DRAIN (1u << 20)
/* Commits of one batch under way at once: each holds its temporary's
 * descriptor (and a forward, with a chain) until it ends. */
#define CS_BATCH_INFLIGHT 16

/* One item's commit, run on the commit pool. */
typedef struct {
    workpool_job job;           /* first: the pool hands this back */
    cs_batch *b;
    receive *rx;
    struct MHD_Connection *c;   /* only for receive_end's captured answers */
    size_t slot;
} cs_batch_commit;

struct cs_batch {
    chunkserver *cs;
    /* What the commits share with the connection's thread. */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    size_t inflight;            /* commits handed out and not ended */
    bool waiting;               /* the connection's thread waits until inflight is at */
    size_t wait_for;            /* most wait_for: a commit that ends wakes it only then,
                                 * not once per item */
    httpd_captured slots[PROTO_MAX_BATCH];   /* each item's answer, in order */
    char line[PROTO_MAX_BATCH_LINE];
    size_t line_len;
    bool in_item;               /* the line is read; the item's bytes come */
    json_t *headers;            /* the item's, while it lasts */
    receive *rx;                /* the item's upload (NULL: answered at its start) */
    httpd_captured early;       /* the answer of an item refused at its start */
    uint64_t left;              /* the item's bytes still to come */
    size_t nitems;
    unsigned fail_status;       /* set: the batch is refused as a whole */
    char fail_msg[300];
    uint64_t drained;
};

static void cs_batch_fail(cs_batch *b, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void cs_batch_fail(cs_batch *b, unsigned status, const char *fmt, ...)
{
    if (b->fail_status)
        return;
    b->fail_status = status;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b->fail_msg, sizeof b->fail_msg, fmt, ap);
    va_end(ap);
}

cs_batch *cs_batch_begin(chunkserver *cs, struct MHD_Connection *c)
{
    cs_batch *b = calloc(1, sizeof *b);
    if (!b) {
        httpd_reply_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
        return NULL;
    }
    b->cs = cs;
    pthread_mutex_init(&b->mu, NULL);
    pthread_cond_init(&b->cv, NULL);
    return b;
}

/* An item's headers are its JSON object's string members; no query
 * arguments (an append's offset): a batch holds whole new chunks only. */
static const char *cs_batch_lookup(void *ud, bool query, const char *name)
{
    return query ? NULL : json_string_value(json_object_get(ud, name));
}

/* Files an item's answer in its slot (mu held, or no commit under way). */
static void cs_batch_answer(cs_batch *b, size_t slot, httpd_captured cap)
{
    if (!json_is_object(cap.body)) {
        json_decref(cap.body);
        cap.body = json_pack("{s:s}", PROTO_F_ERROR, "no answer for this chunk");
        cap.status = MHD_HTTP_INTERNAL_SERVER_ERROR;
    }
    if (cap.status == MHD_HTTP_OK)
        atomic_fetch_add(&b->cs->stats.batched_chunks, 1);
    b->slots[slot] = cap;
}

/* Ends an item's upload as its PUT would end (receive_end: flush, rename,
 * report), frees it, and gives back the answer it would have had. */
static httpd_captured cs_batch_commit_item(receive *rx, struct MHD_Connection *c)
{
    httpd_captured cap;
    httpd_capture_start(&cap);
    receive_end(rx, c);
    httpd_capture_stop();
    receive_free(rx);
    return cap;
}

static void cs_batch_commit_run(workpool_job *job)
{
    cs_batch_commit *k = (cs_batch_commit *)job;
    httpd_captured cap = cs_batch_commit_item(k->rx, k->c);
    cs_batch *b = k->b;
    pthread_mutex_lock(&b->mu);
    cs_batch_answer(b, k->slot, cap);
    if (--b->inflight <= b->wait_for && b->waiting)
        pthread_cond_signal(&b->cv);   /* only the connection's thread waits */
    pthread_mutex_unlock(&b->mu);
    free(k);
}

/* Waits until at most n commits are under way. */
static void cs_batch_wait(cs_batch *b, size_t n)
{
    pthread_mutex_lock(&b->mu);
    b->wait_for = n;
    b->waiting = true;
    while (b->inflight > n)
        pthread_cond_wait(&b->cv, &b->mu);
    b->waiting = false;
    pthread_mutex_unlock(&b->mu);
}

/* The item's bytes are all in: its commit goes to the pool (or runs here
 * when there is no memory to hand it over). */
static void cs_batch_item_end(cs_batch *b, struct MHD_Connection *c)
{
    size_t slot = b->nitems - 1;
    httpd_captured early = b->early;
    memset(&b->early, 0, sizeof b->early);
    json_decref(b->headers);
    b->headers = NULL;
    b->in_item = false;
    receive *rx = b->rx;
    b->rx = NULL;
    cs_batch_commit *k = rx ? calloc(1, sizeof *k) : NULL;
    if (rx && !k) {
        early = cs_batch_commit_item(rx, c);
        rx = NULL;
    }
    if (!rx) {
        pthread_mutex_lock(&b->mu);
        cs_batch_answer(b, slot, early);
        pthread_mutex_unlock(&b->mu);
        return;
    }
    cs_batch_wait(b, CS_BATCH_INFLIGHT - 1);
    *k = (cs_batch_commit){ .job.fn = cs_batch_commit_run, .b = b, .rx = rx, .c = c,
                            .slot = slot };
    pthread_mutex_lock(&b->mu);
    b->inflight++;
    pthread_mutex_unlock(&b->mu);
    workpool_submit(b->cs->commits, &k->job);
}

/* The item's header line is in: check what the framing needs (the rest is
 * the PUT's own checks) and start its upload. */
static void cs_batch_item_start(cs_batch *b, struct MHD_Connection *c)
{
    size_t k = b->nitems + 1;
    json_t *doc = json_loadb(b->line, b->line_len, 0, NULL);
    b->line_len = 0;
    json_t *headers = json_object_get(doc, PROTO_F_HEADERS);
    const char *id = json_string_value(json_object_get(doc, PROTO_F_CHUNK_ID));
    const char *cl = json_string_value(json_object_get(headers, PROTO_HDR_CONTENT_LENGTH));
    uint64_t len = 0;
    const char *name;
    json_t *v;
    bool strings = json_is_object(headers) && json_object_size(headers) <= 16;
    json_object_foreach(headers, name, v)
        strings = strings && json_is_string(v);
    if (b->nitems == PROTO_MAX_BATCH)
        cs_batch_fail(b, MHD_HTTP_BAD_REQUEST, "a batch holds at most %u chunks", PROTO_MAX_BATCH);
    else if (!json_is_object(doc) || !id || !strings)
        cs_batch_fail(b, MHD_HTTP_BAD_REQUEST, "item %zu: its line is not {\"" PROTO_F_CHUNK_ID
                      "\": ID, \"" PROTO_F_HEADERS "\": {at most 16 NAME: VALUE strings}}", k);
    else if (!cl || !chunkreq_parse_uint(cl, &len))
        cs_batch_fail(b, MHD_HTTP_BAD_REQUEST, "item %zu: its headers need a decimal "
                      PROTO_HDR_CONTENT_LENGTH, k);
    else if (len > PROTO_MAX_BATCH_CHUNK + SHA256_HEX_LEN)
        cs_batch_fail(b, MHD_HTTP_CONTENT_TOO_LARGE, "item %zu: %" PRIu64 " bytes; a batch takes "
                      "chunks of at most %u bytes", k, len, PROTO_MAX_BATCH_CHUNK);
    if (b->fail_status) {
        json_decref(doc);
        return;
    }
    b->nitems = k;
    b->in_item = true;
    b->left = len;
    b->headers = json_incref(headers);
    receive *rx = NULL;
    httpd_capture_start(&b->early);
    receive_put_begin_with(b->cs, c, id, cs_batch_lookup, b->headers, &rx);
    httpd_capture_stop();
    json_decref(doc);
    b->rx = rx;
    if (rx) {   /* a refusal it keeps is answered at the end, as for a PUT */
        json_decref(b->early.body);
        memset(&b->early, 0, sizeof b->early);
    }
    if (b->left == 0)
        cs_batch_item_end(b, c);
}

enum MHD_Result cs_batch_data(cs_batch *b, struct MHD_Connection *c, const char *data,
                              size_t *size)
{
    size_t n = *size;
    *size = 0;
    while (n > 0 && !b->fail_status) {
        if (!b->in_item) {
            const char *nl = memchr(data, '\n', n);
            size_t k = nl ? (size_t)(nl - data) : n;
            if (b->line_len + k >= sizeof b->line) {
                cs_batch_fail(b, MHD_HTTP_BAD_REQUEST, "item %zu: its line is longer than %u "
                              "bytes", b->nitems + 1, PROTO_MAX_BATCH_LINE);
                break;
            }
            memcpy(b->line + b->line_len, data, k);
            b->line_len += k;
            data += k;
            n -= k;
            if (nl) {
                data++;
                n--;
                cs_batch_item_start(b, c);
            }
            continue;
        }
        size_t k = n < b->left ? n : (size_t)b->left;
        if (b->rx) {
            size_t taken = k;
            if (receive_data(b->rx, data, &taken) != MHD_YES)
                cs_batch_fail(b, MHD_HTTP_BAD_REQUEST, "item %zu: refused", b->nitems);
        }
        data += k;
        n -= k;
        b->left -= k;
        if (b->left == 0)
            cs_batch_item_end(b, c);
    }
    if (!b->fail_status)
        return MHD_YES;
    /* Refused as a whole: drain a little, so the uploader reads why. */
    b->drained += n;
    return b->drained > CS_BATCH_DRAIN ? MHD_NO : MHD_YES;
}

enum MHD_Result cs_batch_end(cs_batch *b, struct MHD_Connection *c)
{
    if (b->in_item || b->line_len)
        cs_batch_fail(b, MHD_HTTP_BAD_REQUEST, "the body ends inside item %zu",
                      b->nitems + (b->in_item ? 0 : 1));
    else if (b->nitems == 0)
        cs_batch_fail(b, MHD_HTTP_BAD_REQUEST, "an empty batch");
    cs_batch_wait(b, 0);
    if (b->fail_status)
        return httpd_reply_error(c, b->fail_status, "%s", b->fail_msg);
    json_t *answers = json_array();
    for (size_t i = 0; answers && i < b->nitems; i++) {
        json_t *a = b->slots[i].body;
        if (json_object_set_new(a, PROTO_F_STATUS, json_integer(b->slots[i].status)) != 0 ||
            json_array_append(answers, a) != 0) {
            json_decref(answers);
            answers = NULL;
        }
    }
    json_t *ans = answers ? json_pack("{s:o}", PROTO_F_CHUNKS, answers) : NULL;
    if (!ans)
        return httpd_reply_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
    atomic_fetch_add(&b->cs->stats.batches, 1);
    return httpd_reply_json(c, MHD_HTTP_OK, ans);
}

void cs_batch_free(cs_batch *b)
{
    if (!b)
        return;
    cs_batch_wait(b, 0);   /* a cut connection: the commits under way end first */
    receive_free(b->rx);
    json_decref(b->early.body);
    json_decref(b->headers);
    for (size_t i = 0; i < b->nitems; i++)
        json_decref(b->slots[i].body);
    pthread_mutex_destroy(&b->mu);
    pthread_cond_destroy(&b->cv);
    free(b);
}
