#!/usr/bin/env bash
# Builds the benchmarks in Release, runs the whole-step suite and the identical PyTorch steps in
# the same run, and prints a side-by-side table with ratios (plus an SVG bar chart).
#   scripts/bench.sh                      # steps vs PyTorch, 3 interleaved rounds
#   ROUNDS=5 scripts/bench.sh             # more rounds on a noisy machine
#   KERNELS=1 scripts/bench.sh            # also the per-kernel suite (a few minutes)
#   scripts/bench.sh --contention         # the GAN step alone and beside 1 and 2 CPU-bound processes
#   scripts/bench.sh --builds             # whole trainers on the CPU: CUDA-enabled build vs CPU-only build
#   scripts/bench.sh --processes          # whole trainers: aigc vs PyTorch (bench/pytorch_train.py)
#   scripts/bench.sh --profile            # perf sample profile of the GAN step, % per kernel family
#   scripts/bench.sh --dist               # all-reduce times and a data-parallel step, 1 and 2 ranks (MPI)
#   scripts/bench.sh -DAIGC_NATIVE=OFF    # other arguments go to the CMake configure step
# --contention and --builds exit 1 when their target is missed (bench/contention.py,
# bench/processes.py say which). --builds and --processes read MNIST (scripts/fetch-data.sh is run)
# and build the trainers in $BUILD_DIR-trainers (the default configuration) and $BUILD_DIR-cpu.
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
mode=steps
case "${1:-}" in
    --contention) mode=contention; shift ;;
    --builds) mode=builds; shift ;;
    --processes) mode=processes; shift ;;
    --profile) mode=profile; shift ;;
    --dist) mode=dist; shift ;;
esac

"$repo_root/scripts/install-deps.sh"
if [ "$mode" = builds ] || [ "$mode" = processes ]; then
    "$repo_root/scripts/fetch-data.sh"
    variants=(trainers)
    [ "$mode" = builds ] && variants+=(cpu)
    for variant in "${variants[@]}"; do
        cuda_flag=()  # trainers: the default configuration, CUDA on where the toolkit is found
        [ "$variant" = cpu ] && cuda_flag=(-DAIGC_ENABLE_CUDA=OFF)
        cmake -S "$repo_root" -B "$build_dir-$variant" -DCMAKE_BUILD_TYPE=Release -DAIGC_BUILD_BENCHMARKS=OFF \
            -DAIGC_BUILD_TESTS=OFF -DAIGC_BUILD_EXAMPLES=ON -DAIGC_INSTALL=OFF "${cuda_flag[@]}" "$@"
        cmake --build "$build_dir-$variant" --target gan_mnist vae_mnist -j "$job_count"
    done
    grep -q 'AIGC_ENABLE_CUDA:BOOL=ON' "$build_dir-trainers/CMakeCache.txt" ||
        echo "bench.sh: WARNING: no CUDA toolkit found; the trainers are a CPU-only build" >&2
    [ "$mode" = processes ] && "$repo_root/scripts/install-deps.sh" python3-torch libopenblas0-pthread
    mkdir -p "$out_dir"
    echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
    comparison=torch  # processes.py's names: builds, or aigc against PyTorch
    [ "$mode" = builds ] && comparison=builds
    exec "$python" "$repo_root/bench/processes.py" "$comparison" --cuda-build "$build_dir-trainers" \
        --cpu-build "$build_dir-cpu" --data "${DATA_DIR:-$repo_root/data}/mnist" --python "$python" \
        --rounds "$rounds" --markdown "$out_dir/$mode.md"
fi
cmake -S "$repo_root" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DAIGC_BUILD_BENCHMARKS=ON \
    -DAIGC_BUILD_TESTS=OFF -DAIGC_BUILD_EXAMPLES=OFF -DAIGC_INSTALL=OFF "$@"
if [ "$mode" = dist ]; then
    "$repo_root/scripts/install-deps.sh" libopenmpi-dev openmpi-bin
    cmake -S "$repo_root" -B "$build_dir" >/dev/null  # finds MPI if it was just installed
    cmake --build "$build_dir" --target bench_allreduce -j "$job_count"
    cores=$(nproc)
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1  # harmless when not root
    echo "== 1 rank, $cores threads"
    AIGC_NUM_THREADS=$cores "$build_dir/bench/bench_allreduce"
    # Each rank gets its share of the cores: ranks x threads never exceeds them.
    echo "== 2 ranks, $(( cores > 1 ? cores / 2 : 1 )) thread(s) each"
    mpirun -np 2 --oversubscribe -x AIGC_NUM_THREADS=$(( cores > 1 ? cores / 2 : 1 )) "$build_dir/bench/bench_allreduce"
    exit 0
fi
cmake --build "$build_dir" --target bench_steps bench_kernels -j "$job_count"

if [ "$mode" = profile ]; then
    "$repo_root/scripts/install-deps.sh" linux-perf
    mkdir -p "$out_dir"
    cores=$(nproc)
    perf record -F 4000 -e cpu-clock -o "$out_dir/perf.data" -- "$build_dir/bench/bench_steps" \
        --benchmark_filter="gan_step/batch:64/threads:$cores/" --benchmark_min_time="$min_time"
    perf report -i "$out_dir/perf.data" --stdio --no-children --sort symbol -q 2>/dev/null |
        "$python" "$repo_root/bench/profile_report.py" --markdown "$out_dir/profile.md"
    exit 0
fi

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
if [ "$mode" = contention ]; then
    torch_flag=()
    [ "$have_torch" -eq 1 ] || torch_flag=(--no-torch)
    echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
    exec "$python" "$repo_root/bench/contention.py" --bench-steps "$build_dir/bench/bench_steps" \
        --python "$python" --rounds "$rounds" --seconds "$min_time" --markdown "$out_dir/contention.md" \
        "${torch_flag[@]}"
fi
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
