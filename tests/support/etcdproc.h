/*
 * etcdproc.h - a real etcd for a test: Debian's etcd-server started on two
 * free loopback ports with a data directory of its own, ready once it
 * answers /health, stopped (by its pid) and its directory removed at the
 * end. Never a mock: the tests of what talks to etcd talk to etcd.
 */
#ifndef MINIDFS_ETCDPROC_H
#define MINIDFS_ETCDPROC_H

#include <stdbool.h>
#include <sys/types.h>

typedef struct {
    pid_t pid;
    char dir[64];
    char client_url[64];   /* "http://127.0.0.1:PORT" */
    char peer_url[64];
} etcdproc;

/* The etcd binary ($ETCD, else /usr/bin/etcd), or NULL when there is none. */
const char *etcdproc_binary(void);
/* Starts one (two tries: a port found free may be taken before etcd
 * binds it); false, nothing left running, when it would not start. */
bool etcdproc_start(etcdproc *p);
void etcdproc_stop(etcdproc *p);
/* A loopback port nothing listens on now. */
int etcdproc_free_port(void);

/* A cmocka group's etcd and a client of it (timeout 10 s): the group's
 * setup starts them (-1, nothing left running, when it cannot), its
 * teardown ends them. */
struct etcd;
extern etcdproc etcdproc_group;
extern struct etcd *etcdproc_client;
int etcdproc_group_setup(void **state);
int etcdproc_group_teardown(void **state);

#endif
