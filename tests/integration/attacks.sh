#!/usr/bin/env bash
# attacks.sh - every attack of the security issue, replayed against a
# secure cluster by an outsider with curl and by a user with a token of
# its own: each must be refused, and at the end nothing has changed on
# the chunkservers' disks or in the namespace. (The wire itself: tls.sh;
# a slowloris: slowloris.sh; a chunkserver lying about what it stored:
# liar.sh.)
. "$(dirname "$0")/lib.sh"

CS=100000
start_master --secure --chunkSize "$CS" --replication 2 --max-open-uploads-per-user 3 \
    --bad-chunk-rate 5
M=${MASTER%/}
KEY=$T/meta/cluster.key
J=(-H 'Content-Type: application/json')
as_admin
start_chunkserver cs1 "$T/data1" --key-file "$KEY" --report-every 2
start_chunkserver cs2 "$T/data2" --key-file "$KEY" --report-every 2
wait_live 2
for u in alice eve; do
    "$MINIDFS" admin --master "$MASTER" token create "$u" >"$T/$u.token"
    chmod 600 "$T/$u.token"
done
EVE=(-H "Authorization: Bearer $(cat "$T/eve.token")")
make_file "$T/v.bin" 350000
MINIDFS_TOKEN=$(cat "$T/alice.token") client --action write --filename v.bin --input "$T/v.bin"
MINIDFS_TOKEN=$(cat "$T/alice.token") client --action chmod --filename v.bin --mode 600
ID=$(fileid v.bin)
C0=${ID}_0
CS1="http://$CS_ADDR_cs1"

# What must not change: every chunk file's bytes, and the namespace as a
# superuser sees it (names, sizes, owners, modes, checksums).
state() {
    (cd "$T" && find data1 data2 -maxdepth 1 -type f ! -name '.*' -exec sha256sum {} + | sort)
    curl -s "${MASTER_AUTH[@]}" "$M/files" | sed 's/"\(underReplicated\|unavailableChunks\|corruptChunks\)":[0-9]*//g'
    curl -s "${MASTER_AUTH[@]}" "$M/get?id=$ID" | grep -o '"checksums":[^]]*'
}
state >"$T/before"

# ---- 1. list, read, overwrite, append, delete, hold the append lease
for who in outsider eve; do
    A=(); want=401
    [ "$who" = eve ] && A=("${EVE[@]}") && want=403
    [ "$who" = outsider ] && expect_status 401 GET "$M/files"
    expect_status "$want" GET "$M/get?id=$ID" "${A[@]}"
    expect_status "$want" POST "$M/upload" "${J[@]}" "${A[@]}" \
        --data '{"fileName":"v.bin","fileSize":10,"overwrite":true}'
    expect_status "$want" POST "$M/append" "${J[@]}" "${A[@]}" --data '{"fileName":"v.bin","size":10}'
    expect_status "$want" POST "$M/appendDone" "${J[@]}" "${A[@]}" \
        --data '{"fileName":"v.bin","token":1,"abort":true}'
    expect_status "$want" DELETE "$M/files?name=v.bin" "${A[@]}"
    expect_status "$want" POST "$M/allocate" "${J[@]}" "${A[@]}" --data '{"file":"v.bin","chunk_index":0}'
    expect_status "$want" POST "$M/chmod" "${J[@]}" "${A[@]}" --data '{"name":"v.bin","mode":511}'
done
make_file "$T/more" 10
ok "without a token nothing (401); another user's token: no read, overwrite, append, lease, delete or chmod (403)"

# ---- 2. a fake chunkserver registers with used=0, to be the primary of everything
rm -f "$T/fake.port"
printf '{}' >"$T/empty.json"
"$CANNED" "$T/fake.port" 200 "$T/empty.json" 0 "$T/fake.log" &
PIDS+=($!)
wait_until 10 "the fake chunkserver" test -s "$T/fake.port"
FAKE="127.0.0.1:$(cat "$T/fake.port")/"
expect_status 401 POST "$M/chunkserver" "${J[@]}" --data "{\"url\":\"$FAKE\",\"capacity\":1000000000000,\"used\":0}"
expect_status 401 POST "$M/chunkserver" "${J[@]}" "${EVE[@]}" --data "{\"url\":\"$FAKE\",\"used\":0}"
curl -s "${MASTER_AUTH[@]}" "$M/chunkservers" | grep -q "$FAKE" && fail "the fake chunkserver registered"
make_file "$T/w.bin" 500000
client --action write --filename w.bin --input "$T/w.bin"
[ ! -s "$T/fake.log" ] || fail "a byte went to the fake chunkserver: $(cat "$T/fake.log")"
client --action delete --filename w.bin
ok "a fake chunkserver cannot register (401), and no chunk is sent to it"

# ---- 3. /allocate of an existing chunk, then a forged /uploadSuccessful
printf '{"chunkIdentifier":"%s","chunkserver":"%s","size":%d,"generation":999999,"sha256":"%064d"}' \
    "$C0" "$CS_ADDR_cs1" "$CS" 0 >"$T/forged.json"
expect_status 401 POST "$M/uploadSuccessful" "${J[@]}" --data-binary @"$T/forged.json"
expect_status 401 POST "$M/uploadSuccessful" "${J[@]}" "${EVE[@]}" --data-binary @"$T/forged.json"
expect_status 401 POST "$M/chunkreport" "${J[@]}" "${EVE[@]}" \
    --data "{\"chunkserver\":\"$CS_ADDR_cs1\",\"chunks\":[]}"
ok "allocations of another's file are refused (403, above); forged stored-chunk reports and chunk reports: 401"

# ---- 4. /badChunk corrupt, then garbage with the recorded SHA-256 through a fake hop
printf '{"chunkIdentifier":"%s","chunkserver":"%s","corrupt":true}' "$C0" "$CS_ADDR_cs1" >"$T/bad.json"
expect_status 401 POST "$M/badChunk" "${J[@]}" --data-binary @"$T/bad.json"
expect_status 403 POST "$M/badChunk" "${J[@]}" "${EVE[@]}" --data-binary @"$T/bad.json"
sum=$(curl -s "${MASTER_AUTH[@]}" "$M/get?id=$ID" | grep -o '"checksums":\["[0-9a-f]*' | cut -d'"' -f4)
head -c "$CS" /dev/urandom >"$T/garbage"
expect_status 401 PUT "${CS1}chunks/$C0" --data-binary @"$T/garbage" -H "X-Minidfs-Sha256: $sum" \
    -H "X-Minidfs-Chain: $FAKE" -H 'X-Minidfs-Generation: 999999'
readcap=$(curl -s "${MASTER_AUTH[@]}" "$M/get?id=$ID" | grep -o '"capabilities":\["[^"]*' | cut -d'"' -f4)
expect_status 403 PUT "${CS1}chunks/$C0" --data-binary @"$T/garbage" -H "X-Minidfs-Sha256: $sum" \
    -H "X-Minidfs-Capability: $readcap" -H "X-Minidfs-Chain: $FAKE" -H 'X-Minidfs-Generation: 999999'
[ ! -s "$T/fake.log" ] || fail "the fake hop was contacted: $(cat "$T/fake.log")"
ok "a user cannot condemn a replica (403); garbage PUT without a write capability, or with a read one: refused, no hop contacted"

# ---- 5. SSRF: the chunkserver made to send a body to an address of the attacker's
printf 'SET pwned 1\r\n' >"$T/redis"
expect_status 401 PUT "${CS1}chunks/${ID}_9" --data-binary @"$T/redis" -H "X-Minidfs-Chain: $FAKE"
expect_status 400 PUT "${CS1}chunks/${ID}_9" --data-binary @"$T/redis" \
    -H "X-Minidfs-Chain: $CS_ADDR_cs2,$CS_ADDR_cs2" \
    -H "X-Minidfs-Capability: $("$SIGN" cap "$KEY" w "${ID}_9" 60000)"
[ ! -s "$T/fake.log" ] || fail "a chunkserver sent a body to the attacker's address"
ok "no PUT is forwarded without a capability, and a chain may not name a hop twice"

# ---- 6. chunk reads and deletions straight at a chunkserver
expect_status 401 GET "${CS1}chunks/$C0"
expect_status 401 GET "${CS1}get?id=$C0"
expect_status 401 DELETE "${CS1}chunks/$C0"
expect_status 401 DELETE "${CS1}chunks/$C0" "${EVE[@]}"
ok "a replica cannot be read or deleted at a chunkserver without the master's word"

# ---- 7. exhaustion: uploads left open, reports flooded
for i in 1 2 3; do
    expect_status 200 POST "$M/upload" "${J[@]}" "${EVE[@]}" --data "{\"fileName\":\"open$i\",\"fileSize\":1000}"
done
expect_status 429 POST "$M/upload" "${J[@]}" "${EVE[@]}" --data '{"fileName":"open4","fileSize":1000}'
grep -q 'too many uploads in progress (3 of yours' "$T/body" || fail "the 429 says why: $(cat "$T/body")"
MINIDFS_TOKEN=$(cat "$T/alice.token") client --action write --filename a2 --input "$T/more"
expect_status 200 DELETE "$M/files?name=open1" "${EVE[@]}"
expect_status 200 POST "$M/upload" "${J[@]}" "${EVE[@]}" --data '{"fileName":"open4","fileSize":1000}'
for i in 2 3 4; do expect_status 200 DELETE "$M/files?name=open$i" "${EVE[@]}"; done
printf '{"chunkIdentifier":"%s","chunkserver":"%s"}' "$C0" "$CS_ADDR_cs1" >"$T/check.json"
codes=""
t0=$(date +%s%N)
for i in $(seq 1 30); do
    codes="$codes $(http POST "$M/badChunk" "${J[@]}" "${EVE[@]}" --data-binary @"$T/check.json")"
done
t1=$(date +%s%N)
echo "$codes" | grep -q 429 || fail "30 reports at once from one address were all taken: $codes"
# the burst (twice the rate of 5/s), and what the rate gave back meanwhile
allowed=$(( 10 + 5 * (t1 - t0) / 1000000000 + 1 ))
[ "$(echo "$codes" | grep -o 200 | wc -l)" -le "$allowed" ] ||
    fail "more than the burst and the rate was taken ($allowed in $(( (t1 - t0) / 1000000 )) ms): $codes"
ok "a user's uploads in progress are bounded (429, and room again once one goes); reports from one address are rate-limited"

# ---- nothing changed. The namespace is what full chunk reports are judged
# against: unchanged, they delete nothing either.
MINIDFS_TOKEN=$(cat "$T/alice.token") client --action delete --filename a2
no_stray() { [ "$(chunk_files "$T/data1" "$T/data2" | grep -vc "^${ID}_")" -eq 0 ]; }
wait_until 15 "the deleted files' chunks to go" no_stray
state >"$T/after"
diff "$T/before" "$T/after" >"$T/state.diff" || fail "the attacks changed something: $(cat "$T/state.diff")"
MINIDFS_TOKEN=$(cat "$T/alice.token") client --action read --filename v.bin --output-filename "$T/v.out"
cmp "$T/v.bin" "$T/v.out" || fail "v.bin does not read back"
ok "after every attack: the same chunk files, byte for byte, the same namespace, and v.bin reads back"
