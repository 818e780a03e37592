#!/usr/bin/env bash
# liar.sh - a chunkserver that lies about what it stored. A fake server
# registers like a real one and answers every chunk upload "stored, here and
# on the next server", with a SHA-256 that is not the one of the bytes sent.
# The client must not count those copies: it moves the chunk on to real
# servers, so the file reads back whole. Without the check the client
# acknowledges a file whose chunks exist nowhere.
. "$(dirname "$0")/lib.sh"

start_cluster 2 --chunkSize 100000 --replication 2 --dead-after-ms 60000
M=${MASTER%/}
rm -f "$T/fake.port"
printf '{"chunkIdentifier":"x","size":100000,"chunkserver":"%s","replicas":["%s","%s"],"sha256":"%064d"}' \
    "$CS_ADDR_cs1" "$CS_ADDR_cs1" "$CS_ADDR_cs2" 0 >"$T/lie.json"
"$CANNED" "$T/fake.port" 200 "$T/lie.json" 0 "$T/fake.log" &
PIDS+=($!)
wait_until 10 "the fake chunkserver" test -s "$T/fake.port"
FAKE="127.0.0.1:$(cat "$T/fake.port")/"
expect_status 200 POST "$M/chunkserver" -H 'Content-Type: application/json' \
    --data "{\"url\":\"$FAKE\",\"capacity\":1000000000000,\"used\":0}"
wait_live 3

make_file "$T/in" 1000000   # 10 chunks over 3 servers: the fake is planned for most
"$MINIDFS" client --master "$MASTER" --action write --filename f.bin --input "$T/in" \
    2>"$T/write.err" || fail "the write failed: $(cat "$T/write.err")"
grep -q 'PUT' "$T/fake.log" || fail "no chunk was ever sent to the fake server (the test proves nothing)"
grep -q 'not counted' "$T/write.err" || fail "the client did not say it distrusted the fake"
client --action read --filename f.bin --output-filename "$T/out"
cmp "$T/in" "$T/out" || fail "the file does not read back"
curl -s "$M/get?id=$(fileid f.bin)" | grep -q "$FAKE" && fail "the master lists the fake as a holder"
ok "a chunkserver answering another SHA-256 than the bytes sent is not counted; the file is whole"
