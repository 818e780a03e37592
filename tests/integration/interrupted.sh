# interrupted.sh - a client killed mid-upload leaves no partial chunk under
# a real name and no readable half-file; the chunkserver drops the
# unfinished temporary when the connection dies.
. "$(dirname "$0")/lib.sh"

CS=1000000
start_cluster 2 --chunkSize "$CS" --replication 1
DIRS=("$T/data1" "$T/data2")
SIZE=$((512 * 1024 * 1024))
make_file "$T/in" "$SIZE"

mid_upload() { [ "$(tmp_files "${DIRS[@]}")" -gt 0 ]; }
caught=0
for attempt in 1 2 3; do
    # Run the binary itself, not the shell function: the signals below
    # must reach the client, not a subshell around it.
    "$MINIDFS" client --master "$MASTER" --quiet --action write --filename in --input "$T/in" --overwrite &
    cpid=$!
    PIDS+=("$cpid")
    wait_until 30 "a chunk upload in flight" mid_upload
    kill -STOP "$cpid"
    # Frozen mid-chunk: every chunk under a real name is whole, and the file
    # is not readable.
    if curl -s "${MASTER}files" | grep -q '"complete":false'; then
        caught=1
        chunk_files "${DIRS[@]}" | awk -v cs="$CS" '$2 != cs { exit 1 }' \
            || fail "a partial chunk is visible under its real name"
        expect_fail 'incomplete' client --action read --filename in --output-filename "$T/out"
        [ ! -e "$T/out" ] || fail "a failed read left an output file"
    fi
    kill -9 "$cpid"
    wait "$cpid" 2>/dev/null || true
    [ "$caught" = 1 ] && break
done
[ "$caught" = 1 ] || fail "could not catch the upload in flight"
no_tmp() { [ "$(tmp_files "${DIRS[@]}")" -eq 0 ]; }
wait_until 10 "the chunkservers to drop the unfinished temporaries" no_tmp
chunk_files "${DIRS[@]}" | awk -v cs="$CS" '$2 != cs { exit 1 }' || fail "a partial chunk is visible"
curl -s "${MASTER}files" | grep -q '"complete":false' || fail "killed upload shows as complete"
expect_fail 'incomplete' client --action read --filename in --output-filename "$T/out"
ok "client killed mid-upload: only whole chunks on disk, temporaries dropped, file unreadable"

client --action write --filename in --input "$T/in" --overwrite
client --action read --filename in --output-filename "$T/out"
cmp "$T/in" "$T/out" || fail "rewrite after the kill differs"
expect_layout in "$SIZE" "$CS" "${DIRS[@]}"
ok "the same upload run again with --overwrite completes byte-exact"

# A peer that starts an upload and goes silent is cut off after the
# chunkserver's --timeout, and what it sent is dropped.
start_chunkserver stall "$T/stall" --timeout 1
curl -sf -X POST "${MASTER%/}/upload" -d '{"fileName":"stalled","fileSize":1000000}' >/dev/null
exec 3<>"/dev/tcp/127.0.0.1/$(cat "$T/stall.port")"
printf 'PUT /chunks/%s_0 HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n' "$(fileid stalled)" >&3
head -c 1000 /dev/zero >&3
has_tmp() { [ "$(tmp_files "$T/stall")" -gt 0 ]; }
wait_until 5 "the stalled upload to start" has_tmp
no_stall_tmp() { [ "$(tmp_files "$T/stall")" -eq 0 ]; }
wait_until 10 "the stalled upload to be dropped" no_stall_tmp
exec 3>&-
[ -z "$(chunk_files "$T/stall")" ] || fail "a stalled upload left a chunk"
ok "an uploader that goes silent is cut off at --timeout; nothing kept"
