/*
 * secure.h - the master's side of a secure cluster: the cluster key and the
 * first admin token in its meta-dir, and the check of every signed
 * server-to-server request (auth.h). A master without --secure whose
 * meta-dir holds no key runs open, and says so at every start.
 */
#ifndef MINIDFS_SECURE_H
#define MINIDFS_SECURE_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>

#include "auth.h"

typedef struct {
    bool on;              /* the cluster is secure: chunkservers must sign */
    bool implied;         /* by a key in the meta-dir, not by --secure */
    auth_key key;
    auth_replay *seen;
} secure_state;

/* With want (--secure), creates cluster.key and admin.token in dir unless
 * they are there; a dir that holds a key is secure whatever want says (an
 * operator's slip must not open a secure cluster). False with err set when
 * a key cannot be made or read. */
bool secure_open(secure_state *s, const char *dir, bool want, char *err, size_t errlen);
/* Says at a start whether the cluster is open (loudly) or secure, and why;
 * once the master listens, so a start that fails says only why. */
void secure_announce(const secure_state *s, const char *dir);
void secure_close(secure_state *s);

/* On a secure master, checks the request's signature (over method, url,
 * and the SHA-256 of its body); false with the refusal queued in *ret.
 * An open master lets everything through. */
bool secure_check_server(secure_state *s, struct MHD_Connection *c, const char *method,
                         const char *url, const char *body, size_t len, enum MHD_Result *ret);

#endif
