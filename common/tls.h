/*
 * tls.h - TLS for every minidfs connection, when asked for: a server's
 * certificate and private key (PEM files, --tls-cert/--tls-key), read once
 * at start and handed to libmicrohttpd (GnuTLS underneath); the calling
 * side's choice of https and the CA it verifies peers with (--ca-file) is
 * httpc_set_tls's. A cluster is TLS all through or not at all: with TLS,
 * every server serves it and every caller asks for it.
 */
#ifndef MINIDFS_TLS_H
#define MINIDFS_TLS_H

#include <stdbool.h>
#include <stddef.h>

#define TLS_PEM_MAX (1u << 20)   /* bytes of a certificate chain or key file */

typedef struct {
    char *cert;   /* PEM text, NUL-terminated; NULL: no TLS */
    char *key;
} tls_server;

/* Reads the certificate chain and its key (both given, or neither: TLS
 * off). The key file must not be readable by others, as ssh wants of its
 * private keys. False with err set otherwise. */
bool tls_server_load(const char *cert_path, const char *key_path, tls_server *out, char *err,
                     size_t errlen);
void tls_server_free(tls_server *t);

#endif
