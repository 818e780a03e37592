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

typedef struct {
    const registry *reg;
    const ns_doomed *doomed;
    size_t failed;
} tocs_run;

/* Points h at the DELETE for doomed item i. */
static bool tocs_start(void *ud, size_t i, CURL *h)
{
    tocs_run *t = ud;
    char id[CHUNKID_BUF], path[CHUNKID_BUF + 16], url[512];
    chunkid_format(id, t->doomed->fileid, t->doomed->items[i].index);
    snprintf(path, sizeof path, PROTO_PATH_CHUNKS "%s", id);
    if (!addr_server_url(registry_addr(t->reg, t->doomed->items[i].server), path, url,
                         sizeof url))
        snprintf(url, sizeof url, "http://invalid./");   /* fails like an unreachable server */
    httpc_configure(h, TOCS_TIMEOUT_MS);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "DELETE");
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)TOCS_TIMEOUT_MS);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, tocs_discard);
    return true;
}

static httpc_job_next tocs_finish(void *ud, size_t i, CURL *h, CURLcode rc)
{
    tocs_run *t = ud;
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    if (rc != CURLE_OK || (status != 200 && status != 404)) {
        t->failed++;
        log_warn("delete chunk %s_%u on %s: %s", t->doomed->fileid, t->doomed->items[i].index,
                 registry_addr(t->reg, t->doomed->items[i].server),
                 rc != CURLE_OK ? curl_easy_strerror(rc) : "refused");
    }
    return HTTPC_JOB_DONE;
}

size_t tocs_delete_chunks(const registry *reg, const ns_doomed *doomed)
{
    tocs_run t = { .reg = reg, .doomed = doomed };
    httpc_multi_spec spec = { .njobs = doomed->n, .parallel = TOCS_PARALLEL,
                              .start = tocs_start, .finish = tocs_finish, .ud = &t };
    if (!httpc_multi_run(&spec)) {
        log_warn("delete chunks of %s: out of memory", doomed->fileid);
        return doomed->n;
    }
    return t.failed;
}
