#!/usr/bin/env bash
# users.sh - a secure master's users: bearer tokens made, listed, revoked
# and expired by superusers; files owned, with their modes checked on every
# operation (403, and nothing changed); none of it for clients without a
# token (401); all of it kept across restarts, from the journal and from a
# checkpoint.
. "$(dirname "$0")/lib.sh"

CS=1000000
start_master --secure --chunkSize "$CS" --replication 1 --checkpoint-every 5
M=${MASTER%/}
J=(-H 'Content-Type: application/json')
start_chunkserver cs1 "$T/data1" --key-file "$T/meta/cluster.key"
admin() { "$MINIDFS" admin --master "$MASTER" "$@"; }
as() { local who=$1; shift; MINIDFS_TOKEN=$(cat "$T/$who.token") "$@"; }

# ---- no token, or not a good one: 401, with a JSON error; the CLI says why
expect_status 401 GET "$M/files"
grep -q 'no bearer token' "$T/body" || fail "the 401 says why: $(cat "$T/body")"
expect_status 401 GET "$M/files" -H "Authorization: Bearer $(printf '%064d' 0)"
expect_status 401 GET "$M/get?id=$(fileid x)" -H "Authorization: Bearer zz"
expect_status 401 POST "$M/upload" "${J[@]}" --data '{"fileName":"x","fileSize":1}' \
    -H "Authorization: Basic YWRtaW46YWRtaW4="
expect_status 401 GET "$M/admin/tokens"
expect_fail 'no bearer token' client --action list --retry-ms 0
MINIDFS_TOKEN=xyz expect_fail 'MINIDFS_TOKEN is not a token' client --action list
[ "$LAST_RC" -eq 2 ] || fail "a malformed MINIDFS_TOKEN is a usage error (2), not $LAST_RC"
ok "no token, a wrong one, a malformed one, another scheme: 401 and a clear error"

# ---- the first superuser is admin.token's holder
cp "$T/meta/admin.token" "$T/admin.token"
[ "$(as admin admin whoami)" = "admin (group admin), superuser" ] || fail "whoami: $(as admin admin whoami)"
chmod 644 "$T/admin.token"
expect_fail 'may be read by others' admin whoami --token-file "$T/admin.token"
chmod 600 "$T/admin.token"
[ "$(admin whoami --token-file "$T/admin.token")" = "admin (group admin), superuser" ] ||
    fail "whoami with --token-file"
for u in alice:staff bob:staff eve:eve; do
    as admin admin token create "${u%%:*}" --group "${u##*:}" >"$T/${u%%:*}.token"
    chmod 600 "$T/${u%%:*}.token"
    grep -Eq '^[0-9a-f]{64}$' "$T/${u%%:*}.token" || fail "token create printed: $(cat "$T/${u%%:*}.token")"
done
as admin admin token create root2 --superuser >"$T/root2.token"
expect_fail 'exists' as admin admin token create alice
expect_fail 'exists' as admin admin token create admin
expect_fail 'must be 1 to' as admin admin token create 'a b'
expect_fail 'for superusers' as alice admin token create mallory
expect_fail 'for superusers' as alice admin token list
[ "$(as bob admin whoami)" = "bob (group staff)" ] || fail "whoami as bob: $(as bob admin whoami)"
expect_status 200 GET "$M/whoami" -H "Authorization: bearer   $(cat "$T/bob.token")"   # any case, as RFC 7235 says
as root2 admin token list >"$T/users"
for u in admin alice bob eve root2; do grep -q "^$u " "$T/users" || fail "list lacks $u: $(cat "$T/users")"; done
grep -q '^root2 .* yes ' "$T/users" || fail "root2 is not listed superuser: $(cat "$T/users")"
! grep -Eq '[0-9a-f]{64}' "$T/users" "$T/master.log" || fail "a token was listed or logged"
! grep -q "$(cat "$T/alice.token")" "$T/meta"/* 2>/dev/null || fail "a token is stored in the clear"
ok "admin.token is the first superuser; tokens made, listed (never shown again), refused to non-superusers"

# ---- owners and modes
as_admin
wait_live 1
make_file "$T/a" 2500000
as alice client --action write --filename a.txt --input "$T/a"
as alice client --action list >"$T/list"
grep -qE '^a.txt +2500000 +3 complete +rw-r--r-- +alice:staff$' "$T/list" || fail "list: $(cat "$T/list")"
as bob client --action read --filename a.txt --output-filename "$T/a.bob"
cmp "$T/a" "$T/a.bob" || fail "bob reads a 0644 file"
make_file "$T/b" 1000
expect_fail 'bob may not overwrite "a.txt"' as bob client --action write --filename a.txt --input "$T/b" --overwrite
expect_fail 'bob may not write to "a.txt"' as bob client --action append --filename a.txt --input "$T/b"
expect_fail 'bob may not remove "/a.txt"' as bob client --action delete --filename a.txt
expect_fail 'bob may not change "/a.txt"' as bob client --action chmod --filename a.txt --mode 666
expect_fail 'alice may not give away "/a.txt"' as alice client --action chown --filename a.txt --owner bob
expect_fail 'may not change "/a.txt"' as alice client --action chown --filename a.txt --owner :wheel
expect_status 403 POST "$M/allocate" "${J[@]}" -H "Authorization: Bearer $(cat "$T/bob.token")" \
    --data '{"file":"a.txt","chunk_index":3}'
as alice client --action chmod --filename a.txt --mode 640
expect_fail 'eve may not read "/a.txt"' as eve client --action read --filename a.txt --output-filename "$T/x"
expect_status 403 GET "$M/get?id=$(fileid a.txt)" -H "Authorization: Bearer $(cat "$T/eve.token")"
as bob client --action read --filename a.txt --output-filename "$T/a.bob2"   # group staff: r
as alice client --action chmod --filename a.txt --mode 600
expect_fail 'bob may not read "/a.txt"' as bob client --action read --filename a.txt --output-filename "$T/x"
as root2 client --action read --filename a.txt --output-filename "$T/a.root"
cmp "$T/a" "$T/a.root" || fail "a superuser reads any file"
as alice client --action read --filename a.txt --output-filename "$T/a.alice"
cmp "$T/a" "$T/a.alice" || fail "a.txt changed after the refused writes"
[ ! -e "$T/x" ] || fail "a refused read left an output file"
as alice client --action list >"$T/list"
grep -qE '^a.txt +2500000 +3 complete +rw------- +alice:staff$' "$T/list" || fail "list: $(cat "$T/list")"
ok "a file is its writer's, rw-r--r--; others may read it, not overwrite, append, allocate, delete or chmod it; 640 and 600 hold"

# A superuser gives it away; the new owner may then do what alice could.
as admin client --action chown --filename a.txt --owner bob:eve
expect_fail 'alice may not read "/a.txt"' as alice client --action read --filename a.txt --output-filename "$T/x"
as bob client --action write --filename a.txt --input "$T/b" --overwrite
as bob client --action list >"$T/list"
grep -qE '^a.txt +1000 +1 complete +rw------- +bob:eve$' "$T/list" || fail "an overwrite keeps owner and mode: $(cat "$T/list")"
# A name anyone may take (the flat root is like /tmp); only its owner removes it.
as eve client --action write --filename e.txt --input "$T/b"
expect_fail 'alice may not remove "/e.txt"' as alice client --action delete --filename e.txt
ok "chown by a superuser; an overwrite keeps owner and mode; anyone creates, only the owner deletes"

# ---- directories: creating, removing and renaming want w on the
# directory; the sticky root lets anyone create and only owners remove
fsu() { local who=$1; shift; MINIDFS_TOKEN=$(cat "$T/$who.token") "$MINIDFS" "$@" --master "$MASTER" --quiet; }
fsu alice mkdir /home/alice -p || fail "alice makes /home/alice"
fsu alice stat /home/alice | grep -q '^owner: alice$' || fail "a new directory is its maker's"
fsu alice put "$T/b" /home/alice/notes || fail "alice writes in her directory"
expect_fail 'bob may not create "/home/alice/x"' fsu bob put "$T/b" /home/alice/x
expect_fail 'bob may not make directory "/home/alice/d"' fsu bob mkdir /home/alice/d
expect_fail 'bob may not remove "/home/alice/notes"' fsu bob rm /home/alice/notes
expect_fail 'bob may not move "/home/alice/notes"|bob may not move' fsu bob mv /home/alice/notes /bobs
expect_fail 'bob may not remove "/home/alice"' fsu bob rm -r /home/alice
fsu bob cat /home/alice/notes | cmp - "$T/b" || fail "bob reads a 0644 file in a 0755 directory"
# A listing's layouts (what get -r reads small files by) go only with the
# files the lister may read, and carry their chunks' capabilities.
fsu alice put "$T/b" /home/alice/secret || fail "alice writes a second file"
as alice client --action chmod --filename /home/alice/secret --mode 600 || fail "alice chmods her file"
expect_status 200 GET "$M/ls?path=/home/alice&layout=1" -H "Authorization: Bearer $(cat "$T/bob.token")"
grep -q '"name":"notes"[^{}]*"layout":{[^{}]*"capabilities":\["' "$T/body" ||
    fail "bob's listing lacks notes' layout and its capability: $(cat "$T/body")"
grep -q '"name":"secret"[^{}]*"layout"' "$T/body" && fail "bob's listing lays out a file he may not read"
expect_status 400 GET "$M/ls?path=/home/alice&layout=yes" -H "Authorization: Bearer $(cat "$T/bob.token")"
expect_fail 'bob may not read' fsu bob get -r /home/alice "$T/bobs-copy"
cmp "$T/bobs-copy/notes" "$T/b" || fail "bob's get -r did not copy the file he may read"
[ ! -e "$T/bobs-copy/secret" ] || fail "bob's get -r left a file he may not read"
fsu alice get -r /home/alice "$T/alices-copy" || fail "alice's get -r"
cmp "$T/alices-copy/secret" "$T/b" || fail "alice's get -r of her 0600 file"
fsu alice rm /home/alice/secret || fail "alice removes her second file"
as alice client --action chmod --filename /home/alice --mode 700 || fail "alice chmods her directory"
expect_fail 'bob may not list "/home/alice"' fsu bob ls /home/alice
# Traversal: a 0700 directory hides what is beneath it, whatever its
# mode (notes is 0644), from every operation, as in HDFS and POSIX.
expect_fail 'bob may not read' fsu bob cat /home/alice/notes
expect_fail 'bob may not stat' fsu bob stat /home/alice/notes
expect_fail 'bob may not ' fsu bob du /home/alice/notes
expect_fail 'bob may not stat' fsu bob ls /home/alice/notes
expect_status 403 GET "$M/get?id=$(fileid home/alice/notes)" -H "Authorization: Bearer $(cat "$T/bob.token")"
fsu alice mkdir /home/alice/open || fail "alice makes a directory inside her 0700 one"
as alice client --action chmod --filename /home/alice/open --mode 777 || fail "alice opens it to all"
expect_fail 'bob may not create' fsu bob put "$T/b" /home/alice/open/x
# x without r: names known are reached, the directory is not listed
as alice client --action chmod --filename /home/alice --mode 711 || fail "alice lets others pass"
fsu bob cat /home/alice/notes | cmp - "$T/b" || fail "bob reads through a 0711 directory"
fsu bob put "$T/b" /home/alice/open/x || fail "bob writes in a 0777 directory under a 0711 one"
# A batch of plans is checked file by file: what bob may create is
# planned, what he may not is refused in its own answer.
expect_status 200 POST "$M/upload" "${J[@]}" -H "Authorization: Bearer $(cat "$T/bob.token")" \
    --data '{"files":[{"fileName":"/home/alice/open/y","fileSize":3,"overwrite":false},{"fileName":"/home/alice/z","fileSize":3,"overwrite":false}]}'
grep -q '"files":\[{"identifier":"[0-9a-f]*",.*},{"error":"bob may not create \\"/home/alice/z\\"[^"]*","status":403}\]' "$T/body" ||
    fail "a batch with a file bob may not create: $(cat "$T/body")"
# put -r plans small files in batches; on a secure cluster the
# chunkserver's reports of them go signed, many to a request.
mkdir -p "$T/bt" && for i in $(seq 1 40); do head -c $((i * 100)) "$T/b" >"$T/bt/f$i"; done
fsu bob put -r "$T/bt" /home/alice/open/bt || fail "bob's put -r of 40 small files"
fsu bob get -r /home/alice/open/bt "$T/bt-back" || fail "bob's get -r of them"
diff -r "$T/bt" "$T/bt-back" || fail "put -r / get -r of 40 small files on a secure cluster differ"
# ... and their chunks in POST /chunks batches, each item with its capability
curl -s "http://${CS_ADDR_cs1}stats" | grep -q '"batchedChunks":40,' ||
    fail "bob's 40 small files did not go in batches: $(curl -s "http://${CS_ADDR_cs1}stats")"
expect_fail 'bob may not list "/home/alice"' fsu bob ls /home/alice
as alice client --action chmod --filename /home/alice --mode 700 || fail "alice closes her directory again"
fsu alice ls /home/alice | grep -qx /home/alice/notes || fail "alice lists her directory"
fsu alice mv /home/alice/notes /home/alice/renamed || fail "alice renames in her directory"
fsu admin rm -r /home || fail "a superuser removes any tree"
ok "directories: w on the directory to create, remove, rename; r to list; the owner's, superusers' always"

# ---- users may ask for a replica check, never condemn one
id0="$(fileid e.txt)_0"
printf '{"chunkIdentifier":"%s","chunkserver":"%s","corrupt":true}' "$id0" "$CS_ADDR_cs1" >"$T/bad.json"
expect_status 403 POST "$M/badChunk" "${J[@]}" -H "Authorization: Bearer $(cat "$T/eve.token")" --data-binary @"$T/bad.json"
printf '{"chunkIdentifier":"%s","chunkserver":"%s"}' "$id0" "$CS_ADDR_cs1" >"$T/check.json"
expect_status 200 POST "$M/badChunk" "${J[@]}" -H "Authorization: Bearer $(cat "$T/eve.token")" --data-binary @"$T/check.json"
expect_status 401 POST "$M/badChunk" "${J[@]}" --data-binary @"$T/check.json"
expect_status 401 POST "$M/uploadSuccessful" "${J[@]}" -H "Authorization: Bearer $(cat "$T/admin.token")" \
    --data "{\"chunkIdentifier\":\"$id0\",\"chunkserver\":\"$CS_ADDR_cs1\",\"size\":1}"
ok "a user's /badChunk may ask for a check, not condemn (403); server messages want the key, even from a superuser"

# ---- revocation and expiry
as admin admin token revoke eve
expect_fail 'not good here' as eve client --action list
expect_fail 'no user "eve"' as admin admin token revoke eve
expect_fail "admin.token" as admin admin token revoke admin
as admin admin token create brief --expires-in 2 >"$T/brief.token"
as admin admin token list | grep -q '^brief .* 20[0-9-]*T' || fail "the expiry is not listed"
brief_refused() { ! as brief "$MINIDFS" admin --master "$MASTER" whoami >/dev/null 2>&1; }
wait_until 10 "the 2 s token to expire" brief_refused
expect_fail 'not good here' as brief client --action list
ok "a revoked token and an expired one: 401 at once"

# ---- everything survives a restart: from the journal, then a checkpoint
MPORT=$(cat "$T/master.port")
restart() {
    stop_pid "$MASTER_PID"
    start_master --chunkSize "$CS" --replication 1 --port "$MPORT" "$@"
    wait_live 1
}
restart
check_kept() {
    [ "$(as alice admin whoami)" = "alice (group staff)" ] || fail "alice after a restart$1"
    expect_fail 'not good here' as eve client --action list
    expect_fail 'alice may not read "/a.txt"' as alice client --action read --filename a.txt --output-filename "$T/x"
    as bob client --action read --filename a.txt --output-filename "$T/a.bob3"
    cmp "$T/b" "$T/a.bob3" || fail "a.txt after a restart$1"
    as bob client --action list | grep -qE '^e.txt .* rw-r--r-- +eve:eve$' || fail "e.txt's owner after a restart$1"
}
check_kept ""
# The users and modes were made early: with --checkpoint-every 5 they live
# in a checkpoint by now, not in the log segments a start replays after it.
ls "$T/meta" | grep -q '^checkpoint\.' || fail "no checkpoint was written (--checkpoint-every 5)"
newest=$(ls "$T/meta" | grep '^checkpoint\.' | sort -t. -k2 -n | tail -1)
grep -q '"op":"user"' "$T/meta/$newest" || fail "the checkpoint has no users"
restart
check_kept " from a checkpoint"
ok "users, revocations, owners and modes survive restarts, from the journal and from a checkpoint"
