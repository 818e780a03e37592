#!/usr/bin/env bash
# build.sh - installs missing dependencies and builds minidfs into
# build/ (or $BUILD_DIR). Binaries land in $BUILD_DIR/bin.
# Environment: BUILD_TYPE (default RelWithDebInfo), SANITIZE=1 for
# AddressSanitizer + UBSan, SANITIZE=thread for ThreadSanitizer, WERROR=1
# to fail on warnings.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" \
    -DMINIDFS_WERROR="${WERROR:-OFF}" \
    -DMINIDFS_SANITIZE="$([ "${SANITIZE:-OFF}" = thread ] && echo OFF || echo "${SANITIZE:-OFF}")" \
    -DMINIDFS_TSAN="$([ "${SANITIZE:-OFF}" = thread ] && echo ON || echo OFF)" >/dev/null
cmake --build "$BUILD_DIR" -j "$(nproc)"
