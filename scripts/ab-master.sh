#!/usr/bin/env bash
# ab-master.sh - an A/B of two master binaries on the CPU-bound parts of
# the master's work, with its meta-dir on tmpfs so the disk's noise is out
# of the figures: first /uploadSuccessful reports per second (wrk), then
# the checkpoint of 300,000 reported chunks (its write at a clean stop, and
# the restart that reads it); with MODE=creates, empty files made through
# /upload in the root (flat) and in 10,000 directories (nested): creates
# per second and the master's CPU microseconds per create (steadier than
# the rate on a shared machine). The two builds alternate, PAIRS times.
#
# usage: scripts/ab-master.sh OLD_MINIDFS NEW_MINIDFS
# env:   PAIRS=3 FILES=300 (files of 1,000 one-byte chunks) SECONDS_WRK=4
#        MODE=reports|creates
# Needs wrk (scripts/deps.sh wrk). Loopback only; everything it starts it stops.
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 OLD_MINIDFS NEW_MINIDFS" >&2; exit 2; }
PAIRS=${PAIRS:-3}
FILES=${FILES:-300}
SECONDS_WRK=${SECONDS_WRK:-4}
command -v wrk >/dev/null || "$(dirname "$0")/deps.sh" wrk

one() {
    local bin=$1 w pid port
    w=$(mktemp -d /dev/shm/minidfs-ab.XXXXXX)
    start() {
        rm -f "$w/port"
        "$bin" master --port 0 --port-file "$w/port" --meta-dir "$w/meta" --chunkSize 1 \
            --replication 1 --dead-after-ms 86400000 --repair-max 0 \
            --checkpoint-every 100000000 --log-level info 2>>"$w/log" &
        pid=$!
        until [ -s "$w/port" ]; do sleep 0.02; done
        port=$(cat "$w/port")
    }
    start
    curl -sf -X POST "http://127.0.0.1:$port/chunkserver" -d '{"url":"127.0.0.1:9/"}' >/dev/null
    for i in $(seq "$FILES"); do
        curl -sf -X POST "http://127.0.0.1:$port/upload" -d "{\"fileName\":\"s-$i\",\"fileSize\":1000}" \
            -o /dev/null
    done
    "$(dirname "$0")/report-lua.sh" s "$FILES" >"$w/r.lua"
    local rps
    rps=$(wrk -t2 -c16 -d"${SECONDS_WRK}s" -s "$w/r.lua" "http://127.0.0.1:$port/" |
        awk '/Requests\/sec/ { print $2 }')
    # the rest reported too, so the checkpoint holds every chunk stored
    wrk -t2 -c16 -d"$((SECONDS_WRK * 2))s" -s "$w/r.lua" "http://127.0.0.1:$port/" >/dev/null
    kill "$pid"
    wait "$pid" || true
    local write t0 t1
    write=$(grep -o 'checkpoint took [0-9.]*' "$w/log" | tail -1 | awk '{ print $3 }')
    t0=$(date +%s.%N)
    start
    t1=$(date +%s.%N)
    kill "$pid"
    wait "$pid" || true
    rm -rf "$w"
    printf 'reports/s %s  checkpoint write %s s  restart %s s\n' "$rps" "$write" \
        "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')"
}

creates() {   # binary shape
    local bin=$1 w pid port c0 c1 n fmt='/f%d-%d'
    [ "$2" = nested ] && fmt='/d%d/f%d'
    w=$(mktemp -d /dev/shm/minidfs-ab.XXXXXX)
    "$bin" master --port 0 --port-file "$w/port" --meta-dir "$w/meta" --replication 1 \
        --checkpoint-every 100000000 --log-level warn 2>>"$w/log" &
    pid=$!
    until [ -s "$w/port" ]; do sleep 0.02; done
    port=$(cat "$w/port")
    "$(dirname "$0")/creates-lua.sh" "$fmt" >"$w/c.lua"
    c0=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")
    n=$(wrk -t2 -c16 -d"${SECONDS_WRK}s" -s "$w/c.lua" "http://127.0.0.1:$port/" |
        awk '/requests in/ { print $1 }')
    c1=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")   # USER_HZ = 100
    kill "$pid"
    wait "$pid" || true
    rm -rf "$w"
    awk -v n="$n" -v s="$SECONDS_WRK" -v a="$c0" -v b="$c1" -v shape="$2" \
        'BEGIN { printf "%s creates/s %.0f  master CPU us/create %.1f\n", shape, n / s, (b - a) * 10000 / n }'
}

for p in $(seq "$PAIRS"); do
    if [ "${MODE:-reports}" = creates ]; then
        for shape in flat nested; do
            echo "old: $(creates "$1" "$shape")"
            echo "new: $(creates "$2" "$shape")"
        done
    else
        echo "old: $(one "$1")"
        echo "new: $(one "$2")"
    fi
done
