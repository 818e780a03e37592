# sim.sh - the cluster simulator at a small size (issue 19): a master
# restarted from a meta-dir of 2,000 files and 200,000 chunks meets 200
# simulated chunkservers (minidfs-sim: real heartbeats and full reports,
# no bytes). Asserted exactly: every chunk is located again from the
# reports, a steady heartbeat does not carry the live list, replication
# is restored after two servers fall silent, their return costs only the
# surplus copies, and no deletion ever takes a chunk of a live file below
# its count. Speed and memory bounds live in scripts/bench.sh (ONLY=scale).
. "$(dirname "$0")/lib.sh"

[ -x "${SIM:-}" ] || fail "no simulator (\$SIM)"
# (SIM_SERVERS, SIM_FILES: smaller under a sanitizer, scripts/test.sh)
SERVERS=${SIM_SERVERS:-200} FILES=${SIM_FILES:-2000} CPF=100 CS=1048576
"$SIM" seed --meta-dir "$T/meta" --servers $SERVERS --files $FILES --chunks-per-file $CPF \
    --chunk-size $CS >"$T/seed.log" 2>&1 || fail "seed: $(tail -3 "$T/seed.log")"
start_master --meta-dir "$T/meta" --chunkSize $CS --dead-after-ms 3000 --repair-ms 500
grep -q "recovered $FILES files" "$T/master.log" || fail "the master did not recover the seeded files"
"$SIM" run --master "$MASTER" --servers $SERVERS --files $FILES --chunks-per-file $CPF \
    --chunk-size $CS --master-pid "$MASTER_PID" --idle-s 3 --steady-s 5 --kill 2 --revive \
    --creates 20 --appends 5 --deletes 5 --gets 50 --bandwidth-mbps 200 \
    --absorb-timeout-s 120 --repair-timeout-s 120 --check --json "$T/sim.json" \
    >"$T/sim.log" 2>&1 || fail "the simulation: $(tail -5 "$T/sim.log")"
cat "$T/sim.log"
python3 - "$T/sim.json" <<'PY' || fail "the figures: $(cat "$T/sim.json")"
import json, sys
d = json.load(open(sys.argv[1]))
c = d["counts"]
assert d["ok"], "the run says it failed"
assert d["located_s"] > 0, "not every chunk was located"
assert d["repair_short"] > 0 and d["repair_s"] > 0, "nothing to repair, or not repaired"
assert d["chunks_short"] == 0 and d["chunks_lost"] == 0, "short or lost chunks at the end"
assert c["deletes_wrongful"] == 0, "wrongful deletions"
# every copy ordered landed (none to a server that was not live), and
# the return of the two servers cost at most their surplus copies
assert c["copies_landed"] >= d["repair_short"], "fewer copies than short chunks"
assert c["deletes_ordered"] <= c["copies_landed"] + c["deletes"] * 3 + 64, "more deletions than surplus"
# a client apart read where chunks are in every phase
for phase in ("absorb", "idle", "steady", "repair"):
    p = d[phase + "_probe"]
    assert p["count"] > 0 and p["failed"] == 0, "%s: the client's reads failed: %s" % (phase, p)
# nobody joined or left while steady: no beat carried the list
assert d["steady_beats"] > 0 and d["steady_live_lists"] == 0, "live lists in the steady phase: %d" % d["steady_live_lists"]
assert c["creates"] > 0 and c["gets"] > 0 and c["load_failed"] * 10 <= c["creates"] + c["appends"] + c["deletes"] + c["gets"], "the workload failed"
PY
grep -q "repair: .* to be copied from" "$T/master.log" || fail "no repair in the master's log"
ok "$SERVERS simulated servers: $(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("%d chunks located" % (int(sys.argv[2]) * 100) + " in %.1f s, %d short chunks repaired in %.1f s, no wrongful deletion" % (d["located_s"], d["repair_short"], d["repair_s"]))' "$T/sim.json" "$FILES")"
