#!/usr/bin/env bash
# ab-master.sh - an A/B of two master binaries on the CPU-bound parts of
# the master's work, with its meta-dir on tmpfs so the disk's noise is out
# of the figures: first /uploadSuccessful reports per second (wrk), then
# the checkpoint of 300,000 reported chunks (its write at a clean stop, and
# the restart that reads it). The two builds alternate, PAIRS times.
#
# usage: scripts/ab-master.sh OLD_MINIDFS NEW_MINIDFS
# env:   PAIRS=3 FILES=300 (files of 1,000 one-byte chunks) SECONDS_WRK=4
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

for p in $(seq "$PAIRS"); do
    echo "old: $(one "$1")"
    echo "new: $(one "$2")"
done
