# interrupted.sh - a client killed mid-upload leaves no partial chunk under
# a real name and no readable half-file; the chunkserver drops the
# unfinished temporary when the connection dies.
. "$(dirname "$0")/lib.sh"

CS=1000000
start_cluster 2 --chunkSize "$CS"
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
