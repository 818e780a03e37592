#!/usr/bin/env bash
# ha-nemesis.sh - a fault campaign against an HA cluster, Jepsen style:
# 3 etcd members, 2 masters and 5 chunkservers (replication 3), each in a
# network namespace of its own on one bridge (10.77.0.0/24), and 4
# clients writing, appending, renaming and deleting files. First the
# active master is cut off from etcd and from two chunkservers, with a
# client on its side, for 10 s; then, until NEMESIS_SECONDS are up, a
# nemesis every few seconds kills (-9) or pauses (SIGSTOP) a random
# master, chunkserver or etcd member, or cuts one off the network, and
# heals it. Then everything is healed, and the history is checked: every
# acknowledged write, append, rename and delete holds, and every file that
# can be read is whole and holds one history's bytes (a failed operation
# is either there or not, never half). Prints the counts; lost must be 0.
#
# env: NEMESIS_SECONDS (default 45: CI's short, fixed run; scripts/nemesis.sh
# runs it as long as asked) and NEMESIS_SEED (default 1; printed, so that
# any run can be repeated). Needs root, ip netns, nft and etcd; skipped
# (77) without them. The namespaces are removed at the end.

if [ -z "${MINIDFS_NEMESIS_NS:-}" ]; then
    P="mdn$$"
    if [ "$(id -u)" -ne 0 ] || ! command -v ip >/dev/null || ! command -v nft >/dev/null ||
        [ ! -x "${ETCD_BIN:-/usr/bin/etcd}" ]; then
        echo "SKIP [ha-nemesis]: needs root, ip netns, nft and etcd"
        exit 77
    fi
    HOSTS="e1:11 e2:12 e3:13 m1:21 m2:22 c1:31 c2:32 c3:33 c4:34 c5:35 k1:41 k2:42 k3:43 k4:44"
    teardown() {
        local h pid
        for h in $HOSTS br; do
            for pid in $(ip netns pids "$P-${h%%:*}" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
        done
        for h in $HOSTS br; do ip netns del "$P-${h%%:*}" 2>/dev/null; done
    }
    trap teardown EXIT
    ip netns add "$P-br" && ip netns exec "$P-br" ip link add br0 type bridge &&
        ip netns exec "$P-br" ip link set br0 up || { echo "SKIP [ha-nemesis]: no bridge"; exit 77; }
    for hi in $HOSTS; do
        h=${hi%%:*} i=${hi##*:}
        ip netns add "$P-$h" &&
            ip link add "${P}v$i" type veth peer name "${P}b$i" &&
            ip link set "${P}v$i" netns "$P-$h" &&
            ip link set "${P}b$i" netns "$P-br" &&
            ip netns exec "$P-br" ip link set "${P}b$i" master br0 up &&
            ip netns exec "$P-$h" ip addr add "10.77.0.$i/24" dev "${P}v$i" &&
            ip netns exec "$P-$h" ip link set "${P}v$i" up &&
            ip netns exec "$P-$h" ip link set lo up || { echo "FAIL [ha-nemesis]: cannot make $h's namespace"; exit 1; }
    done
    rc=0
    MINIDFS_NEMESIS_NS=$P bash "$0" "$@" || rc=$?
    exit "$rc"
fi

. "$(dirname "$0")/lib.sh"
P=$MINIDFS_NEMESIS_NS
SECONDS_TOTAL=${NEMESIS_SECONDS:-45}
SEED=${NEMESIS_SEED:-1}
echo "nemesis: seed $SEED, $SECONDS_TOTAL s (NEMESIS_SEED=$SEED NEMESIS_SECONDS=$SECONDS_TOTAL to repeat)"
RANDOM=$SEED

# Runs a command in host h's namespace. Servers are started with ip netns
# exec itself in the background (not through this function), so that $!
# is the server's pid: ip execs it.
nsx() { local h=$1; shift; ip netns exec "$P-$h" "$@"; }
ip_of() { case $1 in e*) echo "10.77.0.1${1#e}" ;; m*) echo "10.77.0.2${1#m}" ;; c*) echo "10.77.0.3${1#c}" ;; k*) echo "10.77.0.4${1#k}" ;; esac; }
ETCDS="http://10.77.0.11:2379,http://10.77.0.12:2379,http://10.77.0.13:2379"
ML="http://10.77.0.21:8000,http://10.77.0.22:8000"
declare -A PID

start_etcd_member() {
    local h=$1 ip
    ip=$(ip_of "$h")
    ip netns exec "$P-$h" "${ETCD_BIN:-/usr/bin/etcd}" --name "$h" --data-dir "$T/$h" \
        --listen-client-urls "http://$ip:2379" --advertise-client-urls "http://$ip:2379" \
        --listen-peer-urls "http://$ip:2380" --initial-advertise-peer-urls "http://$ip:2380" \
        --initial-cluster "e1=http://10.77.0.11:2380,e2=http://10.77.0.12:2380,e3=http://10.77.0.13:2380" \
        --initial-cluster-state new --heartbeat-interval 100 --election-timeout 1000 \
        --logger zap --log-level error >>"$T/$h.log" 2>&1 &
    PID[$h]=$!
    SIDE_PIDS+=("$!")
}
start_master() {
    local h=$1
    ip netns exec "$P-$h" "$MINIDFS" master --port 8000 --advertise "$(ip_of "$h"):8000" --meta-dir "$T/$h" \
        --ha-etcd "$ETCDS" --cluster n --chunkSize 65536 --replication 3 --safemode-ms 5000 \
        --lease-ms 3000 --dead-after-ms 3000 --checkpoint-every 200 >>"$T/$h.log" 2>&1 &
    PID[$h]=$!
    PIDS+=("$!")
}
start_cs() {
    local h=$1
    ip netns exec "$P-$h" "$MINIDFS" chunkserver --master "$ML" --port 8001 --advertise "$(ip_of "$h"):8001" \
        --dir "$T/$h" --heartbeat-ms 300 >>"$T/$h.log" 2>&1 &
    PID[$h]=$!
    PIDS+=("$!")
}
etcd_healthy() { nsx k1 curl -s --max-time 1 "http://$(ip_of "$1"):2379/health" | grep -q '"health":"true"'; }
role() { nsx k1 curl -s --max-time 1 "http://$(ip_of "$1"):8000/ha/status" | grep -o '"role":"[a-z-]*"' | cut -d'"' -f4; }
active_master() { local m; for m in m1 m2; do [ "$(role "$m")" = active ] && { echo "$m"; return 0; }; done; return 1; }
has_active() { active_master >/dev/null; }
live_on() { nsx k1 curl -s --max-time 1 "http://$(ip_of "$1"):8000/chunkservers" | grep -o '"live":true' | wc -l; }
all_live() { local m; m=$(active_master) && [ "$(live_on "$m")" -ge 5 ]; }
is_role() { [ "$(role "$1")" = "$2" ]; }
settled() {
    local r1 r2
    all_live || return 1
    r1=$(role m1) r2=$(role m2)
    [ "$r1$r2" = activestandby ] || [ "$r1$r2" = standbyactive ]
}

for e in e1 e2 e3; do start_etcd_member "$e"; done
for e in e1 e2 e3; do wait_until 20 "etcd $e" etcd_healthy "$e"; done
start_master m1
wait_until 20 "m1 to be active" is_role m1 active
start_master m2
for c in c1 c2 c3 c4 c5; do start_cs "$c"; done
wait_until 30 "the cluster to settle" settled
ok "3 etcd members, 2 masters (m1 active), 5 chunkservers, each in its own network namespace"

# ---- the clients ----
mkdir -p "$T/src"
fs() { local k=$1; shift; nsx "$k" "$MINIDFS" "$@" --master "$ML" --retry-ms 15000 2>>"$T/$k.err"; }
# worker K: random operations on its own files until $T/stop exists; the
# history goes to $T/hist.K as lines
#   op KIND ok|fail           every operation, for the counts
#   known PATH FILE           acknowledged: PATH holds FILE's bytes
#   gone PATH                 acknowledged: PATH is no more
#   maybe PATH FILE|absent..  a failed one: PATH holds one of these
worker() {
    local k=$1 i=0 n p q src tail new op
    RANDOM=$((SEED * 4 + ${k#k}))
    declare -A cur
    local hist=$T/hist.$k
    : >"$hist"
    while [ ! -e "$T/stop" ]; do
        i=$((i + 1))
        n=$k-$i
        op=$((RANDOM % 10))
        local paths=("${!cur[@]}")
        if [ "$op" -lt 4 ] || [ "${#paths[@]}" -eq 0 ]; then
            src=$T/src/$n
            head -c $((RANDOM * 7 % 200000 + 1)) /dev/urandom >"$src"
            if fs "$k" put "$src" "/w/$n" >/dev/null; then
                echo "op write ok" >>"$hist"; cur[/w/$n]=$src
            else
                echo "op write fail" >>"$hist"; echo "maybe /w/$n $src absent" >>"$hist"
            fi
            continue
        fi
        p=${paths[$((RANDOM % ${#paths[@]}))]}
        src=${cur[$p]}
        unset "cur[$p]"
        if [ "$op" -lt 7 ]; then
            tail=$T/src/$n.tail new=$T/src/$n.new
            head -c $((RANDOM % 100000 + 1)) /dev/urandom >"$tail"
            cat "$src" "$tail" >"$new"
            if fs "$k" append "$tail" "$p" >/dev/null; then
                echo "op append ok" >>"$hist"; cur[$p]=$new
            else
                echo "op append fail" >>"$hist"; echo "maybe $p $src $new" >>"$hist"
            fi
        elif [ "$op" -lt 9 ]; then
            q=/w/$n-moved
            if fs "$k" mv "$p" "$q" >/dev/null; then
                echo "op rename ok" >>"$hist"; echo "gone $p" >>"$hist"; cur[$q]=$src
            else
                echo "op rename fail" >>"$hist"; echo "maybe $p $src absent" >>"$hist"
                echo "maybe $q $src absent" >>"$hist"
            fi
        else
            if fs "$k" rm "$p" >/dev/null; then
                echo "op delete ok" >>"$hist"; echo "gone $p" >>"$hist"
            else
                echo "op delete fail" >>"$hist"; echo "maybe $p $src absent" >>"$hist"
            fi
        fi
    done
    for p in "${!cur[@]}"; do echo "known $p ${cur[$p]}" >>"$hist"; done
}
fs k1 mkdir -p /w || fail "mkdir /w"
WPIDS=()
for k in k1 k2 k3 k4; do worker "$k" & WPIDS+=("$!"); done
before_cleanup() { touch "$T/stop"; local w; for w in "${WPIDS[@]}"; do wait "$w" 2>/dev/null; done; }

# ---- faults ----
cut_off() {   # host peer...: no packet between host and the peers (all: everyone)
    local h=$1; shift
    nsx "$h" nft add table inet part
    nsx "$h" nft add chain inet part in '{ type filter hook input priority 0; }'
    nsx "$h" nft add chain inet part out '{ type filter hook output priority 0; }'
    local peer
    for peer in "$@"; do
        if [ "$peer" = all ]; then
            nsx "$h" nft add rule inet part in ip saddr 10.77.0.0/24 drop
            nsx "$h" nft add rule inet part out ip daddr 10.77.0.0/24 drop
        else
            nsx "$h" nft add rule inet part in ip saddr "$(ip_of "$peer")" drop
            nsx "$h" nft add rule inet part out ip daddr "$(ip_of "$peer")" drop
        fi
    done
}
heal() { nsx "$1" nft delete table inet part 2>/dev/null || true; }
restart() { case $1 in e*) start_etcd_member "$1" ;; m*) start_master "$1" ;; c*) start_cs "$1" ;; esac; }
pause_s() { sleep "$1"; }   # the nemesis's own pacing: not a readiness wait

# 1. The active master cut off from etcd and from two chunkservers, one
#    client (k1) with it, cut off from the other master and those two.
A=$(active_master) || fail "no active master"
B=m1; [ "$A" = m1 ] && B=m2
say_fault() { echo "nemesis +$((SECONDS - T0))s: $*"; }
T0=$SECONDS
say_fault "split: $A cut off from e1 e2 e3 c4 c5; k1 from $B c4 c5"
cut_off "$A" e1 e2 e3 c4 c5
cut_off k1 "$B" c4 c5
pause_s 10
heal "$A"
heal k1
say_fault "split healed"
FAULTS=1

# 2. Random faults, one at a time, until the time is up.
while [ $((SECONDS - T0)) -lt "$SECONDS_TOTAL" ]; do
    pause_s $((RANDOM % 3 + 1))
    all=(m1 m2 c1 c2 c3 c4 c5 e1 e2 e3)
    h=${all[$((RANDOM % ${#all[@]}))]}
    hold=$((RANDOM % 4 + 2))
    case $((RANDOM % 3)) in
    0)
        say_fault "kill -9 $h for ${hold}s"
        kill -9 "${PID[$h]}" 2>/dev/null || true
        wait "${PID[$h]}" 2>/dev/null || true
        pause_s "$hold"
        restart "$h"
        ;;
    1)
        say_fault "pause $h for ${hold}s"
        kill -STOP "${PID[$h]}" 2>/dev/null || true
        pause_s "$hold"
        kill -CONT "${PID[$h]}" 2>/dev/null || true
        ;;
    2)
        say_fault "cut $h off for ${hold}s"
        cut_off "$h" all
        pause_s "$hold"
        heal "$h"
        ;;
    esac
    FAULTS=$((FAULTS + 1))
done
say_fault "the end: $FAULTS faults; healing"
touch "$T/stop"
for w in "${WPIDS[@]}"; do wait "$w" || true; done
WPIDS=()
for e in e1 e2 e3; do wait_until 30 "etcd $e" etcd_healthy "$e"; done
wait_until 60 "the cluster to settle after the faults" settled

# ---- the check ----
attempted=0 acked=0 failed=0 lost=0 odd=0
for k in k1 k2 k3 k4; do
    attempted=$((attempted + $(grep -c '^op ' "$T/hist.$k" || true)))
    acked=$((acked + $(grep -c '^op .* ok$' "$T/hist.$k" || true)))
    failed=$((failed + $(grep -c '^op .* fail$' "$T/hist.$k" || true)))
done
mkdir -p "$T/got"
j=0
read_as() {   # path out: the file read back through the masters, from k1
    rm -f "$2"
    nsx k1 "$MINIDFS" get --master "$ML" --retry-ms 20000 "$1" "$2" 2>>"$T/check.err"
}
while read -r what path rest; do
    j=$((j + 1))
    out=$T/got/$j
    case $what in
    known)
        if ! read_as "$path" "$out" || ! cmp -s "$rest" "$out"; then
            echo "LOST: acknowledged $path does not read back as $rest" >&2
            lost=$((lost + 1))
        fi
        ;;
    gone)
        if nsx k1 "$MINIDFS" stat --master "$ML" "$path" >/dev/null 2>&1; then
            echo "LOST: $path was removed or moved away, acknowledged, and is back" >&2
            lost=$((lost + 1))
        fi
        ;;
    maybe)
        if read_as "$path" "$out"; then
            match=0
            for alt in $rest; do [ "$alt" != absent ] && cmp -s "$alt" "$out" && match=1; done
            [ "$match" = 1 ] || { echo "ODD: $path reads back as none of: $rest" >&2; odd=$((odd + 1)); }
        else
            case " $rest " in
            *" absent "*) ;;
            *) echo "ODD: $path (a failed append) cannot be read" >&2; odd=$((odd + 1)) ;;
            esac
        fi
        ;;
    esac
done < <(cat "$T"/hist.k* | grep -v '^op ')
echo "history: $attempted operations attempted, $acked acknowledged, $failed failed cleanly or indeterminate, $lost lost, $odd in no history; $FAULTS faults"
[ "$lost" -eq 0 ] || fail "$lost acknowledged operations lost"
[ "$odd" -eq 0 ] || fail "$odd files hold bytes of no history"
[ "$acked" -gt 0 ] || fail "nothing was acknowledged in $SECONDS_TOTAL s"
ok "every acknowledged operation held through $FAULTS faults (seed $SEED)"
