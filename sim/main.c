/*
 * main.c - minidfs-sim's command line and the schedule of a run.
 *
 *   minidfs-sim seed --meta-dir DIR [shape]     a master's meta-dir with the files
 *   minidfs-sim run --master URL [shape] ...    play the servers and the workload
 *
 * A run, against a master just started on a seeded meta-dir:
 *   1. absorb: every server registers and reports in full; how long until
 *      the last report is in, and until the master finds every chunk
 *      located (its census: none missing or short, safe mode over);
 *   2. idle: the heartbeats alone for --idle-s: the master's CPU share
 *      and heartbeat latency;
 *   3. steady: heartbeats and the workload for --steady-s; the master's
 *      CPU share, and latency percentiles per endpoint;
 *   4. repair: --kill servers fall silent; how long until every chunk
 *      has its copies again on live servers (the simulator's own count,
 *      of copies the master ordered and was told had landed);
 *   5. with --revive, they come back, and the master trims the surplus;
 *   6. with --linger-s, the servers beat on with nothing else, for a
 *      measurement of another's (the benchmark's wrk).
 * All along, a client thread of its own (probe.c) times GET /get.
 * With --check the run fails (exit 1) unless every chunk was located,
 * replication was restored, nothing is lost and no deletion was wrongful.
 * The figures go to stdout, and with --json to a file. Must never send a
 * byte outside 127.0.0.0/8 (the master's URL is the caller's to choose).
 */
#include "sim.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flags.h"
#include "httpc.h"

typedef struct {
    sim_fleet *f;
    bool asked, have;
    long status;
    bool safe;
    json_int_t chunks, under, missing, live;
} sim_census;

static void sim_census_answer(void *ud, long status, json_t *ans)
{
    sim_census *c = ud;
    c->asked = false;
    c->status = status;
    if (status != 200 || !ans)
        return;
    c->have = true;
    c->safe = json_is_true(json_object_get(ans, "safeMode"));
    c->chunks = json_integer_value(json_object_get(ans, "chunks"));
    c->under = json_integer_value(json_object_get(ans, "underReplicated"));
    c->missing = json_integer_value(json_object_get(ans, "missing"));
    c->live = json_integer_value(json_object_get(ans, "chunkserversLive"));
}

/* Runs the loop for ms, asking the master's census every 500 ms (not
 * with c NULL: the idle phase measures the heartbeats alone). */
static void sim_step(sim_fleet *f, sim_census *c, int64_t ms)
{
    static int64_t last;
    int64_t now = sim_now_ms();
    if (c && !c->asked && now - last >= 500) {
        last = now;
        c->asked = true;
        sim_fleet_request(f, "GET", PROTO_PATH_REPORT, NULL, "admin/report", sim_census_answer, c);
    }
    sim_fleet_run(f, now + ms, NULL, NULL);
}

/* The probe's figures for a phase: a line, and <name>_probe in out. */
static void sim_probe_report(sim_probe *pr, int phase, const char *name, json_t *out)
{
    double p50, p99, max;
    size_t n, failed;
    if (!sim_probe_result(pr, phase, &p50, &p99, &max, &n, &failed))
        return;
    printf("%s: a client's GET /get p50 %.2f ms, p99 %.2f ms, max %.2f ms (%zu requests, %zu "
           "failed)\n", name, p50, p99, max, n, failed);
    char key[64];
    snprintf(key, sizeof key, "%s_probe", name);
    json_object_set_new(out, key, json_pack("{s:f,s:f,s:f,s:I,s:I}", "p50_ms", p50, "p99_ms", p99,
                                            "max_ms", max, "count", (json_int_t)n, "failed",
                                            (json_int_t)failed));
}

static double sim_secs(int64_t from, int64_t to)
{
    return (double)(to - from) / 1000.0;
}

static int sim_run(int argc, char **argv)
{
    const char *master = "http://127.0.0.1:8000/", *json_out = NULL;
    long long servers = 200, racks = 10, files = 2000, cpf = 100, chunk_size = 1 << 20;
    long long replication = 3, heartbeat_ms = 1000, report_every = 0, steady_s = 10;
    long long kill = 1, absorb_timeout_s = 120, repair_timeout_s = 300, master_pid = 0;
    long long inflight = 8, idle_s = 10, linger_s = 0;
    double probe = 20;
    double jitter = 0.1, bandwidth = 100, creates = 0, appends = 0, deletes = 0, gets = 0;
    bool revive = false, check = false;
    const flag_def defs[] = {
        { "master", FLAG_STRING, &master, 0, 0, "URL", "the master (default http://127.0.0.1:8000/)" },
        { "servers", FLAG_INT, &servers, 1, SIM_MAX_SERVERS, "N", "simulated chunkservers (200)" },
        { "racks", FLAG_INT, &racks, 1, 1000, "N", "racks they are on, in turn (10)" },
        { "files", FLAG_INT, &files, 0, 100000000, "N", "seeded files (2000)" },
        { "chunks-per-file", FLAG_INT, &cpf, 1, 1000000, "N", "chunks of each (100)" },
        { "chunk-size", FLAG_INT, &chunk_size, 1, PROTO_MAX_CHUNK_SIZE, "BYTES",
          "the master's --chunk-size (1 MiB)" },
        { "replication", FLAG_INT, &replication, 1, SIM_MAX_HOLDERS - 1, "N", "copies of each chunk (3)" },
        { "heartbeat-ms", FLAG_INT, &heartbeat_ms, 10, 600000, "MS", "between beats (1000)" },
        { "jitter", FLAG_DOUBLE, &jitter, 0, 1, "F", "a beat's spread, a share of the interval (0.1)" },
        { "report-every", FLAG_INT, &report_every, 0, 1000000, "N",
          "full reports every N beats too (0: only to a new master epoch)" },
        { "bandwidth-mbps", FLAG_DOUBLE, &bandwidth, 0.001, 1e6, "MB/S",
          "a simulated copy's speed, per source server (100)" },
        { "idle-s", FLAG_INT, &idle_s, 0, 86400, "S",
          "the idle phase: heartbeats and the probe only (10)" },
        { "steady-s", FLAG_INT, &steady_s, 0, 86400, "S", "the steady phase, with the workload (10)" },
        { "linger-s", FLAG_INT, &linger_s, 0, 86400, "S",
          "at the end, the servers beat on this long with nothing else (another's measurement)" },
        { "probe", FLAG_DOUBLE, &probe, 0, 1e4, "N/S",
          "GET /get a second from a client thread of its own, in every phase (20)" },
        { "kill", FLAG_INT, &kill, 0, SIM_MAX_SERVERS, "N", "servers that fall silent (1)" },
        { "revive", FLAG_BOOL, &revive, 0, 0, NULL, "bring them back after the repair" },
        { "absorb-timeout-s", FLAG_INT, &absorb_timeout_s, 1, 86400, "S", "(120)" },
        { "repair-timeout-s", FLAG_INT, &repair_timeout_s, 1, 86400, "S", "(300)" },
        { "creates", FLAG_DOUBLE, &creates, 0, 1e6, "N/S", "file creations a second" },
        { "appends", FLAG_DOUBLE, &appends, 0, 1e6, "N/S", "appends a second" },
        { "deletes", FLAG_DOUBLE, &deletes, 0, 1e6, "N/S", "deletions a second" },
        { "gets", FLAG_DOUBLE, &gets, 0, 1e6, "N/S", "GET /get a second" },
        { "inflight", FLAG_INT, &inflight, 1, 1024, "N", "workload requests at once (8)" },
        { "master-pid", FLAG_INT, &master_pid, 0, 1 << 30, "PID", "the master's, for CPU and RSS" },
        { "json", FLAG_STRING, &json_out, 0, 0, "FILE", "the figures as JSON" },
        { "check", FLAG_BOOL, &check, 0, 0, NULL, "exit 1 unless the cluster came out whole" },
    };
    char err[512];
    flags_result fr = flags_parse(defs, sizeof defs / sizeof *defs, argc, argv, err, sizeof err);
    if (fr == FLAGS_HELP) {
        flags_print_help(stdout, "minidfs-sim run [flags]", defs, sizeof defs / sizeof *defs);
        return 0;
    }
    if (fr != FLAGS_OK) {
        fprintf(stderr, "minidfs-sim: %s\n", err);
        return 2;
    }
    sim_config cfg = { .shape = { (unsigned)servers, (unsigned)racks, (uint64_t)files,
                                  (uint32_t)cpf, (uint64_t)chunk_size, (unsigned)replication },
                       .master = master, .heartbeat_ms = (long)heartbeat_ms, .jitter = jitter,
                       .bandwidth_mbps = bandwidth, .report_every = (long)report_every,
                       .load_inflight = (unsigned)inflight };
    if ((unsigned long long)kill >= (unsigned long long)servers) {
        fprintf(stderr, "minidfs-sim: --kill must leave a server alive\n");
        return 2;
    }
    sim_stats *st = sim_stats_new();
    sim_fleet *f = sim_fleet_new(&cfg, st, err, sizeof err);
    if (!f) {
        fprintf(stderr, "minidfs-sim: %s\n", err);
        return 1;
    }
    json_t *out = json_object();
    sim_census c = { .f = f };
    bool ok = true;
    double cpu0 = 0, cpu1 = 0;
    uint64_t rss = 0, rss_max = 0;
    int pid = (int)master_pid;

    /* 1. absorb, with clients reading meanwhile */
    sim_probe *pr = sim_probe_start(master, (uint64_t)files, probe);
    sim_probe_phase(pr, 0);
    sim_fleet_set_load(f, 0, 0, 0, gets);
    int64_t t0 = sim_now_ms(), reported_at = 0, located_at = 0;
    for (;;) {
        sim_step(f, &c, 100);
        int64_t now = sim_now_ms();
        if (!reported_at && sim_fleet_reported(f, &reported_at))
            printf("reports: every server's full report in after %.2f s\n",
                   sim_secs(t0, reported_at));
        if (reported_at && c.have && !c.asked && c.status == 200 && !c.safe && c.missing == 0 &&
            c.under == 0 && c.live >= servers && now - reported_at > 0) {
            located_at = now;
            break;
        }
        if (now - t0 > absorb_timeout_s * 1000) {
            fprintf(stderr, "minidfs-sim: after %lld s, %s (master: %s, %lld missing, %lld short, "
                    "%lld servers live)\n", absorb_timeout_s,
                    reported_at ? "the master still does not locate every chunk"
                                : "not every server has reported",
                    c.safe ? "in safe mode" : "out of safe mode", (long long)c.missing,
                    (long long)c.under, (long long)c.live);
            ok = false;
            break;
        }
    }
    if (located_at)
        printf("located: every chunk has its copies located after %.2f s\n",
               sim_secs(t0, located_at));
    json_object_set_new(out, "reported_s", json_real(reported_at ? sim_secs(t0, reported_at) : -1));
    json_object_set_new(out, "located_s", json_real(located_at ? sim_secs(t0, located_at) : -1));
    json_object_set_new(out, "absorb_latency", sim_stats_json(st));
    if (gets > 0)
        printf("absorb: get p50 %.2f ms, p99 %.2f ms, max %.2f ms while the reports came in\n",
               sim_stats_pct(st, "get", 50), sim_stats_pct(st, "get", 99),
               sim_stats_pct(st, "get", 100));
    if (pid && sim_proc_sample(pid, &cpu0, &rss))
        rss_max = rss;
    sim_probe_report(pr, 0, "absorb", out);

    /* 2. idle: the heartbeats alone (and the probe) */
    if (ok && idle_s > 0) {
        sim_fleet_set_load(f, 0, 0, 0, 0);
        sim_probe_phase(pr, 1);
        sim_stats_reset(st, "heartbeat");
        int64_t s0 = sim_now_ms();
        if (pid)
            sim_proc_sample(pid, &cpu0, &rss);
        while (sim_now_ms() - s0 < idle_s * 1000)
            sim_step(f, NULL, 200);
        double dt = sim_secs(s0, sim_now_ms());
        if (pid && sim_proc_sample(pid, &cpu1, &rss)) {
            rss_max = rss > rss_max ? rss : rss_max;
            printf("idle: master CPU %.1f %% of a core with %lld servers beating every %lld ms\n",
                   100.0 * (cpu1 - cpu0) / dt, servers, heartbeat_ms);
            json_object_set_new(out, "idle_cpu_pct", json_real(100.0 * (cpu1 - cpu0) / dt));
        }
        printf("idle: heartbeat p50 %.2f ms, p99 %.2f ms\n", sim_stats_pct(st, "heartbeat", 50),
               sim_stats_pct(st, "heartbeat", 99));
        json_object_set_new(out, "idle_heartbeat_p99_ms",
                            json_real(sim_stats_pct(st, "heartbeat", 99)));
        sim_probe_report(pr, 1, "idle", out);
    }

    /* 3. steady */
    if (ok && steady_s > 0) {
        sim_stats_reset(st, "heartbeat");
        sim_stats_reset(st, "get");
        sim_fleet_set_load(f, creates, appends, deletes, gets);
        sim_probe_phase(pr, 2);
        int64_t s0 = sim_now_ms();
        if (pid)
            sim_proc_sample(pid, &cpu0, &rss);
        sim_counts before, after;
        sim_fleet_counts(f, &before);
        while (sim_now_ms() - s0 < steady_s * 1000)
            sim_step(f, &c, 200);
        sim_fleet_counts(f, &after);
        /* nobody joined or left: no heartbeat should have carried the list */
        json_object_set_new(out, "steady_live_lists",
                            json_integer((json_int_t)(after.list_answers - before.list_answers)));
        json_object_set_new(out, "steady_beats",
                            json_integer((json_int_t)(after.beats - before.beats)));
        double dt = sim_secs(s0, sim_now_ms());
        if (pid && sim_proc_sample(pid, &cpu1, &rss)) {
            rss_max = rss > rss_max ? rss : rss_max;
            printf("steady: master CPU %.1f %% of a core, RSS %.1f MB\n",
                   100.0 * (cpu1 - cpu0) / dt, (double)rss / 1e6);
            json_object_set_new(out, "steady_cpu_pct", json_real(100.0 * (cpu1 - cpu0) / dt));
        }
        printf("steady: heartbeat p50 %.2f ms, p99 %.2f ms; get p99 %.2f ms\n",
               sim_stats_pct(st, "heartbeat", 50), sim_stats_pct(st, "heartbeat", 99),
               sim_stats_pct(st, "get", 99));
        json_object_set_new(out, "steady_latency", sim_stats_json(st));
        sim_probe_report(pr, 2, "steady", out);
    }

    /* 4. repair */
    if (ok && kill > 0) {
        sim_probe_phase(pr, 3);
        for (unsigned k = 0; k < (unsigned)kill; k++)
            sim_fleet_kill(f, k);
        int64_t k0 = sim_now_ms(), done_at = 0;
        uint64_t under = 0, lost = 0;
        sim_fleet_short(f, &under, &lost);
        printf("repair: %lld server(s) silent, %llu chunks short of copies\n", kill,
               (unsigned long long)under);
        json_object_set_new(out, "repair_short", json_integer((json_int_t)under));
        while (sim_now_ms() - k0 < repair_timeout_s * 1000) {
            sim_step(f, &c, 250);
            sim_fleet_short(f, &under, &lost);
            if (under == 0) {
                done_at = sim_now_ms();
                break;
            }
        }
        if (pid && sim_proc_sample(pid, &cpu1, &rss))
            rss_max = rss > rss_max ? rss : rss_max;
        if (done_at) {
            printf("repair: every chunk has its copies again after %.2f s\n", sim_secs(k0, done_at));
        } else {
            fprintf(stderr, "minidfs-sim: after %lld s, %llu chunks are still short of copies\n",
                    repair_timeout_s, (unsigned long long)under);
            ok = false;
        }
        json_object_set_new(out, "repair_s", json_real(done_at ? sim_secs(k0, done_at) : -1));
        sim_probe_report(pr, 3, "repair", out);
        /* 5. revive: the surplus goes, and nothing else */
        if (revive) {
            for (unsigned k = 0; k < (unsigned)kill; k++)
                sim_fleet_revive(f, k);
            int64_t r0 = sim_now_ms();
            while (sim_now_ms() - r0 < 3 * heartbeat_ms + 2000)
                sim_step(f, &c, 250);
        }
    }

    /* 6. linger: the cluster as it is, for someone else to measure */
    if (linger_s > 0) {
        sim_fleet_set_load(f, 0, 0, 0, 0);
        printf("linger: %lld s of heartbeats\n", linger_s);
        int64_t l0 = sim_now_ms();
        while (sim_now_ms() - l0 < linger_s * 1000)
            sim_step(f, NULL, 200);
    }
    sim_probe_stop(pr);
    sim_fleet_drain(f, 10000);
    sim_counts n;
    sim_fleet_counts(f, &n);
    uint64_t under = 0, lost = 0;
    sim_fleet_short(f, &under, &lost);
    printf("counts: %llu beats (%llu failed), %llu report pages (%llu deferred), %llu live lists sent, "
           "%llu copies ordered (%llu landed), %llu deletions ordered (%llu wrongful); "
           "workload: %llu creates, %llu appends, %llu deletes, %llu gets (%llu failed)\n",
           (unsigned long long)n.beats, (unsigned long long)n.beats_failed,
           (unsigned long long)n.reports_sent, (unsigned long long)n.reports_deferred,
           (unsigned long long)n.list_answers,
           (unsigned long long)n.copies_ordered, (unsigned long long)n.copies_landed,
           (unsigned long long)n.deletes_ordered, (unsigned long long)n.deletes_wrongful,
           (unsigned long long)n.creates, (unsigned long long)n.appends,
           (unsigned long long)n.removes, (unsigned long long)n.gets,
           (unsigned long long)n.load_failed);
    if (rss_max)
        printf("master: RSS %.1f MB at most\n", (double)rss_max / 1e6);
    json_object_set_new(out, "counts",
                        json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "beats",
                                  (json_int_t)n.beats, "beats_failed", (json_int_t)n.beats_failed,
                                  "report_pages", (json_int_t)n.reports_sent, "reports_deferred",
                                  (json_int_t)n.reports_deferred, "live_lists",
                                  (json_int_t)n.list_answers, "copies_ordered",
                                  (json_int_t)n.copies_ordered, "copies_landed",
                                  (json_int_t)n.copies_landed, "deletes_ordered",
                                  (json_int_t)n.deletes_ordered, "deletes_wrongful",
                                  (json_int_t)n.deletes_wrongful, "creates", (json_int_t)n.creates,
                                  "appends", (json_int_t)n.appends, "deletes",
                                  (json_int_t)n.removes, "gets", (json_int_t)n.gets,
                                  "load_failed", (json_int_t)n.load_failed));
    json_object_set_new(out, "master_rss_bytes", json_integer((json_int_t)rss_max));
    json_object_set_new(out, "chunks_short", json_integer((json_int_t)under));
    json_object_set_new(out, "chunks_lost", json_integer((json_int_t)lost));
    if (lost || n.deletes_wrongful || under) {
        fprintf(stderr, "minidfs-sim: %llu chunks lost, %llu short of copies, %llu wrongful "
                "deletions\n", (unsigned long long)lost, (unsigned long long)under,
                (unsigned long long)n.deletes_wrongful);
        ok = false;
    }
    json_object_set_new(out, "ok", json_boolean(ok));
    if (json_out && json_dump_file(out, json_out, JSON_INDENT(2)) != 0) {
        fprintf(stderr, "minidfs-sim: cannot write %s\n", json_out);
        ok = false;
    }
    json_decref(out);
    sim_fleet_free(f);
    sim_stats_free(st);
    return check && !ok ? 1 : 0;
}

static int sim_seed_cmd(int argc, char **argv)
{
    const char *meta = NULL;
    long long servers = 200, files = 2000, cpf = 100, chunk_size = 1 << 20, replication = 3;
    const flag_def defs[] = {
        { "meta-dir", FLAG_STRING, &meta, 0, 0, "DIR", "a new, empty directory (required)" },
        { "servers", FLAG_INT, &servers, 1, SIM_MAX_SERVERS, "N", "as the run will have (200)" },
        { "files", FLAG_INT, &files, 0, 100000000, "N", "seeded files (2000)" },
        { "chunks-per-file", FLAG_INT, &cpf, 1, 1000000, "N", "chunks of each (100)" },
        { "chunk-size", FLAG_INT, &chunk_size, 1, PROTO_MAX_CHUNK_SIZE, "BYTES", "(1 MiB)" },
        { "replication", FLAG_INT, &replication, 1, SIM_MAX_HOLDERS - 1, "N", "(3)" },
    };
    char err[512];
    flags_result fr = flags_parse(defs, sizeof defs / sizeof *defs, argc, argv, err, sizeof err);
    if (fr == FLAGS_HELP) {
        flags_print_help(stdout, "minidfs-sim seed --meta-dir DIR [flags]", defs,
                         sizeof defs / sizeof *defs);
        return 0;
    }
    if (fr != FLAGS_OK || !meta) {
        fprintf(stderr, "minidfs-sim: %s\n", fr != FLAGS_OK ? err : "--meta-dir is required");
        return 2;
    }
    sim_shape s = { (unsigned)servers, 1, (uint64_t)files, (uint32_t)cpf, (uint64_t)chunk_size,
                    (unsigned)replication };
    err[0] = '\0';
    if (!sim_seed(&s, meta, err, sizeof err)) {
        fprintf(stderr, "minidfs-sim: %s\n", err);
        return 1;
    }
    printf("seeded %s: %lld files, %lld chunks\n", meta, files, files * cpf);
    return 0;
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    setvbuf(stdout, NULL, _IOLBF, 0);
    httpc_global_init();
    if (argc >= 2 && !strcmp(argv[1], "seed"))
        return sim_seed_cmd(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "run"))
        return sim_run(argc - 1, argv + 1);
    if (argc >= 2 && (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version"))) {
        printf("minidfs-sim %s\n", flags_version());
        return 0;
    }
    fprintf(argc >= 2 && strcmp(argv[1], "--help") ? stderr : stdout,
            "usage: minidfs-sim seed --meta-dir DIR [flags]   a master's meta-dir with the files\n"
            "       minidfs-sim run --master URL [flags]      play the chunkservers against it\n"
            "(either with --help for its flags)\n");
    return argc >= 2 && !strcmp(argv[1], "--help") ? 0 : 2;
}
