#!/usr/bin/env bash
# bench.sh - minidfs against this machine's own ceiling, side by side in one
# run. Everything runs on 127.0.0.1 with its data on the same disk; each
# figure is the median of $RUNS runs (default 3). Only the ratios inside one
# run mean anything: the machine is shared and noisy.
#
#   ceiling   nginx (WebDAV PUT on) : curl -T of a 1 GiB file, curl -o back,
#             each right before the minidfs write or read it is compared with
#             and, beside the 64 MiB writes, the disk alone: dd reading the
#             input cold while writing its copies O_DIRECT + fdatasync
#   streams   minidfs write/read of the same file: replication 1 at 64 MiB
#             and 1 MB chunks, replication 3 (three copies, one disk) at 64 MiB
#   metadata  wrk keep-alive: master GET /get of a 1-chunk file and POST
#             /allocate of an allocated chunk, beside
#             nginx serving a small static JSON file
#   small     1,000 files of 4 KiB written then read with the CLI, beside
#             1,000 curl -T / curl -o to nginx
#   scale     a master loaded with chunks through its real /upload API:
#             resident bytes per chunk
#   cpu       user+system CPU seconds per GiB moved, client and chunkservers
#   tls       a secure cluster with and without TLS (same certificates and
#             tokens otherwise), write and read of the same file, side by side
#   tree      2,000 files of 4 KiB put with `minidfs put -r` and got with
#             `get -r`, beside one curl process uploading and downloading
#             them to nginx over one keep-alive connection (curl -T "{..}")
#             and the disk alone making as many durable 4 KiB files
#             (smallsync: 16 writers, each file made in a directory of
#             temporaries, fdatasynced and renamed, the directory's fsync
#             shared);
#             the master's resident bytes per file with 1,000,000 files in
#             10,000 directories; a 100,000-entry directory listed by
#             `minidfs ls` (time, client memory); files created/s through
#             /upload, flat (/f<i>) beside nested (/d<i%10000>/f<i>)
#   ha        two masters through a real etcd: files of one chunk created/s
#             through /upload on the active master beside a single master;
#             GET /get req/s on the standby beside the active; 10 failovers
#             (kill -9 of the active master to the first write through the
#             new one), median and max
#   cluster   minidfs-sim playing SIM_SERVERS (1,000) chunkservers that hold
#             SIM_FILES x 100 chunks (10,000,000) at replication 3 against
#             one master restarted from a seeded meta-dir: its restart,
#             every chunk located again from the full reports (and GET
#             /get p99 meanwhile), the CPU share and heartbeat p99 of the
#             steady cluster, RSS, one server's 30,000 replicas repaired;
#             GET /get req/s (wrk) on that master while its servers beat,
#             beside a master of 1,000 chunks and 10 simulated servers
#   ops       GET /get req/s (wrk) on a master scraped for /metrics every
#             second (one keep-alive client, as Prometheus), beside the same
#             master not scraped, which goes first alternating run by run;
#             the time one scrape takes on the master and a chunkserver
#
# Durability stays on as in production: chunkservers fdatasync every chunk
# before answering. nginx does not fsync at all, so the ceiling is generous.
#
# usage: scripts/bench.sh            (installs nginx-light and wrk if missing)
# env:   RUNS=3 SIZE_MB=1024 SMALL_FILES=1000 SCALE_CHUNKS=1000000 TREE_FILES=2000
#        TREE_NS_FILES=1000000 FAILOVERS=10 SIM_SERVERS=1000 SIM_FILES=100000 KEEP=0
#        ONLY=all|scale|streams|tls|tree|ha|ops|cluster
# Writes the table to stdout and the figures to bench-results.json.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
RUNS=${RUNS:-3}
SIZE_MB=${SIZE_MB:-1024}
SMALL_FILES=${SMALL_FILES:-1000}
SCALE_CHUNKS=${SCALE_CHUNKS:-1000000}
TREE_FILES=${TREE_FILES:-2000}
TREE_NS_FILES=${TREE_NS_FILES:-1000000}
FAILOVERS=${FAILOVERS:-10}

scripts/deps.sh nginx-light wrk etcd-server
BUILD_TYPE=Release BUILD_DIR=build-release scripts/build.sh >/dev/null
BIN=$ROOT/build-release/bin
MINIDFS=$BIN/minidfs
RUNSTAT=$BIN/maxrss

W=$(mktemp -d "${TMPDIR:-/var/tmp}/minidfs-bench.XXXXXX")
PIDS=()
stop_all() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
    PIDS=()
}
finish() { stop_all; [ "${KEEP:-0}" = 1 ] && echo "kept $W" >&2 || rm -rf "$W"; }
trap finish EXIT
say() { echo "[bench] $*" >&2; }
die() { echo "bench: $*" >&2; exit 1; }

# ---------- helpers ----------
now() { date +%s.%N; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
rate_mbs() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.1f", b / s / 1e6 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "n/a" && b > 0) printf "%.2f", a / b; else print "n/a" }'; }
wait_file() { local i; for i in $(seq 500); do [ -s "$1" ] && return 0; sleep 0.02; done; die "timed out waiting for $1"; }
cpu_of() { awk '{ print ($14 + $15) / 100 }' "/proc/$1/stat"; }   # user+sys seconds (USER_HZ = 100)
drop_cache() { sync; echo 1 >/proc/sys/vm/drop_caches 2>/dev/null || true; }

# ---------- nginx ----------
start_nginx() {
    mkdir -p "$W/nginx/www" "$W/nginx/tmp" "$W/nginx/logs"
    printf '{"fileName":"x","fileSize":1,"chunkSize":1,"locations":["127.0.0.1:1/"]}\n' >"$W/nginx/www/small.json"
    local port
    for port in $(seq 18080 18180); do
        cat >"$W/nginx/nginx.conf" <<EOF
$([ "$(id -u)" -eq 0 ] && echo "user root;")
worker_processes 2;
daemon off;
pid $W/nginx/nginx.pid;
error_log $W/nginx/logs/error.log;
events { worker_connections 1024; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    client_max_body_size 0;
    client_body_temp_path $W/nginx/tmp;
    proxy_temp_path $W/nginx/tmp;
    fastcgi_temp_path $W/nginx/tmp;
    uwsgi_temp_path $W/nginx/tmp;
    scgi_temp_path $W/nginx/tmp;
    server {
        listen 127.0.0.1:$port;
        root $W/nginx/www;
        location / {
            dav_methods PUT DELETE;
            create_full_put_path on;
            client_body_buffer_size 1m;
        }
    }
}
EOF
        nginx -p "$W/nginx" -c "$W/nginx/nginx.conf" -e "$W/nginx/logs/error.log" &
        NGINX_PID=$!
        sleep 0.2
        if kill -0 "$NGINX_PID" 2>/dev/null && curl -sf "http://127.0.0.1:$port/small.json" >/dev/null; then
            PIDS+=("$NGINX_PID")
            NGINX=http://127.0.0.1:$port
            return 0
        fi
        wait "$NGINX_PID" 2>/dev/null || true
    done
    die "nginx would not start (see $W/nginx/logs/error.log)"
}

# ---------- minidfs cluster ----------
# A cluster is open and plain unless the TLS part sets these: flags for the
# master, the chunkservers, the client and curl, and the scheme.
MFLAGS=() CSFLAGS=() CFLAGS=() CURLFLAGS=() SCHEME=http DIR=c
start_cluster() {   # chunk_size nservers [replication]
    local cs=$1 n=$2 rep=${3:-1} i
    rm -rf "${W:?}/$DIR" && mkdir -p "$W/$DIR"
    "$MINIDFS" master --port 0 --port-file "$W/$DIR/m.port" --meta-dir "$W/$DIR/meta" --chunkSize "$cs" --replication "$rep" --log-level warn "${MFLAGS[@]}" 2>>"$W/master.log" &
    MASTER_PID=$!
    PIDS+=("$MASTER_PID")
    wait_file "$W/$DIR/m.port"
    MASTER=$SCHEME://127.0.0.1:$(cat "$W/$DIR/m.port")/
    CS_PIDS=()
    for i in $(seq 1 "$n"); do
        "$MINIDFS" chunkserver --master "$MASTER" --port 0 --port-file "$W/$DIR/cs$i.port" \
            --dir "$W/$DIR/data$i" --log-level warn "${CSFLAGS[@]}" 2>>"$W/cs.log" &
        CS_PIDS+=($!)
        PIDS+=($!)
    done
    [ ! -e "$W/$DIR/meta/admin.token" ] || CURLFLAGS+=(-H "Authorization: Bearer $(cat "$W/$DIR/meta/admin.token")")
    for i in $(seq 200); do
        [ "$(curl -s "${CURLFLAGS[@]}" "${MASTER}chunkservers" | grep -o '"live":true' | wc -l)" -eq "$n" ] && return 0
        sleep 0.02
    done
    die "chunkservers did not register"
}
# A deletion reaches the chunkservers lazily, in heartbeat answers; wait
# until their directories hold no chunk, and sync, so that no timed figure
# pays for unlinking (and discarding) the previous file's chunks.
wait_chunks_gone() {
    local i
    for i in $(seq 1000); do
        [ -n "$(find "$W"/c/data* -name '*_*' -print -quit 2>/dev/null)" ] || { sync; return 0; }
        sleep 0.02
    done
    die "the deleted file's chunks are still on the chunkservers"
}
cs_cpu() { local t=0 p; for p in "${CS_PIDS[@]}"; do t=$(awk -v a="$t" -v b="$(cpu_of "$p")" 'BEGIN { print a + b }'); done; echo "$t"; }

declare -A FIG
RESULTS=bench-results$([ "${ONLY:-all}" = all ] || echo "-$ONLY").json
# ONLY=scale runs the master-scale part alone (a quick look at memory and
# restart), ONLY=streams the ceiling and the streams alone, ONLY=tls the
# TLS cost alone; the default
# runs everything.
ONLY=${ONLY:-all}
case $ONLY in all | scale | streams | tls | tree | ha | ops | cluster) ;; *) die "ONLY is all, scale, streams, tls, tree, ha, ops or cluster, not $ONLY" ;; esac
BYTES=$((SIZE_MB * 1024 * 1024))
timed() { local t0 t1; t0=$(now); "$@"; t1=$(now); awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }'; }
if [ "$ONLY" = all ] || [ "$ONLY" = streams ]; then
# ---------- 1. ceiling and 2. streams ----------
say "making a ${SIZE_MB} MiB input"
head -c "$BYTES" /dev/urandom >"$W/input"
nginx_put() { curl -sf -T "$W/input" "$NGINX/big.bin" -o /dev/null; }
nginx_get() { rm -f "$W/out"; curl -sf -o "$W/out" "$NGINX/big.bin"; }

# The ceiling is measured right beside each minidfs figure: before every
# timed minidfs write an nginx PUT of the same file, before every read an
# nginx GET, so a minute of slow machine hits both sides of a ratio.
# nginx answers a PUT once the body is in the page cache; how long the
# bytes then take to reach the disk is timed too (sync -d: fdatasync of
# the file), as a second, durable ceiling beside the one the targets use.
ceiling_put() {   # label
    local t0 t1 t2
    drop_cache
    t0=$(now); nginx_put; t1=$(now); sync -d "$W/nginx/www/big.bin"; t2=$(now)
    awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }' | tee -a "$W/t.nginx_put" >>"$W/t.$1_ceil_w"
    awk -v a="$t0" -v b="$t2" 'BEGIN { print b - a }' >>"$W/t.$1_ceil_wsync"
}
# The disk's own share of a durable write: the input read cold while its
# copies are written, as many bytes, with O_DIRECT and fdatasync by three dd
# (1 MiB blocks, as three chunkservers write), all at once. A durable copy
# of the input cannot beat this on one disk, whatever the software; nginx's
# PUT only reads.
ceiling_disk() {   # label copies
    local t0 t1 i mib=$((BYTES * $2 / 3 / 1048576)) pids=()
    drop_cache
    t0=$(now)
    dd if="$W/input" of=/dev/null bs=8M status=none & pids+=($!)
    for i in 1 2 3; do
        dd if=/dev/zero of="$W/dd$i" bs=1M count="$mib" oflag=direct conv=fdatasync status=none & pids+=($!)
    done
    wait "${pids[@]}"
    t1=$(now)
    rm -f "$W/dd1" "$W/dd2" "$W/dd3"
    awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }' >>"$W/t.$1_ceil_disk"
}
ceiling_get() {   # label
    drop_cache; timed nginx_get | tee -a "$W/t.nginx_get" >>"$W/t.$1_ceil_r"
    cmp -s "$W/input" "$W/out" || die "nginx round trip differs"
    rm -f "$W/out"
}

stream_bench() {   # label chunk_size replication
    local label=$1 cs=$2 rep=$3 r
    start_nginx
    start_cluster "$cs" 3 "$rep"
    # One untimed round trip each first: neither side's first timed run
    # pays for its fresh processes' first allocations.
    nginx_put && nginx_get && rm -f "$W/nginx/www/big.bin" "$W/out"
    "$MINIDFS" client --master "$MASTER" --quiet --action write --filename big --input "$W/input"
    for r in $(seq "$RUNS"); do
        say "$label run $r/$RUNS"
        local c0 c1
        # The previous file goes first, untimed and finished (see
        # wait_chunks_gone): the timed write is a write, not a delete of a
        # thousand chunks plus a write.
        "$MINIDFS" client --master "$MASTER" --quiet --action delete --filename big
        wait_chunks_gone
        ceiling_put "$label"
        drop_cache
        c0=$(cs_cpu)
        timed "$RUNSTAT" "$W/rs.w" "$MINIDFS" client --master "$MASTER" --quiet --action write \
            --filename big --input "$W/input" >>"$W/t.${label}_w"
        c1=$(cs_cpu)
        read -r _ u s <"$W/rs.w"
        echo "$u $s" | awk '{ print $1 + $2 }' >>"$W/cpu.${label}_client_w"
        awk -v a="$c0" -v b="$c1" 'BEGIN { print b - a }' >>"$W/cpu.${label}_cs_w"
        [ "$cs" = 1000000 ] || ceiling_disk "$label" "$rep"
        ceiling_get "$label"
        rm -f "$W/nginx/www/big.bin"
        drop_cache
        rm -f "$W/out"
        c0=$(cs_cpu)
        timed "$RUNSTAT" "$W/rs.r" "$MINIDFS" client --master "$MASTER" --quiet --action read \
            --filename big --output-filename "$W/out" >>"$W/t.${label}_r"
        c1=$(cs_cpu)
        read -r _ u s <"$W/rs.r"
        echo "$u $s" | awk '{ print $1 + $2 }' >>"$W/cpu.${label}_client_r"
        awk -v a="$c0" -v b="$c1" 'BEGIN { print b - a }' >>"$W/cpu.${label}_cs_r"
        cmp -s "$W/input" "$W/out" || die "$label round trip differs"
        rm -f "$W/out"
    done
    FIG[${label}_w]=$(rate_mbs "$BYTES" "$(median <"$W/t.${label}_w")")
    FIG[${label}_r]=$(rate_mbs "$BYTES" "$(median <"$W/t.${label}_r")")
    FIG[${label}_ceil_w]=$(rate_mbs "$BYTES" "$(median <"$W/t.${label}_ceil_w")")
    FIG[${label}_ceil_r]=$(rate_mbs "$BYTES" "$(median <"$W/t.${label}_ceil_r")")
    FIG[${label}_ceil_wsync]=$(rate_mbs "$BYTES" "$(median <"$W/t.${label}_ceil_wsync")")
    FIG[${label}_ceil_w_best]=$(rate_mbs "$BYTES" "$(sort -g "$W/t.${label}_ceil_w" | head -1)")
    [ ! -s "$W/t.${label}_ceil_disk" ] ||
        FIG[${label}_ceil_disk]=$(rate_mbs "$BYTES" "$(median <"$W/t.${label}_ceil_disk")")
    local gib k
    gib=$(awk -v b="$BYTES" 'BEGIN { print b / 1073741824 }')
    for k in client_w cs_w client_r cs_r; do
        FIG[cpu_${label}_$k]=$(awk -v c="$(median <"$W/cpu.${label}_$k")" -v g="$gib" 'BEGIN { printf "%.2f", c / g }')
    done
    stop_all
}
stream_bench r1_64m $((64 * 1024 * 1024)) 1
stream_bench r1_1m 1000000 1
stream_bench r3_64m $((64 * 1024 * 1024)) 3
FIG[nginx_put]=$(rate_mbs "$BYTES" "$(median <"$W/t.nginx_put")")
FIG[nginx_get]=$(rate_mbs "$BYTES" "$(median <"$W/t.nginx_get")")
fi   # ONLY

if [ "$ONLY" = all ]; then
start_nginx   # stop_all stopped it

# ---------- 3. metadata ----------
wrk_rps() { wrk -t2 -c32 -d5s "$@" 2>/dev/null | awk '/Requests\/sec/ { print $2 }'; }
# POST /allocate of one chunk, again and again: the lookup-and-lease path.
cat >"$W/allocate.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"file":"/bench/alloc","chunk_index":0}'
wrk.headers["Content-Type"] = "application/json"
LUA
start_cluster 1000000 1
head -c 1000 /dev/urandom >"$W/one"
"$MINIDFS" client --master "$MASTER" --quiet --action write --filename one --input "$W/one"
ONE_ID=$(printf one | sha256sum | cut -c1-64)
curl -sf "${MASTER}get?id=$ONE_ID" >/dev/null || die "metadata target not readable"
for r in $(seq "$RUNS"); do
    say "metadata run $r/$RUNS"
    wrk_rps "$NGINX/small.json" >>"$W/rps.nginx"
    wrk_rps "${MASTER}get?id=$ONE_ID" >>"$W/rps.get"
    wrk_rps -s "$W/allocate.lua" "${MASTER}allocate" >>"$W/rps.alloc"
done
FIG[rps_nginx]=$(median <"$W/rps.nginx")
FIG[rps_get]=$(median <"$W/rps.get")
FIG[rps_alloc]=$(median <"$W/rps.alloc")

# ---------- 4. small files ----------
mkdir -p "$W/small"
for i in $(seq "$SMALL_FILES"); do head -c 4096 /dev/urandom >"$W/small/f$i"; done
small_minidfs_w() { local i; for i in $(seq "$SMALL_FILES"); do "$MINIDFS" client --master "$MASTER" --quiet --action write --filename "s$1-$i" --input "$W/small/f$i"; done; }
small_minidfs_r() { local i; for i in $(seq "$SMALL_FILES"); do "$MINIDFS" client --master "$MASTER" --quiet --action read --filename "s$1-$i" --output-filename "$W/small.out"; done; }
small_nginx_w() { local i; for i in $(seq "$SMALL_FILES"); do curl -sf -T "$W/small/f$i" "$NGINX/s$1-$i" -o /dev/null; done; }
small_nginx_r() { local i; for i in $(seq "$SMALL_FILES"); do curl -sf -o "$W/small.out" "$NGINX/s$1-$i"; done; }
stop_all
start_nginx
start_cluster 1000000 3
for r in $(seq "$RUNS"); do
    say "small files run $r/$RUNS"
    timed small_nginx_w "$r" >>"$W/t.small_nginx_w"
    timed small_nginx_r "$r" >>"$W/t.small_nginx_r"
    timed small_minidfs_w "$r" >>"$W/t.small_w"
    timed small_minidfs_r "$r" >>"$W/t.small_r"
done
for k in small_nginx_w small_nginx_r small_w small_r; do
    FIG[$k]=$(awk -v n="$SMALL_FILES" -v s="$(median <"$W/t.$k")" 'BEGIN { printf "%.0f", n / s }')
done
stop_all

fi   # ONLY

if [ "$ONLY" = all ] || [ "$ONLY" = scale ]; then
# ---------- 5. master scale ----------
# Chunks enter through the master's own API: 1,000 files of 1,000 chunks by
# /upload, then every chunk reported stored, with a checksum, by
# /uploadSuccessful (wrk, keep-alive, 16 connections): each report is a
# journal record, group-committed. A registered address stands in for a
# chunkserver (no bytes move). Then the restart: after kill -9 with the
# whole load still in the log (replay), and after a clean stop (which
# writes a checkpoint, then loaded).
say "loading the master with $SCALE_CHUNKS chunks"
SMETA=$W/scale-meta
start_scale_master() {
    rm -f "$W/scale.port"
    "$MINIDFS" master --port "${1:-0}" --port-file "$W/scale.port" --meta-dir "$SMETA" --chunkSize 1 \
        --replication 1 --dead-after-ms 86400000 --repair-max 0 --checkpoint-every 100000000 \
        --log-level info 2>>"$W/scale.log" &
    SCALE_PID=$!
    PIDS+=("$SCALE_PID")
    wait_file "$W/scale.port"
}
start_scale_master
SPORT=$(cat "$W/scale.port")
SM=http://127.0.0.1:$SPORT
curl -sf -X POST "$SM/chunkserver" -d '{"url":"127.0.0.1:9/"}' >/dev/null
rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
RSS0=$(rss_kb "$SCALE_PID")
nfiles=$((SCALE_CHUNKS / 1000))
t0=$(now)
for i in $(seq "$nfiles"); do
    printf '{"fileName":"scale-%d","fileSize":1000}' "$i" >"$W/scale.req"
    curl -sf -X POST "$SM/upload" --data-binary @"$W/scale.req" -o /dev/null || die "scale upload $i"
done
t1=$(now)
FIG[scale_load_chunks_per_s]=$(awk -v n="$SCALE_CHUNKS" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", n / (b - a) }')
scripts/report-lua.sh scale "$nfiles" >"$W/report.lua"
stored() { curl -s "$SM/files" | grep -o '"chunksStored":[0-9]*' | awk -F: '{ s += $2 } END { print s + 0 }'; }
t0=$(now)
wrk -t2 -c16 -d600s -s "$W/report.lua" "$SM/" >"$W/wrk.out" 2>&1 &
WRK_PID=$!
PIDS+=("$WRK_PID")
until [ "$(stored)" -ge "$SCALE_CHUNKS" ]; do
    alive_wrk=$(kill -0 "$WRK_PID" 2>/dev/null && echo 1 || echo 0)
    [ "$alive_wrk" = 1 ] || die "wrk ended before every chunk was reported: $(cat "$W/wrk.out")"
    sleep 0.5   # a progress poll; the figure is the reports' own rate
done
t1=$(now)
kill "$WRK_PID" 2>/dev/null || true
wait "$WRK_PID" 2>/dev/null || true
FIG[scale_reports_per_s]=$(awk -v n="$SCALE_CHUNKS" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", n / (b - a) }')
RSS1=$(rss_kb "$SCALE_PID")
FIG[scale_bytes_per_chunk]=$(awk -v a="$RSS0" -v b="$RSS1" -v n="$SCALE_CHUNKS" 'BEGIN { printf "%.1f", (b - a) * 1024 / n }')
FIG[scale_log_mb]=$(du -sm "$SMETA" | cut -f1)
# restart 1: kill -9, everything in the log
{ kill -9 "$SCALE_PID"; wait "$SCALE_PID"; } 2>/dev/null || true
t0=$(now)
start_scale_master "$SPORT"
t1=$(now)
FIG[scale_restart_replay_s]=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
[ "$(stored)" -ge "$SCALE_CHUNKS" ] || die "the restarted master lost chunks"
# the replayed log goes into a checkpoint in the background; then a clean
# stop and a start from that checkpoint
ckpt_done() { grep -q 'checkpoint took' "$W/scale.log"; }
for i in $(seq 600); do ckpt_done && break; sleep 0.1; done
ckpt_done || die "no checkpoint after the replay"
FIG[scale_checkpoint_s]=$(grep -o 'checkpoint took [0-9.]*' "$W/scale.log" | tail -1 | awk '{ print $3 }')
kill "$SCALE_PID"
wait "$SCALE_PID" 2>/dev/null || true
t0=$(now)
start_scale_master "$SPORT"
t1=$(now)
FIG[scale_restart_checkpoint_s]=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
[ "$(stored)" -ge "$SCALE_CHUNKS" ] || die "the restarted master lost chunks"
stop_all
fi   # ONLY

# ---------- 6. the directory tree ----------
if [ "$ONLY" = all ] || [ "$ONLY" = tree ]; then
# (a) a tree of small files in one process each way, beside one curl
# process to nginx over one keep-alive connection. Replication 1, every
# chunk fsynced and every change journalled before its answer.
say "tree: $TREE_FILES files of 4 KiB, put -r and get -r against curl and nginx"
rm -rf "$W/tree" && mkdir -p "$W/tree"
for i in $(seq "$TREE_FILES"); do head -c 4096 /dev/urandom >"$W/tree/f$i"; done
TLIST=$(cd "$W/tree" && ls | tr '\n' ',' | sed 's/,$//')
tree_nginx_w() { (cd "$W/tree" && curl -sf -T "{$TLIST}" "$NGINX/tr$1/" -o /dev/null); }
# Each download goes into a new directory, and they all go after the runs:
# on ext4 every file made within 30 s of a deletion nearby pays for a scan
# of the recently freed inodes, which would bill one side for the other's
# clean-up.
tree_nginx_r() { mkdir -p "$W/tback-n$1" && (cd "$W/tback-n$1" && curl -sf "$NGINX/tr$1/{$TLIST}" -o "#1"); }
tree_w() { "$MINIDFS" put -r --quiet --master "$MASTER" "$W/tree" "/tr$1"; }
tree_r() { "$MINIDFS" get -r --quiet --master "$MASTER" "/tr$1" "$W/tback-m$1"; }
tree_one_w() { local i; for i in $(seq "$TREE_FILES"); do "$MINIDFS" client --master "$MASTER" --quiet --action write --filename "/one$1/f$i" --input "$W/tree/f$i"; done; }
stop_all
start_nginx
start_cluster 67108864 1
for r in $(seq "$RUNS"); do
    say "tree run $r/$RUNS"
    timed tree_nginx_w "$r" >>"$W/t.tree_nginx_w"
    timed tree_nginx_r "$r" >>"$W/t.tree_nginx_r"
    diff -rq "$W/tree" "$W/tback-n$r" >/dev/null || die "nginx's tree round trip differs"
    timed tree_w "$r" >>"$W/t.tree_w"
    timed tree_r "$r" >>"$W/t.tree_r"
    diff -rq "$W/tree" "$W/tback-m$r" >/dev/null || die "the put -r / get -r round trip differs"
    mkdir -p "$W/ss$r" && "$BIN/smallsync" "$W/ss$r" "$TREE_FILES" 4096 16 >>"$W/r.tree_disk_w"
done
FIG[tree_disk_w]=$(median <"$W/r.tree_disk_w")
timed tree_one_w 1 >>"$W/t.tree_one_w"
for k in tree_nginx_w tree_nginx_r tree_w tree_r tree_one_w; do
    FIG[$k]=$(awk -v n="$TREE_FILES" -v s="$(median <"$W/t.$k")" 'BEGIN { printf "%.0f", n / s }')
done
stop_all

# (b) the master's memory with TREE_NS_FILES empty files in 10,000
# directories, made through /upload by wrk (keep-alive, 16 connections).
tree_master() {   # dir
    rm -rf "$W/$1" && mkdir -p "$W/$1"
    "$MINIDFS" master --port 0 --port-file "$W/$1/m.port" --meta-dir "$W/$1/meta" --replication 1 \
        --checkpoint-every 100000000 --log-level warn 2>>"$W/tree-master.log" &
    TREE_PID=$!
    PIDS+=("$TREE_PID")
    wait_file "$W/$1/m.port"
    TM=http://127.0.0.1:$(cat "$W/$1/m.port")
}
tree_files() { curl -s "$TM/du?path=/" | grep -o '"files":[0-9]*' | cut -d: -f2; }
say "tree: $TREE_NS_FILES files in 10,000 directories"
tree_master tns
rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
R0=$(rss_kb "$TREE_PID")
scripts/creates-lua.sh '/d%d/f%d' >"$W/tree.lua"
wrk -t2 -c16 -d3600s -s "$W/tree.lua" "$TM/" >"$W/wrk-tree.out" 2>&1 &
WRK_PID=$!
PIDS+=("$WRK_PID")
until [ "$(tree_files)" -ge "$TREE_NS_FILES" ]; do
    kill -0 "$WRK_PID" 2>/dev/null || die "wrk ended early: $(cat "$W/wrk-tree.out")"
    sleep 0.5   # a progress poll; the figure is memory, not time
done
kill "$WRK_PID" 2>/dev/null || true
wait "$WRK_PID" 2>/dev/null || true
n=$(tree_files)
FIG[tree_bytes_per_file]=$(awk -v a="$R0" -v b="$(rss_kb "$TREE_PID")" -v n="$n" 'BEGIN { printf "%.0f", (b - a) * 1024 / n }')
FIG[tree_ns_files]=$n
stop_all

# (c) a directory of 100,000 entries, listed page by page by the CLI
say "tree: a 100,000-entry directory"
tree_master tbig
scripts/creates-lua.sh '/big/d%d-f%d' >"$W/big.lua"
wrk -t2 -c16 -d3600s -s "$W/big.lua" "$TM/" >"$W/wrk-big.out" 2>&1 &
WRK_PID=$!
PIDS+=("$WRK_PID")
until [ "$(tree_files)" -ge 100000 ]; do sleep 0.2; done
kill "$WRK_PID" 2>/dev/null || true
wait "$WRK_PID" 2>/dev/null || true
big_ls() { "$RUNSTAT" "$W/rs.ls" "$MINIDFS" ls --master "$TM/" /big >"$W/ls.out"; }
t=$(timed big_ls)
big=$(tree_files)   # after: a request wrk sent before it stopped may still have landed
[ "$(wc -l <"$W/ls.out")" -eq "$big" ] || die "ls listed $(wc -l <"$W/ls.out") of $big entries"
FIG[tree_ls_100k_s]=$(awk -v s="$t" 'BEGIN { printf "%.2f", s }')
FIG[tree_ls_100k_client_kib]=$(cut -d' ' -f1 "$W/rs.ls")
stop_all

# (d) creates/s, flat beside nested, 10 s each on fresh masters
for shape in flat nested; do
    tree_master "t$shape"
    [ "$shape" = flat ] && scripts/creates-lua.sh '/f%d-%d' >"$W/c.lua" || scripts/creates-lua.sh '/d%d/f%d' >"$W/c.lua"
    FIG[tree_creates_per_s_$shape]=$(wrk -t2 -c16 -d10s -s "$W/c.lua" "$TM/" | awk '/Requests\/sec/ { printf "%.0f", $2 }')
    stop_all
done
fi   # ONLY

# ---------- 7. TLS ----------
# Two secure clusters side by side, one plain and one on TLS (a test CA's
# certificate for 127.0.0.1), each of one chunkserver at 64 MiB chunks;
# the same file written and read through each, alternately, RUNS times.
if [ "$ONLY" = all ] || [ "$ONLY" = tls ]; then
scripts/make-pki.sh "$W/pki"
[ -s "$W/input" ] || head -c "$BYTES" /dev/urandom >"$W/input"
secure_cluster() {   # dir scheme: a secure master (MFLAGS) and one chunkserver with its key
    DIR=$1 SCHEME=$2 CURLFLAGS=("${CAFLAGS[@]}")
    start_cluster $((64 * 1024 * 1024)) 0 1
    "$MINIDFS" chunkserver --master "$MASTER" --port 0 --port-file "$W/$DIR/cs1.port" \
        --dir "$W/$DIR/data1" --log-level warn --key-file "$W/$DIR/meta/cluster.key" \
        "${CSFLAGS[@]}" 2>>"$W/cs.log" &
    PIDS+=($!)
    for i in $(seq 250); do
        [ "$(curl -s "${CURLFLAGS[@]}" "${MASTER}chunkservers" | grep -o '"live":true' | wc -l)" -eq 1 ] && return 0
        sleep 0.02
    done
    die "the $DIR chunkserver did not register"
}
CAFLAGS=() MFLAGS=(--secure) CSFLAGS=()
secure_cluster plain http
PLAIN=$MASTER
CAFLAGS=(--cacert "$W/pki/ca.pem")
MFLAGS=(--secure --tls-cert "$W/pki/server.pem" --tls-key "$W/pki/server.key")
CSFLAGS=(--tls-cert "$W/pki/server.pem" --tls-key "$W/pki/server.key" --ca-file "$W/pki/ca.pem")
secure_cluster tls https
TLSM=$MASTER
TLS_TOKEN=$W/tls/meta/admin.token PLAIN_TOKEN=$W/plain/meta/admin.token
tls_client() { "$MINIDFS" client --quiet --token-file "$TLS_TOKEN" --master "$TLSM" --ca-file "$W/pki/ca.pem" "$@"; }
plain_client() { "$MINIDFS" client --quiet --token-file "$PLAIN_TOKEN" --master "$PLAIN" "$@"; }
for r in $(seq "$RUNS"); do
    say "tls run $r/$RUNS"
    for side in plain tls; do
        ${side}_client --action delete --filename big 2>/dev/null || true
        drop_cache
        timed ${side}_client --action write --filename big --input "$W/input" >>"$W/t.${side}_w"
        drop_cache
        rm -f "$W/out"
        timed ${side}_client --action read --filename big --output-filename "$W/out" >>"$W/t.${side}_r"
        cmp -s "$W/input" "$W/out" || die "$side round trip differs"
    done
done
for k in plain_w plain_r tls_w tls_r; do FIG[tls_$k]=$(rate_mbs "$BYTES" "$(median <"$W/t.$k")"); done
stop_all
DIR=c MFLAGS=() CSFLAGS=() CURLFLAGS=() CAFLAGS=() SCHEME=http
fi   # ONLY

# ---------- 8. high availability ----------
if [ "$ONLY" = all ] || [ "$ONLY" = ha ]; then
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
start_etcd() {   # a fresh one-member etcd in $W/etcd: sets ETCD
    local cp pp i
    rm -rf "$W/etcd"
    cp=$(free_port) pp=$(free_port)
    etcd --name b --data-dir "$W/etcd" --listen-client-urls "http://127.0.0.1:$cp" \
        --advertise-client-urls "http://127.0.0.1:$cp" --listen-peer-urls "http://127.0.0.1:$pp" \
        --initial-advertise-peer-urls "http://127.0.0.1:$pp" --initial-cluster "b=http://127.0.0.1:$pp" \
        --logger zap --log-level error 2>>"$W/etcd.log" &
    PIDS+=($!)
    ETCD=http://127.0.0.1:$cp
    for i in $(seq 500); do
        curl -s "$ETCD/health" 2>/dev/null | grep -q '"health":"true"' && return 0
        sleep 0.02
    done
    die "etcd would not start"
}
declare -A HA_PID HA_PORT
ha_master() {   # name [port]: a master of cluster b with its meta-dir in $W/ha/name
    local name=$1 port=${2:-0}
    rm -f "$W/ha/$name.port"
    "$MINIDFS" master --port "$port" --port-file "$W/ha/$name.port" --meta-dir "$W/ha/$name" \
        --ha-etcd "$ETCD" --cluster b --replication 1 --checkpoint-every 100000 --log-level warn \
        2>>"$W/ha-$name.log" &
    HA_PID[$name]=$!
    PIDS+=($!)
    wait_file "$W/ha/$name.port"
    HA_PORT[$name]=$(cat "$W/ha/$name.port")
}
role_of() { curl -s "http://127.0.0.1:${HA_PORT[$1]}/ha/status" | grep -o '"role":"[a-z-]*"' | cut -d'"' -f4; }
wait_role() {   # name role
    local i
    for i in $(seq 1500); do [ "$(role_of "$1")" = "$2" ] && return 0; sleep 0.02; done
    die "master $1 never became $2"
}
ha_cluster() {   # etcd, masters a (active) and b (standby), one chunkserver knowing both
    rm -rf "${W:?}/ha" && mkdir -p "$W/ha"
    start_etcd
    ha_master a
    wait_role a active
    ha_master b
    wait_role b standby
    HA_LIST=http://127.0.0.1:${HA_PORT[a]},http://127.0.0.1:${HA_PORT[b]}
    "$MINIDFS" chunkserver --master "$HA_LIST" --port 0 --port-file "$W/ha/cs.port" \
        --dir "$W/ha/data" --log-level warn 2>>"$W/cs.log" &
    PIDS+=($!)
    local i
    for i in $(seq 500); do
        [ "$(curl -s "http://127.0.0.1:${HA_PORT[a]}/chunkservers" | grep -o '"live":true' | wc -l)" -ge 1 ] &&
            [ "$(curl -s "http://127.0.0.1:${HA_PORT[b]}/chunkservers" | grep -o '"live":true' | wc -l)" -ge 1 ] && return 0
        sleep 0.02
    done
    die "the chunkserver did not register with both masters"
}
# (a) chunk creations/s through /upload (each file one chunk), 10 s per
# side and run, single master and HA's active master alternating.
scripts/creates-lua.sh '/d%d/f%d' 1000 >"$W/hac.lua"
for r in $(seq "$RUNS"); do
    say "ha: creates, run $r/$RUNS"
    start_cluster 1000000 1
    wrk -t2 -c16 -d10s -s "$W/hac.lua" "$MASTER" | awk '/Requests\/sec/ { printf "%.0f\n", $2 }' >>"$W/ha.single"
    stop_all
    ha_cluster
    wrk -t2 -c16 -d10s -s "$W/hac.lua" "http://127.0.0.1:${HA_PORT[a]}/" | awk '/Requests\/sec/ { printf "%.0f\n", $2 }' >>"$W/ha.active"
    # (b) GET /get on the standby beside the active master
    head -c 1000 /dev/urandom >"$W/one"
    "$MINIDFS" put --master "$HA_LIST" "$W/one" /one || die "ha: put"
    ONE_ID=$(printf /one | sha256sum | cut -c1-64)
    for i in $(seq 500); do curl -sf "http://127.0.0.1:${HA_PORT[b]}/get?id=$ONE_ID" >/dev/null && break; sleep 0.02; done
    wrk -t2 -c32 -d5s "http://127.0.0.1:${HA_PORT[a]}/get?id=$ONE_ID" | awk '/Requests\/sec/ { print $2 }' >>"$W/ha.get_active"
    wrk -t2 -c32 -d5s "http://127.0.0.1:${HA_PORT[b]}/get?id=$ONE_ID" | awk '/Requests\/sec/ { print $2 }' >>"$W/ha.get_standby"
    stop_all
done
FIG[ha_creates_single]=$(median <"$W/ha.single")
FIG[ha_creates_active]=$(median <"$W/ha.active")
FIG[ha_get_active]=$(median <"$W/ha.get_active")
FIG[ha_get_standby]=$(median <"$W/ha.get_standby")
# (c) failovers: kill -9 of the active master, then the time until a
# write through the list succeeds; the killed master comes back (same
# port, same meta-dir) and catches up before the next.
say "ha: $FAILOVERS failovers"
ha_cluster
head -c 4096 /dev/urandom >"$W/small1"
active=a standby=b
for k in $(seq "$FAILOVERS"); do
    kill -9 "${HA_PID[$active]}"
    wait "${HA_PID[$active]}" 2>/dev/null || true
    t0=$(now)
    "$MINIDFS" put --master "$HA_LIST" "$W/small1" "/fo$k" || die "ha: no write after failover $k"
    t1=$(now)
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f\n", (b - a) * 1000 }' >>"$W/ha.failover"
    [ "$(role_of "$standby")" = active ] || die "ha: $standby is not active after failover $k"
    ha_master "$active" "${HA_PORT[$active]}"
    wait_role "$active" standby
    t=$active active=$standby standby=$t
done
FIG[ha_failover_ms_median]=$(median <"$W/ha.failover")
FIG[ha_failover_ms_max]=$(sort -n "$W/ha.failover" | tail -1)
stop_all
fi   # ONLY

# ---------- ops: what /metrics costs ----------
if [ "$ONLY" = all ] || [ "$ONLY" = ops ]; then
start_cluster 1000000 1
head -c 1000 /dev/urandom >"$W/one"
"$MINIDFS" client --master "$MASTER" --quiet --action write --filename one --input "$W/one"
ONE_ID=$(printf one | sha256sum | cut -c1-64)
curl -sf "${MASTER}get?id=$ONE_ID" >/dev/null || die "ops target not readable"
CS_URL="http://127.0.0.1:$(cat "$W/$DIR/cs1.port")/"
ops_plain() { wrk -t2 -c32 -d5s "${MASTER}get?id=$ONE_ID" | awk '/Requests\/sec/ { print $2 }' >>"$W/ops.get_plain"; }
# scraped as Prometheus scrapes: one client, keep-alive, once a second
# (curl --rate; the query string only makes the URLs differ)
ops_scraped() {
    curl -s --rate 1/s "${MASTER}metrics?n=[1-7]" >/dev/null &
    local scraper=$!
    wrk -t2 -c32 -d5s "${MASTER}get?id=$ONE_ID" | awk '/Requests\/sec/ { print $2 }' >>"$W/ops.get_scraped"
    kill "$scraper" 2>/dev/null || true
    wait "$scraper" 2>/dev/null || true
}
for r in $(seq "$RUNS"); do
    say "ops run $r/$RUNS"
    if [ $((r % 2)) = 1 ]; then ops_plain; ops_scraped; else ops_scraped; ops_plain; fi
    curl -s -o /dev/null -w '%{time_total}\n' "${MASTER}metrics" | awk '{ printf "%.2f\n", $1 * 1000 }' >>"$W/ops.scrape_master_ms"
    curl -s -o /dev/null -w '%{time_total}\n' "${CS_URL}metrics" | awk '{ printf "%.2f\n", $1 * 1000 }' >>"$W/ops.scrape_cs_ms"
done
FIG[ops_get_plain]=$(median <"$W/ops.get_plain")
FIG[ops_get_scraped]=$(median <"$W/ops.get_scraped")
FIG[ops_scrape_master_ms]=$(median <"$W/ops.scrape_master_ms")
FIG[ops_scrape_cs_ms]=$(median <"$W/ops.scrape_cs_ms")
stop_all
fi   # ONLY

if [ "$ONLY" = all ] || [ "$ONLY" = cluster ]; then
# ---------- 9. a simulated cluster of a thousand chunkservers ----------
SIM=$BIN/minidfs-sim
SIM_SERVERS=${SIM_SERVERS:-1000}
SIM_FILES=${SIM_FILES:-100000}
SHAPE=(--servers "$SIM_SERVERS" --files "$SIM_FILES" --chunks-per-file 100 --chunk-size 67108864)
# req/s of GET url, the median of three 5 s runs of wrk (one run swings by
# 10 % on this machine)
sim_wrk() {
    local i
    for i in 1 2 3; do
        wrk -t2 -c32 -d5s "$1" | awk '/Requests\/sec/ { print $2 }'
    done | median
}
# GET /get req/s of a seeded file while a simulated cluster beats on
# (its --linger-s phase), with the sim's seeded shape given in $@
sim_get_rps() {
    local dir=$1; shift
    rm -rf "$W/$dir" && mkdir -p "$W/$dir"
    "$SIM" seed --meta-dir "$W/$dir/meta" "$@" >/dev/null 2>>"$W/sim-seed.log" || die "seed $dir"
    "$MINIDFS" master --port 0 --port-file "$W/$dir/m.port" --meta-dir "$W/$dir/meta" \
        --chunkSize 67108864 --log-level warn 2>>"$W/sim-master.log" &
    local mp=$!
    PIDS+=("$mp")
    for i in $(seq 1200); do [ -s "$W/$dir/m.port" ] && break; sleep 0.05; done
    local url=http://127.0.0.1:$(cat "$W/$dir/m.port")/
    "$SIM" run --master "$url" "$@" --idle-s 0 --steady-s 0 --kill 0 --probe 0 --linger-s 25 \
        --absorb-timeout-s 600 >"$W/$dir/sim.out" 2>&1 &
    local sp=$!
    PIDS+=("$sp")
    until grep -q '^linger:' "$W/$dir/sim.out"; do
        kill -0 "$sp" 2>/dev/null || die "the $dir simulation ended early: $(tail -3 "$W/$dir/sim.out")"
        sleep 1   # a progress poll
    done
    # the identifier of /sim/d0000/f0000000: its path's, without the '/'
    local id
    id=$(printf 'sim/d0000/f0000000' | sha256sum | cut -c1-64)
    curl -sf "${url}get?id=$id" >/dev/null || die "the seeded file is not readable by id"
    sim_wrk "${url}get?id=$id"
    wait "$sp" || die "the $dir simulation failed: $(tail -3 "$W/$dir/sim.out")"
    kill "$mp"
    wait "$mp" 2>/dev/null || true
}
say "GET /get at 10 servers and 1,000 chunks (and at full size, after the run below)"
FIG[sim_get_small]=$(sim_get_rps sim-small --servers 10 --files 10 --chunks-per-file 100 --chunk-size 67108864)
say "seeding a meta-dir of $((SIM_FILES * 100)) chunks"
rm -rf "$W/sim" && mkdir -p "$W/sim"
t0=$(now)
"$SIM" seed --meta-dir "$W/sim/meta" "${SHAPE[@]}" >/dev/null 2>"$W/sim-seed.log" || die "seed: $(tail -2 "$W/sim-seed.log")"
t1=$(now)
FIG[sim_seed_s]=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
t0=$(now)
"$MINIDFS" master --port 0 --port-file "$W/sim/m.port" --meta-dir "$W/sim/meta" --chunkSize 67108864 \
    --log-level warn 2>>"$W/sim-master.log" &
SIM_MASTER=$!
PIDS+=("$SIM_MASTER")
for i in $(seq 1200); do [ -s "$W/sim/m.port" ] && break; sleep 0.05; done
[ -s "$W/sim/m.port" ] || die "the master did not come up on the seeded meta-dir"
t1=$(now)
FIG[sim_restart_s]=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
SM=http://127.0.0.1:$(cat "$W/sim/m.port")/
"$SIM" run --master "$SM" "${SHAPE[@]}" --master-pid "$SIM_MASTER" --idle-s 30 --steady-s 30 \
    --kill 1 --gets 50 --creates 20 --appends 5 --deletes 5 --absorb-timeout-s 600 \
    --repair-timeout-s 600 --linger-s 25 --json "$W/sim.json" >"$W/sim.out" 2>&1 &
SIM_PID=$!
PIDS+=("$SIM_PID")
until grep -q '^linger:' "$W/sim.out"; do
    kill -0 "$SIM_PID" 2>/dev/null || die "the simulation ended early: $(tail -3 "$W/sim.out")"
    sleep 1   # a progress poll; the figures are the simulator's own
done
# the repair scan's figures as the repair left them, before wrk takes both
# cores (a slice the scheduler preempts then holds the lock for as long as
# it waits for a core)
curl -s "${SM}metrics" >"$W/sim.metrics"
FIG[sim_scan_s]=$(awk '/^minidfs_repair_scan_seconds / { print $2 }' "$W/sim.metrics")
FIG[sim_slice_max_ms]=$(awk '/^minidfs_repair_scan_slice_max_seconds / { printf "%.2f", $2 * 1000 }' "$W/sim.metrics")
BIG_ID=$(printf 'sim/d0000/f0000000' | sha256sum | cut -c1-64)
FIG[sim_get_big]=$(sim_wrk "${SM}get?id=$BIG_ID")
curl -s "${SM}metrics" >"$W/sim.metrics"
FIG[sim_slice_max_wrk_ms]=$(awk '/^minidfs_repair_scan_slice_max_seconds / { printf "%.2f", $2 * 1000 }' "$W/sim.metrics")
wait "$SIM_PID" || die "the simulation failed: $(tail -5 "$W/sim.out")"
cat "$W/sim.out" >&2
eval "$(python3 - "$W/sim.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
a, s = d["absorb_latency"], d["steady_latency"]
print("FIG[sim_reported_s]=%.1f" % d["reported_s"])
print("FIG[sim_located_s]=%.1f" % d["located_s"])
print("FIG[sim_absorb_get_p99_ms]=%.1f" % d["absorb_probe"]["p99_ms"])
print("FIG[sim_idle_cpu_pct]=%.1f" % d["idle_cpu_pct"])
print("FIG[sim_heartbeat_p99_ms]=%.2f" % d["idle_heartbeat_p99_ms"])
print("FIG[sim_steady_cpu_pct]=%.1f" % d.get("steady_cpu_pct", -1))
print("FIG[sim_get_p99_ms]=%.2f" % d["steady_probe"]["p99_ms"])
print("FIG[sim_rss_mb]=%.0f" % (d["master_rss_bytes"] / 1e6))
print("FIG[sim_repair_chunks]=%d" % d["repair_short"])
print("FIG[sim_repair_s]=%.1f" % d["repair_s"])
print("FIG[sim_wrongful]=%d" % d["counts"]["deletes_wrongful"])
PY
)"
stop_all
fi   # ONLY

# ---------- report ----------
f() { echo "${FIG[$1]:-n/a}"; }
{
printf '\nminidfs benchmark  %s  (%s MiB, median of %s runs, %s cores)\n\n' "$(date -u +%FT%TZ)" "$SIZE_MB" "$RUNS" "$(nproc)"
printf '%-44s %12s %12s %8s\n' "figure" "minidfs" "ceiling" "ratio"
row() { printf '%-44s %12s %12s %8s\n' "$1" "$2" "$3" "$(ratio "$2" "$3")"; }
row "write MB/s, replication 1, 64 MiB chunks" "$(f r1_64m_w)" "$(f r1_64m_ceil_w)"
row "  the same against nginx PUT's fastest run" "$(f r1_64m_w)" "$(f r1_64m_ceil_w_best)"
row "  the same against nginx PUT + fdatasync" "$(f r1_64m_w)" "$(f r1_64m_ceil_wsync)"
row "  the same against the disk alone (dd)" "$(f r1_64m_w)" "$(f r1_64m_ceil_disk)"
row "  the disk alone (dd) against nginx PUT" "$(f r1_64m_ceil_disk)" "$(f r1_64m_ceil_w)"
row "read MB/s,  replication 1, 64 MiB chunks" "$(f r1_64m_r)" "$(f r1_64m_ceil_r)"
row "write MB/s, replication 1, 1 MB chunks" "$(f r1_1m_w)" "$(f r1_64m_w)"
row "read MB/s,  replication 1, 1 MB chunks" "$(f r1_1m_r)" "$(f r1_64m_r)"
row "write MB/s, replication 3, 64 MiB chunks" "$(f r3_64m_w)" "$(f r3_64m_ceil_w)"
row "  the same against nginx PUT's fastest run" "$(f r3_64m_w)" "$(f r3_64m_ceil_w_best)"
row "  the same against nginx PUT + fdatasync" "$(f r3_64m_w)" "$(f r3_64m_ceil_wsync)"
row "  the same against the disk alone (dd)" "$(f r3_64m_w)" "$(f r3_64m_ceil_disk)"
row "  the disk alone (dd) against nginx PUT" "$(f r3_64m_ceil_disk)" "$(f r3_64m_ceil_w)"
row "read MB/s,  replication 3, 64 MiB chunks" "$(f r3_64m_r)" "$(f r3_64m_ceil_r)"
row "master GET /get req/s (wrk, keep-alive)" "$(f rps_get)" "$(f rps_nginx)"
row "master POST /allocate req/s (wrk)" "$(f rps_alloc)" "$(f rps_nginx)"
row "small files written/s (4 KiB, CLI)" "$(f small_w)" "$(f small_nginx_w)"
row "small files read/s (4 KiB, CLI)" "$(f small_r)" "$(f small_nginx_r)"
row "TLS write MB/s (secure, 64 MiB, vs plain)" "$(f tls_tls_w)" "$(f tls_plain_w)"
row "TLS read MB/s  (secure, 64 MiB, vs plain)" "$(f tls_tls_r)" "$(f tls_plain_r)"
row "put -r files/s (4 KiB, one process)" "$(f tree_w)" "$(f tree_nginx_w)"
row "  the same against the disk alone (durable)" "$(f tree_w)" "$(f tree_disk_w)"
row "  the disk alone (durable) against nginx" "$(f tree_disk_w)" "$(f tree_nginx_w)"
row "get -r files/s (4 KiB, one process)" "$(f tree_r)" "$(f tree_nginx_r)"
row "  put: one process per file, files/s" "$(f tree_one_w)" "$(f tree_nginx_w)"
row "creates/s through /upload, nested vs flat" "$(f tree_creates_per_s_nested)" "$(f tree_creates_per_s_flat)"
row "HA: chunk creates/s, active vs single master" "$(f ha_creates_active)" "$(f ha_creates_single)"
row "HA: GET /get req/s, standby vs active" "$(f ha_get_standby)" "$(f ha_get_active)"
row "GET /get req/s, /metrics scraped each s vs not" "$(f ops_get_scraped)" "$(f ops_get_plain)"
printf '%-44s %12s\n' "one /metrics scrape, master, ms" "$(f ops_scrape_master_ms)"
printf '%-44s %12s\n' "one /metrics scrape, chunkserver, ms" "$(f ops_scrape_cs_ms)"
printf '%-44s %12s\n' "HA: failover to first write, ms, median" "$(f ha_failover_ms_median)"
printf '%-44s %12s\n' "HA: failover to first write, ms, max" "$(f ha_failover_ms_max)"
printf '%-44s %12s\n' "master resident bytes per file (1M, 10k dirs)" "$(f tree_bytes_per_file)"
printf '%-44s %12s\n' "ls of a 100,000-entry directory, s" "$(f tree_ls_100k_s)"
printf '%-44s %12s\n' "  the client's peak memory, KiB" "$(f tree_ls_100k_client_kib)"
row "GET /get req/s, 10M-chunk cluster vs small" "$(f sim_get_big)" "$(f sim_get_small)"
printf '%-44s %12s\n' "sim: master restart s, 10M chunks" "$(f sim_restart_s)"
printf '%-44s %12s\n' "sim: full reports all in, s" "$(f sim_reported_s)"
printf '%-44s %12s\n' "sim: every chunk located, s" "$(f sim_located_s)"
printf '%-44s %12s\n' "sim: GET /get p99 ms while reports arrive" "$(f sim_absorb_get_p99_ms)"
printf '%-44s %12s\n' "sim: master CPU %, 1,000 servers beating" "$(f sim_idle_cpu_pct)"
printf '%-44s %12s\n' "sim: heartbeat p99 ms" "$(f sim_heartbeat_p99_ms)"
printf '%-44s %12s\n' "sim: master CPU %, and a workload" "$(f sim_steady_cpu_pct)"
printf '%-44s %12s\n' "sim: GET /get p99 ms meanwhile (a client)" "$(f sim_get_p99_ms)"
printf '%-44s %12s\n' "sim: master RSS MB, 10M chunks x 3" "$(f sim_rss_mb)"
printf '%-44s %12s\n' "sim: replicas of a dead server repaired" "$(f sim_repair_chunks)"
printf '%-44s %12s\n' "  in s (death noticed after 10 s)" "$(f sim_repair_s)"
printf '%-44s %12s\n' "  repair scan s, longest lock hold ms" "$(f sim_scan_s) $(f sim_slice_max_ms)"
printf '%-44s %12s\n' "  longest hold ms, wrk on both cores" "$(f sim_slice_max_wrk_ms)"
printf '%-44s %12s\n' "master resident bytes per chunk" "$(f scale_bytes_per_chunk)"
printf '%-44s %12s\n' "master chunks created/s through /upload" "$(f scale_load_chunks_per_s)"
printf '%-44s %12s\n' "master chunk reports/s (journalled, wrk)" "$(f scale_reports_per_s)"
printf '%-44s %12s\n' "master restart s, 1M chunks, log replay" "$(f scale_restart_replay_s)"
printf '%-44s %12s\n' "master restart s, 1M chunks, checkpoint" "$(f scale_restart_checkpoint_s)"
printf '%-44s %12s\n' "master checkpoint write s, 1M chunks" "$(f scale_checkpoint_s)"
printf '%-44s %12s\n' "master journal on disk MB, 1M chunks" "$(f scale_log_mb)"
printf '\nCPU seconds per GiB (user+sys)      client   chunkservers\n'
for l in r1_64m r1_1m r3_64m; do
    printf '  %-8s write                    %7s %12s\n' "$l" "$(f cpu_${l}_client_w)" "$(f cpu_${l}_cs_w)"
    printf '  %-8s read                     %7s %12s\n' "$l" "$(f cpu_${l}_client_r)" "$(f cpu_${l}_cs_r)"
done
printf '\n1 MB rows compare with the 64 MiB rows; "nginx PUT + fdatasync" is nginx'"'"'s PUT timed until its file\nis on disk (the targets use the plain PUT). "The disk alone" is dd reading the input cold while\nthree more dd write its copies (as many bytes) with O_DIRECT and fdatasync, all at once: what\nany durable copy of the input waits for on this one disk. Every figure with fsync per chunk and\njournal commit, and SHA-256 computed by the client and checked for every replica.\n'
} | tee "$W/table"

{
printf '{\n  "date": "%s",\n  "size_mib": %s,\n  "runs": %s,\n  "figures": {\n' "$(date -u +%FT%TZ)" "$SIZE_MB" "$RUNS"
first=1
for k in $(printf '%s\n' "${!FIG[@]}" | sort); do
    [ $first = 1 ] || printf ',\n'
    first=0
    printf '    "%s": %s' "$k" "${FIG[$k]}"
done
printf '\n  }\n}\n'
} >"$ROOT/$RESULTS"
say "figures written to $RESULTS"
