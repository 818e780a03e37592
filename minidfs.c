/*
 * minidfs.c - the git-style front door: `minidfs master|chunkserver|client|admin
 * [flags]` runs the named program, exactly as its own executable would
 * (`minidfs fsck` is the admin's check of the files);
 * `minidfs ls|mkdir|put|get|cat|mv|rm|stat|du|append` are the file commands.
 */
#include <stdio.h>
#include <string.h>

#include "chunkserver.h"
#include "client.h"
#include "flags.h"
#include "master.h"

static const char minidfs_usage[] =
    "usage: minidfs <command> [flags]\n\n"
    "Commands:\n"
    "  master       run the master (namespace and chunk placement)\n"
    "  chunkserver  run a chunkserver (stores chunks in a directory)\n"
    "  client       write, read, list or delete files\n"
    "  admin        the cluster's report, decommissioning, users and tokens, HA status\n"
    "  fsck         check every file under a path against the master's view\n\n"
    "File commands (the master: --master URL, $MINIDFS_MASTER, or http://localhost:8000/):\n";

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
        !strcmp(argv[1], "help")) {
        FILE *out = argc < 2 ? stderr : stdout;
        fputs(minidfs_usage, out);
        fs_usage(out);
        fputs("\nRun `minidfs <command> --help` for a command's flags.\n", out);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
        printf("minidfs %s\n", flags_version());
        return 0;
    }
    if (!strcmp(argv[1], "master"))
        return master_main(argc - 1, argv + 1);
    if (!strcmp(argv[1], "chunkserver"))
        return chunkserver_main(argc - 1, argv + 1);
    if (!strcmp(argv[1], "client"))
        return client_main(argc - 1, argv + 1);
    if (!strcmp(argv[1], "admin"))
        return admin_main(argc - 1, argv + 1);
    if (!strcmp(argv[1], "fsck"))
        return fsck_main(argc - 1, argv + 1);
    if (fs_is_command(argv[1]))
        return fs_main(argc - 1, argv + 1);
    fprintf(stderr, "minidfs: unknown command \"%s\" (master, chunkserver, client, admin, or a "
                    "file command; see minidfs --help)\n", argv[1]);
    return 2;
}
