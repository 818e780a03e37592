# replication.sh - every chunk on several chunkservers through the write
# pipeline: 3 byte-identical copies on 3 racks, the client sending each
# byte once, a secondary killed mid-write, and the Go path (one copy).
. "$(dirname "$0")/lib.sh"

CS=$((4 * 1024 * 1024))
start_master --chunkSize "$CS" --replication 3 --dead-after-ms 1500
racks=(r1 r1 r2 r2 r3 r3)
for i in 1 2 3 4 5 6; do start_chunkserver "cs$i" "$T/data$i" --rack "${racks[$((i - 1))]}"; done
wait_live 6
DIRS=("$T"/data{1..6})
rack_of_dir() { echo "${racks[$(( ${1##*data} - 1 ))]}"; }

SIZE=$((100 * 1024 * 1024))
make_file "$T/in" "$SIZE"
client --action write --filename in --input "$T/in"
client --action read --filename in --output-filename "$T/out"
cmp "$T/in" "$T/out" || fail "replicated round trip differs"

# On disk: 25 chunks x 3 copies, each copy equal to its slice of the input,
# the 3 copies of a chunk on 3 racks.
ID=$(fileid in)
for i in $(seq 0 24); do
    copies=$(find "${DIRS[@]}" -maxdepth 1 -name "${ID}_$i")
    [ "$(echo "$copies" | wc -l)" -eq 3 ] || fail "chunk $i has $(echo "$copies" | wc -l) copies"
    racks_used=$(for f in $copies; do rack_of_dir "$(dirname "$f")"; done | sort -u | wc -l)
    [ "$racks_used" -eq 3 ] || fail "chunk $i's copies are on $racks_used racks"
    for f in $copies; do
        cmp -s "$f" <(tail -c +$((i * CS + 1)) "$T/in" | head -c "$CS") || fail "copy $f differs"
    done
done
curl -s "${MASTER}get?id=$ID" | grep -q '"replicas":\[\["[^"]*","[^"]*","[^"]*"\]' || fail "/get lists no 3 replicas"
curl -s "${MASTER}files" | grep -q '"underReplicated":0' || fail "a fully replicated file counts as under-replicated"
ok "100 MiB, replication 3 on 6 servers in 3 racks: 3 identical copies of every chunk, on 3 racks"

# The pipeline: every server took in each of its chunks once; what the
# servers took in beyond what they passed on to each other came from the
# client, and that is the file once (it would be 3 times if the client
# sent every copy itself).
received=0 forwarded=0
for i in 1 2 3 4 5 6; do
    addr=CS_ADDR_cs$i
    st=$(curl -s "http://${!addr%/}/stats")
    received=$((received + $(echo "$st" | grep -o '"bytesReceived":[0-9]*' | cut -d: -f2)))
    forwarded=$((forwarded + $(echo "$st" | grep -o '"bytesForwarded":[0-9]*' | cut -d: -f2)))
done
[ "$received" -eq $((3 * SIZE)) ] || fail "servers took in $received bytes, expected $((3 * SIZE))"
[ $((received - forwarded)) -eq "$SIZE" ] || fail "the client sent $((received - forwarded)) bytes for $SIZE"
ok "servers took in 3 x $SIZE bytes, of which $((received - forwarded)) from the client: each byte left it once"

# A hop with a server after it leaves checking the bytes to that server,
# which gets exactly the same bytes. A wrong checksum: the last hop refuses
# it, the hops before it then check their own copies, and nobody keeps one.
curl -s -o /dev/null -X POST "${MASTER}upload" -H 'Content-Type: application/json' \
    --data '{"fileName":"sum","fileSize":1000}'
make_file "$T/sum" 1000
{ cat "$T/sum"; printf '%064d' 0; } >"$T/sum.bad"
{ cat "$T/sum"; sha256sum "$T/sum" | cut -c1-64 | tr -d '\n'; } >"$T/sum.good"
CHAIN="X-Minidfs-Chain: $CS_ADDR_cs3,$CS_ADDR_cs5"
SUM=(-H "$CHAIN" -H "X-Minidfs-Sha256: trailing" -H "Content-Type: application/octet-stream")
expect_status 400 PUT "http://${CS_ADDR_cs1%/}/chunks/$(fileid sum)_0" "${SUM[@]}" --data-binary @"$T/sum.bad"
grep -q 'hash to' "$T/body" || fail "bad checksum answer: $(cat "$T/body")"
[ -z "$(find "${DIRS[@]}" -maxdepth 1 -name "$(fileid sum)_0*")" ] || fail "a copy with a wrong checksum was kept"
[ "$(tmp_files "${DIRS[@]}")" -eq 0 ] || fail "a refused chain left temporaries"
expect_status 200 PUT "http://${CS_ADDR_cs1%/}/chunks/$(fileid sum)_0" "${SUM[@]}" --data-binary @"$T/sum.good"
for d in data1 data3 data5; do cmp "$T/sum" "$T/$d/$(fileid sum)_0" || fail "copy in $d"; done
ok "a wrong checksum through a chain is refused by the last hop and then by every hop; a right one kept by all"

# A secondary killed mid-write: the write succeeds on the copies that hold
# each chunk, and the master records the file as under-replicated.
make_file "$T/in2" $((400 * 1024 * 1024))
"$MINIDFS" client --master "$MASTER" --quiet --action write --filename in2 --input "$T/in2" &
cpid=$!
PIDS+=("$cpid")
ID2=$(fileid in2)
started() { [ -n "$(find "$T/data2" -maxdepth 1 -name "${ID2}_*" -print -quit)" ]; }
wait_until 30 "the write to reach cs2" started
kill -9 "$CS_PID_cs2"
wait "$CS_PID_cs2" 2>/dev/null || true
wait "$cpid" || fail "the write failed when a secondary died"
client --action read --filename in2 --output-filename "$T/out2"
cmp "$T/in2" "$T/out2" || fail "write with a dead secondary differs"
curl -s "${MASTER}files" | grep -qE '"fileName":"in2"[^}]*"underReplicated":[1-9]' \
    || fail "the master does not count in2 as under-replicated: $(curl -s "${MASTER}files")"
# A hop that cannot be reached is dropped from the pipeline, so chunks
# planned through the dead server still get 2 copies; and a chunk that was
# streaming through it when it died, left with fewer than 2, is sent to
# another server too: an upload counts only with 2 copies.
live_dirs=("$T/data1" "$T"/data{3..6})
short=0
for i in $(seq 0 99); do
    n=$(find "${live_dirs[@]}" -maxdepth 1 -name "${ID2}_$i" | wc -l)
    [ "$n" -ge 1 ] || fail "chunk $i of in2 has no live copy"
    [ "$n" -ge 2 ] || short=$((short + 1))
done
[ "$short" -eq 0 ] || fail "$short chunks have a single live copy"
ok "a secondary killed mid-write: the write completes, every chunk with >= 2 live copies, under-replication recorded"

# Repair: once the master sees cs2 silent, every chunk of in2 is copied
# back up to 3 live copies, chunkserver to chunkserver.
# (One listing of the five directories per look: 100 finds a look would
# take the CPU the copies need.)
all_three() {
    [ "$(find "${live_dirs[@]}" -maxdepth 1 -name "${ID2}_*" -printf '%f\n' | sort | uniq -c \
        | awk '$1 >= 3' | wc -l)" -eq 100 ]
}
wait_until 60 "every chunk of in2 to have 3 live copies again" all_three
wait_until 10 "the master to count in2 whole" sh -c "curl -s '${MASTER}files' | grep -qE '\"fileName\":\"in2\"[^}]*\"underReplicated\":0'"
for i in 0 57 99; do
    for f in $(find "${live_dirs[@]}" -maxdepth 1 -name "${ID2}_$i"); do
        cmp -s "$f" <(tail -c +$((i * CS + 1)) "$T/in2" | head -c "$CS") || fail "repaired copy $f differs"
    done
done
ok "re-replication: every chunk of in2 back to 3 live copies, byte-identical"

# The writer may ask for its own count. (First the master must have seen
# cs2 go silent, or it may still plan copies there.)
is_live_count() { [ "$(live_count)" -eq "$1" ]; }
wait_until 10 "the master to see cs2 dead" is_live_count 5
make_file "$T/two" $((10 * 1024 * 1024))
client --action write --filename two --input "$T/two" --replication 2
for i in 0 1 2; do
    n=$(find "${live_dirs[@]}" -maxdepth 1 -name "$(fileid two)_$i" | wc -l)
    [ "$n" -eq 2 ] || fail "chunk $i of a --replication 2 file has $n copies"
done
curl -s "${MASTER}files" | grep -qE '"fileName":"two"[^}]*"replication":2,"underReplicated":0' \
    || fail "replication 2 not recorded: $(curl -s "${MASTER}files")"
ok "client --replication 2: two copies of every chunk"

# The Go path (multipart to one chunkserver of the uploader's choosing).
curl -sf -X POST "${MASTER%/}/upload" -d '{"fileName":"go","fileSize":1000}' >/dev/null
head -c 1000 /dev/urandom >"$T/go"
code=$(http POST "http://${CS_ADDR_cs1%/}/uploadChunk" -F "chunk=@$T/go;filename=$(fileid go)_0")
[ "$code" = 200 ] || fail "multipart upload: $code"
client --action read --filename go --output-filename "$T/go.out"
cmp "$T/go" "$T/go.out" || fail "multipart file differs"
go_copies() { [ "$(find "${live_dirs[@]}" -maxdepth 1 -name "$(fileid go)_0" | wc -l)" -eq 3 ]; }
wait_until 20 "the multipart chunk to reach 3 copies" go_copies
for f in $(find "${live_dirs[@]}" -maxdepth 1 -name "$(fileid go)_0"); do cmp "$T/go" "$f" || fail "copy $f differs"; done
ok "the Go multipart path: one copy uploaded, replicated to 3 by the master in the background"

# POST /allocate: a handle, a primary and secondaries on 3 racks, a lease
# and a version; idempotent; past the end refused.
M=${MASTER%/}
expect_status 200 POST "$M/allocate" --data '{"file":"/data/log.dat","chunk_index":0}'
cp "$T/body" "$T/alloc1"
grep -q "^{\"chunk_handle\":\"$(fileid /data/log.dat)_0\",\"primary\":\"127.0.0.1:[0-9]*/\",\"secondaries\":\[\"[^\"]*\",\"[^\"]*\"\],\"lease_expires_ms\":60000,\"version\":[0-9]*}$" "$T/alloc1" \
    || fail "allocate answer: $(cat "$T/alloc1")"
alloc_racks=$(grep -o '127.0.0.1:[0-9]*/' "$T/alloc1" | while read -r a; do
    for i in 1 3 4 5 6; do v=CS_ADDR_cs$i; if [ "${!v}" = "$a" ]; then echo "${racks[$((i - 1))]}"; fi; done
done | sort -u | wc -l)
[ "$alloc_racks" -eq 3 ] || fail "allocated replicas span $alloc_racks racks"
expect_status 200 POST "$M/allocate" --data '{"file":"/data/log.dat","chunk_index":0}'
[ "$(sed 's/"lease_expires_ms":[0-9]*//' "$T/body")" = "$(sed 's/"lease_expires_ms":[0-9]*//' "$T/alloc1")" ] \
    || fail "allocate is not idempotent: $(cat "$T/body") vs $(cat "$T/alloc1")"
expect_status 400 POST "$M/allocate" --data '{"file":"/data/log.dat","chunk_index":2}'
expect_status 200 POST "$M/allocate" --data '{"file":"/data/log.dat","chunk_index":1}'
expect_status 400 POST "$M/allocate" --data '{"file":"/data/log.dat"}'
expect_status 400 POST "$M/allocate" --data '{"file":"","chunk_index":0}'
expect_status 400 POST "$M/allocate" --data 'nope'
expect_status 405 GET "$M/allocate"
ok "POST /allocate: primary and secondaries on 3 racks, lease and version, idempotent, past the end refused"
