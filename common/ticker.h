/*
 * ticker.h - a background thread that calls a function again and again,
 * with a pause between calls, until it is stopped. The function returns
 * how long to pause before its next call, so it can retry sooner after a
 * failure. A kick cuts a pause short, for a caller that needs a call
 * now. Stopping wakes the thread from its pause at once and waits for a
 * call in progress to end.
 */
#ifndef MINIDFS_TICKER_H
#define MINIDFS_TICKER_H

typedef struct ticker ticker;

/* Starts a thread that calls fn(ud) after first_delay_ms and then after
 * each delay fn returns (milliseconds). NULL when no thread can start. */
ticker *ticker_start(long (*fn)(void *ud), void *ud, long first_delay_ms);
/* Ends t's pause now (or, while fn runs, the pause after it): fn is called
 * again at once. Any thread. */
void ticker_kick(ticker *t);
/* Stops and frees t (NULL is fine); fn is not called again after this. */
void ticker_stop(ticker *t);

#endif
