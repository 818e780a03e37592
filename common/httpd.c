/*
 * httpd.c - starts libmicrohttpd daemons and builds responses (signed, or
 * with a hint header, when the calling thread was asked to), or hands them to the calling thread's
 * capture instead (a batch request answering item by item), or streams
 * one its caller produces as it is sent; raises the process's limit on
 * open files to what its connection bound needs. Holds no
 * state of its own but those per-thread settings; called from every
 * server thread. Must never block or read request bodies itself: what a
 * body means is the daemon's business.
 */
#include "httpd.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "escape.h"
#include "log.h"
#include "metrics.h"
#include "monotime.h"
#include "protocol.h"

/* libmicrohttpd's complaints while a daemon starts (a failed bind, no
 * IPv6) are summed up by httpd_start's own error; afterwards they are
 * worth a log line. */
static _Atomic bool httpd_started;

static void httpd_log(void *cls, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

static void httpd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    if (!atomic_load(&httpd_started))
        return;
    /* A flood of connections is a flood of complaints: a few a second. */
    static _Atomic int64_t window;
    static _Atomic unsigned said;
    int64_t now = monotime_ms() / 1000, was = atomic_load(&window);
    if (now != was && atomic_compare_exchange_strong(&window, &was, now))
        atomic_store(&said, 0);
    if (atomic_fetch_add(&said, 1) >= 5)
        return;
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    size_t n = strlen(line);
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    log_warn("http: %s", line);
}

/* ---- what every request costs (metrics.h) ----
 *
 * Each connection carries a small record: when its current request began,
 * which endpoint the server's router said it is, and the status queued
 * for it. The daemon's own handler and completion callbacks are wrapped
 * so that the server's code keeps *con_cls to itself. */
typedef struct {
    MHD_AccessHandlerCallback handler;
    void *handler_cls;
    MHD_RequestCompletedCallback completed;
    void *completed_cls;
    metrics_http *metrics;
} httpd_wrap;

typedef struct {
    bool in_request;
    unsigned status;
    size_t endpoint;
    int64_t start_ns;
} httpd_conn;

static _Atomic uint64_t httpd_open;

uint64_t httpd_connections(void)
{
    return atomic_load_explicit(&httpd_open, memory_order_relaxed);
}

static void httpd_notify_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                                    enum MHD_ConnectionNotificationCode toe)
{
    (void)cls;
    (void)c;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        *socket_context = calloc(1, sizeof(httpd_conn));   /* NULL: that connection is not counted */
        atomic_fetch_add_explicit(&httpd_open, 1, memory_order_relaxed);
    } else {
        free(*socket_context);
        *socket_context = NULL;
        atomic_fetch_sub_explicit(&httpd_open, 1, memory_order_relaxed);
    }
}

static httpd_conn *httpd_conn_of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

static enum MHD_Result httpd_handle(void *cls, struct MHD_Connection *c, const char *url,
                                    const char *method, const char *version,
                                    const char *upload_data, size_t *upload_data_size,
                                    void **con_cls)
{
    httpd_wrap *w = cls;
    httpd_conn *hc = httpd_conn_of(c);
    if (hc && !hc->in_request) {
        hc->in_request = true;
        hc->status = 0;
        hc->endpoint = SIZE_MAX;
        hc->start_ns = monotime_ns();
    }
    return w->handler(w->handler_cls, c, url, method, version, upload_data, upload_data_size,
                      con_cls);
}

static void httpd_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                            enum MHD_RequestTerminationCode toe)
{
    httpd_wrap *w = cls;
    if (w->completed)
        w->completed(w->completed_cls, c, con_cls, toe);
    httpd_conn *hc = httpd_conn_of(c);
    if (!hc || !hc->in_request)
        return;
    hc->in_request = false;
    if (w->metrics && hc->status)   /* no status: cut off before any answer */
        metrics_http_observe(w->metrics,
                             hc->endpoint == SIZE_MAX ? metrics_http_other(w->metrics)
                                                      : hc->endpoint,
                             toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? hc->status : 0,
                             monotime_ns() - hc->start_ns);
}

void httpd_endpoint(struct MHD_Connection *c, size_t endpoint)
{
    httpd_conn *hc = httpd_conn_of(c);
    if (hc)
        hc->endpoint = endpoint;
}

enum MHD_Result httpd_queue(struct MHD_Connection *c, unsigned status, struct MHD_Response *r)
{
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    httpd_conn *hc = ret == MHD_YES ? httpd_conn_of(c) : NULL;
    if (hc)
        hc->status = status;
    return ret;
}

/* The daemons' wrappers, freed by httpd_stop. */
#define HTTPD_MAX_DAEMONS 8
static struct {
    struct MHD_Daemon *d;
    httpd_wrap *w;
} httpd_daemons[HTTPD_MAX_DAEMONS];
static pthread_mutex_t httpd_daemons_mu = PTHREAD_MUTEX_INITIALIZER;

void httpd_stop(struct MHD_Daemon *d)
{
    if (!d)
        return;
    MHD_stop_daemon(d);
    pthread_mutex_lock(&httpd_daemons_mu);
    for (size_t i = 0; i < HTTPD_MAX_DAEMONS; i++)
        if (httpd_daemons[i].d == d) {
            free(httpd_daemons[i].w);
            httpd_daemons[i].d = NULL;
            httpd_daemons[i].w = NULL;
        }
    pthread_mutex_unlock(&httpd_daemons_mu);
}

/* Room for limit connections and the files beside them: the soft limit on
 * descriptors (often 1024) raised as far as the hard one allows. A
 * master of a thousand chunkservers holds a connection to each. */
static void httpd_descriptors(unsigned limit)
{
    struct rlimit rl;
    rlim_t want = (rlim_t)limit + 256;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want)
        return;
    rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ? want : rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < want)
        log_warn("room for %llu open files only (ulimit -n): fewer than the %u connections "
                 "allowed", (unsigned long long)rl.rlim_cur, limit);
}

static struct MHD_Daemon *httpd_try_start(const httpd_config *cfg, httpd_wrap *w, unsigned flags)
{
    size_t mem = cfg->conn_memory_limit ? cfg->conn_memory_limit : 32 * 1024;   /* see httpd.h */
    unsigned timeout = cfg->timeout_s ? cfg->timeout_s : 120;
    /* Bounds on connections: one peer holding many half-open ones (a
     * slowloris) is cut off at its own share, and everyone else is served. */
    unsigned limit = cfg->max_conns ? cfg->max_conns : 1000;
    httpd_descriptors(limit);
    /* TLS, when the server has a certificate: libmicrohttpd's GnuTLS. */
    struct MHD_OptionItem tls[] = {
        { MHD_OPTION_HTTPS_MEM_CERT, 0, (void *)(uintptr_t)cfg->tls_cert },
        { MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)(uintptr_t)cfg->tls_key },
        { MHD_OPTION_END, 0, NULL },
    };
    if (cfg->tls_cert)
        flags |= MHD_USE_TLS;
    else
        tls[0].option = MHD_OPTION_END;
    if (cfg->thread_per_connection) {
        /* poll, not select: a connection's descriptor may pass 1023 */
        flags |= MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL_INTERNAL_THREAD;
        return MHD_start_daemon(flags, cfg->port, NULL, NULL, httpd_handle, w,
                                MHD_OPTION_EXTERNAL_LOGGER, httpd_log, NULL,
                                MHD_OPTION_NOTIFY_COMPLETED, httpd_completed, w,
                                MHD_OPTION_NOTIFY_CONNECTION, httpd_notify_connection, NULL,
                                MHD_OPTION_CONNECTION_MEMORY_LIMIT, mem,
                                MHD_OPTION_CONNECTION_TIMEOUT, timeout,
                                MHD_OPTION_CONNECTION_LIMIT, limit,
                                MHD_OPTION_PER_IP_CONNECTION_LIMIT, cfg->max_conns_per_ip,
                                MHD_OPTION_ARRAY, tls, MHD_OPTION_END);
    }
    flags |= MHD_USE_EPOLL | MHD_USE_INTERNAL_POLLING_THREAD;
    return MHD_start_daemon(flags, cfg->port, NULL, NULL, httpd_handle, w,
                            MHD_OPTION_EXTERNAL_LOGGER, httpd_log, NULL,
                            MHD_OPTION_NOTIFY_COMPLETED, httpd_completed, w,
                            MHD_OPTION_NOTIFY_CONNECTION, httpd_notify_connection, NULL,
                            MHD_OPTION_THREAD_POOL_SIZE, cfg->pool_size ? cfg->pool_size : 4u,
                            MHD_OPTION_CONNECTION_MEMORY_LIMIT, mem,
                            MHD_OPTION_CONNECTION_TIMEOUT, timeout,
                            MHD_OPTION_CONNECTION_LIMIT, limit,
                            MHD_OPTION_PER_IP_CONNECTION_LIMIT, cfg->max_conns_per_ip,
                            MHD_OPTION_ARRAY, tls, MHD_OPTION_END);
}

struct MHD_Daemon *httpd_start(const httpd_config *cfg, uint16_t *bound_port, char *err,
                               size_t errlen)
{
    unsigned base = MHD_USE_ERROR_LOG;
    httpd_wrap *w = calloc(1, sizeof *w);
    if (!w) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    *w = (httpd_wrap){ cfg->handler, cfg->handler_cls, cfg->completed, cfg->completed_cls,
                       cfg->metrics };
    /* Dual stack so that "localhost" works whichever family it resolves to;
     * fall back to IPv4 alone on kernels (containers) without IPv6. */
    struct MHD_Daemon *d = httpd_try_start(cfg, w, base | MHD_USE_DUAL_STACK);
    if (!d)
        d = httpd_try_start(cfg, w, base);
    pthread_mutex_lock(&httpd_daemons_mu);
    size_t slot = 0;
    while (d && slot < HTTPD_MAX_DAEMONS && httpd_daemons[slot].d)
        slot++;
    if (d && slot < HTTPD_MAX_DAEMONS) {
        httpd_daemons[slot].d = d;
        httpd_daemons[slot].w = w;
    } else if (d) {
        MHD_stop_daemon(d);
        d = NULL;
    }
    pthread_mutex_unlock(&httpd_daemons_mu);
    if (!d)
        free(w);
    if (!d) {
        snprintf(err, errlen, "cannot listen on port %u (in use, or not permitted%s)",
                 (unsigned)cfg->port, cfg->tls_cert ? "; or the TLS certificate and key are "
                 "not a matching PEM pair" : "");
        return NULL;
    }
    atomic_store(&httpd_started, true);
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    *bound_port = info ? info->port : cfg->port;
    return d;
}

/* The signer of this thread's answers (httpd_sign_answers). */
static _Thread_local const auth_key *httpd_signer;
static _Thread_local char httpd_signer_nonce[17];

void httpd_sign_answers(const auth_key *key, const char *request_value)
{
    httpd_signer = key && auth_value_nonce(request_value, httpd_signer_nonce) ? key : NULL;
}

/* A header every answer of this thread carries (httpd_hint_answers). */
static _Thread_local const char *httpd_hint_name, *httpd_hint_value;

void httpd_hint_answers(const char *name, const char *value)
{
    httpd_hint_name = name && value ? name : NULL;
    httpd_hint_value = value;
}

static _Thread_local httpd_captured *httpd_capture_to;

void httpd_capture_start(httpd_captured *into)
{
    into->status = 0;
    into->body = NULL;
    httpd_capture_to = into;
}

void httpd_capture_stop(void)
{
    httpd_capture_to = NULL;
}

static enum MHD_Result httpd_reply_json_hdr(struct MHD_Connection *c, unsigned status,
                                            json_t *body, const char *hname, const char *hvalue)
{
    if (!body) {   /* a value jansson would not take (or no memory): still an answer */
        status = MHD_HTTP_INTERNAL_SERVER_ERROR;
        body = json_pack("{s:s}", PROTO_F_ERROR, "the server could not build its answer");
    }
    if (httpd_capture_to) {   /* an item of a batch: the batch answers */
        json_decref(httpd_capture_to->body);
        httpd_capture_to->status = status;
        httpd_capture_to->body = body;
        return body ? MHD_YES : MHD_NO;
    }
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    if (!text)
        return MHD_NO;
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(text);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, PROTO_CONTENT_JSON);
    if (hname)
        MHD_add_response_header(r, hname, hvalue);
    if (httpd_hint_name)
        MHD_add_response_header(r, httpd_hint_name, httpd_hint_value);
    char sum[SHA256_HEX_LEN + 1], sig[AUTH_VALUE_MAX];
    if (httpd_signer && sha256_hex(text, strlen(text), sum) &&
        auth_sign(httpd_signer, AUTH_ANSWER, httpd_signer_nonce, sum, auth_now_ms(), sig))
        MHD_add_response_header(r, AUTH_HEADER, sig);
    enum MHD_Result ret = httpd_queue(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

bool httpd_can_stream(void)
{
    return !httpd_capture_to && !httpd_signer;
}

enum MHD_Result httpd_reply_stream(struct MHD_Connection *c, unsigned status,
                                   MHD_ContentReaderCallback read, void *cls,
                                   MHD_ContentReaderFreeCallback free_fn)
{
    struct MHD_Response *r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, read,
                                                               cls, free_fn);
    if (!r) {
        free_fn(cls);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, PROTO_CONTENT_JSON);
    if (httpd_hint_name)
        MHD_add_response_header(r, httpd_hint_name, httpd_hint_value);
    enum MHD_Result ret = httpd_queue(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

enum MHD_Result httpd_reply_json(struct MHD_Connection *c, unsigned status, json_t *body)
{
    return httpd_reply_json_hdr(c, status, body, NULL, NULL);
}

enum MHD_Result httpd_reply_not_allowed(struct MHD_Connection *c, const char *method,
                                        const char *url, const char *allow)
{
    char msg[256];
    snprintf(msg, sizeof msg, "method %.20s is not allowed on %.100s (allowed: %s)", method, url,
             allow);
    return httpd_reply_json_hdr(c, MHD_HTTP_METHOD_NOT_ALLOWED,
                                json_pack("{s:s}", PROTO_F_ERROR, msg), MHD_HTTP_HEADER_ALLOW,
                                allow);
}

enum MHD_Result httpd_reply_error(struct MHD_Connection *c, unsigned status, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    escape_utf8_mend(msg);   /* cut short inside a character, JSON would refuse it */
    if (status >= 500)
        log_warn("%u %s", status, msg);
    else
        log_debug("%u %s", status, msg);
    return httpd_reply_json(c, status, json_pack("{s:s}", PROTO_F_ERROR, msg));
}

enum MHD_Result httpd_reply_retry(struct MHD_Connection *c, unsigned status, long retry_ms,
                                  const char *fmt, ...)
{
    char msg[512], secs[24];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    escape_utf8_mend(msg);
    log_debug("%u %s (retry after %ld ms)", status, msg, retry_ms);
    snprintf(secs, sizeof secs, "%ld", (retry_ms + 999) / 1000);
    return httpd_reply_json_hdr(c, status,
                                json_pack("{s:s,s:I}", PROTO_F_ERROR, msg, PROTO_F_RETRY_MS,
                                          (json_int_t)retry_ms),
                                "Retry-After", secs);
}

void httpd_body_append(httpd_body *b, const char *data, size_t len, size_t limit)
{
    if (b->overflow)
        return;
    if (b->len + len > limit) {
        b->overflow = true;
        return;
    }
    if (b->len + len + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->len + len + 1)
            cap *= 2;
        char *p = realloc(b->data, cap);
        if (!p) {
            b->overflow = true;
            return;
        }
        b->data = p;
        b->cap = cap;
    }
    memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
}

void httpd_body_free(httpd_body *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}

bool httpd_peer_host(struct MHD_Connection *c, char *out, size_t outlen)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (!ci || !ci->client_addr)
        return false;
    const struct sockaddr *sa = ci->client_addr;
    char buf[INET6_ADDRSTRLEN];
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
        if (!inet_ntop(AF_INET, &in->sin_addr, buf, sizeof buf))
            return false;
        return (size_t)snprintf(out, outlen, "%s", buf) < outlen;
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
        if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
            if (!inet_ntop(AF_INET, &in6->sin6_addr.s6_addr[12], buf, sizeof buf))
                return false;
            return (size_t)snprintf(out, outlen, "%s", buf) < outlen;
        }
        if (!inet_ntop(AF_INET6, &in6->sin6_addr, buf, sizeof buf))
            return false;
        return (size_t)snprintf(out, outlen, "[%s]", buf) < outlen;
    }
    return false;
}

enum MHD_Result httpd_reply_metrics(struct MHD_Connection *c, metrics_text *t)
{
    if (t->oom || !t->buf) {
        metrics_text_free(t);
        return httpd_reply_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
    }
    struct MHD_Response *r = MHD_create_response_from_buffer(t->len, t->buf, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        metrics_text_free(t);
        return MHD_NO;
    }
    t->buf = NULL;   /* the response owns it */
    metrics_text_free(t);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
    enum MHD_Result ret = httpd_queue(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}
