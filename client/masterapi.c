/*
 * masterapi.c - client-to-master calls. Everything the master answers
 * (also a file's layout that a listing carried, masterapi_locate_known) is
 * checked before the client acts on it (counts, sizes, types; a plan a
 * batch carried too, masterapi_plan_known), so a confused or hostile
 * master yields an error message, never a bad read or write; a master that
 * is restarting (refused connections, 503s) is waited out for up to
 * --retry-ms; of an HA cluster's masters, the active one is asked (a
 * standby's hint followed only to a master of the list). Chunk
 * identifiers are built from the identifier the master's
 * answer gives (an overwritten file's differs from its name's), never from
 * the name alone. A secure master's bearer token (masterapi_set_token)
 * goes with every call here, and only here: never to a chunkserver. Owns
 * nothing beyond the layouts it returns.
 */
#include "masterapi.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>

#include "addr.h"
#include "auth.h"
#include "httpc.h"
#include "jsonf.h"
#include "nspath.h"
#include "protocol.h"
#include "token.h"
#include "monotime.h"

#define MASTERAPI_APPEND_WAIT_MS 120000   /* how long an appender waits its turn */
#define MASTERAPI_TIMEOUT_MS 60000
#define MASTERAPI_FIRST_WAIT_MS 50
#define MASTERAPI_MAX_WAIT_MS 2000
#define MASTERAPI_MAX_WAIT_HA_MS 200

static long masterapi_retry_ms = MASTERAPI_DEFAULT_RETRY_MS;
/* An HA cluster's masters (masterapi_set_masters): calls are made to the
 * first's URLs and sent to the current one instead. */
static char masterapi_masters[ADDR_MAX_MASTERS][ADDR_MAX_BASE];
static size_t masterapi_nmasters;
static size_t masterapi_cur;
static pthread_mutex_t masterapi_mu = PTHREAD_MUTEX_INITIALIZER;
static char masterapi_token_buf[TOKEN_LEN + 1];   /* a copy: the caller's may go */
static const char *masterapi_token;   /* a secure master's user token, or NULL */

void masterapi_set_retry(long ms)
{
    masterapi_retry_ms = ms < 0 ? 0 : ms;
}

void masterapi_set_masters(const char *list)
{
    masterapi_nmasters = addr_master_split(list, masterapi_masters, ADDR_MAX_MASTERS);
    masterapi_cur = 0;
}

/* url, sent to the current master when it names the first of a list. */
static void masterapi_route(const char *url, char *out, size_t outlen, size_t *cur)
{
    pthread_mutex_lock(&masterapi_mu);
    *cur = masterapi_cur;
    pthread_mutex_unlock(&masterapi_mu);
    size_t fl = masterapi_nmasters > 1 ? strlen(masterapi_masters[0]) : 0;
    if (fl && strncmp(url, masterapi_masters[0], fl) == 0 && (url[fl] == '/' || !url[fl]))
        snprintf(out, outlen, "%s%s", masterapi_masters[*cur], url + fl);
    else
        snprintf(out, outlen, "%s", url);
}

/* After master cur's answer (resp; NULL: none came), the master to ask
 * next: the active one a standby's hint names when it is one of the list
 * (a hint never takes the token anywhere else) and was not found away in
 * this call (away: a bit per master; a standby may not know yet that the
 * leader died), *by_hint then set; else the next on a refusal that
 * passes; else cur. */
static size_t masterapi_follow(size_t cur, const httpc_response *resp, unsigned away,
                               bool *by_hint)
{
    size_t named = addr_master_next(masterapi_masters, masterapi_nmasters, cur,
                                    resp ? resp->leader : "", false);
    *by_hint = named != cur && !(away >> named & 1u);
    size_t want = *by_hint ? named
                           : addr_master_next(masterapi_masters, masterapi_nmasters, cur, "",
                                              !resp || resp->status == 503);
    pthread_mutex_lock(&masterapi_mu);
    if (masterapi_cur == cur)
        masterapi_cur = want;
    pthread_mutex_unlock(&masterapi_mu);
    return want;
}

void masterapi_set_token(const char *token)
{
    masterapi_token = NULL;
    if (token && token[0] && strlen(token) < sizeof masterapi_token_buf) {
        memcpy(masterapi_token_buf, token, strlen(token) + 1);
        masterapi_token = masterapi_token_buf;
    }
}

/* Says, for a list of masters none of which could be reached while the
 * retries lasted, that none could (the last one's failure is in err
 * already). Always false. */
static bool masterapi_none_answered(char *err, size_t errlen)
{
    if (masterapi_nmasters < 2)
        return false;
    char last[512];
    snprintf(last, sizeof last, "%s", err);
    int w = snprintf(err, errlen, "no master answered (");
    for (size_t i = 0; i < masterapi_nmasters && w > 0 && (size_t)w < errlen; i++)
        w += snprintf(err + w, errlen - (size_t)w, "%s%s", i ? ", " : "", masterapi_masters[i]);
    if (w > 0 && (size_t)w < errlen)
        snprintf(err + w, errlen - (size_t)w, "); the last: %s", last);
    return false;
}

/* One call to the master, made again while the answer is a refusal that
 * passes: the master unreachable (restarting), a 503 (safe mode after a
 * restart, chunkservers still reporting, a journal that failed), and,
 * with busy_ok, a 409 that says when to retry (another client appends).
 * The waits grow, with jitter, and last at least what the answer's
 * Retry-After asks; they stop once the retry budget (the append's turn,
 * for a busy file) would be spent, and the last answer stands. */
static bool masterapi_request(const char *method, const char *url, json_t *body, bool busy_ok,
                              httpc_response *resp, char *err, size_t errlen)
{
    int64_t start = monotime_ms();
    long wait = MASTERAPI_FIRST_WAIT_MS;
    int hops = 0;
    unsigned away = 0;   /* the masters found unreachable in this call, a bit each */
    for (;;) {
        char routed[1200];
        size_t cur;
        masterapi_route(url, routed, sizeof routed, &cur);
        bool ok = httpc_json_bearer(method, routed, body, masterapi_token, MASTERAPI_TIMEOUT_MS,
                                    resp, err, errlen);
        bool busy = ok && busy_ok && resp->status == 409 && resp->retry_ms > 0;
        bool passing = (!ok && resp->unreached) || (ok && resp->status == 503);
        /* A standby names the active master: it is asked at once (what
         * the standby answered may be a moment behind), a few hops at most,
         * so that masters naming each other cannot loop; once they are
         * spent, or the one named was found away, a standby's read stands.
         * A master that is away or says wait gives its turn to the next of
         * the list. */
        if (!ok && resp->unreached)
            away |= 1u << cur;
        bool by_hint = false;
        if (passing || (ok && resp->leader[0]))
            masterapi_follow(cur, ok ? resp : NULL, away, &by_hint);
        if (by_hint && hops++ < 2 * ADDR_MAX_MASTERS) {
            httpc_response_free(resp);
            continue;
        }
        if (!busy && !passing)
            return ok;
        long budget = busy ? MASTERAPI_APPEND_WAIT_MS : masterapi_retry_ms;
        long ms = resp->retry_ms > wait ? resp->retry_ms : wait;
        ms += (long)(random() % (ms / 2 + 1));
        if (monotime_ms() - start + ms > budget)
            return ok || masterapi_none_answered(err, errlen);
        if (ok)
            httpc_response_free(resp);
        struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
        nanosleep(&ts, NULL);
        /* An HA cluster's client asks often: a standby takes over within
         * the active master's lease, and says so at once. */
        if (wait < (masterapi_nmasters > 1 ? MASTERAPI_MAX_WAIT_HA_MS : MASTERAPI_MAX_WAIT_MS))
            wait *= 2;
    }
}

static json_t *masterapi_call_status(const char *method, const char *url, json_t *body,
                                     long *status, char *err, size_t errlen);

json_t *masterapi_call(const char *method, const char *url, json_t *body, char *err,
                       size_t errlen)
{
    long status;
    return masterapi_call_status(method, url, body, &status, err, errlen);
}

/* masterapi_call, with the answer's status in *status (0: none came). */
static json_t *masterapi_call_status(const char *method, const char *url, json_t *body,
                                     long *status, char *err, size_t errlen)
{
    httpc_response resp;
    *status = 0;
    if (!masterapi_request(method, url, body, false, &resp, err, errlen))
        return NULL;
    *status = resp.status;
    if (resp.status < 200 || resp.status >= 300) {
        char m[400];
        snprintf(err, errlen, "master: %s", httpc_error_text(&resp, m, sizeof m));
        httpc_response_free(&resp);
        return NULL;
    }
    return resp.json;
}

/* The strings of arr, at most max of them: a count from the master is
 * bounded before it sizes anything. */
static bool masterapi_strings(json_t *arr, const char *what, size_t max, const char ***out,
                              size_t *n, char *err, size_t errlen)
{
    if (!json_is_array(arr)) {
        snprintf(err, errlen, "master answer: \"%s\" is not an array", what);
        return false;
    }
    *n = json_array_size(arr);
    if (*n > max) {
        snprintf(err, errlen, "master answer: \"%s\" lists %zu entries, at most %zu make sense",
                 what, *n, max);
        *n = 0;
        return false;
    }
    *out = calloc(*n ? *n : 1, sizeof **out);
    if (!*out) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    for (size_t i = 0; i < *n; i++) {
        json_t *s = json_array_get(arr, i);
        if (!json_is_string(s)) {
            snprintf(err, errlen, "master answer: \"%s\" holds a non-string", what);
            return false;
        }
        (*out)[i] = json_string_value(s);
    }
    return true;
}

/* Fills the window of chunks first .. first + n - 1 of a layout whose
 * sizes and mapping are set: each chunk's index, and where its bytes are
 * in the local file. Everything here is computed from the sizes, which the
 * caller checked; nothing a master says sizes it beyond a page. */
static bool masterapi_window(client_layout *L, uint32_t first, uint32_t n, char *err,
                             size_t errlen)
{
    if (n > L->end - first) {
        snprintf(err, errlen, "master answer: %u chunks from %u, the file has %u", n, first,
                 L->end);
        return false;
    }
    free(L->chunks);
    L->nchunks = 0;
    if (!(L->chunks = calloc(n ? n : 1, sizeof *L->chunks))) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    L->nchunks = n;
    for (uint32_t k = 0; k < n; k++) {
        client_chunk *c = &L->chunks[k];
        c->index = first + k;
        c->offset = L->whole_at + (uint64_t)(c->index - L->whole_from) * L->chunk_size;
        uint64_t left = L->local_size - c->offset;
        c->length = left < L->chunk_size ? left : L->chunk_size;
    }
    L->next = first + n;
    return true;
}

/* Chunks a file of size bytes takes, checked against the limit. */
static bool masterapi_chunks_for(uint64_t size, uint64_t chunk_size, uint32_t *n, char *err,
                                 size_t errlen)
{
    uint64_t k = size / chunk_size + (size % chunk_size != 0);
    if (k > PROTO_MAX_CHUNKS) {
        snprintf(err, errlen, "master answer: %llu chunks is more than a file may have",
                 (unsigned long long)k);
        return false;
    }
    *n = (uint32_t)k;
    return true;
}

/* A chunk's capability from a secure master (NULL: none, an open one),
 * bounded before it goes into a header. */
static bool masterapi_cap(json_t *v, const char **out, char *err, size_t errlen)
{
    *out = NULL;
    if (!v || json_is_null(v))
        return true;
    const char *s = json_string_value(v);
    if (!s || strlen(s) >= AUTH_CAP_MAX || strpbrk(s, "\r\n")) {
        snprintf(err, errlen, "master answer: a malformed capability");
        return false;
    }
    *out = s;
    return true;
}

bool masterapi_more(const client_layout *L)
{
    return L->next < L->end;
}

/* The placements of a plan's page, "chunks": [{index, replicas}], onto the
 * window's chunks from position at on; each entry must be the chunk it is
 * in the window's order. Without "chunks" (a master that leaves the
 * choice to the client), each chunk goes to one server, round robin. */
static bool masterapi_placements(client_layout *L, json_t *chunks, uint32_t at, char *err,
                                 size_t errlen)
{
    for (uint32_t k = at; k < L->nchunks; k++) {
        client_chunk *c = &L->chunks[k];
        if (!chunks) {
            if (L->nservers == 0) {
                snprintf(err, errlen, "master answer names no chunkservers");
                return false;
            }
            if (!(c->rep = calloc(1, sizeof *c->rep))) {
                snprintf(err, errlen, "out of memory");
                return false;
            }
            c->rep[0] = L->servers[c->index % L->nservers];
            c->nrep = 1;
            continue;
        }
        json_t *e = json_array_get(chunks, k - at);
        long long idx;
        if (!jsonf_int(e, PROTO_F_INDEX, 0, PROTO_MAX_CHUNKS, &idx, err, errlen) ||
            !masterapi_strings(json_object_get(e, PROTO_F_REPLICAS), PROTO_F_REPLICAS,
                               PROTO_MAX_REPLICATION, &c->rep, &c->nrep, err, errlen) ||
            !masterapi_cap(json_object_get(e, PROTO_F_CAPABILITY), &c->cap, err, errlen))
            return false;
        if ((uint64_t)idx != c->index || c->nrep == 0) {
            snprintf(err, errlen, "master answer: plan entry %u is for chunk %lld with %zu "
                     "replicas, expected chunk %u", k - at, idx, c->nrep, c->index);
            return false;
        }
    }
    return true;
}

json_t *masterapi_post(const char *master, const char *path, json_t *body, char *err,
                       size_t errlen)
{
    char url[600];
    snprintf(url, sizeof url, "%s%s", master, path);
    json_t *doc = body ? masterapi_call("POST", url, body, err, errlen) : NULL;
    if (!body)
        snprintf(err, errlen, "out of memory");
    json_decref(body);
    return doc;
}

bool masterapi_path_id(const char *name, char out[FILEID_LEN + 1], char *err, size_t errlen)
{
    char path[NSPATH_MAX + 1];
    nspath_status st = nspath_normalize(name, path);
    if (st != NSPATH_OK || !path[1]) {
        snprintf(err, errlen, "%s", st != NSPATH_OK ? nspath_status_text(st) : "the root is no file");
        return false;
    }
    return nspath_id(path, out) || (snprintf(err, errlen, "out of memory"), false);
}

static bool masterapi_plan_doc(json_t *doc, const char *name, uint64_t size, client_layout *L,
                               char *err, size_t errlen);

/* The identifier the file's chunks are named with, from the master's
 * answer: the name's own unless the answer names another (a file an
 * overwrite wrote); a malformed one is refused. */
static bool masterapi_identifier(json_t *doc, const char *name, char out[FILEID_LEN + 1],
                                 char *err, size_t errlen)
{
    json_t *v = json_object_get(doc, PROTO_F_IDENTIFIER);
    if (!v)
        return masterapi_path_id(name, out, err, errlen);
    if (!json_is_string(v) || !fileid_valid(json_string_value(v))) {
        snprintf(err, errlen, "master answer: \"%s\" is not 64 lowercase hex digits",
                 PROTO_F_IDENTIFIER);
        return false;
    }
    memcpy(out, json_string_value(v), FILEID_LEN + 1);
    return true;
}

json_t *masterapi_upload_request(const char *name, uint64_t size, bool overwrite,
                                 unsigned replication)
{
    json_t *req = json_pack("{s:s,s:I,s:b}", PROTO_F_FILE_NAME, name, PROTO_F_FILE_SIZE,
                            (json_int_t)size, PROTO_F_OVERWRITE, overwrite);
    if (req && replication)
        json_object_set_new(req, PROTO_F_REPLICATION, json_integer(replication));
    return req;
}

bool masterapi_plan_upload(const char *master, const char *name, uint64_t size, bool overwrite,
                           unsigned replication, client_layout *L, char *err, size_t errlen)
{
    memset(L, 0, sizeof *L);
    char url[600];
    snprintf(url, sizeof url, "%s%s", master, PROTO_PATH_UPLOAD);
    json_t *req = masterapi_upload_request(name, size, overwrite, replication);
    json_t *doc = req ? masterapi_call("POST", url, req, err, errlen) : NULL;
    if (!req)
        snprintf(err, errlen, "out of memory");
    json_decref(req);
    return doc && masterapi_plan_doc(doc, name, size, L, err, errlen);
}

json_t *masterapi_plan_batch(const char *master, json_t *reqs, bool *refused, char *err,
                             size_t errlen)
{
    char url[600];
    snprintf(url, sizeof url, "%s%s", master, PROTO_PATH_UPLOAD);
    json_t *body = json_pack("{s:O}", PROTO_F_FILES, reqs);
    long status = 0;
    json_t *doc = body ? masterapi_call_status("POST", url, body, &status, err, errlen) : NULL;
    if (!body)
        snprintf(err, errlen, "out of memory");
    json_decref(body);
    /* a master from before batches: "fileName" missing */
    *refused = !doc && status == 400 && strstr(err, PROTO_F_FILE_NAME) != NULL;
    return doc;
}

bool masterapi_plan_known(json_t *plan, const char *name, uint64_t size, client_layout *L,
                          char *err, size_t errlen)
{
    return masterapi_plan_doc(json_incref(plan), name, size, L, err, errlen);
}

/* A plan the master sent for a file of size bytes (doc: taken, freed with
 * L or at once on failure), checked: every count and string bounded. */
static bool masterapi_plan_doc(json_t *doc, const char *name, uint64_t size, client_layout *L,
                               char *err, size_t errlen)
{
    memset(L, 0, sizeof *L);
    L->doc = doc;
    long long chunk_size, nchunks, generation = 0;
    const char *ident;
    if (!jsonf_string(doc, PROTO_F_IDENTIFIER, &ident, err, errlen) ||
        !masterapi_identifier(doc, name, L->fileid, err, errlen) ||
        !jsonf_int(doc, PROTO_F_CHUNK_SIZE, 1, (long long)PROTO_MAX_CHUNK_SIZE, &chunk_size, err,
                   errlen) ||
        !jsonf_int(doc, PROTO_F_NUM_CHUNKS, 0, PROTO_MAX_CHUNKS, &nchunks, err, errlen) ||
        !jsonf_int_opt(doc, PROTO_F_GENERATION, 0, INT64_MAX, &generation, err, errlen) ||
        !masterapi_strings(json_object_get(doc, PROTO_F_CHUNKSERVERS), PROTO_F_CHUNKSERVERS,
                           PROTO_MAX_CHUNKSERVERS, &L->servers, &L->nservers, err, errlen))
        goto bad;
    L->upload = true;
    L->file_size = L->local_size = size;
    L->chunk_size = (uint64_t)chunk_size;
    L->generation = L->file_gen = (uint64_t)generation;
    if (!masterapi_chunks_for(size, L->chunk_size, &L->end, err, errlen))
        goto bad;
    /* The identifier is the master's to choose (a path's, or a data
     * identifier when a renamed file holds the path's): checked valid. */
    (void)ident;
    if ((uint64_t)nchunks != L->end) {
        snprintf(err, errlen, "master answer does not match the file (identifier or chunk count)");
        goto bad;
    }
    if (L->end > 0 && L->nservers == 0) {
        snprintf(err, errlen, "master answer names no chunkservers");
        goto bad;
    }
    /* "chunks" is our extension, a page of it; a master without it leaves
     * the choice of servers to us, for the whole file at once. */
    json_t *chunks = json_object_get(doc, PROTO_F_CHUNKS);
    if (chunks && (!json_is_array(chunks) || (json_array_size(chunks) == 0 && L->end > 0))) {
        snprintf(err, errlen, "master answer: \"chunks\" is not a plan");
        goto bad;
    }
    size_t page = chunks ? json_array_size(chunks) : L->end;
    if (page > PROTO_MAX_CHUNKS) {
        snprintf(err, errlen, "master answer: a plan of %zu chunks", page);
        goto bad;
    }
    if (!masterapi_window(L, 0, (uint32_t)page, err, errlen) ||
        !masterapi_placements(L, chunks, 0, err, errlen))
        goto bad;
    return true;
bad:
    client_layout_free(L);
    return false;
}

/* A window from chunk from on, as /get answers it (doc: taken, freed with
 * L or at once on failure), checked: every count and string bounded. */
static bool masterapi_layout_doc(json_t *doc, const char *name, uint32_t from, client_layout *L,
                                 char *err, size_t errlen)
{
    memset(L, 0, sizeof *L);
    if (!json_is_object(doc)) {
        json_decref(doc);
        snprintf(err, errlen, "master answer: a layout that is no JSON object");
        return false;
    }
    L->doc = doc;
    long long size, chunk_size, generation = 0, first = 0;
    if (!masterapi_identifier(doc, name, L->fileid, err, errlen) ||
        !jsonf_int(doc, PROTO_F_FILE_SIZE, 0, INT64_MAX, &size, err, errlen) ||
        !jsonf_int(doc, PROTO_F_CHUNK_SIZE, 1, (long long)PROTO_MAX_CHUNK_SIZE, &chunk_size, err,
                   errlen) ||
        !jsonf_int_opt(doc, PROTO_F_GENERATION, 0, INT64_MAX, &generation, err, errlen) ||
        !jsonf_int_opt(doc, PROTO_F_FROM, 0, PROTO_MAX_CHUNKS, &first, err, errlen))
        goto bad;
    L->file_size = L->local_size = (uint64_t)size;
    L->chunk_size = (uint64_t)chunk_size;
    L->file_gen = (uint64_t)generation;
    if (!masterapi_chunks_for(L->file_size, L->chunk_size, &L->end, err, errlen))
        goto bad;
    if ((uint32_t)first != from) {
        snprintf(err, errlen, "master answer: a page from chunk %lld, not %u", first, from);
        goto bad;
    }
    json_t *replicas = json_object_get(doc, PROTO_F_REPLICAS);
    json_t *locations = json_object_get(doc, PROTO_F_LOCATIONS);
    json_t *sums = json_object_get(doc, PROTO_F_CHECKSUMS);
    /* A master without pages answers the whole file. */
    size_t w = json_is_array(replicas) ? json_array_size(replicas) : json_array_size(locations);
    if (w > L->end - from || (w == 0 && from < L->end)) {
        snprintf(err, errlen, "master answer lists locations for %zu chunks from %u, the file "
                 "has %u", w, from, L->end);
        goto bad;
    }
    if (!masterapi_window(L, from, (uint32_t)w, err, errlen))
        goto bad;
    for (uint32_t k = 0; k < L->nchunks; k++) {
        client_chunk *c = &L->chunks[k];
        if (json_is_array(replicas)) {
            if (!masterapi_strings(json_array_get(replicas, k), PROTO_F_REPLICAS,
                                   PROTO_MAX_REPLICATION, &c->rep, &c->nrep, err, errlen))
                goto bad;
        } else {
            json_t *loc = json_array_get(locations, k);
            c->rep = calloc(1, sizeof *c->rep);
            if (!c->rep || !json_is_string(loc)) {
                snprintf(err, errlen, "master answer: bad location for chunk %u", c->index);
                goto bad;
            }
            c->rep[0] = json_string_value(loc);
            c->nrep = 1;
        }
        if (c->nrep == 0) {
            snprintf(err, errlen, "chunk %u of \"%s\" has no replica yet (chunkservers may "
                     "still be reporting after a master restart; try again)", c->index, name);
            goto bad;
        }
        const char *sha = json_string_value(json_array_get(sums, k));
        c->sha = sha && strlen(sha) == 64 ? sha : NULL;
        if (!masterapi_cap(json_array_get(json_object_get(doc, PROTO_F_CAPABILITIES), k), &c->cap,
                           err, errlen))
            goto bad;
    }
    return true;
bad:
    client_layout_free(L);
    return false;
}

/* GET /get of a window from chunk from on. */
static bool masterapi_locate_from(const char *master, const char *name, uint32_t from,
                                  client_layout *L, char *err, size_t errlen)
{
    memset(L, 0, sizeof *L);
    char url[800], own[FILEID_LEN + 1];
    if (!masterapi_path_id(name, own, err, errlen))
        return false;
    snprintf(url, sizeof url, "%s%s?%s=%s&%s=%u&%s=%u", master, PROTO_PATH_GET, PROTO_QUERY_ID,
             own, PROTO_QUERY_FROM, from, PROTO_QUERY_COUNT, PROTO_PAGE_CHUNKS);
    json_t *doc = masterapi_call("GET", url, NULL, err, errlen);
    if (!doc) {
        /* the master knows files by identifier; the user, by name */
        if (strstr(err, "no file has identifier"))
            snprintf(err, errlen, "no file named \"%s\"", name);
        return false;
    }
    return masterapi_layout_doc(doc, name, from, L, err, errlen);
}

bool masterapi_locate(const char *master, const char *name, client_layout *L, char *err,
                      size_t errlen)
{
    return masterapi_locate_from(master, name, 0, L, err, errlen);
}

bool masterapi_locate_known(json_t *layout, const char *name, client_layout *L, char *err,
                            size_t errlen)
{
    return masterapi_layout_doc(json_incref(layout), name, 0, L, err, errlen);
}

/* GET /plan: the next page of a plan, placed among the servers live now. */
static bool masterapi_plan_next(const char *master, const client_layout *prev, client_layout *L,
                                char *err, size_t errlen)
{
    *L = *prev;   /* the sizes and the mapping; nothing it points to */
    L->doc = NULL;
    L->chunks = NULL;
    L->servers = NULL;
    L->nchunks = 0;
    L->nservers = 0;
    char url[800];
    snprintf(url, sizeof url, "%s%s?%s=%s&%s=%llu&%s=%u", master, PROTO_PATH_PLAN,
             PROTO_QUERY_ID, prev->fileid, PROTO_QUERY_GENERATION,
             (unsigned long long)prev->file_gen, PROTO_QUERY_FROM, prev->next);
    if (!(L->doc = masterapi_call("GET", url, NULL, err, errlen)))
        return false;
    json_t *chunks = json_object_get(L->doc, PROTO_F_CHUNKS);
    if (!json_is_array(chunks) || json_array_size(chunks) == 0 ||
        json_array_size(chunks) > prev->end - prev->next) {
        snprintf(err, errlen, "master answer: not a page of the plan from chunk %u", prev->next);
        goto bad;
    }
    if (!masterapi_strings(json_object_get(L->doc, PROTO_F_CHUNKSERVERS), PROTO_F_CHUNKSERVERS,
                           PROTO_MAX_CHUNKSERVERS, &L->servers, &L->nservers, err, errlen))
        goto bad;
    if (!masterapi_window(L, prev->next, (uint32_t)json_array_size(chunks), err, errlen) ||
        !masterapi_placements(L, chunks, 0, err, errlen))
        goto bad;
    return true;
bad:
    client_layout_free(L);
    return false;
}

bool masterapi_next(const char *master, const char *name, const client_layout *L,
                    client_layout *out, char *err, size_t errlen)
{
    if (L->upload)
        return masterapi_plan_next(master, L, out, err, errlen);
    if (!masterapi_locate_from(master, name, L->next, out, err, errlen))
        return false;
    if (out->file_size != L->file_size || out->chunk_size != L->chunk_size ||
        out->file_gen != L->file_gen || strcmp(out->fileid, L->fileid) != 0) {
        snprintf(err, errlen, "\"%s\" changed while it was being read (appended to or "
                 "overwritten); read it again", name);
        client_layout_free(out);
        return false;
    }
    return true;
}

bool masterapi_append_begin(const char *master, const char *name, uint64_t size,
                            client_layout *L, uint64_t *token, char *err, size_t errlen)
{
    memset(L, 0, sizeof *L);
    char url[600];
    snprintf(url, sizeof url, "%s%s", master, PROTO_PATH_APPEND);
    json_t *req = json_pack("{s:s,s:I}", PROTO_F_FILE_NAME, name, PROTO_F_SIZE, (json_int_t)size);
    json_t *doc = NULL;
    /* One appender at a time: the master says "retry" to the others. */
    httpc_response resp;
    if (masterapi_request("POST", url, req, true, &resp, err, errlen)) {
        if (resp.status == 200) {
            doc = resp.json;
        } else {
            char m[400];
            snprintf(err, errlen, "master: %s", httpc_error_text(&resp, m, sizeof m));
            httpc_response_free(&resp);
        }
    }
    json_decref(req);
    if (!doc)
        return false;
    L->doc = doc;
    long long tok, version, chunk_size;
    if (!masterapi_identifier(doc, name, L->fileid, err, errlen))
        goto bad;
    json_t *fill = json_object_get(doc, PROTO_F_FILL), *chunks = json_object_get(doc, PROTO_F_CHUNKS);
    if (!jsonf_int(doc, PROTO_F_TOKEN, 1, INT64_MAX, &tok, err, errlen) ||
        !jsonf_int(doc, PROTO_F_VERSION, 1, INT64_MAX, &version, err, errlen) ||
        !jsonf_int(doc, PROTO_F_CHUNK_SIZE, 1, (long long)PROTO_MAX_CHUNK_SIZE, &chunk_size, err,
                   errlen))
        goto bad;
    if (!json_is_array(chunks) || json_array_size(chunks) > PROTO_MAX_CHUNKS) {
        snprintf(err, errlen, "master answer: no \"chunks\", or more than a file may have");
        goto bad;
    }
    if (json_is_object(fill) == json_is_null(fill) && fill) {
        snprintf(err, errlen, "master answer: \"fill\" is neither an object nor null");
        goto bad;
    }
    *token = (uint64_t)tok;
    L->upload = true;
    L->generation = (uint64_t)version;
    L->chunk_size = (uint64_t)chunk_size;
    L->file_size = L->local_size = size;
    /* The fill of the partial last chunk comes first in the local input,
     * then the new chunks, whole. */
    client_chunk fc = { 0 };
    if (json_is_object(fill)) {
        long long idx, off, len;
        if (!jsonf_int(fill, PROTO_F_INDEX, 0, PROTO_MAX_CHUNKS - 1, &idx, err, errlen) ||
            !jsonf_int(fill, PROTO_F_OFFSET, 1, chunk_size - 1, &off, err, errlen) ||
            !jsonf_int(fill, PROTO_F_LENGTH, 1, chunk_size - off, &len, err, errlen) ||
            !masterapi_strings(json_object_get(fill, PROTO_F_REPLICAS), PROTO_F_REPLICAS,
                               PROTO_MAX_REPLICATION, &fc.rep, &fc.nrep, err, errlen))
            goto bad_fill;
        if ((uint64_t)len > size) {
            snprintf(err, errlen, "master answer: a fill of %lld bytes for an append of %llu",
                     len, (unsigned long long)size);
            goto bad_fill;
        }
        fc.index = (uint32_t)idx;
        fc.length = (uint64_t)len;
        fc.chunk_offset = (uint64_t)off;
        fc.pinned = true;
        if (!masterapi_cap(json_object_get(fill, PROTO_F_CAPABILITY), &fc.cap, err, errlen))
            goto bad_fill;
    }
    long long first_new = json_is_object(fill) ? (long long)fc.index + 1 : 0, gen = 0;
    json_t *first = json_array_get(chunks, 0);
    if (first && !jsonf_int(first, PROTO_F_INDEX, 0, PROTO_MAX_CHUNKS - 1, &first_new, err, errlen))
        goto bad_fill;
    if (!jsonf_int_opt(doc, PROTO_F_FIRST_NEW, 0, PROTO_MAX_CHUNKS, &first_new, err, errlen) ||
        !jsonf_int_opt(doc, PROTO_F_GENERATION, 0, INT64_MAX, &gen, err, errlen))
        goto bad_fill;
    L->file_gen = (uint64_t)gen;
    L->whole_from = (uint32_t)first_new;
    L->whole_at = fc.length;
    uint32_t nnew;
    if (!masterapi_chunks_for(size - fc.length, L->chunk_size, &nnew, err, errlen))
        goto bad_fill;
    if (nnew > PROTO_MAX_CHUNKS - L->whole_from) {
        snprintf(err, errlen, "master answer: %u new chunks from chunk %u", nnew, L->whole_from);
        goto bad_fill;
    }
    L->end = L->whole_from + nnew;
    if ((nnew > 0 && json_array_size(chunks) == 0) || json_array_size(chunks) > nnew) {
        snprintf(err, errlen, "master answer: a plan of %zu new chunks for an append of %u",
                 json_array_size(chunks), nnew);
        goto bad_fill;
    }
    if (!masterapi_window(L, L->whole_from, (uint32_t)json_array_size(chunks), err, errlen))
        goto bad_fill;
    if (json_is_object(fill)) {   /* the fill leads the first window */
        client_chunk *grown = realloc(L->chunks, ((size_t)L->nchunks + 1) * sizeof *grown);
        if (!grown) {
            snprintf(err, errlen, "out of memory");
            goto bad_fill;
        }
        memmove(grown + 1, grown, L->nchunks * sizeof *grown);
        grown[0] = fc;
        fc.rep = NULL;
        L->chunks = grown;
        L->nchunks++;
    }
    if (!masterapi_placements(L, chunks, json_is_object(fill) ? 1 : 0, err, errlen))
        goto bad;
    /* Fallbacks for the new chunks: every replica named anywhere (each
     * chunk's list is bounded above, so this is too). */
    size_t named = 0;
    for (uint32_t k = 0; k < L->nchunks; k++)
        named += L->chunks[k].nrep;
    L->servers = calloc(named + 1, sizeof *L->servers);
    if (!L->servers) {
        snprintf(err, errlen, "out of memory");
        goto bad;
    }
    for (uint32_t k = 0; k < L->nchunks; k++)
        for (size_t r = 0; r < L->chunks[k].nrep; r++) {
            bool seen = false;
            for (size_t q = 0; q < L->nservers && !seen; q++)
                seen = strcmp(L->servers[q], L->chunks[k].rep[r]) == 0;
            if (!seen)
                L->servers[L->nservers++] = L->chunks[k].rep[r];
        }
    return true;
bad_fill:
    free(fc.rep);
bad:
    client_layout_free(L);
    return false;
}

bool masterapi_append_end(const char *master, const char *name, uint64_t token, bool abort,
                          char *err, size_t errlen)
{
    char url[600];
    snprintf(url, sizeof url, "%s%s", master, PROTO_PATH_APPEND_DONE);
    json_t *req = json_pack("{s:s,s:I,s:b}", PROTO_F_FILE_NAME, name, PROTO_F_TOKEN,
                            (json_int_t)token, PROTO_F_ABORT, abort);
    json_t *doc = masterapi_call("POST", url, req, err, errlen);
    json_decref(req);
    json_decref(doc);
    return doc != NULL;
}

void masterapi_report_bad(const char *master, const char *chunk_id, const char *server)
{
    char url[600], err[256];
    snprintf(url, sizeof url, "%s%s", master, PROTO_PATH_BAD_CHUNK);
    json_t *body = json_pack("{s:s,s:s}", PROTO_F_CHUNK_ID, chunk_id, PROTO_F_CHUNKSERVER, server);
    json_t *doc = masterapi_call("POST", url, body, err, sizeof err);
    json_decref(body);
    json_decref(doc);
}

void masterapi_report_unreachable(const char *master, const char *server)
{
    char url[600], err[256], routed[1200];
    size_t cur;
    snprintf(url, sizeof url, "%s%s", master, PROTO_PATH_UNREACHABLE);
    masterapi_route(url, routed, sizeof routed, &cur);
    json_t *body = json_pack("{s:s}", PROTO_F_CHUNKSERVER, server);
    httpc_response resp;
    /* Once, briefly: a hint for the master, never worth holding a transfer. */
    if (body && httpc_json_bearer("POST", routed, body, masterapi_token, 2000, &resp, err,
                                  sizeof err))
        httpc_response_free(&resp);
    json_decref(body);
}

bool masterapi_list(const char *master, json_t **files, char *err, size_t errlen)
{
    char url[600];
    snprintf(url, sizeof url, "%s%s", master, PROTO_PATH_FILES);
    json_t *doc = masterapi_call("GET", url, NULL, err, errlen);
    if (!doc)
        return false;
    *files = json_incref(json_object_get(doc, PROTO_F_FILES));
    json_decref(doc);
    if (!json_is_array(*files)) {
        json_decref(*files);
        snprintf(err, errlen, "master answer has no file list");
        return false;
    }
    return true;
}

bool masterapi_delete(const char *master, const char *name, char *err, size_t errlen)
{
    char *esc = curl_easy_escape(NULL, name, 0);
    if (!esc) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    size_t len = strlen(master) + strlen(esc) + 64;
    char *url = malloc(len);
    if (!url) {
        curl_free(esc);
        snprintf(err, errlen, "out of memory");
        return false;
    }
    snprintf(url, len, "%s%s?%s=%s", master, PROTO_PATH_FILES, PROTO_QUERY_NAME, esc);
    curl_free(esc);
    json_t *doc = masterapi_call("DELETE", url, NULL, err, errlen);
    free(url);
    json_decref(doc);
    return doc != NULL;
}

void client_layout_free(client_layout *L)
{
    if (L->chunks)
        for (uint32_t i = 0; i < L->nchunks; i++)
            free(L->chunks[i].rep);
    free(L->chunks);
    free(L->servers);
    json_decref(L->doc);
    memset(L, 0, sizeof *L);
}
