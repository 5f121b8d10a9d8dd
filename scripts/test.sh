#!/usr/bin/env bash
# Builds aigc and runs every test, from nothing on a fresh Debian bookworm machine:
#   scripts/test.sh                      # Release build in ./build, all cores
#   BUILD_DIR=/tmp/b BUILD_TYPE=Debug JOBS=2 scripts/test.sh
#   scripts/test.sh -DAIGC_ENABLE_CUDA=OFF   # arguments go to the CMake configure step
# Installs the build dependencies with apt when some are missing (scripts/install-deps.sh).
# Exits non-zero when a dependency cannot be installed, the build fails or any test fails.
# CUDA tests skip themselves (exit 77) where nvcc exists but no GPU does, so this passes there too.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${BUILD_DIR:-$repo_root/build}
build_type=${BUILD_TYPE:-Release}
job_count=${JOBS:-$(nproc)}

# The Debian packages the build needs, installed with apt only when some are missing.
"$repo_root/scripts/install-deps.sh"

# Real MNIST for the data checks and the trainers' smoke runs. Without network those tests report
# "skipped" (they need data/mnist), so a failed fetch is a loud warning, not a failed suite.
if ! "$repo_root/scripts/fetch-data.sh"; then
    echo "test.sh: WARNING: could not fetch MNIST; the real-data tests will be skipped" >&2
fi

cmake -S "$repo_root" -B "$build_dir" -DCMAKE_BUILD_TYPE="$build_type" "$@"
cmake --build "$build_dir" -j "$job_count"
ctest --test-dir "$build_dir" --output-on-failure -j "$job_count"
