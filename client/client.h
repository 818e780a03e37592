/*
 * client.h - the client CLI: its options, its actions, its entry point,
 * `minidfs admin`'s (admin_main.c), and the file commands' (fs_main.c).
 */
#ifndef MINIDFS_CLIENT_H
#define MINIDFS_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

typedef struct {
    const char *master;     /* base URL, "http://host:port" */
    const char *filename;   /* the name in minidfs */
    const char *input;      /* write: local file to read (default: filename) */
    const char *output;     /* read: local file to write, "-" for stdout */
    json_t *layout;         /* read: the file's layout a listing carried (/ls?layout=1),
                             * taken instead of asking /get; borrowed */
    json_t *plan;           /* write: the file's plan a batched /upload sent (put -r), with
                             * the "fileSize" it was planned for, taken instead of asking
                             * /upload; borrowed */
    bool overwrite;
    bool checked_later;     /* write: the caller checks the file on the master itself
                             * (put -r: a listing of each directory, once) */
    unsigned replication;   /* write: copies per chunk, 0 for the master's default */
    bool progress;          /* draw a progress line */
    int parallel;
    const char *mode;       /* chmod: octal permission bits, "640" */
    const char *owner;      /* chown: "USER", "USER:GROUP" or ":GROUP" */
} client_opts;

/* Each returns true on success; on failure err holds one line. */
bool client_write(const client_opts *o, char *err, size_t errlen);
/* Adds the local file's bytes at the end of an existing file, all or none. */
bool client_append(const client_opts *o, char *err, size_t errlen);
bool client_read(const client_opts *o, char *err, size_t errlen);
bool client_list(const client_opts *o, char *err, size_t errlen);
bool client_delete(const client_opts *o, char *err, size_t errlen);
/* A file's mode bits and its owner and group (a secure master checks who
 * may: perm.h). */
bool client_chmod(const client_opts *o, char *err, size_t errlen);
bool client_chown(const client_opts *o, char *err, size_t errlen);

/* `minidfs admin ...`: the report, decommissioning, users and tokens,
 * HA status (admin_main.c). */
int admin_main(int argc, char **argv);
/* `minidfs fsck [PATH] [--json]` (admin_main.c). */
int fsck_main(int argc, char **argv);

/* `minidfs ls|mkdir|put|get|cat|mv|rm|stat|du|append ...` (fs_main.c):
 * argv[0] is the command. */
int fs_main(int argc, char **argv);
bool fs_is_command(const char *name);
void fs_usage(FILE *out);

/* `minidfs client ...` */
int client_main(int argc, char **argv);

#endif
