#!/usr/bin/python3
"""Reference numbers for tests/test_nn.cpp, computed with PyTorch (Debian python3-torch 1.13) in float64.

Run once with /usr/bin/python3; it prints C++ declarations that are pasted into test_nn.cpp.
Inputs are deterministic formulas, value i = scale * sin(a * i + b) + shift over the flattened
row-major tensor, which the C++ test rebuilds with the same formula (std::sin and math.sin are
both the C library's sin), so no random generator is shared between the two sides.
"""
import math

import torch
import torch.nn as nn

torch.set_default_dtype(torch.float64)


def formula(shape, a, b, scale=1.0, shift=0.0):
    n = math.prod(shape)
    values = [scale * math.sin(a * i + b) + shift for i in range(n)]
    return torch.tensor(values, dtype=torch.float64).reshape(shape)


def emit(name, tensor):
    values = tensor.detach().reshape(-1).tolist()
    body = ", ".join(repr(float(v)) for v in values)
    print(f"const std::vector<double> {name} = {{{body}}};")


def linear_case():
    print("// Linear(5, 3): x = sin(0.37 i + 0.1) [4, 5], weight = sin(0.53 i + 0.2), bias = sin(0.71 i + 0.3),")
    print("// seed gradient sin(0.29 i + 0.4) [4, 3].")
    layer = nn.Linear(5, 3)
    layer.load_state_dict({"weight": formula((3, 5), 0.53, 0.2), "bias": formula((3,), 0.71, 0.3)})
    x = formula((4, 5), 0.37, 0.1).requires_grad_()
    y = layer(x)
    y.backward(formula((4, 3), 0.29, 0.4))
    emit("linear_y", y)
    emit("linear_dx", x.grad)
    emit("linear_dweight", layer.weight.grad)
    emit("linear_dbias", layer.bias.grad)


def activation_case():
    print("// Activations on x = 3 sin(0.37 i + 0.1) [3, 4], seed gradient sin(0.29 i + 0.4).")
    for name, module in [("relu", nn.ReLU()), ("leaky_default", nn.LeakyReLU()), ("leaky_02", nn.LeakyReLU(0.2)),
                         ("tanh", nn.Tanh()), ("sigmoid", nn.Sigmoid())]:
        x = formula((3, 4), 0.37, 0.1, scale=3.0).requires_grad_()
        y = module(x)
        y.backward(formula((3, 4), 0.29, 0.4))
        emit(f"{name}_y", y)
        emit(f"{name}_dx", x.grad)


def batch_norm_case():
    print("// BatchNorm1d(3): weight = 1 + 0.5 sin(0.31 i + 0.2), bias = 0.3 sin(0.47 i + 0.5); train step 1 on")
    print("// x1 = 2 sin(0.37 i + 0.1) + 0.5 [5, 3]; train step 2 on x2 = 1.5 sin(0.61 i + 0.7) - 0.3 with seed")
    print("// gradient sin(0.29 i + 0.4); eval on x3 = sin(0.43 i + 1.1).")
    bn = nn.BatchNorm1d(3)
    with torch.no_grad():
        bn.weight.copy_(formula((3,), 0.31, 0.2, scale=0.5, shift=1.0))
        bn.bias.copy_(formula((3,), 0.47, 0.5, scale=0.3))
    bn.train()
    bn(formula((5, 3), 0.37, 0.1, scale=2.0, shift=0.5))
    x2 = formula((5, 3), 0.61, 0.7, scale=1.5, shift=-0.3).requires_grad_()
    y2 = bn(x2)
    y2.backward(formula((5, 3), 0.29, 0.4))
    emit("bn_y2", y2)
    emit("bn_dx2", x2.grad)
    emit("bn_dweight", bn.weight.grad)
    emit("bn_dbias", bn.bias.grad)
    emit("bn_running_mean", bn.running_mean)
    emit("bn_running_var", bn.running_var)
    assert int(bn.num_batches_tracked) == 2
    bn.eval()
    emit("bn_eval_y3", bn(formula((5, 3), 0.43, 1.1)))
    names = list(bn.state_dict().keys())
    assert names == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"], names


def spectral_norm_case():
    print("// spectral_norm(Linear(4, 3)): weight_orig = sin(0.53 i + 0.2), bias = 0.5 sin(0.71 i + 0.3),")
    print("// weight_u = sin(0.29 i + 0.4) [3], weight_v = sin(0.83 i + 0.6) [4] (as loaded, not normalised);")
    print("// x = sin(0.37 i + 0.1) [2, 4]. eval forward (stored u, v), then a train forward (one power")
    print("// iteration) with seed gradient sin(0.19 i + 0.9) [2, 3].")
    layer = nn.utils.spectral_norm(nn.Linear(4, 3))
    assert [n for n, _ in layer.named_parameters()] == ["bias", "weight_orig"]
    assert list(layer.state_dict().keys()) == ["bias", "weight_orig", "weight_u", "weight_v"]
    with torch.no_grad():
        layer.weight_orig.copy_(formula((3, 4), 0.53, 0.2))
        layer.bias.copy_(formula((3,), 0.71, 0.3, scale=0.5))
        layer.weight_u.copy_(formula((3,), 0.29, 0.4))
        layer.weight_v.copy_(formula((4,), 0.83, 0.6))
    x = formula((2, 4), 0.37, 0.1).requires_grad_()
    layer.eval()
    emit("sn_eval_y", layer(x))
    layer.train()
    y = layer(x)
    y.backward(formula((2, 3), 0.19, 0.9))
    emit("sn_train_y", y)
    emit("sn_u", layer.weight_u)
    emit("sn_v", layer.weight_v)
    emit("sn_dx", x.grad)
    emit("sn_dweight_orig", layer.weight_orig.grad)
    emit("sn_dbias", layer.bias.grad)


def gan_architecture_case():
    generator = nn.Sequential(nn.Linear(100, 256), nn.LeakyReLU(0.2), nn.Linear(256, 512), nn.LeakyReLU(0.2),
                              nn.Linear(512, 1024), nn.LeakyReLU(0.2), nn.Linear(1024, 784), nn.Tanh())
    discriminator = nn.Sequential(nn.Linear(784, 1024), nn.LeakyReLU(0.2), nn.Dropout(0.3),
                                  nn.Linear(1024, 512), nn.LeakyReLU(0.2), nn.Dropout(0.3),
                                  nn.Linear(512, 256), nn.LeakyReLU(0.2), nn.Dropout(0.3),
                                  nn.Linear(256, 1), nn.Sigmoid())
    for label, model in [("generator", generator), ("discriminator", discriminator)]:
        names = [n for n, _ in model.named_parameters()]
        count = sum(p.numel() for p in model.parameters())
        print(f"// seed GAN {label}: {count} parameters, names {names}")
    assert sum(p.numel() for p in generator.parameters()) == 1486352
    assert sum(p.numel() for p in discriminator.parameters()) == 1460225


if __name__ == "__main__":
    linear_case()
    activation_case()
    batch_norm_case()
    spectral_norm_case()
    gan_architecture_case()
