# concurrent.sh - 8 different files written at once, then read at once.
. "$(dirname "$0")/lib.sh"

start_cluster 3 --chunkSize 1000000 --replication 1
sizes=(0 1 999999 1000000 1000001 7340033 13000000 25000001)
pids=()
for i in "${!sizes[@]}"; do
    make_file "$T/f$i" "${sizes[$i]}"
    client --action write --filename "file-$i" --input "$T/f$i" &
    pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || fail "a concurrent write failed"; done
pids=()
for i in "${!sizes[@]}"; do
    client --action read --filename "file-$i" --output-filename "$T/o$i" &
    pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || fail "a concurrent read failed"; done
for i in "${!sizes[@]}"; do
    cmp "$T/f$i" "$T/o$i" || fail "file-$i differs"
    expect_layout "file-$i" "${sizes[$i]}" 1000000 "$T/data1" "$T/data2" "$T/data3"
done
[ "$(client --action list | grep -c complete)" -eq 8 ] || fail "list does not show 8 complete files"
ok "8 files written concurrently and read concurrently, byte-exact"
