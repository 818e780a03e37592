# outputs.sh - what a read writes into. A regular file is replaced whole
# (through a temporary, keeping its mode); a device or a FIFO is written in
# place, never replaced by a regular file; a symlink is followed and its
# target replaced, the link kept; a dangling symlink or a directory is
# refused and left as it was.
. "$(dirname "$0")/lib.sh"

start_cluster 1 --chunkSize 100000 --replication 1
make_file "$T/f" 350000
client --action write --filename f --input "$T/f"

# A regular file that exists keeps its mode.
printf 'old' >"$T/reg" && chmod 0640 "$T/reg"
client --action read --filename f --output-filename "$T/reg"
cmp "$T/f" "$T/reg" || fail "regular output"
[ "$(stat -c %a "$T/reg")" = 640 ] || fail "the replaced file's mode: $(stat -c %a "$T/reg")"
ok "a regular file is replaced whole and keeps its mode"

# A FIFO: written in order, in place, and still a FIFO afterwards.
mkfifo "$T/fifo"
cat "$T/fifo" >"$T/fifo.out" &
reader=$!
client --action read --filename f --output-filename "$T/fifo"
wait "$reader"
cmp "$T/f" "$T/fifo.out" || fail "bytes through a FIFO"
[ -p "$T/fifo" ] || fail "the FIFO was replaced: $(stat -c %F "$T/fifo")"
ok "a FIFO is written in place and stays a FIFO"

# A character device (our own /dev/null, made with mknod as root; the real
# one is what this once replaced with a 30 MB file).
if [ "$(id -u)" -eq 0 ] && mknod "$T/null" c 1 3 2>/dev/null; then
    client --action read --filename f --output-filename "$T/null"
    [ -c "$T/null" ] || fail "the device was replaced: $(stat -c %F "$T/null")"
    ok "a device is written in place and stays a device"
fi
[ -c /dev/null ] || fail "/dev/null is not a device any more"

# A symlink: its target gets the bytes, the link stays a link.
printf 'old' >"$T/target"
ln -s target "$T/link"
client --action read --filename f --output-filename "$T/link"
[ -L "$T/link" ] || fail "the symlink was replaced by a file"
cmp "$T/f" "$T/target" || fail "the symlink's target did not get the bytes"
ok "a symlink is followed: its target is replaced, the link kept"

ln -s nowhere "$T/dangling"
expect_fail 'dangling|to nothing that exists' client --action read --filename f --output-filename "$T/dangling"
[ -L "$T/dangling" ] && [ ! -e "$T/nowhere" ] || fail "a dangling symlink was written through"
mkdir "$T/dir"
expect_fail 'is a directory' client --action read --filename f --output-filename "$T/dir"
[ -d "$T/dir" ] || fail "the directory was replaced"
ok "a dangling symlink and a directory are refused, left as they were"
