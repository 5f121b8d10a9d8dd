#!/usr/bin/env bash
# Soak test of the trainers' run-folder guarantees: random sequences of start, --resume,
# --overwrite, SIGTERM, SIGKILL and two trainers started at once on one --out, each sequence ending
# in a checkpoint byte-identical to a run never interrupted, with no metrics row and no TensorBoard
# (tag, step) twice.
#   VAE_MNIST=... EVENTS_DUMP=... WORK_DIR=... soak.sh [SEQUENCES] [FIRST_SEED]
# CTest runs 10 sequences; docs/reliability.md reports a run of 50.
set -uo pipefail

sequences=${1:-10}
first_seed=${2:-1}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
work=$WORK_DIR/soak
rm -rf "$work"
mkdir -p "$work"
"$here/make_idx.sh" "$work/data" 400 40
target=200  # 10 epochs of 20 steps: about a second of training
common=(--data "$work/data" --batch 20 --seed 4 --epochs 12 --max-steps "$target" --threads 1 --log-every 5)

"$VAE_MNIST" train "${common[@]}" --out "$work/reference" >"$work/reference.log" 2>&1 || {
    cat "$work/reference.log" >&2
    exit 1
}

failures=0
fail() {
    echo "FAIL: sequence $sequence: $*" >&2
    failures=$((failures + 1))
}

# train FLAGS...: runs to completion; prints its exit status.
train() {
    "$VAE_MNIST" train "${common[@]}" --out "$out" "$@" >>"$log" 2>&1
    echo $?
}

# A run in the background, stopped by `signal` after a random delay of up to 0.4 s (a run takes
# about half a second: most signals land mid-run, some during start-up or after the end).
interrupted() {
    local signal=$1
    shift
    "$VAE_MNIST" train "${common[@]}" --out "$out" "$@" >>"$log" 2>&1 &
    local pid=$!
    sleep "$(printf '0.%02d' $((RANDOM % 40)))"
    kill -s "$signal" "$pid" 2>/dev/null
    wait "$pid"
    echo $?
}

total_actions=0
for ((sequence = first_seed; sequence < first_seed + sequences; ++sequence)); do
    RANDOM=$sequence
    out=$work/run-$sequence
    log=$work/run-$sequence.log
    actions=""
    for ((step = 0; step < 4 + RANDOM % 5; ++step)); do
        has_run=0
        [ -f "$out/checkpoint.safetensors" ] && has_run=1
        resume=()
        [ "$has_run" = 1 ] && resume=(--resume)
        # Metrics rows without a checkpoint (a kill between an epoch's row and its first
        # checkpoint): a run nothing can resume, which a plain start must refuse (exit 1).
        orphan_rows=0
        [ "$has_run" = 0 ] && [ "$(wc -l <"$out/metrics.csv" 2>/dev/null || echo 0)" -gt 1 ] && orphan_rows=1
        expected_status=0
        [ "$orphan_rows" = 1 ] && expected_status=1
        case $((RANDOM % 6)) in
        0)  # a plain start: refused once the folder holds a run
            status=$(train)
            actions+=" start:$status"
            if [ "$has_run" = 1 ] && [ "$status" != 1 ]; then fail "a plain start into a run exited $status, expected 1"; fi
            ;;
        1)
            status=$(train "${resume[@]}")
            actions+=" resume:$status"
            [ "$status" = "$expected_status" ] || fail "a resume (or a start into a folder without a run) exited $status"
            ;;
        2)
            status=$(train --overwrite)
            actions+=" overwrite:$status"
            [ "$status" = 0 ] || fail "--overwrite exited $status"
            ;;
        3)
            status=$(interrupted TERM "${resume[@]}")
            actions+=" term:$status"
            case $status in "$expected_status" | 143) ;; *) fail "SIGTERM: exit status $status" ;; esac
            ;;
        4)
            status=$(interrupted KILL "${resume[@]}")
            actions+=" kill:$status"
            case $status in "$expected_status" | 137) ;; *) fail "SIGKILL: exit status $status" ;; esac
            ;;
        5)  # two trainers at once: one holds the folder, the other is refused (or runs after it)
            "$VAE_MNIST" train "${common[@]}" --out "$out" "${resume[@]}" >>"$log" 2>&1 &
            a=$!
            "$VAE_MNIST" train "${common[@]}" --out "$out" "${resume[@]}" >>"$log" 2>&1 &
            b=$!
            wait "$a"
            sa=$?
            wait "$b"
            sb=$?
            actions+=" both:$sa/$sb"
            for s in "$sa" "$sb"; do case $s in 0 | 1) ;; *) fail "concurrent start: exit status $s" ;; esac; done
            ;;
        esac
        total_actions=$((total_actions + 1))
    done
    # Finish the run, then compare. Without a checkpoint the folder may still hold a run: a kill
    # between an epoch's metrics row and its first checkpoint leaves rows that nothing can resume.
    # A plain start must then refuse to replace them (exit 1), and --overwrite starts afresh.
    resume=()
    [ -f "$out/checkpoint.safetensors" ] && resume=(--resume)
    if [ ${#resume[@]} -eq 0 ] && [ "$(wc -l <"$out/metrics.csv" 2>/dev/null || echo 0)" -gt 1 ]; then
        status=$(train)
        [ "$status" = 1 ] || fail "a plain start over metrics rows without a checkpoint exited $status, expected 1"
        resume=(--overwrite)
        actions+=" (rows without a checkpoint)"
    fi
    status=$(train "${resume[@]}")
    [ "$status" = 0 ] || fail "the final run exited $status"
    cmp -s "$out/checkpoint.safetensors" "$work/reference/checkpoint.safetensors" ||
        fail "checkpoint differs from the uninterrupted run after:$actions"
    rows=$(cut -d, -f2 "$out/metrics.csv" | tail -n +2 | sort | uniq -d)
    [ -z "$rows" ] || fail "metrics.csv repeats steps $rows after:$actions"
    if "$EVENTS_DUMP" "$out" >"$work/events-$sequence.txt"; then
        twice=$(grep -v -e ' file_version ' -e ' session_log ' "$work/events-$sequence.txt" | awk '{print $1, $3}' | sort | uniq -d)
        [ -z "$twice" ] || fail "events repeat (step, tag): $(echo "$twice" | head -3) after:$actions"
    else
        fail "the events cannot be read after:$actions"
    fi
    leftovers=$(find "$out" -name '.*.tmp.*' | wc -l)
    [ "$leftovers" -eq 0 ] || fail "$leftovers temporary files left after:$actions"
    echo "sequence $sequence:$actions -> identical"
done

echo "soak: $sequences sequences, $total_actions actions, $failures failure(s)"
[ "$failures" -eq 0 ]
