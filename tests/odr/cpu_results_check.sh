#!/usr/bin/env bash
# The one definition rule end to end: the trainers of a CUDA-enabled build, run with --device cpu,
# write byte for byte the checkpoints that a CPU-only build of the same source writes. (Once, the
# nvcc-compiled half of each trainer carried a second, slower definition of the CPU kernels and
# the linker kept it: other numbers, 9x the time.) Makes the CPU-only build itself, in WORK_DIR.
#   GAN_MNIST=... VAE_MNIST=... AIGC_SOURCE_DIR=... WORK_DIR=... BUILD_TYPE=... CXX_COMPILER=... \
#       cpu_results_check.sh
set -euo pipefail

work=$WORK_DIR
rm -rf "$work"
mkdir -p "$work"
"$AIGC_SOURCE_DIR/tests/examples/make_idx.sh" "$work/data" 256 64

cpu_only=$work/cpu-only
cmake -S "$AIGC_SOURCE_DIR" -B "$cpu_only" -DCMAKE_BUILD_TYPE="$BUILD_TYPE" -DCMAKE_CXX_COMPILER="$CXX_COMPILER" \
      -DAIGC_ENABLE_CUDA=OFF -DAIGC_BUILD_TESTS=OFF -DAIGC_BUILD_BENCHMARKS=OFF -DAIGC_INSTALL=OFF >"$work/configure.log"
cmake --build "$cpu_only" -j "$(nproc)" --target gan_mnist vae_mnist >"$work/build.log"

failures=0
for program in "$GAN_MNIST" "$VAE_MNIST"; do
    name=$(basename "$program")
    args=(train --data "$work/data" --epochs 1 --batch 64 --seed 3 --device cpu)
    [ "$name" = gan_mnist ] && args+=(--classifier "$work/none.safetensors")
    "$program" "${args[@]}" --out "$work/$name-cuda-build" >"$work/$name-cuda-build.log" 2>&1
    "$cpu_only/examples/$name" "${args[@]}" --out "$work/$name-cpu-build" >"$work/$name-cpu-build.log" 2>&1
    if cmp "$work/$name-cuda-build/checkpoint.safetensors" "$work/$name-cpu-build/checkpoint.safetensors"; then
        echo "ok: $name --device cpu writes the same checkpoint from the CUDA-enabled and the CPU-only build"
    else
        echo "FAIL: $name --device cpu: the CUDA-enabled build's checkpoint differs from the CPU-only build's" >&2
        failures=$((failures + 1))
    fi
done
exit $((failures > 0))
