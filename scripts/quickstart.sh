#!/usr/bin/env bash
# The main job, from nothing on a fresh Debian bookworm machine: install the build dependencies,
# build the example trainers in Release, fetch real MNIST, train the classifier (for the GAN
# metrics), the VAE and the GAN for a short default, and print where the sample images are.
#   scripts/quickstart.sh                       # a few minutes on 2 cores
#   EPOCHS=10 GAN_EPOCHS=30 OUT=out scripts/quickstart.sh
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo_root"
build_dir=${BUILD_DIR:-$repo_root/build-quickstart}
out=${OUT:-$repo_root/out}
epochs=${EPOCHS:-2}
gan_epochs=${GAN_EPOCHS:-2}

scripts/install-deps.sh
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DAIGC_BUILD_TESTS=OFF -DAIGC_BUILD_BENCHMARKS=OFF \
      -DAIGC_ENABLE_CUDA=OFF >/dev/null
cmake --build "$build_dir" -j "$(nproc)" --target classifier_mnist vae_mnist gan_mnist
scripts/fetch-data.sh

bin=$build_dir/examples
# Each run of this script trains afresh: --overwrite replaces what an earlier run left in $out.
"$bin/classifier_mnist" train --data data/mnist --out "$out/classifier" --epochs "$epochs" --overwrite
"$bin/vae_mnist" train --data data/mnist --out "$out/vae" --epochs "$epochs" --batch 128 --overwrite
"$bin/vae_mnist" sample --data data/mnist --checkpoint "$out/vae/checkpoint.safetensors" --out "$out/vae"
"$bin/gan_mnist" train --data data/mnist --out "$out/gan" --epochs "$gan_epochs" --overwrite \
                 --classifier "$out/classifier/classifier.safetensors"

cat <<DONE

Done. Open these images:
  VAE samples          $out/vae/samples.png
  VAE reconstructions  $out/vae/vae_reconstructions.png
  GAN samples          $out/gan/samples.png   (one grid per epoch: samples_epoch_NNN.png)
Metrics per epoch are in metrics.csv and loss.svg next to them; every run also wrote TensorBoard
events: tensorboard --logdir $out (docs/tensorboard.md). Train longer with
EPOCHS=10 GAN_EPOCHS=30 scripts/quickstart.sh (or --resume: see docs/getting-started.md).
DONE
