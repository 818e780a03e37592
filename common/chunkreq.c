/*
 * chunkreq.c - the chunk PUT as a value, to and from the wire (see
 * chunkreq.h for what it carries). Must never contact anything: it builds
 * and reads text, and every length and count it reads is bounded first.
 */
#include "chunkreq.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"

unsigned chunkreq_http_status(chunkreq_status st)
{
    static const unsigned http[] = {
        [CHUNKREQ_OK] = 200,
        [CHUNKREQ_BAD] = 400,
        [CHUNKREQ_NO_LENGTH] = 411,
        [CHUNKREQ_TOO_LARGE] = 413,
    };
    return (unsigned)st < sizeof http / sizeof *http ? http[st] : 500;
}

bool chunkreq_url(const chunkreq *r, const char *server, char *url, size_t urllen)
{
    char path[CHUNKID_BUF + 64];
    int n = r->append ? snprintf(path, sizeof path, PROTO_PATH_CHUNKS "%s?" PROTO_QUERY_OFFSET
                                 "=%" PRIu64, r->id, r->offset)
                      : snprintf(path, sizeof path, PROTO_PATH_CHUNKS "%s", r->id);
    return n > 0 && (size_t)n < sizeof path && addr_server_url(server, path, url, urllen);
}

static bool chunkreq_add(struct curl_slist **headers, const char *line)
{
    struct curl_slist *grown = curl_slist_append(*headers, line);
    if (!grown)
        return false;
    *headers = grown;
    return true;
}

bool chunkreq_headers(const chunkreq *r, struct curl_slist **headers)
{
    char line[PROTO_MAX_SERVER_ADDR * CHUNKREQ_MAX_CHAIN + 64];
    if (r->version) {
        snprintf(line, sizeof line, PROTO_HDR_CHUNK_VERSION ": %" PRIu64, r->version);
        if (!chunkreq_add(headers, line))
            return false;
    }
    if (r->sum != CHUNKREQ_SUM_NONE) {
        snprintf(line, sizeof line, PROTO_HDR_SHA256 ": %s",
                 r->sum == CHUNKREQ_SUM_TRAILING ? PROTO_SHA256_TRAILING : r->sha);
        if (!chunkreq_add(headers, line))
            return false;
    }
    if (r->capability[0]) {
        snprintf(line, sizeof line, PROTO_HDR_CAPABILITY ": %s", r->capability);
        if (!chunkreq_add(headers, line))
            return false;
    }
    if (r->nchain == 0)
        return true;
    int n = snprintf(line, sizeof line, PROTO_HDR_CHAIN ": ");
    for (size_t k = 0; k < r->nchain && k < CHUNKREQ_MAX_CHAIN; k++)
        n += snprintf(line + n, sizeof line - (size_t)n, "%s%s", k ? "," : "", r->chain[k]);
    return chunkreq_add(headers, line);
}

uint64_t chunkreq_body_length(const chunkreq *r)
{
    return r->length + (r->sum == CHUNKREQ_SUM_TRAILING ? SHA256_HEX_LEN : 0);
}

void chunkreq_curl_put(CURL *h, const chunkreq *r, struct curl_slist *headers,
                       curl_read_callback rd, void *ud, long buffer)
{
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)chunkreq_body_length(r));
    curl_easy_setopt(h, CURLOPT_READFUNCTION, rd);
    curl_easy_setopt(h, CURLOPT_READDATA, ud);
    curl_easy_setopt(h, CURLOPT_UPLOAD_BUFFERSIZE, buffer);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
}

/* A decimal number of digits only (no sign, no space, no overflow). */
static bool chunkreq_number(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    if (!s || !*s)
        return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
            return false;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    *out = v;
    return true;
}

bool chunkreq_parse_uint(const char *s, uint64_t *out)
{
    return chunkreq_number(s, out);
}

/* "a:1/,b:2/" into r->chain, each hop canonical and named once. */
static chunkreq_status chunkreq_parse_chain(chunkreq *r, const char *chain, char *err,
                                           size_t errlen)
{
    const char *p = chain;
    while (*p == ' ')
        p++;
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t l = comma ? (size_t)(comma - p) : strlen(p);
        char one[PROTO_MAX_SERVER_ADDR], why[200];
        if (r->nchain == CHUNKREQ_MAX_CHAIN || l == 0 || l >= sizeof one) {
            snprintf(err, errlen, "bad " PROTO_HDR_CHAIN " header");
            return CHUNKREQ_BAD;
        }
        memcpy(one, p, l);
        one[l] = '\0';
        if (!addr_canon_server(one, NULL, r->chain[r->nchain], sizeof r->chain[0], why,
                               sizeof why)) {
            snprintf(err, errlen, PROTO_HDR_CHAIN ": %s", why);
            return CHUNKREQ_BAD;
        }
        /* A hop named twice would get the chunk twice: a loop, or a way to
         * make one upload cost a server many. */
        for (size_t k = 0; k < r->nchain; k++)
            if (strcmp(r->chain[k], r->chain[r->nchain]) == 0) {
                snprintf(err, errlen, PROTO_HDR_CHAIN " names %s twice", r->chain[k]);
                return CHUNKREQ_BAD;
            }
        r->nchain++;
        p += l + (comma ? 1 : 0);
    }
    return CHUNKREQ_OK;
}

chunkreq_status chunkreq_parse(chunkreq *r, const char *id, chunkreq_lookup get, void *ud,
                               uint64_t limit, uint64_t *declared, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    const char *cl = get(ud, false, "Content-Length");
    const char *sha = get(ud, false, PROTO_HDR_SHA256);
    const char *ver = get(ud, false, PROTO_HDR_CHUNK_VERSION);
    const char *off = get(ud, true, PROTO_QUERY_OFFSET);
    const char *chain = get(ud, false, PROTO_HDR_CHAIN);
    const char *cap = get(ud, false, PROTO_HDR_CAPABILITY);
    uint64_t len = 0;
    bool len_ok = chunkreq_number(cl, &len);
    *declared = len_ok ? len : 0;
    if (!chunkid_parse(id, NULL, NULL)) {
        snprintf(err, errlen, "invalid chunk identifier \"%.80s\"", id);
        return CHUNKREQ_BAD;
    }
    snprintf(r->id, sizeof r->id, "%s", id);
    if (cap && (strlen(cap) >= sizeof r->capability || !*cap)) {
        snprintf(err, errlen, PROTO_HDR_CAPABILITY " is not a capability");
        return CHUNKREQ_BAD;
    }
    snprintf(r->capability, sizeof r->capability, "%s", cap ? cap : "");
    if (!cl) {
        snprintf(err, errlen, "a chunk upload needs a Content-Length");
        return CHUNKREQ_NO_LENGTH;
    }
    if (ver && !chunkreq_parse_uint(ver, &r->version)) {
        snprintf(err, errlen, PROTO_HDR_CHUNK_VERSION " must be a decimal number");
        return CHUNKREQ_BAD;
    }
    unsigned char md[SHA256_LEN];
    if (sha && strcmp(sha, PROTO_SHA256_TRAILING) == 0) {
        r->sum = CHUNKREQ_SUM_TRAILING;
    } else if (sha && sha256_from_hex(sha, md)) {
        r->sum = CHUNKREQ_SUM_HEADER;
        snprintf(r->sha, sizeof r->sha, "%s", sha);
    } else if (sha) {
        snprintf(err, errlen, PROTO_HDR_SHA256 " must be 64 lowercase hex digits or \""
                 PROTO_SHA256_TRAILING "\"");
        return CHUNKREQ_BAD;
    }
    if (r->sum == CHUNKREQ_SUM_TRAILING && len_ok) {
        if (len <= SHA256_HEX_LEN) {
            snprintf(err, errlen, "a body with a trailing checksum holds at least 1 + 64 bytes");
            return CHUNKREQ_BAD;
        }
        len -= SHA256_HEX_LEN;
    }
    if (off) {
        r->append = true;
        if (!chunkreq_number(off, &r->offset) || r->version == 0 || !sha) {
            snprintf(err, errlen, "an append (?offset=N) needs a number, a version ("
                     PROTO_HDR_CHUNK_VERSION ") and a checksum (" PROTO_HDR_SHA256 ")");
            return CHUNKREQ_BAD;
        }
        if (r->offset >= limit) {
            snprintf(err, errlen, "offset %" PRIu64 " is not inside a chunk of %" PRIu64 " bytes",
                     r->offset, limit);
            return CHUNKREQ_TOO_LARGE;
        }
        limit -= r->offset;
    }
    if (!len_ok || len > limit) {
        snprintf(err, errlen, "chunk of %.30s bytes is larger than the chunk size (%" PRIu64 ")",
                 cl, limit);
        return CHUNKREQ_TOO_LARGE;
    }
    if (len == 0) {
        snprintf(err, errlen, "a chunk cannot be empty");
        return CHUNKREQ_BAD;
    }
    r->length = len;
    return chain ? chunkreq_parse_chain(r, chain, err, errlen) : CHUNKREQ_OK;
}
