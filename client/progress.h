/*
 * progress.h - the one-line progress display on stderr (only when stderr
 * is a terminal, so scripts and logs never see carriage returns).
 */
#ifndef MINIDFS_PROGRESS_H
#define MINIDFS_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

typedef struct {
    bool enabled;
    const char *verb;
    char name[256];          /* escaped: it goes to a terminal */
    uint64_t total;
    uint64_t base;           /* bytes moved by earlier windows of the file */
    int64_t start_ms, last_ms;
} progress;

void progress_start(progress *p, bool enabled, const char *verb, const char *name, uint64_t total);
/* Redraws at most ten times a second; done counts from base. waiting
 * (NULL or "": none) says what the transfer is held up by. */
void progress_update(progress *p, uint64_t done, const char *waiting);
/* Ends the line; on success prints the final size and rate. */
void progress_end(progress *p, bool ok, uint64_t done);

#endif
