# overwrite.sh - an overwrite never costs the version it replaces until the
# new one is whole: while it is written (and after it dies, and across a
# master restart) readers get the old bytes, exactly; once its last chunk
# is stored the name switches in one step, and the old chunks go. An
# overwrite left unfinished expires like any upload, the old file intact.
. "$(dirname "$0")/lib.sh"

CS=1000000
start_cluster 2 --chunkSize "$CS" --replication 2
MPORT=$(cat "$T/master.port")
DIRS=("$T/data1" "$T/data2")
make_file "$T/v1" $((CS * 3 + 11))
make_file "$T/v2" $((CS * 64))
make_file "$T/v3" $((CS * 2 + 5))
client --action write --filename f --input "$T/v1"
id1=$(identifier_of f)

# ---- an overwrite frozen mid-way, then killed: the old version stands
mid_upload() { [ "$(tmp_files "${DIRS[@]}")" -gt 0 ]; }
"$MINIDFS" client --master "$MASTER" --quiet --action write --filename f --input "$T/v2" --overwrite &
cpid=$!
PIDS+=("$cpid")
wait_until 30 "the overwrite's chunks in flight" mid_upload
kill -STOP "$cpid"
client --action read --filename f --output-filename "$T/got"
cmp "$T/v1" "$T/got" || fail "a read during an overwrite is not the old version"
client --action list >"$T/list"
grep -qE "^f +$((CS * 3 + 11)) +4 complete " "$T/list" || fail "list during an overwrite: $(cat "$T/list")"
kill -9 "$cpid"
wait "$cpid" 2>/dev/null || true
client --action read --filename f --output-filename "$T/got"
cmp "$T/v1" "$T/got" || fail "a dead overwrite cost the old version"
ok "an overwrite under way, then dead: readers get the old version, byte-exact"

# ---- and across a master restart (the replacement is in the journal)
kill -9 "$MASTER_PID"
wait "$MASTER_PID" 2>/dev/null || true
start_master --chunkSize "$CS" --replication 2 --port "$MPORT"
wait_live 2
client --retry-ms 30000 --action read --filename f --output-filename "$T/got"
cmp "$T/v1" "$T/got" || fail "after a restart, the old version is gone"
[ "$(identifier_of f)" = "$id1" ] || fail "the dead overwrite took the name over"
ok "after a master restart the old version still stands"

# ---- an overwrite that finishes: the new bytes, under a new identifier;
# the old version's chunks and the dead replacement's go
client --action write --filename f --input "$T/v3" --overwrite
client --action read --filename f --output-filename "$T/got"
cmp "$T/v3" "$T/got" || fail "a finished overwrite does not read back"
id3=$(identifier_of f)
[ -n "$id3" ] && [ "$id3" != "$id1" ] || fail "identifier after the overwrite: '$id3'"
only_new() { [ -z "$(chunk_files "${DIRS[@]}" | grep -v "^${id3}_" || true)" ]; }
wait_until 15 "every chunk but the new version's to be deleted" only_new
expect_layout_of "$id3" $((CS * 2 + 5)) "$CS" "$T/data1"
expect_layout_of "$id3" $((CS * 2 + 5)) "$CS" "$T/data2"
ok "a finished overwrite switches the name; old and abandoned chunks are deleted"

# ---- an overwrite nobody finishes expires; the file is untouched. One
# chunk at a time (--parallel 1), so that the writer is killed long before
# its 64 chunks are all stored: with its default parallelism an idle
# machine stored all of them (0.6 s) before the poll below saw the first.
stop_pid "$MASTER_PID"
start_master --chunkSize "$CS" --replication 2 --port "$MPORT" --upload-expiry-ms 1500 --safemode-ms 100
wait_live 2
"$MINIDFS" client --master "$MASTER" --quiet --action write --filename f --input "$T/v2" --overwrite \
    --parallel 1 &
cpid=$!
PIDS+=("$cpid")
some_stored() { [ -n "$(chunk_files "${DIRS[@]}" | grep -v "^${id3}_" || true)" ]; }
wait_until 30 "a chunk of the overwrite stored" some_stored
kill -9 "$cpid"
wait "$cpid" 2>/dev/null || true
expired() { grep -q 'upload of "/f" abandoned' "$T/master.log"; }
wait_until 30 "the abandoned overwrite to expire" expired
wait_until 15 "the abandoned overwrite's chunks to go" only_new
client --action read --filename f --output-filename "$T/got"
cmp "$T/v3" "$T/got" || fail "an expired overwrite cost the file"
ok "an abandoned overwrite expires; the file it would have replaced is intact"
