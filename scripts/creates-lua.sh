#!/usr/bin/env bash
# creates-lua.sh - prints the wrk script that creates files on a master
# (POST /upload, fileSize SIZE, 0 by default: empty files; a size up to a
# chunk's makes each create one chunk), each thread its own names, one after
# the other: FORMAT is the fileName with two %d, filled with k % 10000 and
# k (k counts up from the thread's number by the number of threads, 2).
# The load that bench.sh's tree part and ab-master.sh's creates put on a
# master. usage: scripts/creates-lua.sh FORMAT [SIZE]   (e.g. '/d%d/f%d')
set -euo pipefail
[ $# -eq 1 ] || [ $# -eq 2 ] || { echo "usage: $0 FORMAT [SIZE]" >&2; exit 2; }
SIZE=${2:-0}
cat <<LUA
local nthreads = 0
setup = function(thread) thread:set("tid", nthreads); nthreads = nthreads + 1 end
init = function(args) k = tid end
request = function()
    local body = string.format('{"fileName":"$1","fileSize":$SIZE}', k % 10000, k)
    k = k + 2
    return wrk.format("POST", "/upload", {["Content-Type"] = "application/json"}, body)
end
LUA
