#!/usr/bin/python3
"""Parameter names, shapes and counts of the PyTorch models that aigc::models mirrors, for
tests/test_models.cpp. Run once with /usr/bin/python3 (Debian python3-torch 1.13); the printed
lists are pasted into the test.

- The seed article's GAN: G = 100-256-512-1024-784 with LeakyReLU(0.2) and Tanh,
  D = 784-1024-512-256-1 with LeakyReLU(0.2), Dropout(0.3) and Sigmoid, both nn.Sequential.
- The evaluation classifier: 784-512-256-10 with ReLU and Dropout(0.2), nn.Sequential.
- PyTorch's examples/vae: fc1 (784-400), fc21 / fc22 (400-20), fc3 (20-400), fc4 (400-784).
"""
import torch.nn as nn


def seed_generator():
    return nn.Sequential(nn.Linear(100, 256), nn.LeakyReLU(0.2), nn.Linear(256, 512), nn.LeakyReLU(0.2),
                         nn.Linear(512, 1024), nn.LeakyReLU(0.2), nn.Linear(1024, 784), nn.Tanh())


def seed_discriminator():
    return nn.Sequential(nn.Linear(784, 1024), nn.LeakyReLU(0.2), nn.Dropout(0.3),
                         nn.Linear(1024, 512), nn.LeakyReLU(0.2), nn.Dropout(0.3),
                         nn.Linear(512, 256), nn.LeakyReLU(0.2), nn.Dropout(0.3),
                         nn.Linear(256, 1), nn.Sigmoid())


def classifier():  # aigc::models::Classifier's default 784-512-256-10
    return nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Dropout(0.2), nn.Linear(512, 256), nn.ReLU(),
                         nn.Dropout(0.2), nn.Linear(256, 10))


class VAE(nn.Module):  # pytorch/examples vae/main.py
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 400)
        self.fc21 = nn.Linear(400, 20)
        self.fc22 = nn.Linear(400, 20)
        self.fc3 = nn.Linear(20, 400)
        self.fc4 = nn.Linear(400, 784)


def emit(label, module):
    state = module.state_dict()
    entries = ", ".join(f'{{"{name}", {{{", ".join(str(d) for d in t.shape)}}}}}' for name, t in state.items())
    count = sum(p.numel() for p in module.parameters())
    print(f"// {label}: {count} parameters")
    print(f"{{{entries}}}")


emit("generator", seed_generator())
emit("discriminator", seed_discriminator())
emit("classifier", classifier())
emit("vae", VAE())
