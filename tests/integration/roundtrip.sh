# roundtrip.sh - the issue's own scenario and the chunk-boundary sizes,
# written, read back and compared with cmp; the chunk layout on disk
# checked file by file.
. "$(dirname "$0")/lib.sh"

CS=1000000
start_cluster 3 --chunkSize "$CS" --replication 1
DIRS=("$T/data1" "$T/data2" "$T/data3")

for size in 0 1 $((CS - 1)) $CS $((CS + 1)); do
    name="size-$size.bin"
    make_file "$T/$name" "$size"
    client --action write --filename "$name" --input "$T/$name"
    client --action read --filename "$name" --output-filename "$T/$name.out"
    cmp "$T/$name" "$T/$name.out" || fail "round trip of $size bytes differs"
    expect_layout "$name" "$size" "$CS" "${DIRS[@]}"
    ok "round trip of $size bytes"
done

# A cold input (not in the page cache, as a file written long ago): the
# client reads it with direct I/O, which leaves it out of the cache, at
# chunk offsets that are not block-aligned; appended from cold, too.
resident() { fincore --bytes --noheadings --output RES "$1" | tr -d ' '; }
make_cold() { sync "$1" && dd if="$1" iflag=nocache count=0 status=none; [ "$(resident "$1")" = 0 ]; }
make_file "$T/cold" $((3 * CS + 12345))
if make_cold "$T/cold"; then
    client --action write --filename cold --input "$T/cold"
    [ "$(resident "$T/cold")" = 0 ] || fail "the cold input was read through the page cache"
    client --action read --filename cold --output-filename "$T/cold.out"
    cmp "$T/cold" "$T/cold.out" || fail "round trip of a cold input differs"
    make_file "$T/cold2" $((CS + 777))
    make_cold "$T/cold2" || fail "cannot drop the second input from the cache"
    client --action append --filename cold --input "$T/cold2"
    client --action read --filename cold --output-filename "$T/cold.out"
    cat "$T/cold" "$T/cold2" | cmp - "$T/cold.out" || fail "append of a cold input differs"
    ok "a cold input written and appended with direct reads, unaligned offsets, byte-exact"
else
    echo "# skipped the cold input: this filesystem keeps it in the page cache" >&2
fi

# The issue's scenario, run from the directory as a user would.
cd "$T"
make_file input.txt 32750109
client --action write --filename input.txt
client --action read --filename input.txt --output-filename output.txt
cmp input.txt output.txt || fail "input.txt differs after the round trip"
diff input.txt output.txt >/dev/null || fail "diff finds a difference"
expect_layout input.txt 32750109 "$CS" "${DIRS[@]}"
id=$(fileid input.txt)
[ "$(ls "$T/data1/${id}_32" "$T/data2/${id}_32" "$T/data3/${id}_32" 2>/dev/null | wc -l)" -eq 1 ] \
    || fail "chunk 32 is not in exactly one directory"
[ "$(stat -c %s "$(ls "$T"/data*/"${id}_32")")" -eq 750109 ] || fail "last chunk is not 750109 bytes"
for d in "${DIRS[@]}"; do
    n=$(chunk_files "$d" | grep -c "^${id}_")
    [ "$n" -eq 11 ] || fail "$d holds $n of the 33 chunks; expected an even 11"
done
ok "32750109 bytes: 33 chunks, named and sized right, 11 per chunkserver"

# Default output name, and stdout into a pipe and into a file.
mkdir -p "$T/elsewhere" && (cd "$T/elsewhere" && client --action read --filename input.txt)
cmp input.txt "$T/elsewhere/input.txt" || fail "default output name"
client --action read --filename input.txt --output-filename - | cmp - input.txt || fail "stdout pipe"
client --action read --filename input.txt --output-filename - >"$T/redirected"
cmp input.txt "$T/redirected" || fail "stdout redirected to a file"
client --action read --filename size-0.bin --output-filename - | cmp - /dev/null || fail "empty to stdout"
ok "read to the default name, to a pipe, to a redirected stdout"

# The same name again: refused; with --overwrite: replaced.
expect_fail 'already exists' client --action write --filename input.txt
make_file input2.txt 2500000
client --action write --filename input.txt --input input2.txt --overwrite
client --action read --filename input.txt --output-filename output2.txt
cmp input2.txt output2.txt || fail "overwrite did not replace the content"
# The new version's chunks carry an identifier of their own (the old
# version stayed readable until they were all stored); the old chunks
# go with the next heartbeats.
newid=$(identifier_of input.txt)
[ -n "$newid" ] && [ "$newid" != "$id" ] || fail "an overwrite kept identifier $newid"
old_gone() { [ "$(chunk_files "${DIRS[@]}" | grep -c "^${id}_")" -eq 0 ]; }
wait_until 10 "the overwritten file's chunks to be deleted" old_gone
expect_layout_of "$newid" 2500000 "$CS" "${DIRS[@]}"
ok "overwrite refused without --overwrite, replaces with it (old chunks gone)"
id=$newid

# list and delete.
client --action list >"$T/list"
grep -qE '^input.txt +2500000 +3 complete ' "$T/list" || fail "list: $(cat "$T/list")"
grep -qE '^size-0.bin +0 +0 complete ' "$T/list" || fail "list lacks the empty file"
client --action delete --filename input.txt
no_chunks() { [ -z "$(chunk_files "${DIRS[@]}" | grep "^${id}_" || true)" ]; }
wait_until 10 "a deleted file's chunks to be removed by the heartbeats" no_chunks
[ -z "$(find "${DIRS[@]}" -maxdepth 1 -name "*${id}_*")" ] || fail "files of a deleted file remain"
expect_fail 'no file named "input.txt"' client --action read --filename input.txt --output-filename "$T/gone"
[ ! -e "$T/gone" ] || fail "a failed read created its output"
expect_fail 'no file named' client --action delete --filename input.txt
ok "list, delete (chunks removed), read after delete fails cleanly"
