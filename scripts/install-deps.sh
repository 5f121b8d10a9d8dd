#!/usr/bin/env bash
# Installs the Debian packages aigc builds with, only when some are missing (idempotent, quiet).
# Extra package names given as arguments are installed too. Runs apt-get as root or through sudo.
set -euo pipefail

packages=(build-essential cmake libeigen3-dev catch2 libbenchmark-dev libstb-dev libcli11-dev nlohmann-json3-dev "$@")

if ! command -v dpkg >/dev/null || ! command -v apt-get >/dev/null; then
    echo "install-deps.sh: no dpkg/apt-get here; assuming these are installed: ${packages[*]}"
    exit 0
fi
missing=()
for package in "${packages[@]}"; do
    # dpkg -s also knows removed-but-not-purged packages, so look at the status line.
    dpkg -s "$package" 2>/dev/null | grep -q '^Status: install ok installed' || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps.sh: installing ${missing[*]}"
as_root=()
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "install-deps.sh: missing ${missing[*]}; run as root or install sudo" >&2; exit 1; }
    as_root=(sudo)
fi
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
