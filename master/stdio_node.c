/*
 * stdio_node.c - the master as a node of a JSON-lines test harness (the
 * Maelstrom style): one message per stdin line, {"src","dest","body"}, one
 * reply per stdout line. The other node ids given at init are this
 * master's chunkservers; allocate_chunk is decided by the same placement
 * and namespace code as POST /allocate. Runs on the main thread alone.
 * Must never write anything but replies to stdout: logs go to stderr.
 */
#include "stdio_node.h"

#include "allocate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "protocol.h"

#define STDIO_ERR_UNAVAILABLE 11
#define STDIO_ERR_NOT_SUPPORTED 10
#define STDIO_ERR_MALFORMED 12
#define STDIO_MAX_LINE (1u << 20)

typedef struct {
    master *m;
    FILE *out;
    char *self;              /* our node id, once init */
    char **peers;            /* the chunkservers' node ids */
    size_t npeers;
    placement_server *servers;
    long long next_msg_id;
} stdio_node;

static const char *stdio_peer_name(void *ud, uint16_t index)
{
    return ((stdio_node *)ud)->peers[index];
}

/* Sends body (stolen) to dest as a reply to in_reply_to (< 0: none). */
static void stdio_send(stdio_node *n, const char *src, const char *dest, json_t *body,
                       long long in_reply_to)
{
    /* Key order matters to harnesses that compare lines: type, in_reply_to,
     * msg_id, then the payload, as the body was built. */
    json_t *b = json_object();
    json_object_set(b, "type", json_object_get(body, "type"));
    if (in_reply_to >= 0)
        json_object_set_new(b, "in_reply_to", json_integer(in_reply_to));
    json_object_set_new(b, "msg_id", json_integer(n->next_msg_id++));
    const char *k;
    json_t *v;
    json_object_foreach(body, k, v)
        if (strcmp(k, "type") != 0)
            json_object_set(b, k, v);
    json_decref(body);
    json_t *msg = json_object();
    json_object_set_new(msg, "src", json_string(src));
    json_object_set_new(msg, "dest", json_string(dest));
    json_object_set_new(msg, "body", b);
    char *line = json_dumps(msg, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(msg);
    if (line) {
        fprintf(n->out, "%s\n", line);
        fflush(n->out);
        free(line);
    }
}

static void stdio_error(stdio_node *n, const char *src, const char *dest, long long in_reply_to,
                        int code, const char *text)
{
    json_t *body = json_object();
    json_object_set_new(body, "type", json_string("error"));
    json_object_set_new(body, "code", json_integer(code));
    json_object_set_new(body, "text", json_string(text));
    stdio_send(n, src, dest, body, in_reply_to);
}

static void stdio_init(stdio_node *n, json_t *body, const char *src, long long msg_id)
{
    json_t *id = json_object_get(body, "node_id"), *ids = json_object_get(body, "node_ids");
    const char *me = n->self ? n->self : "";
    if (!json_is_string(id) || !json_is_array(ids)) {
        stdio_error(n, me, src, msg_id, STDIO_ERR_MALFORMED,
                    "init needs node_id (a string) and node_ids (an array of strings)");
        return;
    }
    size_t count = json_array_size(ids), k = 0;
    char **peers = calloc(count ? count : 1, sizeof *peers);
    placement_server *servers = calloc(count ? count : 1, sizeof *servers);
    if (!peers || !servers) {
        free(peers);
        free(servers);
        return;
    }
    for (size_t i = 0; i < count; i++) {
        json_t *p = json_array_get(ids, i);
        if (!json_is_string(p) || !strcmp(json_string_value(p), json_string_value(id)))
            continue;
        servers[k] = (placement_server){ .index = (uint16_t)k };
        peers[k++] = strdup(json_string_value(p));
    }
    for (size_t i = 0; i < n->npeers; i++)
        free(n->peers[i]);
    free(n->peers);
    free(n->servers);
    free(n->self);
    n->peers = peers;
    n->servers = servers;
    n->npeers = k;
    n->self = strdup(json_string_value(id));
    log_info("node %s: %zu chunkservers", n->self, k);
    json_t *ok = json_object();
    json_object_set_new(ok, "type", json_string("init_ok"));
    stdio_send(n, n->self, src, ok, msg_id);
}

static void stdio_allocate(stdio_node *n, json_t *body, const char *src, long long msg_id)
{
    char err[256];
    allocate_req r;
    if (!n->self) {
        stdio_error(n, "", src, msg_id, STDIO_ERR_UNAVAILABLE, "not initialised: send init first");
        return;
    }
    if (!allocate_parse(body, &r, err, sizeof err)) {
        stdio_error(n, n->self, src, msg_id, STDIO_ERR_MALFORMED, err);
        return;
    }
    json_t *ans = json_object();
    json_object_set_new(ans, "type", json_string("allocate_chunk_ok"));
    ns_status st = allocate_chunk(n->m, &r, NULL, n->servers, n->npeers, stdio_peer_name, n, ans);
    if (st == NS_OK) {
        stdio_send(n, n->self, src, ans, msg_id);
        return;
    }
    json_decref(ans);
    if (st == NS_BAD_INDEX)
        snprintf(err, sizeof err, "chunk_index %u is past the end of %.200s", r.index, r.file);
    else if (st == NS_NO_SERVERS)
        snprintf(err, sizeof err, "no chunkservers to place a chunk on");
    else
        snprintf(err, sizeof err, "cannot allocate");
    stdio_error(n, n->self, src, msg_id,
                st == NS_BAD_INDEX ? STDIO_ERR_MALFORMED : STDIO_ERR_UNAVAILABLE, err);
}

static void stdio_handle(stdio_node *n, const char *line, size_t len)
{
    json_error_t je;
    json_t *msg = json_loadb(line, len, 0, &je);
    json_t *src = json_object_get(msg, "src"), *body = json_object_get(msg, "body");
    if (!json_is_string(src)) {
        /* Nobody to answer: say so on stderr and carry on. */
        log_warn("stdin: dropped a line that is not a message: %s",
                 msg ? "no \"src\"" : je.text);
        json_decref(msg);
        return;
    }
    const char *from = json_string_value(src);
    const char *me = n->self ? n->self : "";
    json_t *mid = json_object_get(body, "msg_id");
    long long msg_id = json_is_integer(mid) ? json_integer_value(mid) : -1;
    json_t *type = json_object_get(body, "type");
    if (!json_is_object(body) || !json_is_string(type))
        stdio_error(n, me, from, msg_id, STDIO_ERR_MALFORMED, "a message needs a body with a type");
    else if (!strcmp(json_string_value(type), "init"))
        stdio_init(n, body, from, msg_id);
    else if (!strcmp(json_string_value(type), "allocate_chunk"))
        stdio_allocate(n, body, from, msg_id);
    else {
        char text[128];
        snprintf(text, sizeof text, "unsupported message type \"%.60s\"", json_string_value(type));
        stdio_error(n, me, from, msg_id, STDIO_ERR_NOT_SUPPORTED, text);
    }
    json_decref(msg);
}

int stdio_node_run(master *m, FILE *in, FILE *out)
{
    stdio_node n = { .m = m, .out = out };
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, in)) >= 0) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            len--;
        if (len == 0)
            continue;
        if ((size_t)len > STDIO_MAX_LINE) {
            log_warn("stdin: dropped a line of %zd bytes", len);
            continue;
        }
        stdio_handle(&n, line, (size_t)len);
    }
    free(line);
    for (size_t i = 0; i < n.npeers; i++)
        free(n.peers[i]);
    free(n.peers);
    free(n.servers);
    free(n.self);
    return 0;
}
