/*
 * batch.c - POST /chunks (see batch.h): reads the items' header lines and
 * bytes off the body as they arrive and hands each item to receive.c as
 * the PUT it stands for, one after the other on the connection's thread.
 * Owns the batch's framing and its answers; what each item may do (its
 * capability, its size, its checksum, its commit) is receive.c's to judge,
 * exactly as for a lone PUT. Must never hold more than one header line of
 * the body, never take an item's bytes past its announced length, and
 * never answer 200 for a batch whose every item was not read through.
 */
#include "batch.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "chunkreq.h"
#include "httpd.h"
#include "protocol.h"
#include "receive.h"
#include "sha256.h"

/* After the batch is refused as a whole, what is still read (so the
 * uploader reads the refusal) before hanging up. */
#define CS_BATCH_DRAIN (1u << 20)

struct cs_batch {
    chunkserver *cs;
    json_t *answers;            /* one per item read through, in order */
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
    if (b && !(b->answers = json_array())) {
        free(b);
        b = NULL;
    }
    if (!b)
        httpd_reply_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
    else
        b->cs = cs;
    return b;
}

/* An item's headers are its JSON object's string members; no query
 * arguments (an append's offset): a batch holds whole new chunks only. */
static const char *cs_batch_lookup(void *ud, bool query, const char *name)
{
    return query ? NULL : json_string_value(json_object_get(ud, name));
}

static void cs_batch_item_end(cs_batch *b, struct MHD_Connection *c)
{
    httpd_captured cap = b->early;
    memset(&b->early, 0, sizeof b->early);
    if (b->rx) {
        httpd_capture_start(&cap);
        receive_end(b->rx, c);
        httpd_capture_stop();
        receive_free(b->rx);
        b->rx = NULL;
    }
    json_t *a = json_is_object(cap.body) ? cap.body : NULL;
    if (!a) {
        json_decref(cap.body);
        a = json_pack("{s:s}", PROTO_F_ERROR, "no answer for this chunk");
        cap.status = MHD_HTTP_INTERNAL_SERVER_ERROR;
    }
    if (cap.status == MHD_HTTP_OK)
        atomic_fetch_add(&b->cs->stats.batched_chunks, 1);
    if (a) {
        json_object_set_new(a, PROTO_F_STATUS, json_integer(cap.status));
        json_array_append_new(b->answers, a);
    }
    json_decref(b->headers);
    b->headers = NULL;
    b->in_item = false;
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
    if (b->fail_status)
        return httpd_reply_error(c, b->fail_status, "%s", b->fail_msg);
    json_t *ans = json_pack("{s:O}", PROTO_F_CHUNKS, b->answers);
    if (!ans)
        return httpd_reply_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
    atomic_fetch_add(&b->cs->stats.batches, 1);
    return httpd_reply_json(c, MHD_HTTP_OK, ans);
}

void cs_batch_free(cs_batch *b)
{
    if (!b)
        return;
    receive_free(b->rx);
    json_decref(b->early.body);
    json_decref(b->headers);
    json_decref(b->answers);
    free(b);
}
