/*
 * ui.h - the dashboard's files, compiled into the master (master/ui/,
 * turned into a C source by master/ui/embed.cmake at build time).
 */
#ifndef MINIDFS_UI_H
#define MINIDFS_UI_H

#include <stddef.h>

typedef struct {
    const char *name;           /* "index.html" */
    const char *content_type;
    const unsigned char *data;
    size_t size;
} ui_file;

extern const ui_file ui_files[];
extern const size_t ui_nfiles;

/* The file a request path names: "/" is index.html, "/ui/<name>" the
 * file of that name; NULL for anything else. */
const ui_file *ui_find(const char *url);

#endif
