# slow.sh - a chunkserver that answers, but slowly (its port throttled to
# 400 kbit/s with tc htb inside a network namespace the test makes): a read
# gives each chunk a deadline from the run's observed speed, moves a chunk
# that runs past it to another replica, and resumes there where the slow
# one stopped (no byte fetched twice), so the read takes seconds, not the
# minutes the slow server would need, and is byte-exact.
# Needs root, `ip netns` and tc's htb; skipped (77) where they are missing.

if [ -z "${MINIDFS_NETNS:-}" ]; then
    ns="minidfs-slow-$$"
    if [ "$(id -u)" -ne 0 ] || ! command -v ip >/dev/null || ! command -v tc >/dev/null ||
        ! ip netns add "$ns" 2>/dev/null; then
        echo "SKIP [slow]: needs root, ip netns and tc"
        exit 77
    fi
    rc=0
    MINIDFS_NETNS=$ns ip netns exec "$ns" bash "$0" "$@" || rc=$?
    ip netns del "$ns"
    exit "$rc"
fi

. "$(dirname "$0")/lib.sh"
ip link set lo up
tc qdisc add dev lo root handle 1: htb default 10 2>/dev/null || skip "no htb qdisc in this kernel"
tc class add dev lo parent 1: classid 1:10 htb rate 10gbit
tc class add dev lo parent 1: classid 1:20 htb rate 400kbit ceil 400kbit

CS=1000000
start_cluster 3 --chunkSize "$CS" --replication 3
SIZE=$((24 * CS))
make_file "$T/f" "$SIZE"
client --action write --filename f --input "$T/f"

# From now on cs2 sends at 50 kB/s: a chunk from it alone takes 20 s.
port2=$(cat "$T/cs2.port")
tc filter add dev lo parent 1: protocol ip prio 1 u32 match ip sport "$port2" 0xffff flowid 1:20
served() { curl -s "http://$1stats" | grep -o '"bytesServed":[0-9]*' | cut -d: -f2; }
before=$(( $(served "$CS_ADDR_cs1") + $(served "$CS_ADDR_cs3") ))
start=$SECONDS
client --action read --filename f --output-filename "$T/f.out"
took=$((SECONDS - start))
cmp "$T/f" "$T/f.out" || fail "the read past a slow chunkserver differs"
[ "$took" -le 12 ] || fail "a slow chunkserver held the read for $took s"
after=$(( $(served "$CS_ADDR_cs1") + $(served "$CS_ADDR_cs3") ))
from_fast=$((after - before))
[ "$from_fast" -lt "$SIZE" ] ||
    fail "the fast copies served $from_fast bytes of $SIZE: what the slow one sent was fetched again"
ok "a slow chunkserver (50 kB/s): the read took $took s; the fast copies served $from_fast of $SIZE bytes (the rest came from the slow one before its chunks moved on)"

# ---- packet loss: cs2 drops a fifth of what it sends (nft, in this
# namespace). A read moves off it past the deadline; a write through it
# (every chunk's pipeline, with 3 copies on 3 servers) still completes,
# and what it says matches the master: exit 0 and the bytes read back.
tc filter del dev lo parent 1: prio 1
command -v nft >/dev/null || skip "no nft for the packet-loss part"
nft add table inet minidfs
nft add chain inet minidfs out '{ type filter hook output priority 0; }'
nft add rule inet minidfs out tcp sport "$port2" numgen random mod 100 '<' 20 drop
nft add rule inet minidfs out tcp dport "$port2" numgen random mod 100 '<' 20 drop
start=$SECONDS
client --action read --filename f --output-filename "$T/f.out2"
took=$((SECONDS - start))
cmp "$T/f" "$T/f.out2" || fail "the read past a lossy chunkserver differs"
[ "$took" -le 30 ] || fail "a lossy chunkserver held the read for $took s"
ok "a chunkserver dropping 20% of its packets: the read took $took s, byte-exact"
make_file "$T/g" $((6 * CS + 17))
start=$SECONDS
client --action write --filename g --input "$T/g"
took=$((SECONDS - start))
client --action read --filename g --output-filename "$T/g.out"
cmp "$T/g" "$T/g.out" || fail "a write through a lossy chunkserver reads back wrong"
ok "a write through a chunkserver dropping 20% of its packets: exit 0 in $took s, byte-exact"
