/*
 * record.c - the journal's record codec: every record kind, its fields,
 * and how it is written, read and replayed. Owns the schema (below, and
 * nowhere else); must never touch the namespace itself except through the
 * apply column of the table, nor do I/O.
 *
 * One JSON object per record; "op" names the kind:
 *   format  {v}                        a checkpoint's format: 2 (first in
 *                                      each; a checkpoint without one is 1)
 *   create  {path, gen, size, cs, rep, t, mt?, data?|slash?, own?, over?, owner?, group?, mode?}
 *             a file was created at a normalised path with generation gen,
 *             at wall-clock ms t (an older incarnation there goes; missing
 *             directories above it are made, the file's owner's, 0755);
 *             the identifier its chunks carry: absent, the path's
 *             (nspath_id); slash: true, the path's with its '/'
 *             (nspath_id_slashed), as it was asked for; data: any other,
 *             with own a data identifier (an overwrite's, or one whose
 *             path's identifier a renamed file holds), which no path's
 *             identifier finds (before slash, data also spelt the slashed
 *             one out); over: as the
 *             replacement of the complete file at that path, which it takes
 *             over once a chunk record makes it complete (that record
 *             implies the switch, live and in replay); owner, group: names
 *             (absent: none, a file made on an open master); mode: the
 *             permission bits, 0 to 0777 (absent: 0644); mt: last change.
 *             Format 1 wrote {name, ...} without path or t: an old name,
 *             normalised into a path as it is replayed
 *   delete  {id, gen, t?}              the file (its own identifier) of
 *                                      generation <= gen was removed, and a
 *                                      replacement under way with it
 *   dir     {path, gen, t, mt?, owner?, group?, mode?}
 *             a directory: made (mkdir; missing ones above it too), or,
 *             when it is there with that generation, its attributes
 *             (chmod, chown, checkpoints); mode up to 01777 (sticky)
 *   rename  {path, to, gen, t, replace?}
 *             the entry at path of generation gen moved to to (a file or an
 *             empty directory there goes with replace); chunk identifiers
 *             do not change
 *   rmtree  {path, gen, t}             the directory of generation gen at
 *                                      path went, with all beneath it
 *   chunk   {id, gen, i, v, stored, sha?, pending?}
 *             chunk i's version and stored state (sha: its SHA-256 in hex;
 *             pending: an append's new chunk, not the file's until the
 *             commit); i one past the end grows the file (allocation)
 *   commit  {id, gen, size, v, fill?: [i, sha]}
 *             an append's commit, whole: the new size, and the filled last
 *             chunk's new version and sum (a log cut inside it replays to
 *             the file before the append)
 *   size    {id, gen, size}            the new size, from before commits
 *                                      were one record (read, no longer written)
 *   file    {create's fields, n, nc, chunks: [[i, v, stored, sha|null], ...]}
 *             a whole file (checkpoints): n chunk slots, nc of them
 *             committed, and the chunks that differ from a fresh one
 *   counter {v}                        the version counter (versions only
 *                                      grow across restarts)
 *   cluster {id}                       the cluster's id: once, first in
 *                                      every checkpoint
 *   attr    {id, gen, owner?, group?, mode}
 *             chmod or chown of the file (its own identifier) of generation
 *             gen: owner and group as in create
 *   user    {name, group, super, tok, made, until}
 *             a user: the SHA-256 (hex) of its bearer token, never the
 *             token; made and until in wall-clock ms (until 0: no expiry);
 *             a user of that name before is replaced
 *   revoke  {name}                     the user's token is good no more
 *   drain   {server, on}               a chunkserver ("HOST:PORT/") decommissioned
 *                                      (on true) or recommissioned (false)
 * Integers are non-negative; identifiers are 64 lower-case hex digits.
 * Records are idempotent: replaying one the checkpoint already holds
 * changes nothing.
 */
#include "record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "append.h"
#include "journal.h"
#include "namespace.h"
#include "nspath.h"
#include "perm.h"
#include "drain.h"
#include "users.h"

#define RECORD_F_OP        "op"
#define RECORD_F_NAME      "name"
#define RECORD_F_GEN       "gen"
#define RECORD_F_SIZE      "size"
#define RECORD_F_CS        "cs"
#define RECORD_F_REP       "rep"
#define RECORD_F_DATA      "data"
#define RECORD_F_OVER      "over"
#define RECORD_F_ID        "id"
#define RECORD_F_INDEX     "i"
#define RECORD_F_VERSION   "v"
#define RECORD_F_STORED    "stored"
#define RECORD_F_SHA       "sha"
#define RECORD_F_PENDING   "pending"
#define RECORD_F_FILL      "fill"
#define RECORD_F_SLOTS     "n"
#define RECORD_F_COMMITTED "nc"
#define RECORD_F_CHUNKS    "chunks"
#define RECORD_F_OWNER     "owner"
#define RECORD_F_PATH      "path"
#define RECORD_F_OWN       "own"
#define RECORD_F_SLASH     "slash"
#define RECORD_F_TO        "to"
#define RECORD_F_TIME      "t"
#define RECORD_F_MTIME     "mt"
#define RECORD_F_REPLACE   "replace"
#define RECORD_F_GROUP     "group"
#define RECORD_F_MODE      "mode"
#define RECORD_F_SUPER     "super"
#define RECORD_F_TOKEN     "tok"
#define RECORD_F_MADE      "made"
#define RECORD_F_UNTIL     "until"
#define RECORD_F_SERVER    "server"
#define RECORD_F_ON        "on"

/* The longest user or group name a record may carry (users.h's limit). */
#define RECORD_MAX_PRINCIPAL 64

/* ---- field helpers ---- */

static void record_put_int(json_t *o, const char *key, uint64_t v)
{
    json_object_set_new(o, key, json_integer((json_int_t)v));
}

static void record_put_sha(json_t *o, const char *key, const uint8_t sha[SHA256_LEN])
{
    char hex[SHA256_HEX_LEN + 1];
    sha256_to_hex(sha, hex);
    json_object_set_new(o, key, json_string(hex));
}

static bool record_int(json_t *v, uint64_t *out)
{
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return false;
    *out = (uint64_t)json_integer_value(v);
    return true;
}

static bool record_get_int(json_t *in, const char *key, uint64_t *out)
{
    return record_int(json_object_get(in, key), out);
}

/* An optional integer: absent is fine (*has false), present must be one. */
static bool record_opt_int(json_t *in, const char *key, bool *has, uint64_t *out)
{
    json_t *v = json_object_get(in, key);
    *has = v != NULL;
    return !v || record_int(v, out);
}

static bool record_get_fileid(json_t *in, const char *key, char out[FILEID_LEN + 1])
{
    const char *s = json_string_value(json_object_get(in, key));
    if (!s || !fileid_valid(s))
        return false;
    memcpy(out, s, FILEID_LEN + 1);
    return true;
}

/* An optional principal name (a user or group): absent or a string of 1
 * to RECORD_MAX_PRINCIPAL bytes, copied to *out (NULL when absent). */
static bool record_opt_principal(json_t *in, const char *key, char **out)
{
    json_t *v = json_object_get(in, key);
    if (!v)
        return true;
    const char *s = json_string_value(v);
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > RECORD_MAX_PRINCIPAL)
        return false;
    return (*out = strdup(s)) != NULL;
}

static void record_put_attrs(const record *r, json_t *o)
{
    if (r->owner)
        json_object_set_new(o, RECORD_F_OWNER, json_string(r->owner));
    if (r->group)
        json_object_set_new(o, RECORD_F_GROUP, json_string(r->group));
    if (r->has_mode)
        record_put_int(o, RECORD_F_MODE, r->mode);
}

static bool record_get_attrs(json_t *in, record *r)
{
    return record_opt_principal(in, RECORD_F_OWNER, &r->owner) &&
           record_opt_principal(in, RECORD_F_GROUP, &r->group) &&
           record_opt_int(in, RECORD_F_MODE, &r->has_mode, &r->mode) && r->mode <= 0777;
}

/* A sum that is a string but not a SHA-256 reads as none, as it always has. */
static void record_get_sha(json_t *v, bool *has, uint8_t out[SHA256_LEN])
{
    const char *s = json_string_value(v);
    *has = s && sha256_from_hex(s, out);
}

/* ---- the kinds ---- */

/* A path field: a string of 1 to NSPATH_MAX bytes (what the namespace
 * checks further: normalised). */
static bool record_get_path(json_t *in, const char *key, char **out)
{
    const char *s = json_string_value(json_object_get(in, key));
    size_t n = s ? strlen(s) : 0;
    return n > 0 && n <= NSPATH_MAX && (*out = strdup(s)) != NULL;
}

static void record_put_times(const record *r, json_t *o)
{
    record_put_int(o, RECORD_F_TIME, r->time_ms);
    if (r->mtime_ms && r->mtime_ms != r->time_ms)
        record_put_int(o, RECORD_F_MTIME, r->mtime_ms);
}

static bool record_get_times(json_t *in, record *r)
{
    bool has;
    return record_opt_int(in, RECORD_F_TIME, &has, &r->time_ms) &&
           record_opt_int(in, RECORD_F_MTIME, &has, &r->mtime_ms);
}

static void record_encode_create(const record *r, json_t *o)
{
    json_object_set_new(o, r->old_name ? RECORD_F_NAME : RECORD_F_PATH,
                        json_string(r->name ? r->name : ""));
    record_put_times(r, o);
    record_put_int(o, RECORD_F_GEN, r->gen);
    record_put_int(o, RECORD_F_SIZE, r->size);
    record_put_int(o, RECORD_F_CS, r->chunk_size);
    record_put_int(o, RECORD_F_REP, r->replication);
    if (r->fileid[0])
        json_object_set_new(o, RECORD_F_DATA, json_string(r->fileid));
    else if (r->slashed)
        json_object_set_new(o, RECORD_F_SLASH, json_true());
    if (r->over)
        json_object_set_new(o, RECORD_F_OVER, json_true());
    if (r->own_id)
        json_object_set_new(o, RECORD_F_OWN, json_true());
    record_put_attrs(r, o);
}

static bool record_decode_create(json_t *in, record *r)
{
    const char *name = json_string_value(json_object_get(in, RECORD_F_PATH));
    if (!name) {   /* format 1: an old name */
        name = json_string_value(json_object_get(in, RECORD_F_NAME));
        r->old_name = true;
    }
    json_t *data = json_object_get(in, RECORD_F_DATA);
    if (!name || !record_get_times(in, r) || !record_get_int(in, RECORD_F_GEN, &r->gen) ||
        !record_get_int(in, RECORD_F_SIZE, &r->size) ||
        !record_get_int(in, RECORD_F_CS, &r->chunk_size) ||
        !record_get_int(in, RECORD_F_REP, &r->replication) || r->chunk_size == 0 ||
        (data && !record_get_fileid(in, RECORD_F_DATA, r->fileid)))
        return false;
    r->over = json_is_true(json_object_get(in, RECORD_F_OVER));
    r->own_id = json_is_true(json_object_get(in, RECORD_F_OWN));
    r->slashed = json_is_true(json_object_get(in, RECORD_F_SLASH));
    if (r->slashed && (data || r->own_id))
        return false;   /* one identifier, spelt one way */
    return record_get_attrs(in, r) && (r->name = strdup(name)) != NULL;
}

static void record_encode_gone(const record *r, json_t *o)
{
    json_object_set_new(o, RECORD_F_ID, json_string(r->fileid));
    record_put_int(o, RECORD_F_GEN, r->gen);
    if (r->time_ms)
        record_put_int(o, RECORD_F_TIME, r->time_ms);
}

static bool record_decode_gone(json_t *in, record *r)
{
    return record_get_fileid(in, RECORD_F_ID, r->fileid) &&
           record_get_int(in, RECORD_F_GEN, &r->gen) && record_get_times(in, r);
}

static void record_encode_format(const record *r, json_t *o)
{
    record_put_int(o, RECORD_F_VERSION, r->version);
}

static bool record_decode_format(json_t *in, record *r)
{
    return record_get_int(in, RECORD_F_VERSION, &r->version);
}

static bool record_apply_format(ns_table *ns, const record *r)
{
    (void)ns;
    return r->version >= 1 && r->version <= RECORD_FORMAT_VERSION;   /* newer: not ours to read */
}

static void record_encode_dir(const record *r, json_t *o)
{
    json_object_set_new(o, RECORD_F_PATH, json_string(r->name ? r->name : ""));
    record_put_int(o, RECORD_F_GEN, r->gen);
    record_put_times(r, o);
    record_put_attrs(r, o);
}

static bool record_decode_dir(json_t *in, record *r)
{
    return record_get_path(in, RECORD_F_PATH, &r->name) &&
           record_get_int(in, RECORD_F_GEN, &r->gen) && record_get_times(in, r) &&
           record_opt_principal(in, RECORD_F_OWNER, &r->owner) &&
           record_opt_principal(in, RECORD_F_GROUP, &r->group) &&
           record_opt_int(in, RECORD_F_MODE, &r->has_mode, &r->mode) && r->mode <= 01777;
}

static void record_encode_rename(const record *r, json_t *o)
{
    json_object_set_new(o, RECORD_F_PATH, json_string(r->name ? r->name : ""));
    json_object_set_new(o, RECORD_F_TO, json_string(r->to ? r->to : ""));
    record_put_int(o, RECORD_F_GEN, r->gen);
    record_put_int(o, RECORD_F_TIME, r->time_ms);
    if (r->replace)
        json_object_set_new(o, RECORD_F_REPLACE, json_true());
}

static bool record_decode_rename(json_t *in, record *r)
{
    r->replace = json_is_true(json_object_get(in, RECORD_F_REPLACE));
    return record_get_path(in, RECORD_F_PATH, &r->name) &&
           record_get_path(in, RECORD_F_TO, &r->to) &&
           record_get_int(in, RECORD_F_GEN, &r->gen) && record_get_times(in, r);
}

static void record_encode_rmtree(const record *r, json_t *o)
{
    json_object_set_new(o, RECORD_F_PATH, json_string(r->name ? r->name : ""));
    record_put_int(o, RECORD_F_GEN, r->gen);
    record_put_int(o, RECORD_F_TIME, r->time_ms);
}

static bool record_decode_rmtree(json_t *in, record *r)
{
    return record_get_path(in, RECORD_F_PATH, &r->name) &&
           record_get_int(in, RECORD_F_GEN, &r->gen) && record_get_times(in, r);
}

static void record_encode_chunk(const record *r, json_t *o)
{
    record_encode_gone(r, o);
    record_put_int(o, RECORD_F_INDEX, r->chunk.index);
    record_put_int(o, RECORD_F_VERSION, r->chunk.version);
    json_object_set_new(o, RECORD_F_STORED, json_boolean(r->chunk.stored));
    if (r->chunk.has_sha)
        record_put_sha(o, RECORD_F_SHA, r->chunk.sha);
    if (r->pending)
        json_object_set_new(o, RECORD_F_PENDING, json_true());
}

static bool record_decode_chunk(json_t *in, record *r)
{
    if (!record_decode_gone(in, r) || !record_get_int(in, RECORD_F_INDEX, &r->chunk.index) ||
        !record_get_int(in, RECORD_F_VERSION, &r->chunk.version))
        return false;
    r->chunk.stored = json_is_true(json_object_get(in, RECORD_F_STORED));
    record_get_sha(json_object_get(in, RECORD_F_SHA), &r->chunk.has_sha, r->chunk.sha);
    r->pending = json_is_true(json_object_get(in, RECORD_F_PENDING));
    return true;
}

static void record_encode_commit(const record *r, json_t *o)
{
    record_encode_gone(r, o);
    record_put_int(o, RECORD_F_SIZE, r->size);
    record_put_int(o, RECORD_F_VERSION, r->version);
    if (r->has_fill) {
        char hex[SHA256_HEX_LEN + 1];
        sha256_to_hex(r->fill_sha, hex);
        json_object_set_new(o, RECORD_F_FILL, json_pack("[I,s]", (json_int_t)r->fill_index, hex));
    }
}

static bool record_decode_commit(json_t *in, record *r)
{
    if (!record_decode_gone(in, r) || !record_get_int(in, RECORD_F_SIZE, &r->size) ||
        !record_get_int(in, RECORD_F_VERSION, &r->version))
        return false;
    json_t *fill = json_object_get(in, RECORD_F_FILL);
    if (!fill)
        return true;
    const char *sha = json_string_value(json_array_get(fill, 1));
    r->has_fill = true;
    return record_int(json_array_get(fill, 0), &r->fill_index) && sha &&
           sha256_from_hex(sha, r->fill_sha);
}

static void record_encode_size(const record *r, json_t *o)
{
    record_encode_gone(r, o);
    record_put_int(o, RECORD_F_SIZE, r->size);
}

static bool record_decode_size(json_t *in, record *r)
{
    return record_decode_gone(in, r) && record_get_int(in, RECORD_F_SIZE, &r->size);
}

static void record_encode_file(const record *r, json_t *o)
{
    record_encode_create(r, o);
    record_put_int(o, RECORD_F_SLOTS, r->slots);
    record_put_int(o, RECORD_F_COMMITTED, r->committed);
    json_t *chunks = json_array();
    for (size_t k = 0; chunks && k < r->nchunks; k++) {
        const record_chunk *c = &r->chunks[k];
        char hex[SHA256_HEX_LEN + 1];
        if (c->has_sha)
            sha256_to_hex(c->sha, hex);
        json_array_append_new(chunks, json_pack("[I,I,b,o]", (json_int_t)c->index,
                                                (json_int_t)c->version, c->stored,
                                                c->has_sha ? json_string(hex) : json_null()));
    }
    json_object_set_new(o, RECORD_F_CHUNKS, chunks);
}

static bool record_decode_file(json_t *in, record *r)
{
    if (!record_decode_create(in, r) ||
        !record_opt_int(in, RECORD_F_SLOTS, &r->has_slots, &r->slots) ||
        !record_opt_int(in, RECORD_F_COMMITTED, &r->has_committed, &r->committed))
        return false;
    json_t *chunks = json_object_get(in, RECORD_F_CHUNKS), *e;
    size_t n = json_array_size(chunks), k;
    if (n == 0)
        return true;
    if (!(r->chunks = calloc(n, sizeof *r->chunks)))
        return false;
    json_array_foreach(chunks, k, e) {
        record_chunk *c = &r->chunks[k];
        if (!record_int(json_array_get(e, 0), &c->index) ||
            !record_int(json_array_get(e, 1), &c->version))
            return false;
        c->stored = json_is_true(json_array_get(e, 2));
        record_get_sha(json_array_get(e, 3), &c->has_sha, c->sha);
        r->nchunks++;
    }
    return true;
}

static void record_encode_counter(const record *r, json_t *o)
{
    record_put_int(o, RECORD_F_VERSION, r->version);
}

static bool record_decode_counter(json_t *in, record *r)
{
    return record_get_int(in, RECORD_F_VERSION, &r->version);
}

static void record_encode_cluster(const record *r, json_t *o)
{
    json_object_set_new(o, RECORD_F_ID, json_string(r->cluster));
}

static bool record_decode_cluster(json_t *in, record *r)
{
    const char *id = json_string_value(json_object_get(in, RECORD_F_ID));
    if (!id || !clusterid_valid(id))
        return false;
    memcpy(r->cluster, id, sizeof r->cluster);
    return true;
}

static void record_encode_attr(const record *r, json_t *o)
{
    record_encode_gone(r, o);
    record_put_attrs(r, o);
}

static bool record_decode_attr(json_t *in, record *r)
{
    return record_decode_gone(in, r) && record_get_attrs(in, r) && r->has_mode;
}

static void record_encode_user(const record *r, json_t *o)
{
    json_object_set_new(o, RECORD_F_NAME, json_string(r->name ? r->name : ""));
    json_object_set_new(o, RECORD_F_GROUP, json_string(r->group ? r->group : ""));
    json_object_set_new(o, RECORD_F_SUPER, json_boolean(r->super));
    record_put_sha(o, RECORD_F_TOKEN, r->token_sha);
    record_put_int(o, RECORD_F_MADE, r->made_ms);
    record_put_int(o, RECORD_F_UNTIL, r->until_ms);
}

static bool record_decode_user(json_t *in, record *r)
{
    const char *sha = json_string_value(json_object_get(in, RECORD_F_TOKEN));
    json_t *super = json_object_get(in, RECORD_F_SUPER);
    return record_opt_principal(in, RECORD_F_NAME, &r->name) && r->name &&
           record_opt_principal(in, RECORD_F_GROUP, &r->group) && r->group &&
           json_is_boolean(super) && (r->super = json_is_true(super), true) && sha &&
           sha256_from_hex(sha, r->token_sha) && record_get_int(in, RECORD_F_MADE, &r->made_ms) &&
           record_get_int(in, RECORD_F_UNTIL, &r->until_ms);
}

static void record_encode_revoke(const record *r, json_t *o)
{
    json_object_set_new(o, RECORD_F_NAME, json_string(r->name ? r->name : ""));
}

static bool record_decode_revoke(json_t *in, record *r)
{
    return record_opt_principal(in, RECORD_F_NAME, &r->name) && r->name;
}

static void record_encode_drain(const record *r, json_t *o)
{
    json_object_set_new(o, RECORD_F_SERVER, json_string(r->name ? r->name : ""));
    json_object_set_new(o, RECORD_F_ON, json_boolean(r->drain_on));
}

static bool record_decode_drain(json_t *in, record *r)
{
    const char *s = json_string_value(json_object_get(in, RECORD_F_SERVER));
    json_t *on = json_object_get(in, RECORD_F_ON);
    if (!s || !*s || strlen(s) >= PROTO_MAX_SERVER_ADDR || !json_is_boolean(on))
        return false;
    r->drain_on = json_is_true(on);
    return (r->name = strdup(s)) != NULL;
}

const record_ops record_table[RECORD_NKINDS] = {
    [RECORD_CREATE]  = { "create",  record_encode_create,  record_decode_create,
                         namespace_apply_create },
    [RECORD_DELETE]  = { "delete",  record_encode_gone,    record_decode_gone,
                         namespace_apply_delete },
    [RECORD_CHUNK]   = { "chunk",   record_encode_chunk,   record_decode_chunk,
                         namespace_apply_chunk },
    [RECORD_COMMIT]  = { "commit",  record_encode_commit,  record_decode_commit,
                         append_apply_commit },
    [RECORD_SIZE]    = { "size",    record_encode_size,    record_decode_size,
                         namespace_apply_size },
    [RECORD_FILE]    = { "file",    record_encode_file,    record_decode_file,
                         namespace_apply_file },
    [RECORD_COUNTER] = { "counter", record_encode_counter, record_decode_counter,
                         namespace_apply_counter },
    [RECORD_CLUSTER] = { "cluster", record_encode_cluster, record_decode_cluster,
                         namespace_apply_cluster },
    [RECORD_ATTR]    = { "attr",    record_encode_attr,    record_decode_attr,
                         perm_apply_attr },
    [RECORD_USER]    = { "user",    record_encode_user,    record_decode_user,
                         users_apply_add },
    [RECORD_REVOKE]  = { "revoke",  record_encode_revoke,  record_decode_revoke,
                         users_apply_revoke },
    [RECORD_FORMAT]  = { "format",  record_encode_format,  record_decode_format,
                         record_apply_format },
    [RECORD_DIR]     = { "dir",     record_encode_dir,     record_decode_dir,
                         namespace_apply_dir },
    [RECORD_RENAME]  = { "rename",  record_encode_rename,  record_decode_rename,
                         namespace_apply_rename },
    [RECORD_RMTREE]  = { "rmtree",  record_encode_rmtree,  record_decode_rmtree,
                         namespace_apply_rmtree },
    [RECORD_DRAIN]   = { "drain",   record_encode_drain,   record_decode_drain,
                         drain_apply },
};

json_t *record_encode(const record *r)
{
    if ((unsigned)r->kind >= RECORD_NKINDS)
        return NULL;
    json_t *o = json_object();
    if (!o)
        return NULL;
    json_object_set_new(o, RECORD_F_OP, json_string(record_table[r->kind].op));
    record_table[r->kind].encode(r, o);
    return o;
}

bool record_decode(json_t *in, record *r, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    const char *op = json_string_value(json_object_get(in, RECORD_F_OP));
    for (unsigned k = 0; op && k < RECORD_NKINDS; k++)
        if (!strcmp(op, record_table[k].op)) {
            r->kind = (record_kind)k;
            if (record_table[k].decode(in, r))
                return true;
            break;
        }
    record_clear(r);
    snprintf(err, errlen, "unreadable %s record", op ? op : "untyped");
    return false;
}

void record_clear(record *r)
{
    free(r->name);
    free(r->to);
    free(r->chunks);
    free(r->owner);
    free(r->group);
    memset(r, 0, sizeof *r);
}

static bool record_replay_with(ns_table *ns, json_t *in, bool locked, char *err, size_t errlen)
{
    record r;
    if (!record_decode(in, &r, err, errlen))
        return false;
    bool ok = locked ? namespace_apply(ns, &r) : record_table[r.kind].apply(ns, &r);
    if (!ok)
        snprintf(err, errlen, "unreadable %s record", record_table[r.kind].op);
    record_clear(&r);
    return ok;
}

bool record_replay(ns_table *ns, json_t *in, char *err, size_t errlen)
{
    return record_replay_with(ns, in, false, err, errlen);
}

bool record_replay_live(ns_table *ns, json_t *in, char *err, size_t errlen)
{
    return record_replay_with(ns, in, true, err, errlen);
}

static bool record_emit(void *sink, const record *r)
{
    json_t *o = record_encode(r);
    bool ok = o && journal_dump_record(sink, o);
    json_decref(o);
    return ok;
}

bool record_checkpoint(ns_table *ns, void *sink)
{
    return namespace_dump(ns, record_emit, sink);
}
