# large.sh - a 300 MiB file at the default 64 MiB chunk size, and the same
# file at 1 MB chunks, with several chunks in flight.
. "$(dirname "$0")/lib.sh"

start_cluster 3 --replication 1
make_file "$T/big" $((300 * 1024 * 1024))
client --action write --filename big --input "$T/big"
client --action read --filename big --output-filename "$T/big.out"
cmp "$T/big" "$T/big.out" || fail "300 MiB round trip differs"
expect_layout big $((300 * 1024 * 1024)) $((64 * 1024 * 1024)) "$T/data1" "$T/data2" "$T/data3"
client --action read --filename big --output-filename - | cmp - "$T/big" || fail "300 MiB to stdout"
ok "300 MiB at 64 MiB chunks: 5 chunks, byte-exact, to a file and to a pipe"

stop_pid "$MASTER_PID"
for p in "$CS_PID_cs1" "$CS_PID_cs2" "$CS_PID_cs3"; do stop_pid "$p"; done
rm -rf "$T"/data* "$T/meta"   # a new cluster: the master remembers files
start_cluster 2 --chunkSize 1000000 --replication 1
client --action write --filename big --input "$T/big" --parallel 8
rm -f "$T/big.out"
client --action read --filename big --output-filename "$T/big.out" --parallel 8
cmp "$T/big" "$T/big.out" || fail "300 MiB at 1 MB chunks differs"
expect_layout big $((300 * 1024 * 1024)) 1000000 "$T/data1" "$T/data2"
ok "300 MiB at 1 MB chunks: 315 chunks, byte-exact"
