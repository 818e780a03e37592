/*
 * etcd.c - etcd's v3 API through its JSON gateway: every call one POST of
 * a JSON document to /v3/..., its answer decoded with jansson, keys and
 * values through OpenSSL's base64, 64-bit numbers read from the strings
 * the gateway writes (and an absent field read as the zero proto3 leaves
 * out). Owns the endpoint list and which endpoint answered last; the
 * connections are httpc's (one per calling thread). Must never trust an
 * answer's shape: every field is checked before it is used, and a value
 * that does not decode fails the call.
 */
#include "etcd.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "httpc.h"

#define ETCD_URL_MAX 256

struct etcd {
    char url[ETCD_MAX_ENDPOINTS][ETCD_URL_MAX];
    unsigned n;
    _Atomic unsigned current;   /* the endpoint that answered last */
    long timeout_ms;
};

etcd *etcd_new(const char *endpoints, long timeout_ms, char *err, size_t errlen)
{
    etcd *e = calloc(1, sizeof *e);
    if (!e) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    e->timeout_ms = timeout_ms > 0 ? timeout_ms : 5000;
    const char *p = endpoints ? endpoints : "";
    while (*p) {
        size_t len = strcspn(p, ",");
        size_t trim = len;
        while (trim > 0 && p[trim - 1] == '/')
            trim--;   /* the paths are appended with their own '/' */
        bool http = trim > 7 && strncmp(p, "http://", 7) == 0;
        bool https = trim > 8 && strncmp(p, "https://", 8) == 0;
        if ((!http && !https) || trim >= ETCD_URL_MAX || e->n == ETCD_MAX_ENDPOINTS) {
            snprintf(err, errlen, "etcd endpoint \"%.*s\": %s", (int)(len > 200 ? 200 : len), p,
                     e->n == ETCD_MAX_ENDPOINTS ? "too many endpoints (8 at most)"
                                                : "not an http:// or https:// URL");
            free(e);
            return NULL;
        }
        memcpy(e->url[e->n], p, trim);
        e->url[e->n++][trim] = '\0';
        p += len + (p[len] == ',');
    }
    if (e->n == 0) {
        snprintf(err, errlen, "no etcd endpoint given");
        free(e);
        return NULL;
    }
    return e;
}

void etcd_free(etcd *e)
{
    free(e);
}

void etcd_kvs_free(etcd_kv *kvs, size_t n)
{
    for (size_t i = 0; kvs && i < n; i++) {
        free(kvs[i].key);
        free(kvs[i].value);
    }
    free(kvs);
}

/* ---- encoding ---- */

/* len bytes of p as a base64 JSON string; NULL when memory runs out. */
static json_t *etcd_b64(const char *p, size_t len)
{
    if (len > (size_t)INT32_MAX / 2)
        return NULL;
    size_t cap = 4 * ((len + 2) / 3) + 1;
    unsigned char *out = malloc(cap);
    if (!out)
        return NULL;
    int n = EVP_EncodeBlock(out, (const unsigned char *)p, (int)len);
    json_t *s = n >= 0 ? json_stringn((const char *)out, (size_t)n) : NULL;
    free(out);
    return s;
}

/* A base64 JSON string decoded into a NUL-terminated copy; an absent one
 * is empty. False when it is not base64 or memory runs out. */
static bool etcd_unb64(json_t *v, char **out, size_t *outlen)
{
    *out = NULL;
    *outlen = 0;
    const char *s = v ? json_string_value(v) : "";
    if (!s)
        return false;
    size_t len = v ? json_string_length(v) : 0;
    if (len % 4 != 0 || len > (size_t)INT32_MAX)
        return false;
    unsigned char *buf = malloc(len / 4 * 3 + 1);
    if (!buf)
        return false;
    int n = len ? EVP_DecodeBlock(buf, (const unsigned char *)s, (int)len) : 0;
    if (n < 0) {
        free(buf);
        return false;
    }
    /* EVP_DecodeBlock counts the padding as bytes of zeros. */
    size_t pad = (len >= 1 && s[len - 1] == '=') + (len >= 2 && s[len - 2] == '=');
    *outlen = (size_t)n - pad;
    buf[*outlen] = '\0';
    *out = (char *)buf;
    return true;
}

/* A 64-bit number as the gateway writes it (a string; an integer taken
 * too); absent: 0. False when it is something else. */
static bool etcd_int(json_t *v, int64_t *out)
{
    *out = 0;
    if (!v)
        return true;
    if (json_is_integer(v)) {
        *out = json_integer_value(v);
        return true;
    }
    const char *s = json_string_value(v);
    if (!s || !*s)
        return false;
    char *end;
    long long x = strtoll(s, &end, 10);
    if (*end)
        return false;
    *out = x;
    return true;
}

/* A number for a request: as a string, as the gateway writes its own. */
static json_t *etcd_num(int64_t x)
{
    char buf[24];
    snprintf(buf, sizeof buf, "%lld", (long long)x);
    return json_string(buf);
}

/* The end of the range of keys that begin with key: key with its last
 * byte below 0xff incremented and what follows it dropped; "\0" (every
 * key from key on) when there is none. */
static json_t *etcd_prefix_end(const char *key, size_t keylen)
{
    size_t n = keylen;
    while (n > 0 && (unsigned char)key[n - 1] == 0xff)
        n--;
    if (n == 0)
        return etcd_b64("", 1);
    char end[ETCD_MAX_KEY];
    memcpy(end, key, n);
    end[n - 1] = (char)((unsigned char)end[n - 1] + 1);
    return etcd_b64(end, n);
}

/* Sets o's "key" (and, with prefix, "range_end"); false when the key is
 * too long or memory runs out. */
static bool etcd_set_key(json_t *o, const char *key, size_t keylen, bool prefix)
{
    if (keylen == 0 || keylen > ETCD_MAX_KEY)
        return false;
    return json_object_set_new(o, "key", etcd_b64(key, keylen)) == 0 &&
           (!prefix || json_object_set_new(o, "range_end", etcd_prefix_end(key, keylen)) == 0);
}

/* ---- calls ---- */

/* POSTs body (taken) to path on the endpoint that answered last, then on
 * the others in turn while none answers; *answer: the decoded 200 answer
 * (the caller's). */
static bool etcd_call(etcd *e, const char *path, json_t *body, json_t **answer, char *err,
                      size_t errlen)
{
    *answer = NULL;
    if (!body) {
        snprintf(err, errlen, "etcd %s: a key too long or out of memory", path);
        return false;
    }
    unsigned first = atomic_load(&e->current) % e->n;
    bool ok = false;
    for (unsigned k = 0; k < e->n && !ok; k++) {
        unsigned i = (first + k) % e->n;
        char url[ETCD_URL_MAX + 64];
        snprintf(url, sizeof url, "%s%s", e->url[i], path);
        httpc_response resp;
        char why[512];
        if (!httpc_json("POST", url, body, e->timeout_ms, &resp, why, sizeof why)) {
            snprintf(err, errlen, "etcd %s: %s", e->url[i], why);
            continue;   /* no answer: another member may give one */
        }
        atomic_store(&e->current, i);
        if (resp.status == 200 && json_is_object(resp.json)) {
            *answer = resp.json;
            resp.json = NULL;
            ok = true;
        } else {
            /* The gateway's errors: {"error": ..., "code": ..., "message": ...}. */
            const char *msg = json_string_value(json_object_get(resp.json, "message"));
            char buf[256];
            snprintf(err, errlen, "etcd %s%s: %s", e->url[i], path,
                     msg ? msg : httpc_error_text(&resp, buf, sizeof buf));
            httpc_response_free(&resp);
            break;   /* an answer, if a refusal: asking another changes nothing */
        }
        httpc_response_free(&resp);
    }
    json_decref(body);
    return ok;
}

static bool etcd_header_revision(json_t *answer, int64_t *revision);

bool etcd_compact_history(etcd *e, char *err, size_t errlen)
{
    json_t *a;
    int64_t rev;
    json_t *body = json_object();
    if (body)
        json_object_set_new(body, "key", etcd_b64("/", 1));
    if (!etcd_call(e, "/v3/kv/range", body, &a, err, errlen))
        return false;
    bool ok = etcd_header_revision(a, &rev);
    json_decref(a);
    if (!ok) {
        snprintf(err, errlen, "etcd answered no revision");
        return false;
    }
    body = json_object();
    if (body)
        json_object_set_new(body, "revision", etcd_num(rev));
    if (!etcd_call(e, "/v3/kv/compaction", body, &a, err, errlen)) {
        /* compacted already at or past rev (another master did): not a failure */
        return strstr(err, "compacted") != NULL;
    }
    json_decref(a);
    return true;
}

bool etcd_members(etcd *e, char *out, size_t outlen, char *err, size_t errlen)
{
    json_t *a;
    out[0] = '\0';
    if (!etcd_call(e, "/v3/cluster/member/list", json_object(), &a, err, errlen))
        return false;
    size_t used = 0, i;
    json_t *m;
    json_array_foreach(json_object_get(a, "members"), i, m) {
        const char *name = json_string_value(json_object_get(m, "name"));
        const char *url = json_string_value(json_array_get(json_object_get(m, "clientURLs"), 0));
        int w = snprintf(out + used, outlen - used, "%s%.64s=%.200s", used ? "," : "",
                         name && *name ? name : "(starting)", url ? url : "?");
        if (w < 0 || (size_t)w >= outlen - used)
            break;   /* a list longer than out: the rest left off */
        used += (size_t)w;
    }
    json_decref(a);
    return true;
}

/* The answer's header revision into *revision (may be NULL). */
static bool etcd_header_revision(json_t *answer, int64_t *revision)
{
    int64_t r;
    if (!etcd_int(json_object_get(json_object_get(answer, "header"), "revision"), &r))
        return false;
    if (revision)
        *revision = r;
    return true;
}

bool etcd_lease_grant(etcd *e, int64_t ttl_s, int64_t *id, int64_t *ttl, char *err,
                      size_t errlen)
{
    json_t *a;
    if (!etcd_call(e, "/v3/lease/grant", json_pack("{s:o}", "TTL", etcd_num(ttl_s)), &a, err,
                   errlen))
        return false;
    bool ok = etcd_int(json_object_get(a, "ID"), id) && etcd_int(json_object_get(a, "TTL"), ttl) &&
              *id != 0;
    json_decref(a);
    if (!ok)
        snprintf(err, errlen, "etcd: a lease grant's answer without a lease");
    return ok;
}

bool etcd_lease_keepalive(etcd *e, int64_t id, int64_t *ttl, char *err, size_t errlen)
{
    json_t *a;
    if (!etcd_call(e, "/v3/lease/keepalive", json_pack("{s:o}", "ID", etcd_num(id)), &a, err,
                   errlen))
        return false;
    /* A stream's one message, {"result": {...}}; TTL absent (0): expired. */
    json_t *r = json_object_get(a, "result");
    bool ok = json_is_object(r) && etcd_int(json_object_get(r, "TTL"), ttl);
    json_decref(a);
    if (!ok)
        snprintf(err, errlen, "etcd: a keepalive's answer without its result");
    return ok;
}

bool etcd_lease_revoke(etcd *e, int64_t id, char *err, size_t errlen)
{
    json_t *a;
    if (!etcd_call(e, "/v3/lease/revoke", json_pack("{s:o}", "ID", etcd_num(id)), &a, err,
                   errlen))
        return strstr(err, "lease not found") != NULL;   /* gone already */
    json_decref(a);
    return true;
}

/* kvs (a JSON array, or absent) into *out, *n. */
static bool etcd_kvs_parse(json_t *kvs, etcd_kv **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (!kvs)
        return true;
    if (!json_is_array(kvs))
        return false;
    size_t m = json_array_size(kvs);
    etcd_kv *v = calloc(m ? m : 1, sizeof *v);
    if (!v)
        return false;
    for (size_t i = 0; i < m; i++) {
        json_t *o = json_array_get(kvs, i);
        if (!json_is_object(o) || !etcd_unb64(json_object_get(o, "key"), &v[i].key, &v[i].keylen) ||
            !etcd_unb64(json_object_get(o, "value"), &v[i].value, &v[i].valuelen) ||
            !etcd_int(json_object_get(o, "create_revision"), &v[i].create_revision) ||
            !etcd_int(json_object_get(o, "mod_revision"), &v[i].mod_revision) ||
            !etcd_int(json_object_get(o, "version"), &v[i].version) ||
            !etcd_int(json_object_get(o, "lease"), &v[i].lease)) {
            etcd_kvs_free(v, i + 1);
            return false;
        }
    }
    *out = v;
    *n = m;
    return true;
}

/* A range's request and answer; end: NULL, or the range's end (set in
 * body already when prefix). */
static bool etcd_range_body(etcd *e, json_t *body, int64_t limit, int64_t rev, etcd_kv **kvs,
                            size_t *n, bool *more, int64_t *revision, char *err, size_t errlen)
{
    *kvs = NULL;
    *n = 0;
    *more = false;
    if (body && ((limit > 0 && json_object_set_new(body, "limit", etcd_num(limit)) != 0) ||
                 (rev > 0 && json_object_set_new(body, "revision", etcd_num(rev)) != 0))) {
        json_decref(body);
        body = NULL;
    }
    json_t *a;
    if (!etcd_call(e, "/v3/kv/range", body, &a, err, errlen))
        return false;
    bool ok = etcd_header_revision(a, revision) &&
              etcd_kvs_parse(json_object_get(a, "kvs"), kvs, n);
    *more = json_is_true(json_object_get(a, "more"));
    json_decref(a);
    if (!ok)
        snprintf(err, errlen, "etcd: a range's answer is not one");
    return ok;
}

/* A body with "key" and "range_end" from..end; NULL when either is too
 * long or empty, or memory runs out. */
static json_t *etcd_between_body(const char *key, size_t keylen, const char *end, size_t endlen)
{
    json_t *body = json_object();
    if (body && (!etcd_set_key(body, key, keylen, false) || endlen == 0 || endlen > ETCD_MAX_KEY ||
                 json_object_set_new(body, "range_end", etcd_b64(end, endlen)) != 0)) {
        json_decref(body);
        body = NULL;
    }
    return body;
}

bool etcd_range(etcd *e, const char *key, size_t keylen, bool prefix, int64_t limit,
                int64_t rev, etcd_kv **kvs, size_t *n, bool *more, int64_t *revision,
                char *err, size_t errlen)
{
    json_t *body = json_object();
    if (body && !etcd_set_key(body, key, keylen, prefix)) {
        json_decref(body);
        body = NULL;
    }
    return etcd_range_body(e, body, limit, rev, kvs, n, more, revision, err, errlen);
}

bool etcd_range_between(etcd *e, const char *key, size_t keylen, const char *end, size_t endlen,
                        int64_t limit, int64_t rev, etcd_kv **kvs, size_t *n, bool *more,
                        int64_t *revision, char *err, size_t errlen)
{
    return etcd_range_body(e, etcd_between_body(key, keylen, end, endlen), limit, rev, kvs, n,
                           more, revision, err, errlen);
}

/* A put or delete request's body. */
static json_t *etcd_op_body(const etcd_op *op)
{
    json_t *o = json_object();
    size_t vlen = op->value ? op->valuelen : 0;
    if (!o || !etcd_set_key(o, op->key, op->keylen, op->del && op->prefix) ||
        (!op->del &&
         json_object_set_new(o, "value", etcd_b64(op->value ? op->value : "", vlen)) != 0) ||
        (!op->del && op->lease && json_object_set_new(o, "lease", etcd_num(op->lease)) != 0)) {
        json_decref(o);
        return NULL;
    }
    return o;
}

bool etcd_put(etcd *e, const char *key, size_t keylen, const char *value, size_t valuelen,
              int64_t lease, int64_t *revision, char *err, size_t errlen)
{
    etcd_op op = { .key = key, .keylen = keylen, .value = value, .valuelen = valuelen,
                   .lease = lease };
    json_t *a;
    if (!etcd_call(e, "/v3/kv/put", etcd_op_body(&op), &a, err, errlen))
        return false;
    bool ok = etcd_header_revision(a, revision);
    json_decref(a);
    if (!ok)
        snprintf(err, errlen, "etcd: a put's answer is not one");
    return ok;
}

/* A delete's request and answer. */
static bool etcd_delete_body(etcd *e, json_t *body, int64_t *deleted, char *err, size_t errlen)
{
    json_t *a;
    if (!etcd_call(e, "/v3/kv/deleterange", body, &a, err, errlen))
        return false;
    int64_t d;
    bool ok = etcd_int(json_object_get(a, "deleted"), &d);
    json_decref(a);
    if (deleted)
        *deleted = d;
    if (!ok)
        snprintf(err, errlen, "etcd: a delete's answer is not one");
    return ok;
}

bool etcd_delete(etcd *e, const char *key, size_t keylen, bool prefix, int64_t *deleted,
                 char *err, size_t errlen)
{
    etcd_op op = { .del = true, .key = key, .keylen = keylen, .prefix = prefix };
    return etcd_delete_body(e, etcd_op_body(&op), deleted, err, errlen);
}

bool etcd_delete_between(etcd *e, const char *key, size_t keylen, const char *end, size_t endlen,
                         int64_t *deleted, char *err, size_t errlen)
{
    return etcd_delete_body(e, etcd_between_body(key, keylen, end, endlen), deleted, err, errlen);
}

static const char *const etcd_targets[] = { "CREATE", "MOD", "VERSION", "LEASE", "VALUE" };
static const char *const etcd_target_fields[] = { "create_revision", "mod_revision", "version",
                                                  "lease", "value" };
static const char *const etcd_relations[] = { "EQUAL", "NOT_EQUAL", "LESS", "GREATER" };

static json_t *etcd_compare_body(const etcd_compare *c)
{
    if ((unsigned)c->target > ETCD_VALUE || (unsigned)c->relation > ETCD_GREATER)
        return NULL;
    json_t *o = json_pack("{s:s,s:s}", "target", etcd_targets[c->target], "result",
                          etcd_relations[c->relation]);
    json_t *x = c->target == ETCD_VALUE ? etcd_b64(c->value ? c->value : "",
                                                   c->value ? c->valuelen : 0)
                                        : etcd_num(c->number);
    if (!o || !etcd_set_key(o, c->key, c->keylen, false) ||
        json_object_set_new(o, etcd_target_fields[c->target], x) != 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* ops as a transaction's list of requests; NULL when one cannot be made. */
static json_t *etcd_ops_body(const etcd_op *ops, size_t n)
{
    json_t *list = json_array();
    for (size_t i = 0; list && i < n; i++) {
        json_t *req = etcd_op_body(&ops[i]);
        json_t *wrapped = req ? json_pack("{s:o}", ops[i].del ? "request_delete_range"
                                                              : "request_put", req)
                              : NULL;
        if (!wrapped || json_array_append_new(list, wrapped) != 0) {
            json_decref(list);
            list = NULL;
        }
    }
    return list;
}

bool etcd_txn(etcd *e, const etcd_compare *cmp, size_t ncmp, const etcd_op *then, size_t nthen,
              const etcd_op *otherwise, size_t notherwise, bool *succeeded, int64_t *revision,
              char *err, size_t errlen)
{
    *succeeded = false;
    if (ncmp > ETCD_MAX_TXN || nthen > ETCD_MAX_TXN || notherwise > ETCD_MAX_TXN) {
        snprintf(err, errlen, "etcd: a transaction of more than %d comparisons or operations",
                 ETCD_MAX_TXN);
        return false;
    }
    json_t *compares = json_array();
    for (size_t i = 0; compares && i < ncmp; i++) {
        json_t *c = etcd_compare_body(&cmp[i]);
        if (!c || json_array_append_new(compares, c) != 0) {
            json_decref(compares);
            compares = NULL;
        }
    }
    json_t *success = etcd_ops_body(then, nthen), *failure = etcd_ops_body(otherwise, notherwise);
    json_t *a, *body = NULL;
    if (compares && success && failure) {   /* json_pack takes them, made or not */
        body = json_pack("{s:o,s:o,s:o}", "compare", compares, "success", success, "failure",
                         failure);
    } else {
        json_decref(compares);
        json_decref(success);
        json_decref(failure);
    }
    if (!etcd_call(e, "/v3/kv/txn", body, &a, err, errlen))
        return false;
    bool ok = etcd_header_revision(a, revision);
    json_t *s = json_object_get(a, "succeeded");
    ok = ok && (!s || json_is_boolean(s));
    *succeeded = json_is_true(s);
    json_decref(a);
    if (!ok)
        snprintf(err, errlen, "etcd: a transaction's answer is not one");
    return ok;
}
