# stdio.sh - `minidfs master --stdio`, the JSON-lines node protocol: the
# issue's example byte for byte, then idempotence, growth, and malformed
# input (answered with error codes; the node keeps running).
. "$(dirname "$0")/lib.sh"

H=$(fileid /data/log.dat)
cat >"$T/in" <<IN
{"src":"c0","dest":"n1","body":{"type":"init","msg_id":1,"node_id":"n1","node_ids":["n1","n2","n3","n4"]}}
{"src":"c1","dest":"n1","body":{"type":"allocate_chunk","msg_id":2,"file":"/data/log.dat","chunk_index":0}}
IN
cat >"$T/want" <<OUT
{"src":"n1","dest":"c0","body":{"type":"init_ok","in_reply_to":1,"msg_id":0}}
{"src":"n1","dest":"c1","body":{"type":"allocate_chunk_ok","in_reply_to":2,"msg_id":1,"chunk_handle":"${H}_0","primary":"n2","secondaries":["n3","n4"],"lease_expires_ms":60000,"version":1}}
OUT
"$MINIDFS" master --stdio <"$T/in" >"$T/out" 2>"$T/master.log"
cmp "$T/want" "$T/out" || { diff "$T/want" "$T/out" >&2; fail "the example's output differs"; }
ok "the issue's example, byte for byte"

cat >"$T/in" <<IN
{"src":"c1","dest":"n1","body":{"type":"allocate_chunk","msg_id":1,"file":"/a","chunk_index":0}}
{"src":"c0","dest":"n1","body":{"type":"init","msg_id":2,"node_id":"n1","node_ids":["n1","n2","n3","n4"]}}
this is not json
{"dest":"n1","body":{"type":"init"}}
{"src":"c1","dest":"n1","body":{"type":"frobnicate","msg_id":3}}
{"src":"c1","dest":"n1","body":{"msg_id":4}}
{"src":"c1","dest":"n1","body":{"type":"allocate_chunk","msg_id":5,"file":"/a"}}
{"src":"c1","dest":"n1","body":{"type":"allocate_chunk","msg_id":6,"file":"/a","chunk_index":-1}}
{"src":"c1","dest":"n1","body":{"type":"allocate_chunk","msg_id":7,"file":"/a","chunk_index":1}}
{"src":"c1","dest":"n1","body":{"type":"allocate_chunk","msg_id":8,"file":"/a","chunk_index":0}}
{"src":"c1","dest":"n1","body":{"type":"allocate_chunk","msg_id":9,"file":"/a","chunk_index":0}}
{"src":"c1","dest":"n1","body":{"type":"allocate_chunk","msg_id":10,"file":"/a","chunk_index":1}}
IN
"$MINIDFS" master --stdio <"$T/in" >"$T/out" 2>"$T/master.log"
line() { sed -n "$1p" "$T/out"; }
[ "$(wc -l <"$T/out")" -eq 10 ] || fail "expected 10 replies (2 lines have no sender), got: $(cat "$T/out")"
line 1 | grep -q '"in_reply_to":1,"msg_id":0,"code":11' || fail "allocate before init: $(line 1)"
line 2 | grep -q '"type":"init_ok","in_reply_to":2' || fail "init: $(line 2)"
line 3 | grep -q '"type":"error","in_reply_to":3,"msg_id":2,"code":10,"text":"unsupported' || fail "unknown type: $(line 3)"
line 4 | grep -q '"type":"error","in_reply_to":4,"msg_id":3,"code":12' || fail "no type: $(line 4)"
line 5 | grep -q '"in_reply_to":5,.*"code":12,"text":"missing field \\"chunk_index\\""' || fail "no index: $(line 5)"
line 6 | grep -q '"in_reply_to":6,.*"code":12' || fail "negative index: $(line 6)"
line 7 | grep -q '"in_reply_to":7,.*"code":12,"text":"chunk_index 1 is past the end' || fail "past the end: $(line 7)"
# Same chunk, primary, secondaries and version; the lease's remaining time
# may have ticked down between the two.
a=$(line 8 | grep -o '"chunk_handle".*' | sed 's/"lease_expires_ms":[0-9]*//')
b=$(line 9 | grep -o '"chunk_handle".*' | sed 's/"lease_expires_ms":[0-9]*//')
[ -n "$a" ] && [ "$a" = "$b" ] || fail "allocation is not idempotent: $a / $b"
# A new chunk's first lease keeps the version it was born with, its file's
# generation: (handle, version) is unique all the same.
line 10 | grep -q "\"chunk_handle\":\"$(fileid /a)_1\".*\"version\":1}" || fail "second chunk: $(line 10)"
grep -q 'dropped a line' "$T/master.log" || fail "unanswerable lines are not logged"
grep -q '"src":"n1"' "$T/master.log" && fail "protocol output leaked into the log"
ok "malformed input gets error codes 10/11/12, unanswerable lines are logged; allocation is idempotent and grows"
