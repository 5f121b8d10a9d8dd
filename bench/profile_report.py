#!/usr/bin/python3
"""Where a training step's time goes, per kernel family, from a `perf record` sample profile of
bench_steps (scripts/bench.sh --profile runs both). perf samples the CPU clock, so this works on
virtual machines without hardware counters; each sample is attributed to the function it hit.

  perf report -i perf.data --stdio --no-children --sort symbol -q | bench/profile_report.py [--markdown t.md]

Families are matched on the demangled symbol, first match wins; the rest is listed by symbol.
"""
import argparse
import re
import sys

FAMILIES = [
    ("GEMM micro-kernels (FMA)", r"avx512::micro_kernel|avx2::micro_kernel|avx512::tile|avx2::tile|gemm_columns"),
    ("GEMM packing", r"pack_a|pack_b|transpose8|store6"),
    # The workers' loop (spinning for the next kernel, then asleep) is inlined into std::thread's _M_run.
    ("thread pool: waiting for work or for other threads", r"ThreadPool::(work|run|worker_loop|start_workers)|"
                                                           r"cpu_relax|sched_yield|futex"),
    ("Adam update", r"adam|Adam"),
    ("random numbers (Philox, normal)", r"philox|Philox|normal|uniform|bernoulli"),
    ("element-wise maps and their gradients (activations, dropout, bias)", r"transform|map|leaky|tanh|Tanh|"
                                                                            r"Identity|Mul|fn::|vector_math"),
    ("reductions (bias gradients, losses)", r"sum_cols|sum_rows|sum_all|reduce|bce"),
    ("memory: copies, fills, allocation", r"memcpy|memset|copy|fill|malloc|free|Allocator|allocate"),
    ("autograd bookkeeping", r"Node|backward|make_result|shared_ptr|Var<"),
    ("kernel and system (page faults, scheduling)", r"^\[k\]|\[kernel|do_syscall|page_fault|clear_page"),
]


def parse(lines):
    rows = []
    for line in lines:
        m = re.match(r"\s*([\d.]+)%\s+(\S+)\s+(.*)$", line)
        if not m:
            continue
        percent, marker, symbol = float(m.group(1)), m.group(2), m.group(3).strip()
        rows.append((percent, f"{marker} {symbol}" if marker == "[k]" else symbol))
    return rows


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--markdown", help="also write the table here")
    p.add_argument("--top", type=int, default=8, help="unmatched symbols to list")
    args = p.parse_args()
    rows = parse(sys.stdin)
    if not rows:
        sys.exit("profile_report.py: no samples in the perf report on stdin")
    totals = {name: 0.0 for name, _ in FAMILIES}
    unmatched = []
    for percent, symbol in rows:
        for name, pattern in FAMILIES:
            if re.search(pattern, symbol):
                totals[name] += percent
                break
        else:
            unmatched.append((percent, symbol))
    lines = ["| kernel family | % of step |", "|---|---|"]
    for name, percent in sorted(totals.items(), key=lambda item: -item[1]):
        if percent >= 0.05:
            lines.append(f"| {name} | {percent:.1f} |")
    rest = sum(percent for percent, _ in unmatched)
    lines.append(f"| other ({len(unmatched)} functions) | {rest:.1f} |")
    table = "\n".join(lines)
    print(table)
    if unmatched:
        print("\nlargest other functions:")
        for percent, symbol in sorted(unmatched, reverse=True)[:args.top]:
            print(f"  {percent:5.2f}%  {symbol[:150]}")
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(table + "\n")


if __name__ == "__main__":
    main()
