/*
 * sightings.h - chunks the master has seen in reports without knowing
 * them, and since when, on its own monotonic clock.
 *
 * A chunk no file has is garbage only once it is old: a chunk published
 * a moment ago may be an upload whose report is still on its way. Its age
 * in a report comes from its file's mtime and the chunkserver's wall
 * clock, and a wall clock steps (NTP at boot, an operator's date -s): a
 * step forward would make a fresh chunk look old. So the master also
 * remembers when it first saw each unknown replica, and collects it only
 * once it has itself been seeing it for the grace period. A full table
 * answers "just now" for what it cannot hold: that delays collection,
 * never hastens it.
 */
#ifndef MINIDFS_SIGHTINGS_H
#define MINIDFS_SIGHTINGS_H

#include <stddef.h>
#include <stdint.h>

typedef struct sightings sightings;

/* A table of at most max entries (it grows to that as needed). */
sightings *sightings_new(size_t max);
void sightings_free(sightings *s);

/* When server's copy of chunk id was first reported unknown, in monotonic
 * ms: now_ms the first time (or when the table is full). Any thread. */
int64_t sightings_first(sightings *s, uint16_t server, const char *id, int64_t now_ms);
/* Forgets what has not been reported for idle_ms (deleted since, or known
 * by now). */
void sightings_prune(sightings *s, int64_t now_ms, int64_t idle_ms);
/* Entries held. */
size_t sightings_count(sightings *s);

#endif
