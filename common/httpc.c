/*
 * httpc.c - blocking JSON requests for the control plane (signed with the
 * cluster key when one is given; a packed report's body is not JSON but
 * goes the same way), a streamed PUT of a file's range, and
 * the multi-transfer driver. Owns one curl easy handle and one multi
 * handle per calling thread, and the easy handles its runs of transfers
 * left (up to HTTPC_KEEP_EASY; all created on first use, freed when the
 * thread exits): the multi's connection cache and the handles outlive a
 * run, so a thread that moves file after file (put -r) reuses its
 * connections and handles instead of making new ones for every file.
 * httpc_json must never carry chunk bytes: it buffers the whole answer
 * (httpc_collect, which callers with handles of their own use too),
 * bounded by HTTPC_MAX_ANSWER.
 */
#include "httpc.h"

#include "protocol.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define HTTPC_MAX_ANSWER (256u << 20)

static pthread_key_t httpc_key;
static pthread_once_t httpc_key_once = PTHREAD_ONCE_INIT;

static void httpc_free_handle(void *h)
{
    curl_easy_cleanup(h);
}

static pthread_key_t httpc_multi_key;

/* The easy handles a thread's last runs of transfers left, for its next. */
#define HTTPC_KEEP_EASY 16
typedef struct {
    CURL *h[HTTPC_KEEP_EASY];
    size_t n;
} httpc_easies;
static pthread_key_t httpc_easies_key;

static void httpc_free_easies(void *p)
{
    httpc_easies *e = p;
    while (e->n > 0)
        curl_easy_cleanup(e->h[--e->n]);
    free(e);
}

static void httpc_free_multi(void *m)
{
    curl_multi_cleanup(m);
}

static void httpc_make_key(void)
{
    pthread_key_create(&httpc_key, httpc_free_handle);
    pthread_key_create(&httpc_multi_key, httpc_free_multi);
    pthread_key_create(&httpc_easies_key, httpc_free_easies);
}

/* An easy handle for a run: one this thread kept, or a new one. */
static CURL *httpc_easy_take(void)
{
    httpc_easies *e = pthread_getspecific(httpc_easies_key);
    return e && e->n > 0 ? e->h[--e->n] : curl_easy_init();
}

/* Keeps h (in no multi) for this thread's next run, or frees it. */
static void httpc_easy_keep(CURL *h)
{
    httpc_easies *e = pthread_getspecific(httpc_easies_key);
    if (!e && (e = calloc(1, sizeof *e)) != NULL && pthread_setspecific(httpc_easies_key, e) != 0) {
        free(e);
        e = NULL;
    }
    if (e && e->n < HTTPC_KEEP_EASY)
        e->h[e->n++] = h;
    else
        curl_easy_cleanup(h);
}

/* This thread's multi handle (its connections kept between runs). */
static CURLM *httpc_thread_multi(void)
{
    pthread_once(&httpc_key_once, httpc_make_key);
    CURLM *m = pthread_getspecific(httpc_multi_key);
    if (!m && (m = curl_multi_init()) != NULL)
        pthread_setspecific(httpc_multi_key, m);
    return m;
}

void httpc_global_init(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    pthread_once(&httpc_key_once, httpc_make_key);
}

/* Set once by main before any thread calls out (httpc_set_tls). */
static bool httpc_tls;
static const char *httpc_ca_file;

void httpc_set_tls(bool on, const char *ca_file)
{
    httpc_tls = on;
    httpc_ca_file = ca_file;
}

void httpc_configure(CURL *h, long connect_timeout_ms)
{
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, connect_timeout_ms);
    /* One scheme for the whole process: a TLS cluster never falls back
     * to plain HTTP, and verifies every peer's certificate and name. */
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, httpc_tls ? "https" : "http");
    if (httpc_tls) {
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
        if (httpc_ca_file)
            curl_easy_setopt(h, CURLOPT_CAINFO, httpc_ca_file);
    }
}

static CURL *httpc_thread_handle(void)
{
    pthread_once(&httpc_key_once, httpc_make_key);
    CURL *h = pthread_getspecific(httpc_key);
    if (!h) {
        h = curl_easy_init();
        if (!h)
            return NULL;
        pthread_setspecific(httpc_key, h);
    } else {
        curl_easy_reset(h);
    }
    return h;
}

size_t httpc_collect(char *p, size_t size, size_t n, void *ud)
{
    httpc_answer *b = ud;
    size_t len = size * n;
    if (b->len + len > (b->max ? b->max : HTTPC_MAX_ANSWER)) {
        b->overflow = true;
        return 0;
    }
    char *q = realloc(b->data, b->len + len + 1);
    if (!q)
        return 0;
    memcpy(q + b->len, p, len);
    b->data = q;
    b->len += len;
    b->data[b->len] = '\0';
    return len;
}

static bool httpc_json_call(const char *method, const char *url, json_t *body,
                            const auth_key *key, const char *token, long timeout_ms,
                            httpc_response *resp, char *err, size_t errlen);

bool httpc_json(const char *method, const char *url, json_t *body, long timeout_ms,
                httpc_response *resp, char *err, size_t errlen)
{
    return httpc_json_call(method, url, body, NULL, NULL, timeout_ms, resp, err, errlen);
}

/* The request target of "http://host:port/path?q": "/path?q". */
static const char *httpc_target(const char *url)
{
    const char *p = strstr(url, "://");
    p = p ? strchr(p + 3, '/') : NULL;
    return p ? p : "/";
}

/* The answer's headers a call keeps. */
typedef struct {
    char sig[AUTH_VALUE_MAX];            /* X-Minidfs-Auth */
    char leader[HTTPC_MAX_LEADER];       /* X-Minidfs-Leader */
} httpc_kept_headers;

/* Copies header line p's value into out (outlen bytes) when it is name's;
 * a value too long is left out. */
static void httpc_keep_header(const char *p, size_t len, const char *name, char *out,
                              size_t outlen)
{
    size_t hl = strlen(name);
    if (len <= hl + 1 || strncasecmp(p, name, hl) != 0 || p[hl] != ':')
        return;
    const char *v = p + hl + 1;
    size_t vl = len - hl - 1;
    while (vl > 0 && (*v == ' ' || *v == '\t'))
        v++, vl--;
    while (vl > 0 && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
        vl--;
    if (vl < outlen) {
        memcpy(out, v, vl);
        out[vl] = '\0';
    }
}

static size_t httpc_answer_header(char *p, size_t size, size_t n, void *ud)
{
    httpc_kept_headers *k = ud;
    size_t len = size * n;
    httpc_keep_header(p, len, AUTH_HEADER, k->sig, sizeof k->sig);
    httpc_keep_header(p, len, PROTO_HDR_LEADER, k->leader, sizeof k->leader);
    return len;
}

bool httpc_json_signed(const char *method, const char *url, json_t *body, const auth_key *key,
                       long timeout_ms, httpc_response *resp, char *err, size_t errlen)
{
    return httpc_json_call(method, url, body, key, NULL, timeout_ms, resp, err, errlen);
}

bool httpc_json_bearer(const char *method, const char *url, json_t *body, const char *token,
                       long timeout_ms, httpc_response *resp, char *err, size_t errlen)
{
    return httpc_json_call(method, url, body, NULL, token, timeout_ms, resp, err, errlen);
}

static bool httpc_call(const char *method, const char *url, const char *text, size_t textlen,
                       const char *ctype, const auth_key *key, const char *token,
                       long timeout_ms, httpc_response *resp, char *err, size_t errlen);

static bool httpc_json_call(const char *method, const char *url, json_t *body,
                            const auth_key *key, const char *token, long timeout_ms,
                            httpc_response *resp, char *err, size_t errlen)
{
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    if (body && !text) {
        memset(resp, 0, sizeof *resp);
        snprintf(err, errlen, "out of memory");
        return false;
    }
    bool ok = httpc_call(method, url, text, text ? strlen(text) : 0, PROTO_CONTENT_JSON, key,
                         token, timeout_ms, resp, err, errlen);
    free(text);
    return ok;
}

bool httpc_post_signed(const char *url, const void *body, size_t len, const char *content_type,
                       const auth_key *key, long timeout_ms, httpc_response *resp, char *err,
                       size_t errlen)
{
    return httpc_call("POST", url, body, len, content_type, key, NULL, timeout_ms, resp, err,
                      errlen);
}

/* text (textlen bytes, NULL: no body) of type ctype to url. */
static bool httpc_call(const char *method, const char *url, const char *text, size_t textlen,
                       const char *ctype, const auth_key *key, const char *token,
                       long timeout_ms, httpc_response *resp, char *err, size_t errlen)
{
    memset(resp, 0, sizeof *resp);
    CURL *h = httpc_thread_handle();
    if (!h) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    struct curl_slist *hdrs = NULL;
    httpc_answer buf = { 0 };
    char curl_err[CURL_ERROR_SIZE] = "";
    bool ok = false;

    httpc_configure(h, timeout_ms < 5000 ? timeout_ms : 5000);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, httpc_collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &buf);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, curl_err);
    if (text) {
        char line[128];
        snprintf(line, sizeof line, "Content-Type: %s", ctype);
        hdrs = curl_slist_append(hdrs, line);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, text);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)textlen);
    } else if (strcmp(method, "GET") == 0) {
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    }
    hdrs = curl_slist_append(hdrs, "Expect:");
    if (token) {
        char line[256];
        snprintf(line, sizeof line, "Authorization: Bearer %.128s", token);
        hdrs = curl_slist_append(hdrs, line);
    }
    char nonce[17] = "";
    httpc_kept_headers kept = { "", "" };
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, httpc_answer_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &kept);
    if (key) {
        char sum[SHA256_HEX_LEN + 1], value[AUTH_VALUE_MAX], line[AUTH_VALUE_MAX + 32];
        if (!sha256_hex(text ? text : "", textlen, sum) ||
            !auth_sign(key, method, httpc_target(url), sum, auth_now_ms(), value) ||
            !auth_value_nonce(value, nonce)) {
            snprintf(err, errlen, "%s %s: cannot sign the request", method, url);
            goto out;
        }
        snprintf(line, sizeof line, AUTH_HEADER ": %s", value);
        hdrs = curl_slist_append(hdrs, line);
    }
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);

    CURLcode rc = curl_easy_perform(h);
    if (rc != CURLE_OK) {
        /* nothing reached the server: safe to send again */
        resp->unreached = rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST;
        snprintf(err, errlen, "%s %s: %s", method, url,
                 buf.overflow ? "answer too large" : (curl_err[0] ? curl_err : curl_easy_strerror(rc)));
        goto out;
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
    memcpy(resp->leader, kept.leader, sizeof resp->leader);
    curl_off_t after = 0;
    if (curl_easy_getinfo(h, CURLINFO_RETRY_AFTER, &after) == CURLE_OK && after > 0)
        resp->retry_ms = after < 3600 ? (long)after * 1000 : 3600000;
    if (buf.len > 0) {
        json_error_t je;
        resp->json = json_loadb(buf.data, buf.len, 0, &je);
        json_t *ms = json_object_get(resp->json, PROTO_F_RETRY_MS);
        if (json_is_integer(ms) && json_integer_value(ms) > 0 && json_integer_value(ms) < 3600000)
            resp->retry_ms = (long)json_integer_value(ms);
    }
    if (resp->status >= 200 && resp->status < 300 && !json_is_object(resp->json)) {
        snprintf(err, errlen, "%s %s: answer is not a JSON object", method, url);
        httpc_response_free(resp);
        goto out;
    }
    /* A signed request's yes must be signed too, over our nonce: orders
     * come only in a 2xx, and only the cluster's master may give them. */
    char sum[SHA256_HEX_LEN + 1];
    if (key && resp->status >= 200 && resp->status < 300 &&
        (!sha256_hex(buf.data ? buf.data : "", buf.len, sum) ||
         auth_verify(key, NULL, AUTH_ANSWER, nonce, sum, kept.sig[0] ? kept.sig : NULL,
                     auth_now_ms()) != AUTH_OK)) {
        snprintf(err, errlen, "%s %s: the answer is not signed with the cluster key (a master "
                 "of another cluster, or an impostor): ignored", method, url);
        httpc_response_free(resp);
        resp->status = 0;
        goto out;
    }
    ok = true;
out:
    /* Detach our buffers before they go out of scope: the handle lives on. */
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, NULL);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, NULL);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
    curl_slist_free_all(hdrs);
    free(buf.data);
    return ok;
}

typedef struct {
    int fd;
    uint64_t offset, length, pos;
} httpc_source;

static size_t httpc_read_fd(char *buf, size_t size, size_t nitems, void *ud)
{
    httpc_source *s = ud;
    size_t want = size * nitems;
    if (want > s->length - s->pos)
        want = (size_t)(s->length - s->pos);
    if (want == 0)
        return 0;
    ssize_t n = pread(s->fd, buf, want, (off_t)(s->offset + s->pos));
    if (n <= 0)
        return CURL_READFUNC_ABORT;
    s->pos += (uint64_t)n;
    return (size_t)n;
}

bool httpc_put_fd(const char *url, int fd, uint64_t offset, uint64_t length,
                  struct curl_slist *headers, long timeout_ms, httpc_response *resp, char *err,
                  size_t errlen)
{
    memset(resp, 0, sizeof *resp);
    CURL *h = httpc_thread_handle();
    if (!h) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    httpc_source src = { .fd = fd, .offset = offset, .length = length };
    httpc_answer buf = { 0 };
    char curl_err[CURL_ERROR_SIZE] = "";
    httpc_configure(h, 5000);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)length);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, httpc_read_fd);
    curl_easy_setopt(h, CURLOPT_READDATA, &src);
    curl_easy_setopt(h, CURLOPT_UPLOAD_BUFFERSIZE, 1024L * 1024L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, httpc_collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &buf);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, curl_err);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    CURLcode rc = curl_easy_perform(h);
    bool ok = rc == CURLE_OK;
    if (!ok) {
        snprintf(err, errlen, "PUT %s: %s", url, curl_err[0] ? curl_err : curl_easy_strerror(rc));
    } else {
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
        resp->json = buf.len ? json_loadb(buf.data, buf.len, 0, NULL) : NULL;
    }
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
    free(buf.data);
    return ok;
}

bool httpc_multi_run(const httpc_multi_spec *s)
{
    if (s->njobs == 0)
        return true;
    size_t par = s->parallel ? s->parallel : 1;
    if (par > s->njobs)
        par = s->njobs;
    CURLM *multi = httpc_thread_multi();
    CURL **all = calloc(par, sizeof *all), **pool = calloc(par, sizeof *pool);
    size_t nall = 0, nfree = 0, next = 0, active = 0;
    bool stopped = false, more = true;   /* more: jobs may be left to begin */
    while (multi && all && pool && nall < par && (all[nall] = httpc_easy_take()) != NULL)
        pool[nfree++] = all[nall++];
    if (nfree == 0) {
        stopped = true;
        goto out;
    }
    while (!stopped && (more || active > 0)) {
        while (!stopped && nfree > 0 && more) {
            size_t job = s->claim ? s->claim(s->ud) : next++;
            if (job >= s->njobs) {
                more = false;
                break;
            }
            more = s->claim || next < s->njobs;
            CURL *h = pool[--nfree];
            curl_easy_reset(h);
            if (!s->start(s->ud, job, h)) {
                pool[nfree++] = h;
                stopped = true;
                break;
            }
            curl_easy_setopt(h, CURLOPT_PRIVATE, (void *)(uintptr_t)job);
            if (curl_multi_add_handle(multi, h) != CURLM_OK) {
                pool[nfree++] = h;
                stopped = true;
                break;
            }
            active++;
        }
        int running, left;
        curl_multi_perform(multi, &running);
        CURLMsg *msg;
        while (!stopped && (msg = curl_multi_info_read(multi, &left)) != NULL) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            CURL *h = msg->easy_handle;
            CURLcode rc = msg->data.result;
            void *priv;
            curl_easy_getinfo(h, CURLINFO_PRIVATE, (char **)&priv);
            size_t job = (size_t)(uintptr_t)priv;
            curl_multi_remove_handle(multi, h);
            httpc_job_next what = s->finish(s->ud, job, h, rc);
            if (what == HTTPC_JOB_AGAIN) {
                curl_easy_reset(h);
                if (s->start(s->ud, job, h)) {
                    curl_easy_setopt(h, CURLOPT_PRIVATE, (void *)(uintptr_t)job);
                    if (curl_multi_add_handle(multi, h) == CURLM_OK)
                        continue;
                }
                what = HTTPC_JOB_STOP;
            }
            pool[nfree++] = h;
            active--;
            stopped = what == HTTPC_JOB_STOP;
        }
        if (s->tick && !s->tick(s->ud))
            stopped = true;
        /* Sleep only when no new job can start: a finished job frees a
         * handle that must go straight to the next one, or every job would
         * pay the poll timeout. */
        if (!stopped && active > 0 && !(nfree > 0 && more))
            curl_multi_poll(multi, NULL, 0, 100, NULL);
    }
out:
    for (size_t k = 0; k < nall; k++) {
        curl_multi_remove_handle(multi, all[k]);   /* harmless when not added */
        httpc_easy_keep(all[k]);
    }
    free(all);
    free(pool);
    return !stopped;   /* the multi stays, with its connections, for this thread's next run */
}

const char *httpc_error_text(const httpc_response *resp, char *buf, size_t buflen)
{
    json_t *e = resp->json ? json_object_get(resp->json, "error") : NULL;
    if (json_is_string(e))
        snprintf(buf, buflen, "%s", json_string_value(e));
    else
        snprintf(buf, buflen, "HTTP %ld", resp->status);
    return buf;
}

void httpc_response_free(httpc_response *resp)
{
    json_decref(resp->json);
    resp->json = NULL;
}
