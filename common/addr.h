/*
 * addr.h - the two address forms minidfs uses and the URLs built from them.
 *
 * The master is named by a base URL ("http://localhost:8000/", as the Go
 * tool's --master flag takes it); an HA cluster's masters by a list of
 * them, comma-separated. A chunkserver is named by "HOST:PORT/",
 * the string the Go protocol carries in "url", "chunkservers" and
 * "locations"; that string is the chunkserver's identity in the master.
 */
#ifndef MINIDFS_ADDR_H
#define MINIDFS_ADDR_H

#include <stdbool.h>
#include <stddef.h>

/* "http://h:p/", "http://h:p" or "h:p" -> "http://h:p" (no trailing
 * slash); "https://h:p/" -> "https://h:p" (a TLS cluster). */
bool addr_master_base(const char *in, char *out, size_t outlen, char *err, size_t errlen);

/* The masters of an HA cluster, "URL,URL,..." (one is a list too): each
 * as addr_master_base makes it, joined by ',' into out; all of one
 * scheme, at most ADDR_MAX_MASTERS. The count, or 0 with err set. */
#define ADDR_MAX_MASTERS 8
#define ADDR_MAX_BASE 512
size_t addr_master_list(const char *in, char *out, size_t outlen, char *err, size_t errlen);
/* The masters of such a list, one base each, at most max: how many. */
size_t addr_master_split(const char *list, char (*out)[ADDR_MAX_BASE], size_t max);
/* Which of the n masters bases[] to ask next after master cur's answer: the
 * active master a standby's hint (leader, "" for none) names, when it is
 * one of the list (a hint never sends anything elsewhere); else, when cur
 * could not be reached or said to wait (away), the next of the list; else
 * cur. */
size_t addr_master_next(char (*bases)[ADDR_MAX_BASE], size_t n, size_t cur, const char *leader,
                        bool away);

/* Canonical chunkserver address "HOST:PORT/". Accepts an optional
 * "http://" and a missing trailing slash. An empty or wildcard host
 * (":8001/", "0.0.0.0:8001") is replaced by peer_host when given. */
bool addr_canon_server(const char *in, const char *peer_host, char *out, size_t outlen,
                       char *err, size_t errlen);

/* "HOST:PORT/" + "/chunks/x" -> "http://HOST:PORT/chunks/x", or https://
 * once addr_use_tls(true) was called (main does, for a TLS cluster,
 * before any thread builds a URL). */
void addr_use_tls(bool on);
bool addr_server_url(const char *server, const char *path, char *out, size_t outlen);

#endif
