#!/usr/bin/python3
"""PyTorch reference numbers for tests/test_ops_values.cpp.

Run once with Debian's PyTorch (/usr/bin/python3 tests/reference/ops_reference.py) and paste the
printed C++ initialisers into the test. Inputs are deterministic formulas evaluated in double and
rounded to float32, exactly as the C++ side does (`wave` below == `wave` in the test), so both sides
see bit-identical inputs without sharing a random number generator. Everything runs in float32.
"""
import math
import textwrap

import torch
import torch.nn.functional as F

torch.set_num_threads(1)


def wave(n, scale=1.0, freq=0.37, phase=0.1):
    """float32(scale * sin(freq * i + phase)) for i in [0, n)."""
    return torch.tensor([scale * math.sin(freq * i + phase) for i in range(n)], dtype=torch.float64).float()


def float_literal(v):
    """A C++ float literal with 9 significant digits (enough to round-trip a float32)."""
    text = f"{v:.9g}"
    if not any(c in text for c in ".e"):
        text += ".0"
    return text + "f"


def cpp(name, tensor):
    values = ", ".join(float_literal(v) for v in tensor.detach().reshape(-1).tolist())
    one_line = f"const std::vector<float> {name} = {{{values}}};"
    if len(one_line) <= 112:
        print(one_line)
    else:  # wrapped to fit 120 columns inside a TEST_CASE body
        print(f"const std::vector<float> {name} = {{")
        for line in textwrap.wrap(values, width=108):
            print(f"    {line}")
        print("};")


def leaf(values, shape=None):
    t = values.clone() if shape is None else values.reshape(shape).clone()
    return t.requires_grad_(True)


def backward_of_mean(loss_fn, *leaves):
    for x in leaves:
        x.grad = None
    loss_fn().backward()
    return [x.grad for x in leaves]


print("// ---- bce: probabilities with p = 0 and p = 1 (logs clamp at -100) ----")
bce_p = torch.tensor([0.0, 1.0, 0.0, 1.0, 0.3, 0.9, 1e-8, 0.5], dtype=torch.float32)
bce_t = torch.tensor([1.0, 0.0, 0.0, 1.0, 0.2, 1.0, 1.0, 0.5], dtype=torch.float32)
cpp("bce_none", F.binary_cross_entropy(bce_p, bce_t, reduction="none"))
cpp("bce_mean", F.binary_cross_entropy(bce_p, bce_t, reduction="mean").reshape(1))
cpp("bce_sum", F.binary_cross_entropy(bce_p, bce_t, reduction="sum").reshape(1))
p = leaf(bce_p)
cpp("bce_mean_grad", backward_of_mean(lambda: F.binary_cross_entropy(p, bce_t), p)[0])

print("// ---- bce_with_logits at large |x| ----")
bwl_x = torch.tensor([-100.0, -100.0, 100.0, 100.0, -20.0, 20.0, -1.5, 0.0, 0.7, 3.0], dtype=torch.float32)
bwl_t = torch.tensor([1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 0.3, 1.0, 0.0, 0.5], dtype=torch.float32)
cpp("bwl_none", F.binary_cross_entropy_with_logits(bwl_x, bwl_t, reduction="none"))
cpp("bwl_mean", F.binary_cross_entropy_with_logits(bwl_x, bwl_t, reduction="mean").reshape(1))
cpp("bwl_sum", F.binary_cross_entropy_with_logits(bwl_x, bwl_t, reduction="sum").reshape(1))
x = leaf(bwl_x)
cpp("bwl_mean_grad", backward_of_mean(lambda: F.binary_cross_entropy_with_logits(x, bwl_t), x)[0])

print("// ---- cross_entropy: logits [4, 5] = 3 sin(0.37 i + 0.1), last row shifted by +1000 ----")
ce_logits = wave(20, scale=3.0).reshape(4, 5)
ce_logits[3] += 1000.0
ce_labels = torch.tensor([2, 0, 4, 1])
cpp("ce_none", F.cross_entropy(ce_logits, ce_labels, reduction="none"))
cpp("ce_mean", F.cross_entropy(ce_logits, ce_labels, reduction="mean").reshape(1))
cpp("ce_sum", F.cross_entropy(ce_logits, ce_labels, reduction="sum").reshape(1))
z = leaf(ce_logits)
cpp("ce_mean_grad", backward_of_mean(lambda: F.cross_entropy(z, ce_labels), z)[0])

print("// ---- gaussian_kl: mu = sin(0.37 i + 0.1), logvar = 2 sin(0.23 i + 0.4), [3, 4] ----")
kl_mu = wave(12).reshape(3, 4)
kl_logvar = wave(12, scale=2.0, freq=0.23, phase=0.4).reshape(3, 4)


def kl(mu, logvar):
    return -0.5 * (1 + logvar - mu.pow(2) - logvar.exp())


cpp("kl_none", kl(kl_mu, kl_logvar))
cpp("kl_sum", kl(kl_mu, kl_logvar).sum().reshape(1))
cpp("kl_mean", kl(kl_mu, kl_logvar).mean().reshape(1))
mu, logvar = leaf(kl_mu), leaf(kl_logvar)
grad_mu, grad_logvar = backward_of_mean(lambda: kl(mu, logvar).sum(), mu, logvar)
cpp("kl_sum_grad_mu", grad_mu)
cpp("kl_sum_grad_logvar", grad_logvar)

print("// ---- softplus and sigmoid at large |x| ----")
act_x = torch.tensor([-100.0, -50.0, -20.0, -3.0, -0.5, 0.0, 0.5, 3.0, 20.0, 25.0, 50.0, 100.0],
                     dtype=torch.float32)
cpp("softplus_values", F.softplus(act_x))
cpp("sigmoid_values", torch.sigmoid(act_x))
a = leaf(act_x)
cpp("softplus_grad", backward_of_mean(lambda: F.softplus(a).sum(), a)[0])

print("// ---- mse: prediction = sin(0.37 i + 0.1), target = cos(0.5 i) / 2, [3, 5] ----")
mse_pred = wave(15).reshape(3, 5)
mse_target = wave(15, scale=0.5, freq=0.5, phase=math.pi / 2).reshape(3, 5)
cpp("mse_none", F.mse_loss(mse_pred, mse_target, reduction="none"))
cpp("mse_mean", F.mse_loss(mse_pred, mse_target, reduction="mean").reshape(1))
cpp("mse_sum", F.mse_loss(mse_pred, mse_target, reduction="sum").reshape(1))
m = leaf(mse_pred)
cpp("mse_mean_grad", backward_of_mean(lambda: F.mse_loss(m, mse_target), m)[0])

print("// ---- linear: x [3, 4] = sin, W [2, 4] = 0.5 sin(0.23 i + 0.4), b [2] = (0.1, -0.2) ----")
lin_x = wave(12).reshape(3, 4)
lin_w = wave(8, scale=0.5, freq=0.23, phase=0.4).reshape(2, 4)
lin_b = torch.tensor([0.1, -0.2], dtype=torch.float32)
cpp("linear_values", F.linear(lin_x, lin_w, lin_b))
xs, ws, bs = leaf(lin_x), leaf(lin_w), leaf(lin_b)
# loss = sum(tanh(linear(x))) exercises a non-trivial upstream gradient.
gx, gw, gb = backward_of_mean(lambda: torch.tanh(F.linear(xs, ws, bs)).sum(), xs, ws, bs)
cpp("linear_grad_x", gx)
cpp("linear_grad_w", gw)
cpp("linear_grad_b", gb)
