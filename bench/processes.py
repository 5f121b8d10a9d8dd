#!/usr/bin/python3
"""Whole training processes timed end to end (start-up, reading MNIST, steps, evaluation, writing
results), in rounds that alternate the sides so a change in machine load hits both. Verdicts are
on the median of the per-round ratios.

  builds: the same trainers from a CUDA-enabled build and from a -DAIGC_ENABLE_CUDA=OFF build,
          both with --device cpu. The CPU kernels are the same machine code in both
          (docs/architecture.md), so neither may be slower: exit 1 beyond --tolerance (5%).
  torch:  our trainers (CUDA-enabled build, --device cpu) against bench/pytorch_train.py, the same
          training in PyTorch at its best setting (bench/torch_setting.py).

  bench/processes.py builds --cuda-build build-bench-trainers --cpu-build build-bench-cpu --data data/mnist
  bench/processes.py torch --cuda-build build-bench-trainers --data data/mnist
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
RUNS = {
    # model: (our program, the flags of one measured run on real MNIST at the default batch sizes)
    "gan": ("gan_mnist", ["--max-steps", "300"]),
    "vae": ("vae_mnist", ["--epochs", "4", "--max-steps", "1500"]),
}


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("mode", choices=["builds", "torch"])
    p.add_argument("--cuda-build", required=True, help="build folder configured with CUDA enabled (the default)")
    p.add_argument("--cpu-build", help="build folder configured with -DAIGC_ENABLE_CUDA=OFF (mode builds)")
    p.add_argument("--data", required=True, help="folder with the MNIST IDX files")
    p.add_argument("--python", default="/usr/bin/python3", help="interpreter with torch (mode torch)")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--tolerance", type=float, default=0.05, help="mode builds: allowed slowdown of the CUDA build")
    p.add_argument("--markdown", help="also write the table here")
    args = p.parse_args()
    if args.mode == "builds" and not args.cpu_build:
        p.error("mode builds needs --cpu-build")
    return args


def our_command(build, model, out, data):
    program, flags = RUNS[model]
    path = os.path.join(build, "examples", program)
    if not os.access(path, os.X_OK):
        sys.exit(f"processes.py: {path} is missing; build the target {program} in {build}")
    return [path, "train", "--device", "cpu", "--data", data, "--out", out, "--overwrite", "--no-tensorboard"] + flags


def torch_command(python, model, out, data):
    return [python, os.path.join(HERE, "pytorch_train.py"), model, "--data", data, "--out", out] + RUNS[model][1]


def timed(command):
    start = time.perf_counter()
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"processes.py: {' '.join(command)} failed ({done.returncode}):\n{done.stderr}")
    return seconds


def main():
    args = parse_args()
    data = os.path.abspath(args.data)
    if args.mode == "builds":
        sides = {"CPU-only": lambda m, o: our_command(args.cpu_build, m, o, data),
                 "CUDA-enabled": lambda m, o: our_command(args.cuda_build, m, o, data)}
    else:
        sides = {"aigc": lambda m, o: our_command(args.cuda_build, m, o, data),
                 "PyTorch": lambda m, o: torch_command(args.python, m, o, data)}
    first, second = sides
    times = {(model, side): [] for model in RUNS for side in sides}
    with tempfile.TemporaryDirectory() as scratch:
        for round_index in range(args.rounds):
            order = [first, second] if round_index % 2 == 0 else [second, first]
            for model in RUNS:
                for side in order:
                    seconds = timed(sides[side](model, os.path.join(scratch, f"{model}-{side}")))
                    times[(model, side)].append(seconds)
                    print(f"round {round_index + 1}/{args.rounds}: {model} {side}: {seconds:.2f} s", flush=True)

    lines = [f"| run | {first} (s) | {second} (s) | {second} / {first} |" if args.mode == "builds"
             else f"| run | {first} (s) | {second} (s) | {first} / {second} |", "|---|---|---|---|"]
    failed = False
    for model, (program, flags) in RUNS.items():
        a, b = times[(model, first)], times[(model, second)]
        if args.mode == "builds":
            ratio = statistics.median(y / x for x, y in zip(a, b))
            failed |= ratio > 1 + args.tolerance
        else:
            ratio = statistics.median(x / y for x, y in zip(a, b))
        lines.append(f"| {program} train {' '.join(flags)} | {statistics.median(a):.2f} | "
                     f"{statistics.median(b):.2f} | **{ratio:.3f}x** |")
    table = "\n".join(lines)
    print(f"\nwhole processes, medians of {args.rounds} alternating rounds "
          f"(ratio: median of per-round ratios)\n{table}")
    if args.mode == "builds":
        verdict = "MISSED: " if failed else "ok: "
        print(verdict + f"the CUDA-enabled build within {args.tolerance:.0%} of the CPU-only one")
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(table + "\n")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
