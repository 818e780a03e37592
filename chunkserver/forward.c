/*
 * forward.c - the sending half of the write pipeline. The connection
 * thread writes each received buffer into a pipe; a sender thread of this
 * forward runs one libcurl PUT whose body is read from that pipe. The pipe
 * is the only buffer (1 MiB), so memory stays bounded and a slow
 * downstream slows the upload down instead of piling up bytes. If the
 * downstream fails, the sender closes its end and later writes fail
 * with EPIPE at once: the local copy never waits on a dead peer.
 */
#include "forward.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "chunkid.h"
#include "httpc.h"
#include "jsonf.h"
#include "log.h"
#include "protocol.h"
#include "sha256.h"

#define FORWARD_PIPE_BYTES (1024 * 1024)
#define FORWARD_STALL_SECONDS 60L

struct forward {
    int rfd, wfd;               /* the pipe: we write wfd, the sender reads rfd */
    pthread_t thread;
    char hops[PROTO_MAX_REPLICATION][PROTO_MAX_SERVER_ADDR];
    size_t nhops;
    char id[CHUNKID_BUF];
    uint64_t generation;
    long long offset;           /* an append: after this many bytes; -1: a whole chunk */
    uint64_t length;
    uint64_t sent;              /* bytes the sender has taken from the pipe */
    _Atomic uint64_t *sent_counter;
    bool failed;                /* set by forward_write once the pipe broke */
    bool ended;                 /* forward_end ran */
    /* set by the sender thread before it exits */
    json_t *stored;
    char err[300];
    char answer[2048];
    size_t answer_len;
};

static size_t forward_read(char *buf, size_t size, size_t nitems, void *ud)
{
    forward *fw = ud;
    ssize_t n;
    do
        n = read(fw->rfd, buf, size * nitems);
    while (n < 0 && errno == EINTR);
    /* An error, or the pipe closed before the whole chunk passed (the local
     * side aborted): cut the connection so the downstream keeps nothing. */
    if (n < 0 || (n == 0 && fw->sent < fw->length + SHA256_HEX_LEN))
        return CURL_READFUNC_ABORT;
    /* The counter is of chunk bytes: the digest at the end is not one. */
    uint64_t chunk_bytes = fw->sent >= fw->length ? 0 : fw->length - fw->sent;
    if (chunk_bytes > (uint64_t)n)
        chunk_bytes = (uint64_t)n;
    fw->sent += (uint64_t)n;
    atomic_fetch_add(fw->sent_counter, chunk_bytes);
    return (size_t)n;
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

/* One attempt: PUT the chunk to hops[h], naming hops[h+1..] as its chain.
 * The chunk's SHA-256 follows its bytes in the body (forward_end). */
static CURLcode forward_to(forward *fw, size_t h, long *status, char *curl_err)
{
    char path[CHUNKID_BUF + 48], url[512];
    char chain[PROTO_MAX_SERVER_ADDR * PROTO_MAX_REPLICATION + 64];
    if (fw->offset >= 0)
        snprintf(path, sizeof path, PROTO_PATH_CHUNKS "%s?" PROTO_QUERY_OFFSET "=%lld", fw->id,
                 fw->offset);
    else
        snprintf(path, sizeof path, PROTO_PATH_CHUNKS "%s", fw->id);
    addr_server_url(fw->hops[h], path, url, sizeof url);
    struct curl_slist *headers = NULL;
    if (h + 1 < fw->nhops) {
        int n = snprintf(chain, sizeof chain, PROTO_HDR_CHAIN ": ");
        for (size_t k = h + 1; k < fw->nhops; k++)
            n += snprintf(chain + n, sizeof chain - (size_t)n, "%s%s", k > h + 1 ? "," : "",
                          fw->hops[k]);
        headers = curl_slist_append(headers, chain);
    }
    if (fw->generation) {
        snprintf(chain, sizeof chain, PROTO_HDR_GENERATION ": %" PRIu64, fw->generation);
        headers = curl_slist_append(headers, chain);
    }
    headers = curl_slist_append(headers, PROTO_HDR_SHA256 ": " PROTO_SHA256_TRAILING);
    CURL *c = curl_easy_init();
    if (!c) {
        curl_slist_free_all(headers);
        return CURLE_OUT_OF_MEMORY;
    }
    fw->answer_len = 0;
    fw->answer[0] = '\0';
    httpc_configure(c, 5000);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)(fw->length + SHA256_HEX_LEN));
    curl_easy_setopt(c, CURLOPT_READFUNCTION, forward_read);
    curl_easy_setopt(c, CURLOPT_READDATA, fw);
    curl_easy_setopt(c, CURLOPT_UPLOAD_BUFFERSIZE, 1024L * 1024L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, forward_answer);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, fw);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curl_err);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, FORWARD_STALL_SECONDS);
    CURLcode rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    curl_easy_cleanup(c);
    curl_slist_free_all(headers);
    return rc;
}

static void *forward_run(void *arg)
{
    forward *fw = arg;
    char curl_err[CURL_ERROR_SIZE] = "";
    long status = 0;
    CURLcode rc = CURLE_COULDNT_CONNECT;
    size_t h = 0;
    for (; h < fw->nhops; h++) {
        curl_err[0] = '\0';
        status = 0;
        rc = forward_to(fw, h, &status, curl_err);
        if (rc != CURLE_COULDNT_CONNECT || fw->sent > 0 || h + 1 == fw->nhops)
            break;
        log_warn("pipeline: %s unreachable, passing %s on to %s instead", fw->hops[h], fw->id,
                 fw->hops[h + 1]);
    }
    /* Whatever happened, stop taking bytes: a writer now gets EPIPE. */
    close(fw->rfd);
    fw->rfd = -1;
    const char *next = fw->hops[h < fw->nhops ? h : fw->nhops - 1];
    json_t *doc = fw->answer_len ? json_loads(fw->answer, 0, NULL) : NULL;
    if (rc != CURLE_OK) {
        snprintf(fw->err, sizeof fw->err, "%.80s: %.180s", next,
                 curl_err[0] ? curl_err : curl_easy_strerror(rc));
    } else if (status != 200) {
        json_t *e = json_object_get(doc, PROTO_F_ERROR);
        snprintf(fw->err, sizeof fw->err, "%.80s: HTTP %ld: %.180s", next, status,
                 json_is_string(e) ? json_string_value(e) : "no error text");
    } else {
        json_t *reps = json_object_get(doc, PROTO_F_REPLICAS);
        if (json_is_array(reps))
            fw->stored = json_incref(reps);
        else
            snprintf(fw->err, sizeof fw->err, "%.80s: answer lists no replicas", next);
    }
    json_decref(doc);
    return NULL;
}

forward *forward_start(const char (*hops)[PROTO_MAX_SERVER_ADDR], size_t nhops, const char *id,
                       uint64_t generation, long long offset, uint64_t length,
                       _Atomic uint64_t *sent_counter, char *err, size_t errlen)
{
    if (nhops == 0 || nhops > PROTO_MAX_REPLICATION) {
        snprintf(err, errlen, "bad chain of %zu hops", nhops);
        return NULL;
    }
    forward *fw = calloc(1, sizeof *fw);
    int fds[2];
    if (!fw || pipe2(fds, O_CLOEXEC) != 0) {
        free(fw);
        snprintf(err, errlen, "cannot start forwarding: %s", strerror(errno));
        return NULL;
    }
    fw->rfd = fds[0];
    fw->wfd = fds[1];
    fcntl(fw->wfd, F_SETPIPE_SZ, FORWARD_PIPE_BYTES);   /* best effort */
    memcpy(fw->hops, hops, nhops * sizeof *hops);
    fw->nhops = nhops;
    snprintf(fw->id, sizeof fw->id, "%s", id);
    fw->generation = generation;
    fw->offset = offset;
    fw->length = length;
    fw->sent_counter = sent_counter;
    if (pthread_create(&fw->thread, NULL, forward_run, fw) != 0) {
        close(fw->rfd);
        close(fw->wfd);
        free(fw);
        snprintf(err, errlen, "cannot start forwarding thread");
        return NULL;
    }
    return fw;
}

bool forward_write(forward *fw, const void *data, size_t len)
{
    const char *p = data;
    while (!fw->failed && len > 0) {
        ssize_t n = write(fw->wfd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            fw->failed = true;   /* EPIPE: the sender gave up */
            break;
        }
        p += n;
        len -= (size_t)n;
    }
    return !fw->failed;
}

static void forward_free(forward *fw)
{
    json_decref(fw->stored);
    free(fw);
}

void forward_end(forward *fw, const char *sha)
{
    if (fw->ended)
        return;
    /* The digest ends the body; without one the body is short and the
     * downstream keeps nothing. */
    if (sha)
        forward_write(fw, sha, SHA256_HEX_LEN);
    fw->ended = true;
    close(fw->wfd);   /* end of body */
}

json_t *forward_finish(forward *fw, char *err, size_t errlen)
{
    forward_end(fw, NULL);
    pthread_join(fw->thread, NULL);
    json_t *stored = fw->stored ? json_incref(fw->stored) : json_array();
    snprintf(err, errlen, "%s", fw->err);
    if (fw->err[0])
        log_warn("forwarding to %s", fw->err);
    forward_free(fw);
    return stored;
}

void forward_abort(forward *fw)
{
    if (!fw->ended)
        close(fw->wfd);   /* fewer bytes than announced: the downstream drops its copy */
    pthread_join(fw->thread, NULL);
    forward_free(fw);
}
