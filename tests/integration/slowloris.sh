#!/usr/bin/env bash
# slowloris.sh - one peer holding 1,100 connections open, each with half a
# request, against the master and a chunkserver: the connections it may
# hold per address are bounded, so the servers keep accepting everyone
# else and a client's write and read go through. Without the bound the
# peer takes every connection a server will accept. And a request whose
# length is ambiguous is refused.
. "$(dirname "$0")/lib.sh"

start_cluster 1 --chunkSize 1000000 --replication 1
make_file "$T/in" 2500000
MPORT=$(cat "$T/master.port")
CPORT=$(cat "$T/cs1.port")
# The attacker is another loopback address: the bound is per address.
"$IDLE" "$MPORT" 1100 127.0.0.2 "$T/stop" >"$T/idle-m.out" &
PIDS+=($!)
"$IDLE" "$CPORT" 1100 127.0.0.2 "$T/stop" >"$T/idle-c.out" &
PIDS+=($!)
wait_until 30 "the idle connections" test -s "$T/idle-m.out" -a -s "$T/idle-c.out"
echo "idle connections held: master $(cat "$T/idle-m.out"), chunkserver $(cat "$T/idle-c.out")"
"$MINIDFS" client --master "$MASTER" --quiet --retry-ms 5000 --action write --filename f.bin \
    --input "$T/in" 2>"$T/w.err" || fail "a write while a peer holds 1,100 idle connections: $(cat "$T/w.err")"
"$MINIDFS" client --master "$MASTER" --quiet --retry-ms 5000 --action read --filename f.bin \
    --output-filename "$T/out" || fail "a read while a peer holds 1,100 idle connections"
cmp "$T/in" "$T/out" || fail "the file read back differs"
touch "$T/stop"
for l in master cs1; do
    n=$(grep -c 'http:' "$T/$l.log" || true)
    [ "$n" -le 20 ] || fail "$l logged $n lines about the flood: $(grep 'http:' "$T/$l.log" | head -3)"
done
ok "1,100 idle connections from one address: the servers keep serving the others, and log little"

# ---- two Content-Length headers that disagree: refused, not guessed at
exec 3<>"/dev/tcp/127.0.0.1/$MPORT"
printf 'POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 9\r\nContent-Type: application/json\r\n\r\n{"a":1}xx' >&3
timeout 5 cat <&3 >"$T/cl.answer" || true
exec 3>&-
head -1 "$T/cl.answer" | grep -q ' 400 ' || fail "conflicting Content-Length: $(head -1 "$T/cl.answer")"
ok "conflicting Content-Length headers: 400"

# ---- uploads that announce a chunk's length and stall: what they may set
# aside on disk is bounded (--max-reserve-mb), the rest are told to retry
start_chunkserver cs2 "$T/data2" --max-reserve-mb 2
make_file "$T/chunk" 1000000
for i in 1 2; do
    curl -s -o /dev/null --limit-rate 20k -T "$T/chunk" "http://${CS_ADDR_cs2}chunks/$(fileid stall)_$i" &
    PIDS+=($!)
done
reserved() { curl -s "http://${CS_ADDR_cs2}stats" | grep -q '"bytesReserved":2000000'; }
wait_until 10 "two stalled uploads to announce 2 MB" reserved
expect_status 503 PUT "http://${CS_ADDR_cs2}chunks/$(fileid stall)_3" -T "$T/chunk"
grep -q 'max-reserve-mb' "$T/body" || fail "the 503 says why: $(cat "$T/body")"
for p in "${PIDS[@]: -2}"; do kill "$p" 2>/dev/null || true; done
released() { curl -s "http://${CS_ADDR_cs2}stats" | grep -q '"bytesReserved":0'; }
wait_until 10 "the dropped uploads' reservations to go" released
# taken in now, and then judged by the master (a chunk of no file: 404)
expect_status 404 PUT "http://${CS_ADDR_cs2}chunks/$(fileid stall)_3" -T "$T/chunk"
grep -q 'master refused chunk' "$T/body" || fail "the upload was not taken in: $(cat "$T/body")"
ok "stalled uploads may set aside at most --max-reserve-mb; past it a 503, and room again when they go"
