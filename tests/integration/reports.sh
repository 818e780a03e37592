# reports.sh - real chunkservers' full reports to a restarted master that
# judges one page at a time (--report-pages-at-once 1): six servers of
# 3,000 replicas each report together while a server the test plays sends
# large pages without pause (4,000 JSON entries each, a few ms of the
# master's work apiece), so the real servers' pages find the master busy:
# they are answered 503 with Retry-After, the chunkservers send them again
# (beating meanwhile: none is taken for dead), and the master locates
# every chunk, leaves safe mode because of it, and reads the file back.
. "$(dirname "$0")/lib.sh"

CS=100
MFLAGS=(--chunkSize "$CS" --replication 3 --report-pages-at-once 1 --safemode-ms 120000
        --dead-after-ms 3000)
start_master "${MFLAGS[@]}"
MPORT=$(cat "$T/master.port")
# no full reports but the one to the restarted master: a periodic one cut
# short by the restart would be retried, and is not what is tested here
for i in 1 2 3 4 5 6; do
    start_chunkserver "cs$i" "$T/data$i" --rack "r$i" --report-every 1000000
done
wait_live 6
# 6,000 chunks x 3 copies: 3,000 a server, three pages each
make_file "$T/f" $((CS * 6000))
"$MINIDFS" put "$T/f" /f --master "$MASTER" || fail "put"
# the busy server's page: chunks of a file nobody has, too young to delete
python3 - "$T/busy.json" <<'PY'
import hashlib, json, sys
fid = hashlib.sha256(b"no such file").hexdigest()
page = {"url": "127.0.0.1:9/", "chunks": [["%s_%d" % (fid, i), 1, 1, None, 0] for i in range(4000)]}
json.dump(page, open(sys.argv[1], "w"))
PY
stop_pid "$MASTER_PID"
start_master "${MFLAGS[@]}" --port "$MPORT"
curl -sf -o /dev/null -d '{"url": "127.0.0.1:9/"}' "${MASTER}chunkserver" || fail "the busy server's registration"
# 150 pages, one after another, while the servers come back and report:
# a bounded burst (pages without end could starve theirs)
(
    for i in $(seq 150); do
        curl -s -o /dev/null -d @"$T/busy.json" -H 'Content-Type: application/json' "${MASTER}chunkreport"
    done
) &
BUSY=$!
safe_over() { grep -q 'safe mode over (every stored chunk has reported holders' "$T/master.log"; }
wait_until 60 "every chunk located" safe_over
wait "$BUSY"
curl -sf "${MASTER}metrics" >"$T/m.txt" || fail "GET /metrics"
grep -q '^minidfs_http_requests_total{endpoint="/chunkreport",method="POST",code="503"} [1-9]' \
    "$T/m.txt" || fail "no page was sent back: $(grep chunkreport "$T/m.txt" | head -5)"
! grep -v 'chunkserver 127.0.0.1:9/' "$T/master.log" | grep -q 'is dead' ||
    fail "a server fell out while reporting: $(grep 'is dead' "$T/master.log")"
! grep -q 'full chunk report .*retrying' "$T"/cs*.log || fail "a full report gave up: $(grep -h 'full chunk report' "$T"/cs*.log | head -3)"
"$MINIDFS" get /f "$T/f.out" --master "$MASTER" || fail "get"
cmp "$T/f" "$T/f.out" || fail "the file after the restart"
ok "18,000 replicas reported one page at a time, pages sent back and sent again, every chunk located"
