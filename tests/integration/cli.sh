# cli.sh - the command line: help on every command, clear usage errors.
. "$(dirname "$0")/lib.sh"

for cmd in master chunkserver client; do
    "$MINIDFS" "$cmd" --help >"$T/help" || fail "$cmd --help exited non-zero"
    grep -q "usage: minidfs $cmd" "$T/help" || fail "$cmd --help prints no usage"
    grep -q -- "--port\|--action" "$T/help" || fail "$cmd --help lists no flags"
done
"$MINIDFS" --help | grep -q "Commands:" || fail "minidfs --help"
ok "--help on every command"

for bin in minidfs-master minidfs-chunkserver minidfs-client; do
    "$(dirname "$MINIDFS")/$bin" --help | grep -q usage || fail "$bin --help"
done
ok "standalone executables"

expect_fail 'unknown command "bogus"' "$MINIDFS" bogus
[ "$LAST_RC" -eq 2 ] || fail "unknown command exits $LAST_RC"
{ "$MINIDFS" 2>/dev/null; [ $? -eq 2 ]; } || fail "no command should exit 2"
expect_fail 'unknown flag "--bogus"' "$MINIDFS" master --bogus
[ "$LAST_RC" -eq 2 ] || fail "bad flag exits $LAST_RC"
expect_fail 'not an integer' "$MINIDFS" master --port abc
expect_fail 'out of range' "$MINIDFS" master --chunkSize 0
expect_fail '--action is required' "$MINIDFS" client
expect_fail 'unknown action "frobnicate"' "$MINIDFS" client --action frobnicate
expect_fail 'needs --filename' "$MINIDFS" client --action read
expect_fail 'only http:// is supported' "$MINIDFS" client --master https://x:1/ --action list
expect_fail 'no port' "$MINIDFS" chunkserver --master http://localhost/ --dir "$T/d"
expect_fail 'advertise' "$MINIDFS" chunkserver --advertise 'bad host:1' --dir "$T/d"
ok "usage errors: one line, exit 2"

start_master
expect_fail 'cannot listen on port' "$MINIDFS" master --port "$(cat "$T/master.port")"
[ "$LAST_RC" -eq 1 ] || fail "port in use exits $LAST_RC"
ok "port in use: one line, exit 1"

# The master answers list with nothing on a fresh cluster.
client --action list >"$T/list"
[ "$(wc -l <"$T/list")" -eq 1 ] || fail "fresh list: $(cat "$T/list")"
stop_pid "$MASTER_PID"
expect_fail 'list .*(Connection refused|Couldn.t connect)' client --action list
[ "$LAST_RC" -eq 1 ] || fail "dead master exits $LAST_RC"
ok "dead master: one line, exit 1"
