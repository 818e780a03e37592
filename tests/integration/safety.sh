# safety.sh - operator slips that must not lose data: a second server on a
# directory already in use, a master started on the wrong (empty) meta
# directory, a master started on an old copy of its meta directory. Each
# step fails on a cluster without the protection it checks: the masters
# here collect garbage at once (--gc-grace-ms 0), so anything they were
# allowed to delete would go.
. "$(dirname "$0")/lib.sh"

CS=100000
MFLAGS=(--chunkSize "$CS" --replication 2 --gc-grace-ms 0)
CSFLAGS=(--report-every 5)
start_master "${MFLAGS[@]}"
MPORT=$(cat "$T/master.port")
for i in 1 2; do start_chunkserver "cs$i" "$T/data$i" "${CSFLAGS[@]}"; done
wait_live 2
count_chunks() { chunk_files "$T/data1" "$T/data2" | wc -l; }
write_files() { local i; for i in "$@"; do make_file "$T/f$i" $((CS * 3 + i)); client --action write --filename "f$i" --input "$T/f$i"; done; }
readable() { client --action read --filename "f$1" --output-filename "$T/probe" 2>/dev/null; }
read_all() {
    local i
    for i in 1 2 3 4 5; do
        wait_until 10 "f$i to be readable" readable "$i"
        client --action read --filename "f$i" --output-filename "$T/f$i.out"
        cmp "$T/f$i" "$T/f$i.out" || fail "f$i differs $1"
    done
}
restart_master() {   # restart_master [flags...]: SIGTERM, then start on the same port
    stop_pid "$MASTER_PID"
    start_master "${MFLAGS[@]}" --port "$MPORT" "$@"
}

# An old copy of the meta directory, taken after the first file: what a
# restore from last week's backup would bring back.
write_files 1
stop_pid "$MASTER_PID"
cp -a "$T/meta" "$T/meta-old"
rm -f "$T/meta-old/.lock"
start_master "${MFLAGS[@]}" --port "$MPORT"
wait_live 2
write_files 2 3 4 5
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

# ---- the cluster's id: recorded by every chunkserver that joined ----
CID=$(curl -s "${MASTER}chunkservers" | grep -o '"clusterId":"[0-9a-f]*"' | cut -d'"' -f4)
[ "${#CID}" -eq 32 ] || fail "the master names no cluster id: $(curl -s "${MASTER}chunkservers")"
for i in 1 2; do
    [ "$(cat "$T/data$i/.cluster-id")" = "$CID" ] || fail "data$i did not record cluster $CID"
done

# ---- a master started on the wrong, empty meta directory (the same port,
# as an operator who typed the command in the wrong directory would) ----
restart_master --meta-dir "$T/wrong"
grep -q 'a new namespace' "$T/master.log" || fail "the wrong master did not start fresh"
refused() { grep -q "belongs to cluster $CID, not to this master's cluster" "$T/$1.log"; }
wait_until 10 "cs1 to be refused" refused cs1
wait_until 10 "cs2 to be refused" refused cs2
grep -q 'is this master.s --meta-dir the right one' "$T/master.log" || fail "the master logged no refusal"
curl -s "${MASTER}chunkservers" | grep -q '"chunkservers":\[\]' \
    || fail "a refused chunkserver took a registry slot: $(curl -s "${MASTER}chunkservers")"
expect_fail 'no live chunkservers' client --action write --filename g --input "$T/f1" --retry-ms 300
# A directory of no cluster yet (as from before cluster ids) that holds
# chunks does not join a new namespace either.
mv "$T/data1/.cluster-id" "$T/cid1"
CS1PORT=$(cat "$T/cs1.port")
stop_pid "$CS_PID_cs1"
start_chunkserver cs1 "$T/data1" "${CSFLAGS[@]}" --port "$CS1PORT"
wait_until 10 "cs1 (no cluster id, 20 chunks) to be refused" \
    grep -q 'holds 20 chunks but has joined no cluster, and this master.s namespace is new' "$T/cs1.log"
[ ! -e "$T/data1/.cluster-id" ] || fail "cs1 joined the wrong cluster"
stop_pid "$CS_PID_cs1"
mv "$T/cid1" "$T/data1/.cluster-id"
# A fresh directory joins whichever master it meets first, and is then of
# that cluster for good.
start_chunkserver cs3 "$T/data3"
wait_live 1
WRONG=$(curl -s "${MASTER}chunkservers" | grep -o '"clusterId":"[0-9a-f]*"' | cut -d'"' -f4)
[ "$(cat "$T/data3/.cluster-id")" = "$WRONG" ] && [ "$WRONG" != "$CID" ] || fail "a fresh chunkserver did not join the cluster it met"
[ "$(count_chunks)" -eq "$BEFORE" ] || fail "the wrong master deleted chunks: $(count_chunks) of $BEFORE left"
ok "a master on an empty meta-dir: every chunkserver of the cluster refuses it, nothing deleted"

# The right master again: cs3 is now of another cluster and refused; the
# cluster's own servers join and every file reads back.
restart_master
start_chunkserver cs1 "$T/data1" "${CSFLAGS[@]}" --port "$CS1PORT"
wait_live 2
refused_by_right() { grep -q "belongs to cluster $WRONG, not to this master's cluster $CID" "$T/cs3.log"; }
wait_until 10 "cs3 to be refused by the right master" refused_by_right
stop_pid "$CS_PID_cs3"
read_all "after the wrong master"
ok "the right master back: all files intact"

# ---- the old copy of the meta directory: the same cluster, so the
# chunkservers join it, but it knows 1 file of 5. Their reports would have
# it delete 32 of their 40 chunks at once; it deletes none and says why.
restart_master --meta-dir "$T/meta-old"
held() { [ "$(grep -c 'none is deleted' "$T/master.log")" -ge 2 ]; }
wait_until 30 "both reports to be held back" held
grep -q 'chunks (80%) are unknown to this master' "$T/master.log" || fail "the held-back report names no share: $(grep 'none is deleted' "$T/master.log" | head -1)"
[ "$(count_chunks)" -eq "$BEFORE" ] || fail "the old master deleted chunks: $(count_chunks) of $BEFORE left"
restart_master
read_all "after the old master"
ok "an old copy of the meta-dir: reports that would delete 80% of a server are held back and logged"
