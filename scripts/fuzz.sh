#!/usr/bin/env bash
# Builds the libFuzzer targets in fuzz/ with clang (ASan + UBSan) and runs each for SECONDS:
#   scripts/fuzz.sh 30                      # every target, 30 s each
#   scripts/fuzz.sh 600 fuzz_safetensors    # one target, 10 minutes
#   BUILD_DIR=/tmp/fz JOBS=2 scripts/fuzz.sh 60
# The seed corpus is written by fuzz/make_corpus.py; what the fuzzer learns is kept in
# BUILD_DIR/corpus/<target> and reused by the next run. A crash, a sanitizer report, a timeout or
# an out-of-memory input leaves the input in BUILD_DIR/artifacts/ and makes this script exit 1.
# Prints one line per target: "fuzz: <target>: <executions> executions in <s> s, <result>".
set -euo pipefail

if [ $# -lt 1 ] || ! [[ $1 =~ ^[0-9]+$ ]] || [ "$1" -lt 1 ]; then
    echo "usage: scripts/fuzz.sh SECONDS [TARGET...]   (targets: fuzz_idx fuzz_safetensors fuzz_events)" >&2
    exit 2
fi
seconds=$1
shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fuzz_idx fuzz_safetensors fuzz_events)

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${BUILD_DIR:-$repo_root/build-fuzz}
job_count=${JOBS:-$(nproc)}
python=$(command -v /usr/bin/python3 || command -v python3)

# libFuzzer comes with clang; Debian splits its runtime into libclang-rt-<version>-dev.
if ! command -v clang++ >/dev/null || ! echo 'extern "C" int LLVMFuzzerTestOneInput(const char*, long) { return 0; }' |
        clang++ -x c++ -fsanitize=fuzzer - -o /dev/null 2>/dev/null; then
    if command -v apt-get >/dev/null && [ "$(id -u)" -eq 0 ]; then
        echo "fuzz.sh: installing clang and its libFuzzer runtime"
        DEBIAN_FRONTEND=noninteractive apt-get update -q
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends clang libclang-rt-dev
    else
        echo "fuzz.sh: clang++ with -fsanitize=fuzzer is needed (Debian: apt-get install clang libclang-rt-dev)" >&2
        exit 1
    fi
fi

cmake -S "$repo_root/fuzz" -B "$build_dir" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build_dir" -j "$job_count" --target "${targets[@]}"
"$python" "$repo_root/fuzz/make_corpus.py" "$build_dir/seeds" >/dev/null
mkdir -p "$build_dir/artifacts"

# One target per core at a time: each fuzzer is a single process, and CI's 2 cores then run the
# three 30-second targets in 60 s instead of 90.
fuzz_one() {
    local target=$1 kind=${1#fuzz_}
    local corpus=$build_dir/corpus/$kind log=$build_dir/$1.log result status=0
    mkdir -p "$corpus"
    local options=(-max_total_time="$seconds" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=1024
                   -max_len=65536 -artifact_prefix="$build_dir/artifacts/$target-")
    [ -f "$repo_root/fuzz/$kind.dict" ] && options+=(-dict="$repo_root/fuzz/$kind.dict")
    # The first folder receives new inputs; the seeds are read only.
    if "$build_dir/$target" "${options[@]}" "$corpus" "$build_dir/seeds/$kind" >"$log" 2>&1; then
        result="no crash"
    else
        result="FAILED (see $log and $build_dir/artifacts/)"
        status=1
    fi
    local executions
    executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    echo "fuzz: $target: ${executions:-?} executions in $seconds s, $(find "$corpus" -type f | wc -l) corpus files, $result" \
        >"$build_dir/$target.summary"
    return $status
}

status=0
running=()
for target in "${targets[@]}"; do
    fuzz_one "$target" &
    running+=($!)
    if [ ${#running[@]} -ge "$job_count" ]; then
        wait "${running[0]}" || status=1
        running=("${running[@]:1}")
    fi
done
for pid in "${running[@]}"; do
    wait "$pid" || status=1
done
# The summaries in the order the targets were given; the log tail of each that failed.
for target in "${targets[@]}"; do
    cat "$build_dir/$target.summary"
    grep -q FAILED "$build_dir/$target.summary" && tail -n 40 "$build_dir/$target.log" >&2
done
exit $status
