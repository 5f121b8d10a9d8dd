"""Reference numbers for tests/test_optim.cpp, computed once with PyTorch (1.13, float64).

Run:  /usr/bin/python3 tests/reference/optim_reference.py
and paste the printed C++ initialisers into tests/test_optim.cpp.

All inputs are formulas of the element index k (row-major), so the C++ test builds identical
tensors without sharing a random generator.
"""
import math

import torch

torch.set_default_dtype(torch.float64)


def formula(shape, f):
    n = math.prod(shape)
    return torch.tensor([f(k) for k in range(n)]).reshape(shape)


# ---- the trajectory problem --------------------------------------------------------------------
# loss_s = sum((x W^T + b - y)^2) + [s >= 3] * 1.5 * sum((L - c)^2); U never takes part.
# Parameter order [W, b, L, U]: L first receives a gradient at step 3 (its own step count starts
# there), U never does (skipped, no state).
def make_params():
    W = formula((2, 3), lambda k: 0.5 * math.sin(0.37 * k + 0.1))
    b = formula((2,), lambda k: 0.2 * math.cos(0.23 * k + 0.3))
    L = formula((2,), lambda k: 0.3 * math.sin(0.71 * k + 0.5))
    U = formula((2,), lambda k: 0.1 * k + 0.05)
    return [p.clone().requires_grad_(True) for p in (W, b, L, U)]


x = formula((4, 3), lambda k: math.sin(0.53 * k + 0.7))
y = formula((4, 2), lambda k: math.cos(0.41 * k + 0.2))
c = formula((2,), lambda k: math.cos(0.29 * k + 0.4))


def loss_at(step, W, b, L, U):
    loss = ((x @ W.t() + b - y) ** 2).sum()
    if step >= 3:
        loss = loss + 1.5 * ((L - c) ** 2).sum()
    return loss


OPTIMIZERS = [
    ("sgd_plain", lambda p: torch.optim.SGD(p, lr=0.01)),
    ("sgd_momentum_dampening", lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9, dampening=0.3)),
    ("sgd_nesterov", lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.8, nesterov=True)),
    ("sgd_weight_decay", lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.5, weight_decay=0.1)),
    ("adam", lambda p: torch.optim.Adam(p, lr=0.05)),
    ("adam_weight_decay", lambda p: torch.optim.Adam(p, lr=0.05, betas=(0.8, 0.95), eps=1e-6, weight_decay=0.1)),
    ("adamw", lambda p: torch.optim.AdamW(p, lr=0.05, weight_decay=0.2)),
    ("rmsprop_plain", lambda p: torch.optim.RMSprop(p, lr=0.01)),
    ("rmsprop_centered_momentum",
     lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.9, momentum=0.7, centered=True, weight_decay=0.05)),
]


def cpp_list(values):
    return "{" + ", ".join(repr(float(v)) for v in values) + "}"


print("// ---- trajectories: W (6), b (2), L (2) after each of 5 steps ----")
for name, make in OPTIMIZERS:
    params = make_params()
    opt = make(params)
    rows = []
    for step in range(1, 6):
        opt.zero_grad()
        loss_at(step, *params).backward()
        opt.step()
        rows.append(cpp_list(torch.cat([p.detach().reshape(-1) for p in params[:3]]).tolist()))
    assert params[3].grad is None
    print(f'{{"{name}", {{' + ",\n  ".join(rows) + "}},")

# ---- gradient clipping ------------------------------------------------------------------------
print("\n// ---- clip_grad_norm: {max_norm, norm_type, total, g1 (6) then g2 (4) after clipping} ----")


def make_grads():
    p1 = torch.zeros(2, 3, requires_grad=True)
    p2 = torch.zeros(4, requires_grad=True)
    p3 = torch.zeros(3, requires_grad=True)  # no gradient: ignored
    p1.grad = formula((2, 3), lambda k: 2.0 * math.sin(0.61 * k + 0.2))
    p2.grad = formula((4,), lambda k: 1.5 * math.cos(0.37 * k) - 0.3)
    return [p1, p2, p3]


for max_norm, norm_type in [(1.0, 2.0), (0.5, 1.0), (2.0, 3.0), (0.7, math.inf), (100.0, 2.0)]:
    params = make_grads()
    total = torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type)
    values = torch.cat([params[0].grad.reshape(-1), params[1].grad]).tolist()
    nt = "inf" if math.isinf(norm_type) else repr(norm_type)
    print(f"{{{max_norm!r}, {nt}, {float(total)!r}, {cpp_list(values)}}},")

params = make_grads()
torch.nn.utils.clip_grad_value_(params, 0.8)
print("// clip_grad_value 0.8:", cpp_list(torch.cat([params[0].grad.reshape(-1), params[1].grad]).tolist()))

# ---- LR schedules -----------------------------------------------------------------------------
print("\n// ---- LR after construction and after each of 10 steps (base lr 0.1) ----")
S = torch.optim.lr_scheduler
SCHEDULES = [
    ("StepLR(3, 0.5)", lambda o: S.StepLR(o, step_size=3, gamma=0.5)),
    ("ExponentialLR(0.9)", lambda o: S.ExponentialLR(o, gamma=0.9)),
    ("CosineAnnealingLR(6, 0.001)", lambda o: S.CosineAnnealingLR(o, T_max=6, eta_min=0.001)),
    ("LinearWarmup(4, 0.25)", lambda o: S.LinearLR(o, start_factor=0.25, total_iters=4)),
    ("LinearWarmup(5) defaults", lambda o: S.LinearLR(o)),
    ("LinearWarmup(3, 0.5, 0.8)", lambda o: S.LinearLR(o, start_factor=0.5, end_factor=0.8, total_iters=3)),
]
for name, make in SCHEDULES:
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=0.1)
    sched = make(opt)
    lrs = [opt.param_groups[0]["lr"]]
    for _ in range(10):
        opt.step()
        sched.step()
        lrs.append(opt.param_groups[0]["lr"])
    print(f"// {name}\n{cpp_list(lrs)},")
