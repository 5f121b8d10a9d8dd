#!/usr/bin/env bash
# Runs one case of each family bench_cuda registers (GEMM ours and cuBLAS, both transposes of a
# model layer; the fused Adam; fills ours and cuRAND), one iteration each, on the CUDA emulator,
# and checks that each printed its result line with its counter.
set -euo pipefail
bench=$1
filter='^(gemm/gan\.G\.0/(forward|grad_weight)/b64|gemm/vae\.fc21/grad_input/b64|adam/gan\.G|fill/(uniform|normal)/n65536)/'
out=$("$bench" --benchmark_filter="$filter" --benchmark_min_time=0.000001 2>&1) || {
    echo "$out"
    echo "bench_smoke: bench_cuda failed (exit $?)"
    exit 1
}
echo "$out"
expect() {
    local pattern=$1 want=$2 got
    got=$(grep -cE "$pattern" <<<"$out" || true)
    [ "$got" -eq "$want" ] || { echo "bench_smoke: $want lines matching '$pattern' expected, $got found"; exit 1; }
}
expect '^gemm/.*/(ours|cublas)/manual_time .*FLOP/s=' 6
expect '^adam/gan\.G/manual_time .*B/s=' 1
expect '^fill/(uniform|normal)/n65536/(ours|curand)/manual_time .*B/s=' 4
echo "bench_smoke: every family ran"
