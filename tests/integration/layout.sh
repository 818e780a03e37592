# layout.sh - the whole layout of a file of more than a page of chunks,
# as the Go client asks for it (GET /get without from and count): the
# master streams it a page at a time, and what arrives is one JSON
# document equal to the paged answers put together, by which the file
# reads back byte-exact; on a secure master with a capability per chunk.
. "$(dirname "$0")/lib.sh"

CS=64
N=5001   # chunks: a page is 4096
start_master --chunkSize "$CS" --replication 1 --secure
as_admin
start_chunkserver cs1 "$T/data1" --key-file "$T/meta/cluster.key"
wait_live 1
M=${MASTER%/}
make_file "$T/big" $(((N - 1) * CS + 10))
client --action write --filename big --input "$T/big" --parallel 16 || fail "write of $N chunks"
id=$(fileid big)

curl -sf -D "$T/whole.hdr" "${MASTER_AUTH[@]}" "$M/get?id=$id" -o "$T/whole.json" || fail "the unpaged /get"
grep -qi '^transfer-encoding: chunked' "$T/whole.hdr" || fail "the layout of $N chunks was not streamed: $(cat "$T/whole.hdr")"
curl -sf "${MASTER_AUTH[@]}" "$M/get?id=$id&from=0&count=4096" -o "$T/p0.json" || fail "page 0"
curl -sf "${MASTER_AUTH[@]}" "$M/get?id=$id&from=4096&count=4096" -o "$T/p1.json" || fail "page 1"
python3 - "$T" "$N" <<'EOF' >"$T/urls" || fail "the streamed layout is not the paged one"
import json, sys
t, n = sys.argv[1], int(sys.argv[2])
whole = json.load(open(t + "/whole.json"))
pages = [json.load(open(t + "/p%d.json" % i)) for i in (0, 1)]
assert whole["numberOfChunks"] == n, whole["numberOfChunks"]
for k in ("fileName", "identifier", "fileSize", "chunkSize", "generation"):
    assert whole[k] == pages[0][k], k
for k in ("locations", "replicas", "checksums"):
    assert len(whole[k]) == n, (k, len(whole[k]))
    assert whole[k] == pages[0][k] + pages[1][k], k
caps = whole["capabilities"]
assert len(caps) == n and len(set(caps)) == n, "a capability per chunk"
for i, loc in enumerate(whole["locations"]):
    if i:
        print("next")
    print('silent\nfail\nurl = "http://%sget?id=%s_%d"\nheader = "X-Minidfs-Capability: %s"'
          % (loc, whole["identifier"], i, caps[i]))
EOF
# The Go client's read: each chunk from its location, in order.
curl -sf -K "$T/urls" >"$T/back" || fail "a chunk of the streamed layout does not read"
cmp "$T/big" "$T/back" || fail "the file read by the streamed layout differs"
ok "an unpaged /get of $N chunks streams, equals the paged answers, and reads back byte-exact"

# A small file's unpaged answer is made whole, as before; a missing file
# and an unreadable one are errors, not a stream.
make_file "$T/small" 100
client --action write --filename small --input "$T/small"
curl -sf -D "$T/small.hdr" "${MASTER_AUTH[@]}" "$M/get?id=$(fileid small)" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["numberOfChunks"]==2 and len(d["locations"])==2' ||
    fail "the unpaged /get of a small file"
grep -qi '^content-length:' "$T/small.hdr" || fail "a small file's layout was not answered whole"
expect_status 404 GET "$M/get?id=$(fileid nothing)" "${MASTER_AUTH[@]}"
ok "small files answer whole; a missing file is a 404"

# An open master streams the same arrays without capabilities.
stop_pid "$CS_PID"
stop_pid "$MASTER_PID"
unset MINIDFS_TOKEN
MASTER_AUTH=()
start_master --chunkSize "$CS" --replication 1 --meta-dir "$T/meta-open"
start_chunkserver cs2 "$T/data2"
wait_live 1
M=${MASTER%/}
client --action write --filename big --input "$T/big" --parallel 16 || fail "write on the open master"
curl -sf -D "$T/open.hdr" "$M/get?id=$id" -o "$T/whole.json" || fail "the open master's unpaged /get"
grep -qi '^transfer-encoding: chunked' "$T/open.hdr" || fail "the open master did not stream"
curl -sf "$M/get?id=$id&from=0&count=4096" -o "$T/p0.json" &&
    curl -sf "$M/get?id=$id&from=4096&count=4096" -o "$T/p1.json" || fail "the open master's pages"
python3 - "$T" "$N" <<'EOF' || fail "the open master's streamed layout is not its paged one"
import json, sys
t, n = sys.argv[1], int(sys.argv[2])
whole = json.load(open(t + "/whole.json"))
pages = [json.load(open(t + "/p%d.json" % i)) for i in (0, 1)]
assert "capabilities" not in whole
for k in ("locations", "replicas", "checksums"):
    assert len(whole[k]) == n and whole[k] == pages[0][k] + pages[1][k], k
EOF
ok "an open master streams the layout without capabilities"
