#!/usr/bin/env bash
# Command-line tests of the example programs, one CASE per CTest test (tests/examples/CMakeLists.txt):
#   GAN_MNIST=... VAE_MNIST=... CLASSIFIER_MNIST=... WORK_DIR=... AIGC_SOURCE_DIR=... cli_check.sh CASE
# Bad input must end a program with a non-zero exit and exactly one line "<program>: error: ..."
# on stderr (informational "note: ..." lines may come before it). Data sets are tiny synthetic IDX
# files made by make_idx.sh, except in the `mnist_smoke` case, which uses data/mnist and exits 77
# (CTest: skipped) when it has not been fetched.
set -uo pipefail

case_name=$1
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
work=$WORK_DIR/$case_name
rm -rf "$work"
mkdir -p "$work"
failures=0

fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

# expect_error "substring" program args...: non-zero exit, one error line naming the program and
# containing every |-separated substring.
expect_error() {
    local wanted=$1 program=$2
    shift 2
    local name stderr_file=$work/stderr.txt
    name=$(basename "$program")
    "$program" "$@" >"$work/stdout.txt" 2>"$stderr_file"
    local status=$?
    local shown="$name $*"
    if [ "$status" -eq 0 ]; then
        fail "$shown: exit status 0, expected an error"
    fi
    local error_lines other_lines
    error_lines=$(grep -c "^$name: error: " "$stderr_file")
    other_lines=$(grep -v "^$name: error: " "$stderr_file" | grep -vc "^note: ")
    if [ "$error_lines" -ne 1 ] || [ "$other_lines" -ne 0 ]; then
        fail "$shown: expected one line '$name: error: ...' on stderr, got:"
        sed 's/^/    /' "$stderr_file" >&2
    fi
    local part
    IFS='|' read -ra parts <<<"$wanted"
    for part in "${parts[@]}"; do
        if ! grep -qF -- "$part" "$stderr_file"; then
            fail "$shown: stderr lacks '$part':"
            sed 's/^/    /' "$stderr_file" >&2
        fi
    done
    [ "$status" -ne 0 ] && echo "ok ($status): $shown -> $(head -c 300 "$stderr_file")"
}

# run program args...: must succeed (its output is shown when it does not).
run() {
    if ! "$@" >"$work/run.log" 2>&1; then
        fail "$(basename "$1") ${*:2}: exit status non-zero:"
        sed 's/^/    /' "$work/run.log" >&2
        return 1
    fi
}

# Keeps a shared 2-core machine fair; results are reproducible for a fixed thread count.
threads=(--threads 1)

case $case_name in
unknown_flag)
    for program in "$GAN_MNIST" "$VAE_MNIST" "$CLASSIFIER_MNIST"; do
        expect_error "--no-such-flag" "$program" train --no-such-flag
        expect_error "subcommand" "$program"
    done
    expect_error "--epohcs" "$VAE_MNIST" train --epohcs 3
    expect_error "A subcommand is required" "$GAN_MNIST" bogus
    ;;
bad_values)
    for program in "$GAN_MNIST" "$VAE_MNIST" "$CLASSIFIER_MNIST"; do
        expect_error "--batch|0" "$program" train --batch 0
        expect_error "--device|tpu" "$program" train --device tpu
        expect_error "--epochs" "$program" train --epochs 0
        expect_error "--batch|abc" "$program" train --batch abc
        expect_error "--max-steps" "$program" train --max-steps -1
    done
    expect_error "--latent" "$VAE_MNIST" train --latent 0
    expect_error "--n" "$GAN_MNIST" sample --checkpoint "$here/cli_check.sh" --n 0
    expect_error "--checkpoint|$work/absent.safetensors" "$VAE_MNIST" eval --checkpoint "$work/absent.safetensors"
    ;;
missing_data)
    for program in "$GAN_MNIST" "$VAE_MNIST" "$CLASSIFIER_MNIST"; do
        expect_error "$work/no-such-dir|does not exist|fetch-data.sh" "$program" train --data "$work/no-such-dir" \
            --out "$work/out"
    done
    # A folder without the files, and a plain file instead of a folder.
    mkdir -p "$work/empty"
    expect_error "train-images-idx3-ubyte" "$CLASSIFIER_MNIST" train --data "$work/empty" --out "$work/out"
    expect_error "not a directory" "$VAE_MNIST" train --data "$here/cli_check.sh" --out "$work/out"
    # --dataset picks data/<dataset> unless --data is given, before or after it.
    pushd "$work" >/dev/null
    expect_error "data directory 'data/fashion-mnist' does not exist|--fashion" \
        "$CLASSIFIER_MNIST" train --dataset fashion-mnist --out "$work/out"
    popd >/dev/null
    expect_error "data directory '$work/no-such-dir' does not exist" \
        "$GAN_MNIST" train --data "$work/no-such-dir" --dataset fashion-mnist --out "$work/out"
    expect_error "--dataset|emnist" "$VAE_MNIST" train --dataset emnist --out "$work/out"
    ;;
truncated_idx)
    "$here/make_idx.sh" "$work/data" 30 10
    cp -r "$work/data" "$work/short-images"
    truncate -s 5000 "$work/short-images/train-images-idx3-ubyte"
    for program in "$GAN_MNIST" "$VAE_MNIST" "$CLASSIFIER_MNIST"; do
        expect_error "$work/short-images/train-images-idx3-ubyte" "$program" train --data "$work/short-images" \
            --out "$work/out"
    done
    cp -r "$work/data" "$work/short-labels"
    truncate -s 20 "$work/short-labels/t10k-labels-idx1-ubyte"
    expect_error "$work/short-labels/t10k-labels-idx1-ubyte" "$CLASSIFIER_MNIST" train --data "$work/short-labels" \
        --out "$work/out"
    cp -r "$work/data" "$work/header-only"
    truncate -s 10 "$work/header-only/train-images-idx3-ubyte"
    expect_error "$work/header-only/train-images-idx3-ubyte" "$VAE_MNIST" train --data "$work/header-only" \
        --out "$work/out"
    cp -r "$work/data" "$work/bad-magic"
    printf '\x00\x00\x0d\x03' | dd of="$work/bad-magic/train-images-idx3-ubyte" conv=notrunc status=none
    expect_error "$work/bad-magic/train-images-idx3-ubyte" "$GAN_MNIST" train --data "$work/bad-magic" \
        --out "$work/out"
    ;;
wrong_checkpoint)
    "$here/make_idx.sh" "$work/data" 16 8
    common=(--data "$work/data" --max-steps 1 --batch 8 "${threads[@]}")
    run "$CLASSIFIER_MNIST" train "${common[@]}" --out "$work/classifier" || exit 1
    run "$VAE_MNIST" train "${common[@]}" --out "$work/vae" || exit 1
    # Training checkpoints say what they are; bare weight files are checked tensor by tensor.
    expect_error "is a classifier checkpoint, expected vae" \
        "$VAE_MNIST" eval --checkpoint "$work/classifier/checkpoint.safetensors" --data "$work/data"
    expect_error "does not match|fc1.weight" \
        "$VAE_MNIST" eval --checkpoint "$work/classifier/classifier.safetensors" --data "$work/data"
    expect_error "is a vae checkpoint, expected gan" \
        "$GAN_MNIST" sample --checkpoint "$work/vae/checkpoint.safetensors" --out "$work/samples.idx"
    expect_error "does not match|0.weight" \
        "$GAN_MNIST" sample --checkpoint "$work/vae/vae.safetensors" --out "$work/samples.idx"
    expect_error "is a vae checkpoint, expected classifier" \
        "$CLASSIFIER_MNIST" eval --checkpoint "$work/vae/checkpoint.safetensors" --data "$work/data"
    # The same kind, another architecture.
    expect_error "was trained with configuration" \
        "$VAE_MNIST" eval --checkpoint "$work/vae/checkpoint.safetensors" --data "$work/data" --latent 2
    # --resume into a folder whose checkpoint belongs to another program.
    expect_error "is a vae checkpoint, expected gan" \
        "$GAN_MNIST" train "${common[@]}" --out "$work/vae" --resume --classifier "$work/none.safetensors"
    # --resume where there is nothing to resume.
    expect_error "no checkpoint at" "$CLASSIFIER_MNIST" train "${common[@]}" --out "$work/fresh" --resume
    # A truncated checkpoint.
    cp "$work/vae/checkpoint.safetensors" "$work/truncated.safetensors"
    truncate -s 3000 "$work/truncated.safetensors"
    expect_error "$work/truncated.safetensors|truncated" \
        "$VAE_MNIST" eval --checkpoint "$work/truncated.safetensors" --data "$work/data"
    ;;
resume_exact)
    # 2 epochs == 1 epoch, then --resume to 2 epochs: byte-identical weight files.
    "$here/make_idx.sh" "$work/data" 200 50
    for program in "$CLASSIFIER_MNIST" "$VAE_MNIST" "$GAN_MNIST"; do
        name=$(basename "$program")
        common=(--data "$work/data" --batch 64 --seed 5 "${threads[@]}")
        [ "$name" = gan_mnist ] && common+=(--classifier "$work/none.safetensors")
        run "$program" train "${common[@]}" --out "$work/$name-straight" --epochs 2 || continue
        run "$program" train "${common[@]}" --out "$work/$name-resumed" --epochs 1 || continue
        cp "$work/$name-resumed/checkpoint.safetensors" "$work/$name-after-1.safetensors"
        run "$program" train "${common[@]}" --out "$work/$name-resumed" --epochs 2 --resume || continue
        case $name in
        classifier_mnist) weights=classifier.safetensors ;;
        vae_mnist) weights=vae.safetensors ;;
        gan_mnist) weights=generator.safetensors ;;
        esac
        for file in "$weights" checkpoint.safetensors; do
            if cmp "$work/$name-straight/$file" "$work/$name-resumed/$file"; then
                echo "ok: $name $file identical after 2 epochs and after 1 + resume 1"
            else
                fail "$name: $file differs between 2 epochs and 1 epoch + --resume"
            fi
        done
        # The test could fail: the second epoch changed the weights.
        if cmp -s "$work/$name-after-1.safetensors" "$work/$name-resumed/checkpoint.safetensors"; then
            fail "$name: the checkpoint did not change in the second epoch"
        fi
        rows=$(($(wc -l <"$work/$name-resumed/metrics.csv") - 1))
        [ "$rows" -eq 2 ] || fail "$name: metrics.csv after resume has $rows epoch rows, expected 2"
    done
    # G's weight average (--ema) resumes exactly too, and its generator.safetensors is the average.
    common=(--data "$work/data" --batch 64 --seed 5 "${threads[@]}" --classifier "$work/none.safetensors" --ema 0.9)
    run "$GAN_MNIST" train "${common[@]}" --out "$work/ema-straight" --epochs 2 &&
        run "$GAN_MNIST" train "${common[@]}" --out "$work/ema-resumed" --epochs 1 &&
        run "$GAN_MNIST" train "${common[@]}" --out "$work/ema-resumed" --epochs 2 --resume && {
        for file in generator.safetensors checkpoint.safetensors; do
            cmp "$work/ema-straight/$file" "$work/ema-resumed/$file" && echo "ok: gan_mnist --ema $file identical" ||
                fail "gan_mnist --ema: $file differs between 2 epochs and 1 epoch + --resume"
        done
        cmp -s "$work/ema-straight/generator.safetensors" "$work/gan_mnist-straight/generator.safetensors" &&
            fail "gan_mnist --ema: generator.safetensors holds the trained weights, not their average"
        # sample takes the average from a training checkpoint: the same images as from generator.safetensors.
        for from in checkpoint generator; do
            run "$GAN_MNIST" sample --checkpoint "$work/ema-straight/$from.safetensors" --n 10 --seed 3 \
                --out "$work/ema-$from.idx"
        done
        cmp "$work/ema-checkpoint.idx" "$work/ema-generator.idx" ||
            fail "gan_mnist --ema: sample from the checkpoint does not use the average"
        # A checkpoint with an average resumed without --ema (and one without, with it) is refused.
        local_common=(--data "$work/data" --batch 64 --seed 5 "${threads[@]}" --classifier "$work/none.safetensors")
        expect_error "the checkpoint was trained with --ema; resume it with the same --ema" \
            "$GAN_MNIST" train "${local_common[@]}" --out "$work/ema-resumed" --epochs 3 --resume
        expect_error "the checkpoint was trained without --ema" \
            "$GAN_MNIST" train "${common[@]}" --out "$work/gan_mnist-resumed" --epochs 3 --resume
    }
    # The GAN toolkit resumes exactly too: a gradient penalty and R1 (second-order gradients),
    # spectral norm (its u, v buffers), TTUR, and 2 D steps per G step stopped mid-cycle (3 steps
    # an epoch). Another objective on --resume is refused, naming both.
    toolkit=(--loss wgan-gp --n-critic 2 --r1 1 --spectral-norm --lr-g 1e-4 --lr-d 3e-4)
    common=(--data "$work/data" --batch 64 --seed 5 "${threads[@]}" --classifier "$work/none.safetensors")
    run "$GAN_MNIST" train "${common[@]}" "${toolkit[@]}" --out "$work/toolkit-straight" --epochs 2 &&
        run "$GAN_MNIST" train "${common[@]}" "${toolkit[@]}" --out "$work/toolkit-resumed" --epochs 1 &&
        run "$GAN_MNIST" train "${common[@]}" "${toolkit[@]}" --out "$work/toolkit-resumed" --epochs 2 --resume && {
        for file in generator.safetensors checkpoint.safetensors; do
            cmp "$work/toolkit-straight/$file" "$work/toolkit-resumed/$file" &&
                echo "ok: gan_mnist ${toolkit[*]} $file identical" ||
                fail "gan_mnist ${toolkit[*]}: $file differs between 2 epochs and 1 epoch + --resume"
        done
        # The losses too (the G loss reported between G steps comes from the checkpoint); not the
        # last column, seconds.
        cmp <(cut -d, -f1-6 "$work/toolkit-straight/metrics.csv") <(cut -d, -f1-6 "$work/toolkit-resumed/metrics.csv") &&
            echo "ok: gan_mnist ${toolkit[*]} metrics.csv losses identical" ||
            fail "gan_mnist ${toolkit[*]}: the losses in metrics.csv differ between 2 epochs and 1 epoch + --resume"
        expect_error "was trained with configuration 'gan latent 100 image 784 loss wgan-gp gp_weight 10 n_critic 2 r1 1 spectral_norm', this run has 'gan latent 100 image 784 loss hinge n_critic 2 r1 1 spectral_norm'" \
            "$GAN_MNIST" train "${common[@]}" --loss hinge --n-critic 2 --r1 1 --spectral-norm \
            --out "$work/toolkit-resumed" --epochs 3 --resume
        # sample reads G alone from a checkpoint whose D is spectrally normalised.
        run "$GAN_MNIST" sample --checkpoint "$work/toolkit-straight/checkpoint.safetensors" --n 10 --seed 3 \
            --out "$work/toolkit.idx"
    }
    # A conditional GAN (--conditional) resumes exactly, draws the digit --label asks for, and a
    # --label for an unconditional generator is refused.
    run "$GAN_MNIST" train "${common[@]}" --conditional --out "$work/cond-straight" --epochs 2 &&
        run "$GAN_MNIST" train "${common[@]}" --conditional --out "$work/cond-resumed" --epochs 1 &&
        run "$GAN_MNIST" train "${common[@]}" --conditional --out "$work/cond-resumed" --epochs 2 --resume && {
        cmp "$work/cond-straight/checkpoint.safetensors" "$work/cond-resumed/checkpoint.safetensors" &&
            echo "ok: gan_mnist --conditional checkpoint.safetensors identical" ||
            fail "gan_mnist --conditional: the checkpoint differs between 2 epochs and 1 epoch + --resume"
        for from in checkpoint generator; do
            run "$GAN_MNIST" sample --checkpoint "$work/cond-straight/$from.safetensors" --label 3 --n 10 --seed 3 \
                --out "$work/cond-3-$from.idx"
        done
        cmp "$work/cond-3-checkpoint.idx" "$work/cond-3-generator.idx" ||
            fail "gan_mnist --conditional: sample --label 3 differs between the checkpoint and generator.safetensors"
        run "$GAN_MNIST" sample --checkpoint "$work/cond-straight/generator.safetensors" --label 7 --n 10 --seed 3 \
            --out "$work/cond-7.idx"
        cmp -s "$work/cond-3-generator.idx" "$work/cond-7.idx" && fail "gan_mnist --conditional: --label 3 and 7 draw the same images"
        run "$GAN_MNIST" sample --checkpoint "$work/cond-straight/generator.safetensors" --n 100 --seed 3 \
            --out "$work/cond-grid.idx" --grid "$work/cond-grid.png"
        expect_error "--label needs a conditional generator (trained with --conditional)" \
            "$GAN_MNIST" sample --checkpoint "$work/gan_mnist-straight/generator.safetensors" --label 3 --out "$work/x.idx"
    }
    # The VAE's objectives resume exactly too: the KL warm-up continues from the optimizer's step
    # count (6 steps of 4, stopped after 3), free bits, and the IWAE bound's K draws per image.
    toolkit=(--kl-warmup 5 --free-bits 0.2 --iw-train 3)
    common=(--data "$work/data" --batch 64 --seed 5 "${threads[@]}")
    run "$VAE_MNIST" train "${common[@]}" "${toolkit[@]}" --out "$work/vae-toolkit-straight" --epochs 2 &&
        run "$VAE_MNIST" train "${common[@]}" "${toolkit[@]}" --out "$work/vae-toolkit-resumed" --epochs 1 &&
        run "$VAE_MNIST" train "${common[@]}" "${toolkit[@]}" --out "$work/vae-toolkit-resumed" --epochs 2 --resume && {
        for file in vae.safetensors checkpoint.safetensors; do
            cmp "$work/vae-toolkit-straight/$file" "$work/vae-toolkit-resumed/$file" &&
                echo "ok: vae_mnist ${toolkit[*]} $file identical" ||
                fail "vae_mnist ${toolkit[*]}: $file differs between 2 epochs and 1 epoch + --resume"
        done
        cmp -s "$work/vae-toolkit-straight/vae.safetensors" "$work/vae_mnist-straight/vae.safetensors" &&
            fail "vae_mnist ${toolkit[*]}: the options changed nothing"
    }
    ;;
tensorboard)
    # TensorBoard events: a run stopped mid-epoch (step 7), resumed to step 13, then resumed again
    # from the step-7 checkpoint (as after a crash that wrote events past its last checkpoint) ends
    # with the same values at every (tag, step) as a straight run, none of them twice. The only
    # extra records are those of the stop at step 7 and the config texts (which name --max-steps).
    "$here/make_idx.sh" "$work/data" 200 50
    for program in "$VAE_MNIST" "$GAN_MNIST"; do
        name=$(basename "$program")
        # 5 steps per epoch; epochs end at steps 5, 10, 15.
        common=(--data "$work/data" --batch 40 --seed 3 --epochs 3 --log-every 3 "${threads[@]}")
        [ "$name" = gan_mnist ] && common+=(--classifier "$work/none.safetensors")
        straight=$work/$name-straight resumed=$work/$name-resumed
        run "$program" train "${common[@]}" --out "$straight" || continue
        run "$program" train "${common[@]}" --out "$resumed" --max-steps 7 || continue
        cp "$resumed/checkpoint.safetensors" "$work/$name-step-7.safetensors"
        run "$program" train "${common[@]}" --out "$resumed" --max-steps 13 --resume || continue
        cp "$work/$name-step-7.safetensors" "$resumed/checkpoint.safetensors"
        run "$program" train "${common[@]}" --out "$resumed" --resume || continue
        "$EVENTS_DUMP" "$straight" >"$work/$name-straight.txt" || fail "$name: cannot read the straight run's events"
        "$EVENTS_DUMP" "$resumed" >"$work/$name-resumed.txt" || fail "$name: cannot read the resumed run's events"
        values() { grep -v -e ' file_version ' -e ' session_log ' -e ' text config ' "$1" | sort; }
        duplicates=$(grep -v -e ' file_version ' -e ' session_log ' "$work/$name-resumed.txt" | awk '{print $1, $3}' |
            sort | uniq -d)
        [ -z "$duplicates" ] || fail "$name: (step, tag) twice in the resumed run's events: $duplicates"
        missing=$(comm -23 <(values "$work/$name-straight.txt") <(values "$work/$name-resumed.txt"))
        [ -z "$missing" ] || fail "$name: the resumed run lacks or differs in: $(echo "$missing" | head -5)"
        extra=$(comm -13 <(values "$work/$name-straight.txt") <(values "$work/$name-resumed.txt") | grep -v '^7 ')
        [ -z "$extra" ] || fail "$name: the resumed run has records a straight run has not: $(echo "$extra" | head -5)"
        [ "$(grep -c ' text config ' "$work/$name-resumed.txt")" -eq 2 ] || fail "$name: expected the config at steps 0 and 8"
        grep -q '^8 session_log 1' "$work/$name-resumed.txt" || fail "$name: the resumed file has no SessionLog START at 8"
        grep -q '^15 scalar train/' "$work/$name-straight.txt" || fail "$name: no per-step values at step 15"
        [ -z "$(grep ' scalar train/' "$work/$name-straight.txt" | awk '$1 % 3 != 0')" ] ||
            fail "$name: per-step values at steps that are not multiples of --log-every 3"
        grep -q '^15 histogram weights/' "$work/$name-straight.txt" || fail "$name: no weight histograms"
        grep -q '^15 scalar grad_norm/' "$work/$name-straight.txt" || fail "$name: no gradient norms"
        grep -q '^15 image samples 242x242' "$work/$name-straight.txt" || fail "$name: no sample grid"
        grep -q '^0 text config ' "$work/$name-straight.txt" || fail "$name: no config text"
        echo "ok: $name events after stop + resume + crash-resume equal a straight run's ($(wc -l <"$work/$name-straight.txt") records)"
    done
    grep -q '^15 scalar metrics/test_neg_elbo ' "$work/vae_mnist-straight.txt" || fail "vae_mnist: no test -ELBO"
    # --no-tensorboard writes no events; a new run without --resume replaces the folder's events.
    run "$CLASSIFIER_MNIST" train --data "$work/data" --batch 64 --out "$work/quiet" --no-tensorboard "${threads[@]}"
    compgen -G "$work/quiet/*tfevents*" >/dev/null && fail "--no-tensorboard wrote an events file"
    run "$CLASSIFIER_MNIST" train --data "$work/data" --batch 64 --out "$work/twice" "${threads[@]}"
    run "$CLASSIFIER_MNIST" train --data "$work/data" --batch 64 --out "$work/twice" --overwrite "${threads[@]}"
    [ "$(ls "$work/twice" | grep -c tfevents)" -eq 1 ] || fail "--overwrite left the first run's events beside its own"
    "$EVENTS_DUMP" "$work/twice" >"$work/twice.txt" || fail "classifier_mnist: cannot read its events"
    grep -q ' metrics/test_accuracy ' "$work/twice.txt" || fail "classifier_mnist: no test accuracy"
    expect_error "--log-every" "$VAE_MNIST" train --log-every 0
    ;;
tensorboard_protobuf)
    # The trainers' events parsed by Google's protobuf runtime against TensorBoard's schema
    # (tensorboard_check.py, framing checked with its own CRC-32C) give the same values as the
    # tests' reader. Needs python3-protobuf (scripts/test.sh installs it): skipped without it.
    python=/usr/bin/python3
    "$python" -c 'import google.protobuf' 2>/dev/null || { echo "no python3-protobuf: skipped"; exit 77; }
    "$here/make_idx.sh" "$work/data" 80 20
    common=(--data "$work/data" --batch 20 --epochs 2 --log-every 1 "${threads[@]}")
    run "$GAN_MNIST" train "${common[@]}" --out "$work/gan" --max-steps 5 --classifier "$work/none.safetensors"
    run "$GAN_MNIST" train "${common[@]}" --out "$work/gan" --resume --classifier "$work/none.safetensors"
    run "$VAE_MNIST" train "${common[@]}" --out "$work/vae"
    run "$CLASSIFIER_MNIST" train "${common[@]}" --out "$work/classifier"
    for dir in gan vae classifier; do
        if ! "$python" "$here/tensorboard_check.py" "$work/$dir" >"$work/$dir-google.txt"; then
            fail "$dir: Google's protobuf rejects the events"
            continue
        fi
        "$EVENTS_DUMP" "$work/$dir" >"$work/$dir-ours.txt" || fail "$dir: the tests' reader rejects the events"
        if cmp -s "$work/$dir-google.txt" "$work/$dir-ours.txt"; then
            echo "ok: $dir: $(wc -l <"$work/$dir-ours.txt") records read alike by Google's protobuf and ours"
        else
            fail "$dir: Google's protobuf and the tests' reader differ:"
            diff "$work/$dir-google.txt" "$work/$dir-ours.txt" | head -10 >&2
        fi
    done
    grep -q ' session_log 1' "$work/gan-google.txt" || fail "gan: no SessionLog START after the resume"
    ;;
run_folder)
    # A run folder is never silently replaced or shared, --max-steps is a budget for the whole run,
    # non-finite weights are refused on every load, and thread counts beyond the cores are capped.
    "$here/make_idx.sh" "$work/data" 400 40
    common=(--data "$work/data" --batch 20 "${threads[@]}")
    run "$VAE_MNIST" train "${common[@]}" --out "$work/vae" --max-steps 5 || exit 1
    cp "$work/vae/checkpoint.safetensors" "$work/step-5.safetensors"
    cp "$work/vae/metrics.csv" "$work/metrics-5.csv"
    touch "$work/vae/samples_epoch_099.png"
    # Without --resume or --overwrite: one line naming the run and both choices; nothing touched.
    expect_error "$work/vae' already holds a run|checkpoint.safetensors|--resume|--overwrite" \
        "$VAE_MNIST" train "${common[@]}" --out "$work/vae" --max-steps 5
    cmp -s "$work/vae/checkpoint.safetensors" "$work/step-5.safetensors" || fail "a refused run changed the checkpoint"
    cmp -s "$work/vae/metrics.csv" "$work/metrics-5.csv" || fail "a refused run changed metrics.csv"
    expect_error "--overwrite|--resume" "$VAE_MNIST" train "${common[@]}" --out "$work/vae" --overwrite --resume
    # --max-steps is absolute: the same command at its budget trains and writes nothing.
    run "$VAE_MNIST" train "${common[@]}" --out "$work/vae" --max-steps 5 --resume
    grep -q "already at step 5.*nothing to train" "$work/run.log" || fail "a run at its --max-steps did not say so"
    cmp -s "$work/vae/checkpoint.safetensors" "$work/step-5.safetensors" || fail "a run at its budget trained on"
    cmp -s "$work/vae/metrics.csv" "$work/metrics-5.csv" || fail "a run at its budget wrote a metrics row"
    # --overwrite replaces the run, its old epoch images included.
    run "$VAE_MNIST" train "${common[@]}" --out "$work/vae" --max-steps 3 --overwrite
    [ -e "$work/vae/samples_epoch_099.png" ] && fail "--overwrite left the old run's epoch images"
    rows=$(($(wc -l <"$work/vae/metrics.csv") - 1))
    [ "$rows" -eq 1 ] || fail "--overwrite: metrics.csv has $rows rows, expected 1"
    # A kill between an epoch's metrics row and the run's first checkpoint leaves rows nothing can
    # resume: a plain start keeps them and says --overwrite, --resume says why it cannot.
    mkdir -p "$work/orphan"
    cp "$work/vae/metrics.csv" "$work/orphan/metrics.csv"
    expect_error "$work/orphan' already holds a run|has rows, but the run saved no checkpoint to resume|--overwrite" \
        "$VAE_MNIST" train "${common[@]}" --out "$work/orphan" --max-steps 3
    expect_error "--resume: no checkpoint|stopped before its first checkpoint|--overwrite instead of --resume" \
        "$VAE_MNIST" train "${common[@]}" --out "$work/orphan" --max-steps 3 --resume
    cmp -s "$work/orphan/metrics.csv" "$work/vae/metrics.csv" || fail "a refused start changed the orphaned rows"
    run "$VAE_MNIST" train "${common[@]}" --out "$work/orphan" --max-steps 3 --overwrite

    # A changed --batch continues from exactly the next unseen sample, or is refused; a resume says
    # which stored settings it changes.
    run "$VAE_MNIST" train --data "$work/data" --batch 20 "${threads[@]}" --out "$work/batch" --max-steps 6
    run "$VAE_MNIST" train --data "$work/data" --batch 40 "${threads[@]}" --out "$work/batch" --max-steps 8 --resume --lr 0.002
    grep -q "note: this resume changes settings the checkpoint was trained with: batch 20 -> 40, lr 0.001 -> 0.002" \
        "$work/run.log" || fail "the resume did not name the settings it changes: $(cat "$work/run.log")"
    expect_error "stopped after sample 200 of epoch 1|batch size 30 cannot continue from exactly there|divides 200" \
        "$VAE_MNIST" train --data "$work/data" --batch 30 "${threads[@]}" --out "$work/batch" --max-steps 9 --resume

    # One writer per folder: a second trainer stops at once, naming the first; the lock of a killed
    # run does not block the next.
    "$GAN_MNIST" train "${common[@]}" --out "$work/gan" --epochs 1000 --classifier "$work/none.safetensors" \
        >"$work/first.log" 2>&1 &
    first=$!
    for _ in $(seq 200); do
        [ -s "$work/gan/checkpoint.safetensors" ] && break
        sleep 0.1
    done
    grep -q "process $first (gan_mnist train)" "$work/gan/.aigc.lock" 2>/dev/null || fail "the lock file does not name process $first"
    expect_error "$work/gan' is in use by process $first (gan_mnist train)|another --out" \
        "$GAN_MNIST" train "${common[@]}" --out "$work/gan" --resume --classifier "$work/none.safetensors"
    kill -9 "$first"
    wait "$first" 2>/dev/null
    run "$GAN_MNIST" train "${common[@]}" --out "$work/gan" --resume --epochs 1 --classifier "$work/none.safetensors" ||
        fail "the lock of a killed run blocked --resume"

    # Non-finite weights: the last float of each file becomes NaN; every loader names the tensor.
    poison() {
        cp "$1" "$2"
        printf '\x00\x00\xc0\x7f' | dd of="$2" bs=1 seek=$(($(stat -c %s "$2") - 4)) conv=notrunc status=none
    }
    poison "$work/vae/checkpoint.safetensors" "$work/vae-nan.safetensors"
    expect_error "vae-nan.safetensors|holds nan at element|must be finite" \
        "$VAE_MNIST" eval --checkpoint "$work/vae-nan.safetensors" --data "$work/data"
    poison "$work/vae/vae.safetensors" "$work/vae-weights-nan.safetensors"
    expect_error "vae-weights-nan.safetensors|holds nan at element" \
        "$VAE_MNIST" sample --checkpoint "$work/vae-weights-nan.safetensors" --out "$work/vae-samples"
    poison "$work/gan/generator.safetensors" "$work/generator-nan.safetensors"
    expect_error "generator-nan.safetensors|holds nan at element" \
        "$GAN_MNIST" sample --checkpoint "$work/generator-nan.safetensors" --out "$work/g.idx"
    poison "$work/vae/checkpoint.safetensors" "$work/resume-nan.safetensors"
    cp "$work/resume-nan.safetensors" "$work/vae/checkpoint.safetensors"
    expect_error "checkpoint.safetensors|holds nan at element" \
        "$VAE_MNIST" train "${common[@]}" --out "$work/vae" --max-steps 6 --resume
    run "$CLASSIFIER_MNIST" train "${common[@]}" --out "$work/classifier" --max-steps 2
    poison "$work/classifier/classifier.safetensors" "$work/classifier-nan.safetensors"
    expect_error "classifier-nan.safetensors|holds nan at element" \
        "$CLASSIFIER_MNIST" eval --checkpoint "$work/classifier-nan.safetensors" --data "$work/data"

    # Threads: beyond the cores is capped with a note; --threads wins over a bad AIGC_NUM_THREADS.
    run "$CLASSIFIER_MNIST" train --data "$work/data" --batch 20 --out "$work/many" --max-steps 2 --threads 4096
    grep -q "note: --threads asks for 4096 threads, more than the" "$work/run.log" || fail "--threads 4096 was not capped"
    run env AIGC_NUM_THREADS=1000 "$CLASSIFIER_MNIST" train --data "$work/data" --batch 20 --out "$work/env" --max-steps 2
    grep -q "note: AIGC_NUM_THREADS asks for 1000 threads" "$work/run.log" || fail "AIGC_NUM_THREADS=1000 was not capped"
    run env AIGC_NUM_THREADS=abc "$CLASSIFIER_MNIST" train --data "$work/data" --batch 20 --out "$work/flag-wins" \
        --max-steps 2 --threads 1 || fail "a bad AIGC_NUM_THREADS stopped a run that gave --threads"
    AIGC_NUM_THREADS=abc expect_error "AIGC_NUM_THREADS|abc" "$CLASSIFIER_MNIST" train --data "$work/data" \
        --batch 20 --out "$work/env-bad" --max-steps 2
    ;;
graceful_stop)
    # SIGTERM / SIGINT finish the step, save, print the resume command and exit 143 / 130 within a
    # few seconds; resuming then ends byte-identical to a run never stopped. A second signal ends
    # the process at once. A killed run's temporary files go at the next start, and a metrics row
    # written after the last checkpoint is not repeated by the resume.
    "$here/make_idx.sh" "$work/data" 400 40
    common=(--data "$work/data" --batch 20 --seed 9 --epochs 1000 --classifier "$work/none.safetensors" "${threads[@]}")
    run "$GAN_MNIST" train "${common[@]}" --max-steps 400 --out "$work/straight" || exit 1
    wait_for_checkpoint() {
        for _ in $(seq 300); do
            [ -s "$1/checkpoint.safetensors" ] && return 0
            sleep 0.05
        done
        return 1
    }
    stop_and_resume() {  # signal name, expected status
        local out=$work/stopped-$1
        "$GAN_MNIST" train "${common[@]}" --max-steps 400 --out "$out" >"$work/$1.log" 2>&1 &
        local pid=$!
        wait_for_checkpoint "$out" || fail "$1: no first checkpoint"
        local sent
        sent=$(date +%s%N)
        kill -s "$1" "$pid"
        wait "$pid"
        local status=$? elapsed_ms=$((($(date +%s%N) - sent) / 1000000))
        [ "$status" -eq "$2" ] || fail "$1: exit status $status, expected $2"
        [ "$elapsed_ms" -lt 5000 ] || fail "$1: took $elapsed_ms ms to stop"
        grep -q "note: stopped by SIG$1 after step" "$work/$1.log" || fail "$1: no stop note"
        grep -q -- "--resume" "$work/$1.log" || fail "$1: the resume command was not printed"
        echo "ok: $1 stopped the run in $elapsed_ms ms with status $status: $(grep -A1 'stopped by' "$work/$1.log" | tr '\n' ' ')"
        touch "$out/.checkpoint.safetensors.tmp.999999.0"
        run "$GAN_MNIST" train "${common[@]}" --max-steps 400 --out "$out" --resume
        [ -e "$out/.checkpoint.safetensors.tmp.999999.0" ] && fail "$1: a killed run's temporary file survived the next start"
        cmp -s "$out/checkpoint.safetensors" "$work/straight/checkpoint.safetensors" ||
            fail "$1: stopped + resumed differs from the straight run"
        cmp -s "$out/metrics.csv" "$work/straight/metrics.csv" && fail "$1: the stop left no partial-epoch row (test cannot tell)"
        [ "$(cut -d, -f2 "$out/metrics.csv" | sort | uniq -d)" = "" ] || fail "$1: a step has two metrics rows"
    }
    stop_and_resume TERM 143
    stop_and_resume INT 130
    # A row written after the checkpoint (a crash between the two) is dropped by the resume.
    run "$GAN_MNIST" train "${common[@]}" --out "$work/ahead" --max-steps 40
    cp "$work/ahead/checkpoint.safetensors" "$work/ahead-40.safetensors"
    run "$GAN_MNIST" train "${common[@]}" --out "$work/ahead" --max-steps 60 --resume
    cp "$work/ahead-40.safetensors" "$work/ahead/checkpoint.safetensors"
    run "$GAN_MNIST" train "${common[@]}" --out "$work/ahead" --max-steps 60 --resume
    [ "$(cut -d, -f2 "$work/ahead/metrics.csv" | sort | uniq -d)" = "" ] || fail "a resume repeated a metrics row"
    [ "$(($(wc -l <"$work/ahead/metrics.csv") - 1))" -eq 3 ] || fail "expected rows at steps 20, 40, 60"
    # A row cut short by a kill while it was written (no newline) does not stop the resume.
    cp "$work/ahead-40.safetensors" "$work/ahead/checkpoint.safetensors"
    head -n 3 "$work/ahead/metrics.csv" >"$work/ahead/metrics.tmp"
    printf '3,6' >>"$work/ahead/metrics.tmp"
    mv "$work/ahead/metrics.tmp" "$work/ahead/metrics.csv"
    run "$GAN_MNIST" train "${common[@]}" --out "$work/ahead" --max-steps 60 --resume
    [ "$(cut -d, -f2 "$work/ahead/metrics.csv" | tail -n +2 | tr '\n' ' ')" = "20 40 60 " ] ||
        fail "after a cut-short row: metrics.csv steps are $(cut -d, -f2 "$work/ahead/metrics.csv" | tail -n +2 | tr '\n' ' ')"
    # Two signals: the second ends the process at once, by the signal.
    "$GAN_MNIST" train "${common[@]}" --max-steps 400 --out "$work/twice" >"$work/twice.log" 2>&1 &
    pid=$!
    wait_for_checkpoint "$work/twice"
    kill -TERM "$pid"
    kill -TERM "$pid"
    wait "$pid"
    status=$?
    [ "$status" -eq 143 ] || fail "two SIGTERMs: exit status $status, expected 143"
    ;;
sampling)
    # Every --n that --help allows works: the GAN streams its samples into the IDX file in chunks
    # (identical bytes to one draw) and grids the first 10000; the VAE's grid is square, so 10000
    # samples fit. File names must say what is written into them.
    "$here/make_idx.sh" "$work/data" 40 20
    run "$GAN_MNIST" train --data "$work/data" --batch 20 --out "$work/gan" --max-steps 1 \
        --classifier "$work/none.safetensors" "${threads[@]}" || exit 1
    run "$VAE_MNIST" train --data "$work/data" --batch 20 --out "$work/vae" --max-steps 1 "${threads[@]}" || exit 1
    run "$GAN_MNIST" sample --checkpoint "$work/gan/generator.safetensors" --n 12345 --out "$work/many.idx" --grid "$work/many.png"
    [ "$(stat -c %s "$work/many.idx")" -eq $((16 + 12345 * 784)) ] || fail "gan_mnist sample --n 12345: wrong IDX size"
    grep -q "grid: $work/many.png (the first 10000 images)" "$work/run.log" || fail "the grid does not say it holds the first 10000"
    [ "$(od -An -tx1 -j16 -N4 "$work/many.png" | tr -d ' \n')" = 00000bba ] || fail "the grid is not 100 images (3002 px) wide"
    run "$GAN_MNIST" sample --checkpoint "$work/gan/generator.safetensors" --n 1000 --out "$work/first.idx"
    cmp -s "$work/first.idx" <(head -c $((16 + 1000 * 784)) "$work/many.idx" | tail -c $((1000 * 784)) | cat <(head -c 16 "$work/first.idx") -) ||
        fail "the first 1000 of 12345 streamed samples differ from sampling 1000"
    run "$VAE_MNIST" sample --checkpoint "$work/vae/checkpoint.safetensors" --data "$work/data" --n 10000 --out "$work/vae-out"
    [ -s "$work/vae-out/vae_samples.png" ] || fail "vae_mnist sample --n 10000 wrote no grid"
    expect_error "--n|10001" "$VAE_MNIST" sample --checkpoint "$work/vae/checkpoint.safetensors" --n 10001
    expect_error "digits.png|IDX" "$GAN_MNIST" sample --checkpoint "$work/gan/generator.safetensors" --out "$work/digits.png"
    expect_error "grid.idx|PNG" "$GAN_MNIST" sample --checkpoint "$work/gan/generator.safetensors" --grid "$work/grid.idx"
    # interpolate: a strip of the two originals and --steps decoded images ((2 + 6) x 30 + 2 px wide).
    run "$VAE_MNIST" interpolate --checkpoint "$work/vae/checkpoint.safetensors" --data "$work/data" --from 3 --to 8 \
        --steps 6 --out "$work/strip.png"
    [ "$(od -An -tx1 -j16 -N4 "$work/strip.png" | tr -d ' \n')" = 000000f2 ] || fail "the strip is not 8 images (242 px) wide"
    grep -q "interpolation from test image 3 (a 3) to 8 (a 8)" "$work/run.log" || fail "interpolate does not name the two digits"
    expect_error "test image 20 does not exist (the test set has 20)" \
        "$VAE_MNIST" interpolate --checkpoint "$work/vae/checkpoint.safetensors" --data "$work/data" --from 20
    # eval --binarized: one fixed binarisation, so the same result on every run; not the grey-level one.
    for i in 1 2; do
        run "$VAE_MNIST" eval --checkpoint "$work/vae/checkpoint.safetensors" --data "$work/data" --binarized \
            --iw-samples 5 --seed 4 && cp "$work/run.log" "$work/binarized-$i.log"
    done
    cmp -s "$work/binarized-1.log" "$work/binarized-2.log" || fail "eval --binarized differs between two runs"
    grep -q "binarised once with seed" "$work/binarized-1.log" || fail "eval --binarized does not say so"
    run "$VAE_MNIST" eval --checkpoint "$work/vae/checkpoint.safetensors" --data "$work/data" --iw-samples 5 --seed 4
    cmp -s "$work/binarized-1.log" "$work/run.log" && fail "eval --binarized gives the grey-level result"
    ;;
diverged)
    # A run that diverges stops at the first non-finite loss with one line, and the checkpoint it
    # resumed from is left byte for byte as it was; --detect-anomaly names the op instead.
    "$here/make_idx.sh" "$work/data" 64 16
    for program in "$VAE_MNIST" "$GAN_MNIST"; do
        name=$(basename "$program")
        common=(--data "$work/data" --batch 16 "${threads[@]}")
        [ "$name" = gan_mnist ] && common+=(--classifier "$work/none.safetensors")
        run "$program" train "${common[@]}" --out "$work/$name" --max-steps 2 || continue
        cp "$work/$name/checkpoint.safetensors" "$work/$name-before.safetensors"
        expect_error "became|at step|the last checkpoint is intact|$work/$name/checkpoint.safetensors" \
            "$program" train "${common[@]}" --out "$work/$name" --resume --lr 1e30 --epochs 50
        cmp -s "$work/$name-before.safetensors" "$work/$name/checkpoint.safetensors" ||
            fail "$name: the checkpoint changed although the run diverged"
        expect_error "anomaly|the last checkpoint is intact" \
            "$program" train "${common[@]}" --out "$work/$name" --resume --lr 1e30 --epochs 50 --detect-anomaly
        cmp -s "$work/$name-before.safetensors" "$work/$name/checkpoint.safetensors" ||
            fail "$name: the checkpoint changed although anomaly mode stopped the run"
        expect_error "--lr|must be a positive finite number, given -1" "$program" train "${common[@]}" --out "$work/$name" --lr -1
        expect_error "--lr|given inf" "$program" train "${common[@]}" --out "$work/$name" --lr inf
    done
    ;;
cuda_device)
    # --device cuda. Without a usable GPU (or without the CUDA backend) each program says so in one
    # line, then the case reports skipped: the comparison below needs a GPU. With one, a few steps
    # on the GPU give the same metrics.csv as on the CPU, up to float rounding.
    "$here/make_idx.sh" "$work/data" 64 16
    common=(--data "$work/data" --batch 16 --max-steps 3 --seed 3 "${threads[@]}")
    if ! "$VAE_MNIST" train "${common[@]}" --out "$work/probe" --device cuda >"$work/probe.log" 2>&1; then
        for program in "$GAN_MNIST" "$VAE_MNIST" "$CLASSIFIER_MNIST"; do
            expect_error "--device cuda|CUDA" "$program" train "${common[@]}" --out "$work/none" --device cuda
        done
        [ "$failures" -eq 0 ] || { echo "cuda_device: $failures check(s) failed" >&2; exit 1; }
        echo "skipped: no usable CUDA device here ($(tail -n 1 "$work/probe.log"))"
        exit 77
    fi
    for program in "$GAN_MNIST" "$VAE_MNIST" "$CLASSIFIER_MNIST"; do
        name=$(basename "$program")
        name=${name%_emulated}  # the CUDA emulator's builds (tests/examples/CMakeLists.txt)
        extra=()
        [ "$name" = gan_mnist ] && extra=(--classifier "$work/none.safetensors")
        for device in cpu cuda; do
            run "$program" train "${common[@]}" "${extra[@]}" --out "$work/$name-$device" --device "$device" || continue 2
        done
        # Every column but the last (seconds): relative 1e-3, absolute 1e-5.
        if ! awk -F, 'NR == FNR { row[FNR] = $0; next }
                FNR > 1 { n = split(row[FNR], a, ","); for (i = 1; i < n; ++i) { d = a[i] - $i; if (d < 0) d = -d;
                          m = a[i] < 0 ? -a[i] : a[i]; if (d > 1e-5 + 1e-3 * m) { print "column " i ": cpu " a[i] ", cuda " $i; bad = 1 } } }
                END { exit bad }' "$work/$name-cpu/metrics.csv" "$work/$name-cuda/metrics.csv"; then
            fail "$name: metrics.csv differs between --device cpu and --device cuda"
        fi
    done
    ;;
mnist_smoke)
    data=$AIGC_SOURCE_DIR/data/mnist
    if [ ! -f "$data/train-images-idx3-ubyte" ] || [ ! -f "$data/t10k-images-idx3-ubyte" ]; then
        echo "skipped: no MNIST in $data (run scripts/fetch-data.sh)"
        exit 77
    fi
    common=(--data "$data" "${threads[@]}")
    run "$CLASSIFIER_MNIST" train "${common[@]}" --out "$work/classifier" --max-steps 20 --batch 128 || exit 1
    run "$VAE_MNIST" train "${common[@]}" --out "$work/vae" --max-steps 30 || exit 1
    run "$GAN_MNIST" train "${common[@]}" --out "$work/gan" --max-steps 10 \
        --classifier "$work/classifier/classifier.safetensors" --metric-samples 500 || exit 1
    for dir in vae gan; do
        for file in samples.png metrics.csv loss.svg checkpoint.safetensors; do
            [ -s "$work/$dir/$file" ] || fail "$dir: $file is missing or empty"
        done
        [ "$(head -c 4 "$work/$dir/samples.png" | od -An -tx1 | tr -d ' \n')" = 89504e47 ] ||
            fail "$dir: samples.png is not a PNG"
        grep -q '<svg' "$work/$dir/loss.svg" || fail "$dir: loss.svg is not an SVG"
        rows=$(($(wc -l <"$work/$dir/metrics.csv") - 1))
        [ "$rows" -eq 1 ] || fail "$dir: metrics.csv has $rows rows, expected 1 (one partial epoch)"
    done
    head -1 "$work/gan/metrics.csv" | grep -q frechet || fail "gan: metrics.csv has no frechet column"
    # The trained files are usable by the other subcommands.
    run "$VAE_MNIST" eval --checkpoint "$work/vae/checkpoint.safetensors" --data "$data" &&
        grep -q "test negative ELBO" "$work/run.log" || fail "vae_mnist eval printed no negative ELBO"
    run "$GAN_MNIST" sample --checkpoint "$work/gan/generator.safetensors" --n 16 --out "$work/digits.idx" \
        --grid "$work/digits.png"
    [ "$(stat -c %s "$work/digits.idx" 2>/dev/null)" = $((16 + 16 * 784)) ] || fail "gan_mnist sample: digits.idx size"
    cat "$work/vae/metrics.csv" "$work/gan/metrics.csv"
    ;;
*)
    echo "cli_check.sh: unknown case '$case_name'" >&2
    exit 2
    ;;
esac

if [ "$failures" -ne 0 ]; then
    echo "$case_name: $failures check(s) failed" >&2
    exit 1
fi
echo "$case_name: all checks passed"
