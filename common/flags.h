/*
 * flags.h - command-line flags from a table, the way the Go tool took them.
 *
 * Accepts "--name value", "--name=value" and the single-dash spellings Go's
 * flag package allows ("-name value"). Booleans take no value ("--overwrite")
 * or an explicit one ("--overwrite=false"). Integers and decimals are
 * checked against the table's range in full: "12abc" or an overflow is an
 * error, not 12. A flag given twice is an error too: a script that says
 * "--filename a ... --filename b" meant something, and silently keeping
 * the last would do the other thing. "-h" and "--help" print the help,
 * unless the table has a flag named "h" (`minidfs ls -h`: human sizes);
 * "--version" prints the version, whatever the command.
 */
#ifndef MINIDFS_FLAGS_H
#define MINIDFS_FLAGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef enum { FLAG_STRING, FLAG_INT, FLAG_BOOL, FLAG_DOUBLE } flag_type;

typedef struct {
    const char *name;     /* without dashes */
    flag_type type;
    void *dest;           /* const char **, long long *, bool * or double * */
    long long min, max;   /* FLAG_INT and FLAG_DOUBLE: the range */
    const char *metavar;  /* shown in --help, e.g. "PORT" */
    const char *help;
} flag_def;

typedef enum { FLAGS_OK = 0, FLAGS_HELP, FLAGS_ERROR, FLAGS_VERSION } flags_result;

#define FLAGS_MAX_DEFS 64   /* rows in one program's table */

/* Parses argv[1..argc-1] into the table's destinations. On FLAGS_ERROR,
 * err holds one line naming the bad flag. */
flags_result flags_parse(const flag_def *defs, size_t ndefs, int argc, char **argv,
                         char *err, size_t errlen);

/* The whole front end of a program's main: parses, prints --help to
 * stdout, or prints "minidfs PROGRAM: <error>" to stderr. Returns -1 when
 * the program should go on, else the exit status (0 after help, 2 after a
 * usage error). */
int flags_run(const char *program, const char *usage, const flag_def *defs, size_t ndefs,
              int argc, char **argv);

/* Prints "usage" and one line per flag with its default value. */
void flags_print_help(FILE *out, const char *usage, const flag_def *defs, size_t ndefs);

/* The version minidfs was built as ("0.1.0"). */
const char *flags_version(void);

#endif
