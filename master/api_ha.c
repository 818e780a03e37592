/*
 * api_ha.c - a master's high-availability endpoints: GET /ha/status (its
 * role, the active master, its place in the log; "single" for a master
 * without --ha-etcd) and GET /ha/checkpoint (its newest checkpoint file,
 * sent from the file by the kernel, for a master that joins the cluster
 * or fell behind the compacted log). Must never send a checkpoint that is
 * still being written (only named, fsynced ones are listed).
 */
#include "api_impl.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "ha.h"
#include "httpd.h"
#include "protocol.h"

static enum MHD_Result master_api_ha_status(master *m, struct MHD_Connection *c,
                                            const ns_who *who)
{
    (void)who;
    if (m->ha)
        return ha_reply_status(m->ha, c);
    return httpd_reply_json(c, MHD_HTTP_OK, json_pack("{s:s,s:s}", PROTO_F_ROLE, "single",
                                                      PROTO_F_LEADER, ""));
}

static enum MHD_Result master_api_ha_checkpoint(master *m, struct MHD_Connection *c,
                                                const ns_who *who)
{
    (void)who;
    if (!m->ha || !m->j)
        return httpd_reply_error(c, MHD_HTTP_NOT_FOUND, "this master is not one of an HA "
                                 "cluster (--ha-etcd): it has no checkpoint to give");
    uint64_t size;
    int fd = journal_open_checkpoint(m->j, &size);
    if (fd < 0)
        return httpd_reply_retry(c, MHD_HTTP_SERVICE_UNAVAILABLE, 1000, "no checkpoint yet%s%s",
                                 errno == ENOENT ? "" : ": ",
                                 errno == ENOENT ? "" : strerror(errno));
    struct MHD_Response *r = MHD_create_response_from_fd64(size, fd);
    if (!r) {
        close(fd);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, PROTO_CONTENT_OCTETS);
    enum MHD_Result ret = httpd_queue(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}

const master_api_route master_api_ha_routes[] = {
    { PROTO_PATH_HA_STATUS, "GET", MASTER_USERS, NULL, master_api_ha_status, NULL },
    { PROTO_PATH_HA_CHECKPOINT, "GET", MASTER_SERVERS, NULL, master_api_ha_checkpoint, NULL },
};
const size_t master_api_ha_nroutes = sizeof master_api_ha_routes / sizeof *master_api_ha_routes;
