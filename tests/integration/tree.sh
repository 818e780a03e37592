# tree.sh - the directory tree through the real CLI: every file command,
# every refusal the namespace makes, names with spaces, unicode and
# control characters, get -r of a file overwritten since its listing, a
# rename while readers read, the Go client's read
# of a renamed file, a kill -9 of the master in the middle of `rm -r` and
# `mv` of a 1,000-file tree, and the conversion of a meta-dir written by
# the last master from before directories.
. "$(dirname "$0")/lib.sh"

CS=65536
start_cluster 2 --chunkSize "$CS" --replication 2
export MINIDFS_MASTER=$MASTER
fs() { "$MINIDFS" "$@" --quiet; }

M=${MASTER%/}
J=(-H 'Content-Type: application/json')

# ---- mkdir, ls, and the spellings of one path
fs mkdir -p /logs/2026 || fail "mkdir -p"
fs mkdir -p /logs/2026 || fail "mkdir -p of an existing directory is not an error"
expect_fail 'mkdir: /nope/deeper: .*no such file or directory' fs mkdir /nope/deeper
[ "$LAST_RC" -eq 1 ] || fail "a failed mkdir exits $LAST_RC"
make_file "$T/a" $((CS * 2 + 100))
fs put "$T/a" logs/2026/a.txt || fail "put"
for p in /logs/2026/a.txt logs/2026/a.txt //logs/2026/a.txt /logs/2026/./a.txt /logs/2026/a.txt/; do
    fs cat "$p" >"$T/got" || fail "cat $p"
    cmp "$T/a" "$T/got" || fail "cat $p: other bytes"
done
fs ls /logs >"$T/ls" && [ "$(cat "$T/ls")" = /logs/2026 ] || fail "ls /logs: $(cat "$T/ls")"
fs ls /logs/2026 >"$T/ls" && [ "$(cat "$T/ls")" = /logs/2026/a.txt ] || fail "ls: $(cat "$T/ls")"
fs ls -l -h /logs/2026 >"$T/ls" || fail "ls -l"
grep -qE '^-rw-r--r-- +2 +- +- +128\.1K [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z /logs/2026/a.txt$' "$T/ls" \
    || fail "ls -l -h: $(cat "$T/ls")"
expect_fail 'ls: /missing: .*no such file or directory' fs ls /missing
expect_fail 'ls: /logs/2026/a.txt/x: .*file is where a directory' fs ls /logs/2026/a.txt/x
fs ls --json / >"$T/json" && python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert [e["path"] for e in d]==["/logs"], d' "$T/json" \
    || fail "ls --json: $(cat "$T/json")"
fs stat --json /logs/2026/a.txt >"$T/json" && python3 - "$T/json" "$((CS * 2 + 100))" <<'EOF' || fail "stat --json: $(cat "$T/json")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["path"] == "/logs/2026/a.txt" and d["type"] == "file" and d["fileSize"] == int(sys.argv[2])
assert d["numberOfChunks"] == 3 and d["replication"] == 2 and d["state"] == "complete"
assert d["created"] > 1.7e12 and d["modified"] >= d["created"]
EOF
fs stat /logs >"$T/stat" && grep -q '^entries: 1$' "$T/stat" && grep -q '^type: directory$' "$T/stat" || fail "stat of a directory: $(cat "$T/stat")"
fs du -s /logs >"$T/du" && [ "$(cat "$T/du")" = "$((CS * 2 + 100))  $((2 * (CS * 2 + 100)))  /logs" ] || fail "du -s: $(cat "$T/du")"
ok "mkdir -p, put, cat by any spelling, ls (-l -h, --json), stat, du -s"

# ---- names: spaces, unicode; control characters refused; escaped output
name=$'/logs/with space/\xc3\xa9t\xc3\xa9 \xe2\x98\x83.txt'
fs put "$T/a" "$name" || fail "put of a name with spaces and unicode"
fs cat "$name" | cmp - "$T/a" || fail "cat of the unicode name"
fs ls "/logs/with space" | grep -qF "$name" || fail "ls does not show the unicode name"
expect_fail 'control characters' fs put "$T/a" $'/logs/new\nline'
expect_fail 'control characters' fs mkdir $'/logs/\033[31mred'
expect_fail '"\.\." is not allowed' fs ls /logs/../etc
[ "$(curl -s "$M/ls?path=/logs/%2e%2e/x" -o /dev/null -w '%{http_code}')" = 400 ] || fail "/ls of a .. path is not a 400"
ok "names with spaces and unicode work; control characters and .. refused"

# ---- mv: a file, a tree, the refusals
fs mv /logs/2026/a.txt /logs/2026/b.txt || fail "mv of a file"
fs cat /logs/2026/b.txt | cmp - "$T/a" || fail "the moved file's bytes"
expect_fail 'no file named "/logs/2026/a.txt"' fs cat /logs/2026/a.txt
fs mkdir -p /archive || fail "mkdir /archive"
fs mv /logs/2026 /archive || fail "mv of a directory into a directory"
fs cat /archive/2026/b.txt | cmp - "$T/a" || fail "a file of the moved tree"
expect_fail 'cannot move "/archive" to "/archive/2026/x": .*into itself' fs mv /archive /archive/2026/x
expect_fail 'cannot move "/archive" to "/archive/2026/archive": .*into itself' fs mv /archive /archive/2026
fs put "$T/a" /archive/other || fail "put /archive/other"
expect_fail 'it exists' fs mv /archive/2026/b.txt /archive/other
fs mv -f /archive/2026/b.txt /archive/other || fail "mv -f onto a file"
expect_fail 'no such file' fs stat /archive/2026/b.txt
fs cat /archive/other | cmp - "$T/a" || fail "mv -f lost bytes"
ok "mv of a file and of a tree; into itself and onto an existing name refused; -f replaces"

# ---- rm: files, empty directories, trees
expect_fail 'not empty' fs rm /archive
fs mkdir /archive/empty && fs rm /archive/empty || fail "rm of an empty directory"
fs rm -r /archive || fail "rm -r"
expect_fail 'no such file' fs ls /archive
expect_fail 'cannot remove "/": the root' fs rm -r /
ok "rm of a non-empty directory refused, rm -r removes the tree, the root stays"

# ---- standard input and output, get's refusals, append from stdin
head -c $((CS * 3 + 7)) /dev/urandom >"$T/s"
fs put - /in/stdin.bin <"$T/s" || fail "put - (standard input)"
fs get /in/stdin.bin - | cmp - "$T/s" || fail "get ... - (standard output)"
fs ls /in >"$T/ls" && [ "$(cat "$T/ls")" = /in/stdin.bin ] || fail "put - left a temporary name: $(cat "$T/ls")"
fs get /in/stdin.bin "$T/out" && cmp "$T/s" "$T/out" || fail "get to a new file"
expect_fail 'exists \(get -f replaces it\)' fs get /in/stdin.bin "$T/out"
ln -s "$T/out" "$T/link"
expect_fail 'exists' fs get /in/stdin.bin "$T/link"
[ -L "$T/link" ] || fail "get replaced a symlink"
mkfifo "$T/fifo"
(cat "$T/fifo" >"$T/fromfifo") &
fs get /in/stdin.bin "$T/fifo" || fail "get into a FIFO"
wait $!
cmp "$T/s" "$T/fromfifo" || fail "the FIFO got other bytes"
[ -p "$T/fifo" ] || fail "get replaced a FIFO"
mkdir "$T/getdir"
fs get /in/stdin.bin "$T/getdir" && cmp "$T/s" "$T/getdir/stdin.bin" || fail "get into a directory"
head -c 1000 /dev/urandom >"$T/more"
fs append - /in/stdin.bin <"$T/more" || fail "append - (standard input)"
cat "$T/s" "$T/more" >"$T/both"
fs cat /in/stdin.bin | cmp - "$T/both" || fail "append from standard input"
ok "put and append from standard input, get to stdout, a FIFO and a directory; no replacing without -f"

# ---- put -r / get -r of a tree
mkdir -p "$T/tree/a/b" "$T/tree/c"
for i in 1 2 3; do make_file "$T/tree/a/b/f$i" $((i * 40000)); done
make_file "$T/tree/c/big" $((CS * 5 + 3))
: >"$T/tree/empty"
fs put -r "$T/tree" /t || fail "put -r"
fs get -r /t "$T/back" || fail "get -r"
diff -r "$T/tree" "$T/back" || fail "get -r of put -r differs"
# the file of one small chunk (f1; f2 and f3 have two) went to its first
# server in a POST /chunks batch, and down its chain from there
# (replication 2)
batched=0
for a in "$CS_ADDR_cs1" "$CS_ADDR_cs2"; do
    batched=$((batched + $(curl -s "http://${a}stats" | grep -o '"batchedChunks":[0-9]*' | cut -d: -f2)))
done
[ "$batched" -eq 1 ] || fail "put -r stored $batched small files in batches, not 1"
[ "$(curl -s "$M/get?id=$(fileid /t/a/b/f1)" | grep -o '"replicas":\[\["[^]]*"\]' | grep -o , | wc -l)" -eq 1 ] ||
    fail "/t/a/b/f1 is not on two servers: $(curl -s "$M/get?id=$(fileid /t/a/b/f1)")"

expect_fail 'is a directory \(put -r' fs put "$T/tree" /t2
# put -r checks its work once, by listing each directory: a file that
# grew while the tree was uploaded is reported, not taken for done (one
# that grew between its batch's plan and its upload is planned again)
mkdir -p "$T/grow"
for i in $(seq 40); do make_file "$T/grow/f$i" 3000; done
(while :; do echo x >>"$T/grow/f20"; sleep 0.005; done) &
GROWER=$!
expect_fail '/grow/f20: not on the master as uploaded' fs put -r "$T/grow" /grow
kill "$GROWER"
wait "$GROWER" 2>/dev/null || true
[ "$(fs ls /grow | wc -l)" -eq 40 ] || fail "put -r of the growing tree left $(fs ls /grow | wc -l) files"
# two trees in one put -r, a file growing in each: both are reported (the
# first one's report does not end the check of the second)
mkdir -p "$T/g2/a" "$T/g2/b"
for i in $(seq 10); do make_file "$T/g2/a/f$i" 3000; make_file "$T/g2/b/f$i" 3000; done
(while :; do echo x >>"$T/g2/a/f3"; echo x >>"$T/g2/b/f7"; sleep 0.005; done) &
GROWER=$!
rc=0
fs mkdir /g2 && fs put -r "$T/g2/a" "$T/g2/b" /g2 2>"$T/g2.err" || rc=$?
kill "$GROWER"
wait "$GROWER" 2>/dev/null || true
[ "$rc" -eq 1 ] || fail "put -r of two growing trees exited $rc"
grep -q '/g2/a/f3: not on the master as uploaded' "$T/g2.err" &&
    grep -q '/g2/b/f7: not on the master as uploaded' "$T/g2.err" ||
    fail "put -r did not report both grown files: $(cat "$T/g2.err")"
ok "put -r and get -r move a tree; put -r's check reports a file that changed under it"

# ---- get -r reads by the layouts its listing carried: a file overwritten
# since the listing, its old chunks deleted, is read afresh, not failed.
# A FIFO in the target holds get -r (one file at a time) at the first file
# until the second is overwritten.
mkdir -p "$T/st" "$T/stback/st"
make_file "$T/st/a" 100
make_file "$T/st/b" 1000
make_file "$T/b2" 1200
fs put -r "$T/st" /st || fail "put -r /st"
oldb=$(identifier_of /st/b)
[ -n "$oldb" ] || fail "no identifier for /st/b"
mkfifo "$T/stback/st/a"
"$MINIDFS" get -r -f --files-at-once 1 --quiet /st "$T/stback" 2>"$T/st.err" &
GETTER=$!
# (the kernel's wait in a FIFO's open; fifo_open where it is inlined)
at_fifo() { grep -qsE 'wait_for_partner|fifo_open' /proc/"$GETTER"/task/*/wchan; }
wait_until 10 "get -r to open the FIFO" at_fifo
fs put -f "$T/b2" /st/b || fail "overwrite /st/b"
old_gone() { [ -z "$(find "$T/data1" "$T/data2" -maxdepth 1 -name "${oldb}_*")" ]; }
wait_until 10 "the chunks /st/b had to be deleted" old_gone
cat "$T/stback/st/a" >"$T/st.a"
wait "$GETTER" || fail "get -r failed on a layout out of date: $(cat "$T/st.err")"
cmp "$T/st/a" "$T/st.a" && cmp "$T/b2" "$T/stback/st/b" || fail "get -r read other bytes"
ok "get -r reads a file overwritten since its listing by a fresh layout"

# ---- the Go client's protocol reads a file renamed by ours
fs mv /t/c/big /t/c/renamed || fail "mv"
id=$(fileid t/c/renamed)
curl -sf "$M/get?id=$id" >"$T/get.json" || fail "GET /get by the renamed path's identifier"
: >"$T/go"
python3 - "$T/get.json" >"$T/urls" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
for i, loc in enumerate(d["locations"]):
    print("http://%sget?id=%s_%d" % (loc, d["identifier"], i))
EOF
while read -r u; do curl -sf "$u" >>"$T/go" || fail "chunk $u"; done <"$T/urls"
cmp "$T/tree/c/big" "$T/go" || fail "the Go client's read of a renamed file"
# put -r named it "/t/c/big": its identifier is that spelling's
[ "$(curl -s -o /dev/null -w '%{http_code}' "$M/get?id=$(fileid /t/c/big)")" = 404 ] || fail "the old path still finds the renamed file"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$M/get?id=$(fileid t/c/big)")" = 404 ] || fail "the old path (seed spelling) still finds the renamed file"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$M/get?id=$(fileid /t/c/renamed)")" = 200 ] || fail "the slashed spelling's identifier"
# The path's identifier is the renamed file's: a client that names chunks
# by it alone (the seed's, the Go client) is refused; ours gets another.
expect_status 409 POST "$M/upload" "${J[@]}" --data '{"fileName":"/t/c/big","fileSize":5}'
grep -q 'renamed away' "$T/body" || fail "the 409 does not say why: $(cat "$T/body")"
fs put "$T/a" /t/c/big && fs cat /t/c/big | cmp - "$T/a" || fail "our client writes the reused path"
fs cat /t/c/renamed | cmp - "$T/tree/c/big" || fail "the renamed file changed"
ok "the Go protocol reads a renamed file by its new path; the old path's identifier is guarded"

# ---- a rename while readers read
# The mover goes on until the reader has had five reads through (or 2,000
# renames): how many reads land between renames depends on the machine's
# speed, not on a fixed count of renames.
make_file "$T/r" $((CS * 8))
fs put "$T/r" /rr/x || fail "put /rr/x"
(
    for i in $(seq 1 1000); do
        [ -e "$T/enough-reads" ] && exit 0
        fs mv /rr /rr2 && fs mv /rr2 /rr || exit 1
    done
) &
mover=$!
reads=0
while kill -0 "$mover" 2>/dev/null; do
    for p in /rr/x /rr2/x; do
        if fs cat "$p" >"$T/rgot" 2>/dev/null; then
            cmp "$T/r" "$T/rgot" || fail "a read during renames got other bytes"
            reads=$((reads + 1))
            [ "$reads" -ge 5 ] && : >"$T/enough-reads"
        fi
    done
done
wait "$mover" || fail "the renames failed"
[ "$reads" -gt 0 ] || fail "no read completed during the renames"
ok "renames under concurrent reads: every read that succeeds is byte-exact ($reads reads)"

# ---- kill -9 in the middle of rm -r and mv of a 1,000-file tree
for d in 0 1 2 3 4 5 6 7 8 9; do
    for i in $(seq 0 99); do
        printf '{"fileName":"/big/d%s/f%s","fileSize":0}' "$d" "$i"
    done
done | python3 -c '
import json, sys, urllib.request
body = sys.stdin.read().replace("}{", "}\n{").splitlines()
for b in body:
    req = urllib.request.Request(sys.argv[1] + "/upload", data=b.encode(), headers={"Content-Type": "application/json"})
    urllib.request.urlopen(req).read()
' "$M" || fail "making the 1,000-file tree"
count_under() { curl -s "$M/du?path=$1" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("files", 0))' 2>/dev/null || echo 0; }
[ "$(count_under /big)" = 1000 ] || fail "the tree has $(count_under /big) files"
restart_master() {
    kill -9 "$MASTER_PID"
    wait "$MASTER_PID" 2>/dev/null || true
    start_master --port "$MPORT" --chunkSize "$CS" --replication 2
}
MPORT=$(cat "$T/master.port")
# The kill lands a few ms (seeded, so a failure can be replayed) after the
# command starts: before it reached the master, inside it, or after.
RANDOM=${TREE_SEED:-16}
src=/big dst=/moved outcomes=""
for round in 1 2 3; do
    fs mv "$src" "$dst" &
    mvpid=$!
    sleep "0.00$((RANDOM % 10))"   # not a synchronisation: a random moment to crash at
    restart_master
    wait "$mvpid" || true
    a=$(count_under "$src") b=$(count_under "$dst")
    { [ "$a" = 1000 ] && [ "$b" = 0 ]; } || { [ "$a" = 0 ] && [ "$b" = 1000 ]; } \
        || fail "after a crash during mv (round $round): $a files under $src, $b under $dst"
    outcomes="$outcomes $a/$b"
    [ "$a" = 0 ] && { t=$src; src=$dst; dst=$t; }
done
fs rm -r "$src" &
rmpid=$!
sleep "0.00$((RANDOM % 10))"
restart_master
wait "$rmpid" || true
left=$(count_under "$src")
[ "$left" = 1000 ] || [ "$left" = 0 ] || fail "after a crash during rm -r: $left of 1000 files left"
ok "kill -9 during mv (3 rounds) and rm -r of a 1,000-file tree: before or after, never between (mv:$outcomes; rm -r: $left left)"

# ---- hostile requests to the tree's endpoints: 400s with a JSON error
expect_status 400 GET "$M/ls"
expect_status 400 GET "$M/ls?path=/&limit=0"
expect_status 400 GET "$M/ls?path=/&limit=1001"
expect_status 400 GET "$M/ls?path=/&limit=12abc"
expect_status 400 GET "$M/ls?path=/&after=$(head -c 300 /dev/zero | tr '\0' a)"
expect_status 400 GET "$M/stat?path=%01"
expect_status 400 GET "$M/du?path="
expect_status 400 POST "$M/mkdir" "${J[@]}" --data '{"path":"/m","mode":4096}'
expect_status 400 POST "$M/mkdir" "${J[@]}" --data '{"path":7}'
expect_status 400 POST "$M/rename" "${J[@]}" --data '{"from":"/t"}'
expect_status 400 POST "$M/rename" "${J[@]}" --data '{"from":"/t","to":"/x/../y"}'
expect_status 400 DELETE "$M/files?name=/t&recursive=maybe"
expect_status 400 DELETE "$M/files?name=/&recursive=true"
expect_status 404 GET "$M/stat?path=/nothing/here"
# not UTF-8 (names travel in JSON), by query and by body
expect_status 400 GET "$M/stat?path=/a%ff%fe"
expect_status 400 DELETE "$M/files?name=/cut%e2%80"
# an answer that names a long path of three-byte characters: its message
# is cut short, inside a character for one of the three shifts, and the
# answer must still be JSON
dots=$(printf '%%e2%%80%%a6%.0s' $(seq 80))
for shift in "" a ab; do
    expect_status 404 GET "$M/stat?path=/$shift$dots/$dots/$dots"
done
expect_status 409 GET "$M/ls?path=/t/c/renamed/x"
fs ls / >/dev/null || fail "the master is not well after the hostile requests"
ok "malformed, out-of-range and hostile tree requests: 400/404/409 with a JSON error, nothing changed"

# ---- usage errors
expect_fail 'given twice|more than once' fs ls --master "$MASTER" --master "$MASTER" /
[ "$LAST_RC" -eq 2 ] || fail "a repeated flag exits $LAST_RC, not 2"
expect_fail 'usage: minidfs mv' fs mv /only-one
[ "$LAST_RC" -eq 2 ] || fail "a usage error exits $LAST_RC"
ok "a repeated flag and a missing operand are usage errors (exit 2)"

# ---- a meta-dir from before directories converts once
stop_pid "$MASTER_PID"
cp -r "$(dirname "$0")/../fixtures/meta-v1" "$T/oldmeta"
start_master --meta-dir "$T/oldmeta"
grep -q 'converted .* records of a meta-dir from before directories' "$T/master.log" || fail "no conversion logged"
MINIDFS_MASTER=$MASTER fs ls -R / >"$T/conv" || fail "ls -R of the converted namespace"
for p in /input.txt /abs.txt /logs/2026/a.txt /after/ckpt /dup /f/child; do
    grep -qx -- "$p" "$T/conv" || fail "the converted namespace lacks $p: $(cat "$T/conv")"
done
[ "$(grep -c '^/lost+found/' "$T/conv")" = 2 ] || fail "what did not fit is not in /lost+found: $(cat "$T/conv")"
grep -q '^/gone$' "$T/conv" && fail "a file deleted before the conversion came back"
[ "$(curl -s -o /dev/null -w '%{http_code}' "${MASTER}get?id=$(fileid input.txt)")" = 200 ] || fail "the seed's identifier of a converted file"
stop_pid "$MASTER_PID"
start_master --meta-dir "$T/oldmeta"
grep -c 'converted .* records' "$T/master.log" | grep -qx 1 || fail "the meta-dir was converted twice"
MINIDFS_MASTER=$MASTER fs ls -R / | cmp - "$T/conv" || fail "the namespace changed across a restart after the conversion"
ok "an old meta-dir converts once: names become paths, what does not fit goes to /lost+found"
