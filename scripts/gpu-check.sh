#!/usr/bin/env bash
# One command for a machine with an NVIDIA GPU, nvcc and CMake but no internet and no apt:
# configure, build (Release), run the CUDA tests (ctest -L cuda), measure our kernels against
# cuBLAS, run the CUDA benchmarks when bench/ has them, and write a summary.
#
#   scripts/gpu-check.sh --prepare   # on a Debian machine with the -dev packages (not the GPU one):
#                                    # copies Eigen, Catch2, Google Benchmark, nlohmann-json and stb
#                                    # into third_party/prefix
#   scripts/gpu-check.sh [OUT_DIR]   # on the GPU machine; results go to OUT_DIR, else $OUT, else out/gpu-check
#
# third_party/ is ignored by git: carry it with the checkout. With third_party/prefix present the
# build finds every dependency there (same Debian packages, same relocatable CMake files);
# without it, the system's. Finishes in well under 8 minutes on 16 cores (each phase has a time
# limit). Knobs: BUILD_DIR, JOBS, CUDA_ARCH (default: the GPU's compute capability, else 90),
# BENCH_FILTER (Google Benchmark regex over bench_cuda's cases, default: all of them),
# TIME_SCALE (multiplies every time limit, default 1; e.g. 10 for a dry run on a small machine).
# Exit status: 0 when the CUDA tests ran and passed, 1 otherwise.
set -uo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
prefix=$repo_root/third_party/prefix

prepare() {
    # Every file of Debian bookworm's packages (docs aside), under third_party/prefix with /usr
    # stripped: the packages' exported CMake files compute their prefix from their own location,
    # so the same layout works from anywhere. Symlinks become real files (they may not survive
    # the trip to the GPU machine).
    local packages=(libeigen3-dev catch2 libbenchmark-dev libbenchmark1debian nlohmann-json3-dev libstb-dev libcli11-dev)
    command -v dpkg >/dev/null || { echo "gpu-check --prepare: needs dpkg (a Debian machine)" >&2; exit 1; }
    rm -rf "$prefix"
    mkdir -p "$prefix"
    local package file copied=0
    for package in "${packages[@]}"; do
        if ! dpkg -s "$package" 2>/dev/null | grep -q '^Status: install ok installed'; then
            echo "gpu-check --prepare: package $package is not installed (apt install ${packages[*]})" >&2
            exit 1
        fi
        while IFS= read -r file; do
            case "$file" in /usr/share/doc/* | /usr/share/man/* | /usr/share/lintian/*) continue ;; esac
            [ -f "$file" ] || continue  # directories; files are copied with their parents
            mkdir -p "$prefix$(dirname "${file#/usr}")"
            cp -L "$file" "$prefix${file#/usr}"
            copied=$((copied + 1))
        done < <(dpkg -L "$package")
    done
    echo "gpu-check --prepare: $copied files in third_party/prefix ($(du -sh "$prefix" | cut -f1)); carry third_party/ to the GPU machine"
}

if [ "${1:-}" = "--prepare" ]; then
    prepare
    exit 0
fi

out_dir=${1:-${OUT:-$repo_root/out/gpu-check}}
mkdir -p "$out_dir"
out_dir=$(cd "$out_dir" && pwd)
build_dir=${BUILD_DIR:-$repo_root/build-gpu-check}
jobs=${JOBS:-$(nproc)}
summary=$out_dir/summary.txt
started=$(date +%s)
: >"$summary"

say() { echo "$*" | tee -a "$summary"; }
elapsed() { echo $(($(date +%s) - started)); }
# Runs a phase with a time limit, its output in $out_dir/<log>; returns the command's status.
phase() {
    local name=$1 limit=$2 log=$3
    shift 3
    local t0=$(date +%s) status
    timeout --kill-after=10 $((limit * ${TIME_SCALE:-1})) "$@" >"$out_dir/$log" 2>&1
    status=$?
    say "$(printf '%-22s exit %3d  %4ds  (log: %s)' "$name" "$status" $(($(date +%s) - t0)) "$log")"
    return $status
}

say "aigc gpu-check, $(date -u '+%Y-%m-%d %H:%M:%S UTC'), commit $(git -C "$repo_root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
if command -v nvidia-smi >/dev/null; then
    say "GPU: $(nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap --format=csv,noheader 2>&1 | head -1)"
else
    say "GPU: nvidia-smi not found"
fi
say "nvcc: $(nvcc --version 2>/dev/null | tail -1 || echo 'not on PATH')"
say "cmake: $(cmake --version | head -1), $jobs jobs"

# Only the GPU at hand: one architecture halves nvcc's work.
if [ -z "${CUDA_ARCH:-}" ]; then
    CUDA_ARCH=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -1 | tr -d ' .')
    [[ "$CUDA_ARCH" =~ ^[0-9]+$ ]] || CUDA_ARCH=90
fi
cmake_args=(-S "$repo_root" -B "$build_dir" -G "Unix Makefiles" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CUDA_ARCHITECTURES="$CUDA_ARCH"
            -DAIGC_BUILD_TESTS=ON -DAIGC_BUILD_EXAMPLES=ON -DAIGC_INSTALL=OFF)
if [ -d "$prefix" ]; then
    # Config packages through the prefix path; plain headers found by path (<stb/...>) through -isystem.
    cmake_args+=(-DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_CXX_FLAGS="-isystem $prefix/include"
                 -DCMAKE_CUDA_FLAGS="-isystem $prefix/include")
    say "dependencies: third_party/prefix"
else
    say "dependencies: system (no third_party/prefix; run --prepare where the packages are installed)"
fi
# CUDA benchmarks are .cu programs in bench/ (the CPU ones are not this script's business).
have_bench=0
[ -f "$repo_root/bench/CMakeLists.txt" ] && compgen -G "$repo_root/bench/*.cu" >/dev/null && have_bench=1

# Configure; when the benchmarks cannot be configured (e.g. no Google Benchmark), go on without them.
rm -rf "$build_dir"
if [ "$have_bench" -eq 1 ] && phase "configure" 120 configure.log cmake "${cmake_args[@]}" -DAIGC_BUILD_BENCHMARKS=ON; then
    :
else
    [ "$have_bench" -eq 1 ] && say "benchmarks: configure failed with them, retrying without (see configure.log)"
    have_bench=0
    rm -rf "$build_dir"
    phase "configure" 120 configure-no-bench.log cmake "${cmake_args[@]}" -DAIGC_BUILD_BENCHMARKS=OFF || {
        say "RESULT: FAIL (configure)"
        exit 1
    }
fi
if ! grep -q "CUDA backend enabled" "$out_dir"/configure*.log; then
    say "RESULT: FAIL (CMake did not enable the CUDA backend; see the configure log)"
    exit 1
fi

# The trainers too: CTest's cli_cuda_device (label cuda) compares their --device cuda runs with CPU ones.
# test_nccl (dist_nccl_gpu, label cuda) exists where CMake found MPI and NCCL there.
targets=(test_cuda gan_mnist vae_mnist classifier_mnist)
if cmake --build "$build_dir" --target help 2>/dev/null | grep -qw test_nccl; then targets+=(test_nccl); fi
phase "build test_cuda" 330 build-tests.log cmake --build "$build_dir" -j "$jobs" --target "${targets[@]}" || {
    tail -40 "$out_dir/build-tests.log" >>"$summary"
    say "RESULT: FAIL (build)"
    exit 1
}

# The CUDA tests, one CTest entry per Catch2 test case; skipped would mean no usable device.
# -L takes a regular expression: anchored, so the emulated tests (label cuda-emulated) stay out.
phase "ctest -L cuda" 180 ctest.log ctest --test-dir "$build_dir" -L '^cuda$' --output-on-failure --timeout 120
tests_status=$?
grep -E "% tests passed|\((Failed|Skipped|Timeout|Not Run)\)" "$out_dir/ctest.log" | tee -a "$summary"
# The same program once more, for a JUnit report with every test case's time.
"$build_dir/tests/cuda/test_cuda" --reporter junit --out "$out_dir/test_cuda.xml" >/dev/null 2>&1

# Our kernels against cuBLAS, in GFLOP/s and GB/s.
phase "speed" 120 speed.log "$build_dir/tests/cuda/test_cuda" "[.speed]"
sed -n '/^gemm /,/^=====/p' "$out_dir/speed.log" | grep -v '^=====' | tee -a "$summary"

# The CUDA benchmarks (bench_cuda; the CPU programs in bench/ are not this script's business),
# bounded by the time left (8 minutes overall). 0.1 s of device time per case is enough for
# stable kernel timings and keeps the ~200 cases to about a minute.
if [ "$have_bench" -eq 1 ]; then
    bench_budget=$((400 - $(elapsed) / ${TIME_SCALE:-1}))
    if phase "build bench" $((bench_budget > 30 ? bench_budget : 30)) build-bench.log \
        cmake --build "$build_dir" -j "$jobs" --target bench_cuda; then
        left=$((450 - $(elapsed) / ${TIME_SCALE:-1}))
        if [ "$left" -lt 20 ]; then
            say "bench bench_cuda: skipped, out of time"
        else
            filter=()
            [ -n "${BENCH_FILTER:-}" ] && filter=(--benchmark_filter="$BENCH_FILTER")
            phase "bench bench_cuda" "$left" bench-bench_cuda.log "$build_dir/bench/bench_cuda" "${filter[@]}" \
                --benchmark_min_time=0.1 --benchmark_out="$out_dir/bench-bench_cuda.json" --benchmark_out_format=json
            grep -E "^[A-Za-z_][^ ]*/[^ ]* +[0-9]" "$out_dir/bench-bench_cuda.log" >>"$summary"
        fi
    else
        say "bench: build failed (see build-bench.log)"
    fi
else
    say "bench: none (no CUDA benchmark sources in bench/, or they did not configure)"
fi

say "total: $(elapsed)s"
if [ "$tests_status" -eq 0 ] && grep -q "100% tests passed" "$out_dir/ctest.log" && ! grep -q "Skipped" "$out_dir/ctest.log"; then
    say "RESULT: PASS"
    exit 0
fi
say "RESULT: FAIL (CUDA tests failed or were skipped; see ctest.log)"
exit 1
