/*
 * nscheck.c - the checkpoint round trip and a name lookup for tests (see
 * nscheck.h). Holds every record of a dump in memory: for tests only.
 */
#include "nscheck.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char **v;
    size_t n, cap;
    bool ok;
} nscheck_lines;

static bool nscheck_collect(void *sink, const record *r)
{
    nscheck_lines *l = sink;
    json_t *rec = record_encode(r);
    char *s = rec ? json_dumps(rec, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(rec);
    if (!s || (l->n == l->cap && !(l->v = realloc(l->v, (l->cap = l->cap ? 2 * l->cap : 64) *
                                                            sizeof *l->v)))) {
        free(s);
        l->ok = false;
        return false;
    }
    l->v[l->n++] = s;
    return true;
}

static int nscheck_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void nscheck_free(nscheck_lines *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
}

bool nscheck_roundtrip(ns_table *ns, char *err, size_t errlen)
{
    nscheck_lines a = { .ok = true }, b = { .ok = true };
    ns_table *copy = namespace_new();
    bool ok = copy && namespace_dump(ns, nscheck_collect, &a) && a.ok;
    if (!ok)
        snprintf(err, errlen, "cannot dump the namespace");
    for (size_t i = 0; ok && i < a.n; i++) {
        json_t *rec = json_loads(a.v[i], 0, NULL);
        char why[256] = "";
        ok = rec && record_replay(copy, rec, why, sizeof why);
        json_decref(rec);
        if (!ok)
            snprintf(err, errlen, "record %zu does not replay (%s): %.300s", i, why, a.v[i]);
    }
    if (ok && !(namespace_dump(copy, nscheck_collect, &b) && b.ok)) {
        snprintf(err, errlen, "cannot dump the replayed namespace");
        ok = false;
    }
    if (ok) {
        qsort(a.v, a.n, sizeof *a.v, nscheck_cmp);
        qsort(b.v, b.n, sizeof *b.v, nscheck_cmp);
        for (size_t i = 0; ok && i < a.n && i < b.n; i++)
            if (strcmp(a.v[i], b.v[i]) != 0) {
                snprintf(err, errlen, "replayed record differs:\n  %.300s\n  %.300s", a.v[i],
                         b.v[i]);
                ok = false;
            }
        if (ok && a.n != b.n) {
            snprintf(err, errlen, "%zu records dumped, %zu after the replay", a.n, b.n);
            ok = false;
        }
    }
    nscheck_free(&a);
    nscheck_free(&b);
    namespace_free(copy);
    return ok;
}

void nscheck_grab(const ns_file *f, void *ud)
{
    *(const ns_file **)ud = f;
}

const ns_file *nscheck_lookup(ns_table *ns, const char *name)
{
    char id[FILEID_LEN + 1];
    const ns_file *f = NULL;
    if (fileid_of_name(name, id))
        namespace_with_file(ns, id, nscheck_grab, &f);
    return f;
}
