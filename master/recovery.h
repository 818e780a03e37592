/*
 * recovery.h - the master's metadata on disk: the namespace is recovered from
 * --meta-dir at start (newest checkpoint, then the log after it), every
 * change is journalled from then on, a checkpoint is written whenever
 * --checkpoint-every records have piled up, and a last one at a clean
 * shutdown so the next start replays nothing. A namespace without a
 * cluster id (a new one, or one from before cluster ids) is given one, at
 * random, before the master serves anything.
 *
 * With high availability (ha.h) the changes live in etcd's log, not in
 * the local segments: each checkpoint then also records where in that log
 * it stands (an "oplog" record, {"op":"oplog","next":N}: every batch
 * below piece N is in it), the cluster id comes from the log (or is given
 * by the master that founds the cluster), and the records a standby
 * applies count toward its checkpoints as journalled ones do.
 */
#ifndef MINIDFS_RECOVERY_H
#define MINIDFS_RECOVERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "namespace.h"

typedef struct recovery recovery;

/* Recovers ns from dir, gives it a cluster id if it has none, and attaches
 * the journal to it. NULL with err set when the directory is unusable or
 * its records are damaged (with recover, a damaged log is cut at the
 * damage instead, its rest kept aside, and said so in the log). */
recovery *recovery_open(const char *dir, ns_table *ns, uint64_t checkpoint_every, bool recover,
                char *err, size_t errlen);
/* The same for a master of an HA cluster: no cluster id is given here,
 * and the journal is not attached (the HA controller attaches it when the
 * master becomes active). */
recovery *recovery_open_ha(const char *dir, ns_table *ns, uint64_t checkpoint_every,
                           bool recover, char *err, size_t errlen);
/* Gives the namespace a cluster id, durably, when it has none. */
bool recovery_ensure_cluster_id(recovery *m, char *err, size_t errlen);
/* The replicated log's piece the recovered checkpoint stands at; false
 * when it recorded none (a checkpoint of a single master, or none). */
bool recovery_position(const recovery *m, uint64_t *next);
/* Every checkpoint from now on records position(ud) as its place in the
 * replicated log, read before the namespace is dumped; a load
 * (recovery_load) tells moved(ud, next) where it stands before any
 * checkpoint can be written after it. */
void recovery_set_position(recovery *m, uint64_t (*position)(void *ud),
                           void (*moved)(void *ud, uint64_t next), void *ud);
/* n records were applied from the replicated log (a standby). */
void recovery_count(recovery *m, uint64_t n);
/* Has the checkpoint thread write a checkpoint soon. */
void recovery_soon(recovery *m);
/* Where the older of the two newest checkpoints this process wrote
 * stands in the replicated log (everything below it is in both, so the
 * log may be compacted below it); false before two were written. */
bool recovery_kept_position(recovery *m, uint64_t *below);
/* Where the checkpoint in buf stands in the replicated log, read from its
 * first record alone (a checkpoint of an HA master begins with it): false
 * when it does not say (one written before the master was of an HA
 * cluster: a newer one will). */
bool recovery_checkpoint_position(const char *buf, size_t len, uint64_t *next);
/* Replaces the namespace with the checkpoint in buf (one fetched from the
 * active master), no checkpoint being written meanwhile: false with err
 * set when it does not read whole or does not say where in the log it
 * stands (the namespace is then neither the old nor the new: the caller
 * must start over); *next: where it does. */
bool recovery_load(recovery *m, const char *buf, size_t len, uint64_t *next, char *err,
                   size_t errlen);
/* True when dir held no namespace at all: this master created it now. */
bool recovery_fresh(const recovery *m);
/* Writes a final checkpoint and detaches the journal from the namespace. */
void recovery_close(recovery *m);
journal *recovery_journal(recovery *m);

#endif
