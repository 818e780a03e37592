#!/usr/bin/env bash
# report-lua.sh - prints the wrk script that reports chunks stored to a
# master (POST /uploadSuccessful from the fake chunkserver 127.0.0.1:9/),
# chunk after chunk of files PREFIX-1 .. PREFIX-NFILES of 1,000 chunks
# each, round and round (a chunk reported twice is a harmless 409): the
# load that bench.sh's scale part and ab-master.sh put on a master.
# usage: scripts/report-lua.sh PREFIX NFILES
set -euo pipefail
prefix=$1 nfiles=$2
printf 'local ids = {'
for i in $(seq "$nfiles"); do printf '"%s",' "$(printf '%s-%d' "$prefix" "$i" | sha256sum | cut -d' ' -f1)"; done
printf '}\nlocal total, per, nthreads = %d, 1000, 0\n' "$((nfiles * 1000))"
cat <<'LUA'
local sum = string.rep("ab", 32)
setup = function(thread) thread:set("tid", nthreads); nthreads = nthreads + 1 end
init = function(args) nextk = tid end
request = function()
    local k = nextk % total
    nextk = nextk + 2
    local body = string.format('{"chunkIdentifier":"%s_%d","chunkserver":"127.0.0.1:9/","size":1,"sha256":"%s"}',
        ids[math.floor(k / per) + 1], k % per, sum)
    return wrk.format("POST", "/uploadSuccessful", {["Content-Type"] = "application/json"}, body)
end
LUA
