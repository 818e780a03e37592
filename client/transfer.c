/*
 * transfer.c - the client's data path: up to --parallel chunk transfers at
 * once, each a chunk PUT (common/chunkreq; a small one sent at once, a
 * large one after the server's 100 Continue) or a GET to a chunkserver.
 * One worker thread per core (at most TRANSFER_MAX_WORKERS) takes chunks
 * from one shared queue and drives its share of them with httpc_multi_run
 * on its own libcurl multi handle, reusing connections across chunks; a
 * chunk's reading, hashing and sending then run beside another chunk's
 * (curl's buffers sized to the chunk when it is small). Owns the settings
 * of the curl handles (httpc keeps them per thread), the workers and
 * per-chunk state for the duration of one transfer_run, the run's list of
 * servers that failed a transfer (tried last by later chunks) and its
 * observed download speed, which gives every chunk download a deadline:
 * one past it moves to another replica and resumes at the byte it reached.
 * Counts, for the whole process, the chunks and bytes that landed and the
 * attempts moved to another server (--stats). Must never buffer more than curl's own buffers, and never report success
 * for a chunk unless the server said 200 and (downloads) exactly the
 * chunk's length arrived, or (uploads) enough servers hold it.
 */
#include "transfer.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "chunkreq.h"
#include "escape.h"
#include "httpc.h"
#include "protocol.h"
#include "reader.h"
#include "sha256.h"
#include "monotime.h"

#define TRANSFER_UPLOAD_BUFFER (1024 * 1024)
/* A chunk body this small goes without "Expect: 100-continue": the round
 * trip it waits for before sending costs more than sending bytes a
 * chunkserver might refuse. A larger one waits, so a refusal (a full
 * disk, a forged capability) comes before its bytes. */
#define TRANSFER_EXPECT_MIN_BYTES (1024 * 1024)
#define TRANSFER_DOWNLOAD_BUFFER (512 * 1024)

/* curl makes its upload and download buffers anew for every transfer: one
 * of need bytes (what is left to move), at least curl's least (16 KiB) and
 * at most max, so a small chunk's is not a whole MiB. */
static long transfer_curl_buffer(uint64_t need, long max)
{
    return need < 16384 ? 16384 : need < (uint64_t)max ? (long)need : max;
}

/* A transfer that moves fewer than TRANSFER_STALL_BYTES a second for this
 * long is given up and sent to the next server: a chunkserver that hangs,
 * or trickles, must not hold a read for minutes. An upload may sit still
 * longer, while its servers flush the chunk down the pipeline. */
#define TRANSFER_STALL_BYTES 16384L
#define TRANSFER_STALL_READ_SECONDS 10L
#define TRANSFER_STALL_WRITE_SECONDS 30L
/* A download gets a deadline once TRANSFER_DEADLINE_SAMPLES chunks of
 * the run have come in: TRANSFER_DEADLINE_BASE_MS plus TRANSFER_DEADLINE_
 * FACTOR times what its bytes take at the run's observed speed per
 * transfer. Past it, while another replica is left, the read moves on to
 * that replica and resumes where it stopped: a slow server costs a
 * moment, not the stall timeout, and no byte is fetched twice. */
#define TRANSFER_DEADLINE_SAMPLES 3
#define TRANSFER_DEADLINE_BASE_MS 2000
#define TRANSFER_DEADLINE_FACTOR 4
/* Servers that failed a transfer in this run, tried last from then on. */
#define TRANSFER_MAX_SUSPECTS 64
/* --parallel 0: enough chunks at once to keep this many bytes in flight
 * (small chunks spend most of their time in per-chunk round trips and
 * syncs, so more of them must overlap), within these bounds. */
#define TRANSFER_AUTO_BYTES (32u << 20)
#define TRANSFER_AUTO_MIN 4u
#define TRANSFER_AUTO_MAX 32u
/* Uploads: bytes of input read ahead (see reader.c), shared out between
 * the chunks in flight in blocks of at most TRANSFER_READ_BLOCK, two or
 * more per chunk. */
#define TRANSFER_READAHEAD_BYTES (16u << 20)
#define TRANSFER_READ_BLOCK (1u << 20)
#define TRANSFER_READ_BLOCK_MIN (64u << 10)
/* Copies an upload needs before it counts (when the plan has as many). */
#define TRANSFER_MIN_COPIES 2
/* Worker threads: one per core, as the client's own CPU (reading the
 * input, SHA-256, the socket copies) is what a single thread runs out of
 * first. */
#define TRANSFER_MAX_WORKERS 4u

/* The run's observed download speed: bytes and milliseconds of the
 * attempts that finished, summed over every worker. */
typedef struct {
    _Atomic uint64_t bytes, ms, count;
} transfer_speed;

typedef struct {
    const transfer_opts *o;
    const client_layout *L;
    transfer_speed *speed;
    int64_t attempt_ms;          /* when this attempt started */
    uint64_t attempt_from;       /* and at which byte of the chunk */
    bool may_move;               /* downloads: another replica is left to move to */
    bool late;                   /* this attempt was past its deadline, and given up */
    uint32_t index;              /* the chunk's place in the layout's window */
    uint32_t chunk;              /* its index in the file, for messages */
    uint64_t offset, length;
    const char **cand;           /* servers to try, in order */
    size_t ncand, next;
    const char *server;          /* the one being tried */
    uint64_t pos;                /* bytes moved in this attempt */
    uint64_t delivered;          /* downloads: bytes already in the output */
    long status;                 /* downloads: status seen by the write callback */
    char body[1024];             /* error (or upload answer) body */
    size_t bodylen;
    char local_err[256];         /* a failure on our side: fatal */
    char curl_err[CURL_ERROR_SIZE];
    char url[512];
    struct curl_slist *headers;
    CURL *h;
    reader *in;                  /* uploads: this chunk's bytes of the input */
    iobuf_pool *pool;            /* uploads: the read-ahead blocks' memory, and */
    unsigned blocks;             /* how many of them this chunk may have */
    _Atomic uint64_t shown;      /* bytes of this chunk the progress line counts */
    _Atomic(const char *) busy;  /* the server of the attempt in flight (NULL: none) */
    uint64_t seen_shown;         /* the progress line's: shown when it last moved */
    const char *seen_server;     /* (or went to another server), */
    int64_t seen_ms;             /* and when (under the state's mu) */
    sha256_stream *hash;         /* of this attempt's bytes */
    uint32_t held[PROTO_MAX_REPLICATION];   /* uploads: servers known to hold the chunk (hashes) */
    unsigned nheld;
    char digest[SHA256_HEX_LEN + 1];   /* uploads: sent after the bytes */
} transfer_job;

/* A fresh hash for a new attempt (or a rewind to the start). */
static bool transfer_rehash(transfer_job *j)
{
    sha256_stream_free(j->hash);
    j->hash = sha256_stream_new();
    return j->hash != NULL;
}

/* ---- curl callbacks ---- */

static size_t transfer_keep_body(transfer_job *j, const char *p, size_t n)
{
    size_t room = sizeof j->body - 1 - j->bodylen;
    size_t k = n < room ? n : room;
    memcpy(j->body + j->bodylen, p, k);
    j->bodylen += k;
    j->body[j->bodylen] = '\0';
    return n;
}

/* The body of an upload: the chunk's bytes, then their SHA-256 in hex,
 * computed as the bytes went by. */
static size_t transfer_read(char *buf, size_t size, size_t nitems, void *ud)
{
    transfer_job *j = ud;
    size_t want = size * nitems;
    if (j->pos >= j->length) {
        uint64_t at = j->pos - j->length;
        if (at == 0 && !sha256_stream_final_hex(j->hash, j->digest)) {
            snprintf(j->local_err, sizeof j->local_err, "cannot hash chunk %u", j->chunk);
            return CURL_READFUNC_ABORT;
        }
        size_t n = SHA256_HEX_LEN - (size_t)at;
        if (n > want)
            n = want;
        memcpy(buf, j->digest + at, n);
        j->pos += n;
        return n;
    }
    ssize_t n = reader_read(j->in, buf, want, j->local_err, sizeof j->local_err);
    if (n <= 0) {
        if (n == 0)   /* cannot be: pos is short of the chunk's length */
            snprintf(j->local_err, sizeof j->local_err, "chunk %u: the input ran out", j->chunk);
        return CURL_READFUNC_ABORT;
    }
    sha256_stream_update(j->hash, buf, (size_t)n);
    j->pos += (uint64_t)n;
    atomic_store_explicit(&j->shown, j->pos, memory_order_relaxed);
    return (size_t)n;
}

static int transfer_seek(void *ud, curl_off_t offset, int origin)
{
    transfer_job *j = ud;
    /* Only a rewind to the start: the hash cannot go back part way. */
    if (origin != SEEK_SET || offset != 0 || !transfer_rehash(j))
        return CURL_SEEKFUNC_CANTSEEK;
    reader_rewind(j->in);
    j->pos = 0;
    return CURL_SEEKFUNC_OK;
}

static size_t transfer_upload_answer(char *p, size_t size, size_t n, void *ud)
{
    return transfer_keep_body(ud, p, size * n);
}

static bool transfer_write_all(int fd, const char *p, size_t n, off_t at, bool stream)
{
    while (n > 0) {
        ssize_t w = stream ? write(fd, p, n) : pwrite(fd, p, n, at);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return false;
        }
        p += w;
        n -= (size_t)w;
        at += w;
    }
    return true;
}

static size_t transfer_deliver(char *p, size_t size, size_t nmemb, void *ud)
{
    transfer_job *j = ud;
    size_t n = size * nmemb;
    if (j->status == 0) {
        curl_easy_getinfo(j->h, CURLINFO_RESPONSE_CODE, &j->status);
        /* a resumed attempt whose server ignored the range: from the start
         * (what was delivered already is skipped below) */
        if (j->status == 200 && j->pos > 0) {
            if (!transfer_rehash(j)) {
                snprintf(j->local_err, sizeof j->local_err, "cannot hash chunk %u", j->chunk);
                return 0;
            }
            j->pos = 0;
        }
    }
    if (j->status != 200 && j->status != 206)
        return transfer_keep_body(j, p, n);
    if (j->pos + n > j->length) {
        snprintf(j->curl_err, sizeof j->curl_err, "sent more than the chunk's %" PRIu64 " bytes",
                 j->length);
        return 0;
    }
    sha256_stream_update(j->hash, p, n);
    /* A retry re-reads the chunk from its start; skip what an earlier
     * attempt already delivered (it matters for streams). */
    uint64_t end = j->pos + n;
    if (end > j->delivered) {
        size_t skip = (size_t)(j->delivered > j->pos ? j->delivered - j->pos : 0);
        if (!transfer_write_all(j->o->fd, p + skip, n - skip,
                                (off_t)(j->offset + j->pos + skip), j->o->stream_out)) {
            snprintf(j->local_err, sizeof j->local_err, "writing the output: %s", strerror(errno));
            return 0;
        }
        j->delivered = end;
    }
    j->pos = end;
    atomic_store_explicit(&j->shown, j->delivered, memory_order_relaxed);
    return n;
}

/* ---- job life ---- */

/* An upload's input: a reader of this chunk's bytes, made at its first
 * attempt and taken back to the start for every later one. */
static bool transfer_open_input(transfer_job *j)
{
    if (j->in) {
        reader_rewind(j->in);
        return true;
    }
    j->in = reader_open(j->o->fd, j->offset, j->length, j->pool, j->blocks);
    return j->in != NULL;
}

static void transfer_close_input(transfer_job *j)
{
    reader_close(j->in);
    j->in = NULL;
}

static bool transfer_job_init(transfer_job *j, const transfer_opts *o, const client_layout *L,
                              uint32_t i)
{
    const client_chunk *c = &L->chunks[i];
    j->o = o;
    j->L = L;
    j->index = i;
    j->chunk = c->index;
    j->offset = c->offset;
    j->length = c->length;
    bool fallback = o->upload && !c->pinned;   /* a fill needs the chunk's own holders */
    size_t max = c->nrep + (fallback ? L->nservers : 0);
    j->cand = calloc(max ? max : 1, sizeof *j->cand);
    if (!j->cand)
        return false;
    for (size_t k = 0; k < c->nrep; k++)
        j->cand[j->ncand++] = c->rep[k];
    /* Uploads may fall back on any live chunkserver, starting at a
     * different one per chunk so that fallbacks spread too. */
    for (size_t k = 0; fallback && k < L->nservers; k++) {
        const char *s = L->servers[(i + k) % L->nservers];
        bool seen = false;
        for (size_t m = 0; m < j->ncand && !seen; m++)
            seen = strcmp(j->cand[m], s) == 0;
        if (!seen)
            j->cand[j->ncand++] = s;
    }
    return true;
}

/* This attempt's request: the chunk (and an append's offset), the file's
 * generation as the chunk's version, a trailing checksum and the chain -
 * the chunk's other planned replicas, less this attempt's server and
 * those that already failed it - for the server to pass the chunk on to,
 * so the chunk leaves the client once. */
static void transfer_job_request(const transfer_job *j, chunkreq *r)
{
    const client_chunk *c = &j->L->chunks[j->index];
    memset(r, 0, sizeof *r);
    chunkid_format(r->id, j->L->fileid, c->index);
    r->append = c->chunk_offset != 0;
    r->offset = c->chunk_offset;
    r->version = j->L->generation;
    r->sum = CHUNKREQ_SUM_TRAILING;
    r->length = j->length;
    if (c->cap)
        snprintf(r->capability, sizeof r->capability, "%s", c->cap);
    for (size_t k = 0; k < c->nrep && r->nchain < CHUNKREQ_MAX_CHAIN; k++) {
        bool tried = false;
        for (size_t t = 0; t < j->next && !tried; t++)   /* cand[next-1] is this attempt */
            tried = strcmp(j->cand[t], c->rep[k]) == 0;
        if (!tried && strlen(c->rep[k]) < sizeof r->chain[0])
            memcpy(r->chain[r->nchain++], c->rep[k], strlen(c->rep[k]) + 1);
    }
}

/* The servers that failed a transfer in this run (a process moves one
 * file): the next chunks try them last, so one hung server costs one
 * stall, not one per chunk. Any thread. */
static pthread_mutex_t transfer_suspects_mu = PTHREAD_MUTEX_INITIALIZER;
static uint32_t transfer_suspects[TRANSFER_MAX_SUSPECTS];
static unsigned transfer_nsuspects;

static bool transfer_suspect(const char *server)
{
    uint32_t h = chunkid_hash(server);
    pthread_mutex_lock(&transfer_suspects_mu);
    bool known = false;
    for (unsigned i = 0; i < transfer_nsuspects && !known; i++)
        known = transfer_suspects[i] == h;
    if (!known)
        transfer_suspects[transfer_nsuspects++ % TRANSFER_MAX_SUSPECTS] = h;
    if (transfer_nsuspects > TRANSFER_MAX_SUSPECTS)
        transfer_nsuspects = TRANSFER_MAX_SUSPECTS;
    pthread_mutex_unlock(&transfer_suspects_mu);
    return !known;
}

static bool transfer_is_suspect(const char *server)
{
    uint32_t h = chunkid_hash(server);
    pthread_mutex_lock(&transfer_suspects_mu);
    bool known = false;
    for (unsigned i = 0; i < transfer_nsuspects && !known; i++)
        known = transfer_suspects[i] == h;
    pthread_mutex_unlock(&transfer_suspects_mu);
    return known;
}

/* libcurl calls this at least once a second while a download that may
 * move runs: the attempt's deadline, from what the run has seen so far
 * (an attempt that began before there was anything to go by gets one as
 * soon as there is). */
static int transfer_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                             curl_off_t ulnow)
{
    (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
    transfer_job *j = ud;
    uint64_t nb = atomic_load(&j->speed->bytes), nms = atomic_load(&j->speed->ms);
    if (nb == 0 || atomic_load(&j->speed->count) < TRANSFER_DEADLINE_SAMPLES)
        return 0;
    double per_ms = (double)nb / (double)(nms ? nms : 1);
    int64_t deadline = j->attempt_ms + TRANSFER_DEADLINE_BASE_MS +
                       (int64_t)(TRANSFER_DEADLINE_FACTOR * (double)(j->length - j->attempt_from) /
                                 per_ms);
    if (monotime_ms() > deadline) {
        j->late = true;
        return 1;   /* aborts this attempt; transfer_judge moves it on */
    }
    return 0;
}

static bool transfer_job_start(transfer_job *j, CURL *h)
{
    if (j->next >= j->ncand)
        return false;
    /* The first untried candidate that has not failed in this run, else
     * the first untried: cand[0 .. next-1] stay the ones tried. */
    for (size_t k = j->next; k < j->ncand; k++)
        if (!transfer_is_suspect(j->cand[k])) {
            const char *c = j->cand[k];
            memmove(&j->cand[j->next + 1], &j->cand[j->next], (k - j->next) * sizeof *j->cand);
            j->cand[j->next] = c;
            break;
        }
    j->server = j->cand[j->next++];
    chunkreq req;
    transfer_job_request(j, &req);
    if (!chunkreq_url(&req, j->server, j->url, sizeof j->url))
        return false;
    if (j->o->upload && !transfer_open_input(j))
        return false;
    /* A download that another server left part way resumes there: the
     * hash so far covers exactly bytes 0 .. pos-1. */
    bool resume = !j->o->upload && j->pos > 0 && j->pos < j->length;
    if (!resume) {
        j->pos = 0;
        if (!transfer_rehash(j))
            return false;
    }
    atomic_store_explicit(&j->shown, j->o->upload ? 0 : j->delivered, memory_order_relaxed);
    j->status = 0;
    j->bodylen = 0;
    j->body[0] = j->curl_err[0] = '\0';
    j->attempt_ms = monotime_ms();
    j->attempt_from = j->pos;
    j->late = false;
    j->may_move = !j->o->upload && j->next < j->ncand;
    atomic_store(&j->busy, j->server);

    j->h = h;
    httpc_configure(h, 5000);
    curl_easy_setopt(h, CURLOPT_URL, j->url);
    curl_easy_setopt(h, CURLOPT_PRIVATE, j);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, j->curl_err);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, TRANSFER_STALL_BYTES);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, j->o->upload ? TRANSFER_STALL_WRITE_SECONDS
                                                             : TRANSFER_STALL_READ_SECONDS);
    if (j->o->upload) {
        curl_slist_free_all(j->headers);
        j->headers = NULL;
        if (!chunkreq_headers(&req, &j->headers))
            return false;
        if (chunkreq_body_length(&req) <= TRANSFER_EXPECT_MIN_BYTES) {
            struct curl_slist *more = curl_slist_append(j->headers, "Expect:");
            if (!more)
                return false;
            j->headers = more;
        }
        chunkreq_curl_put(h, &req, j->headers, transfer_read, j,
                          transfer_curl_buffer(j->length + SHA256_HEX_LEN,
                                               TRANSFER_UPLOAD_BUFFER));
        curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, transfer_seek);
        curl_easy_setopt(h, CURLOPT_SEEKDATA, j);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, transfer_upload_answer);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, j);
    } else {
        /* Exactly the chunk's length: an append in progress may have made
         * the stored chunk longer than the file's committed end. */
        char range[64];
        snprintf(range, sizeof range, "%llu-%llu", (unsigned long long)j->pos,
                 (unsigned long long)(j->length - 1));
        curl_easy_setopt(h, CURLOPT_RANGE, range);
        curl_slist_free_all(j->headers);
        j->headers = NULL;
        if (req.capability[0]) {
            char line[AUTH_CAP_MAX + 32];
            snprintf(line, sizeof line, PROTO_HDR_CAPABILITY ": %s", req.capability);
            if (!(j->headers = curl_slist_append(NULL, line)))
                return false;
            curl_easy_setopt(h, CURLOPT_HTTPHEADER, j->headers);
        }
        curl_easy_setopt(h, CURLOPT_NOPROGRESS, j->may_move ? 0L : 1L);
        curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, transfer_progress);
        curl_easy_setopt(h, CURLOPT_XFERINFODATA, j);
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
        curl_easy_setopt(h, CURLOPT_BUFFERSIZE,
                         transfer_curl_buffer(j->length - j->pos, TRANSFER_DOWNLOAD_BUFFER));
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, transfer_deliver);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, j);
    }
    return true;
}

/* The server's "error" text if its body was JSON, else the raw body. */
static const char *transfer_server_error(transfer_job *j, char *buf, size_t buflen)
{
    json_t *doc = json_loadb(j->body, j->bodylen, 0, NULL);
    json_t *e = json_object_get(doc, PROTO_F_ERROR);
    snprintf(buf, buflen, "%.300s", json_is_string(e) ? json_string_value(e) : j->body);
    json_decref(doc);
    return buf;
}

typedef enum { JOB_OK, JOB_RETRY, JOB_FATAL } transfer_outcome;

/* An upload counts only once at least min(2, the copies planned) servers
 * hold the chunk, by the answers' "replicas" (from a server whose answer
 * names the SHA-256 of the bytes sent), counted over every attempt:
 * one copy of an acknowledged byte is one disk away from losing it. A plan
 * of one copy (replication 1, or one live server) needs one. Fewer: the
 * chunk goes to the next candidate too; and when every candidate has been
 * tried, what the attempts stored stands (fewer servers could take it
 * than the master thought: the master's repair makes up the rest). */
static bool transfer_enough_copies(transfer_job *j, char *why, size_t whylen)
{
    const client_chunk *c = &j->L->chunks[j->index];
    size_t need = c->nrep < TRANSFER_MIN_COPIES ? c->nrep : TRANSFER_MIN_COPIES;
    json_t *doc = json_loadb(j->body, j->bodylen, 0, NULL);
    json_t *reps = json_object_get(doc, PROTO_F_REPLICAS), *cerr = json_object_get(doc, PROTO_F_CHAIN_ERROR);
    /* A server that says it stored other bytes than the ones sent (or will
     * not say which) is not believed about any copy: a whole chunk's
     * SHA-256 is known here. An append's fill answers the sum of the whole
     * new chunk, which only the master knows. */
    json_t *sum = json_object_get(doc, PROTO_F_SHA256);
    if (c->chunk_offset == 0 &&
        (!json_is_string(sum) || strcmp(json_string_value(sum), j->digest) != 0)) {
        snprintf(why, whylen, "%s: answered that it stored bytes of SHA-256 %.64s, not those "
                 "sent (%s); not counted", j->server,
                 json_is_string(sum) ? json_string_value(sum) : "(none)", j->digest);
        char shown[700];
        fprintf(stderr, "minidfs client: %s; trying another server\n",
                escape_text(why, shown, sizeof shown));
        transfer_suspect(j->server);
        json_decref(doc);
        return false;
    }
    size_t k;
    json_t *r;
    json_array_foreach(reps, k, r) {
        uint32_t h = json_is_string(r) ? chunkid_hash(json_string_value(r)) : 0;
        bool seen = false;
        for (unsigned q = 0; q < j->nheld && !seen; q++)
            seen = j->held[q] == h;
        if (!seen && j->nheld < PROTO_MAX_REPLICATION)
            j->held[j->nheld++] = h;
    }
    if (!json_is_array(reps) && j->nheld == 0)
        j->held[j->nheld++] = chunkid_hash(j->server);   /* an answer without the list */
    if (j->nheld < need)
        snprintf(why, whylen, "%s: stored on %u server%s of the %zu wanted%s%.200s%s", j->server,
                 j->nheld, j->nheld == 1 ? "" : "s", need, json_is_string(cerr) ? " (" : "",
                 json_is_string(cerr) ? json_string_value(cerr) : "",
                 json_is_string(cerr) ? ")" : "");
    json_decref(doc);
    return j->nheld >= need;
}

/* A replica handed out the wrong bytes, or none: tell the master, and try
 * the next one, which rewrites the whole chunk. Bytes already passed on to
 * a stream cannot be taken back, so there it is the end. */
static transfer_outcome transfer_bad_replica(transfer_job *j, const char *what, char *why,
                                             size_t whylen)
{
    char id[CHUNKID_BUF];
    chunkid_format(id, j->L->fileid, j->L->chunks[j->index].index);
    snprintf(why, whylen, "%s: chunk %s: %s", j->server, id, what);
    char shown[700];
    fprintf(stderr, "minidfs client: %s; reported, trying another replica\n",
            escape_text(why, shown, sizeof shown));
    if (j->o->master)
        masterapi_report_bad(j->o->master, id, j->server);
    if (j->o->stream_out && j->delivered > 0) {
        snprintf(why + strlen(why), whylen - strlen(why),
                 " (and its bytes already went to the output stream)");
        return JOB_FATAL;
    }
    j->delivered = 0;
    j->pos = 0;   /* the next replica starts over: these bytes are suspect */
    return JOB_RETRY;
}

static transfer_outcome transfer_judge(transfer_job *j, CURLcode rc, char *why, size_t whylen)
{
    long status = 0;
    curl_easy_getinfo(j->h, CURLINFO_RESPONSE_CODE, &status);
    if (j->local_err[0]) {
        snprintf(why, whylen, "%s", j->local_err);
        return JOB_FATAL;
    }
    if (rc == CURLE_ABORTED_BY_CALLBACK && j->late) {
        snprintf(why, whylen, "%s: past its deadline (%" PRIu64 " of %" PRIu64 " bytes in %" PRId64
                 " ms, far slower than this run's other transfers)", j->server, j->pos - j->attempt_from,
                 j->length - j->attempt_from, monotime_ms() - j->attempt_ms);
        transfer_suspect(j->server);
        return JOB_RETRY;
    }
    if (rc != CURLE_OK) {
        snprintf(why, whylen, "%s: %s", j->server, j->curl_err[0] ? j->curl_err : curl_easy_strerror(rc));
        double connected = 0;
        curl_easy_getinfo(j->h, CURLINFO_CONNECT_TIME, &connected);
        bool never = rc == CURLE_COULDNT_CONNECT || (rc == CURLE_OPERATION_TIMEDOUT && connected == 0);
        /* unreachable, or too slow; a server we could not even connect to
         * is the master's business too (once per run) */
        if (transfer_suspect(j->server) && never && j->o->master)
            masterapi_report_unreachable(j->o->master, j->server);
        return JOB_RETRY;
    }
    if (status == 200 || (status == 206 && !j->o->upload)) {
        if (j->o->upload)
            return transfer_enough_copies(j, why, whylen) ? JOB_OK : JOB_RETRY;
        if (j->pos != j->length) {   /* a truncated copy answers with what it has */
            char what[128];
            snprintf(what, sizeof what, "it sent %" PRIu64 " of the chunk's %" PRIu64 " bytes",
                     j->pos, j->length);
            return transfer_bad_replica(j, what, why, whylen);
        }
        const char *want = j->L->chunks[j->index].sha;
        char got[SHA256_HEX_LEN + 1];
        if (!want || (sha256_stream_final_hex(j->hash, got) && strcmp(got, want) == 0)) {
            int64_t took = monotime_ms() - j->attempt_ms;
            atomic_fetch_add(&j->speed->bytes, j->length - j->attempt_from);
            atomic_fetch_add(&j->speed->ms, (uint64_t)(took > 0 ? took : 1));
            atomic_fetch_add(&j->speed->count, 1);
            return JOB_OK;
        }
        return transfer_bad_replica(j, "its bytes hash to the wrong SHA-256", why, whylen);
    }
    if (!j->o->upload && status == 404)
        return transfer_bad_replica(j, "it does not have the chunk", why, whylen);
    if (status >= 500)
        transfer_suspect(j->server);
    if (!j->o->upload && status >= 500)
        return transfer_bad_replica(j, "it failed to read the chunk", why, whylen);
    char msg[400];
    snprintf(why, whylen, "%s: HTTP %ld: %s", j->server, status,
             transfer_server_error(j, msg, sizeof msg));
    /* A download can always try another replica. An upload the master
     * refused (bad request, unknown file) would be refused anywhere. */
    if (!j->o->upload || status >= 500 || status == 409 || status == 429 || status == 507)
        return JOB_RETRY;
    return JOB_FATAL;
}

/* One transfer_run: the jobs and the queue its workers share. */
typedef struct {
    const transfer_opts *o;
    transfer_job *jobs;
    size_t njobs;
    atomic_size_t next;      /* the next job to hand out (in order) */
    atomic_bool failed;      /* a worker gave up: the others stop too */
    pthread_mutex_t mu;      /* err, and the progress line */
    char *err;
    size_t errlen;
} transfer_state;

/* The first failure is the one reported. */
static void transfer_fail(transfer_state *t, const char *fmt, ...)
{
    pthread_mutex_lock(&t->mu);
    if (!t->err[0]) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(t->err, t->errlen, fmt, ap);
        va_end(ap);
    }
    pthread_mutex_unlock(&t->mu);
    atomic_store(&t->failed, true);
}

static size_t transfer_claim(void *ud)
{
    transfer_state *t = ud;
    size_t i = atomic_fetch_add(&t->next, 1);
    return i < t->njobs ? i : t->njobs;
}

static bool transfer_start(void *ud, size_t i, CURL *h)
{
    transfer_state *t = ud;
    transfer_job *j = &t->jobs[i];
    if (transfer_job_start(j, h))
        return true;
    transfer_fail(t, "chunk %u: cannot start transfer", j->chunk);
    return false;
}

static _Atomic uint64_t transfer_bytes, transfer_chunks, transfer_retries;

void transfer_count(uint64_t bytes, uint64_t chunks)
{
    atomic_fetch_add_explicit(&transfer_bytes, bytes, memory_order_relaxed);
    atomic_fetch_add_explicit(&transfer_chunks, chunks, memory_order_relaxed);
}

void transfer_totals_get(transfer_totals *out)
{
    out->bytes = atomic_load(&transfer_bytes);
    out->chunks = atomic_load(&transfer_chunks);
    out->retries = atomic_load(&transfer_retries);
}

void transfer_print_stats(const char *program, int64_t started_ms)
{
    transfer_totals t;
    transfer_totals_get(&t);
    double s = (double)(monotime_ms() - started_ms) / 1000;
    fprintf(stderr, "minidfs %s: stats: %.1f MB in %llu chunks, %llu retries, %.2f s, %.1f MB/s\n",
            program, (double)t.bytes / 1e6, (unsigned long long)t.chunks,
            (unsigned long long)t.retries, s, s > 0 ? (double)t.bytes / 1e6 / s : 0.0);
}

static httpc_job_next transfer_finish(void *ud, size_t i, CURL *h, CURLcode rc)
{
    transfer_state *t = ud;
    transfer_job *j = &t->jobs[i];
    (void)h;
    char why[600];
    atomic_store(&j->busy, NULL);
    transfer_outcome out = transfer_judge(j, rc, why, sizeof why);
    if (out == JOB_OK) {
        transfer_count(j->length, 1);
        atomic_store_explicit(&j->shown, j->length, memory_order_relaxed);
        transfer_close_input(j);
        j->h = NULL;
        return HTTPC_JOB_DONE;
    }
    if (out == JOB_RETRY && j->next < j->ncand) {
        atomic_fetch_add_explicit(&transfer_retries, 1, memory_order_relaxed);
        return HTTPC_JOB_AGAIN;
    }
    if (out == JOB_RETRY && t->o->upload && j->nheld > 0) {
        /* every candidate tried: fewer servers could take it than planned */
        atomic_store_explicit(&j->shown, j->length, memory_order_relaxed);
        transfer_close_input(j);
        j->h = NULL;
        return HTTPC_JOB_DONE;
    }
    if (out == JOB_FATAL)
        transfer_fail(t, "chunk %u: %s", j->chunk, why);
    else
        transfer_fail(t, "chunk %u: %s failed on every %s (last: %s)", j->chunk,
                      t->o->upload ? "upload" : "download",
                      t->o->upload ? "chunkserver" : "replica", why);
    return HTTPC_JOB_STOP;
}

/* Keeps the progress line current (whichever worker gets there first),
 * naming the transfer in flight that has stood still longest when that is
 * TRANSFER_WAIT_SHOWN_MS or more (an upload whose bytes are all sent waits
 * for the pipeline's answer; a read, for a hung server), and stops a
 * worker once another has failed. */
#define TRANSFER_WAIT_SHOWN_MS 2000
static bool transfer_tick(void *ud)
{
    transfer_state *t = ud;
    if (atomic_load(&t->failed))
        return false;
    if (t->o->prog && pthread_mutex_trylock(&t->mu) == 0) {
        size_t started = atomic_load(&t->next);
        uint64_t moved = 0;
        int64_t now = monotime_ms(), still = 0;
        const char *slow = NULL;
        uint32_t slow_chunk = 0;
        for (size_t i = 0; i < started && i < t->njobs; i++) {
            transfer_job *j = &t->jobs[i];
            uint64_t s = atomic_load_explicit(&j->shown, memory_order_relaxed);
            const char *server = atomic_load(&j->busy);
            moved += s;
            if (!server || s != j->seen_shown || server != j->seen_server || j->seen_ms == 0) {
                j->seen_shown = s;
                j->seen_server = server;
                j->seen_ms = now;
            } else if (now - j->seen_ms > still) {
                still = now - j->seen_ms;
                slow = server;
                slow_chunk = j->chunk;
            }
        }
        char note[PROTO_MAX_SERVER_ADDR + 64] = "";
        if (slow && still >= TRANSFER_WAIT_SHOWN_MS)
            snprintf(note, sizeof note, "%s (chunk %" PRIu32 ", %" PRId64 " s)", slow, slow_chunk,
                     still / 1000);
        progress_update(t->o->prog, moved, note);
        pthread_mutex_unlock(&t->mu);
    }
    return true;
}

typedef struct {
    transfer_state *t;
    unsigned parallel;
    pthread_t thread;
    bool running;            /* a thread of its own was started */
    bool ok;
} transfer_worker;

static bool transfer_work(transfer_worker *w)
{
    httpc_multi_spec spec = {
        .njobs = w->t->njobs,
        .parallel = w->parallel,
        .claim = transfer_claim,
        .start = transfer_start,
        .finish = transfer_finish,
        .tick = transfer_tick,
        .ud = w->t,
    };
    if (httpc_multi_run(&spec))
        return true;
    transfer_fail(w->t, "out of memory");   /* unless a callback said why first */
    return false;
}

static void *transfer_worker_main(void *arg)
{
    transfer_worker *w = arg;
    w->ok = transfer_work(w);
    return NULL;
}

/* How many workers: one per core, no more than there are chunks or
 * transfers in flight; a stream is written strictly in order by one. */
static unsigned transfer_workers(const transfer_opts *o, unsigned parallel, size_t njobs)
{
    if (o->stream_out)
        return 1;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned k = cores > 1 ? (unsigned)cores : 1;
    if (k > TRANSFER_MAX_WORKERS)
        k = TRANSFER_MAX_WORKERS;
    if (k > parallel)
        k = parallel;
    if (k > njobs)
        k = (unsigned)njobs;
    return k ? k : 1;
}

static unsigned transfer_parallel(const transfer_opts *o, const client_layout *L)
{
    if (o->parallel > 0)
        return (unsigned)o->parallel;
    uint64_t k = L->chunk_size ? TRANSFER_AUTO_BYTES / L->chunk_size : TRANSFER_AUTO_MAX;
    return k < TRANSFER_AUTO_MIN ? TRANSFER_AUTO_MIN : k > TRANSFER_AUTO_MAX ? TRANSFER_AUTO_MAX : (unsigned)k;
}

bool transfer_run(const transfer_opts *o, const client_layout *L, char *err, size_t errlen)
{
    size_t n = L->nchunks;
    if (n == 0)
        return true;
    err[0] = '\0';
    transfer_job *jobs = calloc(n, sizeof *jobs);
    iobuf_pool *pool = NULL;
    transfer_speed speed;
    atomic_init(&speed.bytes, 0);
    atomic_init(&speed.ms, 0);
    atomic_init(&speed.count, 0);
    bool ok = jobs != NULL;
    for (size_t i = 0; ok && i < n; i++) {
        ok = transfer_job_init(&jobs[i], o, L, (uint32_t)i);
        jobs[i].speed = &speed;
    }
    if (!ok) {
        snprintf(err, errlen, "out of memory");
    } else {
        transfer_state t = { .o = o, .jobs = jobs, .njobs = n, .err = err, .errlen = errlen };
        atomic_init(&t.next, 0);
        atomic_init(&t.failed, false);
        pthread_mutex_init(&t.mu, NULL);
        unsigned parallel = o->stream_out ? 1 : transfer_parallel(o, L);
        unsigned k = transfer_workers(o, parallel, n);
        size_t share = TRANSFER_READAHEAD_BYTES / parallel, block = TRANSFER_READ_BLOCK;
        while (block > TRANSFER_READ_BLOCK_MIN && share / block < 2)
            block /= 2;
        pool = o->upload ? iobuf_pool_new(block) : NULL;
        for (size_t i = 0; i < n; i++) {
            jobs[i].pool = pool;
            jobs[i].blocks = (unsigned)(share / block);
        }
        transfer_worker w[TRANSFER_MAX_WORKERS] = { 0 };
        /* The transfers in flight, shared out; worker 0 is this thread.
         * A worker whose thread cannot start leaves its chunks to the
         * others: the queue is shared. */
        for (unsigned i = 0; i < k; i++) {
            w[i].t = &t;
            w[i].parallel = parallel / k + (i < parallel % k);
            if (i > 0)
                w[i].running = pthread_create(&w[i].thread, NULL, transfer_worker_main, &w[i]) == 0;
        }
        ok = transfer_work(&w[0]);
        for (unsigned i = 1; i < k; i++)
            if (w[i].running) {
                pthread_join(w[i].thread, NULL);
                ok = ok && w[i].ok;
            }
        ok = ok && !atomic_load(&t.failed);
        pthread_mutex_destroy(&t.mu);
    }
    if (jobs)
        for (size_t i = 0; i < n; i++) {
            transfer_close_input(&jobs[i]);
            free(jobs[i].cand);
            curl_slist_free_all(jobs[i].headers);
            sha256_stream_free(jobs[i].hash);
        }
    free(jobs);
    iobuf_pool_free(pool);   /* after every reader gave its blocks back */
    return ok;
}
