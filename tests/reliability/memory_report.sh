#!/usr/bin/env bash
# Peak memory and leaks of a short real training run of each trainer:
#   tests/reliability/memory_report.sh BUILD_DIR [DATA_DIR] [STEPS]
# Runs gan_mnist and vae_mnist `train --max-steps STEPS` (default 5) on DATA_DIR (default
# data/mnist) under /usr/bin/time -v and prints the peak resident memory of each. When BUILD_DIR
# holds an ASan build (cmake --preset asan), LeakSanitizer checks every allocation at exit and a
# leak makes the program, and this script, fail. Exits 77 (skipped) without the MNIST files.
set -euo pipefail

if [ $# -lt 1 ]; then
    echo "usage: $0 BUILD_DIR [DATA_DIR] [STEPS]" >&2
    exit 2
fi
build_dir=$1
repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
data_dir=${2:-$repo_root/data/mnist}
steps=${3:-5}
if [ ! -f "$data_dir/train-images-idx3-ubyte" ]; then
    echo "memory_report: no MNIST in $data_dir (scripts/fetch-data.sh); skipped"
    exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}

status=0
for program in gan_mnist vae_mnist; do
    binary=$build_dir/examples/$program
    [ -x "$binary" ] || { echo "memory_report: $binary is not built (cmake --build $build_dir --target $program)" >&2; exit 1; }
    extra=()
    [ "$program" = gan_mnist ] && extra=(--classifier "$work/no-classifier.safetensors")
    if /usr/bin/time -v -o "$work/$program.time" "$binary" train --data "$data_dir" --out "$work/$program" \
            --max-steps "$steps" --threads 1 "${extra[@]}" >"$work/$program.log" 2>&1; then
        result=ok
    else
        result="FAILED (exit $?)"
        status=1
        tail -n 30 "$work/$program.log" >&2
    fi
    peak_kb=$(sed -n 's/^[[:space:]]*Maximum resident set size (kbytes): //p' "$work/$program.time")
    seconds=$(sed -n 's/^[[:space:]]*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$work/$program.time")
    leaks=$(grep -c "ERROR: LeakSanitizer" "$work/$program.log" || true)
    echo "memory_report: $program train --max-steps $steps: peak RSS $((peak_kb / 1024)) MiB ($peak_kb kB), wall $seconds, leak reports $leaks, $result"
done
exit $status
