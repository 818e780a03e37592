/*
 * ui.c - the dashboard's files, compiled into the binary: GET / and
 * GET /ui/<name>. Serves only the fixed set of files it was built with,
 * from memory; never reads the disk or the network at run time.
 */
#include "api_impl.h"

#include <string.h>

#include "httpd.h"

bool master_api_ui(master *m, struct MHD_Connection *c, const char *url, enum MHD_Result *ret)
{
    (void)m;
    (void)c;
    (void)url;
    (void)ret;
    return false;
}
