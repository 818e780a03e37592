/*
 * client_main.c - `minidfs client`: parses flags, runs one action, and
 * turns its outcome into an exit status and at most one line on stderr
 * (and, with --stats, one more: what it moved, and how fast).
 */
#include <curl/curl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "connect.h"
#include "escape.h"
#include "flags.h"
#include "masterapi.h"
#include "monotime.h"
#include "protocol.h"
#include "transfer.h"

static const char client_usage[] =
    "usage: minidfs client --master http://HOST:PORT/ --action ACTION [flags]\n\n"
    "Actions:\n"
    "  write   upload --filename (read from --input, default the same path)\n"
    "  append  add --input's bytes at the end of --filename (all or none)\n"
    "  read    download --filename into --output-filename (\"-\": stdout)\n"
    "  list    list the files the master knows\n"
    "  delete  delete --filename\n"
    "  chmod   set --filename's mode bits to --mode (octal, like 640)\n"
    "  chown   give --filename to --owner USER[:GROUP] (or :GROUP)\n\n"
    "A secure master wants a user's token: --token-file, or MINIDFS_TOKEN.\n"
    "Exit status: 0 on success, 1 when the action failed, 2 on a usage error.";

/* libcurl allocates each transfer's receive and send buffers (512 KiB and
 * 1 MiB here) anew and frees them when the transfer ends. By default glibc
 * gives such blocks back to the kernel (munmap, or trimming the heap), so
 * the next chunk's buffer is fresh memory that faults in page by page: at
 * 1 MB chunks that was 80 faults a chunk and a third of a download's time
 * on a VM where a new page is a trip to the host. Serving blocks up to
 * 4 MiB from the heap and keeping up to 32 MiB of freed heap lets every
 * transfer reuse the pages the last one left. What is kept is at most
 * what was in use at once, so memory stays bounded. */
static void client_tune_malloc(void)
{
    mallopt(M_MMAP_THRESHOLD, 4 << 20);
    mallopt(M_TRIM_THRESHOLD, 32 << 20);
}

int client_main(int argc, char **argv)
{
    client_connect_opts co = client_connect_defaults();
    const char *action = NULL, *filename = NULL;
    const char *output = NULL, *input = NULL, *mode = NULL, *owner = NULL;
    bool overwrite = false, quiet = false, stats = false;
    int64_t started = monotime_ms();
    long long parallel = 0, replication = 0;
    const flag_def defs[] = {
        CLIENT_CONNECT_FLAGS(co, "a secure master's user token (default: $MINIDFS_TOKEN)"),
        { "action", FLAG_STRING, &action, 0, 0, "ACTION",
          "write, append, read, list, delete, chmod or chown" },
        { "filename", FLAG_STRING, &filename, 0, 0, "NAME", "the file's name in minidfs" },
        { "output-filename", FLAG_STRING, &output, 0, 0, "PATH",
          "read: where to write (\"-\": stdout; default: the file name's last part)" },
        { "input", FLAG_STRING, &input, 0, 0, "PATH", "write, append: local file to upload" },
        { "overwrite", FLAG_BOOL, &overwrite, 0, 0, NULL, "write: replace an existing file" },
        { "replication", FLAG_INT, &replication, 0, PROTO_MAX_REPLICATION, "N",
          "write: copies of each chunk (0: the master's --replication)" },
        { "parallel", FLAG_INT, &parallel, 0, 64, "N",
          "chunks transferred at once (0: about 32 MiB in flight, 4 to 32 chunks)" },
        { "quiet", FLAG_BOOL, &quiet, 0, 0, NULL, "no progress line" },
        { "stats", FLAG_BOOL, &stats, 0, 0, NULL,
          "at the end, one line on stderr: bytes, chunks, retries, MB/s" },
        { "mode", FLAG_STRING, &mode, 0, 0, "OCTAL", "chmod: the new mode bits" },
        { "owner", FLAG_STRING, &owner, 0, 0, "USER[:GROUP]", "chown: the new owner and group" },
    };
    const size_t ndefs = sizeof defs / sizeof defs[0];
    int rc = flags_run("client", client_usage, defs, ndefs, argc, argv);
    if (rc >= 0)
        return rc;
    client_tune_malloc();
    if (!action) {
        fprintf(stderr, "minidfs client: --action is required (write, append, read, list, delete, "
                        "chmod or chown)\n");
        return 2;
    }
    bool (*run)(const client_opts *, char *, size_t) = NULL;
    bool needs_name = true;
    if (!strcmp(action, "write"))
        run = client_write;
    else if (!strcmp(action, "append"))
        run = client_append;
    else if (!strcmp(action, "read"))
        run = client_read;
    else if (!strcmp(action, "delete"))
        run = client_delete;
    else if (!strcmp(action, "chmod"))
        run = client_chmod;
    else if (!strcmp(action, "chown"))
        run = client_chown;
    else if (!strcmp(action, "list")) {
        run = client_list;
        needs_name = false;
    } else {
        fprintf(stderr, "minidfs client: unknown action \"%s\" (write, append, read, list, "
                        "delete, chmod or chown)\n", action);
        return 2;
    }
    if (needs_name && (!filename || !filename[0])) {
        fprintf(stderr, "minidfs client: --action %s needs --filename\n", action);
        return 2;
    }
    if (!output && filename) {
        const char *slash = strrchr(filename, '/');
        output = slash && slash[1] ? slash + 1 : filename;
    }
    char err[1024], master[512];
    if ((rc = client_connect("client", &co, master, sizeof master)) != 0)
        return rc;
    client_opts o = {
        .master = master,
        .filename = filename,
        .input = input,
        .output = output,
        .overwrite = overwrite,
        .replication = (unsigned)replication,
        .progress = !quiet && isatty(STDERR_FILENO),
        .parallel = (int)parallel,
        .mode = mode,
        .owner = owner,
    };
    bool ok = run(&o, err, sizeof err);
    if (stats)
        transfer_print_stats("client", started);
    curl_global_cleanup();
    if (!ok) {
        /* The name and the message may hold anything a user or a master
         * put there: one line, with nothing a terminal acts on. */
        char name[1024], msg[2048];
        escape_text(filename ? filename : "", name, sizeof name);
        escape_text(err, msg, sizeof msg);
        fprintf(stderr, "minidfs client: %s %s: %s\n", action, name, msg);
        return 1;
    }
    return 0;
}
