#!/usr/bin/env bash
# tls.sh - a secure cluster all on TLS: certificates made here by a test
# CA (openssl), a master and chunkservers serving HTTPS, a client that
# verifies them; bytes round-trip, and nothing is served or taken in the
# clear, from an unknown CA, or under a name the certificate does not
# carry.
. "$(dirname "$0")/lib.sh"
command -v openssl >/dev/null || skip "openssl is not installed (scripts/deps.sh installs it)"

# A test CA, and one certificate for 127.0.0.1 that every server uses;
# another CA that never signed it.
MAKE_PKI=$(dirname "$0")/../../scripts/make-pki.sh
"$MAKE_PKI" "$T/pki"
"$MAKE_PKI" "$T/other"
P=$T/pki
TLS=(--tls-cert "$P/server.pem" --tls-key "$P/server.key")

start_master --secure --chunkSize 1000000 --replication 2 "${TLS[@]}"
MASTER="https://127.0.0.1:$(cat "$T/master.port")/"
M=${MASTER%/}
as_admin
MASTER_AUTH+=(--cacert "$P/ca.pem")
for i in 1 2; do
    start_chunkserver "cs$i" "$T/data$i" --key-file "$T/meta/cluster.key" "${TLS[@]}" \
        --ca-file "$P/ca.pem"
done
wait_live 2
grep -q 'listening on port [0-9]* (HTTPS)' "$T/master.log" || fail "the master does not say HTTPS"
ok "a secure master and two chunkservers serve HTTPS; the chunkservers register over it"

make_file "$T/in" 3500000
client --ca-file "$P/ca.pem" --action write --filename f.bin --input "$T/in"
client --ca-file "$P/ca.pem" --action read --filename f.bin --output-filename "$T/out"
cmp "$T/in" "$T/out" || fail "a round trip over TLS differs"
make_file "$T/more" 1200000
client --ca-file "$P/ca.pem" --action append --filename f.bin --input "$T/more"
client --ca-file "$P/ca.pem" --action read --filename f.bin --output-filename "$T/out2"
cat "$T/in" "$T/more" | cmp - "$T/out2" || fail "an append over TLS differs"
n=$(chunk_files "$T/data1" "$T/data2" | wc -l)
[ "$n" -eq 10 ] || fail "5 chunks x 2 replicas expected on disk, found $n (the pipeline over TLS)"
ok "write, append and read over TLS, pipeline included, byte-exact"

# Nothing in the clear: a plain HTTP request to either server gets no answer
# worth the name, and a client that asks for http:// is turned away.
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$(cat "$T/master.port")/files" || true)
[ "$code" != 200 ] || fail "the master answered plain HTTP"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://$CS_ADDR_cs1/stats" || true)
[ "$code" != 200 ] || fail "a chunkserver answered plain HTTP"
expect_fail 'list' "$MINIDFS" client --master "http://127.0.0.1:$(cat "$T/master.port")/" \
    --action list --retry-ms 0
# An unknown CA, and the system's CAs (which never signed this one): refused.
expect_fail 'certificate|SSL|TLS' client --ca-file "$T/other/ca.pem" --action list --retry-ms 0
expect_fail 'certificate|SSL|TLS' client --action list --retry-ms 0
# A name the certificate does not carry.
expect_fail 'certificate|SSL|TLS|match|name' "$MINIDFS" client \
    --master "https://127.0.0.2:$(cat "$T/master.port")/" --ca-file "$P/ca.pem" --action list --retry-ms 0
# --ca-file with http:// is a slip that would send everything in the clear.
expect_fail 'needs an https://' "$MINIDFS" client --master "http://127.0.0.1:1/" --ca-file "$P/ca.pem" --action list
[ "$LAST_RC" -eq 2 ] || fail "--ca-file with http:// is a usage error"
ok "no plain HTTP served or asked for; an unknown CA or a wrong name is refused"

# A chunkserver whose CA does not know the master's certificate never joins.
start_chunkserver cs3 "$T/data3" --key-file "$T/meta/cluster.key" "${TLS[@]}" \
    --ca-file "$T/other/ca.pem"
untrusted() { grep -qiE 'certificate|SSL' "$T/cs3.log"; }
wait_until 10 "cs3 to refuse the master's certificate" untrusted
[ "$(live_count)" -eq 2 ] || fail "a chunkserver that cannot verify the master joined"
stop_pid "$CS_PID_cs3"
# Half a TLS cluster is refused at the start.
expect_fail 'TLS all through|serves and calls with TLS' "$MINIDFS" chunkserver --master "$MASTER" \
    --dir "$T/data4" --key-file "$T/meta/cluster.key"
expect_fail 'go together' "$MINIDFS" master --tls-cert "$P/server.pem" --meta-dir "$T/m2"
chmod 644 "$P/server.key"
expect_fail 'may be read by others' "$MINIDFS" master "${TLS[@]}" --meta-dir "$T/m2"
chmod 600 "$P/server.key"
ok "a chunkserver that cannot verify the master stays out; half-TLS and loose keys refused at start"
