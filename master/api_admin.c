/*
 * api_admin.c - users and permissions on the master's API: bearer tokens
 * made, listed and revoked by superusers (/admin/tokens), who a token
 * says its holder is (/whoami), and chmod/chown of files and directories. An open master
 * has no users, and says so; it keeps modes and owners all the same (they
 * count once it is secure). Never answers with a token except the one a
 * superuser just made, and never logs one.
 */
#include "api_impl.h"

#include <string.h>

#include "auth.h"
#include "httpd.h"
#include "jsonf.h"
#include "log.h"
#include "perm.h"
#include "protocol.h"
#include "users.h"

/* The longest a token may be made to last: ten years. */
#define MASTER_TOKEN_MAX_MS (10LL * 366 * 24 * 3600 * 1000)

static bool master_api_has_users(master *m, struct MHD_Connection *c, enum MHD_Result *ret)
{
    if (m->sec.on)
        return true;
    *ret = httpd_reply_error(c, MHD_HTTP_CONFLICT, "this master is open: it has no users or "
                             "tokens (start it with --secure)");
    return false;
}

/* An optional principal name field: absent (*out NULL) or valid. */
static bool master_api_principal(struct MHD_Connection *c, json_t *req, const char *key,
                                 const char **out, enum MHD_Result *ret)
{
    char err[256];
    *out = NULL;
    if (!json_object_get(req, key))
        return true;
    if (!jsonf_string(req, key, out, err, sizeof err)) {
        *ret = httpd_reply_error(c, MHD_HTTP_BAD_REQUEST, "%s", err);
        return false;
    }
    if (!users_name_valid(*out)) {
        *ret = httpd_reply_error(c, MHD_HTTP_BAD_REQUEST, "field \"%s\" must be 1 to %d of "
                                 "A-Z a-z 0-9 . _ - (not starting with . or -)", key,
                                 NS_PRINCIPAL_MAX);
        return false;
    }
    return true;
}

/* ---- /admin/tokens ---- */

static enum MHD_Result master_api_token_create(master *m, struct MHD_Connection *c,
                                               const ns_who *who, json_t *req)
{
    char err[256];
    enum MHD_Result ret;
    const char *name, *group;
    bool super;
    long long expires_in;
    if (!master_api_has_users(m, c, &ret))
        return ret;
    if (!json_object_get(req, PROTO_F_NAME))
        return httpd_reply_error(c, MHD_HTTP_BAD_REQUEST, "missing field \"%s\"", PROTO_F_NAME);
    if (!master_api_principal(c, req, PROTO_F_NAME, &name, &ret) ||
        !master_api_principal(c, req, PROTO_F_GROUP, &group, &ret))
        return ret;
    if (!jsonf_bool_opt(req, PROTO_F_SUPERUSER, false, &super, err, sizeof err) ||
        !jsonf_int_opt(req, PROTO_F_EXPIRES_IN_MS, 0, MASTER_TOKEN_MAX_MS, &expires_in, err,
                       sizeof err))
        return httpd_reply_error(c, MHD_HTTP_BAD_REQUEST, "%s", err);
    if (!group)
        group = name;
    int64_t now = auth_now_ms(), until = expires_in > 0 ? now + expires_in : 0;
    char token[USERS_TOKEN_LEN + 1];
    ns_status st = users_add(m->ns, name, group, super, now, until, token);
    if (st == NS_OK && !master_durable(m))
        return master_api_not_durable(m, c);
    if (st == NS_EXISTS)
        return httpd_reply_error(c, namespace_http_status(st), "user \"%s\" exists (revoke it "
                                 "first; \"%s\" is admin.token's)", name, USERS_ADMIN);
    if (st == NS_BAD_SIZE)
        return httpd_reply_error(c, MHD_HTTP_INSUFFICIENT_STORAGE, "this master has %d users, "
                                 "as many as it keeps", USERS_MAX);
    if (st != NS_OK)
        return httpd_reply_error(c, namespace_http_status(st), "cannot make a token");
    log_info("user \"%s\" (group %s%s) added by %s", name, group, super ? ", superuser" : "",
             who ? who->user : "?");
    return httpd_reply_json(c, MHD_HTTP_OK,
                            json_pack("{s:s,s:s,s:b,s:s,s:I}", PROTO_F_NAME, name, PROTO_F_GROUP,
                                      group, PROTO_F_SUPERUSER, super, PROTO_F_BEARER, token,
                                      PROTO_F_EXPIRES_MS, (json_int_t)until));
}

static void master_api_token_one(const users_info *u, void *ud)
{
    if (!strcmp(u->name, USERS_ADMIN))
        return;   /* listed first already (an HA cluster journals it too) */
    json_array_append_new(ud, json_pack("{s:s,s:s,s:b,s:I,s:I}", PROTO_F_NAME, u->name,
                                        PROTO_F_GROUP, u->group, PROTO_F_SUPERUSER, u->super,
                                        PROTO_F_CREATED_MS, (json_int_t)u->made_ms,
                                        PROTO_F_EXPIRES_MS, (json_int_t)u->until_ms));
}

static enum MHD_Result master_api_token_list(master *m, struct MHD_Connection *c,
                                             const ns_who *who)
{
    (void)who;
    enum MHD_Result ret;
    if (!master_api_has_users(m, c, &ret))
        return ret;
    json_t *list = json_array();
    json_array_append_new(list, json_pack("{s:s,s:s,s:b,s:I,s:I}", PROTO_F_NAME, USERS_ADMIN,
                                          PROTO_F_GROUP, USERS_ADMIN, PROTO_F_SUPERUSER, 1,
                                          PROTO_F_CREATED_MS, (json_int_t)0,
                                          PROTO_F_EXPIRES_MS, (json_int_t)0));
    users_each(m->ns, master_api_token_one, list);
    return httpd_reply_json(c, MHD_HTTP_OK, json_pack("{s:o}", PROTO_F_USERS, list));
}

static enum MHD_Result master_api_token_revoke(master *m, struct MHD_Connection *c,
                                               const ns_who *who)
{
    enum MHD_Result ret;
    if (!master_api_has_users(m, c, &ret))
        return ret;
    const char *name = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, PROTO_QUERY_NAME);
    if (!name || !name[0])
        return httpd_reply_error(c, MHD_HTTP_BAD_REQUEST, "missing query parameter \"name\"");
    if (!strcmp(name, USERS_ADMIN))
        return httpd_reply_error(c, MHD_HTTP_CONFLICT, "\"%s\" is admin.token's holder: replace "
                                 "that file (and restart) to change it", USERS_ADMIN);
    ns_status st = users_revoke(m->ns, name);
    if (st == NS_OK && !master_durable(m))
        return master_api_not_durable(m, c);
    if (st == NS_NOT_FOUND)
        return httpd_reply_error(c, namespace_http_status(st), "no user \"%.80s\"", name);
    if (st != NS_OK)
        return httpd_reply_error(c, namespace_http_status(st), "cannot revoke");
    log_info("user \"%s\" revoked by %s", name, who ? who->user : "?");
    return httpd_reply_json(c, MHD_HTTP_OK, json_object());
}

/* ---- /whoami ---- */

static enum MHD_Result master_api_whoami(master *m, struct MHD_Connection *c, const ns_who *who)
{
    if (!m->sec.on || !who)
        return httpd_reply_json(c, MHD_HTTP_OK, json_pack("{s:b}", PROTO_F_SECURE, 0));
    return httpd_reply_json(c, MHD_HTTP_OK,
                            json_pack("{s:b,s:s,s:s,s:b}", PROTO_F_SECURE, 1, PROTO_F_USER,
                                      who->user, PROTO_F_GROUP, who->group, PROTO_F_SUPERUSER,
                                      who->super));
}

/* ---- /chmod, /chown ---- */

static enum MHD_Result master_api_set_attr(master *m, struct MHD_Connection *c, const ns_who *who,
                                           const char *asked, const char *owner,
                                           const char *group, int mode)
{
    char name[NSPATH_MAX + 1];
    enum MHD_Result bad;
    if (!master_api_path(c, "path", asked, name, &bad))
        return bad;
    ns_status st = perm_set(m->ns, name, who, owner, group, mode);
    if (st == NS_OK && !master_durable(m))
        return master_api_not_durable(m, c);
    if (st == NS_NOT_FOUND || st == NS_FORBIDDEN)
        return master_api_refused(c, st, who, name, owner ? "give away" : "change");
    if (st == NS_BAD_SIZE)
        return httpd_reply_error(c, namespace_http_status(st), "mode %o is past what \"%.200s\" "
                                 "may have (0777 for a file, 01777 for a directory)", mode, name);
    if (st != NS_OK)
        return master_api_ns_error(c, st, who, name, "change");
    log_info("\"%.200s\": %s%s%s%s by %s", name, mode >= 0 ? "mode changed" : "",
             owner ? " owner " : "", owner ? owner : "", group ? " group changed" : "",
             who ? who->user : "an open master's client");
    return httpd_reply_json(c, MHD_HTTP_OK, json_object());
}

static enum MHD_Result master_api_chmod(master *m, struct MHD_Connection *c, const ns_who *who,
                                        json_t *req)
{
    char err[256];
    const char *name;
    long long mode;
    if (!jsonf_string(req, PROTO_F_NAME, &name, err, sizeof err) ||
        !jsonf_int(req, PROTO_F_MODE, 0, 01777, &mode, err, sizeof err))
        return httpd_reply_error(c, MHD_HTTP_BAD_REQUEST, "%s", err);
    return master_api_set_attr(m, c, who, name, NULL, NULL, (int)mode);
}

static enum MHD_Result master_api_chown(master *m, struct MHD_Connection *c, const ns_who *who,
                                        json_t *req)
{
    char err[256];
    enum MHD_Result ret;
    const char *name, *owner, *group;
    if (!jsonf_string(req, PROTO_F_NAME, &name, err, sizeof err))
        return httpd_reply_error(c, MHD_HTTP_BAD_REQUEST, "%s", err);
    if (!master_api_principal(c, req, PROTO_F_OWNER, &owner, &ret) ||
        !master_api_principal(c, req, PROTO_F_GROUP, &group, &ret))
        return ret;
    if (!owner && !group)
        return httpd_reply_error(c, MHD_HTTP_BAD_REQUEST, "give \"%s\", \"%s\" or both",
                                 PROTO_F_OWNER, PROTO_F_GROUP);
    return master_api_set_attr(m, c, who, name, owner, group, -1);
}

const master_api_route master_api_admin_routes[] = {
    { PROTO_PATH_TOKENS, "POST", MASTER_SUPER, master_api_token_create, NULL, NULL },
    { PROTO_PATH_TOKENS, "GET", MASTER_SUPER, NULL, master_api_token_list, NULL },
    { PROTO_PATH_TOKENS, "DELETE", MASTER_SUPER, NULL, master_api_token_revoke, NULL },
    { PROTO_PATH_WHOAMI, "GET", MASTER_USERS, NULL, master_api_whoami, NULL },
    { PROTO_PATH_CHMOD, "POST", MASTER_USERS, master_api_chmod, NULL, NULL },
    { PROTO_PATH_CHOWN, "POST", MASTER_USERS, master_api_chown, NULL, NULL },
};
const size_t master_api_admin_nroutes =
    sizeof master_api_admin_routes / sizeof *master_api_admin_routes;
