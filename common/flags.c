/*
 * flags.c - parses a program's flag table. Owns no state; writes only to
 * the destinations the table names. Must never exit the process: the
 * caller decides what a bad flag costs.
 */
#include "flags.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const flag_def *flags_find(const flag_def *defs, size_t ndefs, const char *name, size_t len)
{
    for (size_t i = 0; i < ndefs; i++)
        if (strlen(defs[i].name) == len && strncmp(defs[i].name, name, len) == 0)
            return &defs[i];
    return NULL;
}

static bool flags_parse_bool(const char *v, bool *out)
{
    if (!strcmp(v, "true") || !strcmp(v, "1") || !strcmp(v, "yes")) { *out = true; return true; }
    if (!strcmp(v, "false") || !strcmp(v, "0") || !strcmp(v, "no")) { *out = false; return true; }
    return false;
}

static bool flags_set(const flag_def *d, const char *v, char *err, size_t errlen)
{
    switch (d->type) {
    case FLAG_STRING:
        *(const char **)d->dest = v;
        return true;
    case FLAG_BOOL:
        if (!flags_parse_bool(v, (bool *)d->dest)) {
            snprintf(err, errlen, "flag --%s: expected true or false, got \"%s\"", d->name, v);
            return false;
        }
        return true;
    case FLAG_INT: {
        char *end;
        errno = 0;
        long long n = strtoll(v, &end, 10);
        if (errno || end == v || *end != '\0') {
            snprintf(err, errlen, "flag --%s: \"%s\" is not an integer", d->name, v);
            return false;
        }
        if (n < d->min || n > d->max) {
            snprintf(err, errlen, "flag --%s: %lld is out of range [%lld, %lld]", d->name, n,
                     d->min, d->max);
            return false;
        }
        *(long long *)d->dest = n;
        return true;
    }
    case FLAG_DOUBLE: {
        char *end;
        errno = 0;
        double x = strtod(v, &end);
        if (errno || end == v || *end != '\0' || !isfinite(x)) {
            snprintf(err, errlen, "flag --%s: \"%s\" is not a number", d->name, v);
            return false;
        }
        if (x < (double)d->min || x > (double)d->max) {
            snprintf(err, errlen, "flag --%s: %g is out of range [%lld, %lld]", d->name, x,
                     d->min, d->max);
            return false;
        }
        *(double *)d->dest = x;
        return true;
    }
    }
    return false;
}

flags_result flags_parse(const flag_def *defs, size_t ndefs, int argc, char **argv,
                         char *err, size_t errlen)
{
    /* Which rows were given, to refuse one given twice. */
    bool seen[FLAGS_MAX_DEFS] = { false };
    if (ndefs > FLAGS_MAX_DEFS) {
        snprintf(err, errlen, "a flag table of %zu rows (at most %d)", ndefs, FLAGS_MAX_DEFS);
        return FLAGS_ERROR;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-' || a[1] == '\0') {
            snprintf(err, errlen, "unexpected argument \"%s\"", a);
            return FLAGS_ERROR;
        }
        const char *name = a + (a[1] == '-' ? 2 : 1);
        /* -h is help unless the table has a flag of that name (ls -h). */
        if (!strcmp(name, "help") || (!strcmp(name, "h") && !flags_find(defs, ndefs, "h", 1)))
            return FLAGS_HELP;
        if (!strcmp(a, "--version"))
            return FLAGS_VERSION;
        const char *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        const flag_def *d = flags_find(defs, ndefs, name, len);
        if (!d) {
            snprintf(err, errlen, "unknown flag \"%s\" (try --help)", a);
            return FLAGS_ERROR;
        }
        if (seen[d - defs]) {
            snprintf(err, errlen, "flag --%s given more than once", d->name);
            return FLAGS_ERROR;
        }
        seen[d - defs] = true;
        const char *v;
        if (eq) {
            v = eq + 1;
        } else if (d->type == FLAG_BOOL) {
            v = "true";
        } else if (i + 1 < argc) {
            v = argv[++i];
        } else {
            snprintf(err, errlen, "flag --%s needs a value", d->name);
            return FLAGS_ERROR;
        }
        if (!flags_set(d, v, err, errlen))
            return FLAGS_ERROR;
    }
    return FLAGS_OK;
}

int flags_run(const char *program, const char *usage, const flag_def *defs, size_t ndefs,
              int argc, char **argv)
{
    char err[512];
    switch (flags_parse(defs, ndefs, argc, argv, err, sizeof err)) {
    case FLAGS_HELP:
        flags_print_help(stdout, usage, defs, ndefs);
        return 0;
    case FLAGS_VERSION:
        printf("minidfs %s\n", flags_version());
        return 0;
    case FLAGS_ERROR:
        fprintf(stderr, "minidfs %s: %s\n", program, err);
        return 2;
    case FLAGS_OK:
        break;
    }
    return -1;
}

void flags_print_help(FILE *out, const char *usage, const flag_def *defs, size_t ndefs)
{
    fprintf(out, "%s\n\nFlags:\n", usage);
    for (size_t i = 0; i < ndefs; i++) {
        const flag_def *d = &defs[i];
        char left[64];
        if (d->type == FLAG_BOOL)
            snprintf(left, sizeof left, "--%s", d->name);
        else
            snprintf(left, sizeof left, "--%s %s", d->name, d->metavar ? d->metavar : "VALUE");
        fprintf(out, "  %-26s %s", left, d->help);
        /* a help text that explains its default itself is not told twice */
        bool told = strstr(d->help, "(default") != NULL;
        switch (told ? FLAG_BOOL : d->type) {   /* FLAG_BOOL: no default printed */
        case FLAG_STRING:
            if (*(const char **)d->dest)
                fprintf(out, " (default \"%s\")", *(const char **)d->dest);
            break;
        case FLAG_INT:
            fprintf(out, " (default %lld)", *(long long *)d->dest);
            break;
        case FLAG_DOUBLE:
            fprintf(out, " (default %g)", *(double *)d->dest);
            break;
        case FLAG_BOOL:
            break;
        }
        fputc('\n', out);
    }
    fprintf(out, "  %-26s %s\n", "--help", "show this help and exit");
    fprintf(out, "  %-26s %s\n", "--version", "print the version and exit");
}

const char *flags_version(void)
{
#ifdef MINIDFS_VERSION
    return MINIDFS_VERSION;
#else
    return "unknown";
#endif
}
