# crash.sh - kill -9 the master again and again during a stream of 200
# uploads. After each restart, every upload the client saw succeed reads
# back exactly, and no other file is half-visible: a file the master lists
# as complete holds exactly the bytes that were written, whatever its
# writer was told.
. "$(dirname "$0")/lib.sh"

UPLOADS=${CRASH_UPLOADS:-200}
KILLS=${CRASH_KILLS:-20}
CS=65536
MFLAGS=(--chunkSize "$CS" --replication 2 --checkpoint-every 50)
start_master "${MFLAGS[@]}"
MPORT=$(cat "$T/master.port")
for i in 1 2 3; do start_chunkserver "cs$i" "$T/data$i"; done
wait_live 3
mkdir -p "$T/src"

# The writer: one file after another, each a few chunks of its own bytes;
# it notes the ones acknowledged (exit 0). It does not start a new upload
# while the master is being restarted, so the kills spread over the stream.
no_restart() { [ ! -e "$T/restarting" ]; }
(
    for n in $(seq 1 "$UPLOADS"); do
        wait_until 30 "the master restart" no_restart
        head -c $(( (n * 7919) % (4 * CS) + 1 )) /dev/urandom >"$T/src/f$n"
        echo "f$n" >>"$T/started"
        if "$MINIDFS" client --master "$MASTER" --quiet --action write --filename "f$n" \
            --input "$T/src/f$n" 2>/dev/null; then
            echo "f$n" >>"$T/acked"
        fi
    done
    echo done >"$T/writer.done"
) &
WRITER=$!
PIDS+=("$WRITER")

# The killer: at random points of the stream, kill -9 and restart.
kills=0
while [ ! -e "$T/writer.done" ] && [ "$kills" -lt "$KILLS" ]; do
    before=$(wc -l 2>/dev/null <"$T/started" || echo 0)
    # let a random few uploads start first
    target=$((before + RANDOM % 8 + 1))
    progressed() { [ -e "$T/writer.done" ] || [ "$(wc -l 2>/dev/null <"$T/started" || echo 0)" -ge "$target" ]; }
    wait_until 60 "the writer to start upload $target" progressed
    sleep "0.0$((RANDOM % 10))"   # a random point inside the next upload, not a sync
    touch "$T/restarting"
    kill -9 "$MASTER_PID"
    wait "$MASTER_PID" 2>/dev/null || true
    kills=$((kills + 1))
    start_master "${MFLAGS[@]}" --port "$MPORT"
    wait_live 3   # the chunkservers' next heartbeats find it
    rm -f "$T/restarting"
done
wait "$WRITER"
[ "$kills" -eq "$KILLS" ] || fail "only $kills of $KILLS kills happened before the uploads ended"
nacked=$(wc -l <"$T/acked")
[ "$nacked" -ge $((UPLOADS / 2)) ] || fail "only $nacked of $UPLOADS uploads succeeded"

# Everything acknowledged is complete, and whatever the master calls
# complete (so every acknowledged file) reads back exactly what was
# written, each read once; the chunkservers first re-report.
wait_live 3
curl -s "${MASTER}files" | grep -o '"fileName":"f[0-9]*"[^}]*"complete":true' \
    | sed 's/"fileName":"\([^"]*\)".*/\1/' >"$T/complete"
while read -r f; do grep -qx "$f" "$T/complete" || fail "acknowledged $f is not complete"; done <"$T/acked"
readable() { client --action read --filename "$1" --output-filename "$T/out" 2>/dev/null; }
while read -r f; do
    wait_until 10 "complete $f to be readable" readable "$f"
    cmp "$T/src/$f" "$T/out" || fail "complete file $f reads back wrong"
done <"$T/complete"
ok "$kills kill -9s of the master during $UPLOADS uploads: all $nacked acknowledged read back, $(wc -l <"$T/complete") complete files exact"
