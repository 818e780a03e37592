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
