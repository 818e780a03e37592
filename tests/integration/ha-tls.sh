#!/usr/bin/env bash
# ha-tls.sh - an HA cluster all on TLS: etcd serving HTTPS, two masters and
# three chunkservers serving HTTPS with a test CA's certificate, every call
# between them verified. The standby follows the log and takes over when
# the active master is killed; bytes written before and after read back
# exact. A master on TLS is refused an http:// etcd.
. "$(dirname "$0")/lib.sh"
command -v openssl >/dev/null || skip "openssl is not installed (scripts/deps.sh installs it)"

"$(dirname "$0")/../../scripts/make-pki.sh" "$T/pki"
P=$T/pki
TLS=(--tls-cert "$P/server.pem" --tls-key "$P/server.key" --ca-file "$P/ca.pem")
start_etcd "$P/server.pem" "$P/server.key" "$P/ca.pem"
case $ETCD in https://*) ;; *) fail "etcd does not serve HTTPS: $ETCD" ;; esac

expect_fail "https:// only" "$MINIDFS" master --port 0 --meta-dir "$T/x" "${TLS[@]}" \
    --ha-etcd "http://127.0.0.1:1" --cluster t
[ "$LAST_RC" -eq 2 ] || fail "an http:// etcd for a TLS master is a usage error"
ok "a master on TLS is refused an etcd in the clear"

start_ha() {
    local name=$1
    rm -f "$T/$name.port"
    "$MINIDFS" master --port 0 --port-file "$T/$name.port" --meta-dir "$T/$name" "${TLS[@]}" \
        --ha-etcd "$ETCD" --cluster t --safemode-ms 3000 >>"$T/$name.log" 2>&1 &
    local pid=$!
    PIDS+=("$pid")
    wait_until 10 "master $name to listen" port_ready "$T/$name.port" "$pid" "$T/$name.log"
    printf -v "${name}_PID" '%s' "$pid"
    printf -v "${name}_URL" '%s' "https://127.0.0.1:$(cat "$T/$name.port")"
}
role_of() { curl -s --cacert "$P/ca.pem" "$1/ha/status" | grep -o '"role":"[a-z-]*"' | cut -d'"' -f4; }
is_role() { [ "$(role_of "$1")" = "$2" ]; }
live_on() { curl -s --cacert "$P/ca.pem" "$1/chunkservers" | grep -o '"live":true' | wc -l; }
has_live_on() { [ "$(live_on "$1")" -ge "$2" ]; }

start_ha m1
wait_until 15 "m1 to be active" is_role "$m1_URL" active
start_ha m2
wait_until 15 "m2 to be a standby" is_role "$m2_URL" standby
MASTER="$m1_URL,$m2_URL"
for i in 1 2 3; do start_chunkserver "cs$i" "$T/data$i" "${TLS[@]}"; done
wait_until 15 "3 chunkservers on m1" has_live_on "$m1_URL" 3
wait_until 15 "3 chunkservers on m2" has_live_on "$m2_URL" 3
curl -s --cacert "$P/ca.pem" "$m2_URL/ha/status" | grep -q "\"leader\":\"$m1_URL\"" ||
    fail "the standby does not name the active master by its https:// URL"
ok "etcd, two masters and three chunkservers on TLS; the standby follows"

fs() { "$MINIDFS" "$@" --master "$MASTER" --ca-file "$P/ca.pem"; }
make_file "$T/a" 2500000
fs put "$T/a" /a || fail "put over TLS"
kill -9 "$m1_PID"
wait "$m1_PID" 2>/dev/null || true
make_file "$T/b" 777777
fs put "$T/b" /b || fail "put after the failover over TLS"
is_role "$m2_URL" active || fail "m2 did not take over"
fs get /a "$T/a.out" && cmp "$T/a" "$T/a.out" || fail "/a after the failover"
fs get /b "$T/b.out" && cmp "$T/b" "$T/b.out" || fail "/b after the failover"
ok "the active master killed: the standby takes over on TLS, every byte reads back"
