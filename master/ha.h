/*
 * ha.h - a master of a highly available cluster (--ha-etcd): which role
 * it plays and how it moves between them.
 *
 *   catching-up  it has no namespace it can trust yet: it reads the log in
 *                etcd (oplog.h) from where its checkpoint stands, or, when
 *                pieces it needs were compacted away, fetches the active
 *                master's checkpoint over HTTP first; it answers only
 *                /ha/status (503 to everything else)
 *   standby      it follows the log as the active master writes it,
 *                applying each batch to its namespace, and answers reads
 *                (/get, listings) from that copy, with the active master
 *                named in X-Minidfs-Leader; chunkservers heartbeat and
 *                report to it as to the active one, but it orders nothing
 *   active       it won the election (election.h): it read the log to its
 *                head first, and from then on every journal batch is made
 *                durable by shipping it to etcd under its term before any
 *                change in it is acknowledged
 *
 * An active master that loses its lease, or whose ship is refused, holds
 * changes in memory that may not be in the log: it does not try to undo
 * them but starts over, executing itself anew, and comes back as a
 * standby that catches up from its last checkpoint.
 */
#ifndef MINIDFS_HA_H
#define MINIDFS_HA_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "master.h"
#include "recovery.h"

typedef enum { HA_CATCHING_UP, HA_STANDBY, HA_ACTIVE } ha_role;

typedef struct {
    const char *etcd;        /* endpoints, "http://host:port,..." */
    const char *cluster;     /* the cluster's name: its keys' prefix in etcd */
    int64_t ttl_s;           /* the leadership lease */
    int64_t safemode_ms;     /* the safe mode a standby starts its term with */
    const char *meta_dir;
    bool key_new;            /* --secure and no cluster.key yet: only a founder may make one */
} ha_config;


/* Makes the HA controller of m, whose namespace md recovered, and puts
 * every request behind its gate (catching up: 503) before the master
 * listens; checks that a namespace the meta-dir holds from before HA may
 * found the cluster (the log in etcd is empty). NULL with err set when
 * it cannot. */
ha *ha_start(master *m, recovery *md, const ha_config *cfg, char *err, size_t errlen);
/* Once the master listens: me is its base URL as clients reach it (the
 * name it campaigns under); starts the thread that follows the log and
 * campaigns. False with err set when it cannot. */
bool ha_run(ha *h, const char *me, char *err, size_t errlen);
/* Stops the thread (the master shuts down: its last checkpoint next). */
void ha_halt(ha *h);
/* Stops the thread if still running; an active master resigns. */
void ha_stop(ha *h);

/* Whether this master is the active one now (and may act as it). */
bool ha_active(ha *h);
ha_role ha_role_now(ha *h);
/* The active master's base URL into out ("" when none is known). */
void ha_leader(ha *h, char *out, size_t outlen);

/* The gate every request passes on an HA master: true when this master
 * may answer method path in its role; else false with *ret the answer
 * (503, the active master named). Sets the thread's X-Minidfs-Leader
 * hint for the answer; ha_gate_done clears it. */
bool ha_gate(ha *h, struct MHD_Connection *c, const char *method, const char *path,
             enum MHD_Result *ret);
void ha_gate_done(void);

/* GET /ha/status: the role, the leader, the term, the place in the log
 * and how far behind its head, as JSON. */
enum MHD_Result ha_reply_status(ha *h, struct MHD_Connection *c);

#endif
