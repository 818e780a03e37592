/*
 * log.c - the process-wide logger. Owns nothing but the program name, the
 * minimum level and the format, all set once at start-up before threads
 * exist. Must never take locks, and never allocate in text format: it is
 * called from error paths everywhere (a JSON line is built by jansson,
 * and becomes a text line when memory runs out).
 * Every message is escaped before it is written: messages carry file
 * names and addresses from the network, and a newline or a terminal
 * escape in one must not forge a log line or reach the operator's screen.
 */
#include "log.h"

#include "escape.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *log_program = "minidfs";
static log_level log_min = LOGL_INFO;

static const char *const log_names[] = { "debug", "info", "warn", "error", "off" };
static bool log_json;

bool log_set_format(const char *name)
{
    if (!strcmp(name, "text") || !strcmp(name, "json")) {
        log_json = !strcmp(name, "json");
        return true;
    }
    return false;
}

void log_init(const char *program, log_level min)
{
    log_program = program;
    log_min = min;
}

bool log_init_named(const char *program, const char *level_name)
{
    int lvl = log_level_parse(level_name);
    if (lvl < 0)
        return false;
    log_init(program, (log_level)lvl);
    return true;
}

int log_level_parse(const char *s)
{
    for (int i = 0; i <= LOGL_OFF; i++)
        if (strcmp(s, log_names[i]) == 0)
            return i;
    return -1;
}

void log_msg(log_level lvl, const char *fmt, ...)
{
    if (lvl < log_min || lvl >= LOGL_OFF)
        return;
    char line[1024];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    int n = snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s %s: ",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                     tm.tm_sec, ts.tv_nsec / 1000000, log_program, log_names[lvl]);
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    char shown[1024];
    escape_text(msg, shown, sizeof shown);
    if (log_json) {
        char when[80];
        snprintf(when, sizeof when, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                 ts.tv_nsec / 1000000);
        json_t *o = json_pack("{s:s,s:s,s:s,s:s}", "time", when, "program", log_program, "level",
                              log_names[lvl], "msg", shown);
        size_t k = o ? json_dumpb(o, line, sizeof line - 1, JSON_COMPACT) : 0;
        json_decref(o);
        if (k > 0 && k < sizeof line - 1) {
            line[k++] = '\n';
            ssize_t w = write(STDERR_FILENO, line, k);
            (void)w;
            return;
        }
    }
    snprintf(line + n, sizeof line - (size_t)n - 1, "%s", shown);
    size_t len = strlen(line);
    line[len++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, len);
    (void)w;
}
