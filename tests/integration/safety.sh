# safety.sh - operator slips that must not lose data: a second server on a
# directory already in use, a master started on the wrong (empty) meta
# directory, a master whose namespace lost most of a server's chunks. Each
# step fails on a cluster without the protection it checks.
. "$(dirname "$0")/lib.sh"

CS=100000
start_cluster 2 --chunkSize "$CS" --replication 2
for i in 1 2 3 4 5; do make_file "$T/f$i" $((CS * 3 + i)); client --action write --filename "f$i" --input "$T/f$i"; done
count_chunks() { chunk_files "$T/data1" "$T/data2" | wc -l; }
BEFORE=$(count_chunks)
[ "$BEFORE" -eq 40 ] || fail "expected 40 chunk files, found $BEFORE"

# ---- one server per directory ----
expect_fail "in use by another master \(pid $MASTER_PID\)" \
    "$MINIDFS" master --port 0 --meta-dir "$T/meta"
[ "$LAST_RC" -eq 1 ] || fail "a second master on one meta-dir exits $LAST_RC"
expect_fail "in use by another chunkserver \(pid $CS_PID_cs1\)" \
    "$MINIDFS" chunkserver --master "$MASTER" --port 0 --dir "$T/data1"
[ "$(count_chunks)" -eq "$BEFORE" ] || fail "a refused second server changed the chunk files"
ok "a second master or chunkserver on a directory in use is refused, naming the holder's pid"
