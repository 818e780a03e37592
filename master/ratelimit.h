/*
 * ratelimit.h - token buckets per client address, for the reports anyone
 * may send (a bad copy, an unreachable server): each address gets rate
 * tokens a second and holds at most twice that, so a flood from one host
 * is cut off at its own share and costs the master a table lookup. A
 * fixed table of buckets (addresses that hash alike share one): memory
 * does not grow with the number of senders.
 */
#ifndef MINIDFS_RATELIMIT_H
#define MINIDFS_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

typedef struct ratelimit ratelimit;

ratelimit *ratelimit_new(unsigned rate_per_s);
void ratelimit_free(ratelimit *rl);
/* Takes one token of key's bucket at now_ms (monotonic): false when it
 * is empty. Any thread. */
bool ratelimit_take(ratelimit *rl, const char *key, int64_t now_ms);

#endif
