# restart.sh - a master restart is a pause, not a failure. A client that
# meets a master that is away, or one that says "not now" (503, as in safe
# mode), waits and asks again, as long as --retry-ms allows and as long as
# the answer's Retry-After asks; a write right after a restart, before the
# chunkservers have re-registered, goes through. And a chunkserver
# restarted on its port under a stream of uploads comes up every time.
. "$(dirname "$0")/lib.sh"

CS=100000
MFLAGS=(--chunkSize "$CS" --replication 2)
start_master "${MFLAGS[@]}"
MPORT=$(cat "$T/master.port")
for i in 1 2; do start_chunkserver "cs$i" "$T/data$i"; done
wait_live 2
make_file "$T/f" $((CS * 5 + 7))
client --action write --filename f --input "$T/f"

# ---- the master away: a stand-in on its port says 503 "not now"; the
# clients wait until the real master is back, and then succeed.
stop_pid "$MASTER_PID"
printf '{"error":"restarting","retryAfterMs":200}' >"$T/busy.json"
"$CANNED" "$T/canned.port" 503 "$T/busy.json" "$MPORT" "$T/canned.log" &
CANNED_PID=$!
PIDS+=("$CANNED_PID")
wait_until 10 "the stand-in to listen" test -s "$T/canned.port"
client --action read --filename f --output-filename "$T/f.out" &
reader=$!
make_file "$T/g" $((CS * 3 + 1))
client --action write --filename g --input "$T/g" &
writer=$!
asked() { [ "$(grep -c . "$T/canned.log" 2>/dev/null)" -ge 4 ]; }
wait_until 10 "both clients to be told to wait, twice" asked
stop_pid "$CANNED_PID"
# and a moment with nobody on the port at all: refused, retried
start_master "${MFLAGS[@]}" --port "$MPORT"
wait "$reader" || fail "the read gave up on a restarting master"
wait "$writer" || fail "the write gave up on a restarting master"
cmp "$T/f" "$T/f.out" || fail "the read through a restart"
client --action read --filename g --output-filename "$T/g.out"
cmp "$T/g" "$T/g.out" || fail "the write through a restart"
ok "clients wait out a restarting master (503 with Retry-After, then refused) and succeed"

# ---- kill -9, restart, write at once: the chunkservers have not
# re-registered yet ("no live chunkservers", then reports refused as "not
# registered"); both are 503s that pass, so the write goes through.
kill -9 "$MASTER_PID"
wait "$MASTER_PID" 2>/dev/null || true
start_master "${MFLAGS[@]}" --port "$MPORT"
make_file "$T/h" $((CS * 4 + 3))
client --action write --filename h --input "$T/h"
client --action read --filename h --output-filename "$T/h.out"
cmp "$T/h" "$T/h.out" || fail "a write right after a restart"
# placed only once both chunkservers were back (safe mode): 2 copies each
for i in 0 1 2 3 4; do
    n=$(find "$T/data1" "$T/data2" -maxdepth 1 -name "$(fileid h)_$i" | wc -l)
    [ "$n" -eq 2 ] || fail "chunk $i of a write right after a restart has $n copies"
done
ok "a write right after a restart, before the chunkservers are back, goes through with every copy"

# ---- and --retry-ms bounds the wait: a master that stays away is an
# error after it, in one line.
stop_pid "$MASTER_PID"
start=$SECONDS
expect_fail 'read f: .*(Connection refused|Couldn.t connect)' client --action read --filename f --output-filename "$T/x" --retry-ms 1500
[ $((SECONDS - start)) -le 10 ] || fail "--retry-ms 1500 waited $((SECONDS - start)) s"
ok "a master that stays away: one line after --retry-ms"

# ---- a chunkserver restarted on its port while peers keep uploading to
# it: its port opens before its master link is up (the port goes into the
# registration), and an upload in that moment is told to come back (503),
# never served half-ready (it used to crash the server).
start_master "${MFLAGS[@]}" --port "$MPORT"
wait_live 2
CSPORT=$(cat "$T/cs1.port")
ID="$(fileid knock)_0"
knockers=()
for k in 1 2 3; do
    "$KNOCK" "$CSPORT" "$T/knock.stop" PUT "/chunks/$ID" "some bytes" >"$T/knock.$k" &
    knockers+=($!)
    PIDS+=($!)
done
for r in $(seq 1 15); do
    alive "$CS_PID_cs1" || fail "start $r: the chunkserver died under uploads"
    kill -9 "$CS_PID_cs1"
    wait "$CS_PID_cs1" 2>/dev/null || true
    start_chunkserver cs1 "$T/data1" --port "$CSPORT"
done
touch "$T/knock.stop"
for p in "${knockers[@]}"; do wait "$p"; done
alive "$CS_PID_cs1" || fail "the chunkserver died under uploads while restarting"
cat "$T"/knock.? | awk '{n[$1] += $2} END {for (s in n) print s, n[s]}' | sort >"$T/knock.all"
grep -qE '^(404|503) ' "$T/knock.all" || fail "no upload reached a restarted chunkserver: $(tr '\n' ' ' <"$T/knock.all")"
wait_live 2
client --action read --filename f --output-filename "$T/f.out2"
cmp "$T/f" "$T/f.out2" || fail "a read after the chunkserver's restarts"
ok "a chunkserver restarted 15 times under a stream of uploads keeps serving ($(tr '\n' ' ' <"$T/knock.all"))"
