# campaign.sh - a fault campaign: for CAMPAIGN_SECONDS (default 45), from a
# fixed seed (CAMPAIGN_SEED, default 1), three clients write, append to,
# overwrite, read and delete files while the master and the chunkservers are
# killed -9 and restarted, or stopped (SIGSTOP) for seconds, at random
# moments, one server at a time. Every operation a client was told
# succeeded (exit 0) must hold afterwards: a written file reads back
# exactly, an appended record is in its file once, whole and in order.
# Operations that failed must have failed cleanly (exit 1, one line), and
# none may hang. It prints what was attempted, acknowledged, failed and
# lost (which must be 0), and the longest any operation took.
#   CAMPAIGN_SECONDS=600 CAMPAIGN_SEED=7 ctest -R it_campaign   # longer
. "$(dirname "$0")/lib.sh"

SECS=${CAMPAIGN_SECONDS:-45}
SEED=${CAMPAIGN_SEED:-1}
RANDOM=$SEED
CS=65536
MFLAGS=(--chunkSize "$CS" --replication 2 --dead-after-ms 2000 --repair-ms 200 --checkpoint-every 200)
start_master "${MFLAGS[@]}"
MPORT=$(cat "$T/master.port")
NCS=4
declare -A CSPORT
for i in $(seq 1 $NCS); do
    start_chunkserver "cs$i" "$T/data$i"
    CSPORT[$i]=$(cat "$T/cs$i.port")
done
wait_live $NCS
mkdir -p "$T/src" "$T/ledger"

# ---- the clients: each owns its files; every operation is logged as
# "ok|fail|hang OP NAME SECONDS" in its ledger, and a record it appended
# is logged with its line.
op() {   # op LEDGER OP NAME client-args...: runs one bounded client operation
    local ledger=$1 what=$2 name=$3; shift 3
    local t0=$SECONDS rc=0
    timeout 120 "$MINIDFS" client --master "$MASTER" --quiet --retry-ms 20000 "$@" \
        2>"$ledger.err" &
    child=$!
    wait "$child" || rc=$?
    child=
    local took=$((SECONDS - t0))
    if [ "$rc" -eq 0 ]; then echo "ok $what $name $took" >>"$ledger"
    elif [ "$rc" -eq 124 ]; then echo "hang $what $name $took" >>"$ledger"
    elif [ "$rc" -eq 1 ] && [ "$(wc -l <"$ledger.err")" -eq 1 ]; then echo "fail $what $name $took" >>"$ledger"
    else echo "unclean $what $name $took rc=$rc: $(head -c 300 "$ledger.err")" >>"$ledger"; fi
    return "$rc"
}
worker() {
    local w=$1 n=0 seq=0
    child=""
    trap '[ -n "$child" ] && kill "$child" 2>/dev/null; exit 0' TERM
    RANDOM=$((SEED * 100 + w))
    local ledger="$T/ledger/w$w" files=()
    : >"$T/ledger/w$w.records"
    : >"$T/src/empty$w"
    until op "$ledger" create "log$w" --action write --filename "log$w" --input "$T/src/empty$w"; do
        [ ! -e "$T/stop" ] || return 0
    done
    while [ ! -e "$T/stop" ]; do
        n=$((n + 1))
        case $((RANDOM % 7)) in
        0|1)   # a new file
            local f="w$w-$n"
            head -c $(( (RANDOM * 37) % (5 * CS) + 1 )) /dev/urandom >"$T/src/$f"
            if op "$ledger" write "$f" --action write --filename "$f" --input "$T/src/$f"; then
                files+=("$f")
            fi ;;
        2|3)   # a record appended to the client's log
            seq=$((seq + 1))
            printf 'w=%d seq=%05d %s|\n' "$w" "$seq" "$(head -c $(( RANDOM % 3000 )) /dev/zero | tr '\0' x)" >"$T/src/rec$w"
            if op "$ledger" append "log$w" --action append --filename "log$w" --input "$T/src/rec$w"; then
                echo "ok $seq" >>"$T/ledger/w$w.records"
            else
                echo "maybe $seq" >>"$T/ledger/w$w.records"
            fi ;;
        4)     # a delete
            if [ "${#files[@]}" -gt 0 ]; then
                local f=${files[0]}
                files=("${files[@]:1}")
                op "$ledger" delete "$f" --action delete --filename "$f" || echo "maybe-deleted $f" >>"$ledger"
            fi ;;
        6)     # an overwrite of one of its files: the old version or the new,
               # never neither; one that failed leaves either, and the file
               # is left alone from then on
            if [ "${#files[@]}" -gt 0 ]; then
                local k=$((RANDOM % ${#files[@]}))
                local f=${files[$k]}
                head -c $(( (RANDOM * 41) % (5 * CS) + 1 )) /dev/urandom >"$T/src/$f.new"
                if op "$ledger" overwrite "$f" --action write --filename "$f" --overwrite \
                    --input "$T/src/$f.new"; then
                    mv "$T/src/$f.new" "$T/src/$f"
                else
                    mv "$T/src/$f.new" "$T/src/$f.alt"
                    files=("${files[@]:0:$k}" "${files[@]:$((k + 1))}")
                fi
            fi ;;
        5)     # a read of one of its files
            if [ "${#files[@]}" -gt 0 ]; then
                local f=${files[$((RANDOM % ${#files[@]}))]}
                op "$ledger" read "$f" --action read --filename "$f" --output-filename "$T/src/$f.got" &&
                    { cmp -s "$T/src/$f" "$T/src/$f.got" || echo "wrong read $f" >>"$ledger"; }
            fi ;;
        esac
    done
}
wpids=()
for w in 1 2 3; do worker "$w" & wpids+=($!); done
# On any way out: the clients stop (each its client first) before the
# servers do (lib.sh's cleanup calls this first), so nothing the test
# started outlives it.
before_cleanup() {
    touch "$T/stop"
    local p
    for p in "${wpids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${wpids[@]}"; do wait "$p" 2>/dev/null || true; done
}

# ---- the faults
faults=0
declare -A stopped
restart_cs() {
    start_chunkserver "cs$1" "$T/data$1" --port "${CSPORT[$1]}"
}
end=$((SECONDS + SECS))
while [ "$SECONDS" -lt "$end" ]; do
    sleep "$(( RANDOM % 3 + 1 )).$(( RANDOM % 10 ))"   # a random moment: the point, not a sync
    faults=$((faults + 1))
    case $((RANDOM % 6)) in
    0)  # the master, kill -9, back on its port
        echo "$SECONDS kill -9 master" >>"$T/faults"
        kill -9 "$MASTER_PID"; wait "$MASTER_PID" 2>/dev/null || true
        start_master "${MFLAGS[@]}" --port "$MPORT" ;;
    1|2)  # a chunkserver, kill -9, back with its directory
        i=$((RANDOM % NCS + 1)); pid=CS_PID_cs$i
        echo "$SECONDS kill -9 cs$i" >>"$T/faults"
        kill -9 "${!pid}"; wait "${!pid}" 2>/dev/null || true
        restart_cs "$i" ;;
    5)  # the master stopped for a few seconds: clients and heartbeats wait on it
        echo "$SECONDS stop master" >>"$T/faults"
        kill -STOP "$MASTER_PID"
        sleep "$(( RANDOM % 5 + 1 ))"
        kill -CONT "$MASTER_PID" ;;
    *)  # a chunkserver stopped for a few seconds
        i=$((RANDOM % NCS + 1)); pid=CS_PID_cs$i
        echo "$SECONDS stop cs$i" >>"$T/faults"
        kill -STOP "${!pid}"
        sleep "$(( RANDOM % 6 + 2 ))"
        kill -CONT "${!pid}" ;;
    esac
done
touch "$T/stop"
for p in "${wpids[@]}"; do wait "$p" || true; done
echo "$SECONDS faults over, clients stopped" >>"$T/faults"

# ---- what held: every acknowledged operation, against a calm cluster
wait_live $NCS
cat "$T"/ledger/w? >"$T/ledger/all"
attempted=$(grep -cE '^(ok|fail|hang|unclean) ' "$T/ledger/all" || true)
acked=$(grep -c '^ok ' "$T/ledger/all" || true)
failed=$(grep -c '^fail ' "$T/ledger/all" || true)
grep -E '^(hang|unclean|wrong) ' "$T/ledger/all" && fail "an operation hung, failed uncleanly or read wrong bytes"
lost=0
for w in 1 2 3; do
    # files acknowledged written and not since deleted
    for f in $(awk '$1 == "ok" && $2 == "write" {print $3}' "$T/ledger/w$w"); do
        grep -qE "^(ok delete|maybe-deleted|fail delete|hang delete) $f( |$)" "$T/ledger/w$w" && continue
        if ! "$MINIDFS" client --master "$MASTER" --quiet --retry-ms 30000 --action read \
            --filename "$f" --output-filename "$T/check" 2>"$T/check.err" ||
            ! { cmp -s "$T/src/$f" "$T/check" ||
                { [ -e "$T/src/$f.alt" ] && cmp -s "$T/src/$f.alt" "$T/check"; }; }; then
            echo "LOST: $f ($(cat "$T/check.err"))" >&2
            lost=$((lost + 1))
        fi
    done
    # records acknowledged appended: each in the log once, in order
    "$MINIDFS" client --master "$MASTER" --quiet --retry-ms 30000 --action read --filename "log$w" \
        --output-filename "$T/log$w" || { echo "LOST: log$w unreadable" >&2; lost=$((lost + 1)); continue; }
    grep -q '^w=' "$T/log$w" || [ ! -s "$T/log$w" ] || true
    prev=0
    for s in $(awk '$1 == "ok" {print $2}' "$T/ledger/w$w.records"); do
        c=$(grep -c "^w=$w seq=$(printf %05d "$s") " "$T/log$w" || true)
        if [ "$c" -ne 1 ]; then echo "LOST: record $s of log$w is there $c times" >&2; lost=$((lost + 1)); fi
    done
    # and whatever is there is whole and in order
    awk -v w="$w" '!/^w=[0-9]+ seq=[0-9]+ x*\|$/ { print "TORN: " NR ": " substr($0, 1, 60); bad = 1 }
                   { split($2, a, "="); if (a[2] + 0 <= last) { print "ORDER: " NR; bad = 1 } last = a[2] + 0 }
                   END { exit bad }' "$T/log$w" >&2 || lost=$((lost + 1))
done
worst=$(awk '$1 == "ok" || $1 == "fail" {print $4}' "$T/ledger/all" | sort -n | tail -1)
overwrites=$(grep -c '^ok overwrite ' "$T/ledger/all" || true)
kinds=$(awk '/kill -9 master/ {a++} /stop master/ {b++} /kill -9 cs/ {c++} /stop cs/ {d++}
             END {printf "%d master kill -9, %d master stop, %d chunkserver kill -9, %d chunkserver stop", a, b, c, d}' "$T/faults")
echo "campaign (seed $SEED, ${SECS}s): $faults faults ($kinds); $attempted operations, $acked acknowledged ($overwrites overwrites), $failed failed cleanly, $lost lost; the longest took ${worst:-0} s"
[ "$lost" -eq 0 ] || fail "$lost acknowledged operations lost"
[ "${worst:-0}" -le 90 ] || fail "an operation took $worst s"
ok "fault campaign: $acked acknowledged operations under $faults faults, none lost"
