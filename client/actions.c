/*
 * actions.c - what each --action does, from the user's point of view:
 * write, append, read, list, delete, chmod, chown. Owns the local files
 * it opens. A write takes a plan put -r got in a batch, or asks for its
 * own. A read takes the layout get -r's listing carried, and asks the
 * master afresh once if that one fails (the listing may be out of date);
 * it never leaves a half-written output file: it downloads into
 * an unnamed file (a new target) or a temporary beside the target, and
 * links or renames it into place only when every chunk has arrived whole.
 * What is not a regular file (a device, a FIFO, stdout) is written in
 * place, never replaced; a symlink's target is replaced, not the link.
 * list says of a complete file what is true now: degraded, missing or
 * corrupt when the master says a chunk is short, copyless or rotten.
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

#include "escape.h"
#include "jsonf.h"
#include "log.h"
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

/* Moves every window of a file's chunks, the first one in L: each is
 * transferred, then the next asked for, so what the client holds stays
 * one window whatever the file's size. L is the caller's to free. */
static bool client_transfer_windows(const client_opts *o, const transfer_opts *t,
                                    client_layout *L, progress *p, char *err, size_t errlen)
{
    for (;;) {
        if (!transfer_run(t, L, err, errlen))
            return false;
        for (uint32_t k = 0; k < L->nchunks; k++)
            p->base += L->chunks[k].length;
        if (!masterapi_more(L))
            return true;
        client_layout next;
        bool ok = masterapi_next(o->master, o->filename, L, &next, err, errlen);
        client_layout_free(L);
        if (!ok)
            return false;
        *L = next;
    }
}

bool client_write(const client_opts *o, char *err, size_t errlen)
{
    struct stat sb;
    int fd = client_open_input(o, &sb, err, errlen);
    if (fd < 0)
        return false;
    client_layout L;
    /* Planned with others (put -r) for the size the file had then; one
     * that changed size since is planned again, replacing its own
     * unfinished plan (put -r's check then sees whether it kept still). */
    json_int_t planned = json_integer_value(json_object_get(o->plan, PROTO_F_FILE_SIZE));
    bool ok = o->plan && planned == (json_int_t)sb.st_size
                  ? masterapi_plan_known(o->plan, o->filename, (uint64_t)sb.st_size, &L, err,
                                         errlen)
                  : masterapi_plan_upload(o->master, o->filename, (uint64_t)sb.st_size,
                                          o->overwrite || o->plan, o->replication, &L, err,
                                          errlen);
    if (ok) {
        progress p;
        progress_start(&p, o->progress, "write", o->filename, L.file_size);
        transfer_opts t = { .master = o->master, .upload = true, .fd = fd, .parallel = o->parallel, .prog = &p };
        uint64_t total = L.file_size;
        ok = client_transfer_windows(o, &t, &L, &p, err, errlen);
        progress_end(&p, ok, total);
        client_layout_free(&L);
    }
    close(fd);
    if (!ok || o->checked_later)
        return ok;
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
        uint64_t total = L.file_size;
        ok = client_transfer_windows(o, &t, &L, &p, err, errlen);
        /* All of it or none: the master commits the new size only now. */
        if (ok)
            ok = masterapi_append_end(o->master, o->filename, token, false, err, errlen);
        else {
            char ignored[256];
            masterapi_append_end(o->master, o->filename, token, true, ignored, sizeof ignored);
        }
        progress_end(&p, ok, total);
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

/* Where a read's bytes go. */
typedef struct {
    int fd;
    bool stream;             /* strictly in order (a pipe, a FIFO, a terminal) */
    bool in_place;           /* written where it is: stdout, a device, a FIFO */
    char target[4096];       /* a regular file: the path the temporary is renamed to */
    char tmp[4096];          /* ... and the temporary */
    bool unnamed;            /* a new file: fd has no name yet, linked in as target */
} client_output;

/* A new file, written without a name in target's directory (O_TMPFILE)
 * and linked in at the end: one directory entry made, where a named
 * temporary costs three operations on the directory (make it, then
 * rename it: remove and add), which a tree of small files pays per file.
 * -1 where the file system or a missing /proc (the link goes through it)
 * does not allow it. */
static int client_temp_unnamed(const char *target)
{
    if (access("/proc/self/fd", X_OK) != 0)
        return -1;
    char *copy = strdup(target);
    int fd = copy ? open(dirname(copy), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666) : -1;
    free(copy);
    return fd;
}

/* Opens the output of a read. A regular file is written as a temporary
 * beside it and renamed into place at the end, a new one as an unnamed
 * file linked in at the end (never over a file made meanwhile), so a
 * failed read leaves nothing behind or the file as it was; a symlink is
 * followed, and its target (not the link) is what gets replaced, keeping
 * its mode; a dangling one is refused, as cp refuses to write through
 * it. Anything else - a device, a FIFO, stdout - is opened and written in
 * place: renaming over /dev/null would replace the device with a file. */
static bool client_open_output(const char *out, uint64_t size, client_output *o, char *err,
                               size_t errlen)
{
    memset(o, 0, sizeof *o);
    o->fd = -1;
    struct stat sb;
    if (strcmp(out, "-") == 0) {
        o->fd = STDOUT_FILENO;
        o->in_place = true;
        /* A pipe or terminal takes bytes in order only; a regular file
         * (also when it is our stdout) takes them at any offset. */
        o->stream = !(fstat(o->fd, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size == 0 &&
                      lseek(o->fd, 0, SEEK_CUR) == 0);
        return true;
    }
    snprintf(o->target, sizeof o->target, "%s", out);
    bool exists = lstat(out, &sb) == 0;
    if (!exists && errno != ENOENT) {
        snprintf(err, errlen, "cannot write %s: %s", out, strerror(errno));
        return false;
    }
    if (exists && S_ISLNK(sb.st_mode)) {
        char *real = realpath(out, NULL);
        if (!real || stat(real, &sb) != 0) {
            snprintf(err, errlen, "%s is a symbolic link to nothing that exists; not writing "
                     "through it", out);
            free(real);
            return false;
        }
        snprintf(o->target, sizeof o->target, "%s", real);
        free(real);
    }
    if (exists && S_ISDIR(sb.st_mode)) {
        snprintf(err, errlen, "%s is a directory", out);
        return false;
    }
    if (exists && !S_ISREG(sb.st_mode)) {
        o->fd = open(o->target, O_WRONLY | O_CLOEXEC | O_NOCTTY);
        if (o->fd < 0) {
            snprintf(err, errlen, "cannot open %s: %s", out, strerror(errno));
            return false;
        }
        o->in_place = true;
        o->stream = lseek(o->fd, 0, SEEK_CUR) < 0;   /* a FIFO: in order */
        return true;
    }
    if (!exists && (o->fd = client_temp_unnamed(o->target)) >= 0) {   /* umask applied */
        o->unnamed = true;
        if (ftruncate(o->fd, (off_t)size) != 0) {
            snprintf(err, errlen, "cannot size the new %s: %s", out, strerror(errno));
            close(o->fd);
            o->fd = -1;
            return false;
        }
        return true;
    }
    o->fd = client_temp_beside(o->target, o->tmp, sizeof o->tmp);
    if (o->fd < 0) {
        snprintf(err, errlen, "cannot create a file beside %s: %s", out, strerror(errno));
        return false;
    }
    mode_t mode;
    if (exists) {
        mode = sb.st_mode & 07777;   /* the file it replaces keeps its mode */
    } else {
        mode_t mask = umask(0);
        umask(mask);
        mode = 0666 & ~mask;
    }
    if (fchmod(o->fd, mode) != 0 || ftruncate(o->fd, (off_t)size) != 0) {
        snprintf(err, errlen, "cannot size %s: %s", o->tmp, strerror(errno));
        close(o->fd);
        unlink(o->tmp);
        o->fd = -1;
        return false;
    }
    return true;
}

/* Puts a finished output in place: a temporary is renamed over its
 * target; an output written in place is done (a regular stdout is cut to
 * the file's size). */
static bool client_close_output(client_output *o, uint64_t size, char *err, size_t errlen)
{
    if (o->in_place) {
        struct stat sb;
        if (!o->stream && fstat(o->fd, &sb) == 0 && S_ISREG(sb.st_mode) &&
            ftruncate(o->fd, (off_t)size) != 0) {
            snprintf(err, errlen, "cannot size stdout: %s", strerror(errno));
            return false;
        }
        if (o->fd != STDOUT_FILENO && close(o->fd) != 0) {
            o->fd = -1;
            snprintf(err, errlen, "cannot write %s: %s", o->target, strerror(errno));
            return false;
        }
        o->fd = -1;
        return true;
    }
    if (o->unnamed) {
        char proc[64];
        snprintf(proc, sizeof proc, "/proc/self/fd/%d", o->fd);
        int rc = linkat(AT_FDCWD, proc, AT_FDCWD, o->target, AT_SYMLINK_FOLLOW);
        int e = rc != 0 ? errno : 0;
        if (close(o->fd) != 0 && rc == 0) {   /* linked, but its bytes may not be all there */
            e = errno;
            unlink(o->target);
            rc = -1;
        }
        o->fd = -1;
        if (rc != 0 && e == EEXIST)
            snprintf(err, errlen, "%s was made by someone else while it was read; left as it "
                     "is", o->target);
        else if (rc != 0)
            snprintf(err, errlen, "cannot write %s: %s", o->target, strerror(e));
        return rc == 0;
    }
    int rc = close(o->fd);
    o->fd = -1;
    if (rc != 0) {
        snprintf(err, errlen, "cannot write %s: %s", o->tmp, strerror(errno));
        return false;
    }
    if (rename(o->tmp, o->target) != 0) {
        snprintf(err, errlen, "cannot rename %s to %s: %s", o->tmp, o->target, strerror(errno));
        return false;
    }
    o->tmp[0] = '\0';
    return true;
}

/* A failed read: the temporary goes, the target stays as it was. */
static void client_abandon_output(client_output *o)
{
    if (o->fd >= 0 && o->fd != STDOUT_FILENO)
        close(o->fd);
    o->fd = -1;
    if (o->tmp[0])
        unlink(o->tmp);
}

/* One read of o's file, by the layout o carries or else one asked for.
 * *again (may be NULL): set when the transfer failed, the output left as
 * it was, so that reading it afresh can do no harm. */
static bool client_read_once(const client_opts *o, bool *again, char *err, size_t errlen)
{
    client_layout L;
    if (o->layout ? !masterapi_locate_known(o->layout, o->filename, &L, err, errlen)
                  : !masterapi_locate(o->master, o->filename, &L, err, errlen))
        return false;
    client_output out;
    if (!client_open_output(o->output, L.file_size, &out, err, errlen)) {
        client_layout_free(&L);
        return false;
    }
    progress p;
    progress_start(&p, o->progress && out.fd != STDOUT_FILENO, "read", o->filename,
                   L.file_size);
    transfer_opts t = { .master = o->master, .upload = false, .fd = out.fd,
                        .stream_out = out.stream, .parallel = o->parallel, .prog = &p };
    uint64_t total = L.file_size;
    bool ok = client_transfer_windows(o, &t, &L, &p, err, errlen);
    progress_end(&p, ok, total);
    if (again)
        *again = !ok && !out.in_place;   /* in place: some bytes may be written */
    ok = ok && client_close_output(&out, total, err, errlen);
    if (!ok)
        client_abandon_output(&out);
    client_layout_free(&L);
    return ok;
}

bool client_read(const client_opts *o, char *err, size_t errlen)
{
    if (!o->layout)
        return client_read_once(o, NULL, err, errlen);
    /* A layout from a listing (get -r) is as old as the listing: the file
     * may have been overwritten since, its old chunks deleted. A transfer
     * that fails asks the master for the layout now, once. */
    bool again = false;
    if (client_read_once(o, &again, err, errlen))
        return true;
    if (!again)
        return false;
    client_opts fresh = *o;
    fresh.layout = NULL;
    log_debug("%s: reading by a fresh layout after: %s", o->filename, err);
    err[0] = '\0';
    return client_read_once(&fresh, NULL, err, errlen);
}

/* "rw-r-----" for 0640. */
static void client_mode_text(json_int_t mode, char out[10])
{
    static const char rwx[] = "rwxrwxrwx";
    for (int i = 0; i < 9; i++)
        out[i] = mode & (1 << (8 - i)) ? rwx[i] : '-';
    out[9] = '\0';
}

/* "owner:group", escaped (a master may send anything), or "-" for none. */
static void client_owner_text(json_t *f, char *out, size_t outlen)
{
    const char *owner = json_string_value(json_object_get(f, PROTO_F_OWNER));
    const char *group = json_string_value(json_object_get(f, PROTO_F_GROUP));
    char both[300];
    snprintf(both, sizeof both, "%.100s:%.100s", owner ? owner : "-", group ? group : "-");
    escape_text(owner || group ? both : "-", out, outlen);
}

bool client_list(const client_opts *o, char *err, size_t errlen)
{
    json_t *files;
    if (!masterapi_list(o->master, &files, err, errlen))
        return false;
    printf("%-40s %14s %8s %-11s %-9s %s\n", "NAME", "SIZE", "CHUNKS", "STATE", "MODE",
           "OWNER");
    size_t i;
    json_t *f;
    json_array_foreach(files, i, f) {
        const char *name = json_string_value(json_object_get(f, PROTO_F_FILE_NAME));
        json_int_t size = json_integer_value(json_object_get(f, PROTO_F_FILE_SIZE));
        json_int_t chunks = json_integer_value(json_object_get(f, PROTO_F_NUM_CHUNKS));
        bool complete = json_is_true(json_object_get(f, PROTO_F_COMPLETE));
        /* complete yet with no live copy of some chunk: missing (not
         * readable now); corrupt when a chunk's only copies failed their
         * checksum; degraded when a chunk is short of copies */
        json_int_t gone = json_integer_value(json_object_get(f, PROTO_F_UNAVAILABLE));
        json_int_t rotten = json_integer_value(json_object_get(f, PROTO_F_CORRUPT_CHUNKS));
        char shown[1024], owner[300];
        escape_text(name ? name : "?", shown, sizeof shown);   /* one row per file, always */
        client_owner_text(f, owner, sizeof owner);
        char mode[10];
        client_mode_text(json_integer_value(json_object_get(f, PROTO_F_MODE)), mode);
        json_int_t short_of = json_integer_value(json_object_get(f, PROTO_F_UNDER_REPLICATED));
        printf("%-40s %14" JSON_INTEGER_FORMAT " %8" JSON_INTEGER_FORMAT " %-11s %-9s %s\n",
               shown, size, chunks, !complete ? "incomplete" : rotten > 0 ? "corrupt"
                                              : gone > 0   ? "missing"
                                              : short_of > 0 ? "degraded"
                                                           : "complete", mode, owner);
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

/* POSTs body to one of the master's paths; true on a 2xx. */
static bool client_post(const client_opts *o, const char *path, json_t *body, char *err,
                        size_t errlen)
{
    json_t *doc = masterapi_post(o->master, path, body, err, errlen);
    json_decref(doc);
    return doc != NULL;
}

bool client_chmod(const client_opts *o, char *err, size_t errlen)
{
    const char *m = o->mode ? o->mode : "";
    char *end = NULL;
    long mode = m[0] >= '0' && m[0] <= '7' ? strtol(m, &end, 8) : -1;
    if (mode < 0 || mode > 0777 || !end || *end || strlen(m) > 4) {
        snprintf(err, errlen, "--mode must be octal permission bits, 000 to 777 (like 640)");
        return false;
    }
    return client_post(o, PROTO_PATH_CHMOD,
                       json_pack("{s:s,s:i}", PROTO_F_NAME, o->filename, PROTO_F_MODE, (int)mode),
                       err, errlen);
}

bool client_chown(const client_opts *o, char *err, size_t errlen)
{
    char owner[160];
    snprintf(owner, sizeof owner, "%s", o->owner ? o->owner : "");
    char *colon = strchr(owner, ':'), *group = NULL;
    if (colon) {
        *colon = '\0';
        group = colon + 1;
    }
    if (!owner[0] && (!group || !group[0])) {
        snprintf(err, errlen, "--owner must be USER, USER:GROUP or :GROUP");
        return false;
    }
    json_t *body = json_pack("{s:s}", PROTO_F_NAME, o->filename);
    if (body && owner[0])
        json_object_set_new(body, PROTO_F_OWNER, json_string(owner));
    if (body && group && group[0])
        json_object_set_new(body, PROTO_F_GROUP, json_string(group));
    return client_post(o, PROTO_PATH_CHOWN, body, err, errlen);
}
