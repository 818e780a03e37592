# unreachable.sh - a chunkserver that reaches the master but not the
# clients (here: it advertises an address nothing listens on) does not
# stay a place for chunks forever: clients that cannot connect say so,
# and after a few such reports the master shuns it for a while - no new
# chunks there, its copies counted out, so repair makes good the copies
# clients can use. No client can shun more than a minority of the
# servers: reports against the others change nothing. A restart lifts it.
. "$(dirname "$0")/lib.sh"

CS=1000000
start_cluster 3 --chunkSize "$CS" --replication 2 --dead-after-ms 2000 --repair-ms 200
make_file "$T/f" $((12 * CS))
client --action write --filename f --input "$T/f"
id=$(fileid f)

# cs3 comes back announcing an address no client can connect to.
OLD=$CS_ADDR_cs3
stop_pid "$CS_PID_cs3"
start_chunkserver cs3 "$T/data3" --advertise 127.0.0.1:9
BAD="127.0.0.1:9/"
known() { curl -s "${MASTER}chunkservers" | grep -q "\"url\":\"$BAD\",\"live\":true"; }
wait_until 10 "the master to hear from $BAD" known
# and its old address is dead (else clients would meet, and report, that
# one too - and then shunning a second would not leave a majority)
old_dead() { curl -s "${MASTER}chunkservers" | grep -q "\"url\":\"$OLD\",\"live\":false"; }
wait_until 10 "its old address $OLD to be declared dead" old_dead
# its old address goes dead; its chunks are now reported under the new one
reported() { curl -s "${MASTER}get?id=$id" | grep -q "$BAD"; }
wait_until 15 "the chunks to be reported under $BAD" reported

# Three reads (three clients): each fails over to the other copy and says
# it could not connect.
for k in 1 2 3; do
    client --action read --filename f --output-filename "$T/f.$k"
    cmp "$T/f" "$T/f.$k" || fail "read $k differs"
done
shunned() { curl -s "${MASTER}chunkservers" | grep -q "\"url\":\"$BAD\",\"live\":true,\"unreachable\":true"; }
wait_until 5 "the master to shun $BAD" shunned
grep -q "clients cannot connect to it" "$T/master.log" || fail "the shunning was not logged"
ok "three clients that could not connect: $BAD is shunned (reaches the master, not the clients)"

# repair counts its copies out: every chunk gets two copies on cs1 and cs2
two_usable() {
    local i
    for i in $(seq 0 11); do
        [ -e "$T/data1/${id}_$i" ] && [ -e "$T/data2/${id}_$i" ] || return 1
    done
}
wait_until 30 "repair to copy what only $BAD held onto cs1 and cs2" two_usable
ok "repair made good the copies only the shunned server held"

# no new chunk goes there
make_file "$T/g" $((6 * CS))
client --action write --filename g --input "$T/g"
[ -z "$(chunk_files "$T/data3" | grep "^$(fileid g)_" || true)" ] || fail "a new chunk was placed on the shunned server"
client --action read --filename g --output-filename "$T/g.out"
cmp "$T/g" "$T/g.out" || fail "g differs"
ok "a write while it is shunned places nothing there"

# a client cannot shun the rest: reports against cs1 change nothing
M=${MASTER%/}
for k in 1 2 3 4 5; do
    expect_status 200 POST "$M/unreachable" -H 'Content-Type: application/json' \
        --data "{\"chunkserver\":\"$CS_ADDR_cs1\"}"
done
grep -q '"shunned":false' "$T/body" || fail "a majority could be shunned: $(cat "$T/body")"
expect_status 404 POST "$M/unreachable" -H 'Content-Type: application/json' --data '{"chunkserver":"127.0.0.1:1/"}'
expect_status 400 POST "$M/unreachable" -H 'Content-Type: application/json' --data '{"chunkserver":7}'
ok "reports against the rest of the cluster shun nothing (a minority at most); bad reports are 4xx"

# a restart (a new incarnation in its registration) lifts the shunning at
# once: the server may have come back reachable
kill -9 "$CS_PID_cs3"
wait "$CS_PID_cs3" 2>/dev/null || true
start_chunkserver cs3 "$T/data3" --advertise 127.0.0.1:9
lifted() { curl -s "${MASTER}chunkservers" | grep -q "\"url\":\"$BAD\",\"live\":true,\"unreachable\":false"; }
wait_until 5 "a restart of $BAD to lift its shunning" lifted
ok "a restarted chunkserver is no longer shunned"
