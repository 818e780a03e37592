# reports.sh - real chunkservers' full reports to a restarted master that
# judges one page at a time (--report-pages-at-once 1): six servers of
# 3,000 replicas each report together, pages beyond the one being judged
# are answered 503 with Retry-After, the chunkservers send them again
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
stop_pid "$MASTER_PID"
start_master "${MFLAGS[@]}" --port "$MPORT"
safe_over() { grep -q 'safe mode over (every stored chunk has reported holders' "$T/master.log"; }
wait_until 60 "every chunk located" safe_over
curl -sf "${MASTER}metrics" >"$T/m.txt" || fail "GET /metrics"
grep -q '^minidfs_http_requests_total{endpoint="/chunkreport",method="POST",code="503"} [1-9]' \
    "$T/m.txt" || fail "no page was sent back: $(grep chunkreport "$T/m.txt" | head -5)"
grep -q '^minidfs_chunkservers_live 6$' "$T/m.txt" || fail "a server fell out while reporting: $(grep chunkservers_ "$T/m.txt")"
! grep -q 'full chunk report .*retrying' "$T"/cs*.log || fail "a full report gave up: $(grep -h 'full chunk report' "$T"/cs*.log | head -3)"
"$MINIDFS" get /f "$T/f.out" --master "$MASTER" || fail "get"
cmp "$T/f" "$T/f.out" || fail "the file after the restart"
ok "18,000 replicas reported one page at a time, pages sent back and sent again, every chunk located"
