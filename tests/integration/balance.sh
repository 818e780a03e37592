# balance.sh - the balancer: three chunkservers half full, two empty ones
# added; within a bounded time the master has moved chunks until disk use
# differs by less than --balance-threshold points, every file reads back
# byte-exact, fsck is clean, and no chunk lost a rack.
. "$(dirname "$0")/lib.sh"

CS=1000000
start_master --chunkSize "$CS" --replication 2 --dead-after-ms 1500 --repair-ms 200 \
    --safemode-ms 0 --balance-threshold 10 --balance-mbps 50
# a 40 MB quota each: used is the chunks' own bytes (the servers share a disk)
for i in 1 2 3; do start_chunkserver "cs$i" "$T/data$i" --rack "r$i" --capacity-mb 40; done
wait_live 3
fs() { "$MINIDFS" "$@" --master "$MASTER"; }
for i in $(seq 1 10); do
    make_file "$T/f$i" $((CS * 3))
    fs put "$T/f$i" "/b/f$i" || fail "put f$i"
done
# the spread of disk use, in percentage points, over the live servers
spread() {
    fs admin report --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
u = [100.0 * s["used"] / s["capacity"] for s in d["chunkservers"] if s["state"] == "live" and s["capacity"]]
print("%d %.1f %.1f" % (len(u), max(u) - min(u), sum(s["used"] for s in d["chunkservers"]) / 1e6))'
}
full() { read -r n sp used <<<"$(spread)"; [ "$n" = 3 ] && [ "${used%.*}" -ge 60 ]; }
wait_until 20 "60 MB on the three servers" full
for i in 4 5; do start_chunkserver "cs$i" "$T/data$i" --rack "r$i" --capacity-mb 40; done
wait_live 5
read -r n sp used <<<"$(spread)"
echo "before: $n live servers, spread $sp points, $used MB stored"
[ "${sp%.*}" -ge 40 ] || fail "two empty servers and a spread of only $sp points"
# within 10 points, and every move over (60 MB again: no copy left twice)
even() {
    read -r n sp used <<<"$(spread)"
    [ "$n" = 5 ] && awk -v s="$sp" -v u="$used" 'BEGIN { exit !(s < 10 && u < 60.5) }'
}
wait_until 120 "disk use within 10 points" even
read -r n sp used <<<"$(spread)"
echo "after: spread $sp points, $used MB stored"
grep -q 'balancer: moving' "$T/master.log" || fail "no balancer line in the log"
# (to a file first: grep -q leaving early would cut curl off, and pipefail
# would take that for a failure)
curl -sf "${MASTER}metrics" >"$T/metrics" || fail "GET /metrics"
grep -q '^minidfs_balancer_moves_total [1-9]' "$T/metrics" || fail "no move counted: $(grep balancer_moves "$T/metrics")"
healthy() { fs fsck / >"$T/fsck.out" 2>&1; }
wait_until 30 "fsck to say healthy" healthy
grep -q '30 chunks: 30 healthy, 0 missing, 0 under-replicated, 0 mis-placed' "$T/fsck.out" ||
    fail "fsck: $(tail -2 "$T/fsck.out")"
for i in $(seq 1 10); do
    fs get "/b/f$i" "$T/g$i" && cmp "$T/f$i" "$T/g$i" || fail "f$i after balancing"
done
# each server now holds its share: none empty, none holding twice the mean
fs admin report --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
c = [s["chunks"] for s in d["chunkservers"]]
assert sum(c) == 60 and min(c) >= 8 and max(c) <= 16, c' || fail "the copies per server: $(fs admin report | tail -5)"
ok "3 full servers and 2 empty ones: balanced to within 10 points ($sp), fsck clean, every file byte-exact"
