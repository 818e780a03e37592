/*
 * secure.h - the master's side of a secure cluster: the cluster key and the
 * first admin token in its meta-dir, the check of every signed
 * server-to-server request (auth.h), who a client's bearer token says it
 * is (the admin token, or a user of users.h), and the capabilities its
 * answers hand clients for each chunk. A master without --secure whose
 * meta-dir holds no key runs open, and says so at every start.
 */
#ifndef MINIDFS_SECURE_H
#define MINIDFS_SECURE_H

#include <jansson.h>
#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>

#include "auth.h"
#include "namespace.h"

typedef struct {
    bool on;              /* the cluster is secure: chunkservers must sign */
    bool implied;         /* by a key in the meta-dir, not by --secure */
    auth_key key;
    auth_replay *seen;
    uint8_t admin_sha[SHA256_LEN];   /* the digest admin.token's holder is known by */
    bool has_admin;                  /* ...when the meta-dir held (or got) one */
} secure_state;

/* With want (--secure), creates cluster.key and admin.token in dir unless
 * they are there (admin.token only with make_admin: a master of an HA
 * cluster that joins a running one takes the first superuser from the
 * log instead); a dir that holds a key is secure whatever want says (an
 * operator's slip must not open a secure cluster). False with err set when
 * a key cannot be made or read. */
bool secure_open(secure_state *s, const char *dir, bool want, bool make_admin, char *err,
                 size_t errlen);
/* Whether dir holds an admin.token this master read (its digest is in
 * s->admin_sha). */
bool secure_has_admin(const secure_state *s);
/* Says at a start whether the cluster is open (loudly) or secure, and why;
 * once the master listens, so a start that fails says only why. */
void secure_announce(const secure_state *s, const char *dir);
void secure_close(secure_state *s);

/* How long a capability the master hands out stays good. */
#define SECURE_CAP_MS (60LL * 60 * 1000)
/* On a secure master, sets obj's "capability" to one for op (AUTH_CAP_READ
 * or AUTH_CAP_WRITE) on chunk_id; an open master adds nothing. */
void secure_add_capability(const secure_state *s, json_t *obj, char op, const char *chunk_id);
/* The same as a JSON string (NULL on an open master). */
json_t *secure_capability(const secure_state *s, char op, const char *chunk_id);

/* On a secure master, checks the request's signature (over method, url,
 * and the SHA-256 of its body); false with the refusal queued in *ret.
 * An open master lets everything through. */
bool secure_check_server(secure_state *s, struct MHD_Connection *c, const char *method,
                         const char *url, const char *body, size_t len, enum MHD_Result *ret);

/* The header a client's token comes in: "Authorization: Bearer <token>". */
#define SECURE_BEARER "Bearer "
/* On a secure master, who the request's bearer token says its sender is
 * (admin.token's holder is the superuser USERS_ADMIN); false with a 401
 * queued in *ret when it has none, or one that is not good (unknown,
 * revoked, expired). */
bool secure_who(const secure_state *s, ns_table *ns, struct MHD_Connection *c, ns_who *out,
                enum MHD_Result *ret);

#endif
