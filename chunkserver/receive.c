/*
 * receive.c - the write side of the chunkserver. One receive per upload
 * request (or per item of a POST /chunks batch), used only by that
 * connection's thread. Must never hold more than one libmicrohttpd buffer
 * of chunk data in memory, never publish a chunk whose bytes are not on
 * disk, and never leave a chunk published that the master refused.
 *
 * A PUT's headers (a batch item's, through a lookup of the item's own)
 * are read and bounded by common/chunkreq; the chain's
 * hops are kept only if they are this cluster's chunkservers. An upload
 * refused before its body keeps its refusal until the body has gone by,
 * so the uploader reads it rather than a reset connection. What the
 * uploads in progress announced (and fallocate set aside) is counted
 * against --max-reserve-mb; past it an upload is refused with a 503.
 * Uploads whose bytes fail their checksum, and repair copies stored
 * (X-Minidfs-Purpose: repair), are counted for the metrics.
 *
 * The commit is the tricky part. A new chunk name is created with
 * renameat2(RENAME_NOREPLACE), which never replaces, and only then
 * reported, so the master never points readers at bytes that are not
 * there. If the name already exists, the old
 * bytes may be a live replica (a retried or hostile upload must not
 * replace them) or a leftover of a deleted file (which must be replaced);
 * only the master knows, so we report first and replace only if it
 * accepts. The same bytes again (a retry by a client that never saw our
 * first answer) are a success, not a conflict. Commits of the same chunk
 * id are serialized by a striped lock so two uploads of one id cannot
 * interleave these steps.
 */
#include "receive.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "chunkid.h"
#include "chunkreq.h"
#include "forward.h"
#include "httpd.h"
#include "log.h"
#include "protocol.h"
#include "sha256.h"

#define RECEIVE_PP_BUFFER (64 * 1024)
#define RECEIVE_DISCARD_SLACK (1u << 20)
#define RECEIVE_STRIPES 64

struct receive {
    chunkserver *cs;
    store_writer w;
    bool writing;               /* w holds a temporary file */
    bool got_chunk;             /* multipart: the chunk field began */
    uint64_t limit;             /* most chunk bytes we accept */
    chunkreq req;               /* what the PUT asked (multipart: only the version); req.sha
                                 * is the uploader's SHA-256, once known ("": none sent) */
    uint64_t declared;          /* the length the uploader announced; 0: none (multipart) */
    uint64_t held;              /* of it, what counts in cs->stats.reserved */
    int active_slot;            /* in cs->active, -1: none */
    char tail[SHA256_HEX_LEN];  /* trailing: the last bytes seen, held back */
    size_t tail_len;
    unsigned fail_status;       /* set: reply with this once the body is drained */
    char fail_msg[300];
    uint64_t discarded;
    struct MHD_PostProcessor *pp;
    forward *fw;                /* PUT with a chain: the pipeline's next hop */
    json_t *downstream;         /* after the body: servers down the chain that stored it */
    char downstream_err[300];
    bool repair_copy;           /* sent by another server's repair copier */
};

static pthread_mutex_t receive_stripes[RECEIVE_STRIPES];
static pthread_once_t receive_stripes_once = PTHREAD_ONCE_INIT;

static void receive_init_stripes(void)
{
    for (int i = 0; i < RECEIVE_STRIPES; i++)
        pthread_mutex_init(&receive_stripes[i], NULL);
}

static pthread_mutex_t *receive_stripe(const char *id)
{
    pthread_once(&receive_stripes_once, receive_init_stripes);
    return &receive_stripes[chunkid_hash(id) % RECEIVE_STRIPES];
}

/* A checksum header or trailer: absent is fine, malformed is not. */
static void receive_fail(receive *rx, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void receive_fail(receive *rx, unsigned status, const char *fmt, ...)
{
    if (rx->fail_status)
        return;
    rx->fail_status = status;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rx->fail_msg, sizeof rx->fail_msg, fmt, ap);
    va_end(ap);
    if (rx->writing) {
        store_discard(&rx->w);
        rx->writing = false;
    }
    if (rx->fw) {
        forward_abort(rx->fw);
        rx->fw = NULL;
    }
}

/* A new upload, refused already (fail_status set) when the chunkserver is
 * not registered: then no chunk size is known, and the largest a chunk may
 * have bounds what is drained. NULL only when memory runs out (a 500 is
 * queued then). */
static receive *receive_new(chunkserver *cs, struct MHD_Connection *c)
{
    receive *rx = calloc(1, sizeof *rx);
    if (!rx) {
        httpd_reply_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
        return NULL;
    }
    rx->cs = cs;
    rx->active_slot = -1;
    atomic_fetch_add(&cs->stats.active, 1);
    rx->w.fd = -1;
    if (!masterlink_registered(cs->ml, &rx->limit, NULL, 0)) {
        rx->limit = PROTO_MAX_CHUNK_SIZE;
        receive_fail(rx, MHD_HTTP_SERVICE_UNAVAILABLE,
                     "chunkserver is not registered with its master yet");
    }
    return rx;
}

/* Names the chunk in the heartbeat's "active" list while it is written. */
static void receive_mark_active(receive *rx, const char *id)
{
    chunkserver *cs = rx->cs;
    pthread_mutex_lock(&cs->active_mu);
    for (int i = 0; i < CS_ACTIVE_MAX; i++)
        if (!cs->active_used[i]) {
            cs->active_used[i] = 1;
            snprintf(cs->active[i], CHUNKID_BUF, "%s", id);
            rx->active_slot = i;
            break;
        }
    pthread_mutex_unlock(&cs->active_mu);
}

size_t cs_active_chunks(void *ud, char (*ids)[CHUNKID_BUF], size_t max)
{
    chunkserver *cs = ud;
    size_t n = 0;
    pthread_mutex_lock(&cs->active_mu);
    for (int i = 0; i < CS_ACTIVE_MAX && n < max; i++)
        if (cs->active_used[i])
            memcpy(ids[n++], cs->active[i], CHUNKID_BUF);
    pthread_mutex_unlock(&cs->active_mu);
    return n;
}

/* Counts the announced length against --max-reserve-mb: many uploads
 * that announce a chunk's length and then stall would otherwise set the
 * disk aside for nothing. False with a 503 set past the bound. */
static bool receive_hold(receive *rx)
{
    chunkserver *cs = rx->cs;
    uint64_t now = atomic_fetch_add(&cs->stats.reserved, rx->declared) + rx->declared;
    rx->held = rx->declared;
    if (!cs->max_reserved || now <= cs->max_reserved)
        return true;
    atomic_fetch_sub(&cs->stats.reserved, rx->held);
    rx->held = 0;
    receive_fail(rx, MHD_HTTP_SERVICE_UNAVAILABLE, "uploads in progress here have announced "
                 "%" PRIu64 " bytes already (--max-reserve-mb): try again, or another replica",
                 now - rx->declared);
    return false;
}

static bool receive_start_chunk(receive *rx, const char *id)
{
    char err[256];
    if (rx->declared && !receive_hold(rx))
        return false;
    store_status st = rx->req.append ? store_begin_append(rx->cs->st, id, rx->req.offset,
                                                          rx->req.version,
                                                      &rx->w, err, sizeof err)
                                 : store_begin(rx->cs->st, id, &rx->w, err, sizeof err);
    if (st == STORE_OK && rx->declared)
        st = store_reserve(&rx->w, rx->w.written + rx->declared, err, sizeof err);
    if (st != STORE_OK) {
        store_discard(&rx->w);
        receive_fail(rx, store_http_status(st), "%s", err);
        return false;
    }
    /* A pipeline hop with a checksum to check leaves the check to the next
     * hop, which gets the very bytes we write (see receive_end). */
    if (rx->fw && !rx->req.append && rx->req.sum != CHUNKREQ_SUM_NONE)
        store_defer_hash(&rx->w);
    rx->writing = true;
    receive_mark_active(rx, id);
    return true;
}

static void receive_store_bytes(receive *rx, const char *data, size_t size)
{
    if (rx->w.written + size > rx->limit) {
        receive_fail(rx, MHD_HTTP_CONTENT_TOO_LARGE, "chunk is larger than the chunk size (%" PRIu64
                     " bytes)", rx->limit);
        return;
    }
    char err[256];
    atomic_fetch_add(&rx->cs->stats.bytes_received, size);
    /* Downstream first, so the next hop works on these bytes while we
     * hash and write them. A failed hop only costs its copy. */
    if (rx->fw)
        forward_write(rx->fw, data, size);
    store_status st = store_write(&rx->w, data, size, err, sizeof err);
    if (st != STORE_OK)
        receive_fail(rx, store_http_status(st), "%s", err);
}

/* Takes body bytes in; with a trailing checksum the last 64 bytes seen so
 * far are held back, since they may be the digest rather than chunk. */
static void receive_write(receive *rx, const char *data, size_t size)
{
    if (rx->req.sum != CHUNKREQ_SUM_TRAILING) {
        receive_store_bytes(rx, data, size);
        return;
    }
    size_t total = rx->tail_len + size;
    if (total <= SHA256_HEX_LEN) {
        memcpy(rx->tail + rx->tail_len, data, size);
        rx->tail_len = total;
        return;
    }
    size_t emit = total - SHA256_HEX_LEN;
    size_t from_tail = emit < rx->tail_len ? emit : rx->tail_len;
    if (from_tail)
        receive_store_bytes(rx, rx->tail, from_tail);
    size_t from_data = emit - from_tail;
    if (from_data && !rx->fail_status)
        receive_store_bytes(rx, data, from_data);
    memmove(rx->tail, rx->tail + from_tail, rx->tail_len - from_tail);
    rx->tail_len -= from_tail;
    memcpy(rx->tail + rx->tail_len, data + from_data, size - from_data);
    rx->tail_len += size - from_data;
}

/* Starts streaming the chunk to the first hop of the request's chain that
 * is a chunkserver of this cluster, with the rest of them. */
static void receive_start_chain(receive *rx)
{
    chunkreq down = rx->req;
    down.nchain = 0;
    for (size_t k = 0; k < rx->req.nchain; k++) {
        const char *hop = rx->req.chain[k];
        /* Chunks go only to this cluster's chunkservers, whatever the
         * uploader names: an unknown hop is dropped, not contacted. */
        if (masterlink_is_peer(rx->cs->ml, hop)) {
            memcpy(down.chain[down.nchain++], hop, sizeof down.chain[0]);
        } else {
            log_warn("pipeline: %s is not a chunkserver of this cluster; not forwarding there",
                     hop);
            snprintf(rx->downstream_err, sizeof rx->downstream_err,
                     "%.80s is not a chunkserver of this cluster", hop);
        }
    }
    if (down.nchain > 0)   /* without a forward the chunk is still stored here */
        rx->fw = forward_start(&down, &rx->cs->stats.bytes_forwarded, rx->downstream_err,
                               sizeof rx->downstream_err);
}

/* Hands back an upload refused before its body: the refusal is answered
 * once the body has gone by (receive_data drains it, receive_end answers),
 * so the uploader reads it. Answered at once, the connection would close
 * with the body unread and reset, and the answer could be lost on the way.
 * A body declared far larger than any chunk is not worth reading: that
 * refusal goes out at once. */
static enum MHD_Result receive_refused(receive *rx, struct MHD_Connection *c, receive **out)
{
    if (rx->declared > rx->limit + RECEIVE_DISCARD_SLACK) {
        enum MHD_Result r = httpd_reply_error(c, rx->fail_status, "%s", rx->fail_msg);
        receive_free(rx);
        return r;
    }
    *out = rx;
    return MHD_YES;
}

static const char *receive_lookup(void *ud, bool query, const char *name)
{
    return MHD_lookup_connection_value(ud, query ? MHD_GET_ARGUMENT_KIND : MHD_HEADER_KIND, name);
}

enum MHD_Result receive_put_begin(chunkserver *cs, struct MHD_Connection *c, const char *id,
                                  receive **out)
{
    return receive_put_begin_with(cs, c, id, receive_lookup, c, out);
}

enum MHD_Result receive_put_begin_with(chunkserver *cs, struct MHD_Connection *c, const char *id,
                                       chunkreq_lookup lookup, void *ud, receive **out)
{
    *out = NULL;
    receive *rx = receive_new(cs, c);
    if (!rx)
        return MHD_YES;
    if (rx->fail_status) {   /* not registered */
        const char *cl = lookup(ud, false, MHD_HTTP_HEADER_CONTENT_LENGTH);
        uint64_t len;
        rx->declared = cl && chunkreq_parse_uint(cl, &len) ? len : 0;
        return receive_refused(rx, c, out);
    }
    char err[300];
    chunkreq_status st = chunkreq_parse(&rx->req, id, lookup, ud, rx->limit,
                                        &rx->declared, err, sizeof err);
    if (st != CHUNKREQ_OK) {
        receive_fail(rx, chunkreq_http_status(st), "%s", err);
        return receive_refused(rx, c, out);
    }
    rx->declared = rx->req.length;
    const char *purpose = lookup(ud, false, PROTO_HDR_PURPOSE);
    rx->repair_copy = purpose && !strcmp(purpose, "repair");
    char target[CHUNKID_BUF + 48];
    int n = snprintf(target, sizeof target, PROTO_PATH_CHUNKS "%s", id);
    if (rx->req.append)
        snprintf(target + n, sizeof target - (size_t)n, "?" PROTO_QUERY_OFFSET "=%" PRIu64,
                 rx->req.offset);
    unsigned status;
    if (!access_chunk(cs, c, "PUT", target, AUTH_CAP_WRITE, id,
                      rx->req.capability[0] ? rx->req.capability : NULL, &status, err,
                      sizeof err)) {
        receive_fail(rx, status, "%s", err);
        return receive_refused(rx, c, out);
    }
    if (rx->req.nchain)
        receive_start_chain(rx);
    if (!receive_start_chunk(rx, id))
        return receive_refused(rx, c, out);
    *out = rx;
    return MHD_YES;
}

static enum MHD_Result receive_field(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *filename, const char *content_type,
                                     const char *transfer_encoding, const char *data,
                                     uint64_t off, size_t size)
{
    (void)kind;
    (void)content_type;
    (void)transfer_encoding;
    receive *rx = cls;
    if (rx->fail_status || strcmp(key, PROTO_FORM_CHUNK) != 0)
        return MHD_YES;
    /* A field's data restarts at offset 0 only when a second field of
     * the same name begins. */
    if (off == 0 && rx->got_chunk && rx->w.written > 0) {
        receive_fail(rx, MHD_HTTP_BAD_REQUEST, "more than one \"chunk\" field");
        return MHD_YES;
    }
    if (!rx->got_chunk) {
        rx->got_chunk = true;
        if (!filename || !chunkid_parse(filename, NULL, NULL)) {
            receive_fail(rx, MHD_HTTP_BAD_REQUEST,
                         "the \"chunk\" field's filename \"%.80s\" is not a chunk identifier",
                         filename ? filename : "");
            return MHD_YES;
        }
        if (!receive_start_chunk(rx, filename))
            return MHD_YES;
    }
    if (size > 0 && rx->writing)
        receive_write(rx, data, size);
    return MHD_YES;
}

enum MHD_Result receive_multipart_begin(chunkserver *cs, struct MHD_Connection *c,
                                        receive **out)
{
    *out = NULL;
    receive *rx = receive_new(cs, c);
    if (!rx)
        return MHD_YES;
    if (!rx->fail_status && cs->key)   /* the Go path carries no capability */
        receive_fail(rx, MHD_HTTP_UNAUTHORIZED, "this chunkserver is secure: chunks are "
                     "uploaded with PUT " PROTO_PATH_CHUNKS "<id> and the master's capability");
    const char *ver = MHD_lookup_connection_value(c, MHD_HEADER_KIND, PROTO_HDR_CHUNK_VERSION);
    if (!rx->fail_status && ver && !chunkreq_parse_uint(ver, &rx->req.version))
        receive_fail(rx, MHD_HTTP_BAD_REQUEST, PROTO_HDR_CHUNK_VERSION " must be a decimal number");
    if (!rx->fail_status && !(rx->pp = MHD_create_post_processor(c, RECEIVE_PP_BUFFER,
                                                                 receive_field, rx)))
        receive_fail(rx, MHD_HTTP_BAD_REQUEST,
                     "expected a multipart/form-data body with a \"chunk\" file field");
    if (rx->fail_status)
        return receive_refused(rx, c, out);
    *out = rx;
    return MHD_YES;
}

enum MHD_Result receive_data(receive *rx, const char *data, size_t *size)
{
    size_t n = *size;
    *size = 0;
    if (!rx->fail_status) {
        if (rx->pp) {
            if (MHD_post_process(rx->pp, data, n) != MHD_YES)
                receive_fail(rx, MHD_HTTP_BAD_REQUEST, "malformed multipart body");
        } else {
            receive_write(rx, data, n);
        }
        return MHD_YES;
    }
    /* Drain what a legitimate upload could still send, so the uploader
     * reads our error; past that, it is not an upload: hang up. */
    rx->discarded += n;
    return rx->discarded > rx->limit + RECEIVE_DISCARD_SLACK ? MHD_NO : MHD_YES;
}

/* Whether the copy stored under w's id already holds exactly the bytes w
 * received: same size and SHA-256, and the same version unless the
 * uploader sent none. Then a repeated upload (a client that never saw our
 * first answer) is a success, not a conflict. */
static bool receive_same_as_stored(receive *rx)
{
    store_meta m;
    return store_read_meta(rx->cs->st, rx->w.id, &m) == STORE_OK &&
           m.size == rx->w.meta.size && strcmp(m.sha, rx->w.meta.sha) == 0 &&
           (rx->req.version == 0 || m.version == rx->req.version);
}

/* Publishes, reports and answers; runs under the chunk id's stripe lock. */
static enum MHD_Result receive_commit(receive *rx, struct MHD_Connection *c)
{
    chunkserver *cs = rx->cs;
    char err[300], id[CHUNKID_BUF];
    snprintf(id, sizeof id, "%s", rx->w.id);
    uint64_t size = rx->w.written;
    long status;

    /* A new name is published before the report, so the master never
     * points at missing bytes. An existing name may be a live replica
     * (which a second upload must not replace) or a leftover of a deleted
     * file (which it must): only the master knows, so then we report first
     * and replace only on its yes. */
    uint64_t version = 0;
    store_status st;
    if (rx->req.append) {
        /* A new version of a chunk readers are using: the master must say
         * yes (it holds the append's lease) before it replaces the old. */
        masterlink_report_result rep = masterlink_report(cs->ml, id, size, rx->req.version,
                                                         rx->w.meta.sha, &version, &status, err,
                                                         sizeof err);
        if (rep == REPORT_OK) {
            if ((st = store_publish(&rx->w, true, err, sizeof err)) != STORE_OK)
                return httpd_reply_error(c, store_http_status(st), "%s", err);
            goto stored;
        }
        if (rep == REPORT_DUPLICATE && receive_same_as_stored(rx))
            goto stored;   /* a retry of an append that landed */
        if (rep == REPORT_DUPLICATE)
            return httpd_reply_error(c, MHD_HTTP_CONFLICT, "chunk %s: this append is already "
                                     "stored here", id);
        if (rep == REPORT_REJECTED)
            return httpd_reply_error(c, (unsigned)status, "master refused the append to %s: %s",
                                     id, err);
        return httpd_reply_error(c, MHD_HTTP_SERVICE_UNAVAILABLE,
                                 "cannot report chunk %s to the master: %s", id, err);
    }
    st = store_publish(&rx->w, false, err, sizeof err);
    if (st != STORE_OK && st != STORE_EXISTS)
        return httpd_reply_error(c, store_http_status(st), "%s", err);
    bool existed = st == STORE_EXISTS;
    masterlink_report_result rep = masterlink_report(cs->ml, id, size, rx->req.version,
                                                     rx->w.meta.sha, &version, &status, err,
                                                     sizeof err);
    if (rep == REPORT_OK || (rep == REPORT_DUPLICATE && !existed)) {
        if (existed && (st = store_publish(&rx->w, true, err, sizeof err)) != STORE_OK)
            return httpd_reply_error(c, store_http_status(st), "%s", err);
        /* The Go path sends no version: keep the one the master has. */
        if (rx->req.version == 0 && version != 0)
            store_set_version(cs->st, id, version);
        goto stored;
    }
    /* Refused: ours, and the master will not have it. Unreachable is not
     * a no: the master may have recorded the chunk and died before it
     * answered, so the copy stays, and the next full report settles it
     * (kept if recorded, collected after the grace period if not). */
    if (!existed && rep == REPORT_REJECTED)
        store_remove(cs->st, id, 0);
    if (rep == REPORT_DUPLICATE && receive_same_as_stored(rx))
        goto stored;   /* a retry of an upload that landed: the same bytes, kept */
    if (rep == REPORT_DUPLICATE)
        return httpd_reply_error(c, MHD_HTTP_CONFLICT, "chunk %s is already stored here, with "
                                 "other bytes", id);
    if (rep == REPORT_REJECTED)
        return httpd_reply_error(c, (unsigned)status, "master refused chunk %s: %s", id, err);
    return httpd_reply_error(c, MHD_HTTP_SERVICE_UNAVAILABLE,
                             "cannot report chunk %s to the master: %s", id, err);
stored:
    atomic_fetch_add(&cs->stats.chunks_stored, 1);
    if (rx->repair_copy)
        atomic_fetch_add(&cs->stats.copies_received, 1);
    log_debug("stored chunk %s (%" PRIu64 " bytes)", id, size);
    char addr[PROTO_MAX_SERVER_ADDR];
    masterlink_registered(cs->ml, NULL, addr, sizeof addr);
    /* Which servers hold the chunk: this one, then what the chain said. */
    json_t *replicas = json_array();
    json_array_append_new(replicas, json_string(addr));
    if (rx->downstream)
        json_array_extend(replicas, rx->downstream);
    json_t *ans = json_pack("{s:s,s:I,s:s,s:o,s:s}", PROTO_F_CHUNK_ID, id, PROTO_F_SIZE,
                            (json_int_t)size, PROTO_F_CHUNKSERVER, addr, PROTO_F_REPLICAS,
                            replicas, PROTO_F_SHA256, rx->w.meta.sha);
    if (rx->downstream_err[0])
        json_object_set_new(ans, PROTO_F_CHAIN_ERROR, json_string(rx->downstream_err));
    return httpd_reply_json(c, MHD_HTTP_OK, ans);
}

enum MHD_Result receive_end(receive *rx, struct MHD_Connection *c)
{
    if (rx->pp) {
        if (MHD_destroy_post_processor(rx->pp) != MHD_YES)
            receive_fail(rx, MHD_HTTP_BAD_REQUEST, "truncated multipart body");
        rx->pp = NULL;
        if (!rx->fail_status && !rx->got_chunk)
            receive_fail(rx, MHD_HTTP_BAD_REQUEST, "the body has no \"chunk\" file field");
    }
    if (!rx->fail_status && rx->writing && rx->w.written == 0)
        receive_fail(rx, MHD_HTTP_BAD_REQUEST, "a chunk cannot be empty");
    if (rx->fail_status)
        return httpd_reply_error(c, rx->fail_status, "%s", rx->fail_msg);

    if (rx->declared && rx->w.written - rx->w.base != rx->declared)
        receive_fail(rx, MHD_HTTP_BAD_REQUEST, "got %llu bytes of the %llu announced",
                     (unsigned long long)(rx->w.written - rx->w.base),
                     (unsigned long long)rx->declared);
    /* The uploader's checksum: from the header, or the body's last bytes. */
    if (rx->req.sum == CHUNKREQ_SUM_TRAILING && !rx->fail_status) {
        memcpy(rx->req.sha, rx->tail, rx->tail_len);
        rx->req.sha[rx->tail_len] = '\0';
        unsigned char md[SHA256_LEN];
        if (rx->tail_len != SHA256_HEX_LEN || !sha256_from_hex(rx->req.sha, md))
            receive_fail(rx, MHD_HTTP_BAD_REQUEST, "the body does not end in a SHA-256 "
                         "(64 lowercase hex digits)");
    }
    const char *sha = rx->req.sha[0] ? rx->req.sha : NULL;
    if (rx->fail_status)
        return httpd_reply_error(c, rx->fail_status, "%s", rx->fail_msg);

    char err[300];
    store_status st = store_seal(&rx->w, sha, err, sizeof err);
    if (st != STORE_OK) {
        if (st == STORE_BAD_SUM)
            atomic_fetch_add(&rx->cs->stats.checksum_failures, 1);
        receive_fail(rx, store_http_status(st), "%s", err);
        return httpd_reply_error(c, rx->fail_status, "%s", rx->fail_msg);
    }
    /* End the downstream's body first, so every hop flushes to disk at
     * the same time rather than one after the other. */
    if (rx->fw)
        forward_end(rx->fw, rx->w.part_sha);
    st = store_finish(&rx->w, rx->req.version, err, sizeof err);
    if (st != STORE_OK) {
        receive_fail(rx, store_http_status(st), "%s", err);
        return httpd_reply_error(c, rx->fail_status, "%s", rx->fail_msg);
    }
    /* Our copy is durable; now wait until the rest of the chain's is. */
    if (rx->fw) {
        rx->downstream = forward_finish(rx->fw, rx->downstream_err, sizeof rx->downstream_err);
        rx->fw = NULL;
    }
    /* Bytes we did not hash are vouched for by a downstream that stored
     * them (it answers 200 only for bytes that matched the checksum, and
     * it got exactly the buffers we wrote); without one we check our own. */
    if (json_array_size(rx->downstream) == 0 &&
        (st = store_check_deferred(&rx->w, err, sizeof err)) != STORE_OK) {
        if (st == STORE_BAD_SUM)
            atomic_fetch_add(&rx->cs->stats.checksum_failures, 1);
        receive_fail(rx, store_http_status(st), "%s", err);
        return httpd_reply_error(c, rx->fail_status, "%s", rx->fail_msg);
    }
    pthread_mutex_t *lock = receive_stripe(rx->w.id);
    pthread_mutex_lock(lock);
    enum MHD_Result r = receive_commit(rx, c);
    pthread_mutex_unlock(lock);
    store_discard(&rx->w);   /* drops the temporary if it was not published */
    rx->writing = false;
    return r;
}

void receive_free(receive *rx)
{
    if (!rx)
        return;
    atomic_fetch_sub(&rx->cs->stats.active, 1);
    if (rx->held)
        atomic_fetch_sub(&rx->cs->stats.reserved, rx->held);
    if (rx->active_slot >= 0) {
        pthread_mutex_lock(&rx->cs->active_mu);
        rx->cs->active_used[rx->active_slot] = 0;
        pthread_mutex_unlock(&rx->cs->active_mu);
    }
    if (rx->pp)
        MHD_destroy_post_processor(rx->pp);
    if (rx->writing)
        store_discard(&rx->w);
    if (rx->fw)
        forward_abort(rx->fw);
    json_decref(rx->downstream);
    free(rx);
}
