# append.sh - --action append: bytes added at the end of an existing file,
# through the last chunk's primary (which fills it on every replica) and
# then new chunks; one appender per file at a time, the others retry.
# 4 clients each append 50 records at once: every record is whole, none is
# lost or interleaved, and every replica of every chunk is byte-identical.
. "$(dirname "$0")/lib.sh"

CS=4096
start_master --chunkSize "$CS" --replication 3 --lease-ms 5000
for i in 1 2 3 4; do start_chunkserver "cs$i" "$T/data$i"; done
wait_live 4
DIRS=("$T"/data{1..4})

# ---- the basics
make_file "$T/base" 5000
client --action write --filename log --input "$T/base"
make_file "$T/more" 3000
client --action append --filename log --input "$T/more"
cat "$T/base" "$T/more" >"$T/want"
client --action read --filename log --output-filename "$T/got"
cmp "$T/want" "$T/got" || fail "append across a partial chunk"
make_file "$T/big" 20000
client --action append --filename log --input "$T/big"
cat "$T/big" >>"$T/want"
client --action read --filename log --output-filename "$T/got"
cmp "$T/want" "$T/got" || fail "append of several chunks"
: >"$T/empty"
client --action write --filename fresh --input "$T/empty"
client --action append --filename fresh --input "$T/more"
client --action read --filename fresh --output-filename "$T/got"
cmp "$T/more" "$T/got" || fail "append to an empty file"
expect_fail 'no file named' client --action append --filename nosuch --input "$T/more"
curl -s "${MASTER}files" | grep -q '"fileName":"log","identifier":"[0-9a-f]*","fileSize":28000' \
    || fail "the master does not list log at 28000 bytes: $(curl -s "${MASTER}files")"
ok "append: across a partial chunk, several chunks, to an empty file; an unknown file is refused"

# ---- one appender at a time: a second is told to retry, and the client
# does, until the first is done (here: abandoned, so it leaves no bytes).
J=(-H 'Content-Type: application/json')
expect_status 200 POST "${MASTER}append" "${J[@]}" --data '{"fileName":"log","size":10}'
token=$(grep -o '"token":[0-9]*' "$T/body" | cut -d: -f2)
expect_status 409 POST "${MASTER}append" "${J[@]}" --data '{"fileName":"log","size":10}'
grep -q '"retryAfterMs":[0-9]' "$T/body" || fail "a busy append is not told to retry: $(cat "$T/body")"
"$MINIDFS" client --master "$MASTER" --quiet --action append --filename log --input "$T/more" &
waiting=$!
PIDS+=("$waiting")
expect_status 200 POST "${MASTER}appendDone" "${J[@]}" --data "{\"fileName\":\"log\",\"token\":$token,\"abort\":true}"
wait "$waiting" || fail "the waiting appender failed once the file was free"
cat "$T/more" >>"$T/want"
client --action read --filename log --output-filename "$T/got"
cmp "$T/want" "$T/got" || fail "after an abandoned and a retried append"
expect_status 410 POST "${MASTER}appendDone" "${J[@]}" --data "{\"fileName\":\"log\",\"token\":$token}"
ok "a second appender is told to retry and does; an abandoned append leaves no bytes"

# ---- 4 clients x 50 records, all at once
: >"$T/empty"
client --action write --filename records --input "$T/empty"
record() {   # record CLIENT SEQ: one self-describing line of 40 to 1040 bytes
    local pad=$(( ($1 * 7919 + $2 * 104729) % 1000 ))
    printf 'client=%d seq=%02d pad=%04d %s|\n' "$1" "$2" "$pad" "$(head -c "$pad" /dev/zero | tr '\0' "$(printf \\$(printf '%03o' $((97 + $1))))")"
}
appender() {
    local c=$1 n
    for n in $(seq 1 50); do
        record "$c" "$n" >"$T/rec.$c"
        "$MINIDFS" client --master "$MASTER" --quiet --action append --filename records \
            --input "$T/rec.$c" || { echo "client $c record $n failed" >>"$T/append.errors"; return 1; }
    done
}
apids=()
for c in 1 2 3 4; do appender "$c" & apids+=($!); done
for p in "${apids[@]}"; do wait "$p" || fail "an appender failed: $(cat "$T/append.errors" 2>/dev/null)"; done
client --action read --filename records --output-filename "$T/records"
[ "$(wc -l <"$T/records")" -eq 200 ] || fail "$(wc -l <"$T/records") records, expected 200"
for c in 1 2 3 4; do
    for n in $(seq 1 50); do record "$c" "$n"; done >"$T/want.$c"
    grep "^client=$c " "$T/records" >"$T/got.$c" || true
    # whole, not interleaved, each once, in the order its client appended
    cmp "$T/want.$c" "$T/got.$c" || fail "client $c's records are not all there, whole and in order"
done
ok "4 clients x 50 concurrent appends: 200 records, each whole, none lost or interleaved"

# ---- every replica of every chunk holds the same bytes as the file
size=$(stat -c %s "$T/records")
id=$(fileid records)
three() {
    local i
    for ((i = 0; i * CS < size; i++)); do
        [ "$(find "${DIRS[@]}" -maxdepth 1 -name "${id}_$i" | wc -l)" -ge 3 ] || return 1
    done
}
wait_until 20 "every chunk of records to have 3 copies" three
for ((i = 0; i * CS < size; i++)); do
    for f in $(find "${DIRS[@]}" -maxdepth 1 -name "${id}_$i"); do
        cmp -s "$f" <(tail -c +$((i * CS + 1)) "$T/records" | head -c "$CS") \
            || fail "replica $f of chunk $i differs from the file"
    done
done
ok "every replica of every chunk of the appended file is byte-identical to it"

# ---- a master restart keeps the appended size (it is journalled)
kill -9 "$MASTER_PID"
wait "$MASTER_PID" 2>/dev/null || true
MPORT=$(cat "$T/master.port")
start_master --chunkSize "$CS" --replication 3 --lease-ms 5000 --port "$MPORT"
readable() { client --action read --filename records --output-filename "$T/after" 2>/dev/null; }
wait_until 10 "records to be readable after a master restart" readable
cmp "$T/records" "$T/after" || fail "records differ after a master restart"
ok "appends survive a master restart"
