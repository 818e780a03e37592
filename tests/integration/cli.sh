# cli.sh - the command line: help on every command, clear usage errors.
. "$(dirname "$0")/lib.sh"

for cmd in master chunkserver client; do
    "$MINIDFS" "$cmd" --help >"$T/help" || fail "$cmd --help exited non-zero"
    grep -q "usage: minidfs $cmd" "$T/help" || fail "$cmd --help prints no usage"
    grep -q -- "--port\|--action" "$T/help" || fail "$cmd --help lists no flags"
done
"$MINIDFS" --help >"$T/help" && grep -q "Commands:" "$T/help" || fail "minidfs --help"
ok "--help on every command"

for bin in minidfs-master minidfs-chunkserver minidfs-client; do
    # into a file, not a pipe: grep -q would stop reading at the first line
    # and a help text longer than stdio's buffer would die of SIGPIPE
    "$(dirname "$MINIDFS")/$bin" --help >"$T/help" && grep -q usage "$T/help" || fail "$bin --help"
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
expect_fail 'only http:// and https:// are supported' "$MINIDFS" client --master ftp://x:1/ --action list
expect_fail 'no port' "$MINIDFS" chunkserver --master http://localhost/ --dir "$T/d"
expect_fail 'advertise' "$MINIDFS" chunkserver --advertise 'bad host:1' --dir "$T/d"
ok "usage errors: one line, exit 2"

start_master --replication 1
expect_fail 'cannot listen on port' "$MINIDFS" master --log-level warn --meta-dir "$T/meta2" --port "$(cat "$T/master.port")"
[ "$LAST_RC" -eq 1 ] || fail "port in use exits $LAST_RC"
ok "port in use: one line, exit 1"

# The master answers list with nothing on a fresh cluster.
client --action list >"$T/list"
[ "$(wc -l <"$T/list")" -eq 1 ] || fail "fresh list: $(cat "$T/list")"
# Without --master: $MINIDFS_MASTER; --master wins over it.
MINIDFS_MASTER=$MASTER "$MINIDFS" client --action list >"$T/list2" || fail "MINIDFS_MASTER is not used"
cmp -s "$T/list" "$T/list2" || fail "list through MINIDFS_MASTER: $(cat "$T/list2")"
MINIDFS_MASTER=http://127.0.0.1:1/ "$MINIDFS" client --master "$MASTER" --action list >/dev/null ||
    fail "--master does not win over MINIDFS_MASTER"
MINIDFS_MASTER=http://127.0.0.1:1/ expect_fail 'whoami.*(refused|connect)' "$MINIDFS" admin whoami --retry-ms 0
# --advertise: the master hands out the given address, not the one it sees.
start_chunkserver probe "$T/probe"
port=$(cat "$T/probe.port")
stop_pid "$CS_PID"
start_chunkserver adv "$T/adv" --port "$port" --advertise "localhost:$port"
wait_until 10 "the advertised address" sh -c "curl -s '${MASTER}chunkservers' | grep -q '\"url\":\"localhost:$port/\",\"live\":true'"
make_file "$T/p" 3000000
client --action write --filename p --input "$T/p"
curl -s "${MASTER%/}/get?id=$(fileid p)" | grep -q "\"locations\":\[\"localhost:$port/\"" || fail "locations do not use the advertised address"
client --action read --filename p --output-filename "$T/p.out"
cmp "$T/p" "$T/p.out" || fail "round trip through an advertised address"
ok "--advertise HOST:PORT is the address clients are given"

# The progress line: drawn on a terminal, never into a file or pipe.
"$MINIDFS" client --master "$MASTER" --action read --filename p --output-filename "$T/p2" 2>"$T/notty"
[ ! -s "$T/notty" ] || fail "progress written to a non-terminal stderr: $(cat "$T/notty")"
if command -v script >/dev/null; then
    script -qefc "\"$MINIDFS\" client --master $MASTER --action read --filename p --output-filename $T/p3" /dev/null >"$T/tty"
    grep -q 'read p: 2.9 / 2.9 MiB (100%)' "$T/tty" || fail "no progress line on a terminal: $(cat -v "$T/tty")"
    cmp "$T/p" "$T/p3" || fail "read on a terminal"
    ok "progress line on a terminal only"
fi

stop_pid "$MASTER_PID"
expect_fail 'list .*(Connection refused|Couldn.t connect)' client --action list --retry-ms 300
[ "$LAST_RC" -eq 1 ] || fail "dead master exits $LAST_RC"
ok "dead master: one line, exit 1"
