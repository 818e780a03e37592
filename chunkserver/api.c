/*
 * api.c - the chunkserver's HTTP router and its read side. Each connection
 * has its own thread (transfers are long and block on the disk); uploads
 * are handed to receive.c, batches of them to batch.c (until the master
 * link is up, they are answered 503 instead), downloads are answered straight from the chunk file with
 * sendfile (with TLS, which must encrypt in user space: pread in large
 * blocks into one bounded buffer per download) and counted in /stats and
 * /metrics (which also serves Prometheus's text, and /healthz). On a secure chunkserver every read,
 * deletion and /replicate first passes access.c. Must never read a chunk
 * into memory to serve it.
 */
#include "chunkserver.h"

#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "access.h"
#include "addr.h"
#include "batch.h"
#include "chunkid.h"
#include "copier.h"
#include "httpc.h"
#include "httpd.h"
#include "jsonf.h"
#include "log.h"
#include "metrics.h"
#include "monotime.h"
#include "protocol.h"
#include "receive.h"

/* A request that outlives its first call: an upload, a batch of them, or
 * a small JSON body. */
typedef struct {
    receive *rx;
    cs_batch *batch;
    bool json;
    httpd_body body;
} cs_req;

/* A download over TLS. libmicrohttpd reads a file response in 4 KiB
 * blocks when it cannot sendfile, and each block becomes a TLS record and
 * a send: a third of plain HTTP's speed. One block of CS_TLS_BLOCK per
 * download instead (bounded memory: one per connection). */
#define CS_TLS_BLOCK (256u * 1024)

typedef struct {
    int fd;
    uint64_t from;
} cs_tls_read;

static ssize_t cs_api_tls_block(void *cls, uint64_t pos, char *buf, size_t max)
{
    cs_tls_read *t = cls;
    ssize_t n = pread(t->fd, buf, max, (off_t)(t->from + pos));
    return n > 0 ? n : MHD_CONTENT_READER_END_WITH_ERROR;
}

static void cs_api_tls_done(void *cls)
{
    cs_tls_read *t = cls;
    close(t->fd);
    free(t);
}

static struct MHD_Response *cs_api_tls_response(int fd, uint64_t from, uint64_t len)
{
    cs_tls_read *t = malloc(sizeof *t);
    if (!t)
        return NULL;
    *t = (cs_tls_read){ .fd = fd, .from = from };
    struct MHD_Response *r = MHD_create_response_from_callback(len, CS_TLS_BLOCK, cs_api_tls_block,
                                                               t, cs_api_tls_done);
    if (!r)
        free(t);   /* the caller closes fd */
    return r;
}

static enum MHD_Result cs_api_serve(chunkserver *cs, struct MHD_Connection *c, const char *id)
{
    if (!id)
        return httpd_reply_error(c, MHD_HTTP_BAD_REQUEST, "missing query parameter \"id\"");
    if (!chunkid_parse(id, NULL, NULL))
        return httpd_reply_error(c, MHD_HTTP_BAD_REQUEST, "invalid chunk identifier \"%.80s\"", id);
    char target[CHUNKID_BUF + 16], msg[400];
    unsigned refusal;
    snprintf(target, sizeof target, PROTO_PATH_CHUNKS "%s", id);
    if (!access_chunk(cs, c, "GET", target, AUTH_CAP_READ, id,
                      MHD_lookup_connection_value(c, MHD_HEADER_KIND, PROTO_HDR_CAPABILITY),
                      &refusal, msg, sizeof msg))
        return httpd_reply_error(c, refusal, "%s", msg);
    int fd;
    uint64_t size;
    store_status st = store_open_chunk(cs->st, id, &fd, &size);
    if (st != STORE_OK)
        return httpd_reply_error(c, store_http_status(st), st == STORE_NOT_FOUND
                                 ? "no chunk %s here" : "cannot open chunk %s", id);
    /* One byte range, "bytes=A-B" or "bytes=A-": readers ask for the
     * file's committed length, which an append in progress may exceed. */
    uint64_t from = 0, len = size;
    unsigned status = MHD_HTTP_OK;
    const char *range = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_RANGE);
    if (range) {
        unsigned long long a = 0, b = size ? size - 1 : 0;
        char *end = NULL;
        bool ok = strncmp(range, "bytes=", 6) == 0 && isdigit((unsigned char)range[6]);
        if (ok) {
            a = strtoull(range + 6, &end, 10);
            ok = *end == '-';
        }
        if (ok && end[1]) {
            ok = isdigit((unsigned char)end[1]);
            if (ok) {
                b = strtoull(end + 1, &end, 10);
                ok = *end == '\0';
            }
        }
        if (!ok || a >= size || b < a) {
            close(fd);
            return httpd_reply_error(c, MHD_HTTP_RANGE_NOT_SATISFIABLE,
                                     "range \"%.60s\" is not within chunk %s of %llu bytes",
                                     range, id, (unsigned long long)size);
        }
        if (b >= size)
            b = size - 1;
        from = a;
        len = b - a + 1;
        status = MHD_HTTP_PARTIAL_CONTENT;
    }
    struct MHD_Response *r = cs->tls ? cs_api_tls_response(fd, from, len)
                                     : MHD_create_response_from_fd_at_offset64(len, fd, from);
    if (!r) {
        close(fd);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, PROTO_CONTENT_OCTETS);
    if (status == MHD_HTTP_PARTIAL_CONTENT) {
        char cr[96];
        snprintf(cr, sizeof cr, "bytes %llu-%llu/%llu", (unsigned long long)from,
                 (unsigned long long)(from + len - 1), (unsigned long long)size);
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_RANGE, cr);
    }
    enum MHD_Result ret = httpd_queue(c, status, r);
    MHD_destroy_response(r);
    if (ret == MHD_YES)   /* queued: what the answer carries (a HEAD's counts too) */
        atomic_fetch_add(&cs->stats.bytes_served, len);
    return ret;
}

static enum MHD_Result cs_api_delete(chunkserver *cs, struct MHD_Connection *c, const char *id)
{
    if (!chunkid_parse(id, NULL, NULL))
        return httpd_reply_error(c, MHD_HTTP_BAD_REQUEST, "invalid chunk identifier \"%.80s\"", id);
    const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, PROTO_QUERY_VERSION);
    char *end = NULL;
    unsigned long long version = v ? strtoull(v, &end, 10) : 0;
    if (v && (!*v || *end || v[0] == '-'))
        return httpd_reply_error(c, MHD_HTTP_BAD_REQUEST, "query parameter \"version\" must be "
                                 "a non-negative integer");
    /* Only servers delete: the master's orders come through heartbeats. */
    char target[CHUNKID_BUF + 48], msg[400];
    unsigned status;
    int n = snprintf(target, sizeof target, PROTO_PATH_CHUNKS "%s", id);
    if (v)
        snprintf(target + n, sizeof target - (size_t)n, "?" PROTO_QUERY_VERSION "=%s", v);
    if (!access_server(cs, c, "DELETE", target, SHA256_EMPTY_HEX, &status, msg, sizeof msg))
        return httpd_reply_error(c, status, "%s", msg);
    store_status st = store_remove(cs->st, id, version);
    if (st == STORE_NEWER)
        return httpd_reply_error(c, store_http_status(st),
                                 "chunk %s here is newer than version %llu", id, version);
    if (st != STORE_OK)
        return httpd_reply_error(c, store_http_status(st), st == STORE_NOT_FOUND
                                 ? "no chunk %s here" : "cannot delete chunk %s", id);
    return httpd_reply_json(c, MHD_HTTP_OK, json_object());
}

/* The endpoints, as the metrics name them (cs_api_metrics_new). */
enum {
    CS_EP_CHUNK_GET, CS_EP_CHUNK_PUT, CS_EP_CHUNK_DELETE, CS_EP_BATCH, CS_EP_MULTIPART,
    CS_EP_REPLICATE, CS_EP_STATS, CS_EP_GET, CS_EP_METRICS, CS_EP_HEALTHZ, CS_EP_COUNT
};

struct metrics_http *cs_api_metrics_new(void)
{
    static const metrics_endpoint e[CS_EP_COUNT] = {
        [CS_EP_CHUNK_GET] = { PROTO_PATH_CHUNKS "{id}", "GET" },
        [CS_EP_CHUNK_PUT] = { PROTO_PATH_CHUNKS "{id}", "PUT" },
        [CS_EP_CHUNK_DELETE] = { PROTO_PATH_CHUNKS "{id}", "DELETE" },
        [CS_EP_BATCH] = { PROTO_PATH_CHUNK_BATCH, "POST" },
        [CS_EP_MULTIPART] = { PROTO_PATH_UPLOAD_CHUNK, "POST" },
        [CS_EP_REPLICATE] = { PROTO_PATH_REPLICATE, "POST" },
        [CS_EP_STATS] = { PROTO_PATH_STATS, "GET" },
        [CS_EP_GET] = { PROTO_PATH_GET, "GET" },
        [CS_EP_METRICS] = { PROTO_PATH_METRICS, "GET" },
        [CS_EP_HEALTHZ] = { PROTO_PATH_HEALTHZ, "GET" },
    };
    return metrics_http_new(e, CS_EP_COUNT);
}

/* The chunks and bytes stored, by a walk of the directory at most every
 * CS_USAGE_MS: a scrape every second must not stat every chunk. */
#define CS_USAGE_MS 10000

static void cs_api_usage(chunkserver *cs, uint64_t *chunks, uint64_t *bytes)
{
    static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    static int64_t at;
    static uint64_t c_chunks, c_bytes;
    pthread_mutex_lock(&mu);
    int64_t now = monotime_ms();
    if (!at || now - at >= CS_USAGE_MS) {
        store_usage(cs->st, &c_chunks, &c_bytes);
        at = now;
    }
    *chunks = c_chunks;
    *bytes = c_bytes;
    pthread_mutex_unlock(&mu);
}

static void cs_api_metric(metrics_text *t, const char *name, const char *type, const char *help,
                          uint64_t v)
{
    metrics_family(t, name, type, help);
    metrics_sample_u64(t, name, "", v);
}

static enum MHD_Result cs_api_metrics(chunkserver *cs, struct MHD_Connection *c)
{
    metrics_text t = { 0 };
    uint64_t chunks, bytes;
    cs_api_usage(cs, &chunks, &bytes);
    cs_stats *s = &cs->stats;
    cs_api_metric(&t, "minidfs_chunkserver_chunks", "gauge", "Chunks stored", chunks);
    cs_api_metric(&t, "minidfs_chunkserver_stored_bytes", "gauge", "Bytes of the chunks stored",
                  bytes);
    struct statvfs vfs;
    if (statvfs(store_dir(cs->st), &vfs) == 0) {
        uint64_t cap = (uint64_t)vfs.f_blocks * vfs.f_frsize;
        cs_api_metric(&t, "minidfs_disk_capacity_bytes", "gauge",
                      "Size of the file system the chunks are on", cap);
        cs_api_metric(&t, "minidfs_disk_free_bytes", "gauge",
                      "Bytes of that file system free to this server",
                      (uint64_t)vfs.f_bavail * vfs.f_frsize);
    }
    cs_api_metric(&t, "minidfs_written_bytes_total", "counter",
                  "Chunk bytes taken in (uploads, pipeline hops, repair copies)",
                  atomic_load(&s->bytes_received));
    cs_api_metric(&t, "minidfs_read_bytes_total", "counter", "Chunk bytes served to readers",
                  atomic_load(&s->bytes_served));
    cs_api_metric(&t, "minidfs_forwarded_bytes_total", "counter",
                  "Chunk bytes passed down a pipeline or sent as repair copies",
                  atomic_load(&s->bytes_forwarded));
    cs_api_metric(&t, "minidfs_chunks_stored_total", "counter", "Chunks stored since start",
                  atomic_load(&s->chunks_stored));
    cs_api_metric(&t, "minidfs_uploads_active", "gauge", "Uploads in progress",
                  atomic_load(&s->active));
    cs_api_metric(&t, "minidfs_upload_reserved_bytes", "gauge",
                  "Bytes the uploads in progress announced", atomic_load(&s->reserved));
    metrics_hist_family(&t, "minidfs_chunk_fsync_seconds", "Time each stored chunk's fsync took",
                        store_fsync_hist(cs->st));
    cs_api_metric(&t, "minidfs_scrub_chunks_total", "counter", "Chunks read back and checked",
                  atomic_load(&s->scrub.chunks));
    cs_api_metric(&t, "minidfs_scrub_bytes_total", "counter", "Bytes read back and checked",
                  atomic_load(&s->scrub.bytes));
    cs_api_metric(&t, "minidfs_scrub_passes_total", "counter",
                  "Passes over every stored chunk finished", atomic_load(&s->scrub.passes));
    cs_api_metric(&t, "minidfs_scrub_errors_total", "counter",
                  "Copies the scrubbing found not to match their checksum",
                  atomic_load(&s->scrub.rotten));
    cs_api_metric(&t, "minidfs_checksum_failures_total", "counter",
                  "Uploads refused because their bytes did not match their checksum",
                  atomic_load(&s->checksum_failures));
    cs_api_metric(&t, "minidfs_repair_copies_sent_total", "counter",
                  "Repair copies sent to another chunkserver", atomic_load(&s->copies_sent));
    cs_api_metric(&t, "minidfs_repair_copies_received_total", "counter",
                  "Repair copies stored here", atomic_load(&s->copies_received));
    cs_api_metric(&t, "minidfs_http_connections", "gauge", "HTTP connections open now",
                  httpd_connections());
    metrics_http_write(&t, cs->http);
    metrics_process(&t);
    return httpd_reply_metrics(c, &t);
}

static enum MHD_Result cs_api_stats(chunkserver *cs, struct MHD_Connection *c)
{
    return httpd_reply_json(
        c, MHD_HTTP_OK,
        json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "bytesReserved",
                  (json_int_t)atomic_load(&cs->stats.reserved), "bytesReceived",
                  (json_int_t)atomic_load(&cs->stats.bytes_received), "bytesServed",
                  (json_int_t)atomic_load(&cs->stats.bytes_served), "bytesForwarded",
                  (json_int_t)atomic_load(&cs->stats.bytes_forwarded), "chunksStored",
                  (json_int_t)atomic_load(&cs->stats.chunks_stored), "batches",
                  (json_int_t)atomic_load(&cs->stats.batches), "batchedChunks",
                  (json_int_t)atomic_load(&cs->stats.batched_chunks), "chunksScrubbed",
                  (json_int_t)atomic_load(&cs->stats.scrub.chunks), "scrubPasses",
                  (json_int_t)atomic_load(&cs->stats.scrub.passes)));
}

/* POST /replicate {"chunkIdentifier", "target", "generation"}: copy a
 * chunk stored here to another chunkserver, now, answering when it is
 * there (an operator's tool; the master's repair sends its copies through
 * heartbeats instead). */
static enum MHD_Result cs_api_replicate(chunkserver *cs, struct MHD_Connection *c,
                                        const httpd_body *b)
{
    char err[512];
    if (b->overflow)
        return httpd_reply_error(c, MHD_HTTP_CONTENT_TOO_LARGE, "request body too large");
    char sum[SHA256_HEX_LEN + 1], msg[400];
    unsigned status;
    if (!sha256_hex(b->data ? b->data : "", b->data ? b->len : 0, sum))
        return httpd_reply_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot hash the request");
    if (!access_server(cs, c, "POST", PROTO_PATH_REPLICATE, sum, &status, msg, sizeof msg))
        return httpd_reply_error(c, status, "%s", msg);
    json_t *req = jsonf_parse_object(b->data ? b->data : "", b->len, err, sizeof err);
    if (!req)
        return httpd_reply_error(c, MHD_HTTP_BAD_REQUEST, "%s", err);
    const char *id, *to;
    long long generation = 0;
    enum MHD_Result ret;
    copier_status st;
    uint64_t size;
    if (!jsonf_string(req, PROTO_F_CHUNK_ID, &id, err, sizeof err) ||
        !jsonf_string(req, PROTO_F_TARGET, &to, err, sizeof err) ||
        !jsonf_int_opt(req, PROTO_F_GENERATION, 0, INT64_MAX, &generation, err, sizeof err))
        ret = httpd_reply_error(c, MHD_HTTP_BAD_REQUEST, "%s", err);
    else if ((st = copier_copy(cs, id, to, (uint64_t)generation, &size, err, sizeof err)) !=
             COPIER_OK)
        ret = httpd_reply_error(c, copier_http_status(st), "%s", err);
    else
        ret = httpd_reply_json(c, MHD_HTTP_OK,
                               json_pack("{s:s,s:s,s:I}", PROTO_F_CHUNK_ID, id, PROTO_F_TARGET, to,
                                         PROTO_F_SIZE, (json_int_t)size));
    json_decref(req);
    return ret;
}

/* Marks a request whose answer was queued on its first call. */
static char cs_api_answered;
/* Marks a request without a body of its own (GET, HEAD, DELETE), held
 * until its second call: libmicrohttpd closes the connection after an
 * answer queued on a request's first call, and a reader fetching chunk
 * after chunk would pay a new connection, and here a new thread, for
 * every one. */
static char cs_api_deferred;
/* Marks an upload that came before the master link was up (the port is
 * bound first, as its number goes into the registration): its body is
 * read and dropped, and the answer asks the sender to come back. */
static char cs_api_starting;

/* The state kept for an upload that began, or the "answered" marker. */
static void *cs_api_keep(receive *rx)
{
    if (!rx)
        return &cs_api_answered;
    cs_req *r = calloc(1, sizeof *r);
    if (!r) {
        receive_free(rx);   /* the request then fails as a cut connection */
        return &cs_api_answered;
    }
    r->rx = rx;
    return r;
}

enum MHD_Result cs_api_handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_data_size, void **con_cls)
{
    (void)version;
    chunkserver *cs = cls;
    if (*con_cls == &cs_api_answered) {
        *upload_data_size = 0;   /* the answer is out; ignore any body */
        return MHD_YES;
    }
    if (!*con_cls && strcmp(method, "PUT") != 0 && strcmp(method, "POST") != 0) {
        *con_cls = &cs_api_deferred;
        return MHD_YES;
    }
    if (!*con_cls && !atomic_load(&cs->ready)) {
        *con_cls = &cs_api_starting;
        return MHD_YES;
    }
    if (*con_cls == &cs_api_starting) {
        if (*upload_data_size) {
            *upload_data_size = 0;
            return MHD_YES;
        }
        *con_cls = &cs_api_answered;
        return httpd_reply_retry(c, MHD_HTTP_SERVICE_UNAVAILABLE, 500,
                                 "this chunkserver is starting; try again");
    }
    if (*con_cls == &cs_api_deferred) {
        if (*upload_data_size) {
            *upload_data_size = 0;   /* a body nobody reads */
            return MHD_YES;
        }
        *con_cls = NULL;   /* the whole request is in: answer it now */
    }
    if (*con_cls) {
        cs_req *r = *con_cls;
        if (r->json) {
            if (*upload_data_size) {
                httpd_body_append(&r->body, upload_data, *upload_data_size, PROTO_MAX_JSON_BODY);
                *upload_data_size = 0;
                return MHD_YES;
            }
            return cs_api_replicate(cs, c, &r->body);
        }
        if (r->batch) {
            if (*upload_data_size)
                return cs_batch_data(r->batch, c, upload_data, upload_data_size);
            return cs_batch_end(r->batch, c);
        }
        if (*upload_data_size)
            return receive_data(r->rx, upload_data, upload_data_size);
        return receive_end(r->rx, c);
    }

    bool get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
    size_t plen = strlen(PROTO_PATH_CHUNKS);
    if (!strncmp(url, PROTO_PATH_CHUNKS, plen)) {
        const char *id = url + plen;
        if (get || !strcmp(method, "PUT") || !strcmp(method, "DELETE"))
            httpd_endpoint(c, get ? CS_EP_CHUNK_GET : method[0] == 'P' ? CS_EP_CHUNK_PUT
                                                                      : CS_EP_CHUNK_DELETE);
        if (!strcmp(method, "PUT")) {
            receive *rx;
            enum MHD_Result r = receive_put_begin(cs, c, id, &rx);
            *con_cls = cs_api_keep(rx);
            return r;
        }
        *con_cls = &cs_api_answered;
        if (get)
            return cs_api_serve(cs, c, id);
        if (!strcmp(method, "DELETE"))
            return cs_api_delete(cs, c, id);
        return httpd_reply_not_allowed(c, method, url, "GET, PUT, DELETE");
    }
    if (!strcmp(url, PROTO_PATH_CHUNK_BATCH)) {
        httpd_endpoint(c, CS_EP_BATCH);
        if (strcmp(method, "POST") != 0) {
            *con_cls = &cs_api_answered;
            return httpd_reply_not_allowed(c, method, url, "POST");
        }
        cs_req *r = calloc(1, sizeof *r);
        if (!r)
            return MHD_NO;
        if (!(r->batch = cs_batch_begin(cs, c))) {   /* its 500 is queued */
            free(r);
            *con_cls = &cs_api_answered;
            return MHD_YES;
        }
        *con_cls = r;
        return MHD_YES;
    }
    if (!strcmp(url, PROTO_PATH_UPLOAD_CHUNK)) {
        httpd_endpoint(c, CS_EP_MULTIPART);
        if (strcmp(method, "POST") != 0) {
            *con_cls = &cs_api_answered;
            return httpd_reply_not_allowed(c, method, url, "POST");
        }
        receive *rx;
        enum MHD_Result r = receive_multipart_begin(cs, c, &rx);
        *con_cls = cs_api_keep(rx);
        return r;
    }
    if (!strcmp(url, PROTO_PATH_REPLICATE)) {
        httpd_endpoint(c, CS_EP_REPLICATE);
        if (strcmp(method, "POST") != 0) {
            *con_cls = &cs_api_answered;
            return httpd_reply_not_allowed(c, method, url, "POST");
        }
        cs_req *r = calloc(1, sizeof *r);
        if (!r)
            return MHD_NO;
        r->json = true;
        *con_cls = r;
        return MHD_YES;
    }
    *con_cls = &cs_api_answered;
    if (!strcmp(url, PROTO_PATH_STATS)) {
        httpd_endpoint(c, CS_EP_STATS);
        return get ? cs_api_stats(cs, c) : httpd_reply_not_allowed(c, method, url, "GET");
    }
    if (!strcmp(url, PROTO_PATH_METRICS)) {
        httpd_endpoint(c, CS_EP_METRICS);
        return get ? cs_api_metrics(cs, c) : httpd_reply_not_allowed(c, method, url, "GET");
    }
    if (!strcmp(url, PROTO_PATH_HEALTHZ)) {
        httpd_endpoint(c, CS_EP_HEALTHZ);
        if (!get)
            return httpd_reply_not_allowed(c, method, url, "GET");
        bool ready = atomic_load(&cs->ready);
        return httpd_reply_json(c, ready ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE,
                                json_pack("{s:s}", "status", ready ? "ok" : "starting"));
    }
    if (!strcmp(url, PROTO_PATH_GET)) {
        httpd_endpoint(c, CS_EP_GET);
        if (!get)
            return httpd_reply_not_allowed(c, method, url, "GET");
        return cs_api_serve(cs, c, MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
                                                                PROTO_QUERY_ID));
    }
    return httpd_reply_error(c, MHD_HTTP_NOT_FOUND, "no such endpoint: %s %.200s", method, url);
}

void cs_api_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    if (*con_cls && *con_cls != &cs_api_answered && *con_cls != &cs_api_deferred &&
        *con_cls != &cs_api_starting) {
        cs_req *r = *con_cls;
        receive_free(r->rx);
        cs_batch_free(r->batch);
        httpd_body_free(&r->body);
        free(r);
    }
    *con_cls = NULL;
}
