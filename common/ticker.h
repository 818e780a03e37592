/*
 * ticker.h - a background thread that calls a function again and again,
 * with a pause between calls, until it is stopped. The function returns
 * how long to pause before its next call, so it can retry sooner after a
 * failure. Stopping wakes the thread from its pause at once and waits for
 * a call in progress to end.
 */
#ifndef MINIDFS_TICKER_H
#define MINIDFS_TICKER_H

typedef struct ticker ticker;

/* Starts a thread that calls fn(ud) after first_delay_ms and then after
 * each delay fn returns (milliseconds). NULL when no thread can start. */
ticker *ticker_start(long (*fn)(void *ud), void *ud, long first_delay_ms);
/* Stops and frees t (NULL is fine); fn is not called again after this. */
void ticker_stop(ticker *t);

#endif
