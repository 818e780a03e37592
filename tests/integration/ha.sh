#!/usr/bin/env bash
# ha.sh - two masters of one HA cluster through a real etcd, three
# chunkservers that know both: the standby serves reads and names the
# active master; the active master is killed (kill -9) and its meta-dir
# deleted, the standby takes over, every acknowledged file reads back
# byte-exact and writes go on; the lost master comes back with an empty
# meta-dir, fetches a checkpoint (the log below it compacted), follows,
# and takes over in its turn when the other is killed.
. "$(dirname "$0")/lib.sh"

start_etcd

# start_ha NAME [PORT]: a master of cluster ${CLUSTER:-t} with its meta-dir
# ${META:-$T/NAME} (on PORT: a master that comes back where the others
# know it); sets <NAME>_PID and <NAME>_URL.
start_ha() {
    local name=$1 port=${2:-0}
    rm -f "$T/$name.port"
    "$MINIDFS" master --port "$port" --port-file "$T/$name.port" --meta-dir "${META:-$T/$name}" \
        --ha-etcd "$ETCD" --cluster "${CLUSTER:-t}" --checkpoint-every 20 --safemode-ms 3000 \
        --lease-ms 2000 >>"$T/$name.log" 2>&1 &
    local pid=$!
    PIDS+=("$pid")
    wait_until 10 "master $name to listen" port_ready "$T/$name.port" "$pid" "$T/$name.log"
    printf -v "${name}_PID" '%s' "$pid"
    printf -v "${name}_URL" '%s' "http://127.0.0.1:$(cat "$T/$name.port")"
}
role_of() { curl -s "$1/ha/status" | python3 -c 'import json,sys; print(json.load(sys.stdin)["role"])' 2>/dev/null || echo none; }
is_role() { [ "$(role_of "$1")" = "$2" ]; }
live_on() { curl -s "$1/chunkservers" | grep -o '"live":true' | wc -l; }
has_live_on() { [ "$(live_on "$1")" -ge "$2" ]; }

start_ha m1
wait_until 15 "m1 to be active" is_role "$m1_URL" active
start_ha m2
wait_until 15 "m2 to be a standby" is_role "$m2_URL" standby
ok "one master active, the other a standby that caught up"

MASTER="$m1_URL,$m2_URL"
for i in 1 2 3; do start_chunkserver "cs$i" "$T/data$i"; done
wait_until 15 "3 chunkservers on the active master" has_live_on "$m1_URL" 3
wait_until 15 "3 chunkservers on the standby" has_live_on "$m2_URL" 3
ok "chunkservers heartbeat to both masters"

"$MINIDFS" admin ha-status --master "$MASTER" >"$T/hastatus" || fail "admin ha-status"
grep -q "^$m1_URL  *active " "$T/hastatus" || fail "ha-status: m1 not active: $(cat "$T/hastatus")"
grep -q "^$m2_URL  *standby " "$T/hastatus" || fail "ha-status: m2 not a standby: $(cat "$T/hastatus")"
grep -q "^etcd: t=$ETCD" "$T/hastatus" || fail "ha-status: no etcd members: $(cat "$T/hastatus")"
ok "admin ha-status shows the active master, the standby and etcd"

# Masters of other clusters in a chunkserver's list (an operator's slip):
# one of another --cluster on the same etcd, and one of the same cluster
# name on another etcd (a cluster's identity is the id drawn when it was
# founded, not its name). The chunkserver is refused by both, acts on
# nothing they say, and goes on with its own cluster's masters.
CLUSTER=other start_ha other
wait_until 15 "the other cluster's master to be active" is_role "$other_URL" active
ETCD1=$ETCD ETCD1_PID=$ETCD_PID
ETCD_DIR=etcd2 start_etcd
ETCD2=$ETCD
ETCD=$ETCD2 start_ha elsewhere
ETCD=$ETCD1
wait_until 15 "the other etcd's master to be active" is_role "$elsewhere_URL" active
MASTER="$m1_URL,$m2_URL,$other_URL,$elsewhere_URL" start_chunkserver cs4 "$T/data4"
wait_until 15 "cs4 on the active master" has_live_on "$m1_URL" 4
wait_until 15 "cs4 to be refused by the other cluster's master" \
    grep -q "master $other_URL refused registration" "$T/cs4.log"
wait_until 15 "cs4 to be refused by the other etcd's master" \
    grep -q "master $elsewhere_URL refused registration" "$T/cs4.log"
[ "$(live_on "$other_URL")" -eq 0 ] || fail "a master of another cluster took a chunkserver"
[ "$(live_on "$elsewhere_URL")" -eq 0 ] || fail "a master of another etcd took a chunkserver"
stop_pid "$other_PID"
stop_pid "$elsewhere_PID"
kill "$ETCD_PID"   # the other etcd: a third party's exit is not judged
wait "$ETCD_PID" 2>/dev/null || true
ETCD_PID=$ETCD1_PID
ok "masters of another cluster and of another etcd in the list are refused; the chunkserver serves its own"
fs() { "$MINIDFS" "$@" --master "$MASTER"; }
mkdir -p "$T/src" "$T/out"
for i in $(seq 1 30); do make_file "$T/src/f$i" $((i * 7919)); done
make_file "$T/src/big" $((3 * 1024 * 1024 + 17))
fs mkdir -p /d
for i in $(seq 1 30); do fs put "$T/src/f$i" "/d/f$i" || fail "put f$i"; done
fs put "$T/src/big" /d/big || fail "put big"
ok "31 files written through the active master"

# The standby: reads from its copy (the active master named), no writes.
fid=$(fileid /d/f7)
wait_until 10 "the standby to know /d/f7" sh -c "curl -sf '$m2_URL/get?id=$fid' >/dev/null"
hdr=$(curl -s -D - -o /dev/null "$m2_URL/get?id=$fid")
echo "$hdr" | grep -qi "^X-Minidfs-Leader: $m1_URL" || fail "the standby's read names no leader: $hdr"
code=$(curl -s -o "$T/ans" -w '%{http_code}' -X POST -d '{"fileName":"x","fileSize":1}' "$m2_URL/upload")
[ "$code" = 503 ] || fail "the standby took a write: $code $(cat "$T/ans")"
grep -q "standby" "$T/ans" || fail "the standby's refusal does not say why: $(cat "$T/ans")"
# A client given only the standby still reads.
"$MINIDFS" get --master "$m2_URL" /d/f7 "$T/out/f7.standby" && cmp "$T/src/f7" "$T/out/f7.standby" ||
    fail "read through the standby"
ok "the standby serves reads, names the active master, refuses writes"

# Lose the active master's machine: kill -9 and its meta-dir gone.
kill -9 "$m1_PID"
t0=$(date +%s%N)
wait "$m1_PID" 2>/dev/null || true
rm -rf "$T/m1"
# Reads go on while no master is active: the standby serves them (the
# dead master's lease has not run out yet, so nobody has taken over).
fs get /d/f3 "$T/out/f3.between" && cmp "$T/src/f3" "$T/out/f3.between" ||
    fail "a read right after the active master died"
is_role "$m2_URL" standby || fail "the read was not served in the window before the takeover"
ok "a read right after the active master's death is served by the standby"
make_file "$T/src/after" 12345
fs put "$T/src/after" /d/after || fail "no write after the failover"
t1=$(date +%s%N)
code=$(curl -s -o "$T/ans" -w '%{http_code}' -X POST -d '{"fileName":"/d/after","size":1}' "$m2_URL/append")
[ "$code" = 503 ] && grep -q "grants no lease" "$T/ans" ||
    fail "the new master granted an append lease at once: $code $(cat "$T/ans")"
ms=$(((t1 - t0) / 1000000))
is_role "$m2_URL" active || fail "m2 is not active after the failover"
echo "failover: first write through the new active master after ${ms} ms"
[ "$ms" -lt 15000 ] || fail "the failover took ${ms} ms"
for i in $(seq 1 30); do
    fs get "/d/f$i" "$T/out/f$i" || fail "get f$i after the failover"
    cmp "$T/src/f$i" "$T/out/f$i" || fail "f$i differs after the failover"
done
fs get /d/big "$T/out/big" && cmp "$T/src/big" "$T/out/big" || fail "big after the failover"
fs get /d/after "$T/out/after" && cmp "$T/src/after" "$T/out/after" || fail "after"
ok "every acknowledged file reads back after the active master and its disk were lost"

# The new master waits out the old one's leases (--lease-ms 2000 here)
# before it grants one: an append right after the failover waits, then
# goes through.
"$MINIDFS" admin ha-status --master "$MASTER" >"$T/hastatus" || fail "admin ha-status with m1 down"
grep -q "^$m1_URL  *unreachable" "$T/hastatus" || fail "ha-status: m1 not unreachable: $(cat "$T/hastatus")"
make_file "$T/src/tail" 777
fs append "$T/src/tail" /d/after || fail "append after the failover"
cat "$T/src/after" "$T/src/tail" >"$T/src/after+tail"
fs get /d/after "$T/out/after2" && cmp "$T/src/after+tail" "$T/out/after2" || fail "the append after the failover"
ok "an append after the failover waits out the old leases, then lands"

# More writes, so that checkpoints are written and the log compacted.
for i in $(seq 31 70); do
    make_file "$T/src/f$i" $((i * 31))
    fs put "$T/src/f$i" "/d/f$i" || fail "put f$i"
done
fs mv /d/f1 /d/renamed || fail "mv"
fs rm /d/f2 || fail "rm"
piece0_gone() {
    local ans
    ans=$(curl -s -X POST -d "{\"key\":\"$(printf '/minidfs/t/log/%020d' 0 | base64 -w0)\"}" \
        "$ETCD/v3/kv/range") && [ -n "$ans" ] && ! grep -q '"kvs"' <<<"$ans"
}
wait_until 20 "m2 to compact the log" piece0_gone

# The lost master comes back with an empty meta-dir: it fetches a
# checkpoint, follows the log, and is a standby.
start_ha m1 "${m1_URL##*:}"
wait_until 20 "the new m1 to be a standby" is_role "$m1_URL" standby
grep -q "fetched the checkpoint" "$T/m1.log" || fail "m1 caught up without a checkpoint: $(tail -5 "$T/m1.log")"
ok "a master with an empty meta-dir joins: checkpoint fetched, log followed"

wait_until 15 "3 chunkservers on the new standby" has_live_on "$m1_URL" 3
kill -9 "$m2_PID"
wait "$m2_PID" 2>/dev/null || true
make_file "$T/src/last" 4242
fs put "$T/src/last" /d/last || fail "no write after the second failover"
is_role "$m1_URL" active || fail "m1 is not active after the second failover"
mkdir -p "$T/out2"
for i in $(seq 3 70); do
    fs get "/d/f$i" "$T/out2/f$i" || fail "get f$i after the second failover"
    cmp "$T/src/f$i" "$T/out2/f$i" || fail "f$i differs after the second failover"
done
fs get /d/renamed "$T/out2/renamed" && cmp "$T/src/f1" "$T/out2/renamed" || fail "the rename was lost"
"$MINIDFS" stat --master "$MASTER" /d/f2 >/dev/null 2>&1 && fail "the removal of /d/f2 was lost"
fs get /d/last "$T/out2/last" && cmp "$T/src/last" "$T/out2/last" || fail "last"
ok "the rejoined master took over with every change, renames and removals too"

# No master reachable: bounded retries, then one clear line and exit 1.
expect_fail "no master answered" "$MINIDFS" put --master "http://127.0.0.1:1,http://127.0.0.1:2" \
    --retry-ms 1000 "$T/src/last" /d/nowhere
ok "with no master reachable the client gives up with one line"

# A single master's meta-dir moved to HA: it founds a new cluster's log
# with its namespace (the log starts past piece 0, so that a joining
# master fetches a checkpoint rather than read an empty story from 0);
# one whose cluster's log has history already is refused.
start_master --meta-dir "$T/single"
"$MINIDFS" mkdir -p --master "$MASTER" /old/kept || fail "mkdir on the single master"
stop_pid "$MASTER_PID"
rc=0
"$MINIDFS" master --port 0 --meta-dir "$T/single" --ha-etcd "$ETCD" --cluster t >"$T/refused.log" 2>&1 || rc=$?
[ "$rc" -ne 0 ] && grep -q "from before HA" "$T/refused.log" ||
    fail "a single master's namespace was taken into a cluster with history: $(cat "$T/refused.log")"
CLUSTER=conv META=$T/single start_ha c1
wait_until 15 "the converted master to found cluster conv" is_role "$c1_URL" active
CLUSTER=conv start_ha c2
wait_until 20 "the joining master to be a standby" is_role "$c2_URL" standby
grep -q "fetched the checkpoint" "$T/c2.log" || fail "the joining master did not fetch a checkpoint"
curl -sf "$c2_URL/stat?path=/old/kept" >/dev/null || fail "the standby does not know the founder's directory"
ok "a single master's meta-dir founds an HA cluster; a joining master fetches its namespace"
