# badinput.sh - every bad input gets a clear answer: a 4xx/5xx with a JSON
# {"error": ...} body on the wire, one stderr line and a non-zero exit in
# the CLI; never a crash, a hang, or a chunk or file left half-written.
. "$(dirname "$0")/lib.sh"

CS=1000000
start_cluster 2 --chunkSize "$CS"
M=${MASTER%/}
J=(-H 'Content-Type: application/json')
ID=$(fileid f)

# ---- master ----
expect_status 400 POST "$M/upload" "${J[@]}" --data '{"fileName":'
expect_status 400 POST "$M/upload" "${J[@]}" --data '[1,2]'
expect_status 400 POST "$M/upload" "${J[@]}" --data ''
expect_status 400 POST "$M/upload" "${J[@]}" --data '{"fileSize":1}'
expect_status 400 POST "$M/upload" "${J[@]}" --data '{"fileName":"f"}'
expect_status 400 POST "$M/upload" "${J[@]}" --data '{"fileName":"f","fileSize":-1}'
expect_status 400 POST "$M/upload" "${J[@]}" --data '{"fileName":"f","fileSize":"10"}'
expect_status 400 POST "$M/upload" "${J[@]}" --data '{"fileName":"f","fileSize":1.5}'
expect_status 400 POST "$M/upload" "${J[@]}" --data '{"fileName":"","fileSize":1}'
expect_status 400 POST "$M/upload" "${J[@]}" --data '{"fileName":"f","fileSize":1,"overwrite":"yes"}'
expect_status 400 POST "$M/upload" "${J[@]}" --data '{"fileName":"f","fileSize":9223372036854775807}'
grep -q 'chunks per file' "$T/body" || fail "too-many-chunks message: $(cat "$T/body")"
head -c 2000000 /dev/zero | tr '\0' 'x' >"$T/huge.json"
expect_status 413 POST "$M/upload" "${J[@]}" --data-binary "@$T/huge.json"
expect_status 404 GET "$M/nowhere"
expect_status 405 GET "$M/upload"
expect_status 405 PUT "$M/files"
expect_status 400 GET "$M/get"
expect_status 400 GET "$M/get?id=../../etc/passwd"
expect_status 404 GET "$M/get?id=$ID"
expect_status 400 DELETE "$M/files"
expect_status 404 DELETE "$M/files?name=nothing"
expect_status 400 POST "$M/chunkserver" "${J[@]}" --data '{"url":"bad host:1/"}'
expect_status 400 POST "$M/chunkserver" "${J[@]}" --data '{}'
expect_status 400 POST "$M/chunkserver" "${J[@]}" --data "{\"url\":\"$CS_ADDR_cs1\",\"incarnation\":-1}"
expect_status 400 POST "$M/chunkserver" "${J[@]}" --data "{\"url\":\"$CS_ADDR_cs1\",\"incarnation\":\"x\"}"
expect_status 400 POST "$M/uploadSuccessful" "${J[@]}" --data "{\"chunkIdentifier\":\"../x\",\"chunkserver\":\"$CS_ADDR_cs1\"}"
expect_status 503 POST "$M/uploadSuccessful" "${J[@]}" --data "{\"chunkIdentifier\":\"${ID}_0\",\"chunkserver\":\"127.0.0.1:9/\"}"
grep -q 'not registered' "$T/body" || fail "unregistered chunkserver message"
grep -q '"retryAfterMs":1000' "$T/body" || fail "an unregistered chunkserver is not told when to retry"
expect_status 404 POST "$M/uploadSuccessful" "${J[@]}" --data "{\"chunkIdentifier\":\"${ID}_0\",\"chunkserver\":\"$CS_ADDR_cs1\"}"
ok "master: malformed, missing, mistyped, oversized and unknown inputs -> 4xx + JSON error"

# A planned upload is incomplete (409) until every chunk is stored.
expect_status 200 POST "$M/upload" "${J[@]}" --data '{"fileName":"f","fileSize":1500000}'
expect_status 409 GET "$M/get?id=$ID"
grep -q 'incomplete: 0 of 2' "$T/body" || fail "incomplete message: $(cat "$T/body")"
expect_status 409 POST "$M/upload" "${J[@]}" --data '{"fileName":"f","fileSize":1}'
expect_fail 'incomplete' client --action read --filename f --output-filename "$T/f.out"
[ ! -e "$T/f.out" ] || fail "failed read left an output file"
ok "incomplete file: 409, and the client refuses to read it"

# ---- chunkserver ----
C=http://${CS_ADDR_cs1%/}
head -c 1000000 /dev/urandom >"$T/c0"
head -c 500000 /dev/urandom >"$T/c1"
for bad in '../x' '..%2f..%2fetc%2fpasswd' "${ID}_01" "${ID^^}_0" "${ID:1}_0" "${ID}_-1" "${ID}_4294967296" "${ID}" 'x'; do
    expect_status 400 PUT "$C/chunks/$bad" --path-as-is --data-binary @"$T/c1"
done
expect_status 400 GET "$C/chunks/..%2f..%2fetc%2fpasswd" --path-as-is
expect_status 400 GET "$C/get?id=../../etc/passwd"
expect_status 400 GET "$C/get"
expect_status 404 GET "$C/chunks/${ID}_0"
expect_status 404 DELETE "$C/chunks/${ID}_0"
expect_status 405 POST "$C/chunks/${ID}_0"
expect_status 404 GET "$C/bogus"
ok "chunkserver: hostile chunk ids -> 400, unknown chunk -> 404"

expect_status 411 PUT "$C/chunks/${ID}_1" -H 'Transfer-Encoding: chunked' --data-binary @"$T/c1"
head -c $((CS + 1)) /dev/zero >"$T/toolarge"
expect_status 413 PUT "$C/chunks/${ID}_0" --data-binary @"$T/toolarge"
expect_status 400 PUT "$C/chunks/${ID}_0" --data-binary @"$T/c1"          # wrong size: 500000 != 1000000
grep -q 'expected 1000000' "$T/body" || fail "wrong-size message: $(cat "$T/body")"
expect_status 400 PUT "$C/chunks/${ID}_2" --data-binary @"$T/c1"          # past the end
expect_status 404 PUT "$C/chunks/$(fileid nofile)_0" --data-binary @"$T/c1"
[ -z "$(chunk_files "$T/data1" "$T/data2")" ] || fail "refused chunks left files: $(chunk_files "$T/data1")"
[ "$(tmp_files "$T/data1")" -eq 0 ] || fail "refused chunks left temporaries"
ok "chunkserver: no length -> 411, too large -> 413, wrong size / unknown file -> refused, nothing kept"

# Right bytes: accepted; the same bytes again (a retry): accepted; other bytes
# for a stored chunk: 409, old bytes kept.
expect_status 200 PUT "$C/chunks/${ID}_0" --data-binary @"$T/c0"
expect_status 200 PUT "$C/chunks/${ID}_1" --data-binary @"$T/c1"
expect_status 200 PUT "$C/chunks/${ID}_1" --data-binary @"$T/c1"   # the same bytes: a retry
head -c 500000 /dev/zero >"$T/zeros"
expect_status 409 PUT "$C/chunks/${ID}_1" --data-binary @"$T/zeros"
cmp "$T/c1" "$T/data1/${ID}_1" || fail "a repeated upload replaced a stored chunk"
expect_status 200 GET "$M/get?id=$ID"
cat "$T/c0" "$T/c1" >"$T/f.want"
client --action read --filename f --output-filename "$T/f.out"
cmp "$T/f.want" "$T/f.out" || fail "file assembled from raw PUTs differs"
curl -s "$C/get?id=${ID}_1" | cmp - "$T/c1" || fail "GET /get?id= on the chunkserver"
ok "stored chunks are immutable: other bytes are refused (409), the same bytes again are a success"

# Chunk reads keep their connection: a reader fetching chunk after chunk
# must not pay a new connection (and a new server thread) for each. A GET
# that carries a body is answered once the body has gone by.
curl -sv -o "$T/k0" -o "$T/k1" "$C/chunks/${ID}_0" "$C/chunks/${ID}_1" 2>"$T/keep.log"
cmp "$T/k0" "$T/c0" && cmp "$T/k1" "$T/c1" || fail "two chunk GETs on one connection"
grep -q 'Re-using existing connection' "$T/keep.log" || fail "the chunkserver closed the connection after a GET: $(grep -i connection "$T/keep.log")"
expect_status 404 GET "$C/chunks/$(fileid nothing)_0" --data-binary @"$T/c1"
ok "chunk GETs share one kept-alive connection; a GET with a body is answered after it"

# A late chunk of an upload that was overwritten meanwhile (an older
# generation) is refused with 410 and not kept; the current one is taken.
GID=$(fileid gen)
expect_status 200 POST "$M/upload" "${J[@]}" --data '{"fileName":"gen","fileSize":1000000}'
g1=$(grep -o '"generation":[0-9]*' "$T/body" | cut -d: -f2)
expect_status 200 POST "$M/upload" "${J[@]}" --data '{"fileName":"gen","fileSize":1000000,"overwrite":true}'
g2=$(grep -o '"generation":[0-9]*' "$T/body" | cut -d: -f2)
[ -n "$g1" ] && [ "$g2" -gt "$g1" ] || fail "generations: '$g1' then '$g2'"
expect_status 410 PUT "$C/chunks/${GID}_0" -H "X-Minidfs-Generation: $g1" --data-binary @"$T/c0"
[ ! -e "$T/data1/${GID}_0" ] || fail "a stale chunk was kept"
expect_status 409 GET "$M/get?id=$GID"
expect_status 200 PUT "$C/chunks/${GID}_0" -H "X-Minidfs-Generation: $g2" --data-binary @"$T/c0"
expect_status 200 GET "$M/get?id=$GID"
ok "a chunk of an overwritten upload (older generation): 410, not kept"

# A chain may only name this cluster's chunkservers: an unknown hop is
# dropped (never contacted) and said so; too many hops is a bad request;
# /replicate refuses an outside target.
expect_status 200 POST "$M/upload" "${J[@]}" --data '{"fileName":"chain","fileSize":1000000}'
fwd_before=$(curl -s "$C/stats" | grep -o '"bytesForwarded":[0-9]*' | cut -d: -f2)
expect_status 200 PUT "$C/chunks/$(fileid chain)_0" -H "X-Minidfs-Chain: 127.0.0.1:9/" --data-binary @"$T/c0"
grep -q '"chainError":"127.0.0.1:9/ is not a chunkserver of this cluster"' "$T/body" || fail "chain answer: $(cat "$T/body")"
grep -q '"replicas":\["127.0.0.1:[0-9]*/"\]' "$T/body" || fail "unknown hop listed as a replica: $(cat "$T/body")"
fwd_after=$(curl -s "$C/stats" | grep -o '"bytesForwarded":[0-9]*' | cut -d: -f2)
[ "$fwd_before" = "$fwd_after" ] || fail "bytes were forwarded to an unknown hop"
expect_status 400 PUT "$C/chunks/$(fileid chain)_0" -H "X-Minidfs-Chain: a:1/,b:1/,c:1/,d:1/,e:1/,f:1/,g:1/,h:1/" --data-binary @"$T/c0"
expect_status 400 PUT "$C/chunks/$(fileid chain)_0" -H "X-Minidfs-Chain: bad host:1/" --data-binary @"$T/c0"
expect_status 400 POST "$C/replicate" --data "{\"chunkIdentifier\":\"$(fileid chain)_0\",\"target\":\"127.0.0.1:9/\"}"
grep -q 'not a chunkserver of this cluster' "$T/body" || fail "replicate to an outsider: $(cat "$T/body")"
expect_status 404 POST "$C/replicate" --data "{\"chunkIdentifier\":\"$(fileid nothing)_0\",\"target\":\"$CS_ADDR_cs2\"}"
expect_status 400 POST "$C/replicate" --data '{"chunkIdentifier":"../x","target":"a:1/"}'
expect_status 400 POST "$C/replicate" --data 'nope'
ok "chains and copies go only to this cluster's chunkservers; hostile chains refused or dropped"

# ---- client against dead and missing things ----
expect_fail 'cannot open .*nonexistent' client --action write --filename nonexistent
expect_fail 'not a regular file' client --action write --filename d --input "$T"
expect_fail 'read missing: no file named "missing"$' client --action read --filename missing
expect_fail 'cannot create a file beside' client --action read --filename f --output-filename /nonexistent-dir/x
ok "client: missing input, directory input, unknown file, unwritable output"

# A dead chunkserver: the write goes to the live one, the read still works.
stop_pid "$CS_PID_cs2"
make_file "$T/g" 3500000
client --action write --filename g --input "$T/g"
client --action read --filename g --output-filename "$T/g.out"
cmp "$T/g" "$T/g.out" || fail "write with a dead chunkserver"
expect_layout g 3500000 "$CS" "$T/data1"
ok "a dead chunkserver: uploads fall back to a live one"

# Every chunkserver dead: a clear failure, nothing half-visible.
stop_pid "$CS_PID_cs1"
expect_fail 'failed on every replica' client --action read --filename g --output-filename "$T/g2"
[ ! -e "$T/g2" ] || fail "failed read left its output"
expect_fail 'failed on every chunkserver|no live chunkservers' client --action write --filename h --input "$T/g" --retry-ms 300
ok "no chunkserver left: reads and writes fail with one line, exit 1"
