/*
 * httpd.h - the thin layer every minidfs server puts over libmicrohttpd.
 *
 * It starts a daemon with the options we always want (dual stack when the
 * kernel has IPv6, address reuse, a connection timeout, a per-connection
 * memory pool sized by the server (see conn_memory_limit), bounds on connections in total and per address, TLS when given a
 * certificate) and gives handlers the
 * few things they all need: a JSON reply (signed with the cluster key when
 * the thread was asked to sign its answers), every request counted in the
 * daemon's metrics table (endpoint, status, latency), a JSON error reply (and one
 * that says when to retry), a JSON answer streamed as its caller makes
 * it, a bounded buffer for small request bodies, the peer's host.
 * Routing stays in each daemon: the master and the chunkserver handle
 * requests very differently (small JSON bodies vs. streamed chunk bodies).
 */
#ifndef MINIDFS_HTTPD_H
#define MINIDFS_HTTPD_H

#include <jansson.h>
#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth.h"
#include "metrics.h"

typedef struct {
    uint16_t port;                   /* 0: any free port */
    bool thread_per_connection;      /* else an epoll thread pool */
    unsigned pool_size;              /* threads in the pool */
    /* Bytes of libmicrohttpd's pool per connection (0: 32 KiB, room for a
     * 4096-byte path escaped in a URL and long headers). It is zeroed
     * after every request on a kept-alive connection, so its size is paid
     * per request: a bigger one only for servers whose bodies are large
     * (each upload callback then carries more bytes). */
    size_t conn_memory_limit;
    unsigned timeout_s;              /* idle connection timeout */
    unsigned max_conns;              /* open connections at once; 0: libmicrohttpd's default */
    unsigned max_conns_per_ip;       /* from one address at once; 0: no bound */
    MHD_AccessHandlerCallback handler;
    void *handler_cls;
    MHD_RequestCompletedCallback completed;
    void *completed_cls;
    const char *tls_cert, *tls_key;  /* PEM text (tls.h), kept for the daemon's life; NULL: plain HTTP */
    metrics_http *metrics;           /* counts every request's endpoint, status, latency; NULL: none */
} httpd_config;

/* Starts the daemon; *bound_port receives the port actually bound. */
struct MHD_Daemon *httpd_start(const httpd_config *cfg, uint16_t *bound_port, char *err,
                               size_t errlen);

/* Stops a daemon httpd_start started, and frees what it kept for it. */
void httpd_stop(struct MHD_Daemon *d);

/* Which of the metrics table's endpoints this request is (the router
 * says so once it knows; a request it never names counts as "other"). */
void httpd_endpoint(struct MHD_Connection *c, size_t endpoint);
/* MHD_queue_response, and the status noted for the request's metrics:
 * every response a server queues goes through here. */
enum MHD_Result httpd_queue(struct MHD_Connection *c, unsigned status, struct MHD_Response *r);
/* Connections open now, to every daemon of the process. */
uint64_t httpd_connections(void);
/* Queues a scrape's text (its buffer is taken) as a 200 in Prometheus's
 * text format, or a 500 when it ran out of memory. */
enum MHD_Result httpd_reply_metrics(struct MHD_Connection *c, metrics_text *t);

/* Queues body (a reference is stolen) as the JSON response. */
enum MHD_Result httpd_reply_json(struct MHD_Connection *c, unsigned status, json_t *body);
/* Whether this request's answer may be streamed (httpd_reply_stream):
 * not an item of a batch, nor an answer that must be signed (a signature
 * covers the whole body). */
bool httpd_can_stream(void);
/* Queues a JSON answer of unknown length, produced by read as it is sent
 * (libmicrohttpd's content reader: bytes, END_OF_STREAM, or
 * END_WITH_ERROR to cut the answer short); free_fn(cls) when done. */
enum MHD_Result httpd_reply_stream(struct MHD_Connection *c, unsigned status,
                                   MHD_ContentReaderCallback read, void *cls,
                                   MHD_ContentReaderFreeCallback free_fn);
/* Queues {"error": "<formatted message>"} with the given status. */
enum MHD_Result httpd_reply_error(struct MHD_Connection *c, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Queues {"error": "...", "retryAfterMs": retry_ms} with a Retry-After
 * header (whole seconds, rounded up): a refusal that will pass, which
 * clients retry after that long. */
enum MHD_Result httpd_reply_retry(struct MHD_Connection *c, unsigned status, long retry_ms,
                                  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* A batch request (many files' plans in one /upload, many chunks' reports
 * in one /uploadSuccessful) runs the single request's handler once per
 * item: between httpd_capture_start and httpd_capture_stop, what the
 * reply functions above would queue on the calling thread's connection
 * is kept in *into instead (the last one; status 0 and body NULL: none
 * yet), headers dropped, for the batch to put in its own answer. */
typedef struct {
    unsigned status;
    json_t *body;        /* owned by the capture's caller once stopped */
} httpd_captured;
void httpd_capture_start(httpd_captured *into);
void httpd_capture_stop(void);

/* Queues a 405 with an Allow header and a JSON error naming the methods. */
enum MHD_Result httpd_reply_not_allowed(struct MHD_Connection *c, const char *method,
                                        const char *url, const char *allow);

/* A request body collected in memory, for control-plane requests only. */
typedef struct {
    char *data;
    size_t len, cap;
    bool overflow;      /* more than the limit arrived; the rest was dropped */
} httpd_body;

void httpd_body_append(httpd_body *b, const char *data, size_t len, size_t limit);
void httpd_body_free(httpd_body *b);

/* The peer's address as a host usable in "HOST:PORT/": "127.0.0.1" (also
 * for IPv4-mapped IPv6 peers) or "[::1]". */
bool httpd_peer_host(struct MHD_Connection *c, char *out, size_t outlen);

/* From now until it is called again with NULL, every answer this thread
 * builds is signed with key over the nonce of request_value (the
 * request's X-Minidfs-Auth): a signed request gets a signed answer. */
void httpd_sign_answers(const auth_key *key, const char *request_value);

/* From now until it is called again with NULL name, every answer this
 * thread builds carries the header name: value (both kept by the caller
 * meanwhile): an HA standby's hint at the active master. */
void httpd_hint_answers(const char *name, const char *value);

#endif
