# scrub.sh - the scrubber alone finds what rots or vanishes on disk. No
# client reads the file, yet a byte flipped in one replica and a replica's
# file deleted behind the chunkserver's back are both found, reported, and
# replaced from a good copy; the file then reads back exactly.
. "$(dirname "$0")/lib.sh"

CS=1000000
start_master --chunkSize "$CS" --replication 3 --repair-ms 200
# No periodic full reports either: a replica missing from one would be
# dropped by the master without the scrubber's help.
SCRUB=(--scrub-mbps 200 --scrub-pause-ms 200 --report-every 1000000)
for i in 1 2 3 4; do start_chunkserver "cs$i" "$T/data$i" "${SCRUB[@]}"; done
wait_live 4
DIRS=("$T"/data{1..4})
ID=""

# copies I: chunk files of chunk I that hold exactly its bytes.
copies() {
    local f n=0
    for f in $(find "${DIRS[@]}" -maxdepth 1 -name "${ID}_$1"); do
        cmp -s "$f" <(tail -c +$(($1 * CS + 1)) "$T/a" | head -c "$CS") && n=$((n + 1))
    done
    echo "$n"
}
stat_of() {   # stat_of DATADIR FIELD: a counter from that chunkserver's /stats
    local addr=CS_ADDR_cs${1##*data}
    curl -s "http://${!addr%/}/stats" | grep -o "\"$2\":[0-9]*" | cut -d: -f2
}

make_file "$T/a" $((4 * CS + 777))
client --action write --filename a --input "$T/a"
ID=$(fileid a)

# ---- a flipped byte, found by a pass
rotten=$(find "${DIRS[@]}" -maxdepth 1 -name "${ID}_1" | head -1)
flip_byte "$rotten" 4242
[ "$(copies 1)" -eq 2 ] || fail "the flipped byte did not take"
whole1() { [ "$(copies 1)" -eq 3 ]; }
wait_until 30 "the rotten replica of chunk 1 to be replaced" whole1
rdir=$(dirname "$rotten")
grep -q "${ID}_1 is corrupt on disk: removed, at the master.s word" "$T/cs${rdir##*data}.log" \
    || fail "the chunkserver holding the rotten replica did not report it"
ok "a flipped byte, never read by a client: the scrubber finds it, and it is replaced"

# ---- a file that vanishes after a pass listed it: found missing from
# the next pass's listing. First a pass must finish that began after the
# write (two finished passes from now), so chunk 2 was listed.
gone=$(find "${DIRS[@]}" -maxdepth 1 -name "${ID}_2" | head -1)
gdir=$(dirname "$gone")
p0=$(stat_of "$gdir" scrubPasses)
listed() { [ "$(stat_of "$gdir" scrubPasses)" -ge $((p0 + 2)) ]; }
wait_until 30 "two scrubbing passes on $(basename "$gdir")" listed
rm -f "$gone"
[ "$(copies 2)" -eq 2 ] || fail "the replica did not vanish"
whole2() { [ "$(copies 2)" -eq 3 ]; }
wait_until 30 "the vanished replica of chunk 2 to be replaced" whole2
[ "$(stat_of "$gdir" chunksScrubbed)" -gt 0 ] || fail "/stats counts no scrubbed chunks"
ok "a chunk file deleted behind the chunkserver's back: the scrubber finds it gone, and it is replaced"

# No client read found any of it; the file reads back exactly.
if grep -q "a client read chunk" "$T/master.log"; then fail "a client read reported a bad replica"; fi
client --action read --filename a --output-filename "$T/a.out"
cmp "$T/a" "$T/a.out" || fail "the file differs after the scrubber's repairs"
ok "no reader was involved; the file reads back exactly"

# ---- a chunk rotten on every copy: copies are dropped only while a good
# one is known elsewhere, so the last is kept (it may be all there is),
# readers are told the file is corrupt, and list says so. Every copy was
# once deleted within seconds.
make_file "$T/r" $((2 * CS))
client --action write --filename r --input "$T/r"
RID=$(fileid r)
for f in $(find "${DIRS[@]}" -maxdepth 1 -name "${RID}_0"); do
    flip_byte "$f" 100
done
kept() { grep -q "${RID}_0 is corrupt on disk, and no good copy is known: kept" "$T"/cs*.log; }
wait_until 30 "the last rotten copy to be kept" kept
# two more passes on every chunkserver: the kept copy stays
declare -A p0
for d in "${DIRS[@]}"; do p0[$d]=$(stat_of "$d" scrubPasses); done
passed() { local d; for d in "${DIRS[@]}"; do [ "$(stat_of "$d" scrubPasses)" -ge $((p0[$d] + 2)) ] || return 1; done; }
wait_until 30 "two more scrubbing passes everywhere" passed
left=$(find "${DIRS[@]}" -maxdepth 1 -name "${RID}_0" | wc -l)
[ "$left" -ge 1 ] || fail "every rotten copy of the chunk was deleted"
expect_fail 'is corrupt: every copy of chunk 0 failed its checksum' client --action read --filename r --output-filename "$T/r.out" --retry-ms 300
client --action list >"$T/list"
grep -q '^r .* corrupt ' "$T/list" || fail "list does not say r is corrupt: $(grep '^r ' "$T/list")"
ok "a chunk rotten on every copy: $left copy kept, readers told the file is corrupt, list says so"
