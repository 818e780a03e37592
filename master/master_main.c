/*
 * master_main.c - `minidfs master`: flags, start-up and shutdown of the
 * master process. Owns the process-wide master state; hands it to the HTTP
 * pool and then only waits for a stop signal.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>
#include <time.h>

#include "api.h"
#include "election.h"
#include "expiry.h"
#include "flags.h"
#include "ha.h"
#include "httpc.h"
#include "httpd.h"
#include "log.h"
#include "master.h"
#include "proc.h"
#include "tls.h"
#include "protocol.h"
#include "recovery.h"
#include "repair.h"
#include "stdio_node.h"

/* Unknown replicas the master keeps track of at once (about 100 bytes
 * each); past that, collection of the rest waits. */
#define MASTER_MAX_SIGHTINGS 262144

static const char master_usage[] =
    "usage: minidfs master [--port 8000] [--chunkSize BYTES] [flags]\n\n"
    "Runs the master: it keeps the namespace, decides where chunks go and\n"
    "tells clients where to find them. Chunk bytes never pass through it.";

int master_main(int argc, char **argv)
{
    long long port = 8000, chunk_size = (long long)PROTO_DEFAULT_CHUNK_SIZE;
    long long dead_after_ms = 10000, threads = 16, replication = 3, lease_ms = 60000;
    long long repair_ms = 1000, repair_max = 4096, checkpoint_every = 100000, gc_grace_ms = 60000;
    long long max_repl_streams = 2, safemode_ms = 30000, upload_expiry_ms = 600000;
    long long report_pages = 2;
    double balance_threshold = 10, balance_mbps = 20;
    long long max_conns = 10000, max_conns_per_ip = 256, max_open = 100000, max_open_user = 10000;
    long long timeout_s = 30, bad_chunk_rate = 20;
    double gc_max_fraction = 0.1;
    bool stdio_mode = false, recover = false, secure = false;
    const char *port_file = NULL, *level_name = "info", *meta_dir = "./master-meta";
    const char *log_format = "text";
    const char *tls_cert = NULL, *tls_key = NULL, *ca_file = NULL;
    const char *ha_etcd = NULL, *ha_cluster = NULL, *advertise = NULL;
    long long ha_ttl = 3;
    const flag_def defs[] = {
        { "port", FLAG_INT, &port, 0, 65535, "PORT", "port to listen on (0: any free port)" },
        { "chunkSize", FLAG_INT, &chunk_size, 1, (long long)PROTO_MAX_CHUNK_SIZE, "BYTES",
          "chunk size for new files" },
        { "replication", FLAG_INT, &replication, 1, PROTO_MAX_REPLICATION, "N",
          "copies of each chunk (capped by the live chunkservers)" },
        { "lease-ms", FLAG_INT, &lease_ms, 100, 86400000, "MS",
          "how long a primary's lease on a chunk lasts" },
        { "max-connections", FLAG_INT, &max_conns, 1, 1000000, "N",
          "open connections at once; more wait in the kernel's queue" },
        { "max-connections-per-ip", FLAG_INT, &max_conns_per_ip, 1, 1000000, "N",
          "open connections from one address at once; more are closed at once" },
        { "max-open-uploads", FLAG_INT, &max_open, 0, 100000000, "N",
          "uploads in progress (planned, not yet complete) at once; more get a 429 (0: no bound)" },
        { "max-open-uploads-per-user", FLAG_INT, &max_open_user, 0, 100000000, "N",
          "the same for each user of a secure master (superusers excepted)" },
        { "timeout", FLAG_INT, &timeout_s, 1, 3600, "SECONDS",
          "a connection silent this long is closed (a request's headers and body must keep "
          "coming)" },
        { "bad-chunk-rate", FLAG_INT, &bad_chunk_rate, 1, 1000000, "N",
          "bad-copy and unreachable-server reports per second taken from one client address "
          "(twice that at once); more get a 429" },
        { "secure", FLAG_BOOL, &secure, 0, 0, NULL,
          "make (first start) or use the cluster key in --meta-dir: chunkservers must sign "
          "every message with it (chunkserver --key-file)" },
        { "tls-cert", FLAG_STRING, &tls_cert, 0, 0, "PEM",
          "serve HTTPS with this certificate chain (with --tls-key)" },
        { "tls-key", FLAG_STRING, &tls_key, 0, 0, "PEM", "the certificate's private key (mode 0600)" },
        { "ca-file", FLAG_STRING, &ca_file, 0, 0, "PEM",
          "high availability on TLS: the CA certificates etcd's and the other masters' are "
          "checked against (default: the system's)" },
        { "stdio", FLAG_BOOL, &stdio_mode, 0, 0, NULL,
          "speak the JSON-lines node protocol on stdin/stdout instead of HTTP" },
        { "repair-ms", FLAG_INT, &repair_ms, 10, 3600000, "MS",
          "how often a scan of the namespace for chunks short of copies (or with too many) begins" },
        { "repair-max", FLAG_INT, &repair_max, 0, 1000000, "N",
          "chunk copies ordered per --repair-ms at most, besides --max-repl-streams per source (0: no re-replication)" },
        { "report-pages-at-once", FLAG_INT, &report_pages, 1, 1024, "N",
          "pages of chunkservers' full reports judged at once; more are told to come back in "
          "100 ms (after a restart a thousand servers report together, and a thread judging a "
          "page keeps the requests behind it waiting)" },
        { "max-repl-streams", FLAG_INT, &max_repl_streams, 1, 64, "N",
          "repair copies in flight per source chunkserver" },
        { "balance-threshold", FLAG_DOUBLE, &balance_threshold, 1, 100, "POINTS",
          "move chunks while chunkservers' disk use differs by this many percentage points or more" },
        { "balance-mbps", FLAG_DOUBLE, &balance_mbps, 0, 100000, "MB/S",
          "chunk bytes the balancer sets moving per second (0: no balancing)" },
        { "dead-after-ms", FLAG_INT, &dead_after_ms, 100, 86400000, "MS",
          "a chunkserver silent this long gets no new chunks" },
        { "meta-dir", FLAG_STRING, &meta_dir, 0, 0, "DIR",
          "where the namespace's journal and checkpoints live" },
        { "recover", FLAG_BOOL, &recover, 0, 0, NULL,
          "start even if a journal log is damaged: keep every record before the damage, set "
          "the rest aside (*.damaged files) and log what was dropped" },
        { "checkpoint-every", FLAG_INT, &checkpoint_every, 1, 1000000000, "N",
          "write a checkpoint once this many journal records piled up" },
        { "gc-grace-ms", FLAG_INT, &gc_grace_ms, 0, 86400000LL * 30, "MS",
          "a chunk the master does not know is deleted once this old" },
        { "safemode-ms", FLAG_INT, &safemode_ms, 0, 86400000, "MS",
          "after a restart, how long chunk reports are only taken in: nothing is deleted, "
          "trimmed or repaired before the chunkservers have had their say" },
        { "gc-max-fraction", FLAG_DOUBLE, &gc_max_fraction, 0, 1, "F",
          "a chunkserver's report in which more than this share of the chunks (and more than "
          "4) would be deleted is held back whole, and logged: a sign of a wrong or old "
          "--meta-dir, not of garbage" },
        { "upload-expiry-ms", FLAG_INT, &upload_expiry_ms, 0, 86400000LL * 30, "MS",
          "an incomplete file nothing has written to for this long is removed (0: never)" },
        { "threads", FLAG_INT, &threads, 1, 256, "N",
          "HTTP worker threads (a change waits for its journal flush: more threads, bigger "
          "group commits)" },
        { "ha-etcd", FLAG_STRING, &ha_etcd, 0, 0, "URLS",
          "high availability: the etcd cluster (http://host:port,...) where this master's "
          "cluster keeps its log and elects its active master (with --cluster)" },
        { "cluster", FLAG_STRING, &ha_cluster, 0, 0, "NAME",
          "high availability: the cluster's name (letters, digits, '.', '_', '-'; 1 to 64)" },
        { "advertise", FLAG_STRING, &advertise, 0, 0, "HOST:PORT",
          "high availability: where clients and the other masters reach this master "
          "(default: 127.0.0.1 and the port it listens on)" },
        { "ha-ttl", FLAG_INT, &ha_ttl, 2, 60, "SECONDS",
          "high availability: the active master's lease; a standby takes over within about "
          "this long of the active master's loss" },
        { "port-file", FLAG_STRING, &port_file, 0, 0, "PATH",
          "write the bound port here once listening" },
        { "log-level", FLAG_STRING, &level_name, 0, 0, "LEVEL", "debug, info, warn or error" },
        { "log-format", FLAG_STRING, &log_format, 0, 0, "FORMAT",
          "text, or json: one JSON object per line, for log shippers" },
    };
    int rc = flags_run("master", master_usage, defs, sizeof defs / sizeof defs[0], argc, argv);
    if (rc >= 0)
        return rc;
    char err[512];
    if (!log_init_named("master", level_name)) {
        fprintf(stderr, "minidfs master: unknown log level \"%s\"\n", level_name);
        return 2;
    }
    if (!log_set_format(log_format)) {
        fprintf(stderr, "minidfs master: --log-format is text or json, not \"%s\"\n", log_format);
        return 2;
    }
    if (!ha_etcd != !ha_cluster) {
        fprintf(stderr, "minidfs master: --ha-etcd and --cluster go together\n");
        return 2;
    }
    if (ha_cluster && (strlen(ha_cluster) < 1 || strlen(ha_cluster) > 64 ||
                       strspn(ha_cluster, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                          "0123456789._-") != strlen(ha_cluster))) {
        fprintf(stderr, "minidfs master: --cluster: 1 to 64 letters, digits, '.', '_' or '-'\n");
        return 2;
    }
    if (ha_etcd && stdio_mode) {
        fprintf(stderr, "minidfs master: --ha-etcd does not go with --stdio\n");
        return 2;
    }
    /* A TLS cluster is TLS all through: an HA master calls etcd and the
     * other masters over HTTPS only, verified against --ca-file. */
    if (ha_etcd && tls_cert && strstr(ha_etcd, "http://")) {
        fprintf(stderr, "minidfs master: a master serving HTTPS talks to etcd over https:// "
                        "only (--ha-etcd)\n");
        return 2;
    }
    if (ca_file && !(ha_etcd && tls_cert)) {
        fprintf(stderr, "minidfs master: --ca-file is for a master of an HA cluster on TLS "
                        "(--ha-etcd with --tls-cert)\n");
        return 2;
    }
    if (!ha_etcd && advertise) {
        fprintf(stderr, "minidfs master: --advertise is for a master of an HA cluster "
                        "(--ha-etcd)\n");
        return 2;
    }
    /* Loaded after every flag is checked: a usage error frees nothing. */
    tls_server tls;
    if (!tls_server_load(tls_cert, tls_key, &tls, err, sizeof err)) {
        fprintf(stderr, "minidfs master: %s\n", err);
        return 2;
    }
    if (!stdio_mode)
        proc_block_signals();   /* stdio mode ends at end of input, or by any signal */
    httpc_global_init();
    httpc_set_tls(tls.cert != NULL, ca_file);

    rc = 1;
    struct MHD_Daemon *d = NULL;
    repair *rep = NULL;
    expiry *exp = NULL;
    recovery *md = NULL;
    ha *hm = NULL;
    master m = { .chunk_size = (uint64_t)chunk_size, .replication = (unsigned)replication,
                 .lease_ms = lease_ms, .gc_grace_ms = gc_grace_ms,
                 .max_repl_streams = (unsigned)max_repl_streams,
                 .report_pages = (unsigned)report_pages,
                 .gc_max_fraction = gc_max_fraction, .balance_threshold = balance_threshold,
                 .balance_bytes_per_s = (uint64_t)(balance_mbps * 1e6) };
    uint64_t epoch;
    if (getrandom(&epoch, sizeof epoch, 0) != (ssize_t)sizeof epoch)
        epoch = (uint64_t)time(NULL);
    atomic_init(&m.epoch, epoch & ((1ull << 53) - 1));   /* exact as a JSON number everywhere */
    m.ns = namespace_new();
    m.reg = registry_new(dead_after_ms);
    m.outbox = outbox_new();
    m.seen = sightings_new(MASTER_MAX_SIGHTINGS);
    m.reports = ratelimit_new((unsigned)bad_chunk_rate);
    if (!m.ns || !m.reg || !m.outbox || !m.seen || !m.reports) {
        fprintf(stderr, "minidfs master: out of memory\n");
        goto out;
    }
    if (stdio_mode) {
        /* A test harness's node: its namespace lives for the run only. */
        safemode_start(&m.safe, registry_now_ms(), 0);
        rc = stdio_node_run(&m, stdin, stdout);
        goto out;
    }
    md = ha_etcd ? recovery_open_ha(meta_dir, m.ns, (uint64_t)checkpoint_every, recover, err,
                                    sizeof err)
                 : recovery_open(meta_dir, m.ns, (uint64_t)checkpoint_every, recover, err,
                                 sizeof err);
    if (!md) {
        fprintf(stderr, "minidfs master: %s\n", err);
        goto out;
    }
    /* An HA master that would make a cluster key founds the cluster (its
     * log must be empty), and makes the first superuser's token too; one
     * that joins brings the cluster's key and learns the superuser from
     * the log. */
    char keypath[4200];
    snprintf(keypath, sizeof keypath, "%s/cluster.key", meta_dir);
    bool key_new = secure && access(keypath, F_OK) != 0;
    if (ha_etcd) {
        ha_config hc = { .etcd = ha_etcd, .cluster = ha_cluster, .ttl_s = ha_ttl,
                         .safemode_ms = safemode_ms, .meta_dir = meta_dir, .key_new = key_new };
        if (!(hm = ha_start(&m, md, &hc, err, sizeof err))) {
            fprintf(stderr, "minidfs master: --ha-etcd: %s\n", err);
            goto out;
        }
    }
    if (!secure_open(&m.sec, meta_dir, secure, !ha_etcd || key_new, err, sizeof err)) {
        fprintf(stderr, "minidfs master: %s\n", err);
        goto out;
    }
    namespace_set_limits(m.ns, (size_t)max_open, (size_t)max_open_user);
    m.j = recovery_journal(md);
    m.ns_fresh = recovery_fresh(md);
    namespace_cluster_id(m.ns, m.cluster_id);
    /* A namespace made just now has no chunk anywhere to protect. */
    safemode_start(&m.safe, registry_now_ms(), m.ns_fresh ? 0 : safemode_ms);
    metrics_started();
    if (!(m.http = master_api_metrics_new())) {
        fprintf(stderr, "minidfs master: out of memory\n");
        goto out;
    }
    httpd_config cfg = {
        .metrics = m.http,
        .port = (uint16_t)port,
        .pool_size = (unsigned)threads,
        .max_conns = (unsigned)max_conns,
        .max_conns_per_ip = (unsigned)max_conns_per_ip,
        .timeout_s = (unsigned)timeout_s,
        .handler = master_api_handle,
        .handler_cls = &m,
        .completed = master_api_completed,
        .tls_cert = tls.cert,
        .tls_key = tls.key,
    };
    uint16_t bound;
    d = httpd_start(&cfg, &bound, err, sizeof err);
    if (!d) {
        fprintf(stderr, "minidfs master: %s\n", err);
        goto out;
    }
    if (hm) {
        char me[ELECTION_MAX_NAME + 1];
        const char *scheme = tls.cert ? "https" : "http";
        if (advertise)
            snprintf(me, sizeof me, "%s://%s", scheme, advertise);
        else
            snprintf(me, sizeof me, "%s://127.0.0.1:%u", scheme, (unsigned)bound);
        if (!ha_run(hm, me, err, sizeof err)) {
            fprintf(stderr, "minidfs master: --ha-etcd: %s\n", err);
            goto out;
        }
    }
    if (!(rep = repair_start(&m, repair_ms, (unsigned)repair_max))) {
        fprintf(stderr, "minidfs master: cannot start the repair thread\n");
        goto out;
    }
    if (upload_expiry_ms > 0 && !(exp = expiry_start(&m, upload_expiry_ms))) {
        fprintf(stderr, "minidfs master: cannot start the expiry thread\n");
        goto out;
    }
    if (hm)
        log_info("listening on port %u, chunk size %lld bytes, a master of HA cluster %s",
                 (unsigned)bound, chunk_size, ha_cluster);
    else
        log_info("listening on port %u%s, chunk size %lld bytes, cluster %s%s", (unsigned)bound,
                 tls.cert ? " (HTTPS)" : "", chunk_size, m.cluster_id,
                 m.ns_fresh ? " (a new namespace)" : "");
    secure_announce(&m.sec, meta_dir);
    /* Last: whoever waits for the port file finds the threads running and
     * everything said at start in the log. */
    if (port_file && !proc_write_port_file(port_file, bound, err, sizeof err)) {
        fprintf(stderr, "minidfs master: %s\n", err);
        goto out;
    }
    int sig = proc_wait_signal();
    log_info("signal %d: shutting down", sig);
    rc = 0;
out:
    expiry_stop(exp);
    repair_stop(rep);
    if (d)
        httpd_stop(d);
    ha_halt(hm);      /* no more following or campaigning... */
    recovery_close(md);
    ha_stop(hm);      /* ...and, the last checkpoint written, an active master resigns */
    namespace_free(m.ns);
    registry_free(m.reg);
    metrics_http_free(m.http);
    outbox_free(m.outbox);
    sightings_free(m.seen);
    ratelimit_free(m.reports);
    secure_close(&m.sec);
    tls_server_free(&tls);
    curl_global_cleanup();
    return rc;
}
