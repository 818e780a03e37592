/*
 * monotime.h - the one clock every timeout, lease, pause and rate in
 * minidfs is measured on: CLOCK_MONOTONIC in milliseconds (nanoseconds for latencies), which a step of
 * the wall clock (NTP at boot, an operator's date -s) never moves. Never
 * for anything shown to people or stored across processes.
 */
#ifndef MINIDFS_MONOTIME_H
#define MINIDFS_MONOTIME_H

#include <stdint.h>

/* Milliseconds since an arbitrary point before this process started;
 * never 0, so 0 can mean "never" or "not set". */
int64_t monotime_ms(void);
/* Nanoseconds on the same clock, for measuring how long something took. */
int64_t monotime_ns(void);

#endif
