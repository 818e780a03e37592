/*
 * fuzz_journal.c - libFuzzer target: recovery from a log of any bytes. The
 * input is written as a meta directory's only log and the journal opened
 * on it: whatever it holds (torn frames, damaged checks, records of any
 * shape that pass them), opening must not crash, and a namespace it
 * recovers must replay from its own checkpoint. The directory it works in
 * is removed when the fuzzer exits.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "journal.h"
#include "namespace.h"
#include "nscheck.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char fuzz_dir[256];

static bool fuzz_apply(void *ud, json_t *rec, char *err, size_t errlen)
{
    return record_replay(ud, rec, err, errlen);
}

static void fuzz_reset(void *ud)
{
    namespace_clear(ud);
}

static void fuzz_empty_dir(void)
{
    DIR *d = opendir(fuzz_dir);
    struct dirent *de;
    char path[600];
    while (d && (de = readdir(d)) != NULL)
        if (de->d_name[0] != '.' || strcmp(de->d_name, ".lock") == 0) {
            snprintf(path, sizeof path, "%s/%s", fuzz_dir, de->d_name);
            unlink(path);
        }
    if (d)
        closedir(d);
}

static void fuzz_remove_dir(void)
{
    fuzz_empty_dir();
    rmdir(fuzz_dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!fuzz_dir[0]) {
        const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
        snprintf(fuzz_dir, sizeof fuzz_dir, "%s/minidfs-fuzz-journal-XXXXXX", base);
        if (!mkdtemp(fuzz_dir))
            abort();
        atexit(fuzz_remove_dir);
    }
    fuzz_empty_dir();
    char path[600];
    snprintf(path, sizeof path, "%s/log.1", fuzz_dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || write(fd, data, size) != (ssize_t)size || close(fd) != 0)
        abort();
    ns_table *ns = namespace_new();
    journal_recovery rec;
    char err[1024];
    /* as the master would, asked to recover: whatever the log holds, what
     * it keeps must be a namespace that replays from its own checkpoint */
    journal_replayer rp = { .apply = fuzz_apply, .reset = fuzz_reset, .ud = ns,
                            .recover = size % 2 == 0 };
    journal *j = journal_open(fuzz_dir, &rp, &rec, err, sizeof err);
    if (j) {
        if (!nscheck_roundtrip(ns, err, sizeof err)) {
            fprintf(stderr, "recovered namespace: %s\n", err);
            abort();
        }
        journal_close(j);
    }
    namespace_free(ns);
    return 0;
}
