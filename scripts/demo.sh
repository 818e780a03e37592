#!/usr/bin/env bash
# demo.sh - a local cluster round trip, as a user would run it: a master and
# three chunkservers on 127.0.0.1, a 32,750,109-byte file written, read back
# and compared, the chunk layout of each data directory shown, the cluster
# stopped. Everything lives in a temporary directory that is removed at the
# end (set KEEP=1 to keep it).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh >/dev/null
MINIDFS=$PWD/build/bin/minidfs
WORK=$(mktemp -d "${TMPDIR:-/tmp}/minidfs-demo.XXXXXX")
PIDS=()
stop() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
    [ "${KEEP:-0}" = 1 ] && echo "kept $WORK" || rm -rf "$WORK"
}
trap stop EXIT
cd "$WORK"

"$MINIDFS" master --port 0 --port-file master.port --chunkSize 1000000 2>master.log &
PIDS+=($!)
until [ -s master.port ]; do kill -0 "${PIDS[0]}" || { cat master.log; exit 1; }; sleep 0.05; done
MASTER="http://localhost:$(cat master.port)/"
echo "master at $MASTER (chunk size 1,000,000)"
for i in 1 2 3; do
    "$MINIDFS" chunkserver --master "$MASTER" --port 0 --port-file "cs$i.port" --dir "./data$i" 2>"cs$i.log" &
    PIDS+=($!)
done
until [ "$(curl -s "${MASTER}chunkservers" | grep -o '"live":true' | wc -l)" -eq 3 ]; do sleep 0.05; done
echo "3 chunkservers registered"

head -c 32750109 /dev/urandom >input.txt
set -x
"$MINIDFS" client --master "$MASTER" --action write --filename input.txt
"$MINIDFS" client --master "$MASTER" --action read --filename input.txt --output-filename output.txt
diff input.txt output.txt
"$MINIDFS" client --master "$MASTER" --action list
{ set +x; } 2>/dev/null
echo "no differences: input.txt and output.txt are identical"
echo
echo "chunk layout (identifier = sha256(\"input.txt\") = $(printf input.txt | sha256sum | cut -c1-64)):"
for i in 1 2 3; do
    n=$(ls "data$i" | wc -l)
    bytes=$(find "data$i" -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')
    echo "  data$i: $n chunks, $bytes bytes:" $(ls "data$i" | sed 's/^.*_//' | sort -n | tr '\n' ' ')
done
