/*
 * admin_main.c - `minidfs admin`: a secure master's users, and an HA
 * cluster's masters, from a shell.
 *   minidfs admin token create NAME [--superuser] [--group G] [--expires-in S]
 *   minidfs admin token list
 *   minidfs admin token revoke NAME
 *   minidfs admin whoami
 *   minidfs admin ha-status
 * Prints a new token once, on stdout, and nothing else that is secret;
 * one line on stderr and exit 1 when the master refuses, 2 on a usage
 * error. Words and flags may come in any order (client_split_args).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "addr.h"
#include "client.h"
#include "connect.h"
#include "escape.h"
#include "flags.h"
#include "httpc.h"
#include "log.h"
#include "masterapi.h"
#include "protocol.h"
#include "sha256.h"
#include "token.h"

static const char admin_usage[] =
    "usage: minidfs admin COMMAND [flags]\n\n"
    "Commands (each needs a superuser's token, but whoami):\n"
    "  token create NAME  make user NAME and print its token (shown only once)\n"
    "  token list         list the users\n"
    "  token revoke NAME  the user's token stops working at once\n"
    "  whoami             who the token says you are\n"
    "  ha-status          each master of --master's list: its role, term, place in the\n"
    "                     replicated log and lag; and etcd's members\n\n"
    "The first superuser's token is admin.token in the master's --meta-dir.";

/* "2026-12-03T04:05:06Z" for wall-clock ms; "never" for 0. */
static void admin_time(json_int_t ms, char out[32])
{
    if (ms <= 0) {
        snprintf(out, 32, "never");
        return;
    }
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static const char *admin_str(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "?";
}

static bool admin_create(const char *base, const char *name, const char *group, bool super,
                         long long expires_s, char *err, size_t errlen)
{
    char url[600];
    snprintf(url, sizeof url, "%s%s", base, PROTO_PATH_TOKENS);
    json_t *body = json_pack("{s:s,s:b}", PROTO_F_NAME, name, PROTO_F_SUPERUSER, super);
    if (body && group)
        json_object_set_new(body, PROTO_F_GROUP, json_string(group));
    if (body && expires_s > 0)
        json_object_set_new(body, PROTO_F_EXPIRES_IN_MS, json_integer(expires_s * 1000));
    json_t *doc = body ? masterapi_call("POST", url, body, err, errlen) : NULL;
    json_decref(body);
    const char *token = json_string_value(json_object_get(doc, PROTO_F_BEARER));
    unsigned char raw[SHA256_LEN];
    bool ok = token && strlen(token) == TOKEN_LEN && sha256_from_hex(token, raw);
    if (doc && !ok)
        snprintf(err, errlen, "the master's answer holds no token");
    if (ok)
        printf("%s\n", token);
    json_decref(doc);
    return ok && fflush(stdout) == 0;
}

static bool admin_list(const char *base, char *err, size_t errlen)
{
    char url[600];
    snprintf(url, sizeof url, "%s%s", base, PROTO_PATH_TOKENS);
    json_t *doc = masterapi_call("GET", url, NULL, err, errlen);
    if (!doc)
        return false;
    json_t *users = json_object_get(doc, PROTO_F_USERS), *u;
    size_t i;
    printf("%-24s %-24s %-9s %-20s %s\n", "NAME", "GROUP", "SUPERUSER", "CREATED", "EXPIRES");
    json_array_foreach(users, i, u) {
        char name[200], group[200], made[32], until[32];
        escape_text(admin_str(u, PROTO_F_NAME), name, sizeof name);
        escape_text(admin_str(u, PROTO_F_GROUP), group, sizeof group);
        admin_time(json_integer_value(json_object_get(u, PROTO_F_CREATED_MS)), made);
        admin_time(json_integer_value(json_object_get(u, PROTO_F_EXPIRES_MS)), until);
        printf("%-24s %-24s %-9s %-20s %s\n", name, group,
               json_is_true(json_object_get(u, PROTO_F_SUPERUSER)) ? "yes" : "no",
               json_integer_value(json_object_get(u, PROTO_F_CREATED_MS)) ? made : "-", until);
    }
    json_decref(doc);
    return fflush(stdout) == 0;
}

static bool admin_revoke(const char *base, const char *name, char *err, size_t errlen)
{
    char *esc = curl_easy_escape(NULL, name, 0);
    if (!esc) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    char url[1200];
    snprintf(url, sizeof url, "%s%s?%s=%.500s", base, PROTO_PATH_TOKENS, PROTO_QUERY_NAME, esc);
    curl_free(esc);
    json_t *doc = masterapi_call("DELETE", url, NULL, err, errlen);
    json_decref(doc);
    return doc != NULL;
}

static bool admin_whoami(const char *base, char *err, size_t errlen)
{
    char url[600];
    snprintf(url, sizeof url, "%s%s", base, PROTO_PATH_WHOAMI);
    json_t *doc = masterapi_call("GET", url, NULL, err, errlen);
    if (!doc)
        return false;
    if (!json_is_true(json_object_get(doc, PROTO_F_SECURE))) {
        printf("nobody: the master is open (no users)\n");
    } else {
        char user[200], group[200];
        escape_text(admin_str(doc, PROTO_F_USER), user, sizeof user);
        escape_text(admin_str(doc, PROTO_F_GROUP), group, sizeof group);
        printf("%s (group %s)%s\n", user, group,
               json_is_true(json_object_get(doc, PROTO_F_SUPERUSER)) ? ", superuser" : "");
    }
    json_decref(doc);
    return fflush(stdout) == 0;
}

/* Each master of the list asked once, directly (not through the list's
 * routing: a standby is asked about itself). False when none answered. */
static bool admin_ha_status(const char *list, char *err, size_t errlen)
{
    char bases[512 * ADDR_MAX_MASTERS], etcd_members[1100] = "";
    if (!addr_master_list(list, bases, sizeof bases, err, errlen))
        return false;
    printf("%-32s %-12s %6s %10s %10s %6s %8s\n", "MASTER", "ROLE", "TERM", "APPLIED", "HEAD",
           "LAG", "LAG-MS");
    size_t answered = 0;
    for (char *p = bases, *next; p; p = next) {
        next = strchr(p, ',');
        if (next)
            *next++ = '\0';
        char url[sizeof bases + 32], why[512];
        snprintf(url, sizeof url, "%s%s", p, PROTO_PATH_HA_STATUS);
        httpc_response r;
        if (!httpc_json("GET", url, NULL, 3000, &r, why, sizeof why) || r.status != 200) {
            if (r.status)
                httpc_response_free(&r);
            printf("%-32s %-12s\n", p, "unreachable");
            continue;
        }
        answered++;
        char role[32];
        escape_text(admin_str(r.json, PROTO_F_ROLE), role, sizeof role);
        printf("%-32s %-12s %6lld %10lld %10lld %6lld %8lld\n", p, role,
               (long long)json_integer_value(json_object_get(r.json, "term")),
               (long long)json_integer_value(json_object_get(r.json, "applied")),
               (long long)json_integer_value(json_object_get(r.json, "head")),
               (long long)json_integer_value(json_object_get(r.json, "lagPieces")),
               (long long)json_integer_value(json_object_get(r.json, "lagMs")));
        const char *m = json_string_value(json_object_get(r.json, "etcd"));
        if (m && !etcd_members[0])
            escape_text(m, etcd_members, sizeof etcd_members);
        httpc_response_free(&r);
    }
    if (etcd_members[0])
        printf("etcd: %s\n", etcd_members);
    if (!answered)
        snprintf(err, errlen, "no master of %s answered", list);
    return answered > 0 && fflush(stdout) == 0;
}

int admin_main(int argc, char **argv)
{
    const char *words[3] = { 0 };
    int nwords = 0;
    client_connect_opts co = client_connect_defaults();
    const char *group = NULL;
    bool super = false;
    long long expires_s = 0;
    const flag_def defs[] = {
        CLIENT_CONNECT_FLAGS(co, "a superuser's token (default: $MINIDFS_TOKEN)"),
        { "superuser", FLAG_BOOL, &super, 0, 0, NULL, "token create: the new user is one" },
        { "group", FLAG_STRING, &group, 0, 0, "GROUP", "token create: its group (default: NAME)" },
        { "expires-in", FLAG_INT, &expires_s, 0, 10LL * 366 * 24 * 3600, "SECONDS",
          "token create: good for this long (0: until revoked)" },
    };
    const size_t ndefs = sizeof defs / sizeof *defs;
    char **flagv = calloc((size_t)argc + 1, sizeof *flagv);
    if (!flagv)
        return 1;
    int nflag = client_split_args(argc, argv, defs, ndefs, words, 3, &nwords, flagv);
    int rc = flags_run("admin", admin_usage, defs, ndefs, nflag, flagv);
    free(flagv);
    if (rc >= 0)
        return rc;
    const char *cmd = nwords > 0 ? words[0] : "";
    const char *sub = nwords > 1 ? words[1] : "";
    bool create = !strcmp(cmd, "token") && !strcmp(sub, "create") && nwords == 3;
    bool list = !strcmp(cmd, "token") && !strcmp(sub, "list") && nwords == 2;
    bool revoke = !strcmp(cmd, "token") && !strcmp(sub, "revoke") && nwords == 3;
    bool whoami = !strcmp(cmd, "whoami") && nwords == 1;
    bool ha = !strcmp(cmd, "ha-status") && nwords == 1;
    if (!create && !list && !revoke && !whoami && !ha) {
        fprintf(stderr, "minidfs admin: expected token create NAME, token list, token revoke "
                        "NAME, whoami or ha-status (see minidfs admin --help)\n");
        return 2;
    }
    char err[1024], base[512];
    if ((rc = client_connect("admin", &co, base, sizeof base)) != 0)
        return rc;
    bool ok = create   ? admin_create(base, words[2], group, super, expires_s, err, sizeof err)
              : list   ? admin_list(base, err, sizeof err)
              : revoke ? admin_revoke(base, words[2], err, sizeof err)
              : ha     ? admin_ha_status(co.master_url, err, sizeof err)
                       : admin_whoami(base, err, sizeof err);
    curl_global_cleanup();
    if (!ok) {
        char msg[2048];
        escape_text(err, msg, sizeof msg);
        fprintf(stderr, "minidfs admin: %s\n", msg);
        return 1;
    }
    return 0;
}
