#!/usr/bin/env bash
# secure.sh - a secure master (--secure): its key files, chunkservers that
# must sign every message with the cluster key, and forged, stale and
# replayed messages refused without changing anything. Each part fails on
# a master that believes unsigned chunkserver messages.
. "$(dirname "$0")/lib.sh"

CS=1000000
start_master --secure --chunkSize "$CS" --replication 2 --dead-after-ms 2000
M=${MASTER%/}
J=(-H 'Content-Type: application/json')
KEY=$T/meta/cluster.key
for f in "$KEY" "$T/meta/admin.token"; do
    [ "$(stat -c %a "$f")" = 600 ] || fail "$f has mode $(stat -c %a "$f"), not 600"
    grep -Eq '^[0-9a-f]{64}$' "$f" || fail "$f does not hold a 64-digit hex secret"
done
grep -q 'OPEN CLUSTER' "$T/master.log" && fail "a secure master says it is open"
ok "--secure made cluster.key and admin.token, mode 0600"
as_admin

# ---- a chunkserver without the key cannot register
start_chunkserver nokey "$T/data0"
refused() { grep -q 'not signed with the cluster key' "$T/nokey.log"; }
wait_until 10 "the keyless chunkserver to be refused" refused
[ "$(live_count)" -eq 0 ] || fail "a chunkserver without the key was registered"
stop_pid "$CS_PID_nokey"
ok "a chunkserver without --key-file is refused (401)"

# ---- with the key: the cluster works as ever
start_chunkserver cs1 "$T/data1" --key-file "$KEY"
start_chunkserver cs2 "$T/data2" --key-file "$KEY"
wait_live 2
make_file "$T/in" 2500000
client --action write --filename f.bin --input "$T/in"
client --action read --filename f.bin --output-filename "$T/out"
cmp "$T/in" "$T/out" || fail "a round trip through signed chunkservers"
ok "chunkservers with the key register, and a file round-trips"

# ---- forged messages change nothing
# The file as the master sees it: its checksums and how many replicas each
# server holds (GET /get rotates the order of a chunk's replicas).
snapshot() {
    curl -s "${MASTER_AUTH[@]}" "$M/chunkservers" >"$T/cs.now"
    curl -s "${MASTER_AUTH[@]}" "$M/get?id=$(fileid f.bin)" >"$T/get.raw"
    { grep -o '"checksums":[^]]*' "$T/get.raw"; grep -o '"replicas":.*]]' "$T/get.raw" |
        grep -o '127.0.0.1:[0-9]*/' | sort | uniq -c; } >"$T/get.now"
}
snapshot
cp "$T/cs.now" "$T/cs.before"
cp "$T/get.now" "$T/get.before"
printf '{"url":"127.0.0.1:9/","rack":"r"}' >"$T/reg.json"
expect_status 401 POST "$M/chunkserver" "${J[@]}" --data-binary @"$T/reg.json"
grep -q 'not signed with the cluster key' "$T/body" || fail "the refusal says why: $(cat "$T/body")"
# signed with another key
od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$T/other.key"
chmod 600 "$T/other.key"
id0="$(fileid f.bin)_0"
printf '{"chunkIdentifier":"%s","chunkserver":"%s","size":1,"generation":1}' "$id0" "$CS_ADDR_cs1" >"$T/ok.json"
expect_status 401 POST "$M/uploadSuccessful" "${J[@]}" --data-binary @"$T/ok.json" \
    -H "X-Minidfs-Auth: $("$SIGN" "$T/other.key" POST /uploadSuccessful "$T/ok.json")"
# signed with the key, but for another body
printf '{"chunkIdentifier":"%s","chunkserver":"%s","corrupt":true}' "$id0" "$CS_ADDR_cs1" >"$T/bad.json"
expect_status 401 POST "$M/badChunk" "${J[@]}" --data-binary @"$T/bad.json" \
    -H "X-Minidfs-Auth: $("$SIGN" "$KEY" POST /badChunk "$T/ok.json")"
# signed with the key, for another path
expect_status 401 POST "$M/chunkreport" "${J[@]}" --data-binary @"$T/bad.json" \
    -H "X-Minidfs-Auth: $("$SIGN" "$KEY" POST /badChunk "$T/bad.json")"
# stale: signed a minute ago
expect_status 401 POST "$M/chunkserver" "${J[@]}" --data-binary @"$T/reg.json" \
    -H "X-Minidfs-Auth: $("$SIGN" "$KEY" POST /chunkserver "$T/reg.json" -60000)"
grep -q 'out of date' "$T/body" || fail "a stale signature: $(cat "$T/body")"
expect_status 401 POST "$M/chunkserver" "${J[@]}" --data-binary @"$T/reg.json" \
    -H "X-Minidfs-Auth: v1 1 0000000000000000 $(printf '%064d' 0)"
snapshot
grep -q '127.0.0.1:9/' "$T/cs.now" && fail "a forged registration took a slot: $(cat "$T/cs.now")"
cmp -s "$T/get.before" "$T/get.now" || fail "a forged report changed the file: $(cat "$T/get.now")"
ok "unsigned, wrongly signed, misdirected and stale messages: 401, nothing changed"

# ---- a replay of a genuine message is refused
sig=$("$SIGN" "$KEY" POST /chunkserver "$T/reg.json")
expect_status 200 POST "$M/chunkserver" "${J[@]}" --data-binary @"$T/reg.json" -H "X-Minidfs-Auth: $sig"
expect_status 401 POST "$M/chunkserver" "${J[@]}" --data-binary @"$T/reg.json" -H "X-Minidfs-Auth: $sig"
grep -q 'replay' "$T/body" || fail "a replay: $(cat "$T/body")"
ok "a signed message is accepted once; its replay is a 401"

# ---- chunks: only with the master's capability, or the cluster key
get_json=$(curl -s "${MASTER_AUTH[@]}" "$M/get?id=$(fileid f.bin)")
cap0=$(printf '%s' "$get_json" | grep -o '"capabilities":\["[^"]*"' | cut -d'"' -f4)
[ -n "$cap0" ] || fail "a secure master's /get carries no capabilities: $get_json"
id1="$(fileid f.bin)_1"
C1="http://$CS_ADDR_cs1"
expect_status 401 GET "${C1}chunks/$id0"
expect_status 403 GET "${C1}chunks/$id1" -H "X-Minidfs-Capability: $cap0"
expect_status 401 GET "${C1}chunks/$id0" \
    -H "X-Minidfs-Capability: $("$SIGN" cap "$KEY" r "$id0" -1000)"
grep -q 'expired' "$T/body" || fail "an expired capability: $(cat "$T/body")"
expect_status 403 GET "${C1}chunks/$id0" -H "X-Minidfs-Capability: $("$SIGN" cap "$KEY" w "$id0" 60000)"
expect_status 403 GET "${C1}chunks/$id0" \
    -H "X-Minidfs-Capability: $("$SIGN" cap "$T/other.key" r "$id0" 60000)"
code=$(curl -s -o "$T/c0" -w '%{http_code}' -H "X-Minidfs-Capability: $cap0" "${C1}chunks/$id0")
[ "$code" = 200 ] && cmp -s "$T/c0" <(head -c "$CS" "$T/in") || fail "a read with the capability: $code"
head -c 1000 /dev/urandom >"$T/junk"
expect_status 401 PUT "${C1}chunks/$id0" --data-binary @"$T/junk"
expect_status 401 POST "${C1}uploadChunk" -F "chunk=@$T/junk;filename=$id0"
expect_status 401 DELETE "${C1}chunks/$id0"
: >"$T/empty"
expect_status 401 DELETE "${C1}chunks/$id0" \
    -H "X-Minidfs-Auth: $("$SIGN" "$T/other.key" DELETE "/chunks/$id0" "$T/empty")"
printf '{"chunkIdentifier":"%s","target":"%s"}' "$id0" "$CS_ADDR_cs2" >"$T/rep.json"
expect_status 401 POST "${C1}replicate" -H 'Content-Type: application/json' --data-binary @"$T/rep.json"
# a signed /replicate: the copy is itself signed, and the target takes it
expect_status 200 POST "${C1}replicate" -H 'Content-Type: application/json' \
    --data-binary @"$T/rep.json" -H "X-Minidfs-Auth: $("$SIGN" "$KEY" POST /replicate "$T/rep.json")"
client --action read --filename f.bin --output-filename "$T/out1"
cmp "$T/in" "$T/out1" || fail "the file after the refused writes and deletions"
ok "chunks: 401 without a capability, 403 with another chunk's or operation's, expired 401; deletions and copies only signed"

# ---- an impostor master: its unsigned orders are not obeyed. A keyed
# chunkserver of this cluster holding a copy of a chunk is pointed at a
# fake master that orders the chunk deleted.
mkdir -p "$T/data3"
cp --preserve=all "$T/data1/.cluster-id" "$T/data1/$id0" "$T/data3/"
CID=$(cat "$T/data1/.cluster-id")
printf '{"url":"127.0.0.1:1/","chunkSize":%d,"clusterId":"%s","chunkservers":[],"delete":[["%s",999999999]]}' \
    "$CS" "$CID" "$id0" >"$T/impostor.json"
rm -f "$T/impostor.port"
"$CANNED" "$T/impostor.port" 200 "$T/impostor.json" 0 "$T/impostor.log" &
PIDS+=($!)
wait_until 10 "the impostor master" test -s "$T/impostor.port"
"$MINIDFS" chunkserver --master "http://127.0.0.1:$(cat "$T/impostor.port")/" --port 0 \
    --port-file "$T/cs3.port" --dir "$T/data3" --heartbeat-ms 100 --key-file "$KEY" \
    >>"$T/cs3.log" 2>&1 &
CS3=$!
PIDS+=("$CS3")
beats() { [ "$(grep -c 'POST /chunkserver' "$T/impostor.log" 2>/dev/null)" -ge 5 ]; }
wait_until 10 "five heartbeats to the impostor" beats
grep -q 'not signed with the cluster key' "$T/cs3.log" || fail "the impostor's answer: $(cat "$T/cs3.log")"
[ -e "$T/data3/$id0" ] || fail "the chunk was deleted on an impostor's order"
stop_pid "$CS3"
ok "an impostor master's unsigned orders are ignored: the chunk stays"

# ---- the key makes the cluster secure for good: a restart without
# --secure stays secure, and the chunkservers carry on
MPORT=$(cat "$T/master.port")
stop_pid "$MASTER_PID"
start_master --chunkSize "$CS" --replication 2 --dead-after-ms 2000 --port "$MPORT"
grep -q 'running secure although --secure was not given' "$T/master.log" ||
    fail "the restarted master does not say it stays secure"
expect_status 401 POST "$M/chunkserver" "${J[@]}" --data-binary @"$T/reg.json"
wait_live 2
client --action read --filename f.bin --output-filename "$T/out2"
cmp "$T/in" "$T/out2" || fail "the file after the restart"
ok "a master restarted without --secure on a keyed meta-dir stays secure"

# ---- a key file others may read is refused
chmod 644 "$T/other.key"
if "$MINIDFS" chunkserver --master "$MASTER" --dir "$T/data9" --key-file "$T/other.key" \
    >"$T/loose.log" 2>&1; then
    fail "a chunkserver started with a key file others may read"
fi
grep -q 'chmod 600' "$T/loose.log" || fail "the refusal: $(cat "$T/loose.log")"
ok "a key file readable by others is refused"
