/*
 * escape.h - names and messages from the network, made safe to print.
 *
 * A file name is whatever a client sent: it may hold a newline (which
 * forges a row in a listing or a log line) or an ANSI escape (which
 * rewrites the operator's terminal). Everything the programs print that
 * came from outside passes through here first.
 */
#ifndef MINIDFS_ESCAPE_H
#define MINIDFS_ESCAPE_H

#include <stddef.h>

/* Writes s into out (outlen bytes, always NUL-terminated, cut short if it
 * must be) with every byte a terminal or a line reader would act on made
 * visible: control characters (C0, DEL, and C1 as UTF-8 spells it) as \n,
 * \r, \t or \xNN, a backslash as \\, a byte that is not UTF-8 as \xNN.
 * Printable text, UTF-8 included, is left alone. Returns out. */
char *escape_text(const char *s, char *out, size_t outlen);

/* The same in place, for a buffer of cap bytes holding a string: returns
 * buf. */
char *escape_in_place(char *buf, size_t cap);

#endif
