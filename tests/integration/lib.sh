# lib.sh - shared helpers for the integration tests: start real master and
# chunkserver processes on ephemeral loopback ports, wait until they are
# ready (by polling their own answers, never by sleeping a fixed time), and
# stop everything the test started, by pid, when it exits.
set -euo pipefail

: "${MINIDFS:?set MINIDFS to the minidfs binary (ctest does)}"
TEST_NAME=$(basename "$0" .sh)
mkdir -p "${MINIDFS_TEST_TMP:-/tmp}"
T=$(mktemp -d "${MINIDFS_TEST_TMP:-/tmp}/$TEST_NAME.XXXXXX")
PIDS=()
SIDE_PIDS=()   # third-party servers (etcd): stopped after ours, their exit not judged
MASTER=""

# A test whose helpers must stop before the servers do (clients it runs in
# the background) defines before_cleanup. Nothing here may end the shell
# early: a server left running holds ctest's output open, and the test
# would hang until its timeout instead of failing.
cleanup() {
    local rc=$? prc
    set +e
    if declare -F before_cleanup >/dev/null; then before_cleanup; fi
    # After a passing test, every server still running must also shut down
    # cleanly on SIGTERM (under the sanitizer build: without leaks).
    if [ "$rc" -eq 0 ]; then
        for p in "${PIDS[@]}"; do
            alive "$p" || continue
            kill "$p"
            prc=0
            wait "$p" || prc=$?
            [ "$prc" -eq 0 ] || { echo "FAIL [$TEST_NAME]: pid $p exited $prc on SIGTERM" >&2; rc=1; }
        done
    fi
    for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
    for p in "${SIDE_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${SIDE_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
    if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ]; then
        echo "--- logs of $TEST_NAME (kept in $T) ---" >&2
        for f in "$T"/*.log; do [ -f "$f" ] && { echo "== $f" >&2; tail -20 "$f" >&2; }; done
    else
        [ "${MINIDFS_TEST_KEEP:-0}" = 1 ] || rm -rf "$T"   # keep a passing test's files and logs too
    fi
    exit "$rc"
}
trap cleanup EXIT

fail() { echo "FAIL [$TEST_NAME]: $*" >&2; exit 1; }
ok() { echo "ok - $*"; }
skip() { echo "SKIP [$TEST_NAME]: $*"; exit 77; }

# Polls a condition (a command) every 20 ms until it holds or timeout_s
# passes. A readiness check, not a sleep: it returns as soon as it can.
wait_until() {
    local timeout_s=$1 what=$2; shift 2
    local deadline=$((SECONDS + timeout_s))
    until "$@"; do
        [ "$SECONDS" -lt "$deadline" ] || fail "timed out after ${timeout_s}s waiting for $what"
        sleep 0.02
    done
}

alive() { kill -0 "$1" 2>/dev/null; }
port_ready() { [ -s "$1" ] || { alive "$2" || fail "process $2 died before listening (see $3)"; return 1; }; }

# --port 0 (any free port) unless the flags name a port: a flag may be
# given only once.
port_flag() { local a; for a in "$@"; do [ "$a" = --port ] && return; done; echo --port=0; }
# The same for --meta-dir.
meta_flag() { local a; for a in "$@"; do [ "$a" = --meta-dir ] && return; done; echo "--meta-dir=$T/meta"; }

# start_master [flags...]: sets MASTER, MASTER_PID.
start_master() {
    rm -f "$T/master.port"
    "$MINIDFS" master $(port_flag "$@") --port-file "$T/master.port" $(meta_flag "$@") "$@" >>"$T/master.log" 2>&1 &
    MASTER_PID=$!
    PIDS+=("$MASTER_PID")
    wait_until 10 "the master to listen" port_ready "$T/master.port" "$MASTER_PID" "$T/master.log"
    MASTER="http://127.0.0.1:$(cat "$T/master.port")/"
}

# start_chunkserver NAME DIR [flags...]: sets CS_PID and CS_ADDR, and
# records them as CS_PID_<NAME>, CS_ADDR_<NAME>.
start_chunkserver() {
    local name=$1 dir=$2; shift 2
    rm -f "$T/$name.port"
    # full reports every 60 beats (12 s) unless the test says: what the
    # tests were written against (the default is an hour's worth)
    local every=(--report-every 60) a
    for a in "$@"; do [ "$a" = --report-every ] && every=(); done
    "$MINIDFS" chunkserver --master "$MASTER" $(port_flag "$@") --port-file "$T/$name.port" \
        --dir "$dir" --heartbeat-ms 200 "${every[@]}" "$@" >>"$T/$name.log" 2>&1 &
    CS_PID=$!
    PIDS+=("$CS_PID")
    wait_until 10 "chunkserver $name to listen" port_ready "$T/$name.port" "$CS_PID" "$T/$name.log"
    CS_ADDR="127.0.0.1:$(cat "$T/$name.port")/"
    printf -v "CS_PID_$name" '%s' "$CS_PID"
    printf -v "CS_ADDR_$name" '%s' "$CS_ADDR"
}

# free_port: a loopback port nothing listens on now (for a program that,
# unlike ours, cannot be asked for port 0).
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start_etcd [CERT KEY CA]: a real one-member etcd on free loopback ports,
# its data in $T/${ETCD_DIR:-etcd} (with CERT and KEY: serving clients HTTPS, checked
# against CA); sets ETCD (its client URL) and ETCD_PID. Skips the test
# (77) without an etcd binary (scripts/deps.sh installs etcd-server).
start_etcd() {
    local bin=${ETCD_BIN:-/usr/bin/etcd} cp pp try scheme=http tlsflags=() cacert=()
    local dir=$T/${ETCD_DIR:-etcd}
    [ -x "$bin" ] || skip "no etcd at $bin (scripts/deps.sh installs etcd-server)"
    if [ $# -eq 3 ]; then
        scheme=https tlsflags=(--cert-file "$1" --key-file "$2") cacert=(--cacert "$3")
    fi
    for try in 1 2 3 4 5; do
        cp=$(free_port)
        pp=$(free_port)
        [ "$cp" != "$pp" ] || continue
        rm -rf "$dir"
        "$bin" --name t --data-dir "$dir" --listen-client-urls "$scheme://127.0.0.1:$cp" \
            --advertise-client-urls "$scheme://127.0.0.1:$cp" --listen-peer-urls "http://127.0.0.1:$pp" \
            --initial-advertise-peer-urls "http://127.0.0.1:$pp" --initial-cluster "t=http://127.0.0.1:$pp" \
            "${tlsflags[@]}" --logger zap --log-level error >>"$dir.log" 2>&1 &
        ETCD_PID=$!
        SIDE_PIDS+=("$ETCD_PID")
        ETCD="$scheme://127.0.0.1:$cp"
        local deadline=$((SECONDS + 10))
        while alive "$ETCD_PID" && [ "$SECONDS" -lt "$deadline" ]; do
            curl -s "${cacert[@]}" "$ETCD/health" 2>/dev/null | grep -q '"health":"true"' && return 0
            sleep 0.05
        done
        kill -9 "$ETCD_PID" 2>/dev/null || true
        wait "$ETCD_PID" 2>/dev/null || true
    done
    fail "etcd would not start (see $dir.log)"
}

# A secure master wants a user's token on every client call: as_admin
# makes the test the first superuser (admin.token in the meta-dir) for the
# client (MINIDFS_TOKEN) and for the helpers' curl calls (MASTER_AUTH).
MASTER_AUTH=()
as_admin() {
    MINIDFS_TOKEN=$(cat "$T/meta/admin.token")
    export MINIDFS_TOKEN
    MASTER_AUTH=(-H "Authorization: Bearer $MINIDFS_TOKEN")
}
live_count() { curl -s "${MASTER_AUTH[@]}" "${MASTER}chunkservers" | grep -o '"live":true' | wc -l; }
has_live() { [ "$(live_count)" -ge "$1" ]; }
# wait_live N: until the master counts N live chunkservers.
wait_live() { wait_until 10 "$1 live chunkservers" has_live "$1"; }

# A cluster: master (flags in MASTER_FLAGS) + N chunkservers in $T/data1..N.
start_cluster() {
    local n=$1; shift
    start_master "$@"
    for i in $(seq 1 "$n"); do start_chunkserver "cs$i" "$T/data$i"; done
    wait_live "$n"
}

# stop_pid PID: SIGTERM, and the process must shut down cleanly (exit 0;
# under the sanitizer build that includes "no leaks").
stop_pid() {
    local rc=0
    kill "$1"
    wait "$1" || rc=$?
    [ "$rc" -eq 0 ] || fail "process $1 exited with status $rc on SIGTERM"
}

client() { "$MINIDFS" client --master "$MASTER" --quiet "$@"; }

# expect_fail PATTERN cmd...: the command must exit non-zero with exactly
# one line on stderr that matches PATTERN.
expect_fail() {
    local pattern=$1; shift
    local rc=0
    "$@" >"$T/.stdout" 2>"$T/.stderr" || rc=$?
    [ "$rc" -ne 0 ] || fail "expected failure from: $*"
    [ "$(wc -l <"$T/.stderr")" -eq 1 ] || fail "expected one stderr line from: $*; got: $(cat "$T/.stderr")"
    grep -qE -- "$pattern" "$T/.stderr" || fail "stderr of '$*' lacks /$pattern/: $(cat "$T/.stderr")"
    LAST_RC=$rc
}

# http METHOD URL [curl args...]: prints the status (000 if none came);
# body in $T/body. A server may answer an error before it has read the
# whole request body and close, and curl then reports a send failure
# though the answer arrived: the status is what counts, so curl's exit
# code is not.
http() {
    local method=$1 url=$2; shift 2
    : >"$T/body"
    curl -s -o "$T/body" -w '%{http_code}' -X "$method" "$@" "$url" || true
}

# expect_status CODE METHOD URL [curl args...]: and a JSON error body for 4xx/5xx.
expect_status() {
    local want=$1; shift
    local got
    got=$(http "$@")
    [ "$got" = "$want" ] || fail "$1 $2: status $got, expected $want; body: $(head -c 300 "$T/body")"
    if [ "$want" -ge 400 ]; then
        grep -q '^{"error":"' "$T/body" || fail "$1 $2: error body is not {\"error\":...}: $(head -c 300 "$T/body")"
    fi
}

fileid() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }
# identifier_of NAME: the identifier the master names NAME's chunks with.
identifier_of() {
    curl -s "${MASTER_AUTH[@]}" "${MASTER}get?id=$(fileid "$1")" | grep -o '"identifier":"[0-9a-f]*"' | cut -d'"' -f4
}

# chunk_files DIR...: lists "name size" of every chunk file in the dirs.
chunk_files() { find "$@" -maxdepth 1 -type f ! -name '.*' -printf '%f %s\n' 2>/dev/null | sort; }
tmp_files() { find "$@" -maxdepth 3 -type f -name '.tmp-*' 2>/dev/null | wc -l; }

# expect_layout NAME SIZE CHUNK DIR...: the dirs together hold exactly the
# file's chunks, each once, named <sha256(NAME)>_<i> with the right size.
expect_layout() { local name=$1; shift; expect_layout_of "$(fileid "$name")" "$@"; }
# expect_layout_of ID SIZE CHUNK DIR...: the same for the chunks named
# <ID>_<i> (a file an overwrite wrote has an identifier of its own).
expect_layout_of() {
    local id=$1 size=$2 cs=$3; shift 3
    local n i len want=""
    n=$(( (size + cs - 1) / cs ))
    for ((i = 0; i < n; i++)); do
        len=$(( size - i * cs < cs ? size - i * cs : cs ))
        want+="${id}_$i $len"$'\n'
    done
    local got
    got=$(chunk_files "$@" | grep "^${id}_" || true)
    [ "$got" = "$(printf '%s' "$want" | sort)" ] || fail "chunk layout of $id differs: got $(echo "$got" | wc -l) files, want $n"
}

# make_file PATH SIZE: random bytes.
make_file() { head -c "$2" /dev/urandom >"$1"; }
# flip_byte FILE OFFSET: the byte there changed for sure (its complement):
# writing a constant left one file in 256 as it was.
flip_byte() {
    local b
    b=$(od -An -tu1 -j "$2" -N 1 "$1" | tr -d ' ')
    printf "\\$(printf %03o $((b ^ 255)))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
