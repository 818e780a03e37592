#!/usr/bin/env bash
# ab-tree.sh - an A/B of two minidfs builds on a tree of small files: a
# master and one chunkserver (replication 1, durability on) per build, a
# `put -r` of FILES files of 4 KiB, then a `get -r` of it into a new
# directory, compared with `diff -r`; the files per second of each and the
# CPU microseconds per file of the client, the chunkserver and the master
# (from /proc and time), and where perf is installed the chunkserver's
# context switches per file (perf stat). The two builds alternate, PAIRS
# times. The rates
# swing with the machine (this disk's ext4 slows file creation for 30 s
# after many deletions), so the data directories are removed only at the
# end, and the CPU per file is the steadier figure.
#
# usage: scripts/ab-tree.sh OLD_MINIDFS NEW_MINIDFS
# env:   PAIRS=2 FILES=2000 RUNS=3 (put -r / get -r per build and pair)
# Loopback only; everything it starts it stops.
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 OLD_MINIDFS NEW_MINIDFS" >&2; exit 2; }
PAIRS=${PAIRS:-2}
FILES=${FILES:-2000}
RUNS=${RUNS:-3}
W=$(mktemp -d "${TMPDIR:-/var/tmp}/minidfs-abtree.XXXXXX")
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$W"
}
trap cleanup EXIT
PERF=$(command -v perf || true)
mkdir -p "$W/tree"
for i in $(seq "$FILES"); do head -c 4096 /dev/urandom >"$W/tree/f$i"; done
cpu() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }   # clock ticks

one() {   # LABEL MINIDFS PAIR
    local label=$1 bin=$2 d="$W/$1-$3" mp cp m r
    mkdir -p "$d"
    "$bin" master --port 0 --port-file "$d/m.port" --meta-dir "$d/meta" --replication 1 \
        --log-level warn 2>>"$d/m.log" &
    mp=$!
    PIDS+=("$mp")
    until [ -s "$d/m.port" ]; do sleep 0.02; done
    m=http://127.0.0.1:$(cat "$d/m.port")/
    "$bin" chunkserver --master "$m" --port 0 --port-file "$d/c.port" --dir "$d/data" \
        --log-level warn 2>>"$d/c.log" &
    cp=$!
    PIDS+=("$cp")
    until curl -s "${m}chunkservers" | grep -q '"live":true'; do sleep 0.02; done
    for r in $(seq "$RUNS"); do
        for op in put get; do
            local m0 c0 t0 t1 sp="" sw=""
            if [ -n "$PERF" ]; then
                # started disabled; enabled through its control fifo, whose
                # ack says it counts
                rm -f "$d/ctl" "$d/ack" && mkfifo "$d/ctl" "$d/ack"
                perf stat -e context-switches -x, -D -1 --control "fifo:$d/ctl,$d/ack" \
                    -p "$cp" -o "$d/switches" 2>/dev/null &
                sp=$!
                exec 8>"$d/ctl" 9<"$d/ack"
                echo enable >&8
                read -r -u 9 _
            fi
            m0=$(cpu "$mp"); c0=$(cpu "$cp"); t0=$(date +%s.%N)
            if [ "$op" = put ]; then
                /usr/bin/time -f '%U %S' -o "$d/time" "$bin" put -r --quiet --master "$m" "$W/tree" "/t$r"
            else
                /usr/bin/time -f '%U %S' -o "$d/time" "$bin" get -r --quiet --master "$m" "/t$r" "$d/back$r"
            fi
            t1=$(date +%s.%N)
            if [ -n "$sp" ]; then
                kill -INT "$sp"
                wait "$sp" 2>/dev/null || true
                exec 8>&- 9<&-
                sw=$(awk -F, '/context-switches/ { print $1 }' "$d/switches")
                rm -f "$d/switches"
            fi
            if [ "$op" = get ]; then
                diff -rq "$W/tree" "$d/back$r" >/dev/null || { echo "$label: get -r differs" >&2; exit 1; }
            fi
            awk -v l="$label" -v op="$op" -v n="$FILES" -v a="$t0" -v b="$t1" \
                -v m="$(( $(cpu "$mp") - m0 ))" -v c="$(( $(cpu "$cp") - c0 ))" \
                -v hz="$(getconf CLK_TCK)" -v t="$(cat "$d/time")" -v sw="$sw" 'BEGIN {
                    split(t, u, " ");
                    printf "%-4s %s -r %6.0f files/s   CPU us/file: client %4.0f  chunkserver %4.0f  master %4.0f",
                        l, op, n / (b - a), (u[1] + u[2]) * 1e6 / n, c * 1e6 / hz / n, m * 1e6 / hz / n;
                    if (sw != "") printf "   chunkserver switches/file %.1f", sw / n;
                    printf "\n" }'
        done
    done
    kill "$mp" "$cp"
    wait "$mp" "$cp" 2>/dev/null || true
}
for p in $(seq "$PAIRS"); do
    one old "$1" "$p"
    one new "$2" "$p"
done
