# fulldisk.sh - a chunkserver whose disk is full refuses the chunk cleanly
# (507 with a JSON error, nothing kept) and the client puts it elsewhere;
# one whose filesystem cannot keep chunk meta refuses to start.
# The full disk is a 3 MiB tmpfs mounted in a private mount namespace of
# that chunkserver, so the test never touches the machine's own mounts.
. "$(dirname "$0")/lib.sh"

command -v unshare >/dev/null || skip "unshare is not available"
unshare -m sh -c 'mount -t tmpfs -o size=1m tmpfs /mnt' 2>/dev/null \
    || skip "cannot mount a tmpfs in a private namespace here (needs root)"

# ramfs keeps no extended attributes: a clear line and a non-zero exit,
# before any chunk could be taken without its version and checksum.
if unshare -m sh -c 'mount -t ramfs ramfs /mnt' 2>/dev/null; then
    rc=0
    unshare -m sh -c 'mount -t ramfs ramfs "$1" && shift && exec "$@"' sh "$T" \
        timeout 10 "$MINIDFS" chunkserver --master http://127.0.0.1:9/ --port 0 --dir "$T/ramfs" \
        2>"$T/ramfs.err" || rc=$?
    [ "$rc" -ne 0 ] || fail "a chunkserver on ramfs started"
    [ "$(wc -l <"$T/ramfs.err")" -eq 1 ] && grep -q 'keeps no user extended attributes' "$T/ramfs.err" \
        || fail "chunkserver on ramfs said: $(cat "$T/ramfs.err")"
    ok "a filesystem without extended attributes: the chunkserver refuses to start, in one line"
fi

# The master's meta disk fills: every change gets a 503 (nothing is
# acknowledged that is not on disk), and once there is room again the
# journal goes on by itself, without a restart. The meta-dir is a 1 MiB
# tmpfs in the master's own mount namespace.
mkdir -p "$T/metadisk"
unshare -m sh -c 'mount -t tmpfs -o size=1m tmpfs "$1" && shift && exec "$@"' sh "$T/metadisk" \
    "$MINIDFS" master --port 0 --port-file "$T/m2.port" --meta-dir "$T/metadisk/meta" \
    --chunkSize 1000 2>>"$T/m2.log" &
M2_PID=$!
PIDS+=("$M2_PID")
wait_until 10 "the master on a small disk to listen" port_ready "$T/m2.port" "$M2_PID" "$T/m2.log"
M2="http://127.0.0.1:$(cat "$T/m2.port")"
METAVIEW=/proc/$M2_PID/root$T/metadisk   # its disk as the master sees it
J=(-H 'Content-Type: application/json')
expect_status 200 POST "$M2/upload" "${J[@]}" --data '{"fileName":"before","fileSize":0}'
dd if=/dev/zero of="$METAVIEW/filler" bs=4k 2>/dev/null || true   # until the disk is full
# the log's last page may still have room: long paths (components of at
# most 255 bytes) until it has none
comp=$(head -c 200 /dev/zero | tr '\0' n)
long="$comp/$comp/$comp/$comp/$comp/$comp/$comp/$comp/$comp/$comp/$comp/$comp/$comp/$comp"
for i in $(seq 1 20); do
    code=$(http POST "$M2/upload" "${J[@]}" --data "{\"fileName\":\"during$i-$long\",\"fileSize\":0}")
    [ "$code" = 200 ] || break
done
[ "$code" = 503 ] || fail "a change on a full meta disk answered $code: $(cat "$T/body")"
grep -q 'No space left on device' "$T/body" || fail "the full meta disk's 503 says: $(cat "$T/body")"
during="during$i-$long"
rm -f "$METAVIEW/filler"
# (each try a new name: a change that got a 503 may still be applied in
# memory, and go to disk with the others once there is room)
tries=0
goes_through() {
    tries=$((tries + 1))
    [ "$(http POST "$M2/upload" "${J[@]}" --data "{\"fileName\":\"after$tries\",\"fileSize\":0}")" = 200 ]
}
wait_until 10 "a change to go through once there is room" goes_through
grep -q 'there is room again' "$T/m2.log" || fail "the master did not say the journal went on"
for f in before "$during" "after$tries"; do
    curl -s "$M2/files" | grep -q "\"fileName\":\"$f\"" || fail "${f:0:20} is not listed after the disk had room again"
done
ok "the master's meta disk full: 503s, then the journal goes on by itself once there is room"

# A chunk's meta is a user extended attribute, which tmpfs keeps from
# Linux 6.6 on.
IFS=. read -r kmaj kmin _ <<<"$(uname -r)"
[ "$kmaj" -gt 6 ] || { [ "$kmaj" -eq 6 ] && [ "${kmin%%[!0-9]*}" -ge 6 ]; } \
    || skip "tmpfs keeps no user extended attributes before Linux 6.6 (this is $(uname -r))"

CS=1000000
start_master --chunkSize "$CS" --replication 1
mkdir -p "$T/small"
rm -f "$T/full.port"
unshare -m sh -c 'mount -t tmpfs -o size=3m tmpfs "$1" && shift && exec "$@"' sh "$T/small" \
    "$MINIDFS" chunkserver --master "$MASTER" --port 0 --port-file "$T/full.port" \
    --dir "$T/small" --heartbeat-ms 200 2>>"$T/full.log" &
FULL_PID=$!
PIDS+=("$FULL_PID")
wait_until 10 "the small chunkserver to listen" port_ready "$T/full.port" "$FULL_PID" "$T/full.log"
FULL="127.0.0.1:$(cat "$T/full.port")"
start_chunkserver big "$T/big"
wait_live 2
VIEW=/proc/$FULL_PID/root$T/small      # the small disk as its chunkserver sees it

make_file "$T/in" 12000000
client --action write --filename in --input "$T/in"
client --action read --filename in --output-filename "$T/out"
cmp "$T/in" "$T/out" || fail "round trip with one full chunkserver"
n_small=$(chunk_files "$VIEW" | wc -l)
[ "$n_small" -ge 1 ] && [ "$n_small" -le 3 ] || fail "the 3 MiB disk holds $n_small chunks"
expect_layout in 12000000 "$CS" "$VIEW" "$T/big"
grep -q '507 .*No space left' "$T/full.log" || fail "the small chunkserver never ran out of space"
[ "$(tmp_files "$VIEW")" -eq 0 ] || fail "refused chunks left temporaries on the full disk"
ok "a full disk: chunks refused there went to the other chunkserver"

# Directly: 507 with a JSON error, no temporary left. The client's write
# above may have left room for one more chunk there (how many landed
# depends on how its uploads raced for the space): fill what is left.
dd if=/dev/zero of="$VIEW/.fill" bs=4k status=none 2>/dev/null || true
head -c 2000000 /dev/urandom >"$T/in2"
http POST "${MASTER%/}/upload" -H 'Content-Type: application/json' --data '{"fileName":"x","fileSize":1000000}' >/dev/null
code=$(http PUT "http://$FULL/chunks/$(fileid x)_0" --data-binary @<(head -c 1000000 "$T/in2"))
[ "$code" = 507 ] || fail "PUT to a full disk answered $code: $(cat "$T/body")"
grep -q '^{"error":".*No space left' "$T/body" || fail "507 body: $(cat "$T/body")"
[ "$(tmp_files "$VIEW")" -eq 0 ] || fail "a refused chunk left a temporary on the full disk"
[ ! -e "$VIEW/$(fileid x)_0" ] || fail "a refused chunk is visible"
ok "PUT to a full disk: 507 {\"error\": \"...No space left...\"}, nothing kept"
