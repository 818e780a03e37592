# plans.sh - what a plan costs stays bounded: a file of a million chunks is
# planned for about what its chunks will take in the master (64 bytes each)
# and answered a page at a time; files of more chunks than a page are
# written, appended to and read window by window; an upload nobody
# finishes expires and frees its name.
. "$(dirname "$0")/lib.sh"

CS=512
start_cluster 1 --chunkSize "$CS" --replication 1 --upload-expiry-ms 2000
M=${MASTER%/}
J=(-H 'Content-Type: application/json')

# ---- 999,999 chunks planned: one page answered, ~64 B of master memory each
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$MASTER_PID/status"; }
before=$(rss_kib)
expect_status 200 POST "$M/upload" "${J[@]}" --data "{\"fileName\":\"huge\",\"fileSize\":$((999999 * CS))}"
after=$(rss_kib)
grep -q '"numberOfChunks":999999' "$T/body" || fail "the plan's chunk count: $(head -c 200 "$T/body")"
[ "$(grep -o '"chunkIdentifier"' "$T/body" | wc -l)" -eq 4096 ] || fail "the first page is not 4096 chunks"
[ "$(stat -c %s "$T/body")" -lt 1000000 ] || fail "the answer is $(stat -c %s "$T/body") bytes"
per=$(( (after - before) * 1024 / 999999 ))
[ "$per" -lt 100 ] || fail "planning cost the master $per bytes per chunk (RSS $before -> $after KiB)"
GEN=$(grep -o '"generation":[0-9]*' "$T/body" | cut -d: -f2)
HID=$(fileid huge)
expect_status 200 GET "$M/plan?id=$HID&generation=$GEN&from=995904"
[ "$(grep -o '"chunkIdentifier"' "$T/body" | wc -l)" -eq 4095 ] || fail "the last page is not 4095 chunks"
grep -q "\"${HID}_999998\"" "$T/body" || fail "the last page lacks the last chunk"
expect_status 400 GET "$M/plan?id=$HID&generation=$GEN&from=999999"
expect_status 410 GET "$M/plan?id=$HID&generation=$((GEN + 1))&from=0"
expect_status 400 GET "$M/plan?id=$HID&generation=$GEN&from=-1"
expect_status 404 GET "$M/plan?id=$(fileid nothing)&generation=1&from=0"
ok "a 999,999-chunk plan: $per bytes per chunk in the master, pages of 4096 chunks"

# ---- more chunks than a page: every window written, read, appended
make_file "$T/big" $((4096 * CS + 300))
client --action write --filename big --input "$T/big"
client --action read --filename big --output-filename "$T/big.out"
cmp "$T/big" "$T/big.out" || fail "a file of two windows"
make_file "$T/more" $((4096 * CS + 1000))
client --action append --filename big --input "$T/more"
cat "$T/big" "$T/more" >"$T/both"
client --action read --filename big --output-filename "$T/both.out"
cmp "$T/both" "$T/both.out" || fail "an append of two windows"
client --action read --filename big --output-filename - | cmp - "$T/both" || fail "two windows to a pipe"
expect_status 200 GET "$M/get?id=$(fileid big)&from=4096&count=10"
grep -q '"from":4096' "$T/body" || fail "a paged /get: $(head -c 200 "$T/body")"
[ "$(grep -o '"locations":\[[^]]*\]' "$T/body" | grep -o '",*"' | wc -l)" -ge 1 ] || fail "a paged /get lists no location"
expect_status 400 GET "$M/get?id=$(fileid big)&from=0&count=4097"
ok "files of more chunks than a page: written, appended to and read window by window"

# ---- a slow upload is not an abandoned one: a chunk sent at 128 B/s takes
# twice the expiry time, and its chunkserver's heartbeats, naming it as
# being written, keep the file alive.
expect_status 200 POST "$M/upload" "${J[@]}" --data "{\"fileName\":\"slow\",\"fileSize\":$CS}"
SGEN=$(grep -o '"generation":[0-9]*' "$T/body" | cut -d: -f2)
make_file "$T/slow" "$CS"
expect_status 200 PUT "http://${CS_ADDR_cs1%/}/chunks/$(fileid slow)_0" --limit-rate 128 \
    -H "X-Minidfs-Generation: $SGEN" --data-binary @"$T/slow"
client --action read --filename slow --output-filename "$T/slow.out"
cmp "$T/slow" "$T/slow.out" || fail "the slow upload"
ok "an upload slower than the expiry time, but alive, is kept"

# ---- an upload nobody finishes: removed once untouched for --upload-expiry-ms
gone() { ! curl -s "$M/files" | grep -q '"fileName":"huge"'; }
wait_until 20 "the abandoned upload to expire" gone
grep -q 'upload of "/huge" abandoned' "$T/master.log" || fail "no log line for the expiry"
curl -s "$M/files" | grep -q '"fileName":"big"' || fail "a complete file expired"
expect_status 200 POST "$M/upload" "${J[@]}" --data '{"fileName":"huge","fileSize":1}'
ok "an abandoned upload expires and its name is free again; complete files stay"
