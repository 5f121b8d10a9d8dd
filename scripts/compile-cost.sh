#!/usr/bin/env bash
# What a program costs to compile, as a new user would see it: installs aigc (headers only) into a
# scratch prefix, then compiles with g++ -std=c++20 -O2 -march=native, in the same run,
#   - the README's training program (taken from README.md, so it is the documented one),
#   - an empty main that only includes <aigc/aigc.hpp>,
#   - a small Eigen/Dense reference program (bench/compile_cost/eigen_reference.cpp),
# and prints user-CPU seconds and peak memory of each (the best of REPEAT runs) and their ratios
# to the Eigen reference. With COMPILED=1 it also builds aigc::compiled and compiles the README
# program against it (compiled mode, include/aigc/core/compiled.hpp).
#   scripts/compile-cost.sh
#   REPEAT=5 COMPILED=1 scripts/compile-cost.sh
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
repeat=${REPEAT:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$repo_root/scripts/install-deps.sh" time
compiled_flag=OFF
[ "${COMPILED:-0}" = 1 ] && compiled_flag=ON
cmake -S "$repo_root" -B "$work/build" -DCMAKE_BUILD_TYPE=Release -DAIGC_BUILD_TESTS=OFF -DAIGC_BUILD_EXAMPLES=OFF \
      -DAIGC_BUILD_BENCHMARKS=OFF -DAIGC_ENABLE_CUDA=OFF -DAIGC_INSTALL=ON -DAIGC_BUILD_COMPILED=$compiled_flag \
      -DCMAKE_INSTALL_PREFIX="$work/prefix" >/dev/null
if [ "$compiled_flag" = ON ]; then cmake --build "$work/build" -j "$(nproc)" >/dev/null; fi
cmake --install "$work/build" >/dev/null

# The README program: the first ```cpp block of README.md.
awk '/^```cpp$/ {inside = 1; next} /^```$/ && inside {exit} inside' "$repo_root/README.md" > "$work/readme.cpp"
grep -q 'int main' "$work/readme.cpp" || { echo "compile-cost: no C++ program found in README.md" >&2; exit 1; }

flags=(-std=c++20 -O2 -march=native -I"$work/prefix/include" -isystem /usr/include/eigen3)
# best_of NAME SOURCE [EXTRA FLAGS...]: prints "NAME seconds kilobytes", the lowest of each.
best_of() {
    local name=$1 source=$2 best_s="" best_kb=""
    shift 2
    for _ in $(seq "$repeat"); do
        /usr/bin/time -f '%U %M' -o "$work/time" g++ "${flags[@]}" "$@" -c "$source" -o "$work/out.o"
        read -r seconds kilobytes < "$work/time"
        if [ -z "$best_s" ] || awk -v a="$seconds" -v b="$best_s" 'BEGIN {exit !(a < b)}'; then best_s=$seconds; fi
        if [ -z "$best_kb" ] || [ "$kilobytes" -lt "$best_kb" ]; then best_kb=$kilobytes; fi
    done
    echo "$name $best_s $best_kb"
}

{
    best_of eigen_reference "$repo_root/bench/compile_cost/eigen_reference.cpp"
    best_of readme_header_only "$work/readme.cpp"
    best_of empty_main "$repo_root/bench/compile_cost/empty_main.cpp"
    if [ "$compiled_flag" = ON ]; then best_of readme_compiled_mode "$work/readme.cpp" -DAIGC_COMPILED; fi
} > "$work/results"

echo "compile cost, g++ $(g++ -dumpfullversion) ${flags[*]:0:3}, best of $repeat, $(nproc) cores ($(date -u +%F))"
awk 'NR == 1 {ref_s = $2; ref_kb = $3}
     {printf "  %-22s %6.2f s user CPU  %5.0f MB peak   %5.2fx time  %5.2fx memory\n", $1, $2, $3 / 1024, $2 / ref_s, $3 / ref_kb}' \
    "$work/results"
