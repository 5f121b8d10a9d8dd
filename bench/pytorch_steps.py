#!/usr/bin/python3
"""The two training steps of bench/bench_steps.cpp in PyTorch, as a measuring stick (never a
dependency of the library). Same architectures, initial data, optimizers and losses:

  gan_step  G 100-256-512-1024-784 (LeakyReLU 0.2, Tanh), D 784-1024-512-256-1 (LeakyReLU 0.2,
            Dropout 0.3), Adam(2e-4, betas (0.5, 0.999)) each. D step: BCE-with-logits on D(x)
            against 1 and on D(G(z).detach()) against 0; G step with D frozen: BCE(D(G(z)), 1).
  vae_step  fc1 784-400, fc21/fc22 400-20, fc3 20-400, fc4 400-784 (PyTorch's examples/vae),
            loss (BCE-with-logits summed over pixels + KL) / batch, Adam(1e-3).

Both read .item() of their losses, as our train_step does, and zero gradients with
set_to_none=True (PyTorch's faster form, the default since 2.0).

Setting (bench/torch_setting.py): one intra-op thread, a 2-thread OpenBLAS and glibc's malloc
tuned to keep freed memory, PyTorch's fastest on the 2-core machines this was written on;
--sweep measures each thread setting in a fresh process and reports the best.

  /usr/bin/python3 bench/pytorch_steps.py                  # best known setting, text
  /usr/bin/python3 bench/pytorch_steps.py --json out.json  # also write JSON for bench/compare.py
  /usr/bin/python3 bench/pytorch_steps.py --sweep
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_setting  # noqa: E402


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    torch_setting.add_arguments(p)
    p.add_argument("--batches", default="64,256", help="comma-separated batch sizes")
    p.add_argument("--steps", default="gan_step,vae_step", help="comma-separated: gan_step, vae_step")
    p.add_argument("--seconds", type=float, default=2.0, help="measuring time per step kind and batch")
    p.add_argument("--json", help="write the results here as JSON")
    p.add_argument("--sweep", action="store_true", help="try (torch, blas) thread settings, report the best")
    return p.parse_args()


def pixels(batch, symmetric, torch):
    # The formula of bench_steps.cpp: sin(0.37 i + 0.1), in [-1, 1] or mapped to [0, 1].
    i = torch.arange(batch * 784, dtype=torch.float64)
    s = torch.sin(0.37 * i + 0.1).float().reshape(batch, 784)
    return s if symmetric else 0.5 + 0.5 * s


def make_gan_modules(torch):
    nn = torch.nn
    G = nn.Sequential(nn.Linear(100, 256), nn.LeakyReLU(0.2), nn.Linear(256, 512), nn.LeakyReLU(0.2),
                      nn.Linear(512, 1024), nn.LeakyReLU(0.2), nn.Linear(1024, 784), nn.Tanh())
    D = nn.Sequential(nn.Linear(784, 1024), nn.LeakyReLU(0.2), nn.Dropout(0.3),
                      nn.Linear(1024, 512), nn.LeakyReLU(0.2), nn.Dropout(0.3),
                      nn.Linear(512, 256), nn.LeakyReLU(0.2), nn.Dropout(0.3), nn.Linear(256, 1))
    opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    return G, D, opt_g, opt_d


def gan_train_step(torch, G, D, opt_g, opt_d, bce, real, ones, zeros):
    """One D step (real and detached fakes) and one G step through frozen D, as our Gan::train_step.
    Returns (loss_d, loss_g, real_logits, fake_logits); ones and zeros are [batch, 1] targets."""
    fake = G(torch.randn(len(real), 100))
    real_logits, fake_logits = D(real), D(fake.detach())
    loss_d = bce(real_logits, ones) + bce(fake_logits, zeros)
    opt_d.zero_grad(set_to_none=True)
    loss_d.backward()
    opt_d.step()
    for p in D.parameters():
        p.requires_grad_(False)
    loss_g = bce(D(fake), ones)
    opt_g.zero_grad(set_to_none=True)
    loss_g.backward()
    opt_g.step()
    for p in D.parameters():
        p.requires_grad_(True)
    return loss_d, loss_g, real_logits, fake_logits


def make_gan_step(batch, torch):
    G, D, opt_g, opt_d = make_gan_modules(torch)
    bce = torch.nn.BCEWithLogitsLoss()
    real = pixels(batch, True, torch)
    ones, zeros = torch.ones(batch, 1), torch.zeros(batch, 1)

    def step():
        loss_d, loss_g, real_logits, fake_logits = gan_train_step(torch, G, D, opt_g, opt_d, bce, real, ones, zeros)
        with torch.no_grad():
            scores = (torch.sigmoid(real_logits).mean().item(), torch.sigmoid(fake_logits).mean().item())
        return loss_d.item(), loss_g.item(), scores

    return step


def make_vae_modules(torch):
    """The model, its Adam, and loss_terms(model, x) -> (BCE summed over pixels and samples, KL summed)."""
    nn, F = torch.nn, torch.nn.functional

    class Vae(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1, self.fc21, self.fc22 = nn.Linear(784, 400), nn.Linear(400, 20), nn.Linear(400, 20)
            self.fc3, self.fc4 = nn.Linear(20, 400), nn.Linear(400, 784)

        def forward(self, x):
            h = F.relu(self.fc1(x))
            mu, logvar = self.fc21(h), self.fc22(h)
            z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
            return self.fc4(F.relu(self.fc3(z))), mu, logvar

    def loss_terms(model, x):
        logits, mu, logvar = model(x)
        reconstruction = F.binary_cross_entropy_with_logits(logits, x, reduction="sum")
        kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
        return reconstruction, kl

    model = Vae()
    return model, torch.optim.Adam(model.parameters(), lr=1e-3), loss_terms


def make_vae_step(batch, torch):
    model, opt, loss_terms = make_vae_modules(torch)
    x = pixels(batch, False, torch)

    def step():
        reconstruction, kl = loss_terms(model, x)
        loss = (reconstruction + kl) / batch
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return reconstruction.item() / batch, kl.item() / batch

    return step


def measure(step, seconds):
    for _ in range(3):  # warm-up: allocator, optimizer state
        step()
    times = []
    start = time.perf_counter()
    while time.perf_counter() - start < seconds or len(times) < 5:
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    times.sort()
    return times


def run(args):
    torch_setting.apply(args)  # before the import: OpenBLAS threads, allocator
    import torch

    torch_setting.configure(torch, args)
    torch.manual_seed(1)
    makers = {"gan_step": make_gan_step, "vae_step": make_vae_step}
    results = []
    for name in args.steps.split(","):
        for batch in (int(b) for b in args.batches.split(",")):
            times = measure(makers[name](batch, torch), args.seconds)
            median = times[len(times) // 2]
            results.append({"name": name, "batch": batch, "ms_median": median * 1e3, "ms_min": times[0] * 1e3,
                            "samples_per_s": batch / median, "steps": len(times)})
            print(f"torch {name} batch {batch}: {median * 1e3:.2f} ms/step (min {times[0] * 1e3:.2f}), "
                  f"{batch / median:.0f} samples/s", flush=True)
    setting = {"torch": torch.__version__, "blas": blas_name(torch), **torch_setting.describe(args)}
    return {"setting": setting, "results": results}


def blas_name(torch):
    config = torch.__config__.show()
    for line in config.splitlines():
        if "BLAS_INFO" in line:
            return line.split("=", 1)[1].split(",")[0].strip()  # the line goes on with build flags
    return "unknown"


def sweep(args):
    # Each setting in a fresh interpreter (OpenBLAS fixes its thread count when it loads).
    best = None
    for torch_threads, blas_threads in [(1, 1), (1, 2), (2, 1), (2, 2)]:
        with tempfile.NamedTemporaryFile(suffix=".json") as out:
            subprocess.run([sys.executable, __file__, "--torch-threads", str(torch_threads), "--blas-threads",
                            str(blas_threads), "--allocator", args.allocator, "--batches", "64",
                            "--seconds", str(args.seconds), "--steps",
                            args.steps, "--json", out.name], check=True, stdout=subprocess.DEVNULL)
            results = json.load(open(out.name))["results"]
        total = sum(r["ms_median"] for r in results)
        steps = ", ".join(f"{r['name']} {r['ms_median']:.2f} ms" for r in results)
        print(f"torch threads {torch_threads}, OpenBLAS threads {blas_threads}: {steps}")
        if best is None or total < best[0]:
            best = (total, torch_threads, blas_threads)
    print(f"best (sum of medians at batch 64): torch threads {best[1]}, OpenBLAS threads {best[2]}")


def main():
    args = parse_args()
    if args.sweep:
        sweep(args)
        return
    report = run(args)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1)


if __name__ == "__main__":
    main()
