#!/usr/bin/env bash
# fuzz.sh - builds the libFuzzer targets (tests/fuzz/) with clang, ASan and
# UBSan into build-fuzz/, and runs each for FUZZ_SECONDS (default 60) from
# a fixed seed (FUZZ_SEED, default 1), starting from the seed corpus in
# tests/fuzz/corpus/<target> plus whatever earlier runs found (kept in
# build-fuzz/corpus/<target>). A crash fails the run and leaves its input
# in build-fuzz/. CI runs every target for a few seconds; run it longer by
# hand:  FUZZ_SECONDS=3600 scripts/fuzz.sh namespace
# usage: scripts/fuzz.sh [auth|chunkid|chunkpack|jsonf|namespace|journal ...]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh clang libfuzzer-14-dev
SECONDS_EACH=${FUZZ_SECONDS:-60}
SEED=${FUZZ_SEED:-1}
TARGETS=("$@")
[ "${#TARGETS[@]}" -gt 0 ] || TARGETS=(auth chunkid chunkpack jsonf namespace journal)

CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DMINIDFS_FUZZ=ON \
    -DMINIDFS_WERROR="${WERROR:-OFF}" >/dev/null
cmake --build build-fuzz -j "$(nproc)" --target "${TARGETS[@]/#/fuzz_}" >build-fuzz/build.log 2>&1 ||
    { tail -50 build-fuzz/build.log >&2; exit 1; }

# The journal target writes a meta directory per input: keep it in memory.
[ -d /dev/shm ] && [ -w /dev/shm ] && export TMPDIR=/dev/shm
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
for t in "${TARGETS[@]}"; do
    mkdir -p "build-fuzz/corpus/$t"
    echo "=== fuzz_$t: ${SECONDS_EACH}s, seed $SEED ==="
    rc=0
    (cd build-fuzz && "./bin/fuzz_$t" -max_total_time="$SECONDS_EACH" -seed="$SEED" \
        -print_final_stats=1 -rss_limit_mb=4096 -timeout=30 "corpus/$t" "../tests/fuzz/corpus/$t") \
        >"build-fuzz/fuzz_$t.log" 2>&1 || rc=$?
    grep -E '^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::peak_rss_mb)' "build-fuzz/fuzz_$t.log" || true
    if [ "$rc" -ne 0 ]; then
        tail -60 "build-fuzz/fuzz_$t.log" >&2
        echo "fuzz_$t found a failing input (exit $rc); it is in build-fuzz/, log in build-fuzz/fuzz_$t.log" >&2
        exit 1
    fi
done
