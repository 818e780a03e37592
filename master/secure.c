/*
 * secure.c - the master's cluster secret (see secure.h): key files,
 * signature checks, bearer tokens, capabilities. Owns the key and the
 * replay window; never writes the key anywhere but its 0600 file, and
 * never names it or a token in a log line or an answer.
 */
#include "secure.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "httpd.h"
#include "log.h"
#include "protocol.h"
#include "sha256.h"
#include "users.h"

#define SECURE_KEY_FILE "cluster.key"
#define SECURE_ADMIN_FILE "admin.token"

/* Loads dir/name, or with create makes it when it is not there. */
static bool secure_file(const char *dir, const char *name, bool create, auth_key *out,
                        bool *exists, char *err, size_t errlen)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    struct stat st;
    *exists = stat(path, &st) == 0;
    if (*exists)
        return auth_key_load(path, out, err, errlen);
    if (errno != ENOENT) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return false;
    }
    if (!create)
        return true;
    if (!auth_key_create(path, out, err, errlen))
        return false;
    log_info("created %s (mode 0600)", path);
    return true;
}

bool secure_has_admin(const secure_state *s)
{
    return s->has_admin;
}

bool secure_open(secure_state *s, const char *dir, bool want, bool make_admin, char *err,
                 size_t errlen)
{
    memset(s, 0, sizeof *s);
    bool had_key, had_admin;
    auth_key admin;
    if (!secure_file(dir, SECURE_KEY_FILE, want, &s->key, &had_key, err, errlen))
        return false;
    s->on = want || had_key;
    memset(&admin, 0, sizeof admin);
    if (s->on && !secure_file(dir, SECURE_ADMIN_FILE, make_admin, &admin, &had_admin, err, errlen))
        return false;
    s->has_admin = s->on && (had_admin || make_admin);
    if (s->has_admin) {   /* the admin token is known by its digest, like a user's */
        char hex[SHA256_HEX_LEN + 1];
        sha256_to_hex(admin.k, hex);
        bool hashed = users_token_sha(hex, s->admin_sha);
        memset(&admin, 0, sizeof admin);
        if (!hashed) {
            snprintf(err, errlen, "cannot hash %s/%s", dir, SECURE_ADMIN_FILE);
            return false;
        }
    }
    if (s->on && !(s->seen = auth_replay_new())) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    s->implied = s->on && !want;
    return true;
}

void secure_announce(const secure_state *s, const char *dir)
{
    if (s->implied)
        log_warn("%s/%s exists: running secure although --secure was not given", dir,
                 SECURE_KEY_FILE);
    if (s->on)
        log_info("secure: chunkservers must sign with %s/%s (chunkserver --key-file)", dir,
                 SECURE_KEY_FILE);
    else
        log_warn("OPEN CLUSTER: no authentication at all; anyone who reaches this master or "
                 "its chunkservers can read, change and delete everything. Start with "
                 "--secure for anything but a loopback demo.");
}

void secure_close(secure_state *s)
{
    auth_replay_free(s->seen);
    memset(s, 0, sizeof *s);
}

bool secure_check_server(secure_state *s, struct MHD_Connection *c, const char *method,
                         const char *url, const char *body, size_t len, enum MHD_Result *ret)
{
    if (!s->on)
        return true;
    char sum[SHA256_HEX_LEN + 1];
    if (!sha256_hex(body ? body : "", body ? len : 0, sum)) {
        *ret = httpd_reply_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot hash the request");
        return false;
    }
    const char *value = MHD_lookup_connection_value(c, MHD_HEADER_KIND, AUTH_HEADER);
    auth_status st = auth_verify(&s->key, s->seen, method, url, sum, value, auth_now_ms());
    if (st == AUTH_OK)
        return true;
    char peer[128] = "";
    httpd_peer_host(c, peer, sizeof peer);
    log_debug("%s %s from %s refused: %s", method, url, peer, auth_status_text(st));
    *ret = httpd_reply_error(c, auth_http_status(st), "%s %s refused: %s (this master is "
                             "secure: chunkservers need --key-file)", method, url,
                             auth_status_text(st));
    return false;
}

json_t *secure_capability(const secure_state *s, char op, const char *chunk_id)
{
    char cap[AUTH_CAP_MAX];
    if (!s->on || !auth_cap_make(&s->key, op, chunk_id, auth_now_ms() + SECURE_CAP_MS, cap))
        return NULL;
    return json_string(cap);
}

void secure_add_capability(const secure_state *s, json_t *obj, char op, const char *chunk_id)
{
    json_t *cap = secure_capability(s, op, chunk_id);
    if (cap)
        json_object_set_new(obj, PROTO_F_CAPABILITY, cap);
}

bool secure_who(const secure_state *s, ns_table *ns, struct MHD_Connection *c, ns_who *out,
                enum MHD_Result *ret)
{
    const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    const char *why = "no bearer token (give one with --token-file or MINIDFS_TOKEN; "
                      "`minidfs admin token create` makes them)";
    if (v && strncasecmp(v, SECURE_BEARER, strlen(SECURE_BEARER)) == 0) {   /* RFC 7235: any case */
        const char *token = v + strlen(SECURE_BEARER);
        while (*token == ' ')
            token++;
        uint8_t sha[SHA256_LEN];
        if (s->has_admin && users_token_sha(token, sha) &&
            memcmp(sha, s->admin_sha, sizeof sha) == 0) {
            memset(out, 0, sizeof *out);
            snprintf(out->user, sizeof out->user, "%s", USERS_ADMIN);
            snprintf(out->group, sizeof out->group, "%s", USERS_ADMIN);
            out->super = true;
            return true;
        }
        if (users_lookup(ns, token, auth_now_ms(), out))
            return true;
        why = "the bearer token is not good here (unknown, revoked or expired)";
    } else if (v) {
        why = "the Authorization header is not \"Bearer <token>\"";
    }
    *ret = httpd_reply_error(c, MHD_HTTP_UNAUTHORIZED, "%s: this master is secure", why);
    return false;
}
