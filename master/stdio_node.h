/*
 * stdio_node.h - `minidfs master --stdio`: the master as a node of a
 * JSON-lines test harness (the Maelstrom style).
 */
#ifndef MINIDFS_STDIO_NODE_H
#define MINIDFS_STDIO_NODE_H

#include <stdio.h>

#include "master.h"

/* Serves messages from in, one per line, answering on out, until in ends. */
int stdio_node_run(master *m, FILE *in, FILE *out);

#endif
