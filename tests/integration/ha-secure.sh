#!/usr/bin/env bash
# ha-secure.sh - a secure HA cluster: the first master makes the cluster
# key and admin.token; a second one, given that key, joins as a standby
# (fetching its checkpoint with a signed request) and knows the first
# superuser and every user from the log; a third without the key is
# refused at its start. After the first master is killed, the same tokens
# work on the second, and writes and reads go on.
. "$(dirname "$0")/lib.sh"

start_etcd

# start_ha NAME [flags...]: a secure master of cluster s, meta-dir $T/NAME.
start_ha() {
    local name=$1; shift
    rm -f "$T/$name.port"
    "$MINIDFS" master --port 0 --port-file "$T/$name.port" --meta-dir "$T/$name" --secure \
        --ha-etcd "$ETCD" --cluster s --safemode-ms 3000 "$@" >>"$T/$name.log" 2>&1 &
    local pid=$!
    PIDS+=("$pid")
    wait_until 10 "master $name to listen" port_ready "$T/$name.port" "$pid" "$T/$name.log"
    printf -v "${name}_PID" '%s' "$pid"
    printf -v "${name}_URL" '%s' "http://127.0.0.1:$(cat "$T/$name.port")"
}
role_of() { curl -s "$1/ha/status" -H "Authorization: Bearer $MINIDFS_TOKEN" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["role"])' 2>/dev/null || echo none; }
is_role() { [ "$(role_of "$1")" = "$2" ]; }
live_on() { curl -s -H "Authorization: Bearer $MINIDFS_TOKEN" "$1/chunkservers" | grep -o '"live":true' | wc -l; }
has_live_on() { [ "$(live_on "$1")" -ge "$2" ]; }

start_ha m1
MINIDFS_TOKEN=$(cat "$T/m1/admin.token")
export MINIDFS_TOKEN
wait_until 15 "m1 to be active" is_role "$m1_URL" active
[ -s "$T/m1/cluster.key" ] || fail "the founder made no cluster.key"

# A master without the key is refused at its start: the cluster exists.
code=0
"$MINIDFS" master --port 0 --meta-dir "$T/nokey" --secure --ha-etcd "$ETCD" --cluster s \
    >"$T/nokey.log" 2>&1 || code=$?
[ "$code" -ne 0 ] || fail "a master without the cluster key started"
grep -q "copy cluster.key" "$T/nokey.log" || fail "the refusal does not say what to do: $(cat "$T/nokey.log")"
[ ! -e "$T/nokey/cluster.key" ] || fail "the refused master made a key of its own"
ok "a master without the cluster's key is refused, and says to copy it"

mkdir -p "$T/m2"
cp "$T/m1/cluster.key" "$T/m2/cluster.key"
chmod 600 "$T/m2/cluster.key"
start_ha m2
wait_until 20 "m2 to be a standby" is_role "$m2_URL" standby
[ ! -e "$T/m2/admin.token" ] || fail "the joining master made an admin.token of its own"
MASTER="$m1_URL,$m2_URL"
for i in 1 2 3; do start_chunkserver "cs$i" "$T/data$i" --key-file "$T/m1/cluster.key"; done
wait_until 15 "3 chunkservers on m1" has_live_on "$m1_URL" 3
wait_until 15 "3 chunkservers on m2" has_live_on "$m2_URL" 3
ok "a master given the key joins as a standby; signed chunkservers heartbeat to both"

fs() { "$MINIDFS" "$@" --master "$MASTER"; }
USER_TOKEN=$("$MINIDFS" admin token create alice --master "$MASTER") || fail "token create"
make_file "$T/a" 300000
MINIDFS_TOKEN=$USER_TOKEN fs put "$T/a" /a || fail "alice's put"
ADMIN=$MINIDFS_TOKEN

kill -9 "$m1_PID"
wait "$m1_PID" 2>/dev/null || true
make_file "$T/b" 123456
MINIDFS_TOKEN=$USER_TOKEN fs put "$T/b" /b || fail "alice's put after the failover"
is_role "$m2_URL" active || fail "m2 did not take over"
MINIDFS_TOKEN=$USER_TOKEN fs get /a "$T/a.out" && cmp "$T/a" "$T/a.out" || fail "/a after the failover"
MINIDFS_TOKEN=$USER_TOKEN fs get /b "$T/b.out" && cmp "$T/b" "$T/b.out" || fail "/b after the failover"
MINIDFS_TOKEN=$ADMIN "$MINIDFS" admin token list --master "$MASTER" >"$T/users" || fail "admin's token list on m2"
grep -q "^alice " "$T/users" || fail "m2 does not know alice: $(cat "$T/users")"
[ "$(grep -c "^admin " "$T/users")" -eq 1 ] || fail "admin listed other than once: $(cat "$T/users")"
STRANGER=$(head -c 32 /dev/urandom | sha256sum | cut -c1-64)
MINIDFS_TOKEN=$STRANGER expect_fail "not good here" "$MINIDFS" stat --master "$m2_URL" /a
ok "after the failover the first superuser's and a user's tokens work on the new master; others do not"
