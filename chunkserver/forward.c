/*
 * forward.c - the sending half of the write pipeline. A forward is one
 * libcurl PUT to the next hop, driven on its own multi handle by the
 * connection thread that receives the chunk: each received buffer is
 * offered to the upload's read callback and the transfer is run until it
 * has taken all of it, so the bytes go from libmicrohttpd's buffer to
 * curl's and out, with no pipe, no second thread and no copy of our own.
 * A slow downstream therefore slows the upload down, and memory stays at
 * curl's one upload buffer. Once the downstream fails, every later write
 * is dropped at once: the local copy never waits on a dead peer.
 */
#include "forward.h"

#include <curl/curl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "httpc.h"
#include "jsonf.h"
#include "log.h"
#include "protocol.h"
#include "sha256.h"

#define FORWARD_UPLOAD_BUFFER (1024L * 1024L)
#define FORWARD_STALL_SECONDS 60L
#define FORWARD_POLL_MS 1000

struct forward {
    CURLM *multi;
    CURL *easy;                 /* the PUT to hops[hop] */
    struct curl_slist *headers;
    chunkreq req;               /* as received: its chain is the hops to try */
    size_t hop;                 /* the hop being sent to */
    uint64_t length;
    uint64_t sent;              /* body bytes curl has taken (the digest included) */
    _Atomic uint64_t *sent_counter;
    const char *pend;           /* bytes offered by forward_write, not yet taken */
    size_t pend_len;
    bool paused;                /* the read callback found nothing offered */
    bool cut;                   /* the local side gave up: the body ends short */
    bool done;                  /* the transfer is over (rc and status are set) */
    bool failed;                /* it is over without the body's end, or went wrong */
    bool ended;                 /* forward_end ran */
    CURLcode rc;
    long status;
    char curl_err[CURL_ERROR_SIZE];
    char err[300];
    char answer[2048];
    size_t answer_len;
};

static size_t forward_read(char *buf, size_t size, size_t nitems, void *ud)
{
    forward *fw = ud;
    if (fw->cut)
        return CURL_READFUNC_ABORT;   /* the downstream keeps nothing */
    if (fw->pend_len == 0) {
        fw->paused = true;
        return CURL_READFUNC_PAUSE;
    }
    size_t n = size * nitems < fw->pend_len ? size * nitems : fw->pend_len;
    memcpy(buf, fw->pend, n);
    fw->pend += n;
    fw->pend_len -= n;
    /* The counter is of chunk bytes: the digest at the end is not one. */
    uint64_t chunk_bytes = fw->sent >= fw->length ? 0 : fw->length - fw->sent;
    if (chunk_bytes > n)
        chunk_bytes = n;
    fw->sent += n;
    atomic_fetch_add(fw->sent_counter, chunk_bytes);
    return n;
}

static size_t forward_answer(char *p, size_t size, size_t n, void *ud)
{
    forward *fw = ud;
    size_t len = size * n, room = sizeof fw->answer - 1 - fw->answer_len;
    size_t k = len < room ? len : room;
    memcpy(fw->answer + fw->answer_len, p, k);
    fw->answer_len += k;
    fw->answer[fw->answer_len] = '\0';
    return len;
}

/* Sets up the PUT of the chunk to hops[fw->hop], naming the hops after it
 * as its chain, and adds it to the multi handle. The chunk's SHA-256
 * follows its bytes in the body (forward_end). */
static bool forward_open(forward *fw)
{
    char url[512];
    size_t h = fw->hop;
    /* The request this hop gets: the same chunk, its chain the hops after it. */
    chunkreq next = fw->req;
    next.sum = CHUNKREQ_SUM_TRAILING;
    next.nchain = 0;
    for (size_t k = h + 1; k < fw->req.nchain; k++)
        memcpy(next.chain[next.nchain++], fw->req.chain[k], sizeof next.chain[0]);
    struct curl_slist *headers = NULL;
    bool ok = chunkreq_url(&next, fw->req.chain[h], url, sizeof url) &&
              chunkreq_headers(&next, &headers) &&
              (headers = curl_slist_append(headers, "Expect:")) != NULL;   /* the bytes are here */
    CURL *c = ok ? curl_easy_init() : NULL;
    if (!c) {
        curl_easy_cleanup(c);
        curl_slist_free_all(headers);
        return false;
    }
    fw->answer_len = 0;
    fw->answer[0] = '\0';
    fw->curl_err[0] = '\0';
    httpc_configure(c, 5000);
    curl_easy_setopt(c, CURLOPT_URL, url);
    chunkreq_curl_put(c, &next, headers, forward_read, fw, FORWARD_UPLOAD_BUFFER);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, forward_answer);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, fw);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, fw->curl_err);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, FORWARD_STALL_SECONDS);
    if (curl_multi_add_handle(fw->multi, c) != CURLM_OK) {
        curl_easy_cleanup(c);
        curl_slist_free_all(headers);
        return false;
    }
    fw->easy = c;
    fw->headers = headers;
    fw->paused = false;
    return true;
}

static void forward_close(forward *fw)
{
    if (fw->easy) {
        curl_multi_remove_handle(fw->multi, fw->easy);
        curl_easy_cleanup(fw->easy);
        fw->easy = NULL;
    }
    curl_slist_free_all(fw->headers);
    fw->headers = NULL;
}

/* The transfer ended: a hop that refused the connection before any byte
 * left is passed over for the next one; anything else ends the forward. */
static void forward_ended(forward *fw, CURLcode rc)
{
    long status = 0;
    curl_easy_getinfo(fw->easy, CURLINFO_RESPONSE_CODE, &status);
    if (rc == CURLE_COULDNT_CONNECT && fw->sent == 0 && fw->hop + 1 < fw->req.nchain &&
        !fw->cut) {
        log_warn("pipeline: %s unreachable, passing %s on to %s instead", fw->req.chain[fw->hop],
                 fw->req.id, fw->req.chain[fw->hop + 1]);
        forward_close(fw);
        fw->hop++;
        if (forward_open(fw))
            return;
        snprintf(fw->curl_err, sizeof fw->curl_err, "out of memory");
    }
    fw->done = true;
    fw->rc = rc;
    fw->status = status;
    /* An answer before the whole body left is a refusal, whatever it says. */
    if (rc != CURLE_OK || status != 200 || fw->sent < fw->length + SHA256_HEX_LEN)
        fw->failed = true;
}

/* Runs the transfer until enough(fw) holds or the transfer is over. */
static void forward_drive(forward *fw, bool (*enough)(const forward *))
{
    while (!fw->done && !enough(fw)) {
        int running = 0;
        CURLMcode mc = curl_multi_perform(fw->multi, &running);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(fw->multi, &left)) != NULL)
            if (msg->msg == CURLMSG_DONE)
                forward_ended(fw, msg->data.result);
        if (mc != CURLM_OK && !fw->done) {
            snprintf(fw->curl_err, sizeof fw->curl_err, "%s", curl_multi_strerror(mc));
            fw->done = fw->failed = true;
            fw->rc = CURLE_SEND_ERROR;
        }
        if (fw->done || enough(fw))
            break;
        curl_multi_poll(fw->multi, NULL, 0, FORWARD_POLL_MS, NULL);
    }
}

static bool forward_taken(const forward *fw)
{
    return fw->pend_len == 0;
}

/* Every body byte has left for the socket, not only for curl's buffer. */
static bool forward_flushed(const forward *fw)
{
    curl_off_t up = 0;
    curl_easy_getinfo(fw->easy, CURLINFO_SIZE_UPLOAD_T, &up);
    return (uint64_t)up >= fw->length + SHA256_HEX_LEN;
}

static bool forward_never(const forward *fw)
{
    (void)fw;
    return false;
}

forward *forward_start(const chunkreq *req, _Atomic uint64_t *sent_counter, char *err,
                       size_t errlen)
{
    if (req->nchain == 0 || req->nchain > CHUNKREQ_MAX_CHAIN) {
        snprintf(err, errlen, "bad chain of %zu hops", req->nchain);
        return NULL;
    }
    forward *fw = calloc(1, sizeof *fw);
    if (!fw || !(fw->multi = curl_multi_init())) {
        free(fw);
        snprintf(err, errlen, "cannot start forwarding: out of memory");
        return NULL;
    }
    fw->req = *req;
    fw->length = req->length;
    fw->sent_counter = sent_counter;
    if (!forward_open(fw)) {
        curl_multi_cleanup(fw->multi);
        free(fw);
        snprintf(err, errlen, "cannot start forwarding: out of memory");
        return NULL;
    }
    return fw;
}

bool forward_write(forward *fw, const void *data, size_t len)
{
    if (fw->failed || fw->done || fw->ended) {
        fw->failed = true;
        return false;
    }
    fw->pend = data;
    fw->pend_len = len;
    if (fw->paused) {
        fw->paused = false;
        curl_easy_pause(fw->easy, CURLPAUSE_CONT);
    }
    forward_drive(fw, forward_taken);
    if (fw->pend_len)
        fw->failed = true;   /* over before it took them: the downstream failed */
    fw->pend = NULL;
    fw->pend_len = 0;
    return !fw->failed;
}

void forward_end(forward *fw, const char *sha)
{
    if (fw->ended)
        return;
    /* The digest ends the body; without one the body is short and the
     * downstream keeps nothing. */
    if (sha && forward_write(fw, sha, SHA256_HEX_LEN)) {
        forward_drive(fw, forward_flushed);
    } else if (!fw->done) {
        fw->cut = true;
        if (fw->paused) {
            fw->paused = false;
            curl_easy_pause(fw->easy, CURLPAUSE_CONT);
        }
    }
    fw->ended = true;
}

static void forward_free(forward *fw)
{
    forward_close(fw);
    curl_multi_cleanup(fw->multi);
    free(fw);
}

json_t *forward_finish(forward *fw, char *err, size_t errlen)
{
    forward_end(fw, NULL);
    forward_drive(fw, forward_never);
    const char *next = fw->req.chain[fw->hop];
    json_t *doc = fw->answer_len ? json_loads(fw->answer, 0, NULL) : NULL;
    json_t *stored = NULL;
    if (fw->rc != CURLE_OK) {
        snprintf(fw->err, sizeof fw->err, "%.80s: %.180s", next,
                 fw->curl_err[0] ? fw->curl_err : curl_easy_strerror(fw->rc));
    } else if (fw->status != 200) {
        json_t *e = json_object_get(doc, PROTO_F_ERROR);
        snprintf(fw->err, sizeof fw->err, "%.80s: HTTP %ld: %.180s", next, fw->status,
                 json_is_string(e) ? json_string_value(e) : "no error text");
    } else if (fw->failed) {
        snprintf(fw->err, sizeof fw->err, "%.80s: answered before the whole chunk was sent", next);
    } else {
        json_t *reps = json_object_get(doc, PROTO_F_REPLICAS);
        if (json_is_array(reps))
            stored = json_incref(reps);
        else
            snprintf(fw->err, sizeof fw->err, "%.80s: answer lists no replicas", next);
    }
    json_decref(doc);
    snprintf(err, errlen, "%s", fw->err);
    if (fw->err[0])
        log_warn("forwarding to %s", fw->err);
    forward_free(fw);
    return stored ? stored : json_array();
}

void forward_abort(forward *fw)
{
    /* Closing the connection with fewer bytes than announced: the
     * downstream drops its copy. */
    forward_free(fw);
}
