# memory.sh - memory stays bounded: a 2 GiB file at 64 MiB chunks, two
# copies through the write pipeline, keeps the client, the master and
# every chunkserver under 64 MiB resident.
. "$(dirname "$0")/lib.sh"

: "${MAXRSS:?set MAXRSS to the maxrss helper (ctest does)}"
SIZE=$((2 * 1024 * 1024 * 1024))
LIMIT_KB=$((64 * 1024))
avail_kb=$(df -Pk "$T" | awk 'NR == 2 { print $4 }')
[ "$avail_kb" -gt $((9 * 1024 * 1024)) ] || skip "needs 9 GiB free in $T (has $((avail_kb / 1024)) MiB)"

start_cluster 2
make_file "$T/in" "$SIZE"
# Cold, as a file written long ago, so that the upload reads it direct and
# its read-ahead blocks count too.
sync "$T/in" && dd if="$T/in" iflag=nocache count=0 status=none
"$MAXRSS" "$T/rss.write" "$MINIDFS" client --master "$MASTER" --quiet --action write --filename in --input "$T/in"
"$MAXRSS" "$T/rss.read" "$MINIDFS" client --master "$MASTER" --quiet --action read --filename in --output-filename "$T/out"
cmp "$T/in" "$T/out" || fail "2 GiB round trip differs"
rm -f "$T/out"
"$MAXRSS" "$T/rss.pipe" sh -c "\"$MINIDFS\" client --master \"$MASTER\" --quiet --action read --filename in --output-filename - | cmp - \"$T/in\""

hwm() { awk '/^VmHWM/ { print $2 }' "/proc/$1/status"; }
report=""
check() {
    local what=$1 kb=$2
    report+=" $what=${kb}KiB"
    [ "$kb" -lt "$LIMIT_KB" ] || fail "$what peaked at $kb KiB resident (limit $LIMIT_KB)"
}
check client-write "$(cut -d" " -f1 "$T/rss.write")"
check client-read "$(cut -d" " -f1 "$T/rss.read")"
check client-read-pipe "$(cut -d" " -f1 "$T/rss.pipe")"
check master "$(hwm "$MASTER_PID")"
check chunkserver1 "$(hwm "$CS_PID_cs1")"
check chunkserver2 "$(hwm "$CS_PID_cs2")"
ok "2 GiB at 64 MiB chunks, peak resident:$report"
