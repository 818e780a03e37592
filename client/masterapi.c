/*
 * masterapi.c - client-to-master calls. Everything the master answers is
 * checked before the client acts on it (counts, sizes, types), so a
 * confused or hostile master yields an error message, never a bad read or
 * write. Owns nothing beyond the layouts it returns.
 */
#include "masterapi.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>

#include "httpc.h"
#include "jsonf.h"
#include "protocol.h"

#define MASTERAPI_APPEND_WAIT_MS 120000   /* how long an appender waits its turn */
#define MASTERAPI_TIMEOUT_MS 60000

/* Calls the master; on a non-2xx answer err gets the master's message. */
static json_t *masterapi_call(const char *method, const char *url, json_t *body, char *err,
                              size_t errlen)
{
    httpc_response resp;
    if (!httpc_json(method, url, body, MASTERAPI_TIMEOUT_MS, &resp, err, errlen))
        return NULL;
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

/* Fills the sizes and chunk offsets common to both answers. */
static bool masterapi_layout_init(client_layout *L, json_t *doc, const char *name,
                                  uint64_t size, uint64_t chunk_size, char *err, size_t errlen)
{
    L->doc = doc;
    fileid_of_name(name, L->fileid);
    L->file_size = size;
    L->chunk_size = chunk_size;
    uint64_t n = (size + chunk_size - 1) / chunk_size;
    if (n > PROTO_MAX_CHUNKS) {
        snprintf(err, errlen, "master answer: %llu chunks is too many", (unsigned long long)n);
        return false;
    }
    L->nchunks = (uint32_t)n;
    L->chunks = calloc(n ? n : 1, sizeof *L->chunks);
    if (!L->chunks) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    for (uint32_t i = 0; i < L->nchunks; i++) {
        L->chunks[i].index = i;
        L->chunks[i].offset = (uint64_t)i * chunk_size;
        uint64_t left = size - L->chunks[i].offset;
        L->chunks[i].length = left < chunk_size ? left : chunk_size;
    }
    return true;
}

bool masterapi_plan_upload(const char *master, const char *name, uint64_t size, bool overwrite,
                           unsigned replication, client_layout *L, char *err, size_t errlen)
{
    memset(L, 0, sizeof *L);
    char url[600];
    snprintf(url, sizeof url, "%s%s", master, PROTO_PATH_UPLOAD);
    json_t *req = json_pack("{s:s,s:I,s:b}", PROTO_F_FILE_NAME, name, PROTO_F_FILE_SIZE,
                            (json_int_t)size, PROTO_F_OVERWRITE, overwrite);
    if (replication)
        json_object_set_new(req, PROTO_F_REPLICATION, json_integer(replication));
    json_t *doc = masterapi_call("POST", url, req, err, errlen);
    json_decref(req);
    if (!doc)
        return false;
    long long chunk_size, nchunks;
    const char *ident;
    if (!jsonf_string(doc, PROTO_F_IDENTIFIER, &ident, err, errlen) ||
        !jsonf_int(doc, PROTO_F_CHUNK_SIZE, 1, INT64_MAX, &chunk_size, err, errlen) ||
        !jsonf_int(doc, PROTO_F_NUM_CHUNKS, 0, PROTO_MAX_CHUNKS, &nchunks, err, errlen) ||
        !masterapi_layout_init(L, doc, name, size, (uint64_t)chunk_size, err, errlen) ||
        !masterapi_strings(json_object_get(doc, PROTO_F_CHUNKSERVERS), PROTO_F_CHUNKSERVERS,
                           PROTO_MAX_CHUNKSERVERS, &L->servers, &L->nservers, err, errlen))
        goto bad;
    if (strcmp(ident, L->fileid) != 0 || (uint64_t)nchunks != L->nchunks) {
        snprintf(err, errlen, "master answer does not match the file (identifier or chunk count)");
        goto bad;
    }
    if (L->nchunks > 0 && L->nservers == 0) {
        snprintf(err, errlen, "master answer names no chunkservers");
        goto bad;
    }
    long long generation = 0;
    if (!jsonf_int_opt(doc, PROTO_F_GENERATION, 0, INT64_MAX, &generation, err, errlen))
        goto bad;
    L->generation = (uint64_t)generation;
    /* "chunks" is our extension; a master without it leaves the choice to us. */
    json_t *chunks = json_object_get(doc, PROTO_F_CHUNKS);
    for (uint32_t i = 0; i < L->nchunks; i++) {
        json_t *c = json_array_get(chunks, i);
        json_t *reps = json_object_get(c, PROTO_F_REPLICAS);
        if (reps) {
            if (!masterapi_strings(reps, PROTO_F_REPLICAS, PROTO_MAX_REPLICATION, &L->chunks[i].rep,
                                   &L->chunks[i].nrep, err, errlen))
                goto bad;
        } else {
            L->chunks[i].rep = calloc(1, sizeof *L->chunks[i].rep);
            if (!L->chunks[i].rep)
                goto bad;
            L->chunks[i].rep[0] = L->servers[i % L->nservers];
            L->chunks[i].nrep = 1;
        }
    }
    return true;
bad:
    client_layout_free(L);
    return false;
}

bool masterapi_locate(const char *master, const char *name, client_layout *L, char *err,
                      size_t errlen)
{
    memset(L, 0, sizeof *L);
    char fileid[FILEID_LEN + 1], url[700];
    fileid_of_name(name, fileid);
    snprintf(url, sizeof url, "%s%s?%s=%s", master, PROTO_PATH_GET, PROTO_QUERY_ID, fileid);
    json_t *doc = masterapi_call("GET", url, NULL, err, errlen);
    if (!doc)
        return false;
    long long size, chunk_size;
    if (!jsonf_int(doc, PROTO_F_FILE_SIZE, 0, INT64_MAX, &size, err, errlen) ||
        !jsonf_int(doc, PROTO_F_CHUNK_SIZE, 1, INT64_MAX, &chunk_size, err, errlen) ||
        !masterapi_layout_init(L, doc, name, (uint64_t)size, (uint64_t)chunk_size, err, errlen))
        goto bad;
    json_t *replicas = json_object_get(doc, PROTO_F_REPLICAS);
    json_t *locations = json_object_get(doc, PROTO_F_LOCATIONS);
    json_t *sums = json_object_get(doc, PROTO_F_CHECKSUMS);
    if (json_array_size(replicas) != L->nchunks && json_array_size(locations) != L->nchunks) {
        snprintf(err, errlen, "master answer lists locations for %zu chunks, the file has %u",
                 json_array_size(replicas), L->nchunks);
        goto bad;
    }
    for (uint32_t i = 0; i < L->nchunks; i++) {
        client_chunk *c = &L->chunks[i];
        if (json_array_size(replicas) == L->nchunks) {
            if (!masterapi_strings(json_array_get(replicas, i), PROTO_F_REPLICAS,
                                   PROTO_MAX_REPLICATION, &c->rep, &c->nrep, err, errlen))
                goto bad;
        } else {
            json_t *loc = json_array_get(locations, i);
            c->rep = calloc(1, sizeof *c->rep);
            if (!c->rep || !json_is_string(loc)) {
                snprintf(err, errlen, "master answer: bad location for chunk %u", i);
                goto bad;
            }
            c->rep[0] = json_string_value(loc);
            c->nrep = 1;
        }
        if (c->nrep == 0) {
            snprintf(err, errlen, "chunk %u of \"%s\" has no replica yet (chunkservers may "
                     "still be reporting after a master restart; try again)", i, name);
            goto bad;
        }
        const char *sha = json_string_value(json_array_get(sums, i));
        c->sha = sha && strlen(sha) == 64 ? sha : NULL;
    }
    return true;
bad:
    client_layout_free(L);
    return false;
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
    long wait_ms = 20, waited = 0;
    for (;;) {
        httpc_response resp;
        if (!httpc_json("POST", url, req, MASTERAPI_TIMEOUT_MS, &resp, err, errlen))
            break;
        json_t *retry = json_object_get(resp.json, PROTO_F_RETRY_MS);
        if (resp.status == 409 && json_is_integer(retry) && waited < MASTERAPI_APPEND_WAIT_MS) {
            httpc_response_free(&resp);
            long ms = wait_ms + (long)(random() % (wait_ms + 1));   /* jitter */
            struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
            nanosleep(&ts, NULL);
            waited += ms;
            if (wait_ms < 1000)
                wait_ms *= 2;
            continue;
        }
        if (resp.status != 200) {
            char m[400];
            snprintf(err, errlen, "master: %s", httpc_error_text(&resp, m, sizeof m));
            httpc_response_free(&resp);
            break;
        }
        doc = resp.json;
        break;
    }
    json_decref(req);
    if (!doc)
        return false;
    L->doc = doc;
    fileid_of_name(name, L->fileid);
    long long tok, version, chunk_size;
    json_t *fill = json_object_get(doc, PROTO_F_FILL), *chunks = json_object_get(doc, PROTO_F_CHUNKS);
    if (!jsonf_int(doc, PROTO_F_TOKEN, 1, INT64_MAX, &tok, err, errlen) ||
        !jsonf_int(doc, PROTO_F_VERSION, 1, INT64_MAX, &version, err, errlen) ||
        !jsonf_int(doc, PROTO_F_CHUNK_SIZE, 1, INT64_MAX, &chunk_size, err, errlen))
        goto bad;
    if (!json_is_array(chunks) || json_array_size(chunks) > PROTO_MAX_CHUNKS) {
        snprintf(err, errlen, "master answer: no \"chunks\", or more than a file may have");
        goto bad;
    }
    *token = (uint64_t)tok;
    L->generation = (uint64_t)version;
    L->chunk_size = (uint64_t)chunk_size;
    L->file_size = size;
    size_t n = json_array_size(chunks) + (json_is_object(fill) ? 1 : 0);
    L->chunks = calloc(n ? n : 1, sizeof *L->chunks);
    if (!L->chunks) {
        snprintf(err, errlen, "out of memory");
        goto bad;
    }
    uint64_t at = 0;   /* offset in the local input */
    if (json_is_object(fill)) {
        client_chunk *c = &L->chunks[L->nchunks++];
        long long idx, off, len;
        if (!jsonf_int(fill, PROTO_F_INDEX, 0, PROTO_MAX_CHUNKS, &idx, err, errlen) ||
            !jsonf_int(fill, PROTO_F_OFFSET, 1, chunk_size - 1, &off, err, errlen) ||
            !jsonf_int(fill, PROTO_F_LENGTH, 1, chunk_size - off, &len, err, errlen) ||
            !masterapi_strings(json_object_get(fill, PROTO_F_REPLICAS), PROTO_F_REPLICAS,
                               PROTO_MAX_REPLICATION, &c->rep, &c->nrep, err, errlen))
            goto bad;
        c->index = (uint32_t)idx;
        c->offset = 0;
        c->length = (uint64_t)len;
        c->chunk_offset = (uint64_t)off;
        c->pinned = true;
        at = (uint64_t)len;
    }
    size_t i;
    json_t *e;
    json_array_foreach(chunks, i, e) {
        client_chunk *c = &L->chunks[L->nchunks++];
        long long idx;
        if (!jsonf_int(e, PROTO_F_INDEX, 0, PROTO_MAX_CHUNKS, &idx, err, errlen) ||
            !masterapi_strings(json_object_get(e, PROTO_F_REPLICAS), PROTO_F_REPLICAS,
                               PROTO_MAX_REPLICATION, &c->rep, &c->nrep, err, errlen))
            goto bad;
        c->index = (uint32_t)idx;
        c->offset = at;
        c->length = size - at < (uint64_t)chunk_size ? size - at : (uint64_t)chunk_size;
        at += c->length;
    }
    if (at != size) {
        snprintf(err, errlen, "master answer: the append's chunks hold %llu bytes, not %llu",
                 (unsigned long long)at, (unsigned long long)size);
        goto bad;
    }
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
