/*
 * ui.c - the dashboard's routes: GET / and GET /ui/<name> answered from
 * the files compiled into the binary (ui.h). Serves only those names;
 * never reads the disk or the network. The page itself is public (it
 * holds no data); what it shows comes from the API, which asks for a
 * token on a secure master.
 */
#include "api_impl.h"
#include "ui.h"

#include <string.h>

#include "httpd.h"

const ui_file *ui_find(const char *url)
{
    const char *name = !strcmp(url, "/") ? "index.html"
                       : !strncmp(url, "/ui/", 4) ? url + 4 : NULL;
    if (!name)
        return NULL;
    for (size_t i = 0; i < ui_nfiles; i++)
        if (!strcmp(ui_files[i].name, name))
            return &ui_files[i];
    return NULL;
}

bool master_api_ui(master *m, struct MHD_Connection *c, const char *url, enum MHD_Result *ret)
{
    (void)m;
    const ui_file *f = ui_find(url);
    if (!f)
        return false;
    struct MHD_Response *r = MHD_create_response_from_buffer(f->size, (void *)(uintptr_t)f->data,
                                                             MHD_RESPMEM_PERSISTENT);
    if (!r) {
        *ret = MHD_NO;
        return true;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, f->content_type);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Content-Security-Policy",
                            "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'");
    *ret = httpd_queue(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return true;
}
