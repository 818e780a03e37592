/*
 * api_impl.h - what the master's HTTP API files share: the route tables
 * (api_client.c, api_chunkserver.c, api_admin.c, api_tree.c, api_ha.c) that
 * api.c dispatches on, and the checks and answers every handler uses.
 * Nothing outside those six (and the unit test of the tables) includes it.
 */
#ifndef MINIDFS_API_IMPL_H
#define MINIDFS_API_IMPL_H

#include <jansson.h>
#include <microhttpd.h>

#include "master.h"
#include "nspath.h"

/* How long a client or chunkserver told "not now" (503) waits. */
#define MASTER_RETRY_MS 1000

/* Who may send a route's requests to a secure master (an open master
 * takes anything from anyone). */
typedef enum {
    MASTER_USERS,     /* a user with a bearer token */
    MASTER_SUPER,     /* a superuser */
    MASTER_SERVERS,   /* a chunkserver, signed with the cluster key */
    MASTER_EITHER,    /* either: the handler tells them apart by who */
    MASTER_ANYONE,    /* anyone, with no token: liveness, nothing secret */
} master_access;

/* One endpoint: a path, a method (GET answers HEAD too), who may call it,
 * and its handler: with_json for a request whose body is a JSON object
 * (parsed and freed by the dispatcher), plain for one without a body, and
 * packed, besides with_json, for a body of PROTO_CONTENT_CHUNKPACK
 * (chunkpack.h; the raw bytes, bounded by PROTO_MAX_JSON_BODY). who is
 * the user a secure master's request comes from (NULL from a chunkserver,
 * or on an open master: nobody to check). */
typedef struct {
    const char *path;
    const char *method;
    master_access access;
    enum MHD_Result (*with_json)(master *m, struct MHD_Connection *c, const ns_who *who,
                                 json_t *req);
    enum MHD_Result (*plain)(master *m, struct MHD_Connection *c, const ns_who *who);
    enum MHD_Result (*packed)(master *m, struct MHD_Connection *c, const ns_who *who,
                              const char *body, size_t len);
} master_api_route;

/* What clients ask (api_client.c): files, plans, allocations, appends. */
extern const master_api_route master_api_client_routes[];
extern const size_t master_api_client_nroutes;
/* What chunkservers say, and what anyone says about them
 * (api_chunkserver.c): registration and heartbeats, reports, bad copies,
 * unreachable servers. */
extern const master_api_route master_api_chunkserver_routes[];
extern const size_t master_api_chunkserver_nroutes;
/* Users and permissions (api_admin.c): tokens, whoami, chmod and chown. */
extern const master_api_route master_api_admin_routes[];
extern const size_t master_api_admin_nroutes;
/* The directory tree (api_tree.c): ls, stat, mkdir, rename, du. */
extern const master_api_route master_api_tree_routes[];
extern const size_t master_api_tree_nroutes;
/* High availability (api_ha.c): status, checkpoints for joining masters. */
extern const master_api_route master_api_ha_routes[];
extern const size_t master_api_ha_nroutes;

/* A file's layout as /get answers it (api_client.c): its chunks from
 * from on (count of them; UINT64_MAX: all, an unpaged answer), each with
 * its replicas, live ones first and the lead turned by turn. Called under
 * the namespace's lock (namespace_with_file, a listing); sets status to
 * 200 with out, or to a 409 (incomplete, every copy rotten), 503 (safe
 * mode, a chunk with no reported copy yet) or 400 with err. */
typedef struct {
    master *m;
    int64_t now;
    uint64_t turn;           /* this answer's rotation of the live replicas */
    uint64_t from, count;    /* the page of chunks wanted (count UINT64_MAX: all) */
    bool safe;               /* the master is in safe mode */
    /* Not NULL: a whole file (from 0, count UINT64_MAX) of more than a
     * page is not described but sized up here, and out left NULL, for
     * the answer to be streamed (api_client.c). */
    struct master_get_probe *big;
    json_t *out;
    unsigned status;
    char err[256];
} master_get_ctx;
void master_api_describe(const ns_file *f, void *ud);
/* Adds a secure master's read capabilities to a layout, one per chunk;
 * after the namespace's lock is released (nothing on an open master). */
void master_api_capabilities(master *m, json_t *layout);

/* A query parameter that must be a non-negative integer up to max
 * (absent: *out left as it is, unless required); false with a 400 queued. */
bool master_api_query_uint(struct MHD_Connection *c, const char *key, uint64_t max,
                           bool required, uint64_t *out, enum MHD_Result *ret);

/* What operators ask (api_ops.c): metrics, health, report, fsck,
 * decommission. */
extern const master_api_route master_api_ops_routes[];
extern const size_t master_api_ops_nroutes;

/* The dashboard's files (ui.c): true with the answer queued when url is
 * one of them. */
bool master_api_ui(master *m, struct MHD_Connection *c, const char *url, enum MHD_Result *ret);

/* The route of method on url in any table (GET's serves HEAD too), or
 * NULL with allowed (allowedlen > 0) set to the methods url does have,
 * "GET, DELETE", or "" when it has none (a 404, not a 405). */
const master_api_route *master_api_find(const char *url, const char *method, char *allowed,
                                        size_t allowedlen);

/* The answer to a request the namespace refused with NS_FORBIDDEN or
 * NS_NOT_FOUND over a permission check (perm.h), naming what and why. */
enum MHD_Result master_api_refused(struct MHD_Connection *c, ns_status st, const ns_who *who,
                                   const char *name, const char *what);
/* Checks who may do want (perm.h) to the file readers see under fileid;
 * false with a 403 (or 404) queued in *ret. */
bool master_api_may(master *m, struct MHD_Connection *c, const ns_who *who, const char *fileid,
                    const char *name, unsigned want, enum MHD_Result *ret);

/* Normalises the path a request names (nspath.h) into out; false with a
 * 400 queued in *ret that says why (what: "file name", "path"...). */
bool master_api_path(struct MHD_Connection *c, const char *what, const char *in,
                     char out[NSPATH_MAX + 1], enum MHD_Result *ret);
/* The answer to a namespace operation on path that ended in st (not
 * NS_OK), worded for a person: what is the operation ("remove"...). */
enum MHD_Result master_api_ns_error(struct MHD_Connection *c, ns_status st, const ns_who *who,
                                    const char *path, const char *what);

/* The 503 of a request whose change could not be made durable. */
enum MHD_Result master_api_not_durable(master *m, struct MHD_Connection *c);

/* A batch request: the array req[key] (1 to PROTO_MAX_BATCH items), each
 * item run through fn, the single request's handler, as if it had come
 * alone (with req's fields named in shared, a NULL-ended list, copied
 * into it first). Answers 200 {key: [one answer per item, in order]} plus
 * the fields of extra (taken; NULL: none): an item's answer is what fn
 * would have answered, with "status" added when that is not 200. Every
 * item's change is made durable by one journal sync before the batch
 * answers (a 503 for all of them if it fails). */
typedef enum MHD_Result (*master_api_item_fn)(master *m, struct MHD_Connection *c,
                                              const ns_who *who, json_t *item);
enum MHD_Result master_api_batch(master *m, struct MHD_Connection *c, const ns_who *who,
                                 json_t *req, const char *key, const char *const *shared,
                                 master_api_item_fn fn, json_t *extra);

/* Liveness as the namespace asks for it: the registry at one moment. */
typedef struct {
    master *m;
    int64_t now;
    json_t *files;
} master_list_ctx;
bool master_api_is_live(void *ud, uint16_t server);

/* The registered chunkserver a request names in its string field key (an
 * address, canonical as at registration), of this cluster: its registry
 * index, or -1 with an error answer queued in *ret (400 for a missing or
 * malformed field, unknown_status when it is not registered). Its
 * last-seen time is left alone: only its own heartbeat says it is alive. */
int master_api_known_server(master *m, struct MHD_Connection *c, json_t *req, const char *key,
                            unsigned unknown_status, char addr[PROTO_MAX_SERVER_ADDR],
                            enum MHD_Result *ret);
/* A chunkserver's message that names its cluster must name ours (a master
 * without a cluster id, the stdio node, takes any). False with a 409
 * queued in *ret otherwise. who: the sender, for the message. */
bool master_api_same_cluster(master *m, struct MHD_Connection *c, json_t *req, const char *who,
                             enum MHD_Result *ret);
/* Logs a refusal a chunkserver repeats with every heartbeat, at most once
 * in a while. */
void master_api_log_refusal(const char *msg);
/* Hands the outbox what the namespace left behind inside other changes. */
void master_api_drain_doomed(master *m);

#endif
