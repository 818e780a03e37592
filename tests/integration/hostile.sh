# hostile.sh - requests and answers a careless or hostile peer could send,
# none of which may wedge the master, crash the client, or keep a dead
# server looking alive. Each part fails on a cluster without the check it
# names.
. "$(dirname "$0")/lib.sh"

CS=1000000
start_cluster 1 --chunkSize "$CS" --dead-after-ms 1000 --replication 1
M=${MASTER%/}
J=(-H 'Content-Type: application/json')

# ---- sizes past every limit: refused up front, and the master can still
# write and re-read its checkpoint afterwards (an append of
# 4,294,967,296,000,000 bytes once wrapped a chunk count to 32 bits and left
# a checkpoint the next start refused).
make_file "$T/al" 1500000
client --action write --filename al.bin --input "$T/al"
expect_status 400 POST "$M/append" "${J[@]}" --data '{"fileName":"al.bin","size":4294967296000000}'
grep -q 'would need more than the 1000000 chunks' "$T/body" || fail "append past the limit: $(cat "$T/body")"
expect_status 400 POST "$M/append" "${J[@]}" --data '{"fileName":"al.bin","size":9223372036854775807}'
expect_status 410 POST "$M/appendDone" "${J[@]}" --data '{"fileName":"al.bin","token":1}'
expect_status 400 POST "$M/upload" "${J[@]}" --data '{"fileName":"big","fileSize":1000000000001}'
MPORT=$(cat "$T/master.port")
stop_pid "$MASTER_PID"
start_master --chunkSize "$CS" --dead-after-ms 1000 --replication 1 --port "$MPORT"
grep -q 'damaged' "$T/master.log" && fail "the checkpoint was refused: $(grep damaged "$T/master.log")"
wait_live 1
client --action read --filename al.bin --output-filename "$T/al.out"
cmp "$T/al" "$T/al.out" || fail "al.bin after the restart"
ok "sizes past the limits: 400, and the master restarts from its checkpoint"

# ---- a registration refused for a bad field takes no registry slot: 4,100
# of them once filled the registry and locked real chunkservers out.
{
    for i in $(seq 1 4100); do
        [ "$i" -eq 1 ] || echo next
        printf 'url = "%s/chunkserver"\nheader = "Content-Type: application/json"\n' "$M"
        printf 'data = "{\\"url\\":\\"127.0.0.1:%d/\\",\\"rack\\":\\"bad rack!\\"}"\noutput = "/dev/null"\nwrite-out = "%%{http_code}\\n"\n' $((20000 + i))
    done
} >"$T/regs.curl"
curl -s -K "$T/regs.curl" >"$T/regs.codes"
[ "$(grep -c '^400$' "$T/regs.codes")" -eq 4100 ] || fail "bad registrations: $(sort "$T/regs.codes" | uniq -c)"
[ "$(curl -s "$M/chunkservers" | grep -o '"url"' | wc -l)" -eq 1 ] || fail "refused registrations took slots"
start_chunkserver cs2 "$T/data2"
wait_live 2
ok "4,100 refused registrations take no slot; a real chunkserver still joins"

# ---- only a server's own heartbeat makes it live: a report or bad-chunk
# notice naming a dead one does not.
stop_pid "$CS_PID_cs2"
dead() { curl -s "$M/chunkservers" | grep -q "\"url\":\"$CS_ADDR_cs2\",\"live\":false"; }
wait_until 10 "cs2 to be declared dead" dead
ID=$(fileid al.bin)
for i in 1 2 3 4 5 6 7 8 9 10; do
    http POST "$M/badChunk" "${J[@]}" --data "{\"chunkIdentifier\":\"${ID}_0\",\"chunkserver\":\"$CS_ADDR_cs2\"}" >/dev/null
    http POST "$M/uploadSuccessful" "${J[@]}" --data "{\"chunkIdentifier\":\"${ID}_0\",\"chunkserver\":\"$CS_ADDR_cs2\"}" >/dev/null
    http POST "$M/chunkreport" "${J[@]}" --data "{\"url\":\"$CS_ADDR_cs2\",\"chunks\":[]}" >/dev/null
    dead || fail "a message naming dead cs2 made it live: $(curl -s "$M/chunkservers")"
done
ok "messages naming a dead chunkserver do not make it live"

# ---- a chunk's age in a report comes from its chunkserver's wall clock,
# which can step: a fresh unknown chunk reported ten thousand days old (an
# upload whose own report is still on its way) is not collected until the
# master itself has seen it for the grace period.
wait_until 40 "the master's safe mode to end" grep -q 'safe mode over' "$T/master.log"
fresh="[[\"$(fileid unreported)_0\",10,0,\"$(printf '%064d' 0)\",864000000000]]"
expect_status 200 POST "$M/chunkreport" "${J[@]}" --data "{\"url\":\"$CS_ADDR_cs1\",\"chunks\":$fresh}"
grep -q '"delete":\[\]' "$T/body" || fail "a fresh chunk with a stepped clock's age was collected: $(cat "$T/body")"
ok "a wall clock stepped forward cannot get a fresh chunk collected"

# ---- packed report pages (an envelope's line of JSON, then 96-byte
# records) that are not whole: refused with 400 and a reason, never read
# past their end; records with flags this master does not know are
# skipped and counted; a whole page of a real chunk is judged current.
P=(-H 'Content-Type: application/x-minidfs-chunkpack')
python3 - "$T" "$CS_ADDR_cs1" "$(identifier_of al.bin)" <<'PY'
import json, struct, sys
t, addr, fid = sys.argv[1], sys.argv[2], bytes.fromhex(sys.argv[3])
head = (json.dumps({"url": addr}) + "\n").encode()
def rec(fid, index, size, version, flags=0, sha=bytes(32)):
    return fid + struct.pack("<IIQQq", index, flags, size, version, 10**9) + sha
def page(name, body):
    open("%s/%s" % (t, name), "wb").write(body)
page("noline", json.dumps({"url": addr}).encode())
page("short", head + rec(fid, 0, 1000000, 0)[:95])
page("toomany", head + rec(bytes(32), 0, 1, 1) * 4001)
page("notjson", b"{url: nope}\n" + rec(fid, 0, 1000000, 0))
page("longhead", b" " * 5000 + head + rec(fid, 0, 1000000, 0))
page("flags", head + rec(bytes(32), 0, 1, 1, flags=6) + rec(fid, 0, 1000000, 0))
PY
expect_status 400 POST "$M/chunkreport" "${P[@]}" --data-binary @"$T/noline"
grep -q 'envelope' "$T/body" || fail "a packed page without its envelope's line: $(cat "$T/body")"
expect_status 400 POST "$M/chunkreport" "${P[@]}" --data-binary @"$T/short"
grep -q 'not whole records' "$T/body" || fail "a page of 95 bytes of record: $(cat "$T/body")"
expect_status 400 POST "$M/chunkreport" "${P[@]}" --data-binary @"$T/toomany"
grep -q 'at most 4000' "$T/body" || fail "4,001 records: $(cat "$T/body")"
expect_status 400 POST "$M/chunkreport" "${P[@]}" --data-binary @"$T/notjson"
expect_status 400 POST "$M/chunkreport" "${P[@]}" --data-binary @"$T/longhead"
expect_status 200 POST "$M/chunkreport" "${P[@]}" --data-binary @"$T/flags"
grep -q '"delete":\[\]' "$T/body" || fail "a page of a current chunk: $(cat "$T/body")"
grep -q "chunk report from $CS_ADDR_cs1: 2 chunks, 1 current, 0 to delete, 1 unreadable" "$T/master.log" ||
    fail "the record with unknown flags was not counted: $(grep 'chunk report from' "$T/master.log" | tail -2)"
ok "packed report pages that are not whole: 400 with the reason; unknown flags skipped and counted"

# canned NAME ANSWER: a "master" that answers every request with the file
# ANSWER; its URL in CANNED_URL.
canned() {
    rm -f "$T/$1.port"
    "$CANNED" "$T/$1.port" 200 "$2" &
    PIDS+=($!)
    wait_until 10 "the canned master $1" test -s "$T/$1.port"
    CANNED_URL="http://127.0.0.1:$(cat "$T/$1.port")/"
}

# ---- a hostile master's answers: counts past every bound are refused,
# never used to size anything (an /append answer with more than 8 replicas
# per chunk once wrote past the client's array).
reps=$(for i in $(seq 1 20); do printf '"127.0.0.1:%d/",' $((30000 + i)); done)
XID=$(fileid x)
printf '{"token":1,"version":9,"identifier":"%s","chunkSize":1000000,"fileSize":1500000,"newSize":4500000,"lease_expires_ms":60000,"fill":null,"chunks":[{"index":2,"chunkIdentifier":"x_2","replicas":[%s]},{"index":3,"chunkIdentifier":"x_3","replicas":[%s]},{"index":4,"chunkIdentifier":"x_4","replicas":[%s]}]}' \
    "$XID" "${reps%,}" "${reps%,}" "${reps%,}" >"$T/evil.json"
canned c1 "$T/evil.json"
make_file "$T/three" 3000000
expect_fail 'at most 8 make sense' "$MINIDFS" client --master "$CANNED_URL" \
    --quiet --action append --filename x --input "$T/three"
ok "a hostile master's answer with 20 replicas per chunk: refused, no overflow"

# ---- and an identifier that is not one (it names chunk files): refused
# before a single request goes to a chunkserver
printf '{"fileName":"x","identifier":"../../etc/passwd","fileSize":5,"chunkSize":1000000,"numberOfChunks":1,"locations":["127.0.0.1:9/"],"replicas":[["127.0.0.1:9/"]],"checksums":[null],"generation":3,"from":0}' >"$T/evil2.json"
canned c2 "$T/evil2.json"
expect_fail 'identifier. is not 64 lowercase hex digits' "$MINIDFS" client --master \
    "$CANNED_URL" --quiet --action read --filename x --output-filename "$T/x"
[ ! -e "$T/x" ] || fail "a refused read left an output file"
ok "a hostile master's identifier that is not one: refused"

# ---- the same in a listing's layout (get -r reads small files by it,
# without a /get): refused before a request goes to a chunkserver. The
# canned answer is at once the directory's stat and its only page.
printf '{"path":"/d","name":"d","type":"directory","entries":[{"name":"x","type":"file","layout":%s}],"more":false}' \
    "$(cat "$T/evil2.json")" >"$T/evil3.json"
canned c3 "$T/evil3.json"
expect_fail 'identifier. is not 64 lowercase hex digits' "$MINIDFS" get -r --quiet --master \
    "$CANNED_URL" /d "$T/gd"
[ ! -e "$T/gd/x" ] || fail "a refused layout left an output file"
sed 's|"replicas":\[\["127.0.0.1:9/"\]\]|"replicas":[['"${reps%,}"']]|; s|"\.\./\.\./etc/passwd"|"'"$XID"'"|' \
    "$T/evil3.json" >"$T/evil4.json"
grep -q '30020' "$T/evil4.json" || fail "the test's layout with 20 replicas was not made"
canned c4 "$T/evil4.json"
expect_fail 'at most 8 make sense' "$MINIDFS" get -r --quiet --master \
    "$CANNED_URL" /d "$T/gd4"
ok "a hostile listing's layout (a forged identifier, 20 replicas): refused"

# ---- batches: bounded, and each item answered as it would be alone. A
# batch of 65, one that is no list, an item that is no object or is a
# batch itself: refused; a file of three chunks gets a plan of one (GET
# /plan gives the rest), so no batch's answer grows with its files' size.
items=$(for i in $(seq 1 65); do printf '{"fileName":"/b%d","fileSize":1},' "$i"; done)
expect_status 400 POST "$M/upload" "${J[@]}" --data "{\"files\":[${items%,}]}"
grep -q 'array of 1 to 64 objects' "$T/body" || fail "a batch of 65: $(cat "$T/body")"
expect_status 400 POST "$M/upload" "${J[@]}" --data '{"files":{"fileName":"/b1"}}'
expect_status 400 POST "$M/uploadSuccessful" "${J[@]}" --data "{\"chunkserver\":\"$CS_ADDR_cs1\",\"reports\":[]}"
expect_status 200 POST "$M/upload" "${J[@]}" --data '{"files":[7,{"files":[{"fileName":"/n","fileSize":1}]},{"fileName":"/b/../c","fileSize":1},{"fileName":"/three","fileSize":2500000,"overwrite":false}]}'
grep -q '^{"chunkservers":\["[^"]*"\],"files":\[{"error":"not a JSON object","status":400},{"error":"missing field \\"fileName\\"[^"]*","status":400},{"error":"file name[^}]*","status":400},{"identifier":"[0-9a-f]\{64\}","chunkSize":1000000,"numberOfChunks":3,"chunks":\[{"index":0,"chunkIdentifier":"[0-9a-f]*_0","replicas":\["[^"]*"\]}\],' "$T/body" ||
    fail "a batch of bad items and a file of three chunks: $(cat "$T/body")"
expect_status 200 POST "$M/uploadSuccessful" "${J[@]}" --data "{\"chunkserver\":\"$CS_ADDR_cs1\",\"reports\":[{\"chunkIdentifier\":\"../x_0\",\"size\":1},{\"chunkIdentifier\":\"$(fileid nothing)_0\",\"size\":1}]}"
grep -q '{"reports":\[{"error":"invalid chunk identifier[^}]*","status":400},{"error":"no file has identifier [0-9a-f]*","status":404}\]}' "$T/body" ||
    fail "a batch of reports of no chunk: $(cat "$T/body")"
expect_status 200 DELETE "$M/files?name=/three"
ok "batches: at most 64 items, each checked alone; a batch's plans hold one chunk each"

# ---- a hostile master's answer to put -r's batch of plans: a plan short,
# or a forged identifier, and no byte goes anywhere
mkdir -p "$T/pt" && echo one >"$T/pt/a" && echo two >"$T/pt/b"
printf '{"files":[{"identifier":"../../etc/passwd","chunkSize":1000000,"numberOfChunks":1,"chunks":[{"index":0,"chunkIdentifier":"x_0","replicas":["127.0.0.1:9/"]}],"generation":1,"replication":1}],"chunkservers":["127.0.0.1:9/"]}' >"$T/evil5.json"
canned c5 "$T/evil5.json"
rc=0
"$MINIDFS" put -r --quiet --master "$CANNED_URL" "$T/pt" /pt 2>"$T/pt.err" || rc=$?
[ "$rc" -eq 1 ] && [ "$(grep -c '^minidfs put: /pt/[ab]: master answer: not 2 plans' "$T/pt.err")" -eq 2 ] ||
    fail "put -r given one plan for two files: exit $rc, $(cat "$T/pt.err")"
rm "$T/pt/b"
expect_fail 'identifier. is not 64 lowercase hex digits' "$MINIDFS" put -r --quiet --master \
    "$CANNED_URL" "$T/pt" /pt
# A master from before batches ("fileName" missing) is asked file by
# file: the batch, then one /upload per file.
printf '{"error":"missing field \\"fileName\\""}' >"$T/old.json"
rm -f "$T/c6.port" "$T/c6.log"
"$CANNED" "$T/c6.port" 400 "$T/old.json" 0 "$T/c6.log" &
PIDS+=($!)
wait_until 10 "the canned master c6" test -s "$T/c6.port"
echo three >"$T/pt/c"
"$MINIDFS" put -r --quiet --master "http://127.0.0.1:$(cat "$T/c6.port")/" "$T/pt/a" "$T/pt/c" /old \
    2>/dev/null && fail "put -r to a master that refuses everything succeeded"
[ "$(grep -c '^POST /upload$' "$T/c6.log")" -eq 3 ] ||
    fail "put -r did not ask file by file after its batch was refused: $(cat "$T/c6.log")"
ok "a hostile master's batch of plans (one short, a forged identifier): refused; an old master is asked file by file"

# ---- a hostile chunkserver's answer to a POST /chunks batch: a chunk it
# claims stored with other bytes than those sent is not counted, and the
# file goes alone (a PUT) to be judged as any upload; nothing is reported
# done that no server vouched for.
PB=$(fileid pt2/a)
printf '{"chunks":[{"chunkIdentifier":"%s_0","size":4,"chunkserver":"x","replicas":["x"],"sha256":"%064d","status":200}]}' "$PB" 0 >"$T/evil6.json"
rm -f "$T/c7.port" "$T/c7.log"
"$CANNED" "$T/c7.port" 200 "$T/evil6.json" 0 "$T/c7.log" &
PIDS+=($!)
wait_until 10 "the canned chunkserver c7" test -s "$T/c7.port"
C7="127.0.0.1:$(cat "$T/c7.port")/"
printf '{"files":[{"identifier":"%s","chunkSize":1000000,"numberOfChunks":1,"chunks":[{"index":0,"chunkIdentifier":"%s_0","replicas":["%s"]}],"generation":1,"replication":1}],"chunkservers":["%s"]}' \
    "$PB" "$PB" "$C7" "$C7" >"$T/evil7.json"
canned c8 "$T/evil7.json"
mkdir -p "$T/pt2" && echo one >"$T/pt2/a"
rc=0
"$MINIDFS" put -r --quiet --master "$CANNED_URL" "$T/pt2" /pt2 2>"$T/pt2.err" || rc=$?
[ "$rc" -eq 1 ] && grep -q "^minidfs put: /pt2/a: .*SHA-256" "$T/pt2.err" ||
    fail "put -r believed a forged batch answer: exit $rc, $(cat "$T/pt2.err")"
[ "$(head -2 "$T/c7.log" | tr '\n' ' ')" = "POST /chunks PUT /chunks/${PB}_0 " ] ||
    fail "the file did not go alone after its batch: $(cat "$T/c7.log")"
ok "a hostile chunkserver's batch answer (other bytes stored): not believed, the file goes alone"

# ---- a chunkserver's batch of chunks (POST /chunks): each item goes
# through the PUT's own checks and gets the answer it would have had
# alone (a good chunk stored, a wrong checksum or a hostile identifier
# refused and nothing kept); the framing is bounded and a batch that
# breaks it is refused whole: more than 64 items, a line past 8 KiB, an
# item past 1 MiB, a line that is no item, a body cut inside an item, an
# empty body.
CSU=http://$CS_ADDR_cs1
plan_gen() {   # NAME SIZE: plans NAME, prints "IDENTIFIER GENERATION"
    expect_status 200 POST "$M/upload" "${J[@]}" --data "{\"fileName\":\"$1\",\"fileSize\":$2}"
    printf '%s %s\n' "$(grep -o '"identifier":"[0-9a-f]*"' "$T/body" | cut -d'"' -f4)" \
        "$(grep -o '"generation":[0-9]*' "$T/body" | cut -d: -f2)"
}
read -r B1 G1 < <(plan_gen /bt1 5)
read -r B2 G2 < <(plan_gen /bt2 5)
S=$(printf hello | sha256sum | cut -d' ' -f1)
item() {   # ID GENERATION SHA BYTES
    printf '{"chunkIdentifier":"%s","headers":{"Content-Length":"%s","X-Minidfs-Generation":"%s","X-Minidfs-Sha256":"%s"}}\n%s' \
        "$1" "${#4}" "$2" "$3" "$4"
}
{ item "${B1}_0" "$G1" "$S" hello; item "${B2}_0" "$G2" "$S" world; item "../x_0" 1 "$S" hello; } >"$T/batch1"
expect_status 200 POST "${CSU}chunks" --data-binary @"$T/batch1"
grep -q "^{\"chunks\":\[{\"chunkIdentifier\":\"${B1}_0\",\"size\":5,[^]]*\],\"sha256\":\"$S\",\"status\":200},{\"error\":\"[^\"]*hash to [^}]*nothing kept\",\"status\":400},{\"error\":\"[^}]*\",\"status\":400}\]}$" "$T/body" ||
    fail "a batch of a good chunk, a wrong checksum and a hostile id: $(cat "$T/body")"
curl -sf "${CSU}chunks/${B1}_0" | cmp -s - <(printf hello) || fail "the batch's good chunk does not read back"
expect_status 404 GET "${CSU}chunks/${B2}_0"
curl -s "$M/get?id=$(fileid /bt1)" | grep -q '"fileSize":5' || fail "the master does not have /bt1 whole"
{ for i in $(seq 1 65); do item "x$i" 1 "$S" h; done; } >"$T/batch2"
expect_status 400 POST "${CSU}chunks" --data-binary @"$T/batch2"
grep -q 'at most 64 chunks' "$T/body" || fail "a batch of 65: $(cat "$T/body")"
{ printf '{"chunkIdentifier":"%s_0","headers":{"X-Pad":"%09000d"}}\n' "$B2" 0; } >"$T/batch3"
expect_status 400 POST "${CSU}chunks" --data-binary @"$T/batch3"
grep -q 'longer than 8192 bytes' "$T/body" || fail "a line of 9 KB: $(cat "$T/body")"
printf '{"chunkIdentifier":"%s_0","headers":{"Content-Length":"2097152"}}\nxyz' "$B2" >"$T/batch4"
expect_status 413 POST "${CSU}chunks" --data-binary @"$T/batch4"
printf '[1,2]\nxyz' >"$T/batch5"
expect_status 400 POST "${CSU}chunks" --data-binary @"$T/batch5"
printf '{"chunkIdentifier":"%s_0","headers":{"Content-Length":"10","X-Minidfs-Generation":"%s"}}\nhel' "$B2" "$G2" >"$T/batch6"
expect_status 400 POST "${CSU}chunks" --data-binary @"$T/batch6"
grep -q 'ends inside item 1' "$T/body" || fail "a body cut inside an item: $(cat "$T/body")"
expect_status 400 POST "${CSU}chunks" --data-binary ''
expect_status 405 GET "${CSU}chunks"
expect_status 404 GET "${CSU}chunks/${B2}_0"
expect_status 200 DELETE "$M/files?name=/bt1"
expect_status 200 DELETE "$M/files?name=/bt2"
ok "a chunkserver's batch of chunks: each item checked as its PUT, the framing bounded"

# ---- a batch cut in the middle of its second item, while the first one's
# commit is under way on the commit pool: the first item read through is
# stored and reported, the second leaves no temporary, the server lives.
read -r B3 G3 < <(plan_gen /bt3 5)
read -r B4 G4 < <(plan_gen /bt4 5)
{ item "${B3}_0" "$G3" "$S" hello; item "${B4}_0" "$G4" "$S" hello | head -c -3; } >"$T/batch7"
CSA=${CS_ADDR_cs1%/}
exec 7<>"/dev/tcp/${CSA%:*}/${CSA#*:}"
printf 'POST /chunks HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n' \
    $(($(stat -c %s "$T/batch7") + 3)) >&7
cat "$T/batch7" >&7
exec 7>&-
bt3_whole() { curl -s "$M/get?id=$(fileid /bt3)" | grep -q '"fileSize":5'; }
wait_until 10 "the cut batch's first item to be reported" bt3_whole
curl -sf "${CSU}chunks/${B3}_0" | cmp -s - <(printf hello) || fail "the cut batch's first item does not read back"
wait_until 10 "the cut batch's second item to leave no temporary" \
    test "$(tmp_files "$T/data1")" -eq 0
expect_status 404 GET "${CSU}chunks/${B4}_0"
expect_status 200 GET "${CSU}stats"
expect_status 200 DELETE "$M/files?name=/bt3"
expect_status 200 DELETE "$M/files?name=/bt4"
ok "a batch cut inside its second item: the first stored and reported, no temporary left"

# ---- a name with a control character is no path: refused with a clear
# error; what else a name may hold (a C1 control as UTF-8, quotes) is
# printed and logged escaped, one row and one log line per file, nothing a
# terminal would act on.
expect_status 400 POST "$M/upload" "${J[@]}" --data '{"fileName":"evil\nforged-row 999 1 complete","fileSize":0}'
grep -q 'may not hold control characters' "$T/body" || fail "the refusal does not say why: $(cat "$T/body")"
expect_status 400 POST "$M/upload" "${J[@]}" --data '{"fileName":"\u001b[31mred","fileSize":0}'
expect_status 200 POST "$M/upload" "${J[@]}" --data '{"fileName":"red\u009b2J \"q\"","fileSize":0}'
client --action list >"$T/list"
[ "$(wc -l <"$T/list")" -eq 3 ] || fail "list: $(wc -l <"$T/list") rows for 2 files: $(cat "$T/list")"
grep -q '^red\\xc2\\x9b2J "q" ' "$T/list" || fail "the C1 name is not escaped: $(cat -v "$T/list")"
! grep -q "$(printf '\033')" "$T/list" "$T/master.log" || fail "an escape byte reached the list or the log"
! grep -q "$(printf '\302\233')" "$T/list" "$T/master.log" || fail "a C1 control reached the list or the log"
expect_fail 'read \\x1b\[31mgone: a path may not hold control characters' client --action read --filename "$(printf '\033[31mgone')" --output-filename "$T/x"
ok "names with control characters refused; the rest escaped in list, log and errors"

# ---- a complete file whose every copy is gone is not listed complete
stop_pid "$CS_PID_cs1"
wait_until 10 "cs1 to be declared dead" sh -c "curl -s '$M/chunkservers' | grep -q '\"live\":true' && exit 1 || exit 0"
client --action list >"$T/list"
grep -q '^al.bin .* missing ' "$T/list" || fail "a file with no live copy: $(grep al.bin "$T/list")"
ok "a file with no live copy is listed missing, not complete"
