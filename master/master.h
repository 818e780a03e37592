/*
 * master.h - the master process: its state and its entry point.
 */
#ifndef MINIDFS_MASTER_H
#define MINIDFS_MASTER_H

#include <microhttpd.h>
#include <stdint.h>

#include "namespace.h"
#include "placement.h"
#include "registry.h"

typedef struct {
    ns_table *ns;
    registry *reg;
    placement place;
    uint64_t chunk_size;
    unsigned replication;
} master;

/* The HTTP API (api.c). */
enum MHD_Result master_api_handle(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls);
void master_api_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                          enum MHD_RequestTerminationCode toe);

/* `minidfs master ...` */
int master_main(int argc, char **argv);

#endif
