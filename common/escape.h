/*
 * escape.h - names and messages from the network, made safe to print.
 *
 * A file name is whatever a client sent: it may hold a newline (which
 * forges a row in a listing or a log line) or an ANSI escape (which
 * rewrites the operator's terminal). Everything the programs print that
 * came from outside passes through here first, and every text that goes
 * into a JSON answer is made well-formed UTF-8 here (a message cut short
 * may end inside a character).
 */
#ifndef MINIDFS_ESCAPE_H
#define MINIDFS_ESCAPE_H

#include <stdbool.h>
#include <stddef.h>

/* Length of the UTF-8 sequence at p (1 to 4), or 0 when p does not start
 * one that is whole and well formed (no overlong form, no surrogate). */
size_t escape_utf8_len(const unsigned char *p);
/* Replaces in place every byte of s that is not part of a well-formed
 * UTF-8 sequence (a stray byte, or the start of one cut short) by '?', so
 * that s can go into JSON. Returns s. */
char *escape_utf8_mend(char *s);

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
