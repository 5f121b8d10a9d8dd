#!/usr/bin/env bash
# The trainers under mpirun, one case per CTest test (tests/dist/CMakeLists.txt):
#   trainers_check.sh equal_vae|equal_classifier|equal_gan|equal_vae_cuda|resume_across_ranks|layout_mismatch|killed_rank
# On a synthetic data set (tests/examples/make_idx.sh), 1 thread per rank. "Equal" means: 2 ranks
# at --batch 8 end with weights within TOLERANCE of each tensor's largest magnitude of one process
# at --batch 16 (compare_weights). The GAN is compared after 20 steps, not 150: its D and G feed
# each other, so a LeakyReLU input that rounds to the other side of 0 on one run (summation order)
# grows into a visible difference within a few dozen steps (docs/distributed.md has the numbers).
set -euo pipefail
case_name=$1
work="$WORK_DIR/$case_name"
rm -rf "$work"
mkdir -p "$work"
cd "$work"
"$MAKE_IDX" data 600 100 >/dev/null

TOLERANCE=1e-3
ranks() {  # ranks N PROGRAM ARGS...: PROGRAM on N ranks of this machine
    local n=$1
    shift
    "$MPIEXEC" -np "$n" --oversubscribe "$@"
}
common=(--data data --threads 1 --no-tensorboard)
long=(--epochs 20)

fail() {
    echo "FAILED: $*" >&2
    exit 1
}

equal() {  # equal PROGRAM STEPS
    local program=$1 steps=$2
    "$program" train "${common[@]}" "${long[@]}" --out one --batch 16 --max-steps "$steps" >one.log 2>&1 || fail "one process: $(tail -3 one.log)"
    ranks 2 "$program" train "${common[@]}" "${long[@]}" --out two --batch 8 --max-steps "$steps" >two.log 2>&1 ||
        fail "two ranks: $(tail -3 two.log)"
    # Rank 0 alone writes and reports.
    [ "$(grep -c ' epoch 1 ' two.log)" = 1 ] || fail "the epoch line was printed $(grep -c ' epoch 1 ' two.log) times"
    "$COMPARE_WEIGHTS" one/checkpoint.safetensors two/checkpoint.safetensors "$TOLERANCE" | tail -1
    "$COMPARE_WEIGHTS" one/checkpoint.safetensors two/checkpoint.safetensors "$TOLERANCE" >/dev/null ||
        fail "2 ranks at batch 8 and 1 process at batch 16 differ beyond $TOLERANCE"
}

case "$case_name" in
equal_vae) equal "$VAE_MNIST" 150 ;;
equal_classifier) equal "$CLASSIFIER_MNIST" 150 ;;
equal_gan) equal "$GAN_MNIST" 20 ;;
equal_vae_cuda)
    # --device cuda on the CUDA emulator: gradients through NCCL (the emulator's), a small model.
    common+=(--device cuda --hidden 64 --latent 8)
    equal "$VAE_MNIST" 20
    ;;

resume_across_ranks)
    # 150 steps at a whole batch of 16: uninterrupted on one process; 75 on 2 ranks, then 75 on
    # one; 75 on one, then 75 on 2 ranks. Mid-epoch (600 images: 37 steps an epoch).
    "$VAE_MNIST" train "${common[@]}" "${long[@]}" --out straight --batch 16 --max-steps 150 >straight.log 2>&1 || fail "$(tail -3 straight.log)"
    ranks 2 "$VAE_MNIST" train "${common[@]}" "${long[@]}" --out two_then_one --batch 8 --max-steps 75 >a.log 2>&1 || fail "$(tail -3 a.log)"
    "$VAE_MNIST" train "${common[@]}" "${long[@]}" --out two_then_one --batch 16 --max-steps 150 --resume >b.log 2>&1 || fail "$(tail -3 b.log)"
    grep -q "resumed from two_then_one/checkpoint.safetensors after 1 epochs, 75 steps" b.log || fail "no resume note: $(cat b.log)"
    "$VAE_MNIST" train "${common[@]}" "${long[@]}" --out one_then_two --batch 16 --max-steps 75 >c.log 2>&1 || fail "$(tail -3 c.log)"
    ranks 2 "$VAE_MNIST" train "${common[@]}" "${long[@]}" --out one_then_two --batch 8 --max-steps 150 --resume >d.log 2>&1 ||
        fail "$(tail -3 d.log)"
    [ "$(grep -c 'resumed from' d.log)" = 1 ] || fail "the resume note should come from rank 0 alone: $(cat d.log)"
    for run in two_then_one one_then_two; do
        "$COMPARE_WEIGHTS" straight/checkpoint.safetensors $run/checkpoint.safetensors "$TOLERANCE" | tail -1
        "$COMPARE_WEIGHTS" straight/checkpoint.safetensors $run/checkpoint.safetensors "$TOLERANCE" >/dev/null ||
            fail "$run differs from the uninterrupted run beyond $TOLERANCE"
        # The last row is step 150's, as the uninterrupted run's (the stop at 75 adds a partial row).
        [ "$(tail -1 $run/metrics.csv | cut -d, -f1,2)" = "4,150" ] || fail "$run/metrics.csv: $(cat $run/metrics.csv)"
    done
    ;;

layout_mismatch)
    # Two ranks built with different models (MPMD launch): both stop with the error naming the
    # first difference, before any step.
    set +e
    "$MPIEXEC" --oversubscribe -np 1 "$VAE_MNIST" train "${common[@]}" --out run --batch 8 --hidden 400 : \
        -np 1 "$VAE_MNIST" train "${common[@]}" --out run --batch 8 --hidden 300 >run.log 2>&1
    status=$?
    set -e
    [ $status != 0 ] || fail "ranks with different models trained"
    grep -q "the ranks hold different parameters (2 ranks); parameter 1: rank 0 has 'fc1.weight \[400, 784\]' where rank 1 has 'fc1.weight \[300, 784\]'" run.log ||
        fail "no layout error: $(cat run.log)"
    [ ! -e run/checkpoint.safetensors ] || fail "a checkpoint was written"
    ;;

killed_rank)
    # SIGKILL to rank 1 once the first checkpoint exists: the run stops within the bound
    # (AIGC_DIST_TIMEOUT, 10 s here; mpirun usually ends the job first), the checkpoint stays
    # loadable, and --resume on one process continues from it.
    AIGC_DIST_TIMEOUT=10 ranks 2 "$VAE_MNIST" train "${common[@]}" --epochs 100000 --out run --batch 8 >run.log 2>&1 &
    launcher=$!
    for _ in $(seq 600); do
        [ -e run/checkpoint.safetensors ] && break
        sleep 0.05
    done
    [ -e run/checkpoint.safetensors ] || fail "no checkpoint after 30 s: $(cat run.log)"
    victim=
    for pid in $(pgrep -f "$VAE_MNIST train"); do
        if tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qx 'OMPI_COMM_WORLD_RANK=1'; then victim=$pid; fi
    done
    [ -n "$victim" ] || fail "rank 1 not found"
    kill -9 "$victim"
    started=$(date +%s)
    set +e
    wait $launcher
    status=$?
    set -e
    waited=$(($(date +%s) - started))
    echo "the run stopped $waited s after rank 1 was killed (exit $status)"
    [ $status != 0 ] || fail "the run went on without rank 1"
    [ $waited -le 30 ] || fail "the run took $waited s to stop"
    # Where the checkpoint stands, then one more epoch from there on one process.
    "$VAE_MNIST" train "${common[@]}" --epochs 100000 --out run --batch 16 --resume --max-steps 1 >at.log 2>&1 || fail "$(cat at.log)"
    epochs=$(sed -n 's/.* is already at step [0-9]*, epoch \([0-9]*\) .*/\1/p' at.log)
    [ -n "$epochs" ] || fail "the checkpoint's position is unknown: $(cat at.log)"
    "$VAE_MNIST" train "${common[@]}" --out run --batch 16 --resume --epochs $((epochs + 1)) >resume.log 2>&1 ||
        fail "the resume failed: $(cat resume.log)"
    grep -q "resumed from run/checkpoint.safetensors after $epochs epochs" resume.log || fail "$(cat resume.log)"
    echo "resumed after $epochs epochs and trained one more"
    ;;

*)
    echo "unknown case $case_name" >&2
    exit 2
    ;;
esac
echo "$case_name: ok"
