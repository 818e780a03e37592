/*
 * fs_main.c - the file commands a person types, with `hdfs dfs` habits:
 * `minidfs ls|mkdir|put|get|cat|mv|rm|stat|du|append`. Each parses its
 * words and flags (short ones as -p, -r; a repeated single-value flag is
 * an error), talks to the master named by --master, $MINIDFS_MASTER or
 * http://localhost:8000/, and moves bytes through the same code as
 * `minidfs client` (actions.c). Exit status: 0 success, 1 an operation
 * failed (one line on stderr naming the path), 2 usage; --stats adds one
 * line on stderr of what was moved and how fast. Everything a
 * master sends is printed escaped: a name can never forge a line.
 * get -r lists with small files' layouts (/ls?layout=1) and reads those
 * files without a /get each; put -r hands its small files to the pool
 * 64 to a job, whose worker asks for their plans in one /upload and sends
 * the chunks of the smallest to each server in POST /chunks batches
 * (chunkbatch.c), the rest by their plans. Holds at most one listing page
 * of the master's in memory at a level of a tree, one job of small files
 * being gathered, and the layouts, plans and jobs queued for the pool
 * (put -r's check also one local directory's names, sorted);
 * standard input is spooled a piece (at most a chunk) at a time to a
 * temporary file, never whole.
 */
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "chunkbatch.h"
#include "client.h"
#include "connect.h"
#include "escape.h"
#include "filepool.h"
#include "flags.h"
#include "masterapi.h"
#include "monotime.h"
#include "nspath.h"
#include "protocol.h"
#include "transfer.h"

#define FS_MAX_WORDS 4096

typedef struct {
    const char *cmd;
    const char *master;        /* base URL */
    bool l, R, json, p, r, f, h, s;
    long long replication;
    long long files_at_once;   /* put -r, get -r: files in flight */
    bool quiet;
    pthread_mutex_t mu;        /* failures and stderr, from the pool's workers */
    int failures;
    filepool *pool;            /* put -r, get -r: NULL moves files one by one */
    /* put -r: small files waiting to be planned together (fs_plan_flush) */
    json_t *plans;             /* their /upload requests, an array */
    char *plan_local[PROTO_MAX_BATCH];
    atomic_bool plan_singly;   /* the master takes no batches: each file asks alone */
} fs_ctx;

/* put -r plans files up to this size in batches (larger ones each ask for
 * their own plan: their bytes, not the request, are their cost). */
#define FS_PLAN_TOGETHER_BYTES (1u << 20)
/* At most this many small files' chunks in one request to a chunkserver,
 * which stores them one after the other: a few such requests at once keep
 * its disk and the master's group commits busy. */
#define FS_BATCH_FILES 16u

/* One line on stderr for a failed operation on path. */
static void fs_fail(fs_ctx *x, const char *path, const char *msg)
{
    char p[1024], m[2048];
    escape_text(path ? path : "", p, sizeof p);
    escape_text(msg ? msg : "", m, sizeof m);
    pthread_mutex_lock(&x->mu);
    fprintf(stderr, "minidfs %s: %s: %s\n", x->cmd, p, m);
    x->failures++;
    pthread_mutex_unlock(&x->mu);
}

/* A query parameter's value, URL-encoded into out. */
static bool fs_escape_url(const char *in, char *out, size_t outlen)
{
    char *e = curl_easy_escape(NULL, in, 0);
    bool ok = e && strlen(e) < outlen;
    if (ok)
        memcpy(out, e, strlen(e) + 1);
    curl_free(e);
    return ok;
}

/* GET endpoint?path=path[&after=after][extra] ("&layout=1"). */
static json_t *fs_get_with(fs_ctx *x, const char *endpoint, const char *path, const char *after,
                           const char *extra, char *err, size_t errlen)
{
    char p[3 * NSPATH_MAX + 1], a[3 * NSPATH_NAME_MAX + 1] = "", url[4 * NSPATH_MAX + 600];
    if (!fs_escape_url(path, p, sizeof p) || (after && !fs_escape_url(after, a, sizeof a))) {
        snprintf(err, errlen, "path too long");
        return NULL;
    }
    snprintf(url, sizeof url, "%s%s?%s=%s%s%s%s", x->master, endpoint, PROTO_QUERY_PATH, p,
             after ? "&" PROTO_QUERY_AFTER "=" : "", a, extra);
    return masterapi_call("GET", url, NULL, err, errlen);
}

static json_t *fs_get(fs_ctx *x, const char *endpoint, const char *path, const char *after,
                      char *err, size_t errlen)
{
    return fs_get_with(x, endpoint, path, after, "", err, errlen);
}

static json_t *fs_post(fs_ctx *x, const char *endpoint, json_t *body, char *err, size_t errlen)
{
    return masterapi_post(x->master, endpoint, body, err, errlen);
}

/* The entry at path (NULL, err set, when there is none or the call failed). */
static json_t *fs_stat(fs_ctx *x, const char *path, char *err, size_t errlen)
{
    return fs_get(x, PROTO_PATH_STAT, path, NULL, err, errlen);
}

static bool fs_is_dir(json_t *e)
{
    const char *t = json_string_value(json_object_get(e, PROTO_F_TYPE));
    return t && !strcmp(t, "directory");
}

static long long fs_int(json_t *e, const char *key)
{
    return json_integer_value(json_object_get(e, key));
}

static void fs_human(uint64_t n, bool h, char *out, size_t outlen)
{
    static const char units[] = "KMGTPE";
    if (!h || n < 1024) {
        snprintf(out, outlen, "%" PRIu64, n);
        return;
    }
    double v = (double)n;
    int u = -1;
    while (v >= 1024 && u < 5) {
        v /= 1024;
        u++;
    }
    snprintf(out, outlen, "%.1f%c", v, units[u]);
}

static void fs_time(long long ms, char *out, size_t outlen)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    if (ms <= 0 || !gmtime_r(&t, &tm) || !strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(out, outlen, "-");
}

static void fs_mode(json_t *e, char out[12])
{
    long long m = fs_int(e, PROTO_F_MODE);
    static const char rwx[] = "rwxrwxrwx";
    out[0] = fs_is_dir(e) ? 'd' : '-';
    for (int i = 0; i < 9; i++)
        out[i + 1] = m & (1 << (8 - i)) ? rwx[i] : '-';
    if (m & 01000)
        out[9] = out[9] == 'x' ? 't' : 'T';
    out[10] = '\0';
}

/* e as one line of JSON (ASCII only: nothing a terminal acts on), between
 * before and after. */
static void fs_print_json(json_t *e, const char *before, const char *after)
{
    char *s = json_dumps(e, JSON_COMPACT | JSON_ENSURE_ASCII);
    printf("%s%s%s", before, s ? s : "null", after);
    free(s);
}

/* One entry at full path, as ls shows it. */
static void fs_print_entry(fs_ctx *x, json_t *e, const char *full)
{
    char shown[3 * NSPATH_MAX + 8];
    escape_text(full, shown, sizeof shown);
    if (!x->l) {
        printf("%s\n", shown);
        return;
    }
    char mode[12], size[32], when[40], owner[200], group[200];
    fs_mode(e, mode);
    fs_human((uint64_t)(fs_is_dir(e) ? fs_int(e, PROTO_F_ENTRY_COUNT) : fs_int(e, PROTO_F_FILE_SIZE)),
             x->h && !fs_is_dir(e), size, sizeof size);
    fs_time(fs_int(e, PROTO_F_MODIFIED), when, sizeof when);
    const char *o = json_string_value(json_object_get(e, PROTO_F_OWNER));
    const char *g = json_string_value(json_object_get(e, PROTO_F_GROUP));
    escape_text(o ? o : "-", owner, sizeof owner);
    escape_text(g ? g : "-", group, sizeof group);
    /* writing, or what is true of a complete file now: degraded,
     * missing, corrupt (escaped: the master's word) */
    const char *state = json_string_value(json_object_get(e, PROTO_F_STATE));
    char st[48] = "";
    if (state && strcmp(state, "complete") != 0) {
        char esc[32];
        escape_text(state, esc, sizeof esc);
        snprintf(st, sizeof st, " (%s)", esc);
    }
    printf("%s %3lld %-10s %-10s %12s %s %s%s\n", mode,
           fs_is_dir(e) ? 0LL : fs_int(e, PROTO_F_REPLICATION), owner, group, size, when, shown,
           st);
}

static void fs_join(const char *dir, const char *name, char *out, size_t outlen)
{
    snprintf(out, outlen, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", name);
}

/* A directory's entries in name order, fetched a page at a time: at most
 * one page held. */
typedef struct {
    fs_ctx *x;
    const char *dir;
    bool layouts;            /* small files' layouts in the entries (get -r) */
    json_t *doc;
    size_t i;
    bool more;
    char after[NSPATH_NAME_MAX + 1];
} fs_cursor;

static void fs_cursor_open(fs_cursor *c, fs_ctx *x, const char *dir, bool layouts)
{
    *c = (fs_cursor){ .x = x, .dir = dir, .layouts = layouts, .more = true };
}

/* The next entry (borrowed until the next call) and its name, checked to
 * be one name; NULL at the end, or with *failed set when the listing
 * failed (reported) or the master sent an entry that names no file. */
static json_t *fs_cursor_next(fs_cursor *c, const char **name, bool *failed)
{
    *failed = false;
    for (;;) {
        json_t *entries = json_object_get(c->doc, PROTO_F_ENTRIES);
        if (c->doc && c->i < json_array_size(entries)) {
            json_t *e = json_array_get(entries, c->i++);
            const char *n = json_string_value(json_object_get(e, PROTO_F_NAME));
            if (!n || !n[0] || strchr(n, '/') || !strcmp(n, ".") || !strcmp(n, "..") ||
                strlen(n) > NSPATH_NAME_MAX) {
                fs_fail(c->x, c->dir, "the master sent an entry name that is no file name");
                *failed = true;
                return NULL;
            }
            snprintf(c->after, sizeof c->after, "%s", n);
            *name = n;
            return e;
        }
        bool was_empty = c->doc && json_array_size(entries) == 0;
        json_decref(c->doc);
        c->doc = NULL;
        if (!c->more || was_empty)
            return NULL;
        char err[1024];
        c->doc = fs_get_with(c->x, PROTO_PATH_LS, c->dir, c->after[0] ? c->after : NULL,
                             c->layouts ? "&" PROTO_QUERY_LAYOUT "=1" : "", err, sizeof err);
        if (!c->doc) {
            fs_fail(c->x, c->dir, err);
            *failed = true;
            return NULL;
        }
        c->more = json_is_true(json_object_get(c->doc, PROTO_F_MORE));
        c->i = 0;
    }
}

static void fs_cursor_close(fs_cursor *c)
{
    json_decref(c->doc);
    c->doc = NULL;
}

/* Lists a directory page by page (json: entries streamed as one array). */
static bool fs_ls_dir(fs_ctx *x, const char *dir, bool *first_json)
{
    char after[NSPATH_NAME_MAX + 1] = "", err[1024];
    bool more = true;
    while (more) {
        json_t *doc = fs_get(x, PROTO_PATH_LS, dir, after[0] ? after : NULL, err, sizeof err);
        if (!doc) {
            fs_fail(x, dir, err);
            return false;
        }
        json_t *entries = json_object_get(doc, PROTO_F_ENTRIES);
        more = json_is_true(json_object_get(doc, PROTO_F_MORE));
        size_t i, n = json_array_size(entries);
        json_t *e;
        char **subdirs = x->R ? calloc(n ? n : 1, sizeof *subdirs) : NULL;
        size_t nsub = 0;
        json_array_foreach(entries, i, e) {
            const char *name = json_string_value(json_object_get(e, PROTO_F_NAME));
            if (!name || strlen(name) > NSPATH_NAME_MAX)
                continue;
            char full[NSPATH_MAX + NSPATH_NAME_MAX + 2];
            fs_join(dir, name, full, sizeof full);
            if (x->json) {
                json_object_set_new(e, PROTO_F_PATH, json_string(full));
                fs_print_json(e, *first_json ? "" : ",\n", "");
                *first_json = false;
            } else {
                fs_print_entry(x, e, full);
            }
            if (subdirs && fs_is_dir(e))
                subdirs[nsub++] = strdup(full);
            if (i + 1 == n)
                snprintf(after, sizeof after, "%s", name);
        }
        json_decref(doc);
        for (size_t k = 0; k < nsub; k++) {
            if (subdirs[k])
                fs_ls_dir(x, subdirs[k], first_json);
            free(subdirs[k]);
        }
        free(subdirs);
        if (n == 0)
            break;
    }
    return true;
}

static int fs_ls(fs_ctx *x, const char **words, int n)
{
    const char *dflt = "/";
    if (n == 0) {
        words = &dflt;
        n = 1;
    }
    bool first = true;
    if (x->json)
        printf("[");
    for (int i = 0; i < n; i++) {
        char err[1024];
        json_t *e = fs_stat(x, words[i], err, sizeof err);
        if (!e) {
            fs_fail(x, words[i], err);
            continue;
        }
        const char *path = json_string_value(json_object_get(e, PROTO_F_PATH));
        char full[NSPATH_MAX + 1];
        snprintf(full, sizeof full, "%s", path ? path : words[i]);
        if (fs_is_dir(e)) {
            fs_ls_dir(x, full, &first);
        } else if (x->json) {
            fs_print_json(e, first ? "" : ",\n", "");
            first = false;
        } else {
            fs_print_entry(x, e, full);
        }
        json_decref(e);
    }
    if (x->json)
        printf("]\n");
    return x->failures ? 1 : 0;
}

static int fs_stat_cmd(fs_ctx *x, const char **words, int n)
{
    for (int i = 0; i < n; i++) {
        char err[1024];
        json_t *e = fs_stat(x, words[i], err, sizeof err);
        if (!e) {
            fs_fail(x, words[i], err);
            continue;
        }
        if (x->json) {
            fs_print_json(e, "", "\n");
        } else {
            char path[3 * NSPATH_MAX + 8], mode[12], size[32], c[40], m[40], owner[200], group[200];
            const char *p = json_string_value(json_object_get(e, PROTO_F_PATH));
            escape_text(p ? p : "?", path, sizeof path);
            fs_mode(e, mode);
            fs_human((uint64_t)fs_int(e, PROTO_F_FILE_SIZE), x->h, size, sizeof size);
            fs_time(fs_int(e, PROTO_F_CREATED), c, sizeof c);
            fs_time(fs_int(e, PROTO_F_MODIFIED), m, sizeof m);
            const char *o = json_string_value(json_object_get(e, PROTO_F_OWNER));
            const char *g = json_string_value(json_object_get(e, PROTO_F_GROUP));
            escape_text(o ? o : "-", owner, sizeof owner);
            escape_text(g ? g : "-", group, sizeof group);
            printf("path: %s\ntype: %s\nmode: %s (%04llo)\nowner: %s\ngroup: %s\ncreated: %s\n"
                   "modified: %s\n", path, fs_is_dir(e) ? "directory" : "file", mode,
                   fs_int(e, PROTO_F_MODE), owner, group, c, m);
            if (fs_is_dir(e)) {
                printf("entries: %lld\n", fs_int(e, PROTO_F_ENTRY_COUNT));
            } else {
                const char *state = json_string_value(json_object_get(e, PROTO_F_STATE));
                const char *id = json_string_value(json_object_get(e, PROTO_F_IDENTIFIER));
                char sid[80];
                escape_text(id ? id : "-", sid, sizeof sid);
                printf("size: %s\nchunks: %lld\nchunk size: %lld\nreplication: %lld\nstate: %s\n"
                       "identifier: %s\n", size, fs_int(e, PROTO_F_NUM_CHUNKS),
                       fs_int(e, PROTO_F_CHUNK_SIZE), fs_int(e, PROTO_F_REPLICATION),
                       state && !strcmp(state, "complete")   ? "complete"
                       : state && !strcmp(state, "degraded") ? "degraded"
                       : state && !strcmp(state, "missing")  ? "missing"
                       : state && !strcmp(state, "corrupt")  ? "corrupt"
                                                             : "writing", sid);
            }
        }
        json_decref(e);
    }
    return x->failures ? 1 : 0;
}

static int fs_du(fs_ctx *x, const char **words, int n)
{
    for (int i = 0; i < n; i++) {
        char err[1024];
        json_t *e = fs_get(x, PROTO_PATH_DU, words[i], NULL, err, sizeof err);
        if (!e) {
            fs_fail(x, words[i], err);
            continue;
        }
        char bytes[32], stored[32], path[3 * NSPATH_MAX + 8];
        fs_human((uint64_t)fs_int(e, PROTO_F_BYTES), x->h, bytes, sizeof bytes);
        fs_human((uint64_t)fs_int(e, PROTO_F_STORED_BYTES), x->h, stored, sizeof stored);
        const char *p = json_string_value(json_object_get(e, PROTO_F_PATH));
        escape_text(p ? p : "?", path, sizeof path);
        if (x->s)
            printf("%s  %s  %s\n", bytes, stored, path);
        else
            printf("%s  %s  %lld files  %lld directories  %lld chunks  %s\n", bytes, stored,
                   fs_int(e, PROTO_F_FILES), fs_int(e, PROTO_F_DIRECTORIES),
                   fs_int(e, PROTO_F_CHUNK_COUNT), path);
        json_decref(e);
    }
    return x->failures ? 1 : 0;
}

static int fs_mkdir(fs_ctx *x, const char **words, int n)
{
    for (int i = 0; i < n; i++) {
        char err[1024];
        json_t *doc = fs_post(x, PROTO_PATH_MKDIR,
                              json_pack("{s:s,s:b}", PROTO_F_PATH, words[i], PROTO_F_PARENTS, x->p),
                              err, sizeof err);
        if (!doc)
            fs_fail(x, words[i], err);
        json_decref(doc);
    }
    return x->failures ? 1 : 0;
}

static int fs_rm(fs_ctx *x, const char **words, int n)
{
    for (int i = 0; i < n; i++) {
        char err[1024], p[3 * NSPATH_MAX + 1], url[4 * NSPATH_MAX];
        if (!fs_escape_url(words[i], p, sizeof p)) {
            fs_fail(x, words[i], "path too long");
            continue;
        }
        snprintf(url, sizeof url, "%s%s?%s=%s%s", x->master, PROTO_PATH_FILES, PROTO_QUERY_NAME, p,
                 x->r ? "&" PROTO_QUERY_RECURSIVE "=true" : "");
        json_t *doc = masterapi_call("DELETE", url, NULL, err, sizeof err);
        if (!doc)
            fs_fail(x, words[i], err);
        json_decref(doc);
    }
    return x->failures ? 1 : 0;
}

/* Where SRC goes when the destination is dest: inside it when it is an
 * existing directory. */
static void fs_target(fs_ctx *x, const char *src, const char *dest, char *out, size_t outlen)
{
    char err[256];
    json_t *e = fs_stat(x, dest, err, sizeof err);
    if (e && fs_is_dir(e)) {
        char norm[NSPATH_MAX + 1];
        const char *base = nspath_normalize(src, norm) == NSPATH_OK ? nspath_base(norm) : src;
        fs_join(dest, base, out, outlen);
    } else {
        snprintf(out, outlen, "%s", dest);
    }
    json_decref(e);
}

static int fs_mv(fs_ctx *x, const char **words, int n)
{
    if (n != 2) {
        fprintf(stderr, "minidfs mv: expected SRC DEST\n");
        return 2;
    }
    char to[NSPATH_MAX + NSPATH_NAME_MAX + 2], err[1024];
    fs_target(x, words[0], words[1], to, sizeof to);
    json_t *doc = fs_post(x, PROTO_PATH_RENAME,
                          json_pack("{s:s,s:s,s:b}", PROTO_F_RENAME_FROM, words[0],
                                    PROTO_F_RENAME_TO, to, PROTO_F_REPLACE, x->f),
                          err, sizeof err);
    if (!doc)
        fs_fail(x, words[0], err);
    json_decref(doc);
    return x->failures ? 1 : 0;
}

static client_opts fs_opts(fs_ctx *x, const char *name)
{
    return (client_opts){ .master = x->master, .filename = name, .replication = (unsigned)x->replication,
                          .progress = !x->quiet && isatty(STDERR_FILENO) };
}

/* Copies up to max bytes of fd into a new unnamed temporary file: its
 * descriptor (rewound) and how many bytes; -1 on failure. */
static int fs_spool(int fd, uint64_t max, uint64_t *got, char *path, size_t pathlen)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(path, pathlen, "%s/minidfs-stdin-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    int out = mkstemp(path);
    if (out < 0)
        return -1;
    char buf[1 << 16];
    *got = 0;
    while (*got < max) {
        size_t want = max - *got < sizeof buf ? (size_t)(max - *got) : sizeof buf;
        ssize_t r = read(fd, buf, want);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            close(out);
            unlink(path);
            return -1;
        }
        if (r == 0)
            break;
        for (ssize_t w = 0; w < r;) {
            ssize_t k = write(out, buf + w, (size_t)(r - w));
            if (k < 0) {
                close(out);
                unlink(path);
                return -1;
            }
            w += k;
        }
        *got += (uint64_t)r;
    }
    return out;
}

/* Appends standard input to path, a piece of at most cs bytes at a time
 * (each all or none). */
static bool fs_append_pieces(fs_ctx *x, const char *path, uint64_t cs, char *err, size_t errlen)
{
    for (;;) {
        char tmp[4200];
        uint64_t got;
        int fd = fs_spool(STDIN_FILENO, cs, &got, tmp, sizeof tmp);
        if (fd < 0) {
            snprintf(err, errlen, "cannot spool standard input: %s", strerror(errno));
            return false;
        }
        close(fd);
        bool ok = true;
        if (got > 0) {
            client_opts o = fs_opts(x, path);
            o.input = tmp;
            ok = client_append(&o, err, errlen);
        }
        unlink(tmp);
        if (!ok)
            return false;
        if (got < cs)
            return true;
    }
}

/* The chunk size of the file at path (0, err set, when unknown). */
static uint64_t fs_chunk_size(fs_ctx *x, const char *path, char *err, size_t errlen)
{
    json_t *e = fs_stat(x, path, err, errlen);
    if (!e)
        return 0;
    long long cs = fs_int(e, PROTO_F_CHUNK_SIZE);
    json_decref(e);
    if (cs <= 0 || (uint64_t)cs > PROTO_MAX_CHUNK_SIZE) {
        snprintf(err, errlen, "the master gives no chunk size");
        return 0;
    }
    return (uint64_t)cs;
}

static bool fs_append_stdin(fs_ctx *x, const char *path, char *err, size_t errlen)
{
    uint64_t cs = fs_chunk_size(x, path, err, errlen);
    return cs && fs_append_pieces(x, path, cs, err, errlen);
}

/* Uploads standard input to dest: into dest._COPYING_ (the first piece
 * written, the rest appended a chunk at a time), then renamed over dest,
 * so dest is whole or absent, never a prefix. */
static bool fs_put_stdin(fs_ctx *x, const char *dest, char *err, size_t errlen)
{
    char tmpname[NSPATH_MAX + 32], tmp[4200];
    snprintf(tmpname, sizeof tmpname, "%s._COPYING_", dest);
    uint64_t got;
    int fd = fs_spool(STDIN_FILENO, 1 << 20, &got, tmp, sizeof tmp);
    if (fd < 0) {
        snprintf(err, errlen, "cannot spool standard input: %s", strerror(errno));
        return false;
    }
    close(fd);
    client_opts o = fs_opts(x, tmpname);
    o.input = tmp;
    o.overwrite = true;
    bool ok = client_write(&o, err, errlen);
    unlink(tmp);
    uint64_t cs = ok && got == 1 << 20 ? fs_chunk_size(x, tmpname, err, errlen) : 1;
    ok = ok && cs && (got < 1 << 20 || fs_append_pieces(x, tmpname, cs, err, errlen));
    json_t *doc = !ok ? NULL
                      : fs_post(x, PROTO_PATH_RENAME,
                                json_pack("{s:s,s:s,s:b}", PROTO_F_RENAME_FROM, tmpname,
                                          PROTO_F_RENAME_TO, dest, PROTO_F_REPLACE, x->f),
                                err, errlen);
    if (!doc) {
        char ignored[256];
        masterapi_delete(x->master, tmpname, ignored, sizeof ignored);
    }
    json_decref(doc);
    return doc != NULL;
}

/* Uploads the local file src to the path dest (up), or downloads the
 * path src to the local file dest; a failure is reported. show: a
 * progress line on a terminal (never from the pool's workers). */
static bool fs_move(fs_ctx *x, bool up, const char *src, const char *dest, bool show,
                    json_t *known)
{
    char err[1024];
    client_opts o = fs_opts(x, up ? dest : src);
    o.progress = o.progress && show;
    if (up) {
        o.input = src;
        o.plan = known;
        o.overwrite = x->f;
        o.checked_later = x->pool != NULL;   /* fs_put_check, once the pool is done */
    } else {
        o.output = dest;
        o.layout = known;
    }
    bool ok = up ? client_write(&o, err, sizeof err) : client_read(&o, err, sizeof err);
    if (!ok)
        fs_fail(x, up ? dest : src, err);
    return ok;
}

static bool fs_put_one(fs_ctx *x, const char *local, const char *dest);

/* Uploads a local directory's tree under dest (made first). */
static bool fs_put_tree(fs_ctx *x, const char *local, const char *dest)
{
    char err[1024];
    json_t *doc = fs_post(x, PROTO_PATH_MKDIR,
                          json_pack("{s:s,s:b}", PROTO_F_PATH, dest, PROTO_F_PARENTS, true), err,
                          sizeof err);
    if (!doc) {
        fs_fail(x, dest, err);
        return false;
    }
    json_decref(doc);
    DIR *d = opendir(local);
    if (!d) {
        fs_fail(x, local, strerror(errno));
        return false;
    }
    bool ok = true;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        char lp[PATH_MAX], rp[NSPATH_MAX + NSPATH_NAME_MAX + 2];
        snprintf(lp, sizeof lp, "%s/%s", local, de->d_name);
        fs_join(dest, de->d_name, rp, sizeof rp);
        ok = fs_put_one(x, lp, rp) && ok;
    }
    closedir(d);
    return ok;
}

/* Hands the small files waiting to the pool as one job (fs_plan_run),
 * so the main thread walks on while a worker plans and sends them: many
 * such jobs at once keep the master's group commit and the chunkservers
 * busy. */
static bool fs_plan_flush(fs_ctx *x)
{
    size_t n = json_array_size(x->plans);
    if (n == 0)
        return true;
    json_t *locals = json_array();
    for (size_t i = 0; locals && i < n; i++)
        if (json_array_append_new(locals, json_string(x->plan_local[i])) != 0) {
            json_decref(locals);
            locals = NULL;
        }
    json_t *job = locals ? json_pack("{s:o,s:o}", "plans", x->plans, "locals", locals) : NULL;
    if (!locals)
        json_decref(x->plans);
    x->plans = NULL;
    bool ok = job && filepool_add(x->pool, "", "", job);
    json_decref(job);
    if (!ok)
        fs_fail(x, x->plan_local[0], "out of memory");
    for (size_t i = 0; i < n; i++) {
        free(x->plan_local[i]);
        x->plan_local[i] = NULL;
    }
    return ok;
}

/* Sends the chunks of files[0..n) in one request (chunkbatch), and each
 * it did not store alone. */
static bool fs_put_batch(fs_ctx *x, chunkbatch_file *files, size_t n)
{
    chunkbatch_put(files, n);
    bool ok = true;
    for (size_t i = 0; i < n; i++)
        if (!files[i].stored)
            ok = fs_move(x, true, files[i].local, files[i].dest, false, files[i].plan) && ok;
    return ok;
}

/* A pool worker's job of small files (fs_plan_flush): asks the master
 * for all their plans in one request, then sends the files of one small
 * chunk in batches to the server each chunk goes to first, and the rest
 * one by one; a file the master refused is reported. A master from before
 * batches is asked by each file for its own, from then on. */
static bool fs_plan_run(fs_ctx *x, json_t *reqs, json_t *locals)
{
    size_t n = json_array_size(reqs);
    if (n == 0 || n > PROTO_MAX_BATCH || json_array_size(locals) != n)
        return false;
    char err[1024] = "";
    bool singly = false;
    json_t *doc = atomic_load(&x->plan_singly)
                      ? NULL : masterapi_plan_batch(x->master, reqs, &singly, err, sizeof err);
    if (singly || atomic_load(&x->plan_singly)) {
        atomic_store(&x->plan_singly, true);
        doc = NULL;
    }
    json_t *answers = json_object_get(doc, PROTO_F_FILES);
    json_t *servers = json_object_get(doc, PROTO_F_CHUNKSERVERS);
    bool whole = json_array_size(answers) == n && json_is_array(servers);
    if (doc && !whole)
        snprintf(err, sizeof err, "master answer: not %zu plans and the chunkservers", n);
    chunkbatch_file batch[PROTO_MAX_BATCH];
    size_t nbatch = 0;
    bool ok = true;
    for (size_t i = 0; i < n; i++) {
        json_t *req = json_array_get(reqs, i), *a = json_array_get(answers, i);
        const char *dest = json_string_value(json_object_get(req, PROTO_F_FILE_NAME));
        const char *local = json_string_value(json_array_get(locals, i));
        const char *why = json_string_value(json_object_get(a, PROTO_F_ERROR));
        char m[1100];
        snprintf(m, sizeof m, "%s%s", why ? "master: " : "", why ? why : err);
        const char *failed = NULL;
        json_t *plan = NULL;   /* NULL: the file asks for a plan of its own */
        if (!atomic_load(&x->plan_singly)) {
            if (!whole || why)
                failed = m;
            else if (!json_is_object(a))
                failed = "master answer: no plan";
            else if (json_object_set(a, PROTO_F_CHUNKSERVERS, servers) != 0 ||
                     json_object_set(a, PROTO_F_FILE_SIZE,
                                     json_object_get(req, PROTO_F_FILE_SIZE)) != 0)
                failed = "out of memory";
            else
                plan = a;
        }
        if (failed) {
            fs_fail(x, dest, failed);
            ok = false;
        } else if (plan && chunkbatch_server(plan)) {
            batch[nbatch++] = (chunkbatch_file){ .local = local, .dest = dest, .plan = plan };
        } else {
            ok = fs_move(x, true, local, dest, false, plan) && ok;
        }
    }
    /* Each server's share, in requests of at most FS_BATCH_FILES. */
    bool taken[PROTO_MAX_BATCH] = { false };
    for (size_t i = 0; i < nbatch; i++) {
        if (taken[i])
            continue;
        const char *server = chunkbatch_server(batch[i].plan);
        chunkbatch_file group[PROTO_MAX_BATCH];
        size_t ng = 0;
        for (size_t k = i; k < nbatch && ng < FS_BATCH_FILES; k++)
            if (!taken[k] && !strcmp(chunkbatch_server(batch[k].plan), server)) {
                taken[k] = true;
                group[ng++] = batch[k];
            }
        ok = fs_put_batch(x, group, ng) && ok;
    }
    json_decref(doc);
    return ok;
}

/* Puts a small file of a tree in the next batch of plans. */
static bool fs_plan_add(fs_ctx *x, const char *local, const char *dest, off_t size)
{
    if (!x->plans)
        x->plans = json_array();
    size_t n = json_array_size(x->plans);
    json_t *req = masterapi_upload_request(dest, (uint64_t)size, x->f, (unsigned)x->replication);
    char *copy = strdup(local);
    bool queued = x->plans && req && copy && json_array_append(x->plans, req) == 0;
    json_decref(req);
    if (!queued) {
        free(copy);
        fs_fail(x, dest, "out of memory");
        return false;
    }
    x->plan_local[n] = copy;
    return n + 1 < PROTO_MAX_BATCH || fs_plan_flush(x);
}

static bool fs_put_one(fs_ctx *x, const char *local, const char *dest)
{
    char err[1024];
    struct stat sb;
    if (strcmp(local, "-") != 0 && stat(local, &sb) != 0) {
        fs_fail(x, local, strerror(errno));
        return false;
    }
    if (strcmp(local, "-") != 0 && S_ISDIR(sb.st_mode)) {
        if (!x->r) {
            fs_fail(x, local, "is a directory (put -r copies a tree)");
            return false;
        }
        return fs_put_tree(x, local, dest);
    }
    if (strcmp(local, "-") != 0 && x->pool && !atomic_load(&x->plan_singly) &&
        S_ISREG(sb.st_mode) && sb.st_size <= FS_PLAN_TOGETHER_BYTES)
        return fs_plan_add(x, local, dest, sb.st_size);
    if (strcmp(local, "-") != 0 && x->pool)
        return filepool_add(x->pool, local, dest, NULL) ||
               (fs_fail(x, dest, "out of memory"), false);
    if (!strcmp(local, "-")) {
        bool ok = fs_put_stdin(x, dest, err, sizeof err);
        if (!ok)
            fs_fail(x, dest, err);
        return ok;
    }
    return fs_move(x, true, local, dest, true, NULL);
}

/* A pool worker's upload of one file of a tree: known is its plan, when
 * it was planned with others; or a job of small files still to plan
 * ({"plans", "locals"}: fs_plan_flush). */
static bool fs_put_file(void *ud, const char *local, const char *dest, json_t *known)
{
    json_t *plans = json_object_get(known, "plans");
    if (plans)
        return fs_plan_run(ud, plans, json_object_get(known, "locals"));
    return fs_move(ud, true, local, dest, false, known);
}

/* A pool worker's download of one file of a tree: known is the layout
 * its listing carried, if any. */
static bool fs_get_file(void *ud, const char *src, const char *local, json_t *known)
{
    return fs_move(ud, false, src, local, false, known);
}

/* With -r, many files in flight: a pool of workers for the trees. */
static void fs_pool_start(fs_ctx *x, filepool_fn fn)
{
    if (x->r && x->files_at_once > 1)
        x->pool = filepool_new((unsigned)x->files_at_once, fn, x);
}

static void fs_pool_end(fs_ctx *x)
{
    if (x->pool)
        filepool_finish(x->pool);   /* each failure was reported as it happened */
    x->pool = NULL;
}

static int fs_name_order(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);   /* bytes, as the master orders names */
}

static int fs_not_dots(const struct dirent *d)
{
    return strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0;
}

/* Whether the master's entry e is a complete file of size bytes (its
 * writing is over: a chunk short of copies since is repair's business). */
static bool fs_landed(json_t *e, off_t size)
{
    const char *state = json_string_value(json_object_get(e, PROTO_F_STATE));
    return e && !fs_is_dir(e) && fs_int(e, PROTO_F_FILE_SIZE) == (long long)size && state &&
           strcmp(state, "writing") != 0;
}

/* After put -r: every regular file of the local tree is a complete file of
 * its size under dest, checked by merging the local names (sorted as the
 * master sorts them) with dest's listing, one page at a time: one request
 * per page instead of one per file. Each one missing is reported. */
static void fs_put_check_tree(fs_ctx *x, const char *local, const char *dest)
{
    struct dirent **names;
    int n = scandir(local, &names, fs_not_dots, fs_name_order);
    if (n < 0) {
        fs_fail(x, local, strerror(errno));
        return;
    }
    fs_cursor c;
    fs_cursor_open(&c, x, dest, false);
    const char *rname = NULL;
    bool failed = false;
    json_t *e = fs_cursor_next(&c, &rname, &failed);
    for (int i = 0; i < n; i++) {
        char lp[PATH_MAX], rp[NSPATH_MAX + NSPATH_NAME_MAX + 2];
        snprintf(lp, sizeof lp, "%s/%s", local, names[i]->d_name);
        fs_join(dest, names[i]->d_name, rp, sizeof rp);
        while (e && strcmp(rname, names[i]->d_name) < 0)
            e = fs_cursor_next(&c, &rname, &failed);
        bool here = e && !strcmp(rname, names[i]->d_name);
        struct stat sb;   /* (a failed listing was reported; other kinds are not uploaded) */
        bool uploaded = !failed && stat(lp, &sb) == 0 && (S_ISDIR(sb.st_mode) || S_ISREG(sb.st_mode));
        if (uploaded && S_ISDIR(sb.st_mode) && here && fs_is_dir(e))
            fs_put_check_tree(x, lp, rp);
        else if (uploaded && !(here && fs_landed(e, sb.st_size)))
            fs_fail(x, rp, "not on the master as uploaded (missing, incomplete or of another size)");
        free(names[i]);
    }
    free(names);
    fs_cursor_close(&c);
}

/* The check of put -r's work (its uploads skipped their own), once every
 * upload is done: a tree by listing, a single file by its stat. */
static void fs_put_check(fs_ctx *x, const char *local, const char *dest)
{
    struct stat sb;
    char err[1024];
    if (!strcmp(local, "-") || stat(local, &sb) != 0)
        return;
    if (S_ISDIR(sb.st_mode)) {
        fs_put_check_tree(x, local, dest);
        return;
    }
    json_t *e = fs_stat(x, dest, err, sizeof err);
    if (!e)
        fs_fail(x, dest, err);
    else if (!fs_landed(e, sb.st_size))
        fs_fail(x, dest, "not on the master as uploaded (incomplete or of another size)");
    json_decref(e);
}

static int fs_put(fs_ctx *x, const char **words, int n)
{
    if (n < 2) {
        fprintf(stderr, "minidfs put: expected LOCAL... DEST\n");
        return 2;
    }
    /* where each went, for the check after the pool (the destination is a
     * directory by then, whatever it was before) */
    char(*to)[NSPATH_MAX + NSPATH_NAME_MAX + 2] = calloc((size_t)n - 1, sizeof *to);
    if (!to) {
        fs_fail(x, words[n - 1], "out of memory");
        return 1;
    }
    for (int i = 0; i < n - 1; i++) {
        if (n > 2 || strcmp(words[i], "-") != 0)
            fs_target(x, strcmp(words[i], "-") ? words[i] : "stdin", words[n - 1], to[i],
                      sizeof to[i]);
        else
            snprintf(to[i], sizeof to[i], "%s", words[n - 1]);
        if (i == 0)
            fs_pool_start(x, fs_put_file);
        fs_put_one(x, words[i], to[i]);
    }
    if (x->pool) {
        fs_plan_flush(x);
        fs_pool_end(x);
        /* nothing is checked after an upload failed (reported already);
         * every argument is checked, whatever an earlier one's check found */
        bool uploads_failed = x->failures > 0;
        for (int i = 0; i < n - 1 && !uploads_failed; i++)
            fs_put_check(x, words[i], to[i]);
    }
    free(to);
    return x->failures ? 1 : 0;
}

static bool fs_get_leaf(fs_ctx *x, const char *src, const char *local, json_t *layout);

static bool fs_get_tree(fs_ctx *x, const char *src, const char *local)
{
    if (mkdir(local, 0777) != 0 && errno != EEXIST) {
        fs_fail(x, local, strerror(errno));
        return false;
    }
    fs_cursor c;
    fs_cursor_open(&c, x, src, true);
    bool ok = true, failed;
    const char *name;
    json_t *e;
    while ((e = fs_cursor_next(&c, &name, &failed))) {
        char rp[NSPATH_MAX + NSPATH_NAME_MAX + 2], lp[PATH_MAX];
        fs_join(src, name, rp, sizeof rp);
        snprintf(lp, sizeof lp, "%s/%s", local, name);
        ok = (fs_is_dir(e) ? fs_get_tree(x, rp, lp)
                           : fs_get_leaf(x, rp, lp, json_object_get(e, PROTO_F_LAYOUT))) &&
             ok;
    }
    fs_cursor_close(&c);
    return ok && !failed;
}

static bool fs_get_one(fs_ctx *x, const char *src, const char *local)
{
    char err[1024];
    json_t *e = fs_stat(x, src, err, sizeof err);
    if (!e) {
        fs_fail(x, src, err);
        return false;
    }
    bool dir = fs_is_dir(e);
    json_decref(e);
    if (dir) {
        if (!x->r) {
            fs_fail(x, src, "is a directory (get -r copies a tree)");
            return false;
        }
        return fs_get_tree(x, src, local);
    }
    return fs_get_leaf(x, src, local, NULL);
}

/* Downloads the file src to local (refusing to replace what is there
 * without -f), on the pool when there is one. */
static bool fs_get_leaf(fs_ctx *x, const char *src, const char *local, json_t *layout)
{
    struct stat sb;
    if (strcmp(local, "-") != 0 && lstat(local, &sb) == 0 && !x->f &&
        (S_ISREG(sb.st_mode) || S_ISLNK(sb.st_mode))) {
        fs_fail(x, local, "exists (get -f replaces it)");
        return false;
    }
    if (x->pool && strcmp(local, "-") != 0)
        return filepool_add(x->pool, src, local, layout) ||
               (fs_fail(x, src, "out of memory"), false);
    return fs_move(x, false, src, local, true, layout);
}

static int fs_get_cmd(fs_ctx *x, const char **words, int n)
{
    if (n < 2) {
        fprintf(stderr, "minidfs get: expected SRC... LOCALDEST\n");
        return 2;
    }
    const char *dest = words[n - 1];
    struct stat sb;
    bool into = strcmp(dest, "-") != 0 && stat(dest, &sb) == 0 && S_ISDIR(sb.st_mode);
    for (int i = 0; i < n - 1; i++) {
        char local[PATH_MAX], norm[NSPATH_MAX + 1];
        const char *base = nspath_normalize(words[i], norm) == NSPATH_OK ? nspath_base(norm) : "";
        if (into && base[0])
            snprintf(local, sizeof local, "%s/%s", dest, base);
        else
            snprintf(local, sizeof local, "%s", dest);
        if (i == 0)
            fs_pool_start(x, fs_get_file);
        fs_get_one(x, words[i], local);
    }
    fs_pool_end(x);
    return x->failures ? 1 : 0;
}

static int fs_cat(fs_ctx *x, const char **words, int n)
{
    for (int i = 0; i < n; i++) {
        char err[1024];
        client_opts o = fs_opts(x, words[i]);
        o.output = "-";
        o.progress = false;
        if (!client_read(&o, err, sizeof err))
            fs_fail(x, words[i], err);
    }
    return x->failures ? 1 : 0;
}

static int fs_append(fs_ctx *x, const char **words, int n)
{
    if (n != 2) {
        fprintf(stderr, "minidfs append: expected LOCAL|- PATH\n");
        return 2;
    }
    char err[1024];
    bool ok;
    if (!strcmp(words[0], "-")) {
        ok = fs_append_stdin(x, words[1], err, sizeof err);
    } else {
        client_opts o = fs_opts(x, words[1]);
        o.input = words[0];
        ok = client_append(&o, err, sizeof err);
    }
    if (!ok)
        fs_fail(x, words[1], err);
    return x->failures ? 1 : 0;
}

typedef struct {
    const char *name;
    int (*run)(fs_ctx *x, const char **words, int n);
    int min_words;
    const char *usage;
} fs_command;

static const fs_command fs_commands[] = {
    { "ls", fs_ls, 0, "ls [-l] [-R] [-h] [--json] [PATH...]   list directories (default /)" },
    { "mkdir", fs_mkdir, 1, "mkdir [-p] PATH...                    make directories" },
    { "put", fs_put, 2, "put [-r] [-f] LOCAL... DEST            upload (\"-\": standard input)" },
    { "get", fs_get_cmd, 2, "get [-r] [-f] SRC... LOCALDEST         download (\"-\": standard output)" },
    { "cat", fs_cat, 1, "cat PATH...                           write files to standard output" },
    { "mv", fs_mv, 2, "mv [-f] SRC DEST                      move or rename (-f: replace DEST)" },
    { "rm", fs_rm, 1, "rm [-r] PATH...                       remove (-r: directories too)" },
    { "stat", fs_stat_cmd, 1, "stat [-h] [--json] PATH...            one entry's facts" },
    { "du", fs_du, 1, "du [-s] [-h] PATH...                  bytes, stored bytes, files beneath" },
    { "append", fs_append, 2, "append LOCAL|- PATH                   add bytes at the end (all or none)" },
};

bool fs_is_command(const char *name)
{
    for (size_t i = 0; i < sizeof fs_commands / sizeof *fs_commands; i++)
        if (!strcmp(fs_commands[i].name, name))
            return true;
    return false;
}

void fs_usage(FILE *out)
{
    for (size_t i = 0; i < sizeof fs_commands / sizeof *fs_commands; i++)
        fprintf(out, "  minidfs %s\n", fs_commands[i].usage);
}

int fs_main(int argc, char **argv)
{
    const fs_command *c = NULL;
    for (size_t i = 0; i < sizeof fs_commands / sizeof *fs_commands; i++)
        if (!strcmp(fs_commands[i].name, argv[0]))
            c = &fs_commands[i];
    if (!c)
        return 2;
    fs_ctx x = { .cmd = c->name, .files_at_once = 16 };
    bool stats = false;
    int64_t started = monotime_ms();
    pthread_mutex_init(&x.mu, NULL);
    client_connect_opts co = client_connect_defaults();
    const flag_def defs[] = {
        CLIENT_CONNECT_FLAGS(co, "a secure master's user token (default: $MINIDFS_TOKEN)"),
        { "replication", FLAG_INT, &x.replication, 0, PROTO_MAX_REPLICATION, "N",
          "put: copies of each chunk (0: the master's)" },
        { "quiet", FLAG_BOOL, &x.quiet, 0, 0, NULL, "no progress line" },
        { "stats", FLAG_BOOL, &stats, 0, 0, NULL,
          "at the end, one line on stderr: bytes, chunks, retries, MB/s" },
        { "files-at-once", FLAG_INT, &x.files_at_once, 1, 64, "N",
          "put -r, get -r: files in flight (default 16)" },
        { "json", FLAG_BOOL, &x.json, 0, 0, NULL, "ls, stat: JSON for scripts" },
        { "l", FLAG_BOOL, &x.l, 0, 0, NULL, "ls: mode, replication, owner, group, size, date" },
        { "R", FLAG_BOOL, &x.R, 0, 0, NULL, "ls: the directories beneath too" },
        { "h", FLAG_BOOL, &x.h, 0, 0, NULL, "sizes as 1.5K, 2.0M..." },
        { "p", FLAG_BOOL, &x.p, 0, 0, NULL, "mkdir: the missing parents too; no error if it exists" },
        { "r", FLAG_BOOL, &x.r, 0, 0, NULL, "rm, put, get: whole trees" },
        { "f", FLAG_BOOL, &x.f, 0, 0, NULL, "put, get, mv: replace what is there" },
        { "s", FLAG_BOOL, &x.s, 0, 0, NULL, "du: one summary line" },
    };
    const size_t ndefs = sizeof defs / sizeof *defs;
    char **flagv = calloc((size_t)argc + 1, sizeof *flagv);
    const char **words = calloc(FS_MAX_WORDS, sizeof *words);
    if (!flagv || !words) {
        free(flagv);
        free(words);
        return 1;
    }
    int nwords = 0;
    int nflag = client_split_args(argc, argv, defs, ndefs, words, FS_MAX_WORDS, &nwords, flagv);
    char usage[512];
    snprintf(usage, sizeof usage, "usage: minidfs %s\n\nExit status: 0 on success, 1 when an "
             "operation failed, 2 on a usage error.", c->usage);
    int rc = flags_run(c->name, usage, defs, ndefs, nflag, flagv);
    free(flagv);
    if (rc < 0 && nwords > FS_MAX_WORDS) {
        fprintf(stderr, "minidfs %s: at most %d paths at once\n", c->name, FS_MAX_WORDS);
        rc = 2;
    }
    if (rc < 0 && nwords < c->min_words) {
        fprintf(stderr, "usage: minidfs %s\n", c->usage);
        rc = 2;
    }
    if (rc >= 0) {
        free(words);
        return rc;
    }
    char base[512];
    if ((rc = client_connect(c->name, &co, base, sizeof base)) != 0) {
        free(words);
        return rc;
    }
    x.master = base;
    rc = c->run(&x, words, nwords);
    if (stats)
        transfer_print_stats(c->name, started);
    if (fflush(stdout) != 0 && rc == 0) {
        fprintf(stderr, "minidfs %s: cannot write to standard output: %s\n", c->name,
                strerror(errno));
        rc = 1;
    }
    curl_global_cleanup();
    free(words);
    return rc;
}
