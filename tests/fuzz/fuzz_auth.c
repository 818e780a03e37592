/*
 * fuzz_auth.c - libFuzzer target: the readers of headers a hostile peer
 * writes: the request authenticator, capabilities, a user's bearer token,
 * and the chunk request parser. auth_verify and auth_cap_check must accept
 * nothing but what auth_sign and auth_cap_make made under the key, and
 * users_lookup nothing but the token users_add printed; chunkreq_parse
 * must never hand back a request it would not build again the same way,
 * nor a chain that names a hop twice.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "chunkreq.h"
#include "fuzzin.h"
#include "namespace.h"
#include "users.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOW 1800000000000LL

typedef struct {
    const char *v[5];
} fuzz_wire;

static const char *fuzz_get(void *ud, bool query, const char *name)
{
    fuzz_wire *w = ud;
    if (query)
        return !strcmp(name, PROTO_QUERY_OFFSET) ? w->v[4] : NULL;
    if (!strcmp(name, "Content-Length"))
        return w->v[0];
    if (!strcmp(name, PROTO_HDR_SHA256))
        return w->v[1];
    if (!strcmp(name, PROTO_HDR_CHUNK_VERSION))
        return w->v[2];
    return !strcmp(name, PROTO_HDR_CHAIN) ? w->v[3] : NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzzin_cstring(data, size);
    if (!s)
        return 0;
    static const auth_key k = { .k = { 0x5a, 0x17 } };
    static const char *body = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    /* An arbitrary value never passes: only a MAC under the key does. */
    if (auth_verify(&k, NULL, "POST", "/chunkserver", body, s, NOW) == AUTH_OK)
        abort();
    if (auth_cap_check(&k, AUTH_CAP_READ, "0e5523056ab6dbb2a3bfa672b305d76b003954fa5a1bcc8de29528c2"
                       "ad79b2ed_0", s, NOW) == AUTH_OK)
        abort();   /* nor a capability */
    static ns_table *ns;
    static char token[USERS_TOKEN_LEN + 1];
    if (!ns && (!(ns = namespace_new()) ||
                users_add(ns, "alice", "staff", true, NOW, 0, token) != NS_OK))
        abort();
    ns_who who;
    if (users_lookup(ns, s, NOW, &who) && strcmp(s, token) != 0)
        abort();   /* nor a bearer token */
    /* The pieces of the input as the headers of a chunk PUT. */
    fuzz_wire w = { { NULL } };
    char *p = s;
    for (int i = 0; i < 5 && p; i++) {
        char *nl = strchr(p, '\n');
        if (nl)
            *nl = '\0';
        w.v[i] = p[0] == '-' && p[1] == '\0' ? NULL : p;
        p = nl ? nl + 1 : NULL;
    }
    chunkreq r;
    uint64_t declared;
    char err[300];
    const char *id = "0e5523056ab6dbb2a3bfa672b305d76b003954fa5a1bcc8de29528c2ad79b2ed_3";
    if (chunkreq_parse(&r, id, fuzz_get, &w, 1 << 20, &declared, err, sizeof err) ==
        CHUNKREQ_OK) {
        if (r.length == 0 || r.length > (1 << 20) || r.nchain > CHUNKREQ_MAX_CHAIN)
            abort();
        if (r.append && r.offset + r.length > (1 << 20))
            abort();   /* past the chunk's end */
        for (size_t a = 0; a < r.nchain; a++)
            for (size_t b = a + 1; b < r.nchain; b++)
                if (!strcmp(r.chain[a], r.chain[b]))
                    abort();   /* a hop twice: a loop */
        struct curl_slist *h = NULL;
        char url[512];
        if (!chunkreq_url(&r, "127.0.0.1:1/", url, sizeof url) || !chunkreq_headers(&r, &h))
            abort();
        curl_slist_free_all(h);
    }
    free(s);
    return 0;
}
