# install.sh - `cmake --install` puts the four binaries and the packaging
# (systemd units, their examples, a Prometheus config) where they belong,
# the installed binaries run, and systemd's own checker finds nothing to
# say about the units (every key known, every path absolute).
. "$(dirname "$0")/lib.sh"

BUILD=$(cd "$(dirname "$MINIDFS")/.." && pwd)
[ -f "$BUILD/CMakeCache.txt" ] || skip "no build directory above $MINIDFS"
DESTDIR="$T/root" cmake --install "$BUILD" --prefix /usr/local >"$T/install.log" 2>&1 ||
    fail "cmake --install: $(tail -3 "$T/install.log")"
R="$T/root/usr/local"
v=$("$MINIDFS" --version)
for b in minidfs minidfs-master minidfs-chunkserver minidfs-client; do
    [ -x "$R/bin/$b" ] || fail "$b not installed"
done
[ "$("$R/bin/minidfs" --version)" = "$v" ] || fail "the installed minidfs says $("$R/bin/minidfs" --version)"
[ "$("$R/bin/minidfs-master" --version)" = "$v" ] || fail "the installed minidfs-master"
for f in minidfs-master.service minidfs-chunkserver@.service minidfs.sysusers master.env \
         chunkserver.env prometheus.yml; do
    [ -s "$R/share/minidfs/packaging/$f" ] || fail "$f not installed"
done
[ -s "$R/share/doc/minidfs/README.md" ] || fail "README.md not installed"
ok "cmake --install: binaries that run, units, examples and docs"

command -v systemd-analyze >/dev/null || skip "no systemd-analyze (scripts/deps.sh installs systemd)"
mkdir -p "$T/units"
sed "s|/usr/local/bin/minidfs|$R/bin/minidfs|" "$R/share/minidfs/packaging/minidfs-master.service" \
    >"$T/units/minidfs-master.service"
sed "s|/usr/local/bin/minidfs|$R/bin/minidfs|" "$R/share/minidfs/packaging/minidfs-chunkserver@.service" \
    >"$T/units/minidfs-chunkserver@disk1.service"
for u in "$T/units/minidfs-master.service" "$T/units/minidfs-chunkserver@disk1.service"; do
    systemd-analyze verify --man=no "$u" >"$T/verify.out" 2>&1 || fail "systemd-analyze verify $u: $(cat "$T/verify.out")"
    [ ! -s "$T/verify.out" ] || fail "systemd-analyze has something to say of $(basename "$u"): $(cat "$T/verify.out")"
    grep -q '^Restart=on-failure$' "$u" && grep -q '^User=minidfs$' "$u" &&
        grep -q '^NoNewPrivileges=yes$' "$u" && grep -q '^ProtectSystem=strict$' "$u" ||
        fail "$(basename "$u") lacks a restart policy, its user or its hardening"
done
ok "systemd-analyze verify passes both units (Restart=on-failure, user minidfs, hardened)"
