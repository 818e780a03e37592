/*
 * minidfs.c - the git-style front door: `minidfs master|chunkserver|client|admin
 * [flags]` runs the named program, exactly as its own executable would.
 */
#include <stdio.h>
#include <string.h>

#include "chunkserver.h"
#include "client.h"
#include "master.h"

static const char minidfs_usage[] =
    "usage: minidfs <command> [flags]\n\n"
    "Commands:\n"
    "  master       run the master (namespace and chunk placement)\n"
    "  chunkserver  run a chunkserver (stores chunks in a directory)\n"
    "  client       write, read, list or delete files\n"
    "  admin        a secure master's users and their tokens\n\n"
    "Run `minidfs <command> --help` for a command's flags.\n";

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
        !strcmp(argv[1], "help")) {
        fputs(minidfs_usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "master"))
        return master_main(argc - 1, argv + 1);
    if (!strcmp(argv[1], "chunkserver"))
        return chunkserver_main(argc - 1, argv + 1);
    if (!strcmp(argv[1], "client"))
        return client_main(argc - 1, argv + 1);
    if (!strcmp(argv[1], "admin"))
        return admin_main(argc - 1, argv + 1);
    fprintf(stderr, "minidfs: unknown command \"%s\" (master, chunkserver, client or admin; see "
                    "minidfs --help)\n", argv[1]);
    return 2;
}
