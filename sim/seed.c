/*
 * seed.c - a master's meta-dir holding the layout's files, written with
 * the master's own code: each file goes into a namespace as the record a
 * checkpoint would hold (namespace_apply), and the journal then writes
 * that namespace as its first checkpoint. A master started on the
 * directory recovers it as it would its own, and learns where the chunks
 * are from the simulated servers' reports, as after any restart. Must
 * never write into a directory that already holds a journal.
 */
#include "sim.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "journal.h"
#include "namespace.h"
#include "record.h"

static bool sim_seed_ignore(void *ud, json_t *rec, char *err, size_t errlen)
{
    (void)ud;
    (void)rec;
    snprintf(err, errlen, "the directory already holds a journal");
    return false;
}

static bool sim_seed_dump(void *ud, void *sink)
{
    return record_checkpoint(ud, sink);
}

static bool sim_seed_empty(const char *dir, char *err, size_t errlen)
{
    DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT;
    struct dirent *e;
    bool empty = true;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            empty = false;
    closedir(d);
    if (!empty)
        snprintf(err, errlen, "%s is not empty: seed a new directory", dir);
    return empty;
}

bool sim_seed(const sim_shape *s, const char *meta_dir, char *err, size_t errlen)
{
    if (!sim_seed_empty(meta_dir, err, errlen)) {
        if (!err[0])
            snprintf(err, errlen, "%s: %s", meta_dir, strerror(errno));
        return false;
    }
    ns_table *ns = namespace_new();
    record_chunk *chunks = calloc(s->chunks_per_file, sizeof *chunks);
    if (!ns || !chunks) {
        snprintf(err, errlen, "out of memory");
        namespace_free(ns);
        free(chunks);
        return false;
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t now_ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
    bool ok = true;
    for (uint64_t i = 0; ok && i < s->files; i++) {
        char path[64];
        sim_layout_path(i, path, sizeof path);
        /* every chunk full and stored, at the file's generation (i + 1) */
        for (uint32_t k = 0; k < s->chunks_per_file; k++)
            chunks[k] = (record_chunk){ .index = k, .version = i + 1, .stored = true };
        record r = { .kind = RECORD_FILE, .name = path, .gen = i + 1, .time_ms = now_ms,
                     .size = s->chunk_size * s->chunks_per_file, .chunk_size = s->chunk_size,
                     .replication = s->replication, .has_slots = true,
                     .slots = s->chunks_per_file, .has_committed = true,
                     .committed = s->chunks_per_file, .nchunks = s->chunks_per_file,
                     .chunks = chunks };
        ok = namespace_apply(ns, &r);
        if (!ok)
            snprintf(err, errlen, "file %s was refused by the namespace", path);
    }
    free(chunks);
    if (ok) {
        record c = { .kind = RECORD_COUNTER, .version = s->files + 1 };
        ok = namespace_apply(ns, &c);
    }
    journal_replayer rp = { .apply = sim_seed_ignore };
    journal_recovery rec;
    journal *j = ok ? journal_open(meta_dir, &rp, &rec, err, errlen) : NULL;
    ok = j && journal_checkpoint(j, sim_seed_dump, ns, err, errlen);
    journal_close(j);
    namespace_free(ns);
    return ok;
}
