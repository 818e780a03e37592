/*
 * admin_main.c - `minidfs admin`: the cluster's report, decommissioning,
 * a secure master's users, and an HA cluster's masters, from a shell; and
 * `minidfs fsck`, the check of the files.
 *   minidfs admin report [--json]
 *   minidfs admin decommission HOST:PORT | recommission HOST:PORT
 *   minidfs fsck [PATH] [--json]      exit 0 only when every chunk is healthy
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
    "  report             totals, then every chunkserver: rack, state, disk, chunks,\n"
    "                     last contact (--json: the master's answer as it is)\n"
    "  decommission HOST:PORT  drain a chunkserver: no new chunks, its copies made\n"
    "                     elsewhere; `report` says decommissioned when it may stop\n"
    "  recommission HOST:PORT  undo a decommission\n"
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

/* 1.5 GiB, 12 MiB, 512 B */
static void admin_size(json_int_t v, char out[16])
{
    static const char *units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
    double d = (double)v;
    size_t u = 0;
    while (d >= 1024 && u + 1 < sizeof units / sizeof *units) {
        d /= 1024;
        u++;
    }
    snprintf(out, 16, u ? "%.1f %s" : "%.0f %s", d, units[u]);
}

/* --json: the master's answer as it is, indented; doc is freed. */
static bool admin_print_json(json_t *doc)
{
    char *text = json_dumps(doc, JSON_INDENT(2));
    if (text)
        printf("%s\n", text);
    free(text);
    json_decref(doc);
    return text && fflush(stdout) == 0;
}

static json_int_t admin_int(json_t *o, const char *key)
{
    return json_integer_value(json_object_get(o, key));
}

static bool admin_report(const char *base, bool as_json, char *err, size_t errlen)
{
    char url[600];
    snprintf(url, sizeof url, "%s%s", base, PROTO_PATH_REPORT);
    json_t *doc = masterapi_call("GET", url, NULL, err, errlen);
    if (!doc)
        return false;
    if (as_json)
        return admin_print_json(doc);
    char cap[16], used[16], rem[16], logical[16], stored[16];
    admin_size(admin_int(doc, "capacity"), cap);
    admin_size(admin_int(doc, "used"), used);
    admin_size(admin_int(doc, "remaining"), rem);
    admin_size(admin_int(doc, "logicalBytes"), logical);
    admin_size(admin_int(doc, "storedBytes"), stored);
    json_int_t capacity = admin_int(doc, "capacity");
    printf("Configured capacity: %s\nUsed: %s (%.1f%%)\nRemaining: %s\n", cap, used,
           capacity ? 100.0 * (double)admin_int(doc, "used") / (double)capacity : 0.0, rem);
    printf("Files: %lld  Directories: %lld  Chunks: %lld  Data: %s (%s stored)\n",
           (long long)admin_int(doc, "files"), (long long)admin_int(doc, "directories"),
           (long long)admin_int(doc, "chunks"), logical, stored);
    printf("Under-replicated chunks: %lld  Missing: %lld  Corrupt: %lld  Over-replicated: %lld\n",
           (long long)admin_int(doc, "underReplicated"), (long long)admin_int(doc, "missing"),
           (long long)admin_int(doc, "corrupt"), (long long)admin_int(doc, "overReplicated"));
    printf("Repairs in flight: %lld  done: %lld\n", (long long)admin_int(doc, "repairsInFlight"),
           (long long)admin_int(doc, "repairsDone"));
    char role[32];
    escape_text(admin_str(doc, PROTO_F_ROLE), role, sizeof role);
    printf("Master: %s%s\nChunkservers: %lld live, %lld dead\n\n", role,
           json_is_true(json_object_get(doc, "safeMode")) ? " (safe mode)" : "",
           (long long)admin_int(doc, "chunkserversLive"),
           (long long)admin_int(doc, "chunkserversDead"));
    printf("%-28s %-12s %-16s %10s %10s %6s %9s %10s %s\n", "CHUNKSERVER", "RACK", "STATE",
           "CAPACITY", "USED", "USE%", "CHUNKS", "CONTACT", "DRAINING");
    json_t *servers = json_object_get(doc, PROTO_F_CHUNKSERVERS), *s;
    size_t i;
    json_array_foreach(servers, i, s) {
        char addr[200], rack[80], state[40], scap[16], sused[16], left[32] = "-";
        escape_text(admin_str(s, "address"), addr, sizeof addr);
        escape_text(admin_str(s, "rack"), rack, sizeof rack);
        escape_text(admin_str(s, PROTO_F_STATE), state, sizeof state);
        json_int_t c = admin_int(s, "capacity"), u = admin_int(s, "used");
        admin_size(c, scap);
        admin_size(u, sused);
        if (!strcmp(state, "decommissioning"))
            snprintf(left, sizeof left, "%lld left", (long long)admin_int(s, "decommissionRemaining"));
        printf("%-28s %-12s %-16s %10s %10s %5.1f%% %9lld %8.1fs %s\n", addr, rack, state, scap,
               sused, c ? 100.0 * (double)u / (double)c : 0.0, (long long)admin_int(s, "chunks"),
               (double)admin_int(s, "lastContactMs") / 1000, left);
    }
    json_decref(doc);
    return fflush(stdout) == 0;
}

static bool admin_drain(const char *base, const char *server, bool on, char *err, size_t errlen)
{
    char url[600];
    snprintf(url, sizeof url, "%s%s", base, on ? PROTO_PATH_DECOMMISSION : PROTO_PATH_RECOMMISSION);
    json_t *body = json_pack("{s:s}", "server", server);
    json_t *doc = body ? masterapi_call("POST", url, body, err, errlen) : NULL;
    json_decref(body);
    if (!doc)
        return false;
    char addr[200], state[40];
    escape_text(admin_str(doc, "address"), addr, sizeof addr);
    escape_text(admin_str(doc, PROTO_F_STATE), state, sizeof state);
    printf("%s: %s", addr, state);
    if (!strcmp(state, "decommissioning"))
        printf(" (%lld chunks held; `minidfs admin report` shows the progress)",
               (long long)admin_int(doc, "chunks"));
    printf("\n");
    json_decref(doc);
    return fflush(stdout) == 0;
}

int admin_main(int argc, char **argv)
{
    const char *words[3] = { 0 };
    int nwords = 0;
    client_connect_opts co = client_connect_defaults();
    const char *group = NULL;
    bool super = false;
    long long expires_s = 0;
    bool as_json = false;
    const flag_def defs[] = {
        CLIENT_CONNECT_FLAGS(co, "a superuser's token (default: $MINIDFS_TOKEN)"),
        { "json", FLAG_BOOL, &as_json, 0, 0, NULL, "report: print the master's JSON" },
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
    bool report = !strcmp(cmd, "report") && nwords == 1;
    bool decom = !strcmp(cmd, "decommission") && nwords == 2;
    bool recom = !strcmp(cmd, "recommission") && nwords == 2;
    if (!create && !list && !revoke && !whoami && !ha && !report && !decom && !recom) {
        fprintf(stderr, "minidfs admin: expected report, decommission HOST:PORT, recommission "
                        "HOST:PORT, token create NAME, token list, token revoke NAME, whoami "
                        "or ha-status (see minidfs admin --help)\n");
        return 2;
    }
    char err[1024], base[512];
    if ((rc = client_connect("admin", &co, base, sizeof base)) != 0)
        return rc;
    bool ok = report   ? admin_report(base, as_json, err, sizeof err)
              : decom  ? admin_drain(base, words[1], true, err, sizeof err)
              : recom  ? admin_drain(base, words[1], false, err, sizeof err)
              : create ? admin_create(base, words[2], group, super, expires_s, err, sizeof err)
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

/* ---- minidfs fsck ---- */

static const char fsck_usage[] =
    "usage: minidfs fsck [PATH] [flags]\n\n"
    "Checks every file under PATH (default /) against the master's view: each\n"
    "chunk's live copies, their racks and checksums. Lists missing, under-replicated,\n"
    "mis-placed (every copy on one rack) and corrupt chunks with their files. Exits 0\n"
    "only when every chunk is healthy, 1 otherwise. Needs a superuser's token on a\n"
    "secure master.";

static bool fsck_run(const char *base, const char *path, long long limit, bool as_json,
                     bool *healthy, char *err, size_t errlen)
{
    char *esc = curl_easy_escape(NULL, path, 0);
    if (!esc) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    char url[20000];
    snprintf(url, sizeof url, "%s%s?%s=%s&%s=%lld", base, PROTO_PATH_FSCK, PROTO_QUERY_PATH, esc,
             PROTO_QUERY_LIMIT, limit);
    curl_free(esc);
    json_t *doc = masterapi_call("GET", url, NULL, err, errlen);
    if (!doc)
        return false;
    *healthy = json_is_true(json_object_get(doc, "healthy"));
    if (as_json)
        return admin_print_json(doc);
    json_t *problems = json_object_get(doc, "problems"), *p;
    size_t i;
    json_array_foreach(problems, i, p) {
        char file[1024], chunk[200], what[40];
        escape_text(admin_str(p, "file"), file, sizeof file);
        escape_text(admin_str(p, "chunk"), chunk, sizeof chunk);
        escape_text(admin_str(p, "problem"), what, sizeof what);
        printf("%s: chunk %lld (%s): %s, %lld of %lld copies live", file,
               (long long)admin_int(p, "index"), chunk, what, (long long)admin_int(p, "live"),
               (long long)admin_int(p, "wanted"));
        json_t *reps = json_object_get(p, "replicas"), *r;
        size_t k;
        json_array_foreach(reps, k, r) {
            char srv[200], rack[80], st[40];
            escape_text(admin_str(r, "server"), srv, sizeof srv);
            escape_text(admin_str(r, "rack"), rack, sizeof rack);
            escape_text(admin_str(r, PROTO_F_STATE), st, sizeof st);
            printf("%s %s (rack %s, %s)", k ? "," : ";", srv, rack, st);
        }
        printf("\n");
    }
    if (json_is_true(json_object_get(doc, "truncated")))
        printf("... more problems than listed (--limit)\n");
    char shown[1024];
    escape_text(admin_str(doc, "path"), shown, sizeof shown);
    printf("\n%s: %lld files, %lld chunks: %lld healthy, %lld missing, %lld under-replicated, "
           "%lld mis-placed, %lld corrupt, %lld over-replicated\nThe filesystem under '%s' is %s\n",
           shown, (long long)admin_int(doc, "files"), (long long)admin_int(doc, "chunks"),
           (long long)admin_int(doc, "healthyChunks"), (long long)admin_int(doc, "missing"),
           (long long)admin_int(doc, "underReplicated"), (long long)admin_int(doc, "misplaced"),
           (long long)admin_int(doc, "corrupt"), (long long)admin_int(doc, "overReplicated"),
           shown, *healthy ? "HEALTHY" : "UNHEALTHY");
    json_decref(doc);
    return fflush(stdout) == 0;
}

int fsck_main(int argc, char **argv)
{
    const char *words[1] = { 0 };
    int nwords = 0;
    client_connect_opts co = client_connect_defaults();
    bool as_json = false;
    long long limit = 1000;
    const flag_def defs[] = {
        CLIENT_CONNECT_FLAGS(co, "a superuser's token (default: $MINIDFS_TOKEN)"),
        { "json", FLAG_BOOL, &as_json, 0, 0, NULL, "print the master's JSON" },
        { "limit", FLAG_INT, &limit, 1, 100000, "N", "problem chunks listed at most" },
    };
    const size_t ndefs = sizeof defs / sizeof *defs;
    char **flagv = calloc((size_t)argc + 1, sizeof *flagv);
    if (!flagv)
        return 1;
    int nflag = client_split_args(argc, argv, defs, ndefs, words, 1, &nwords, flagv);
    int rc = flags_run("fsck", fsck_usage, defs, ndefs, nflag, flagv);
    free(flagv);
    if (rc >= 0)
        return rc;
    if (nwords > 1) {
        fprintf(stderr, "minidfs fsck: expected at most one PATH\n");
        return 2;
    }
    char err[1024], base[512];
    if ((rc = client_connect("fsck", &co, base, sizeof base)) != 0)
        return rc;
    bool healthy = false;
    bool ok = fsck_run(base, nwords ? words[0] : "/", limit, as_json, &healthy, err, sizeof err);
    curl_global_cleanup();
    if (!ok) {
        char msg[2048];
        escape_text(err, msg, sizeof msg);
        fprintf(stderr, "minidfs fsck: %s\n", msg);
        return 1;
    }
    return healthy ? 0 : 1;
}
