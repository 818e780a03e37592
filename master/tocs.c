/*
 * tocs.c - master-to-chunkserver calls. Runs in the request thread that
 * needs them and never while the namespace lock is held.
 */
#include "tocs.h"

#include <stdio.h>

#include "addr.h"
#include "httpc.h"
#include "log.h"
#include "protocol.h"

#define TOCS_TIMEOUT_MS 3000

size_t tocs_delete_chunks(const registry *reg, const ns_doomed *doomed)
{
    size_t failed = 0;
    for (size_t i = 0; i < doomed->n; i++) {
        char id[CHUNKID_BUF], path[CHUNKID_BUF + 16], url[512], err[512];
        chunkid_format(id, doomed->fileid, doomed->items[i].index);
        snprintf(path, sizeof path, PROTO_PATH_CHUNKS "%s", id);
        const char *server = registry_addr(reg, doomed->items[i].server);
        if (!addr_server_url(server, path, url, sizeof url))
            continue;
        httpc_response resp;
        if (!httpc_json("DELETE", url, NULL, TOCS_TIMEOUT_MS, &resp, err, sizeof err)) {
            log_warn("delete %s on %s: %s", id, server, err);
            failed++;
            continue;
        }
        if (resp.status != 200 && resp.status != 404) {
            log_warn("delete %s on %s: %s", id, server,
                     httpc_error_text(&resp, err, sizeof err));
            failed++;
        }
        httpc_response_free(&resp);
    }
    return failed;
}
