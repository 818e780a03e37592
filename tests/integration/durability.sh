# durability.sh - what the cluster survives: the master killed (-9) and
# restarted from its journal, a torn journal tail, a chunk file that rots or
# vanishes on disk, a chunkserver killed during a download, a chunkserver
# restarted with its directory, and garbage left on a chunkserver. Every
# read is compared with cmp.
. "$(dirname "$0")/lib.sh"

CS=1000000
MFLAGS=(--chunkSize "$CS" --replication 3 --gc-grace-ms 1500 --dead-after-ms 1500 --repair-ms 200)
# No scrubbing: the rotten and vanished replicas below must be found by
# the readers (scrub.sh covers the scrubber).
CSFLAGS=(--report-every 5 --scrub-mbps 0)
start_master "${MFLAGS[@]}"
MPORT=$(cat "$T/master.port")
for i in 1 2 3 4; do start_chunkserver "cs$i" "$T/data$i" "${CSFLAGS[@]}"; done
wait_live 4
DIRS=("$T"/data{1..4})

restart_master() {
    kill -9 "$MASTER_PID"
    wait "$MASTER_PID" 2>/dev/null || true
    start_master "${MFLAGS[@]}" --port "$MPORT"
}
readable() { client --action read --filename "$1" --output-filename "$T/probe" 2>/dev/null; }
# copies NAME I: live chunk files of chunk I of NAME that hold the right bytes.
copies() {
    local f n=0
    for f in $(find "${DIRS[@]}" -maxdepth 1 -name "$(fileid "$1")_$2"); do
        cmp -s "$f" <(tail -c +$(($2 * CS + 1)) "$T/$1" | head -c "$CS") && n=$((n + 1))
    done
    echo "$n"
}

for f in a b c; do make_file "$T/$f" $((3 * CS + 777)); client --action write --filename "$f" --input "$T/$f"; done
client --action delete --filename c

# ---- the master killed and restarted: the namespace comes back from the
# journal, the locations from the chunkservers' reports.
restart_master
wait_until 10 "the chunkservers to report to the new master" readable a
for f in a b; do
    client --action read --filename "$f" --output-filename "$T/$f.out"
    cmp "$T/$f" "$T/$f.out" || fail "$f differs after a master restart"
done
expect_fail 'no file named "c"' client --action read --filename c --output-filename "$T/c.out"
grep -q 'recovered 2 files' "$T/master.log" || fail "the master did not say what it recovered"
ok "master killed -9 and restarted: files back from the journal, chunk locations from reports"

# ---- a torn journal tail (a crash mid-write): reported, dropped, nothing
# acknowledged lost.
make_file "$T/d" 1234
client --action write --filename d --input "$T/d"
kill -9 "$MASTER_PID"
wait "$MASTER_PID" 2>/dev/null || true
log=$(ls "$T/meta"/log.* | sort -t. -k2 -n | tail -1)
[ -s "$log" ] || fail "the journal holds nothing after an acknowledged write"
printf '\x40\x00\x00\x00\x01\x02\x03\x04{"op":"cre' >>"$log"   # a record cut short
start_master "${MFLAGS[@]}" --port "$MPORT"
grep -q 'torn record' "$T/master.log" || fail "the torn tail was not reported"
wait_until 10 "d to be readable again" readable d
client --action read --filename d --output-filename "$T/d.out"
cmp "$T/d" "$T/d.out" || fail "d differs after a torn tail"
ok "a torn journal tail is reported and dropped; the acknowledged write before it survives"

# ---- a flipped byte in the last, acknowledged, record is damage, not a
# torn write: the master refuses to start, and names --recover, which keeps
# every record before it, sets the log aside and says what it dropped.
make_file "$T/flipped" 1234
client --action write --filename flipped --input "$T/flipped"
kill -9 "$MASTER_PID"
wait "$MASTER_PID" 2>/dev/null || true
log=$(ls "$T/meta"/log.* | grep -v damaged | sort -t. -k2 -n | tail -1)
size=$(stat -c %s "$log")
printf 'X' | dd of="$log" bs=1 seek=$((size - 10)) conv=notrunc status=none
expect_fail 'a whole record whose check fails.*--recover' \
    "$MINIDFS" master --log-level warn --port 0 --meta-dir "$T/meta" "${MFLAGS[@]}"
start_master "${MFLAGS[@]}" --port "$MPORT" --recover
grep -q "recovering .*damaged at byte .*dropped .* bytes" "$T/master.log" || fail "--recover did not say what it dropped"
[ -e "$log.damaged" ] || fail "the damaged log was not kept aside"
wait_until 10 "d to be readable after the recovery" readable d
cmp "$T/d" "$T/probe" || fail "d differs after --recover"
restart_master   # and the next start needs nothing
ok "a flipped byte in the last record: refused, then --recover keeps what precedes it"

# Before reading around bad replicas, every chunkserver must have
# reported to this master: each chunk of a and b listed with 3 holders
# (4 chunks: 4 locations + 12 replicas).
wait_live 4
all_reported() {
    local f
    for f in a b; do
        [ "$(curl -s "${MASTER}get?id=$(fileid "$f")" | grep -o '127\.0\.0\.1:' | wc -l)" -eq 16 ] || return 1
    done
}
wait_until 10 "every chunkserver to report a and b" all_reported

# ---- a byte flipped in one replica: the read is still right, the bad
# replica is found, removed and replaced.
victim=$(find "${DIRS[@]}" -maxdepth 1 -name "$(fileid a)_1" | head -1)
flip_byte "$victim" 4242
for k in 1 2 3 4 5 6; do   # /get turns the replicas' order: each one is read first twice
    client --action read --filename a --output-filename "$T/a.out" 2>/dev/null
    cmp "$T/a" "$T/a.out" || fail "read of a with a rotten replica differs"
done
three_good() { [ "$(copies a 1)" -eq 3 ]; }
wait_until 20 "the rotten replica to be replaced (3 good copies of a_1)" three_good
grep -q 'corrupt' "$T"/cs*.log || fail "no chunkserver reported the corruption"
ok "a flipped byte: reads stay right, the replica is reported, removed and replaced"

# ---- a chunk file deleted on disk: the same.
victim=$(find "${DIRS[@]}" -maxdepth 1 -name "$(fileid b)_2" | head -1)
rm -f "$victim"
for k in 1 2 3 4 5 6; do
    client --action read --filename b --output-filename "$T/b.out" 2>/dev/null
    cmp "$T/b" "$T/b.out" || fail "read of b with a vanished replica differs"
done
three_b() { [ "$(copies b 2)" -eq 3 ]; }
wait_until 20 "the vanished replica to be replaced (3 copies of b_2)" three_b
ok "a chunk file deleted on disk: reads stay right, the replica is replaced"

# ---- a chunk file cut short on disk: a reader gets a short 206 from it,
# reads another copy, and reports this one like a checksum failure.
victim=$(find "${DIRS[@]}" -maxdepth 1 -name "$(fileid b)_1" | head -1)
truncate -s 1000 "$victim"
for k in 1 2 3 4 5 6; do
    client --action read --filename b --output-filename "$T/b.out" 2>>"$T/short.err"
    cmp "$T/b" "$T/b.out" || fail "read of b with a truncated replica differs"
done
grep -q "it sent 1000 of the chunk's $CS bytes; reported" "$T/short.err" || fail "the short replica was not reported: $(cat "$T/short.err")"
three_b1() { [ "$(copies b 1)" -eq 3 ]; }
wait_until 20 "the truncated replica to be replaced (3 copies of b_1)" three_b1
ok "a chunk file cut short on disk: reported like a checksum failure, and replaced"

# ---- garbage on a chunkserver (a chunk no file has, as a crash could
# leave; it gets its meta at start) goes after the grace period; a chunkserver restarted
# with its directory keeps and re-reports its chunks.
g=$(fileid nobody)_0
printf 'junk' >"$T/data1/$g"
kill "$CS_PID_cs1"
wait "$CS_PID_cs1" 2>/dev/null || true
start_chunkserver cs1 "$T/data1" "${CSFLAGS[@]}"
gone() { [ ! -e "$T/data1/$g" ]; }
wait_until 20 "the unknown chunk to be collected" gone
for f in a b d; do
    client --action read --filename "$f" --output-filename "$T/$f.out"
    cmp "$T/$f" "$T/$f.out" || fail "$f differs after a chunkserver restart"
done
[ -n "$(find "$T/data1" -maxdepth 1 -name "$(fileid a)_*")" ] \
    || fail "the restarted chunkserver lost its chunks"
ok "garbage collected after the grace period; a restarted chunkserver keeps its chunks"

# ---- a chunkserver killed -9 in the middle of a download: the read
# fails over and finishes right; repair brings every chunk back to 3.
make_file "$T/e" $((40 * CS))
client --action write --filename e --input "$T/e"
"$MINIDFS" client --master "$MASTER" --quiet --action read --filename e --output-filename - \
    --parallel 1 | { dd bs="$CS" count=5 iflag=fullblock status=none | cmp - <(head -c $((5 * CS)) "$T/e") || exit 1
                     kill -9 "$CS_PID_cs2"; cat; } >"$T/e.tail" \
    || fail "download before the kill differs"
cmp "$T/e.tail" <(tail -c +$((5 * CS + 1)) "$T/e") || fail "download across a chunkserver kill differs"
DIRS=("$T/data1" "$T/data3" "$T/data4")
all_three() { local i; for i in $(seq 0 39); do [ "$(copies e "$i")" -ge 3 ] || return 1; done; }
wait_until 30 "every chunk of e back to 3 live copies" all_three
ok "a chunkserver killed -9 during a download: the read finishes right; 3 live copies again"

# ---- it comes back with its directory: its copies count again, and the
# surplus is trimmed back to 3.
start_chunkserver cs2 "$T/data2" "${CSFLAGS[@]}"
DIRS=("$T"/data{1..4})
exactly_three() { local i; for i in $(seq 0 39); do [ "$(copies e "$i")" -eq 3 ] || return 1; done; }
wait_until 30 "the surplus copies of e to be trimmed back to 3" exactly_three
client --action read --filename e --output-filename "$T/e.out"
cmp "$T/e" "$T/e.out" || fail "e differs after the trim"
ok "the dead chunkserver comes back: surplus replicas trimmed to exactly 3"

# ---- delete: every chunk file goes from every chunkserver.
client --action delete --filename e
no_e() { [ -z "$(find "${DIRS[@]}" -maxdepth 1 -name "$(fileid e)_*")" ]; }
wait_until 10 "e's chunk files to vanish" no_e
ok "delete: the file's chunk files vanish from every chunkserver"
