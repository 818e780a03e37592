/*
 * auth.c - the cluster key on disk, request signatures (HMAC-SHA-256 by
 * OpenSSL) and the replay window. Owns the table of nonces seen, one
 * mutex over it. Must never compare a MAC but in constant time, never
 * accept a signature without its timestamp and nonce checked, and never
 * let a flood of nonces grow memory: the table has a fixed size, and a
 * full one refuses (503) rather than forgets.
 */
#include "auth.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define AUTH_REPLAY_SLOTS (1u << 17)   /* 2 MiB: 1,000 servers at 1 Hz over the window, twice */

int64_t auth_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool auth_key_create(const char *path, auth_key *out, char *err, size_t errlen)
{
    if (getrandom(out->k, sizeof out->k, 0) != (ssize_t)sizeof out->k) {
        snprintf(err, errlen, "no randomness for a key: %s", strerror(errno));
        return false;
    }
    char hex[2 * AUTH_KEY_LEN + 2];
    for (size_t i = 0; i < AUTH_KEY_LEN; i++)
        snprintf(hex + 2 * i, 3, "%02x", out->k[i]);
    hex[2 * AUTH_KEY_LEN] = '\n';
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
        return false;
    }
    bool ok = write(fd, hex, 2 * AUTH_KEY_LEN + 1) == 2 * AUTH_KEY_LEN + 1 && fsync(fd) == 0;
    int e = errno;
    close(fd);
    if (!ok) {
        unlink(path);
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(e));
    }
    return ok;
}

static int auth_hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

bool auth_key_load(const char *path, auth_key *out, char *err, size_t errlen)
{
    return auth_secret_load(path, "key file", out, err, errlen);
}

bool auth_secret_load(const char *path, const char *what, auth_key *out, char *err,
                      size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open %s %s: %s", what, path, strerror(errno));
        return false;
    }
    struct stat st;
    char buf[2 * AUTH_KEY_LEN + 2];
    ssize_t n = fstat(fd, &st) == 0 ? read(fd, buf, sizeof buf) : -1;
    close(fd);
    if (n < 0) {
        snprintf(err, errlen, "cannot read %s %s: %s", what, path, strerror(errno));
        return false;
    }
    if (st.st_mode & 077) {
        snprintf(err, errlen, "%s %s may be read by others (mode %03o): chmod 600 it", what,
                 path, (unsigned)(st.st_mode & 0777));
        return false;
    }
    bool ok = n == 2 * AUTH_KEY_LEN || (n == 2 * AUTH_KEY_LEN + 1 && buf[n - 1] == '\n');
    for (size_t i = 0; ok && i < AUTH_KEY_LEN; i++) {
        int hi = auth_hexval(buf[2 * i]), lo = auth_hexval(buf[2 * i + 1]);
        ok = hi >= 0 && lo >= 0;
        out->k[i] = (uint8_t)(hi << 4 | lo);
    }
    if (!ok)
        snprintf(err, errlen, "%s %s does not hold 64 lowercase hex digits", what, path);
    return ok;
}

/* The MAC of one request, in hex. */
static bool auth_mac(const auth_key *k, const char *method, const char *target,
                     const char *body_sha, int64_t ts, const char *nonce,
                     char out[SHA256_HEX_LEN + 1])
{
    char msg[8192];
    int n = snprintf(msg, sizeof msg, "minidfs-auth-v1\n%s\n%s\n%" PRId64 "\n%s\n%s", method,
                     target, ts, nonce, body_sha);
    if (n < 0 || (size_t)n >= sizeof msg)
        return false;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    if (!HMAC(EVP_sha256(), k->k, sizeof k->k, (const unsigned char *)msg, (size_t)n, md, &len) ||
        len != SHA256_LEN)
        return false;
    sha256_to_hex(md, out);
    return true;
}

bool auth_sign(const auth_key *k, const char *method, const char *target, const char *body_sha,
               int64_t now_ms, char out[AUTH_VALUE_MAX])
{
    uint64_t r;
    if (getrandom(&r, sizeof r, 0) != (ssize_t)sizeof r)
        return false;
    char nonce[17], mac[SHA256_HEX_LEN + 1];
    snprintf(nonce, sizeof nonce, "%016" PRIx64, r);
    if (!auth_mac(k, method, target, body_sha, now_ms, nonce, mac))
        return false;
    snprintf(out, AUTH_VALUE_MAX, "v1 %" PRId64 " %s %s", now_ms, nonce, mac);
    return true;
}

bool auth_value_nonce(const char *value, char out[17])
{
    char ver[4], mac[SHA256_HEX_LEN + 1];
    long long ts;
    return value && strlen(value) < AUTH_VALUE_MAX &&
           sscanf(value, "%3s %lld %16s %64s", ver, &ts, out, mac) == 4 && strlen(out) == 16;
}

unsigned auth_http_status(auth_status st)
{
    static const unsigned http[] = {
        [AUTH_OK] = 200,        [AUTH_MISSING] = 401, [AUTH_MALFORMED] = 401,
        [AUTH_BAD_MAC] = 401,   [AUTH_STALE] = 401,   [AUTH_REPLAYED] = 401,
        [AUTH_BUSY] = 503,      [AUTH_FORBIDDEN] = 403,
    };
    return (unsigned)st < sizeof http / sizeof *http ? http[st] : 500;
}

const char *auth_status_text(auth_status st)
{
    static const char *text[] = {
        [AUTH_OK] = "signed",
        [AUTH_MISSING] = "not signed with the cluster key (" AUTH_HEADER " missing)",
        [AUTH_MALFORMED] = "a malformed " AUTH_HEADER " header",
        [AUTH_BAD_MAC] = "signed with another key, or altered on the way",
        [AUTH_STALE] = "out of date: a signature 30 s off our clock, or an expired capability",
        [AUTH_REPLAYED] = "a replay of a request already served",
        [AUTH_BUSY] = "too many signed requests at once; retry",
        [AUTH_FORBIDDEN] = "its capability is for another chunk or operation",
    };
    return (unsigned)st < sizeof text / sizeof *text ? text[st] : "unknown";
}

/* ---- capabilities ---- */

static bool auth_cap_mac(const auth_key *k, char op, const char *chunk_id, int64_t expiry_ms,
                         char out[SHA256_HEX_LEN + 1])
{
    char msg[256];
    int n = snprintf(msg, sizeof msg, "minidfs-cap-v1\n%c\n%s\n%" PRId64, op, chunk_id,
                     expiry_ms);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    if (n < 0 || (size_t)n >= sizeof msg ||
        !HMAC(EVP_sha256(), k->k, sizeof k->k, (const unsigned char *)msg, (size_t)n, md, &len) ||
        len != SHA256_LEN)
        return false;
    sha256_to_hex(md, out);
    return true;
}

bool auth_cap_make(const auth_key *k, char op, const char *chunk_id, int64_t expiry_ms,
                   char out[AUTH_CAP_MAX])
{
    char mac[SHA256_HEX_LEN + 1];
    if (!auth_cap_mac(k, op, chunk_id, expiry_ms, mac))
        return false;
    snprintf(out, AUTH_CAP_MAX, "%c%" PRId64 ".%s", op, expiry_ms, mac);
    return true;
}

auth_status auth_cap_check(const auth_key *k, char op, const char *chunk_id, const char *cap,
                           int64_t now_ms)
{
    if (!cap)
        return AUTH_MISSING;
    const char *dot = strchr(cap, '.');
    char *end;
    if (strlen(cap) >= AUTH_CAP_MAX || (cap[0] != AUTH_CAP_READ && cap[0] != AUTH_CAP_WRITE) ||
        !dot || dot == cap + 1 || cap[1] < '0' || cap[1] > '9' || strlen(dot + 1) != SHA256_HEX_LEN)
        return AUTH_MALFORMED;
    long long expiry = strtoll(cap + 1, &end, 10);
    if (end != dot || expiry <= 0)
        return AUTH_MALFORMED;
    char want[SHA256_HEX_LEN + 1];
    if (!auth_cap_mac(k, cap[0], chunk_id, expiry, want))
        return AUTH_MALFORMED;
    if (CRYPTO_memcmp(want, dot + 1, SHA256_HEX_LEN) != 0 || cap[0] != op)
        return AUTH_FORBIDDEN;
    return expiry < now_ms ? AUTH_STALE : AUTH_OK;
}

/* ---- the replay window ---- */

typedef struct {
    uint64_t nonce;
    int64_t ts;   /* 0: empty */
} auth_seen;

struct auth_replay {
    pthread_mutex_t mu;
    auth_seen *slots;
};

auth_replay *auth_replay_new(void)
{
    auth_replay *r = calloc(1, sizeof *r);
    if (r && !(r->slots = calloc(AUTH_REPLAY_SLOTS, sizeof *r->slots))) {
        free(r);
        return NULL;
    }
    if (r)
        pthread_mutex_init(&r->mu, NULL);
    return r;
}

void auth_replay_free(auth_replay *r)
{
    if (!r)
        return;
    pthread_mutex_destroy(&r->mu);
    free(r->slots);
    free(r);
}

/* Records nonce (of time ts); AUTH_REPLAYED if it is there already. An
 * entry older than the window is free again, so a probe finds room unless
 * the table really holds that many live nonces. */
static auth_status auth_remember(auth_replay *r, uint64_t nonce, int64_t ts, int64_t now_ms)
{
    size_t mask = AUTH_REPLAY_SLOTS - 1, i = (size_t)(nonce * 0x9e3779b97f4a7c15ull) & mask;
    auth_status st = AUTH_BUSY;
    pthread_mutex_lock(&r->mu);
    int64_t free_slot = -1;
    for (size_t probe = 0; probe < 64; probe++, i = (i + 1) & mask) {
        auth_seen *s = &r->slots[i];
        bool expired = s->ts == 0 || s->ts < now_ms - 2 * AUTH_SKEW_MS;
        if (!expired && s->nonce == nonce) {
            st = AUTH_REPLAYED;
            break;
        }
        if (expired && free_slot < 0)
            free_slot = (int64_t)i;
        if (s->ts == 0)
            break;   /* the chain ends: the nonce is not further on */
    }
    if (st != AUTH_REPLAYED && free_slot >= 0) {
        r->slots[free_slot] = (auth_seen){ .nonce = nonce, .ts = ts > 0 ? ts : 1 };
        st = AUTH_OK;
    }
    pthread_mutex_unlock(&r->mu);
    return st;
}

auth_status auth_verify(const auth_key *k, auth_replay *seen, const char *method,
                        const char *target, const char *body_sha, const char *value,
                        int64_t now_ms)
{
    if (!value)
        return AUTH_MISSING;
    char ver[4], nonce[17], mac[SHA256_HEX_LEN + 1], want[SHA256_HEX_LEN + 1];
    long long ts;
    int used = 0;
    if (strlen(value) >= AUTH_VALUE_MAX ||
        sscanf(value, "%3s %lld %16s %64s%n", ver, &ts, nonce, mac, &used) != 4 ||
        value[used] != '\0' || strcmp(ver, "v1") != 0 || strlen(nonce) != 16 ||
        strlen(mac) != SHA256_HEX_LEN || ts <= 0)
        return AUTH_MALFORMED;
    for (const char *p = nonce; *p; p++)
        if (auth_hexval(*p) < 0)
            return AUTH_MALFORMED;
    if (!auth_mac(k, method, target, body_sha, ts, nonce, want))
        return AUTH_MALFORMED;
    if (CRYPTO_memcmp(want, mac, SHA256_HEX_LEN) != 0)
        return AUTH_BAD_MAC;
    if (ts > now_ms + AUTH_SKEW_MS || ts < now_ms - AUTH_SKEW_MS)
        return AUTH_STALE;
    return seen ? auth_remember(seen, strtoull(nonce, NULL, 16), ts, now_ms) : AUTH_OK;
}
