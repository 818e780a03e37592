/*
 * chunkbatch.c - see chunkbatch.h. Reads each file once, never whole, as
 * curl sends it, hashing it on the way: its SHA-256 trails its bytes, as
 * in a lone PUT (X-Minidfs-Sha256: trailing).
 * Owns one request's items and its answer (bounded) for the length of
 * chunkbatch_put. Must never mark a file stored that the answer does not
 * show stored as a lone PUT would be counted (transfer.c), and never send
 * a file's bytes anywhere but the first server of its own plan.
 */
#include "chunkbatch.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "addr.h"
#include "chunkreq.h"
#include "httpc.h"
#include "masterapi.h"
#include "protocol.h"
#include "sha256.h"
#include "transfer.h"

/* The most answer read back: PROTO_MAX_BATCH answers of a few hundred
 * bytes each, with room. */
#define CHUNKBATCH_MAX_ANSWER (256u << 10)
/* Copies a chunk needs before it counts (when the plan has as many): as
 * transfer.c's TRANSFER_MIN_COPIES. */
#define CHUNKBATCH_MIN_COPIES 2

typedef struct {
    chunkbatch_file *f;
    client_layout L;
    bool sent;                    /* in the request */
    int fd;
    uint64_t length;
    size_t need;                  /* servers that must hold it */
    char id[CHUNKID_BUF];
    sha256_stream *hash;          /* of its bytes as they are sent */
    char sha[SHA256_HEX_LEN + 1]; /* then their digest, sent after them */
    char *line;                   /* its header line, newline included */
    size_t line_len;
} chunkbatch_item;

typedef struct {
    chunkbatch_item *items;
    size_t n;
    size_t cur;                   /* the item being sent */
    uint64_t pos;                 /* bytes of it sent: its line, its file, its digest */
    httpc_answer answer;          /* bounded by CHUNKBATCH_MAX_ANSWER */
    char url[512];
    struct curl_slist *headers;
    CURLcode rc;
    long status;
    char curl_err[CURL_ERROR_SIZE];
} chunkbatch_req;

const char *chunkbatch_server(json_t *plan)
{
    json_int_t size = json_integer_value(json_object_get(plan, PROTO_F_FILE_SIZE));
    json_t *chunks = json_object_get(plan, PROTO_F_CHUNKS);
    json_t *reps = json_object_get(json_array_get(chunks, 0), PROTO_F_REPLICAS);
    if (size < 1 || size > CHUNKBATCH_MAX_FILE || json_array_size(chunks) != 1)
        return NULL;
    return json_string_value(json_array_get(reps, 0));
}

/* The item's line: the PUT's headers as a JSON object (a header line
 * "Name: value" each), its Content-Length among them. */
static bool chunkbatch_line(chunkbatch_item *it, const chunkreq *r)
{
    struct curl_slist *hs = NULL;
    json_t *h = json_object();
    bool ok = h && chunkreq_headers(r, &hs);
    for (struct curl_slist *s = hs; ok && s; s = s->next) {
        const char *colon = strchr(s->data, ':');
        if (!colon)
            continue;
        char name[64];
        size_t k = (size_t)(colon - s->data);
        ok = k < sizeof name;
        if (ok) {
            memcpy(name, s->data, k);
            name[k] = '\0';
            ok = json_object_set_new(h, name, json_string(colon + 1 + (colon[1] == ' '))) == 0;
        }
    }
    curl_slist_free_all(hs);
    char cl[32];
    snprintf(cl, sizeof cl, "%" PRIu64, chunkreq_body_length(r));
    ok = ok && json_object_set_new(h, PROTO_HDR_CONTENT_LENGTH, json_string(cl)) == 0;
    json_t *doc = ok ? json_pack("{s:s,s:O}", PROTO_F_CHUNK_ID, r->id, PROTO_F_HEADERS, h) : NULL;
    json_decref(h);
    char *s = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    if (!s)
        return false;
    size_t len = strlen(s);
    char *line = len + 1 <= PROTO_MAX_BATCH_LINE ? realloc(s, len + 2) : NULL;
    if (!line) {
        free(s);
        return false;
    }
    line[len] = '\n';
    line[len + 1] = '\0';
    it->line = line;
    it->line_len = len + 1;
    return true;
}

/* Opens and checks one file against its plan and makes its line; false
 * leaves it to go alone. */
static bool chunkbatch_prepare(chunkbatch_item *it, const char *server)
{
    chunkbatch_file *f = it->f;
    char err[512];
    json_int_t planned = json_integer_value(json_object_get(f->plan, PROTO_F_FILE_SIZE));
    struct stat sb;
    it->fd = open(f->local, O_RDONLY | O_CLOEXEC);
    if (it->fd < 0 || fstat(it->fd, &sb) != 0 || !S_ISREG(sb.st_mode) ||
        sb.st_size != (off_t)planned ||
        !masterapi_plan_known(f->plan, f->dest, (uint64_t)sb.st_size, &it->L, err, sizeof err))
        return false;
    const client_chunk *c = &it->L.chunks[0];
    if (it->L.nchunks != 1 || masterapi_more(&it->L) || c->offset != 0 ||
        c->chunk_offset != 0 || c->length != (uint64_t)sb.st_size || c->length == 0 ||
        c->length > PROTO_MAX_BATCH_CHUNK || c->nrep == 0 || strcmp(c->rep[0], server) != 0)
        return false;
    it->length = c->length;
    it->need = c->nrep < CHUNKBATCH_MIN_COPIES ? c->nrep : CHUNKBATCH_MIN_COPIES;
    if (!(it->hash = sha256_stream_new()))
        return false;
    chunkreq r;
    memset(&r, 0, sizeof r);
    chunkid_format(r.id, it->L.fileid, c->index);
    memcpy(it->id, r.id, sizeof it->id);
    r.version = it->L.generation;
    r.sum = CHUNKREQ_SUM_TRAILING;
    r.length = it->length;
    if (c->cap)
        snprintf(r.capability, sizeof r.capability, "%s", c->cap);
    for (size_t k = 1; k < c->nrep && r.nchain < CHUNKREQ_MAX_CHAIN; k++)
        if (strlen(c->rep[k]) < sizeof r.chain[0])
            memcpy(r.chain[r.nchain++], c->rep[k], strlen(c->rep[k]) + 1);
    return chunkbatch_line(it, &r);
}

/* The body: each sent item's line, its file's bytes, their digest. */
static size_t chunkbatch_read(char *buf, size_t size, size_t nitems, void *ud)
{
    chunkbatch_req *q = ud;
    size_t want = size * nitems;
    while (q->cur < q->n && !q->items[q->cur].sent)
        q->cur++;
    if (q->cur == q->n)
        return 0;
    chunkbatch_item *it = &q->items[q->cur];
    size_t n;
    if (q->pos < it->line_len) {
        n = it->line_len - (size_t)q->pos < want ? it->line_len - (size_t)q->pos : want;
        memcpy(buf, it->line + q->pos, n);
    } else if (q->pos < it->line_len + it->length) {
        uint64_t at = q->pos - it->line_len, left = it->length - at;
        ssize_t got = pread(it->fd, buf, left < want ? (size_t)left : want, (off_t)at);
        if (got <= 0)
            return CURL_READFUNC_ABORT;   /* the file shrank: the batch fails, each goes alone */
        n = (size_t)got;
        sha256_stream_update(it->hash, buf, n);
        if (at + n == it->length && !sha256_stream_final_hex(it->hash, it->sha))
            return CURL_READFUNC_ABORT;
    } else {
        size_t at = (size_t)(q->pos - it->line_len - it->length);
        n = SHA256_HEX_LEN - at < want ? SHA256_HEX_LEN - at : want;
        memcpy(buf, it->sha + at, n);
    }
    q->pos += n;
    if (q->pos == it->line_len + it->length + SHA256_HEX_LEN) {
        q->cur++;
        q->pos = 0;
    }
    return n;
}

static bool chunkbatch_start(void *ud, size_t job, CURL *h)
{
    (void)job;
    chunkbatch_req *q = ud;
    uint64_t total = 0;
    for (size_t i = 0; i < q->n; i++)
        if (q->items[i].sent)
            total += q->items[i].line_len + q->items[i].length + SHA256_HEX_LEN;
    httpc_configure(h, 5000);
    curl_easy_setopt(h, CURLOPT_URL, q->url);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, q->curl_err);
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)total);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, chunkbatch_read);
    curl_easy_setopt(h, CURLOPT_READDATA, q);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, q->headers);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, httpc_collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &q->answer);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 30L);
    return true;
}

static httpc_job_next chunkbatch_finish(void *ud, size_t job, CURL *h, CURLcode rc)
{
    (void)job;
    chunkbatch_req *q = ud;
    q->rc = rc;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &q->status);
    return HTTPC_JOB_DONE;
}

/* Whether answer a says item it is stored as a lone upload would count
 * it: 200, its id, the bytes sent (by SHA-256 and length), and enough
 * distinct servers in "replicas". */
static bool chunkbatch_stored(const chunkbatch_item *it, json_t *a)
{
    const char *id = json_string_value(json_object_get(a, PROTO_F_CHUNK_ID));
    const char *sha = json_string_value(json_object_get(a, PROTO_F_SHA256));
    json_t *reps = json_object_get(a, PROTO_F_REPLICAS);
    if (json_integer_value(json_object_get(a, PROTO_F_STATUS)) != 200 || !id ||
        strcmp(id, it->id) != 0 || !sha || strcmp(sha, it->sha) != 0 ||
        json_integer_value(json_object_get(a, PROTO_F_SIZE)) != (json_int_t)it->length ||
        !json_is_array(reps) || json_array_size(reps) > PROTO_MAX_REPLICATION)
        return false;
    size_t distinct = 0;
    for (size_t k = 0; k < json_array_size(reps); k++) {
        const char *s = json_string_value(json_array_get(reps, k));
        bool seen = !s;
        for (size_t m = 0; m < k && !seen; m++) {
            const char *t = json_string_value(json_array_get(reps, m));
            seen = t && strcmp(s, t) == 0;
        }
        distinct += !seen;
    }
    return distinct >= it->need;
}

void chunkbatch_put(chunkbatch_file *files, size_t n)
{
    if (n == 0 || n > PROTO_MAX_BATCH)
        return;
    const char *server = chunkbatch_server(files[0].plan);
    chunkbatch_req q;
    memset(&q, 0, sizeof q);
    q.items = calloc(n, sizeof *q.items);
    if (!server || !q.items ||
        !addr_server_url(server, PROTO_PATH_CHUNK_BATCH, q.url, sizeof q.url)) {
        free(q.items);
        return;
    }
    q.n = n;
    q.answer.max = CHUNKBATCH_MAX_ANSWER;
    size_t nsent = 0;
    for (size_t i = 0; i < n; i++) {
        q.items[i].f = &files[i];
        files[i].stored = false;
        q.items[i].sent = chunkbatch_prepare(&q.items[i], server);
        nsent += q.items[i].sent;
    }
    struct curl_slist *type = curl_slist_append(NULL, "Content-Type: " PROTO_CONTENT_OCTETS);
    if (!type || !(q.headers = curl_slist_append(type, "Expect:")))
        curl_slist_free_all(type);
    if (nsent > 0 && q.headers) {
        httpc_multi_spec spec = { .njobs = 1, .parallel = 1, .start = chunkbatch_start,
                                  .finish = chunkbatch_finish, .ud = &q };
        json_t *doc = httpc_multi_run(&spec) && q.rc == CURLE_OK && q.status == 200 &&
                              q.answer.data
                          ? json_loadb(q.answer.data, q.answer.len, 0, NULL)
                          : NULL;
        json_t *answers = json_object_get(doc, PROTO_F_CHUNKS);
        if (json_array_size(answers) == nsent) {
            size_t k = 0;
            for (size_t i = 0; i < n; i++)
                if (q.items[i].sent &&
                    (files[i].stored = chunkbatch_stored(&q.items[i], json_array_get(answers, k++))))
                    transfer_count(q.items[i].length, 1);
        }
        json_decref(doc);
    }
    for (size_t i = 0; i < n; i++) {
        if (q.items[i].fd >= 0)
            close(q.items[i].fd);
        if (q.items[i].L.doc)
            client_layout_free(&q.items[i].L);
        free(q.items[i].line);
        sha256_stream_free(q.items[i].hash);
    }
    curl_slist_free_all(q.headers);
    free(q.answer.data);
    free(q.items);
}
