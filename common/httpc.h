/*
 * httpc.h - HTTP over libcurl: control-plane calls with JSON bodies, and
 * the two streamed calls of the data path.
 *
 * Each thread keeps one curl handle and reuses it (and its connection) for
 * every call it makes, so a chunkserver reporting chunk after chunk to the
 * master does not pay a TCP handshake each time. httpc_json buffers its
 * answer and is for control messages only (httpc_json_signed signs the
 * request with the cluster key and takes a 2xx answer only when it is
 * signed back, httpc_json_bearer carries a user's token; httpc_post_signed
 * does the same for a body that is not JSON, a packed report page); chunk bytes go through
 * httpc_put_fd (a file's range, streamed) and httpc_multi_run (the
 * client's many transfers at once), which never hold a chunk in memory;
 * httpc_collect keeps a bounded answer for a handle set up by hand.
 */
#ifndef MINIDFS_HTTPC_H
#define MINIDFS_HTTPC_H

#include <curl/curl.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth.h"

#define HTTPC_MAX_LEADER 272

typedef struct {
    long status;      /* HTTP status, 0 if none */
    json_t *json;     /* decoded body when it was JSON, else NULL */
    bool unreached;   /* no answer because the request never left (refused, no route) */
    long retry_ms;    /* the answer's Retry-After (header or retryAfterMs), 0: none */
    /* an HA standby's X-Minidfs-Leader: the active master's base URL
     * ("" when none came) */
    char leader[HTTPC_MAX_LEADER];
} httpc_response;

/* Call once from main before any thread exists. */
void httpc_global_init(void);
/* TLS for every call this process makes (https only, peers verified
 * against ca_file, or the system's CAs when NULL; the string is kept):
 * once, from main, before any thread calls out. */
void httpc_set_tls(bool on, const char *ca_file);

/* Sends method to url with body (may be NULL) and decodes the answer.
 * Returns false, with err filled, when no HTTP answer came back (refused,
 * timed out, reset) or a 2xx answer was not JSON; any status otherwise. */
bool httpc_json(const char *method, const char *url, json_t *body, long timeout_ms,
                httpc_response *resp, char *err, size_t errlen);
/* The same, signed with the cluster key (auth.h) when key is not NULL. */
bool httpc_json_signed(const char *method, const char *url, json_t *body, const auth_key *key,
                       long timeout_ms, httpc_response *resp, char *err, size_t errlen);
/* The same with "Authorization: Bearer <token>" when token is not NULL (a
 * user's call to a secure master: send it to the master only). */
bool httpc_json_bearer(const char *method, const char *url, json_t *body, const char *token,
                       long timeout_ms, httpc_response *resp, char *err, size_t errlen);

/* POSTs len bytes of body, of content_type (a packed report's: not JSON),
 * signed with key when not NULL, and decodes the answer like httpc_json. */
bool httpc_post_signed(const char *url, const void *body, size_t len, const char *content_type,
                       const auth_key *key, long timeout_ms, httpc_response *resp, char *err,
                       size_t errlen);

/* PUTs length bytes of fd from offset to url (read with pread, never held
 * in memory), with extra headers (may be NULL), and decodes the answer
 * like httpc_json. */
bool httpc_put_fd(const char *url, int fd, uint64_t offset, uint64_t length,
                  struct curl_slist *headers, long timeout_ms, httpc_response *resp, char *err,
                  size_t errlen);

/* Many transfers, a bounded number at once, on libcurl's multi interface.
 * The driver owns `parallel` easy handles and hands each, reset, to the
 * next job, so connections are reused from job to job. */
typedef enum {
    HTTPC_JOB_DONE,    /* this job is finished */
    HTTPC_JOB_AGAIN,   /* start this job again (another server, say) */
    HTTPC_JOB_STOP,    /* give up the whole run */
} httpc_job_next;

typedef struct {
    size_t njobs;
    unsigned parallel;
    /* Which job to begin next; NULL: 0, 1, ... njobs - 1. A queue shared
     * by several runs on several threads hands each job to one of them;
     * it answers njobs when none is left. */
    size_t (*claim)(void *ud);
    /* Sets up the (reset) handle h for job; false stops the run. */
    bool (*start)(void *ud, size_t job, CURL *h);
    /* The transfer of job on h ended with rc: what next. */
    httpc_job_next (*finish)(void *ud, size_t job, CURL *h, CURLcode rc);
    /* Called after every round of progress; false stops the run (another
     * thread's run failed, say). May be NULL. */
    bool (*tick)(void *ud);
    void *ud;
} httpc_multi_spec;

/* Runs every job to DONE; false when a callback stopped the run or
 * memory ran out (the callbacks say why). */
bool httpc_multi_run(const httpc_multi_spec *spec);

/* An answer's body collected in memory, bounded: httpc_collect as a curl
 * handle's CURLOPT_WRITEFUNCTION and the buffer (zeroed, max set; 0: 256
 * MiB) as its WRITEDATA. Past max bytes the transfer ends (overflow set);
 * data is NUL-terminated; the caller frees it. */
typedef struct {
    char *data;
    size_t len, max;
    bool overflow;
} httpc_answer;
size_t httpc_collect(char *p, size_t size, size_t n, void *ud);

/* The "error" field of a failed answer, or "HTTP <status>". */
const char *httpc_error_text(const httpc_response *resp, char *buf, size_t buflen);

void httpc_response_free(httpc_response *resp);

/* The options every minidfs curl handle gets (no signals, TCP_NODELAY,
 * keep-alive, a connect timeout, the process's scheme and TLS checks). */
void httpc_configure(CURL *h, long connect_timeout_ms);

#endif
