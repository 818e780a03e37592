/*
 * connect.h - what every command that talks to a master sets up first:
 * its words and flags apart, the four flags that say how to reach the
 * master (--master, --token-file, --ca-file, --retry-ms), then the
 * master's base URL (the first of an HA cluster's list, which masterapi
 * is given whole), the user's token, TLS (on exactly when the master is
 * https://), the retry budget. One place, so `client`, `admin` and the
 * file commands cannot drift apart.
 */
#ifndef MINIDFS_CONNECT_H
#define MINIDFS_CONNECT_H

#include <stddef.h>

#include "flags.h"

typedef struct {
    const char *master_url;   /* as given (--master, $MINIDFS_MASTER or the default) */
    const char *token_file;   /* NULL: $MINIDFS_TOKEN, or none */
    const char *ca_file;      /* NULL: the system's CAs (https:// only) */
    long long retry_ms;
} client_connect_opts;

/* The options before any flag: $MINIDFS_MASTER (else
 * http://localhost:8000/), the default retry budget. */
client_connect_opts client_connect_defaults(void);

/* The four flag rows (flags.h) every such command takes, filling o, a
 * client_connect_opts; token_help says whose token the command wants. */
#define CLIENT_CONNECT_FLAGS(o, token_help)                                                   \
    { "master", FLAG_STRING, &(o).master_url, 0, 0, "URL[,URL...]",                           \
      "the master's address, or every master of an HA cluster, comma-separated (default: "   \
      "$MINIDFS_MASTER, else http://localhost:8000/)" },                                      \
    { "token-file", FLAG_STRING, &(o).token_file, 0, 0, "PATH", token_help },                 \
    { "ca-file", FLAG_STRING, &(o).ca_file, 0, 0, "PEM",                                      \
      "with an https:// --master: the CA certificates servers are checked against "          \
      "(default: the system's)" },                                                            \
    { "retry-ms", FLAG_INT, &(o).retry_ms, 0, 3600000, "MS",                                  \
      "how long to keep trying while the master is unreachable or says to wait (a restart, " \
      "safe mode)" }

/* Checks the options and sets the process up to talk to the master;
 * base receives its base URL. Returns 0, or 2 (a usage error) after one
 * line on stderr that starts with "minidfs PROG: ". The caller ends with
 * curl_global_cleanup(). */
int client_connect(const char *prog, const client_connect_opts *o, char *base, size_t baselen);

/* Splits argv into words (up to maxwords kept; *nwords counts them all)
 * and flags (into flagv, argv[0] first, for flags_run): `minidfs admin
 * token list --master URL` and `minidfs admin --master URL token list`
 * mean the same. Returns the number of entries in flagv. */
int client_split_args(int argc, char **argv, const flag_def *defs, size_t ndefs,
                      const char **words, int maxwords, int *nwords, char **flagv);

#endif
