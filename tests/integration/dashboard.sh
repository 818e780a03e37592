# dashboard.sh - the master's dashboard as a browser shows it: headless
# Chromium loads GET / of a small cluster, and the DOM it rendered (after
# the page's scripts ran against the master's API) names every chunkserver
# and a known file, says the cluster is healthy, and then shows a
# decommissioned server and a file with a missing chunk for what they are.
# A screenshot is kept in the build's it-logs directory for a person to
# look at. The page's files come from the binary (no file, no network).
. "$(dirname "$0")/lib.sh"

CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
[ -n "$CHROMIUM" ] || skip "no chromium (scripts/deps.sh installs it)"
LOGS=${MINIDFS_IT_LOGS:-$(dirname "$T")/../it-logs}
mkdir -p "$LOGS"

start_master --replication 2 --dead-after-ms 1500 --repair-ms 200 --safemode-ms 0
for i in 1 2 3; do start_chunkserver "cs$i" "$T/data$i" --rack "rack$i"; done
wait_live 3
fs() { "$MINIDFS" "$@" --master "$MASTER"; }
make_file "$T/k" 300000
fs mkdir -p /logs/2026 || fail "mkdir"
fs put "$T/k" /known-file.txt || fail "put"
fs put "$T/k" /logs/2026/app.log || fail "put"

# Chromium's own profile and caches stay in the test's directory.
browse() {
    HOME="$T/home" "$CHROMIUM" --headless --no-sandbox --disable-gpu --no-first-run \
        --user-data-dir="$T/chromium" --hide-scrollbars --window-size=1400,1300 \
        --virtual-time-budget=6000 "$@" "$MASTER" 2>>"$T/chromium.log"
}
dom_has_all() {
    browse --dump-dom >"$T/dom.html" || return 1
    for i in 1 2 3; do grep -q "127.0.0.1:$(cat "$T/cs$i.port")/" "$T/dom.html" || return 1; done
    grep -q 'known-file.txt' "$T/dom.html" && grep -q '>logs/<' "$T/dom.html" &&
        grep -q '>HEALTHY<' "$T/dom.html"
}
wait_until 60 "the dashboard to show every chunkserver, the files and the health" dom_has_all
grep -q 'rack2' "$T/dom.html" || fail "the racks are not shown"
browse --screenshot="$LOGS/dashboard.png" >/dev/null || fail "screenshot"
[ -s "$LOGS/dashboard.png" ] || fail "no screenshot"
# the page and its files, as the master serves them
[ "$(curl -s -o /dev/null -w '%{content_type}' "${MASTER}ui/app.js")" = "text/javascript; charset=utf-8" ] ||
    fail "app.js's type"
[ "$(curl -s -o /dev/null -w '%{http_code}' "${MASTER}ui/../meta/cluster.json")" = 404 ] || fail "a path outside the files"
[ "$(curl -s -o /dev/null -w '%{http_code}' "${MASTER}ui/nothing.js")" = 404 ] || fail "an unknown file"
ok "headless Chromium renders every chunkserver, the files and the health (screenshot: $LOGS/dashboard.png)"

# ---- a decommissioned server and a missing chunk show up
fs admin decommission "127.0.0.1:$(cat "$T/cs3.port")" >/dev/null || fail "decommission"
"$MINIDFS" client --master "$MASTER" --quiet --action write --filename lonely.bin --input "$T/k" \
    --replication 1 || fail "put lonely.bin"
holder=$(curl -s "${MASTER}get?id=$(fileid lonely.bin)" | python3 -c 'import json,sys; print(json.load(sys.stdin)["locations"][0])')
for i in 1 2 3; do
    [ "127.0.0.1:$(cat "$T/cs$i.port")/" = "$holder" ] && kill -9 "$(eval echo "\$CS_PID_cs$i")"
done
dom_shows_trouble() {
    browse --dump-dom >"$T/dom2.html" || return 1
    grep -q '>UNHEALTHY<' "$T/dom2.html" && grep -q '>lonely.bin<' "$T/dom2.html" &&
        grep -q '>missing<' "$T/dom2.html" && grep -Eq '>(decommissioning|decommissioned|dead)<' "$T/dom2.html"
}
wait_until 60 "the dashboard to show the missing chunk" dom_shows_trouble
browse --screenshot="$LOGS/dashboard-trouble.png" >/dev/null || true
ok "the dashboard shows a missing chunk's file, UNHEALTHY, and the decommission"
