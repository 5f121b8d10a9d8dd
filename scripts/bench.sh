#!/usr/bin/env bash
# Builds the benchmarks in Release, runs the whole-step suite and the identical PyTorch steps in
# the same run, and prints a side-by-side table with ratios (plus an SVG bar chart).
#   scripts/bench.sh                      # steps vs PyTorch, 3 interleaved rounds
#   ROUNDS=5 scripts/bench.sh             # more rounds on a noisy machine
#   KERNELS=1 scripts/bench.sh            # also the per-kernel suite (a few minutes)
#   scripts/bench.sh -DAIGC_NATIVE=OFF    # arguments go to the CMake configure step
# Installs python3-torch and libopenblas0-pthread from Debian when missing (so PyTorch does not
# run on the reference BLAS); without them the table has aigc's numbers only.
# Environment: BUILD_DIR (default build-bench), OUT_DIR (default $BUILD_DIR/results), JOBS,
# MIN_TIME (seconds per benchmark, default 2), PYTHON (default /usr/bin/python3).
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${BUILD_DIR:-$repo_root/build-bench}
out_dir=${OUT_DIR:-$build_dir/results}
rounds=${ROUNDS:-3}
min_time=${MIN_TIME:-2}
python=${PYTHON:-/usr/bin/python3}
job_count=${JOBS:-$(nproc)}

"$repo_root/scripts/install-deps.sh"
cmake -S "$repo_root" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DAIGC_BUILD_BENCHMARKS=ON \
    -DAIGC_BUILD_TESTS=OFF -DAIGC_BUILD_EXAMPLES=OFF -DAIGC_INSTALL=OFF "$@"
cmake --build "$build_dir" --target bench_steps bench_kernels -j "$job_count"

have_torch=1
if ! "$repo_root/scripts/install-deps.sh" python3-torch libopenblas0-pthread; then
    echo "bench.sh: WARNING: could not install python3-torch/libopenblas0-pthread; aigc numbers only" >&2
    have_torch=0
fi
if [ "$have_torch" -eq 1 ] && ! "$python" -c 'import torch' 2>/dev/null; then
    echo "bench.sh: WARNING: $python cannot import torch; aigc numbers only" >&2
    have_torch=0
fi

mkdir -p "$out_dir"
rm -f "$out_dir"/steps_*.json "$out_dir"/torch_*.json
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
# Rounds alternate between the two sides, so a change in machine load hits both.
for round in $(seq 1 "$rounds"); do
    echo "== round $round/$rounds: aigc"
    "$build_dir/bench/bench_steps" --benchmark_min_time="$min_time" \
        --benchmark_out="$out_dir/steps_$round.json" --benchmark_out_format=json
    if [ "$have_torch" -eq 1 ]; then
        echo "== round $round/$rounds: PyTorch"
        "$python" "$repo_root/bench/pytorch_steps.py" --seconds "$min_time" --json "$out_dir/torch_$round.json"
    fi
done

if [ "${KERNELS:-0}" = 1 ]; then
    echo "== per-kernel suite"
    "$build_dir/bench/bench_kernels" --benchmark_min_time=0.3 \
        --benchmark_out="$out_dir/kernels.json" --benchmark_out_format=json
fi

if [ "$have_torch" -eq 1 ]; then
    echo "== aigc vs PyTorch (load now $(cut -d' ' -f1-3 /proc/loadavg))"
    "$python" "$repo_root/bench/compare.py" "$out_dir" --markdown "$out_dir/table.md" --svg "$out_dir/steps.svg"
    echo "(table: $out_dir/table.md, chart: $out_dir/steps.svg)"
fi
