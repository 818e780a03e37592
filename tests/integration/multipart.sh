# multipart.sh - the Go client's path, driven by curl as an outside
# client: POST /upload to the master, then each chunk as multipart
# "chunk" field (filename <id>_<i>) to POST /uploadChunk on a chunkserver
# of its choosing; read back with our client and with the Go GET path.
. "$(dirname "$0")/lib.sh"

CS=1000000
start_cluster 2 --chunkSize "$CS" --replication 1
M=${MASTER%/}
SERVERS=("http://${CS_ADDR_cs1%/}" "http://${CS_ADDR_cs2%/}")
SIZE=3250000
make_file "$T/in" "$SIZE"
ID=$(fileid in)

code=$(http POST "$M/upload" -H 'Content-Type: application/json' --data "{\"fileName\":\"in\",\"fileSize\":$SIZE}")
[ "$code" = 200 ] || fail "upload plan: $code"
grep -q "\"identifier\":\"$ID\"" "$T/body" || fail "identifier is not sha256(name)"
grep -q '"chunkSize":1000000' "$T/body" || fail "chunkSize"
grep -q '"numberOfChunks":4' "$T/body" || fail "numberOfChunks"
grep -q '"chunkservers":\["127.0.0.1:[0-9]*/","127.0.0.1:[0-9]*/"\]' "$T/body" || fail "chunkservers: $(cat "$T/body")"
split -b "$CS" -d -a 1 "$T/in" "$T/part."
for i in 0 1 2 3; do
    s=${SERVERS[$(( (i * 7 + 1) % 2 ))]}   # any chunkserver may take any chunk
    code=$(http POST "$s/uploadChunk" -F "chunk=@$T/part.$i;filename=${ID}_$i")
    [ "$code" = 200 ] || fail "multipart chunk $i: $code $(cat "$T/body")"
done
expect_layout in "$SIZE" "$CS" "$T/data1" "$T/data2"
client --action read --filename in --output-filename "$T/out"
cmp "$T/in" "$T/out" || fail "file uploaded with curl -F differs"
ok "multipart upload by curl -F, read back by our client"

# The Go read path: /get on the master, then /get?id= on each location.
code=$(http GET "$M/get?id=$ID")
[ "$code" = 200 ] || fail "get: $code"
: >"$T/out2"
for i in 0 1 2 3; do
    loc=$(grep -o '"locations":\[[^]]*\]' "$T/body" | grep -o '"[^"]*/"' | sed -n "$((i + 1))p" | tr -d '"')
    curl -sf "http://${loc%/}/get?id=${ID}_$i" >>"$T/out2" || fail "GET /get?id=${ID}_$i on $loc"
done
cmp "$T/in" "$T/out2" || fail "Go-style read differs"
ok "Go-style read: /get then /get?id=<chunk> on each location"

# Bad multipart uploads: refused, nothing kept.
ID2=$(fileid other)
http POST "$M/upload" -H 'Content-Type: application/json' --data '{"fileName":"other","fileSize":1500000}' >/dev/null
S=${SERVERS[0]}
expect_status 400 POST "$S/uploadChunk" -F "chunk=@$T/part.0;filename=../../etc/x"
expect_status 400 POST "$S/uploadChunk" -F "chunk=@$T/part.0"
expect_status 400 POST "$S/uploadChunk" -F "other=@$T/part.0;filename=${ID2}_0"
expect_status 400 POST "$S/uploadChunk" --data-binary @"$T/part.0" -H 'Content-Type: application/octet-stream'
expect_status 400 POST "$S/uploadChunk" -F "chunk=@$T/part.3;filename=${ID2}_0"   # 250000 bytes, want 1000000
expect_status 400 POST "$S/uploadChunk" -F "chunk=@$T/part.0;filename=${ID2}_0" -F "chunk=@$T/part.1;filename=${ID2}_0"
head -c $((CS + 10)) /dev/zero >"$T/toolarge"
expect_status 413 POST "$S/uploadChunk" -F "chunk=@$T/toolarge;filename=${ID2}_0"
expect_status 405 GET "$S/uploadChunk"
[ -z "$(chunk_files "$T/data1" "$T/data2" | grep "^$ID2" || true)" ] || fail "refused multipart chunks were kept"
wait_until 5 "temporaries to go" test "$(tmp_files "$T/data1")" -eq 0
ok "bad multipart bodies: 400/413, no chunk kept"

# Chunk 0 went to SERVERS[1]. The same bytes again there: a retry, 200;
# other bytes there: 409, the stored copy kept. To the other server:
# accepted, and listed as a second replica.
code=$(http POST "${SERVERS[1]}/uploadChunk" -F "chunk=@$T/part.0;filename=${ID}_0")
[ "$code" = 200 ] || fail "re-upload of the same bytes to the same server answered $code"
code=$(http POST "${SERVERS[1]}/uploadChunk" -F "chunk=@$T/part.1;filename=${ID}_0")
[ "$code" = 409 ] || fail "re-upload of other bytes to the same server answered $code"
code=$(http POST "${SERVERS[0]}/uploadChunk" -F "chunk=@$T/part.0;filename=${ID}_0")
[ "$code" = 200 ] || fail "a copy on a second server answered $code"
http GET "$M/get?id=$ID" >/dev/null
grep -q '"replicas":\[\["127.0.0.1:[0-9]*/","127.0.0.1:[0-9]*/"\],\["127' "$T/body" \
    || fail "second replica not listed: $(cat "$T/body")"
cmp "$T/part.0" "$(find "$T/data1" "$T/data2" -name "${ID}_0" | head -1)" || fail "other bytes replaced a stored chunk"
ok "a repeated upload to one server: the same bytes 200, others 409; a copy on another becomes a replica"
