#!/usr/bin/env bash
# test.sh - installs what is missing, builds with -Werror, and runs every
# test (cmocka unit tests and real-process integration tests) with ctest.
# Then, unless QUICK=1, builds again with AddressSanitizer + UBSan and runs
# the quick tests under it (the fault runs and the simulated cluster
# shortened), so memory errors
# fail the run too; builds with
# ThreadSanitizer and runs the quick tests again, so a data race fails it
# (every server must exit cleanly, and TSan makes a race an exit code);
# and runs each libFuzzer target for FUZZ_SECONDS (default 10) from a
# fixed seed.
set -euo pipefail
cd "$(dirname "$0")/.."

WERROR=1 BUILD_DIR=build scripts/build.sh
# Two at a time: most tests wait on processes and timers more than they
# compute, and the run fits CI's time with the simulated cluster in it.
(cd build && ctest --output-on-failure --timeout 600 -j2)

if [ "${QUICK:-0}" != 1 ]; then
    echo "=== sanitizer build (ASan + UBSan): quick tests ==="
    WERROR=1 SANITIZE=1 BUILD_TYPE=Debug BUILD_DIR=build-asan scripts/build.sh
    # The fault runs are shorter here (10 master kills, a 20 s campaign,
    # a 20 s nemesis, 100 simulated servers holding 50,000 chunks):
    # their full length ran in the plain pass above, and what the
    # sanitizer adds is a check of the same code paths, which a shorter
    # run still takes. It keeps CI within its time.
    (cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
        UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
        CRASH_UPLOADS=100 CRASH_KILLS=10 CAMPAIGN_SECONDS=20 NEMESIS_SECONDS=20 \
        SIM_SERVERS=100 SIM_FILES=500 \
        ctest --output-on-failure --timeout 600 -L quick)
    # Left out under TSan: plans measures the master's RSS (TSan's shadow
    # memory quadruples it), and the long fault runs (crash, campaign,
    # slow, ha-nemesis) and the simulated cluster (sim) would take minutes
    # at TSan's speed.
    echo "=== sanitizer build (TSan): quick tests ==="
    WERROR=1 SANITIZE=thread BUILD_TYPE=Debug BUILD_DIR=build-tsan scripts/build.sh
    (cd build-tsan && TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
        ctest --output-on-failure --timeout 600 -L quick -E 'it_(plans|crash|campaign|slow|ha-nemesis|sim)$')
    echo "=== fuzzing (clang, ASan + UBSan): each target ${FUZZ_SECONDS:-10} s, seed 1 ==="
    WERROR=1 FUZZ_SECONDS="${FUZZ_SECONDS:-10}" FUZZ_SEED=1 scripts/fuzz.sh
fi
