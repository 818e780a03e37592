/*
 * sha256.c - wraps OpenSSL EVP so nobody else touches EVP_MD_CTX. Holds no
 * global state; every stream is owned by its caller and used by one thread
 * at a time.
 */
#include "sha256.h"

#include <openssl/evp.h>
#include <stdlib.h>

struct sha256_stream {
    EVP_MD_CTX *ctx;
};

void sha256_to_hex(const unsigned char md[SHA256_LEN], char out[SHA256_HEX_LEN + 1])
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        out[2 * i] = digits[md[i] >> 4];
        out[2 * i + 1] = digits[md[i] & 15];
    }
    out[SHA256_HEX_LEN] = '\0';
}

sha256_stream *sha256_stream_new(void)
{
    sha256_stream *s = malloc(sizeof *s);
    if (!s)
        return NULL;
    s->ctx = EVP_MD_CTX_new();
    if (!s->ctx || EVP_DigestInit_ex(s->ctx, EVP_sha256(), NULL) != 1) {
        sha256_stream_free(s);
        return NULL;
    }
    return s;
}

bool sha256_stream_update(sha256_stream *s, const void *data, size_t len)
{
    return EVP_DigestUpdate(s->ctx, data, len) == 1;
}

bool sha256_from_hex(const char *hex, unsigned char md[SHA256_LEN])
{
    for (int i = 0; i < SHA256_HEX_LEN; i++) {
        char c = hex[i];
        int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (v < 0)
            return false;
        if (i % 2 == 0)
            md[i / 2] = (unsigned char)(v << 4);
        else
            md[i / 2] |= (unsigned char)v;
    }
    return hex[SHA256_HEX_LEN] == '\0';
}

bool sha256_stream_final_hex(sha256_stream *s, char out[SHA256_HEX_LEN + 1])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (EVP_DigestFinal_ex(s->ctx, md, &mdlen) != 1 || mdlen != 32)
        return false;
    sha256_to_hex(md, out);
    return true;
}

void sha256_stream_free(sha256_stream *s)
{
    if (!s)
        return;
    EVP_MD_CTX_free(s->ctx);
    free(s);
}

bool sha256_hex(const void *data, size_t len, char out[SHA256_HEX_LEN + 1])
{
    sha256_stream *s = sha256_stream_new();
    bool ok = s && sha256_stream_update(s, data, len) && sha256_stream_final_hex(s, out);
    sha256_stream_free(s);
    return ok;
}
