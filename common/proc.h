/*
 * proc.h - process life: wait for a stop signal, announce the bound port.
 */
#ifndef MINIDFS_PROC_H
#define MINIDFS_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Blocks SIGINT/SIGTERM in the calling thread (call before starting any
 * thread, so all inherit it) and ignores SIGPIPE. */
void proc_block_signals(void);
/* Waits for SIGINT or SIGTERM; returns the signal number. */
int proc_wait_signal(void);
/* Writes "<port>\n" to path atomically (temp file + rename), so a script
 * waiting for the file never reads half of it. */
bool proc_write_port_file(const char *path, uint16_t port, char *err, size_t errlen);

#endif
