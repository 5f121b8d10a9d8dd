#!/usr/bin/python3
"""Side-by-side table of aigc's training steps (bench_steps, Google Benchmark JSON) and PyTorch's
(pytorch_steps.py JSON), from rounds that ran back to back so both saw the same machine load.

  bench/compare.py RESULTS_DIR [--svg docs/performance.svg] [--markdown table.md]

RESULTS_DIR holds steps_<round>.json and torch_<round>.json. For every step and batch the table
gives the median over rounds of each side's median time per step, aigc at 1 thread and at every
core, and the median over rounds of the per-round ratio aigc (best of its thread counts) / PyTorch.
"""
import argparse
import glob
import json
import math
import os
import statistics
import sys


def load_rounds(results_dir):
    rounds = []
    for ours_path in sorted(glob.glob(os.path.join(results_dir, "steps_*.json"))):
        tag = os.path.basename(ours_path)[len("steps_"):-len(".json")]
        torch_path = os.path.join(results_dir, f"torch_{tag}.json")
        if not os.path.exists(torch_path):
            continue
        ours = {}
        for b in json.load(open(ours_path))["benchmarks"]:
            if b.get("run_type") == "aggregate" and b.get("aggregate_name") != "median":
                continue
            # e.g. gan_step/batch:64/threads:2/real_time[_median]
            parts = dict(p.split(":") for p in b["run_name"].split("/")[1:] if ":" in p)
            key = (b["run_name"].split("/")[0], int(parts["batch"]))
            scale = {"ms": 1.0, "us": 1e-3, "ns": 1e-6, "s": 1e3}[b["time_unit"]]
            ours.setdefault(key, {})[int(parts["threads"])] = b["real_time"] * scale
        torch_report = json.load(open(torch_path))
        theirs = {(r["name"], r["batch"]): r["ms_median"] for r in torch_report["results"]}
        rounds.append((ours, theirs, torch_report["setting"]))
    if not rounds:
        sys.exit(f"compare.py: no steps_*.json with a matching torch_*.json in {results_dir}")
    return rounds


def summarize(rounds):
    keys = sorted(set(rounds[0][0]) & set(rounds[0][1]), key=lambda k: (k[0], k[1]))
    rows = []
    for key in keys:
        thread_counts = sorted(rounds[0][0][key])
        per_threads = {t: statistics.median(r[0][key][t] for r in rounds) for t in thread_counts}
        torch_ms = statistics.median(r[1][key] for r in rounds)
        ratios = [min(r[0][key].values()) / r[1][key] for r in rounds]
        best_threads = min(per_threads, key=per_threads.get)
        rows.append({"step": key[0], "batch": key[1], "ours": per_threads, "best_threads": best_threads,
                     "torch_ms": torch_ms, "ratio": statistics.median(ratios), "ratios": ratios})
    return rows


def markdown(rows, setting, n_rounds):
    thread_counts = sorted({t for r in rows for t in r["ours"]})
    head = ["step", "batch"] + [f"aigc {t} thr (ms)" for t in thread_counts]
    head += ["PyTorch (ms)", "aigc best / PyTorch", "aigc samples/s", "PyTorch samples/s"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        best = r["ours"][r["best_threads"]]
        cells = [r["step"], str(r["batch"])] + [f"{r['ours'][t]:.2f}" for t in thread_counts]
        cells += [f"{r['torch_ms']:.2f}", f"**{r['ratio']:.2f}x**", f"{r['batch'] / best * 1e3:.0f}",
                  f"{r['batch'] / r['torch_ms'] * 1e3:.0f}"]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    lines.append(f"PyTorch {setting['torch']} ({setting['blas']}), torch threads {setting['torch_threads']}, "
                 f"OpenBLAS threads {setting['blas_threads']}, allocator {setting.get('allocator', 'glibc')}. "
                 f"Medians of {n_rounds} interleaved rounds; the ratio "
                 f"is the median of the per-round ratios (aigc at its faster thread count).")
    return "\n".join(lines)


def svg(rows, path):
    """Grouped bars: ms per step of aigc (best thread count) and PyTorch, one group per step and batch."""
    width, height, left, bottom, top = 720, 360, 70, 60, 40
    plot_w, plot_h = width - left - 20, height - bottom - top
    groups = [(f"{r['step']} b{r['batch']}", r["ours"][r["best_threads"]], r["torch_ms"], r["ratio"]) for r in rows]
    peak = max(max(g[1], g[2]) for g in groups) * 1.15
    group_w = plot_w / len(groups)
    bar_w = group_w * 0.32
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" '
           f'font-size="12">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{width / 2}" y="22" text-anchor="middle" font-size="15">Training step time, lower is better '
           f'(log scale)</text>']
    low = min(min(g[1], g[2]) for g in groups) / 2

    def y_of(ms):
        return top + plot_h * (1 - (math.log10(ms) - math.log10(low)) / (math.log10(peak) - math.log10(low)))

    tick = 10 ** math.floor(math.log10(low))
    while tick <= peak:
        for mult in (1, 2, 5):
            v = tick * mult
            if low <= v <= peak:
                y = y_of(v)
                out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - 20}" y2="{y:.1f}" stroke="#ddd"/>')
                out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{v:g} ms</text>')
        tick *= 10
    for i, (label, ours, theirs, ratio) in enumerate(groups):
        x0 = left + i * group_w + group_w * 0.15
        for j, (value, color) in enumerate([(ours, "#2b7bb9"), (theirs, "#e08a1e")]):
            x = x0 + j * bar_w
            y = y_of(value)
            out.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{top + plot_h - y:.1f}" '
                       f'fill="{color}"/>')
            out.append(f'<text x="{x + bar_w / 2:.1f}" y="{y - 4:.1f}" text-anchor="middle" font-size="10">'
                       f'{value:.1f}</text>')
        out.append(f'<text x="{x0 + bar_w:.1f}" y="{top + plot_h + 16}" text-anchor="middle">{label}</text>')
        out.append(f'<text x="{x0 + bar_w:.1f}" y="{top + plot_h + 32}" text-anchor="middle" fill="#555">'
                   f'{ratio:.2f}x</text>')
    out.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 20}" y2="{top + plot_h}" stroke="black"/>')
    legend_y = height - 12
    out.append(f'<rect x="{left}" y="{legend_y - 10}" width="12" height="12" fill="#2b7bb9"/>'
               f'<text x="{left + 16}" y="{legend_y}">aigc (CPU, best thread count)</text>')
    out.append(f'<rect x="{left + 230}" y="{legend_y - 10}" width="12" height="12" fill="#e08a1e"/>'
               f'<text x="{left + 246}" y="{legend_y}">PyTorch (best thread setting)</text>')
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("results_dir")
    p.add_argument("--svg", help="write a bar chart here")
    p.add_argument("--markdown", help="also write the table here")
    args = p.parse_args()
    rounds = load_rounds(args.results_dir)
    rows = summarize(rounds)
    table = markdown(rows, rounds[0][2], len(rounds))
    print(table)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(table + "\n")
    if args.svg:
        svg(rows, args.svg)


if __name__ == "__main__":
    main()
