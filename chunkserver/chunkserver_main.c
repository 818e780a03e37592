/*
 * chunkserver_main.c - `minidfs chunkserver`: flags, start-up and
 * shutdown. Takes its master (or an HA cluster's masters, --master
 * URL,URL), reads the cluster key (--key-file: a secure chunkserver) and a
 * TLS certificate (--tls-cert/--tls-key, with an https:// master: TLS all
 * through, or the start is refused), opens the store, starts the pool that
 * commits batches' items and the HTTP server (its port goes into the registration) and then the master link;
 * until the link is up, uploads are answered 503 (api.c) and reads are
 * served. Then waits for a stop signal.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "chunkserver.h"
#include "flags.h"
#include "httpc.h"
#include "httpd.h"
#include "log.h"
#include "copier.h"
#include "proc.h"
#include "scrub.h"
#include "tls.h"
#include "workpool.h"
#include "protocol.h"

static const char cs_usage[] =
    "usage: minidfs chunkserver --master http://HOST:PORT/ --port PORT --dir DIR [flags]\n\n"
    "Runs a chunkserver: it stores chunks as files in DIR, serves them, and\n"
    "registers with the master (again every heartbeat).";

/* The master asks for a copy (repair): queued, made by the copier. */
static void cs_copy(void *ud, const char *id, const char *target)
{
    chunkserver *cs = ud;
    if (!cs->copier || !copier_add(cs->copier, id, target))
        log_warn("repair copy of %s to %s dropped: the copy queue is full", id, target);
}

/* The master asks for a chunk to be checked: a client read it back wrong. */
static void cs_verify(void *ud, const char *id)
{
    chunkserver *cs = ud;
    if (!atomic_load(&cs->ready))   /* the first heartbeat's answer can come this early */
        return;
    if (scrub_check(cs->st, cs->ml, id))
        log_info("chunk %s checked on the master's request: sound", id);
}

int chunkserver_main(int argc, char **argv)
{
    long long port = 8001, heartbeat_ms = 1000, timeout_s = 120, report_every = 3600;
    long long scrub_mbps = 16, scrub_pause_ms = 10000, max_conns = 1000, max_conns_per_ip = 256;
    long long max_reserve_mb = 8192, capacity_mb = 0;
    const char *master_url = "http://localhost:8000/", *dir = "./data", *advertise = NULL;
    const char *port_file = NULL, *level_name = "info", *rack = "default", *key_file = NULL;
    const char *log_format = "text";
    const char *tls_cert = NULL, *tls_key = NULL, *ca_file = NULL;
    const flag_def defs[] = {
        { "master", FLAG_STRING, &master_url, 0, 0, "URL[,URL...]",
          "the master's address; every master of an HA cluster, comma-separated" },
        { "port", FLAG_INT, &port, 0, 65535, "PORT", "port to listen on (0: any free port)" },
        { "dir", FLAG_STRING, &dir, 0, 0, "DIR", "directory the chunks are stored in" },
        { "advertise", FLAG_STRING, &advertise, 0, 0, "HOST:PORT",
          "address the master gives out for this server (default: the address the "
          "registration came from, with --port)" },
        { "rack", FLAG_STRING, &rack, 0, 0, "NAME",
          "rack this server is in; replicas of a chunk go to different racks" },
        { "capacity-mb", FLAG_INT, &capacity_mb, 0, 1LL << 40, "MB",
          "report at most this capacity, and the chunks' own bytes as used (0: the file "
          "system's size and use)" },
        { "heartbeat-ms", FLAG_INT, &heartbeat_ms, 10, 600000, "MS",
          "interval between re-registrations with the master" },
        { "report-every", FLAG_INT, &report_every, 1, 1000000, "N",
          "heartbeats between full chunk reports to the master (a new master gets one at once; "
          "a thousand servers of 30,000 chunks each reporting every minute would be 500,000 "
          "entries a second)" },
        { "scrub-mbps", FLAG_INT, &scrub_mbps, 0, 100000, "MB/S",
          "rate at which stored chunks are re-read and checked (0: never)" },
        { "scrub-pause-ms", FLAG_INT, &scrub_pause_ms, 10, 86400000, "MS",
          "rest between two scrubbing passes over every stored chunk" },
        { "timeout", FLAG_INT, &timeout_s, 1, 3600, "SECONDS", "idle connection timeout" },
        { "port-file", FLAG_STRING, &port_file, 0, 0, "PATH",
          "write the bound port here once listening" },
        { "log-level", FLAG_STRING, &level_name, 0, 0, "LEVEL", "debug, info, warn or error" },
        { "log-format", FLAG_STRING, &log_format, 0, 0, "FORMAT",
          "text, or json: one JSON object per line, for log shippers" },
        { "max-connections", FLAG_INT, &max_conns, 1, 1000000, "N",
          "open connections (each a thread) at once; more wait in the kernel's queue" },
        { "max-connections-per-ip", FLAG_INT, &max_conns_per_ip, 1, 1000000, "N",
          "open connections from one address at once; more are closed at once" },
        { "max-reserve-mb", FLAG_INT, &max_reserve_mb, 0, 100000000, "MB",
          "most bytes the uploads in progress may announce (and set aside on disk) at once; "
          "more get a 503 (0: no bound)" },
        { "key-file", FLAG_STRING, &key_file, 0, 0, "PATH",
          "the cluster key of a secure master (its meta-dir's cluster.key, mode 0600): "
          "every message to the master is signed with it" },
        { "tls-cert", FLAG_STRING, &tls_cert, 0, 0, "PEM",
          "serve HTTPS with this certificate chain (with --tls-key and an https:// --master)" },
        { "tls-key", FLAG_STRING, &tls_key, 0, 0, "PEM", "the certificate's private key (mode 0600)" },
        { "ca-file", FLAG_STRING, &ca_file, 0, 0, "PEM",
          "the CA certificates the master's and other chunkservers' are checked against "
          "(default: the system's)" },
    };
    const size_t ndefs = sizeof defs / sizeof defs[0];
    int rc = flags_run("chunkserver", cs_usage, defs, ndefs, argc, argv);
    if (rc >= 0)
        return rc;
    char err[512];
    if (!log_init_named("chunkserver", level_name)) {
        fprintf(stderr, "minidfs chunkserver: unknown log level \"%s\"\n", level_name);
        return 2;
    }
    if (!log_set_format(log_format)) {
        fprintf(stderr, "minidfs chunkserver: --log-format is text or json, not \"%s\"\n", log_format);
        return 2;
    }
    char master_base[512 * ADDR_MAX_MASTERS], announce[PROTO_MAX_SERVER_ADDR];
    if (!addr_master_list(master_url, master_base, sizeof master_base, err, sizeof err)) {
        fprintf(stderr, "minidfs chunkserver: --master: %s\n", err);
        return 2;
    }
    if (advertise && !addr_canon_server(advertise, NULL, announce, sizeof announce, err, sizeof err)) {
        fprintf(stderr, "minidfs chunkserver: --advertise: %s\n", err);
        return 2;
    }
    auth_key key;
    if (key_file && !auth_key_load(key_file, &key, err, sizeof err)) {
        fprintf(stderr, "minidfs chunkserver: --key-file: %s\n", err);
        return 2;
    }
    /* A TLS cluster is TLS all through: what it serves and what it calls. */
    bool tls_out = strncmp(master_base, "https://", 8) == 0;
    tls_server tls;
    if (!tls_server_load(tls_cert, tls_key, &tls, err, sizeof err)) {
        fprintf(stderr, "minidfs chunkserver: %s\n", err);
        return 2;
    }
    if ((tls.cert != NULL) != tls_out || (ca_file && !tls_out)) {
        fprintf(stderr, "minidfs chunkserver: a TLS cluster serves and calls with TLS: give "
                        "--tls-cert and --tls-key with an https:// --master, or none of them "
                        "(--ca-file only with https)\n");
        tls_server_free(&tls);
        return 2;
    }
    proc_block_signals();
    httpc_global_init();
    httpc_set_tls(tls_out, ca_file);
    addr_use_tls(tls_out);

    rc = 1;
    struct MHD_Daemon *d = NULL;
    scrub *sc = NULL;
    chunkserver cs = { 0 };
    pthread_mutex_init(&cs.active_mu, NULL);
    if (key_file && !(cs.seen = auth_replay_new())) {
        fprintf(stderr, "minidfs chunkserver: out of memory\n");
        goto out;
    }
    cs.key = key_file ? &key : NULL;
    cs.tls = tls.cert != NULL;
    cs.max_reserved = (uint64_t)max_reserve_mb * 1000000;
    cs.st = store_open(dir, err, sizeof err);
    if (!cs.st) {
        fprintf(stderr, "minidfs chunkserver: %s\n", err);
        goto out;
    }
    if (!(cs.commits = workpool_new(CS_COMMIT_THREADS, "the commit pool", err, sizeof err))) {
        fprintf(stderr, "minidfs chunkserver: %s\n", err);
        goto out;
    }
    metrics_started();
    if (!(cs.http = cs_api_metrics_new())) {
        fprintf(stderr, "minidfs chunkserver: out of memory\n");
        goto out;
    }
    httpd_config cfg = {
        .metrics = cs.http,
        .port = (uint16_t)port,
        .thread_per_connection = true,
        /* chunk bodies come in callbacks of up to about half of this,
         * and libmicrohttpd zeroes all of it after every request: 1 MiB
         * and 256 KiB moved a 1 GiB file no faster than 64 KiB (64 MiB
         * chunks, measured side by side), and cost a 4 KiB chunk's
         * upload a third of the chunkserver's time */
        .conn_memory_limit = 64 * 1024,
        .timeout_s = (unsigned)timeout_s,
        .max_conns = (unsigned)max_conns,
        .max_conns_per_ip = (unsigned)max_conns_per_ip,
        .handler = cs_api_handle,
        .handler_cls = &cs,
        .completed = cs_api_completed,
        .tls_cert = tls.cert,
        .tls_key = tls.key,
    };
    uint16_t bound;
    d = httpd_start(&cfg, &bound, err, sizeof err);
    if (!d) {
        fprintf(stderr, "minidfs chunkserver: %s\n", err);
        goto out;
    }
    if (!advertise)
        snprintf(announce, sizeof announce, ":%u/", (unsigned)bound);
    if (!(cs.copier = copier_start(&cs))) {
        fprintf(stderr, "minidfs chunkserver: cannot start the copier\n");
        goto out;
    }
    masterlink_config mlc = { .master_base = master_base, .announce = announce, .rack = rack,
                              .st = cs.st, .heartbeat_ms = heartbeat_ms,
                              .report_every = report_every, .load = &cs.stats.active,
                              .active = cs_active_chunks, .verify = cs_verify,
                              .copy = cs_copy,
                              .cb_ud = &cs, .key = key_file ? &key : NULL,
                              .capacity = (uint64_t)capacity_mb * 1000000 };
    cs.ml = masterlink_start(&mlc, err, sizeof err);
    if (cs.ml)
        atomic_store(&cs.ready, true);
    if (!cs.ml || (port_file && !proc_write_port_file(port_file, bound, err, sizeof err))) {
        fprintf(stderr, "minidfs chunkserver: %s\n", err);
        goto out;
    }
    if (!(sc = scrub_start(cs.st, cs.ml, (double)scrub_mbps, (long)scrub_pause_ms,
                          &cs.stats.scrub))) {
        fprintf(stderr, "minidfs chunkserver: cannot start the scrubber\n");
        goto out;
    }
    log_info("listening on port %u, storing chunks in %s", (unsigned)bound, dir);
    int sig = proc_wait_signal();
    log_info("signal %d: shutting down", sig);
    rc = 0;
out:
    /* The HTTP side stops first: no request may outlive the master link. */
    if (d)
        httpd_stop(d);
    scrub_stop(sc);
    workpool_free(cs.commits);  /* idle: every batch ended with its connection */
    copier_stop(cs.copier);     /* its copies use the master link */
    masterlink_stop(cs.ml);
    copier_free(cs.copier);
    store_close(cs.st);
    pthread_mutex_destroy(&cs.active_mu);
    auth_replay_free(cs.seen);
    tls_server_free(&tls);
    metrics_http_free(cs.http);
    curl_global_cleanup();
    return rc;
}
