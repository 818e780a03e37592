# ops.sh - what an operator runs against a live cluster: /metrics on the
# master and on every chunkserver passes promtool's check, a real
# Prometheus scrapes them and answers a query with the right value, the
# report and fsck say what is true (fsck's exit status with them), list
# and ls mark a file whose copies are gone, and a decommissioned server
# is drained until it may be stopped with nothing under-replicated.
. "$(dirname "$0")/lib.sh"

command -v promtool >/dev/null || skip "no promtool (scripts/deps.sh installs prometheus)"
CS=65536
start_master --chunkSize "$CS" --replication 3 --dead-after-ms 1500 --repair-ms 200 \
    --safemode-ms 0 --log-format json
for i in 1 2 3 4; do start_chunkserver "cs$i" "$T/data$i" --rack "r$(( (i + 1) / 2 ))"; done
wait_live 4
M=${MASTER%/}
fs() { "$MINIDFS" "$@" --master "$MASTER"; }

# ---- 200 chunks at replication 3 over 4 servers on 2 racks
make_file "$T/a" $((CS * 100))
make_file "$T/b" $((CS * 100 - 7))
fs put "$T/a" /ops/a || fail "put a"
fs put "$T/b" /ops/b --stats 2>"$T/stats" || fail "put b: $(cat "$T/stats")"
grep -Eq '^minidfs put: stats: 6\.6 MB in 100 chunks, 0 retries, [0-9.]+ s, [0-9.]+ MB/s$' "$T/stats" ||
    fail "put --stats: $(cat "$T/stats")"
healthy() { fs fsck /ops >"$T/fsck.out" 2>&1; }
wait_until 15 "fsck to say healthy" healthy
grep -q "200 chunks: 200 healthy" "$T/fsck.out" || fail "fsck: $(tail -3 "$T/fsck.out")"
grep -q "is HEALTHY" "$T/fsck.out" || fail "fsck: $(tail -2 "$T/fsck.out")"
fs fsck /ops --json >"$T/fsck.json" || fail "fsck --json of a healthy tree exits non-zero"
python3 - "$T/fsck.json" <<'EOF' || fail "fsck --json"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["healthy"] is True and d["files"] == 2 and d["chunks"] == 200 and d["problems"] == [], d
EOF
expect_fail "no such file or directory" fs fsck /nowhere
ok "fsck of 200 chunks at replication 3 on two racks: healthy, exit 0 (text and --json)"

# ---- /metrics: promtool's check on both servers, and the figures true
# the census counts in the repair pass after the last report: one pass late at most
counted() {
    curl -sf "$M/metrics" >"$T/m.txt" && grep -qx 'minidfs_chunks 200' "$T/m.txt" &&
        grep -qx "minidfs_stored_bytes $(((CS * 200 - 7) * 3))" "$T/m.txt"
}
wait_until 5 "the census to count every copy" counted
curl -sf "http://$(cat "$T/cs1.port" | sed 's/^/127.0.0.1:/')/metrics" >"$T/c.txt" || fail "GET /metrics on a chunkserver"
promtool check metrics <"$T/m.txt" || fail "promtool on the master's metrics"
promtool check metrics <"$T/c.txt" || fail "promtool on the chunkserver's metrics"
grep -qx 'minidfs_chunkservers_live 4' "$T/m.txt" || fail "live chunkservers: $(grep chunkservers_live "$T/m.txt")"
grep -qx 'minidfs_chunks 200' "$T/m.txt" || fail "chunks: $(grep '^minidfs_chunks ' "$T/m.txt")"
grep -qx "minidfs_logical_bytes $((CS * 200 - 7))" "$T/m.txt" || fail "logical bytes: $(grep logical "$T/m.txt")"
grep -qx "minidfs_stored_bytes $(((CS * 200 - 7) * 3))" "$T/m.txt" || fail "stored bytes: $(grep stored_bytes "$T/m.txt")"
grep -q '^minidfs_http_requests_total{endpoint="/upload",method="POST",code="200"} ' "$T/m.txt" || fail "no /upload request counted"
grep -q '^minidfs_journal_fsync_seconds_count [1-9]' "$T/m.txt" || fail "no journal fsync timed"
grep -q '^minidfs_chunkserver_chunks [1-9]' "$T/c.txt" || fail "the chunkserver counts no chunk"
grep -q '^minidfs_http_requests_total{endpoint="/chunks/{id}",method="PUT",code="200"} ' "$T/c.txt" || fail "no chunk PUT counted"
grep -q '^minidfs_chunk_fsync_seconds_bucket{le="+Inf"} [1-9]' "$T/c.txt" || fail "no chunk fsync timed"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$M/healthz")" = 200 ] || fail "/healthz on the master"
ok "/metrics on master and chunkserver pass promtool check metrics, with the right figures"

# ---- a real Prometheus scrapes the cluster; its query API says 4 live
if command -v prometheus >/dev/null; then
    PP=$(free_port)
    targets=""
    for i in 1 2 3 4; do targets="$targets, '127.0.0.1:$(cat "$T/cs$i.port")'"; done
    cat >"$T/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: master
    static_configs:
      - targets: ['127.0.0.1:$(cat "$T/master.port")']
  - job_name: chunkservers
    static_configs:
      - targets: [${targets#, }]
EOF
    promtool check config "$T/prometheus.yml" >/dev/null || fail "promtool check config"
    prometheus --config.file "$T/prometheus.yml" --storage.tsdb.path "$T/prom" \
        --web.listen-address "127.0.0.1:$PP" >"$T/prometheus.log" 2>&1 &
    SIDE_PIDS+=($!)
    query() {
        curl -s "http://127.0.0.1:$PP/api/v1/query" --data-urlencode "query=$1" 2>/dev/null |
            python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "")' 2>/dev/null
    }
    scraped() { [ "$(query minidfs_chunkservers_live)" = 4 ] && [ "$(query 'count(up{job="chunkservers"} == 1)')" = 4 ]; }
    wait_until 30 "Prometheus to scrape 4 live chunkservers" scraped
    [ "$(query 'sum(minidfs_chunkserver_chunks)')" = 600 ] || fail "Prometheus sums $(query 'sum(minidfs_chunkserver_chunks)') chunk copies, not 600"
    ok "a real Prometheus scrapes master and chunkservers: minidfs_chunkservers_live is 4, 600 copies"
else
    echo "SKIP part: no prometheus binary"
fi

# ---- the report
fs admin report >"$T/report" || fail "admin report"
grep -q "Chunkservers: 4 live, 0 dead" "$T/report" || fail "report: $(cat "$T/report")"
for i in 1 2 3 4; do
    grep -q "^127.0.0.1:$(cat "$T/cs$i.port")/ .* live " "$T/report" || fail "report lacks cs$i: $(cat "$T/report")"
done
fs admin report --json >"$T/report.json" || fail "admin report --json"
python3 - "$T/report.json" <<'EOF' || fail "report --json"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["chunkserversLive"] == 4 and d["chunks"] == 200 and d["files"] == 2, d
assert sum(s["chunks"] for s in d["chunkservers"]) == 600, d
assert all(s["state"] == "live" and s["rack"] in ("r1", "r2") for s in d["chunkservers"]), d
EOF
ok "admin report: totals and every chunkserver, text and --json"

# ---- recommission undoes a decommission
other=$(cat "$T/cs1.port")
fs admin decommission "127.0.0.1:$other" >/dev/null || fail "decommission cs1"
fs admin recommission "127.0.0.1:$other" >"$T/recom" || fail "recommission cs1"
grep -q ": live$" "$T/recom" || fail "recommission says: $(cat "$T/recom")"
grep -q "127.0.0.1:$other/ recommissioned" "$T/master.log" || fail "no log line for the recommission"
ok "recommission: the server is live again at once"

# ---- decommission one of the 4: drained, stopped, fsck clean
victim=$(cat "$T/cs4.port")
expect_fail "no chunkserver" fs admin decommission 127.0.0.1:1
fs admin decommission "127.0.0.1:$victim" >"$T/decom" || fail "decommission"
grep -q "decommissioning" "$T/decom" || fail "decommission says: $(cat "$T/decom")"
grep -q "decommission ordered" "$T/master.log" || fail "no log line for the decommission"
drained() { fs admin report --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
s = [s for s in d["chunkservers"] if s["address"] == "127.0.0.1:'"$victim"'/"][0]
sys.exit(0 if s["state"] == "decommissioned" else 1)'; }
wait_until 60 "the decommission to finish" drained
grep -q "127.0.0.1:$victim/ decommissioned: each of the" "$T/master.log" || fail "no log line for the end of the decommission"
# the order is journalled: a restarted master still has the server drained
MPORT=$(cat "$T/master.port")
stop_pid "$MASTER_PID"
start_master --chunkSize "$CS" --replication 3 --dead-after-ms 1500 --repair-ms 200 \
    --safemode-ms 0 --log-format json --port "$MPORT"
wait_live 4
wait_until 10 "the restarted master to know the decommission" drained
# nothing new lands on it meanwhile or after
fs put "$T/b" /ops/c || fail "put during the decommission"
stop_pid "$CS_PID_cs4"
fs fsck /ops >"$T/fsck2.out" || fail "fsck after the decommissioned server stopped: $(tail -5 "$T/fsck2.out")"
grep -q "300 chunks: 300 healthy" "$T/fsck2.out" || fail "fsck: $(tail -2 "$T/fsck2.out")"
fs get /ops/a "$T/a.out" && cmp "$T/a" "$T/a.out" || fail "read after the decommission"
ok "decommission of 1 of 4 servers holding 200 chunks at replication 3: drained, stopped, fsck clean"

# ---- a file whose copies are all gone: fsck fails, ls and list say missing
make_file "$T/one" 1000
fs put "$T/one" /lonely --replication 1 2>/dev/null || "$MINIDFS" client --master "$MASTER" --quiet \
    --action write --filename lonely --input "$T/one" --replication 1 || fail "put /lonely"
holder=$(curl -s "$M/get?id=$(fileid lonely)" | python3 -c 'import json,sys; print(json.load(sys.stdin)["locations"][0])')
for i in 1 2 3; do
    [ "127.0.0.1:$(cat "$T/cs$i.port")/" = "$holder" ] && kill -9 "$(eval echo "\$CS_PID_cs$i")"
done
gone() { ! fs fsck / >"$T/fsck3.out" 2>&1 && grep -q "missing" "$T/fsck3.out"; }
wait_until 15 "fsck to find the missing chunk" gone
grep -q '^/lonely: chunk 0 .*: missing' "$T/fsck3.out" || fail "fsck: $(cat "$T/fsck3.out")"
fs ls -l / >"$T/ls" || fail "ls -l"
grep -q 'missing' "$T/ls" || fail "ls -l: $(cat "$T/ls")"
client --action list >"$T/list"
grep -qE '^lonely +1000 +1 +missing ' "$T/list" || fail "list: $(grep lonely "$T/list")"
said_dead() { grep -q "chunkserver $holder is dead" "$T/master.log"; }
wait_until 5 "the master's log to say $holder is dead" said_dead
ok "a file with no live copy: fsck exits 1 naming it, ls -l and list say missing, the log says who died"

# ---- the master's log: one JSON object per line, every state change there
python3 - "$T/master.log" <<'EOF' || fail "the master's --log-format json"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
docs = [json.loads(l) for l in lines]
assert all(set(d) == {"time", "program", "level", "msg"} and d["program"] == "master" for d in docs)
msgs = [d["msg"] for d in docs]
for want in ("registered (rack r1)", "decommission ordered", "is dead", "copied from", "to be copied from"):
    assert any(want in m for m in msgs), want
EOF
ok "--log-format json: every line of the master's log is a JSON object; registrations, deaths, repairs, decommission are there"

# ---- what a careless or hostile caller sends: a 4xx saying why, never a crash
J=(-H 'Content-Type: application/json')
for q in "limit=0" "limit=-1" "limit=abc" "limit=100001" "path=/a/../b" "path=%01"; do
    expect_status 400 GET "$M/fsck?$q"
done
expect_status 400 POST "$M/admin/decommission" "${J[@]}" --data '{"server":'
expect_status 400 POST "$M/admin/decommission" "${J[@]}" --data '{"server":7}'
expect_status 400 POST "$M/admin/decommission" "${J[@]}" --data '{"server":"no port here"}'
expect_status 400 POST "$M/admin/decommission" "${J[@]}" --data '{}'
expect_status 404 POST "$M/admin/recommission" "${J[@]}" --data '{"server":"127.0.0.1:1"}'
expect_status 405 GET "$M/admin/decommission"
expect_status 400 GET "$M/get?path=/a/../b"
expect_status 404 GET "$M/get?path=/no/such/file"
expect_status 404 GET "$M/ui/../../etc/passwd"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$M/healthz")" = 200 ] || fail "the master after the hostile requests"
ok "bad fsck, decommission and /get?path= requests: 400/404/405 with a reason, the master unharmed"

# ---- the version, everywhere
v=$("$MINIDFS" --version) && [ -n "$v" ] || fail "minidfs --version"
for cmd in master chunkserver client admin fsck ls; do
    [ "$("$MINIDFS" $cmd --version)" = "$v" ] || fail "minidfs $cmd --version"
done
ok "--version on every command: $v"
