/*
 * httpd.c - starts libmicrohttpd daemons and builds responses (signed, or
 * with a hint header, when the calling thread was asked to), or hands them to the calling thread's
 * capture instead (a batch request answering item by item), or streams
 * one its caller produces as it is sent. Holds no
 * state of its own but those per-thread settings; called from every
 * server thread. Must never block or read request bodies itself: what a
 * body means is the daemon's business.
 */
#include "httpd.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "log.h"
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

static struct MHD_Daemon *httpd_try_start(const httpd_config *cfg, unsigned flags)
{
    size_t mem = cfg->conn_memory_limit ? cfg->conn_memory_limit : 32 * 1024;   /* see httpd.h */
    unsigned timeout = cfg->timeout_s ? cfg->timeout_s : 120;
    /* Bounds on connections: one peer holding many half-open ones (a
     * slowloris) is cut off at its own share, and everyone else is served. */
    unsigned limit = cfg->max_conns ? cfg->max_conns : 1000;
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
        return MHD_start_daemon(flags, cfg->port, NULL, NULL, cfg->handler, cfg->handler_cls,
                                MHD_OPTION_EXTERNAL_LOGGER, httpd_log, NULL,
                                MHD_OPTION_NOTIFY_COMPLETED, cfg->completed, cfg->completed_cls,
                                MHD_OPTION_CONNECTION_MEMORY_LIMIT, mem,
                                MHD_OPTION_CONNECTION_TIMEOUT, timeout,
                                MHD_OPTION_CONNECTION_LIMIT, limit,
                                MHD_OPTION_PER_IP_CONNECTION_LIMIT, cfg->max_conns_per_ip,
                                MHD_OPTION_ARRAY, tls, MHD_OPTION_END);
    }
    flags |= MHD_USE_EPOLL | MHD_USE_INTERNAL_POLLING_THREAD;
    return MHD_start_daemon(flags, cfg->port, NULL, NULL, cfg->handler, cfg->handler_cls,
                            MHD_OPTION_EXTERNAL_LOGGER, httpd_log, NULL,
                            MHD_OPTION_NOTIFY_COMPLETED, cfg->completed, cfg->completed_cls,
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
    /* Dual stack so that "localhost" works whichever family it resolves to;
     * fall back to IPv4 alone on kernels (containers) without IPv6. */
    struct MHD_Daemon *d = httpd_try_start(cfg, base | MHD_USE_DUAL_STACK);
    if (!d)
        d = httpd_try_start(cfg, base);
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
    enum MHD_Result ret = MHD_queue_response(c, status, r);
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
    enum MHD_Result ret = MHD_queue_response(c, status, r);
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
