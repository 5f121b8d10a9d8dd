"""PyTorch's best CPU setting on the 2-core machines these benchmarks were written on, shared by
pytorch_steps.py and pytorch_train.py, so that every comparison gives PyTorch its best chance:

- one intra-op torch thread and a 2-thread OpenBLAS: two torch threads oversubscribe two cores
  (OpenBLAS reads OPENBLAS_NUM_THREADS when it loads, so it is set before `import torch`);
- an allocator that keeps freed memory. glibc's malloc returns large blocks to the OS (mmap and
  trim thresholds), and every fresh page then costs a fault -- ~19 us each on these virtual
  machines -- which made a whole GAN training process several times slower in some runs.
  PyTorch's CPU tuning guide recommends jemalloc/tcmalloc or these glibc tunables; `tuned` raises
  glibc's mmap threshold to its maximum (32 MiB) and never trims, `jemalloc` preloads Debian's
  libjemalloc2. The environment must be in place when the process starts, so apply() re-executes
  the script once with it.
"""
import os
import sys

JEMALLOC = "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2"
ALLOCATORS = {
    "glibc": {},
    "tuned": {"GLIBC_TUNABLES": "glibc.malloc.mmap_threshold=33554432:"
                                "glibc.malloc.trim_threshold=18446744073709551615"},
    "jemalloc": {"LD_PRELOAD": JEMALLOC},
}
MARK = "AIGC_BENCH_TORCH_ALLOCATOR"


def add_arguments(parser):
    parser.add_argument("--torch-threads", type=int, default=1, help="torch.set_num_threads (default 1)")
    parser.add_argument("--blas-threads", type=int, default=2, help="OPENBLAS_NUM_THREADS (default 2)")
    parser.add_argument("--allocator", choices=sorted(ALLOCATORS), default="tuned",
                        help="malloc for the torch process (default tuned: glibc keeping freed memory)")


def apply(args):
    """Call before importing torch; re-executes the script when the allocator needs a new environment."""
    os.environ["OPENBLAS_NUM_THREADS"] = str(args.blas_threads)
    if os.environ.get(MARK) == args.allocator:
        return
    if args.allocator == "jemalloc" and not os.path.exists(JEMALLOC):
        sys.exit(f"--allocator jemalloc: {JEMALLOC} is missing (apt-get install libjemalloc2)")
    environment = dict(os.environ, **ALLOCATORS[args.allocator], **{MARK: args.allocator})
    sys.stdout.flush()
    os.execve(sys.executable, [sys.executable] + sys.argv, environment)


def configure(torch, args):
    torch.set_num_threads(args.torch_threads)


def describe(args):
    return {"torch_threads": args.torch_threads, "blas_threads": args.blas_threads, "allocator": args.allocator}
