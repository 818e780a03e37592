/*
 * tls.c - a server's certificate and key from PEM files (see tls.h).
 * Reads two small files once, bounded; never logs or copies the key
 * anywhere but the buffer it hands libmicrohttpd.
 */
#include "tls.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The whole of a PEM file as a string; private refuses one others may read. */
static char *tls_read(const char *path, const char *what, bool private, char *err,
                      size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        snprintf(err, errlen, "cannot open %s %s: %s", what, path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    if (private && (st.st_mode & 077)) {
        snprintf(err, errlen, "%s %s may be read by others (mode %03o): chmod 600 it", what, path,
                 (unsigned)(st.st_mode & 0777));
        close(fd);
        return NULL;
    }
    if (!S_ISREG(st.st_mode) || st.st_size <= 0 || (unsigned long long)st.st_size > TLS_PEM_MAX) {
        snprintf(err, errlen, "%s %s is not a PEM file of 1 byte to %u bytes", what, path,
                 TLS_PEM_MAX);
        close(fd);
        return NULL;
    }
    size_t n = (size_t)st.st_size, got = 0;
    char *buf = malloc(n + 1);
    while (buf && got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    if (!buf || got != n) {
        snprintf(err, errlen, "cannot read %s %s", what, path);
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    if (!strstr(buf, "-----BEGIN ")) {
        snprintf(err, errlen, "%s %s is not PEM (no -----BEGIN line)", what, path);
        free(buf);
        return NULL;
    }
    return buf;
}

bool tls_server_load(const char *cert_path, const char *key_path, tls_server *out, char *err,
                     size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (!cert_path && !key_path)
        return true;
    if (!cert_path || !key_path) {
        snprintf(err, errlen, "--tls-cert and --tls-key go together");
        return false;
    }
    if (!(out->cert = tls_read(cert_path, "certificate", false, err, errlen)) ||
        !(out->key = tls_read(key_path, "TLS key file", true, err, errlen))) {
        tls_server_free(out);
        return false;
    }
    return true;
}

void tls_server_free(tls_server *t)
{
    free(t->cert);
    if (t->key)
        memset(t->key, 0, strlen(t->key));
    free(t->key);
    memset(t, 0, sizeof *t);
}
