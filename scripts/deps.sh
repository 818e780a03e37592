#!/usr/bin/env bash
# deps.sh - installs whichever build and test dependencies are missing, all
# from Debian: with apt-get as root, through sudo otherwise, or, when
# neither is possible, prints the exact command to run.
# usage: scripts/deps.sh [extra Debian packages...]
set -euo pipefail

PACKAGES=(build-essential cmake pkg-config libmicrohttpd-dev libcurl4-openssl-dev
          libjansson-dev libssl-dev libcmocka-dev curl openssl util-linux iproute2 nftables
          etcd-server python3 prometheus chromium systemd "$@")

missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
[ "${#missing[@]}" -eq 0 ] && exit 0

cmd=(apt-get install -y --no-install-recommends "${missing[@]}")
if [ "$(id -u)" -eq 0 ]; then
    SUDO=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    SUDO=(sudo)
else
    echo "minidfs needs these Debian packages: ${missing[*]}" >&2
    echo "install them with:  sudo apt-get update && sudo ${cmd[*]}" >&2
    exit 1
fi
echo "installing: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" "${cmd[@]}" >/dev/null
