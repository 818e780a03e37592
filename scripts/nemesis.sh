#!/usr/bin/env bash
# nemesis.sh - the HA fault campaign (tests/integration/ha-nemesis.sh) for
# as long as asked, on a release build: 3 etcd members, 2 masters and 5
# chunkservers in network namespaces, 4 clients, a fault every few seconds;
# prints the history's counts (lost must be 0). CI runs it for 45 s from
# seed 1; this runs it for SECONDS_TOTAL (default 120) from SEED (default:
# drawn and printed), RUNS times (default 1), each from the next seed.
# Needs root (network namespaces, nft) and installs etcd-server if missing.
# usage: [SECONDS_TOTAL=600] [SEED=42] [RUNS=5] scripts/nemesis.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh etcd-server nftables iproute2 >/dev/null
BUILD_TYPE=Release BUILD_DIR=build-release scripts/build.sh >/dev/null
seed=${SEED:-$(( $(od -An -N2 -tu2 /dev/urandom) ))}
for r in $(seq "${RUNS:-1}"); do
    echo "=== run $r: seed $seed, ${SECONDS_TOTAL:-120} s ==="
    MINIDFS=$PWD/build-release/bin/minidfs NEMESIS_SECONDS=${SECONDS_TOTAL:-120} NEMESIS_SEED=$seed \
        bash tests/integration/ha-nemesis.sh
    seed=$((seed + 1))
done
