#!/usr/bin/env bash
# The single-file example programs (examples/small) on a tiny synthetic data set: each trains a
# few steps, prints finite losses and writes its PNG; a missing data folder is one error line and
# exit status 1.
#   WGAN_GP=... CONDITIONAL_GAN=... BETA_VAE=... WORK_DIR=... small_examples.sh
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
work=$WORK_DIR/small_examples
rm -rf "$work" && mkdir -p "$work"
"$here/make_idx.sh" "$work/data" 300 70
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

check() {  # name program args...
    local name=$1 png=$work/$1.png
    shift
    if ! "$@" "$png" >"$work/$name.log" 2>&1; then
        fail "$name: exit status non-zero"; sed 's/^/    /' "$work/$name.log" >&2; return
    fi
    grep -qiE "nan|inf" "$work/$name.log" && fail "$name: a loss is not finite" && sed 's/^/    /' "$work/$name.log" >&2
    [ "$(head -c 8 "$png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || fail "$name: $png is not a PNG"
    echo "ok: $name -> $(tail -n 2 "$work/$name.log" | head -n 1)"
}
check wgan_gp "$WGAN_GP" "$work/data" 6
check conditional_gan "$CONDITIONAL_GAN" "$work/data" 10
check beta_vae "$BETA_VAE" "$work/data" 10 4.0

for program in "$WGAN_GP" "$CONDITIONAL_GAN" "$BETA_VAE"; do
    name=$(basename "$program")
    "$program" "$work/absent" 1 >"$work/out.txt" 2>"$work/err.txt"
    status=$?
    if [ "$status" -ne 1 ] || ! grep -q "^$name: mnist: data directory '$work/absent' does not exist" "$work/err.txt"; then
        fail "$name without data: status $status, stderr:"; sed 's/^/    /' "$work/err.txt" >&2
    else
        echo "ok (1): $name without data -> $(head -c 120 "$work/err.txt")"
    fi
done
[ "$failures" -eq 0 ] || { echo "small_examples: $failures check(s) failed" >&2; exit 1; }
