/*
 * connect.c - the setup every master-facing command shares (connect.h):
 * the connection options' defaults, splits its words from its flags,
 * parses the master's address (or an HA cluster's list of them), finds
 * the token, switches TLS on for an
 * https:// master (and refuses a CA file that would go unused with
 * http://). Owns process-wide state only through httpc, addr and
 * masterapi's setters; must never print more than one line.
 */
#include "connect.h"

#include <stdlib.h>

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "httpc.h"
#include "log.h"
#include "masterapi.h"
#include "token.h"

client_connect_opts client_connect_defaults(void)
{
    const char *env = getenv("MINIDFS_MASTER");
    return (client_connect_opts){ .master_url = env && env[0] ? env : "http://localhost:8000/",
                                  .retry_ms = MASTERAPI_DEFAULT_RETRY_MS };
}

int client_connect(const char *prog, const client_connect_opts *o, char *base, size_t baselen)
{
    char err[1024], token[TOKEN_LEN + 1], list[512 * ADDR_MAX_MASTERS];
    if (!addr_master_list(o->master_url, list, sizeof list, err, sizeof err)) {
        fprintf(stderr, "minidfs %s: --master: %s\n", prog, err);
        return 2;
    }
    size_t first = strcspn(list, ",");
    if (first >= baselen) {
        fprintf(stderr, "minidfs %s: --master: an address too long\n", prog);
        return 2;
    }
    memcpy(base, list, first);
    base[first] = '\0';
    if (!token_find(o->token_file, token, err, sizeof err)) {
        fprintf(stderr, "minidfs %s: %s\n", prog, err);
        return 2;
    }
    bool tls = strncmp(base, "https://", 8) == 0;
    if (o->ca_file && !tls) {
        fprintf(stderr, "minidfs %s: --ca-file needs an https:// --master (this one would go "
                        "in the clear)\n", prog);
        return 2;
    }
    log_init(prog, LOGL_WARN);
    httpc_global_init();
    httpc_set_tls(tls, o->ca_file);
    addr_use_tls(tls);
    masterapi_set_retry((long)o->retry_ms);
    masterapi_set_masters(list);
    masterapi_set_token(token);
    return 0;
}

/* Splits argv into the words (what to do) and the flags, wherever they
 * stand: `minidfs admin --master URL token list` and `minidfs admin token
 * list --master URL` mean the same; "-" is a word. A flag that takes a value takes the
 * next argument unless it says --flag=value. */
int client_split_args(int argc, char **argv, const flag_def *defs, size_t ndefs,
                       const char **words, int maxwords, int *nwords, char **flagv)
{
    int nflag = 1;
    flagv[0] = argv[0];
    *nwords = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-' || !a[1]) {   /* "-": standard input or output, a word */
            if (*nwords < maxwords)
                words[*nwords] = a;
            (*nwords)++;
            continue;
        }
        flagv[nflag++] = argv[i];
        const char *name = a + (a[1] == '-' ? 2 : 1);
        if (strchr(name, '='))
            continue;
        for (size_t k = 0; k < ndefs; k++)
            if (!strcmp(defs[k].name, name) && defs[k].type != FLAG_BOOL && i + 1 < argc)
                flagv[nflag++] = argv[++i];
    }
    return nflag;
}

