/*
 * api.h - the master's HTTP API as libmicrohttpd sees it: one handler for
 * every request, and its completion callback; and the table its requests
 * are counted in (one row per route, for GET /metrics).
 */
#ifndef MINIDFS_API_H
#define MINIDFS_API_H

#include <microhttpd.h>

#include "metrics.h"

enum MHD_Result master_api_handle(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls);
void master_api_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                          enum MHD_RequestTerminationCode toe);
metrics_http *master_api_metrics_new(void);

#endif
