# hung.sh - a chunkserver that hangs (stopped: its port still accepts
# connections, nothing answers) costs a read one short stall, not one per
# chunk: a chunk past its deadline (from the run's observed speed; or, before
# there is any, one that moves next to nothing for 10 s) goes to the next
# replica, and the server is tried last for the rest of the run; the
# progress line says what it waits for meanwhile. And the lead copy of each
# chunk in /get turns from chunk to chunk, so reads spread.
. "$(dirname "$0")/lib.sh"

CS=1000000
start_cluster 3 --chunkSize "$CS" --replication 3
make_file "$T/f" $((40 * CS))
client --action write --filename f --input "$T/f"

curl -s "${MASTER}get?id=$(fileid f)" >"$T/get"
leads=$(grep -o '"locations":\[[^]]*\]' "$T/get" | grep -o '"[^"]*/"' | sort | uniq -c)
[ "$(echo "$leads" | wc -l)" -eq 3 ] || fail "the lead copies of 40 chunks are on $(echo "$leads" | wc -l) servers"
echo "$leads" | awk '$1 < 8 { exit 1 }' || fail "the lead copies are uneven: $leads"
ok "the lead copy turns from chunk to chunk: $(echo $leads | tr -s ' ')"

kill -STOP "$CS_PID_cs2"
start=$SECONDS
# On a terminal (script gives it one), so the progress line is drawn: it
# must say which server it waits for, not sit at a percentage.
script -qec "'$MINIDFS' client --master '$MASTER' --action read --filename f --output-filename '$T/f.out'" \
    "$T/typescript" >/dev/null </dev/null || rc=$?
took=$((SECONDS - start))
kill -CONT "$CS_PID_cs2"
[ "${rc:-0}" -eq 0 ] || fail "the read with a hung chunkserver failed: $(tr '\r' '\n' <"$T/typescript" | tail -3)"
cmp "$T/f" "$T/f.out" || fail "the read with a hung chunkserver differs"
[ "$took" -le 15 ] || fail "a hung chunkserver held a 40-chunk read for $took s"
ok "a hung chunkserver: the read took $took s (one stall, then the other copies)"
grep -aq "waiting for ${CS_ADDR_cs2} (chunk [0-9]*, [0-9]* s)" "$T/typescript" ||
    fail "the progress line did not say what it waited for: $(tr '\r' '\n' <"$T/typescript" | tail -3)"
ok "the progress line names the hung server it waits for"
