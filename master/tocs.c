/*
 * tocs.c - master-to-chunkserver calls. Runs in the request thread that
 * needs them and never while the namespace lock is held. Deletions go out
 * many at once on libcurl's multi interface (connections reused per
 * chunkserver), and the call returns only when every one has been
 * answered or has failed: an overwrite must not start its upload while
 * an old chunk of the same id could still be deleted after it.
 */
#include "tocs.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>

#include "addr.h"
#include "httpc.h"
#include "log.h"
#include "protocol.h"

#define TOCS_TIMEOUT_MS 3000
#define TOCS_PARALLEL 16

static size_t tocs_discard(char *p, size_t size, size_t n, void *ud)
{
    (void)p;
    (void)ud;
    return size * n;
}

/* Points h at the DELETE for doomed item i; false if no URL can be built. */
static bool tocs_prepare(CURL *h, const registry *reg, const ns_doomed *doomed, size_t i)
{
    char id[CHUNKID_BUF], path[CHUNKID_BUF + 16], url[512];
    chunkid_format(id, doomed->fileid, doomed->items[i].index);
    snprintf(path, sizeof path, PROTO_PATH_CHUNKS "%s", id);
    if (!addr_server_url(registry_addr(reg, doomed->items[i].server), path, url, sizeof url))
        return false;
    curl_easy_reset(h);
    httpc_configure(h, TOCS_TIMEOUT_MS);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "DELETE");
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)TOCS_TIMEOUT_MS);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, tocs_discard);
    curl_easy_setopt(h, CURLOPT_PRIVATE, (void *)(uintptr_t)i);
    return true;
}

size_t tocs_delete_chunks(const registry *reg, const ns_doomed *doomed)
{
    if (doomed->n == 0)
        return 0;
    CURLM *multi = curl_multi_init();
    CURL *pool[TOCS_PARALLEL];
    size_t npool = 0, next = 0, active = 0, failed = 0;
    while (multi && npool < TOCS_PARALLEL && npool < doomed->n && (pool[npool] = curl_easy_init()))
        npool++;
    if (npool == 0) {
        log_warn("delete chunks of %s: out of memory", doomed->fileid);
        if (multi)
            curl_multi_cleanup(multi);
        return doomed->n;
    }
    size_t nfree = npool;
    while (next < doomed->n || active > 0) {
        while (nfree > 0 && next < doomed->n) {
            CURL *h = pool[--nfree];
            if (tocs_prepare(h, reg, doomed, next) && curl_multi_add_handle(multi, h) == CURLM_OK) {
                active++;
            } else {
                failed++;
                pool[nfree++] = h;
            }
            next++;
        }
        int running;
        curl_multi_perform(multi, &running);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(multi, &left)) != NULL) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            CURL *h = msg->easy_handle;
            void *priv;
            long status = 0;
            curl_easy_getinfo(h, CURLINFO_PRIVATE, (char **)&priv);
            curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
            size_t i = (size_t)(uintptr_t)priv;
            if (msg->data.result != CURLE_OK || (status != 200 && status != 404)) {
                failed++;
                log_warn("delete chunk %s_%u on %s: %s", doomed->fileid, doomed->items[i].index,
                         registry_addr(reg, doomed->items[i].server),
                         msg->data.result != CURLE_OK ? curl_easy_strerror(msg->data.result)
                                                      : "refused");
            }
            curl_multi_remove_handle(multi, h);
            pool[nfree++] = h;
            active--;
        }
        if (active > 0 && !(nfree > 0 && next < doomed->n))
            curl_multi_poll(multi, NULL, 0, 100, NULL);
    }
    for (size_t k = 0; k < npool; k++)
        curl_easy_cleanup(pool[k]);
    curl_multi_cleanup(multi);
    return failed;
}
