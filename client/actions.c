/*
 * actions.c - what each --action does, from the user's point of view:
 * write, append, read, list, delete. Owns the local files it opens. A read never
 * leaves a half-written output file: it downloads into a temporary file
 * beside the target and renames it into place only when every chunk has
 * arrived whole.
 */
#include "client.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jsonf.h"
#include "masterapi.h"
#include "protocol.h"
#include "transfer.h"

/* The local file a write or append reads (--input, else --filename): a
 * regular file, open; -1 with err set otherwise. */
static int client_open_input(const client_opts *o, struct stat *sb, char *err, size_t errlen)
{
    const char *path = o->input ? o->input : o->filename;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    if (fstat(fd, sb) != 0 || !S_ISREG(sb->st_mode)) {
        snprintf(err, errlen, "%s is not a regular file", path);
        close(fd);
        return -1;
    }
    posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    return fd;
}

bool client_write(const client_opts *o, char *err, size_t errlen)
{
    struct stat sb;
    int fd = client_open_input(o, &sb, err, errlen);
    if (fd < 0)
        return false;
    client_layout L;
    bool ok = masterapi_plan_upload(o->master, o->filename, (uint64_t)sb.st_size, o->overwrite,
                                    o->replication, &L, err, errlen);
    if (ok) {
        progress p;
        progress_start(&p, o->progress, "write", o->filename, L.file_size);
        transfer_opts t = { .master = o->master, .upload = true, .fd = fd, .parallel = o->parallel, .prog = &p };
        ok = transfer_run(&t, &L, err, errlen);
        progress_end(&p, ok, L.file_size);
        client_layout_free(&L);
    }
    close(fd);
    if (!ok)
        return false;
    /* Every chunkserver answered only after the master recorded its chunk,
     * so the file must now be complete; check rather than assume. */
    if (!masterapi_locate(o->master, o->filename, &L, err, errlen))
        return false;
    if (L.file_size != (uint64_t)sb.st_size) {
        snprintf(err, errlen, "master reports %" PRIu64 " bytes after the upload, expected %lld",
                 L.file_size, (long long)sb.st_size);
        client_layout_free(&L);
        return false;
    }
    client_layout_free(&L);
    return true;
}

bool client_append(const client_opts *o, char *err, size_t errlen)
{
    struct stat sb;
    int fd = client_open_input(o, &sb, err, errlen);
    if (fd < 0)
        return false;
    if (sb.st_size == 0) {   /* nothing to add */
        close(fd);
        return true;
    }
    client_layout L;
    uint64_t token;
    bool ok = masterapi_append_begin(o->master, o->filename, (uint64_t)sb.st_size, &L, &token,
                                     err, errlen);
    if (ok) {
        progress p;
        progress_start(&p, o->progress, "append", o->filename, L.file_size);
        transfer_opts t = { .master = o->master, .upload = true, .fd = fd, .parallel = o->parallel,
                            .prog = &p };
        ok = transfer_run(&t, &L, err, errlen);
        /* All of it or none: the master commits the new size only now. */
        if (ok)
            ok = masterapi_append_end(o->master, o->filename, token, false, err, errlen);
        else {
            char ignored[256];
            masterapi_append_end(o->master, o->filename, token, true, ignored, sizeof ignored);
        }
        progress_end(&p, ok, L.file_size);
        client_layout_free(&L);
    }
    close(fd);
    return ok;
}

static int client_temp_beside(const char *target, char *tmp, size_t tmplen)
{
    char *copy1 = strdup(target), *copy2 = strdup(target);
    int fd = -1;
    if (copy1 && copy2) {
        snprintf(tmp, tmplen, "%s/.%s.minidfs-XXXXXX", dirname(copy1), basename(copy2));
        fd = mkostemp(tmp, O_CLOEXEC);
    }
    free(copy1);
    free(copy2);
    return fd;
}

bool client_read(const client_opts *o, char *err, size_t errlen)
{
    client_layout L;
    if (!masterapi_locate(o->master, o->filename, &L, err, errlen))
        return false;
    const char *out = o->output;
    bool to_stdout = strcmp(out, "-") == 0;
    char tmp[4096] = "";
    int fd;
    struct stat sb;
    if (to_stdout) {
        fd = STDOUT_FILENO;
    } else {
        fd = client_temp_beside(out, tmp, sizeof tmp);
        if (fd < 0) {
            snprintf(err, errlen, "cannot create a file beside %s: %s", out, strerror(errno));
            client_layout_free(&L);
            return false;
        }
        mode_t mask = umask(0);
        umask(mask);
        fchmod(fd, 0666 & ~mask);
        if (ftruncate(fd, (off_t)L.file_size) != 0) {
            snprintf(err, errlen, "cannot size %s: %s", tmp, strerror(errno));
            goto fail;
        }
    }
    /* A pipe or terminal takes bytes in order only; a regular file (also
     * when it is our stdout) takes them at any offset. */
    bool stream = to_stdout && !(fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size == 0 &&
                                 lseek(fd, 0, SEEK_CUR) == 0);
    progress p;
    progress_start(&p, o->progress && !to_stdout, "read", o->filename, L.file_size);
    transfer_opts t = { .master = o->master, .upload = false, .fd = fd, .stream_out = stream, .parallel = o->parallel,
                        .prog = &p };
    bool ok = transfer_run(&t, &L, err, errlen);
    progress_end(&p, ok, L.file_size);
    if (!ok)
        goto fail;
    if (to_stdout) {
        if (!stream && ftruncate(fd, (off_t)L.file_size) != 0) {
            snprintf(err, errlen, "cannot size stdout: %s", strerror(errno));
            goto fail;
        }
        client_layout_free(&L);
        return true;
    }
    if (close(fd) != 0) {
        fd = -1;
        snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
        goto fail;
    }
    fd = -1;
    if (rename(tmp, out) != 0) {
        snprintf(err, errlen, "cannot rename %s to %s: %s", tmp, out, strerror(errno));
        goto fail;
    }
    client_layout_free(&L);
    return true;
fail:
    if (!to_stdout) {
        if (fd >= 0)
            close(fd);
        unlink(tmp);
    }
    client_layout_free(&L);
    return false;
}

bool client_list(const client_opts *o, char *err, size_t errlen)
{
    json_t *files;
    if (!masterapi_list(o->master, &files, err, errlen))
        return false;
    printf("%-40s %14s %8s %s\n", "NAME", "SIZE", "CHUNKS", "STATE");
    size_t i;
    json_t *f;
    json_array_foreach(files, i, f) {
        const char *name = json_string_value(json_object_get(f, PROTO_F_FILE_NAME));
        json_int_t size = json_integer_value(json_object_get(f, PROTO_F_FILE_SIZE));
        json_int_t chunks = json_integer_value(json_object_get(f, PROTO_F_NUM_CHUNKS));
        bool complete = json_is_true(json_object_get(f, PROTO_F_COMPLETE));
        printf("%-40s %14" JSON_INTEGER_FORMAT " %8" JSON_INTEGER_FORMAT " %s\n",
               name ? name : "?", size, chunks, complete ? "complete" : "incomplete");
    }
    json_decref(files);
    if (fflush(stdout) != 0) {
        snprintf(err, errlen, "cannot write to stdout: %s", strerror(errno));
        return false;
    }
    return true;
}

bool client_delete(const client_opts *o, char *err, size_t errlen)
{
    return masterapi_delete(o->master, o->filename, err, errlen);
}
