/*
 * log.h - one line per event on stderr, with time, program and level:
 * as text, or (--log-format json) as one JSON object per line,
 * {"time", "program", "level", "msg"}, for log shippers. Safe from any
 * thread: each line is formatted first and written with a single
 * write(2), so lines from different threads never interleave.
 */
#ifndef MINIDFS_LOG_H
#define MINIDFS_LOG_H

#include <stdbool.h>

typedef enum { LOGL_DEBUG = 0, LOGL_INFO, LOGL_WARN, LOGL_ERROR, LOGL_OFF } log_level;

void log_init(const char *program, log_level min);
/* log_init with a level given by name, as the --log-level flag takes it;
 * false (and nothing changed) for an unknown name. */
bool log_init_named(const char *program, const char *level_name);
/* Parses "debug", "info", "warn", "error", "off"; returns -1 on anything else. */
int log_level_parse(const char *s);
void log_msg(log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "text" or "json", as --log-format takes it; false for anything else.
 * Set once at start-up, before threads exist. */
bool log_set_format(const char *name);

#define log_debug(...) log_msg(LOGL_DEBUG, __VA_ARGS__)
#define log_info(...)  log_msg(LOGL_INFO, __VA_ARGS__)
#define log_warn(...)  log_msg(LOGL_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOGL_ERROR, __VA_ARGS__)

#endif
