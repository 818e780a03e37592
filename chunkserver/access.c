/*
 * access.c - the checks of access.h. Owns nothing but reads the cluster key
 * and the replay window of the chunkserver; must never let a request
 * through on a secure chunkserver without a capability or signature made
 * with the key for exactly that request.
 */
#include "access.h"

#include <stdio.h>

#include "protocol.h"

static bool access_refused(auth_status st, const char *method, const char *target,
                           unsigned *status, char *msg, size_t msglen)
{
    *status = auth_http_status(st);
    snprintf(msg, msglen, "%s %.200s refused: %s (this chunkserver is secure: ask the master "
             "for the chunk)", method, target, auth_status_text(st));
    return false;
}

bool access_server(chunkserver *cs, struct MHD_Connection *c, const char *method,
                   const char *target, const char *body_sha, unsigned *status, char *msg,
                   size_t msglen)
{
    if (!cs->key)
        return true;
    const char *sig = MHD_lookup_connection_value(c, MHD_HEADER_KIND, AUTH_HEADER);
    auth_status st = auth_verify(cs->key, cs->seen, method, target, body_sha, sig, auth_now_ms());
    return st == AUTH_OK || access_refused(st, method, target, status, msg, msglen);
}

bool access_chunk(chunkserver *cs, struct MHD_Connection *c, const char *method,
                  const char *target, char op, const char *id, const char *cap,
                  unsigned *status, char *msg, size_t msglen)
{
    if (!cs->key)
        return true;
    if (!cap && MHD_lookup_connection_value(c, MHD_HEADER_KIND, AUTH_HEADER))
        return access_server(cs, c, method, target, AUTH_STREAMED, status, msg, msglen);
    auth_status st = auth_cap_check(cs->key, op, id, cap, auth_now_ms());
    return st == AUTH_OK || access_refused(st, method, target, status, msg, msglen);
}
