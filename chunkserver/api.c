/*
 * api.c - the chunkserver's HTTP router and its read side. Each connection
 * has its own thread (transfers are long and block on the disk); uploads
 * are handed to receive.c, downloads are answered straight from the chunk
 * file with sendfile. Must never read a chunk into memory to serve it.
 */
#include "chunkserver.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chunkid.h"
#include "httpd.h"
#include "protocol.h"
#include "receive.h"

static enum MHD_Result cs_api_serve(chunkserver *cs, struct MHD_Connection *c, const char *id)
{
    if (!id)
        return httpd_reply_error(c, MHD_HTTP_BAD_REQUEST, "missing query parameter \"id\"");
    if (!chunkid_parse(id, NULL, NULL))
        return httpd_reply_error(c, MHD_HTTP_BAD_REQUEST, "invalid chunk identifier \"%.80s\"", id);
    int fd;
    uint64_t size;
    store_status st = store_open_chunk(cs->st, id, &fd, &size);
    if (st == STORE_NOT_FOUND)
        return httpd_reply_error(c, MHD_HTTP_NOT_FOUND, "no chunk %s here", id);
    if (st != STORE_OK)
        return httpd_reply_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot open chunk %s", id);
    struct MHD_Response *r = MHD_create_response_from_fd((size_t)size, fd);
    if (!r) {
        close(fd);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, PROTO_CONTENT_OCTETS);
    enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result cs_api_delete(chunkserver *cs, struct MHD_Connection *c, const char *id)
{
    if (!chunkid_parse(id, NULL, NULL))
        return httpd_reply_error(c, MHD_HTTP_BAD_REQUEST, "invalid chunk identifier \"%.80s\"", id);
    store_status st = store_remove(cs->st, id);
    if (st == STORE_NOT_FOUND)
        return httpd_reply_error(c, MHD_HTTP_NOT_FOUND, "no chunk %s here", id);
    if (st != STORE_OK)
        return httpd_reply_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot delete chunk %s", id);
    return httpd_reply_json(c, MHD_HTTP_OK, json_object());
}

static enum MHD_Result cs_api_stats(chunkserver *cs, struct MHD_Connection *c)
{
    return httpd_reply_json(
        c, MHD_HTTP_OK,
        json_pack("{s:I,s:I,s:I}", "bytesReceived", (json_int_t)atomic_load(&cs->stats.bytes_received),
                  "bytesForwarded", (json_int_t)atomic_load(&cs->stats.bytes_forwarded),
                  "chunksStored", (json_int_t)atomic_load(&cs->stats.chunks_stored)));
}

/* Marks a request whose answer was queued on its first call. */
static char cs_api_answered;

enum MHD_Result cs_api_handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_data_size, void **con_cls)
{
    (void)version;
    chunkserver *cs = cls;
    if (*con_cls == &cs_api_answered) {
        *upload_data_size = 0;   /* the answer is out; ignore any body */
        return MHD_YES;
    }
    if (*con_cls) {
        receive *rx = *con_cls;
        if (*upload_data_size)
            return receive_data(rx, upload_data, upload_data_size);
        return receive_end(rx, c);
    }

    bool get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
    size_t plen = strlen(PROTO_PATH_CHUNKS);
    if (!strncmp(url, PROTO_PATH_CHUNKS, plen)) {
        const char *id = url + plen;
        if (!strcmp(method, "PUT")) {
            receive *rx;
            enum MHD_Result r = receive_put_begin(cs, c, id, &rx);
            *con_cls = rx ? (void *)rx : (void *)&cs_api_answered;
            return r;
        }
        *con_cls = &cs_api_answered;
        if (get)
            return cs_api_serve(cs, c, id);
        if (!strcmp(method, "DELETE"))
            return cs_api_delete(cs, c, id);
        return httpd_reply_not_allowed(c, method, url, "GET, PUT, DELETE");
    }
    if (!strcmp(url, PROTO_PATH_UPLOAD_CHUNK)) {
        if (strcmp(method, "POST") != 0) {
            *con_cls = &cs_api_answered;
            return httpd_reply_not_allowed(c, method, url, "POST");
        }
        receive *rx;
        enum MHD_Result r = receive_multipart_begin(cs, c, &rx);
        *con_cls = rx ? (void *)rx : (void *)&cs_api_answered;
        return r;
    }
    *con_cls = &cs_api_answered;
    if (!strcmp(url, PROTO_PATH_STATS))
        return get ? cs_api_stats(cs, c) : httpd_reply_not_allowed(c, method, url, "GET");
    if (!strcmp(url, PROTO_PATH_GET)) {
        if (!get)
            return httpd_reply_not_allowed(c, method, url, "GET");
        return cs_api_serve(cs, c, MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
                                                                PROTO_QUERY_ID));
    }
    return httpd_reply_error(c, MHD_HTTP_NOT_FOUND, "no such endpoint: %s %.200s", method, url);
}

void cs_api_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    if (*con_cls && *con_cls != &cs_api_answered)
        receive_free(*con_cls);
    *con_cls = NULL;
}
