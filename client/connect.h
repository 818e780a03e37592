/*
 * connect.h - what every command that talks to a master sets up first
 * (its words and flags apart, then):
 * the master's base URL, the user's token, TLS (on exactly when the
 * master is https://), the retry budget. One place, so `client`, `admin`
 * and the file commands cannot drift apart.
 */
#ifndef MINIDFS_CONNECT_H
#define MINIDFS_CONNECT_H

#include <stddef.h>

#include "flags.h"

typedef struct {
    const char *master_url;   /* as given (--master, $MINIDFS_MASTER or the default) */
    const char *token_file;   /* NULL: $MINIDFS_TOKEN, or none */
    const char *ca_file;      /* NULL: the system's CAs (https:// only) */
    long retry_ms;
} client_connect_opts;

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
