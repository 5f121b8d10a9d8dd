#!/usr/bin/python3
"""The whole-process counterparts of `gan_mnist train` and `vae_mnist train` in PyTorch, as a
measuring stick for bench/whole_process.py (never a dependency of the library): start the
interpreter and torch, read the MNIST IDX files, shuffle every epoch, train, evaluate the VAE on
the test set at each epoch end, and save the weights and a batch of samples. Models, optimizers
and losses are those of bench/pytorch_steps.py (and of our trainers).

  bench/pytorch_train.py gan --data data/mnist --max-steps 300 --out /tmp/torch-gan
  bench/pytorch_train.py vae --data data/mnist --epochs 4 --max-steps 1500 --out /tmp/torch-vae

Not done here, unlike our trainers: the loss plot, metrics CSV, PNG grid and resumable
checkpoints (samples and weights are written with torch.save instead).
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_setting  # noqa: E402  (sets threads and the allocator before torch loads)


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model", choices=["gan", "vae"])
    p.add_argument("--data", default="data/mnist")
    p.add_argument("--out", required=True)
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--max-steps", type=int, default=0, help="0: no limit")
    p.add_argument("--batch", type=int, help="default: 64 (gan), 128 (vae), as our trainers")
    p.add_argument("--seed", type=int, default=1)
    torch_setting.add_arguments(p)
    return p.parse_args()


def read_idx_images(path, torch, numpy):
    with open(path, "rb") as f:
        raw = f.read()
    count = int.from_bytes(raw[4:8], "big")
    pixels = numpy.frombuffer(raw, dtype=numpy.uint8, offset=16).reshape(count, 784)
    return torch.from_numpy(pixels.astype(numpy.float32) / 255.0)


def gan(args, torch, train, test):
    from pytorch_steps import gan_train_step, make_gan_modules
    G, D, opt_g, opt_d = make_gan_modules(torch)
    bce = torch.nn.BCEWithLogitsLoss()
    images = train * 2 - 1  # [-1, 1], G's Tanh range
    step = 0
    for _ in range(args.epochs):
        order = torch.randperm(len(images))
        for start in range(0, len(images) - args.batch + 1, args.batch):
            real = images[order[start:start + args.batch]]
            ones, zeros = torch.ones(len(real), 1), torch.zeros(len(real), 1)
            loss_d, loss_g, _, _ = gan_train_step(torch, G, D, opt_g, opt_d, bce, real, ones, zeros)
            loss_d.item(), loss_g.item()
            step += 1
            if step == args.max_steps:
                break
        if step == args.max_steps:
            break
    with torch.no_grad():
        samples = G(torch.randn(64, 100))
    torch.save(G.state_dict(), os.path.join(args.out, "generator.pt"))
    torch.save(samples, os.path.join(args.out, "samples.pt"))
    print(f"gan: {step} steps, d_loss {loss_d.item():.4f}, g_loss {loss_g.item():.4f}")


def vae(args, torch, train, test):
    from pytorch_steps import make_vae_modules
    model, opt, loss_terms = make_vae_modules(torch)
    step = 0
    for epoch in range(args.epochs):
        order = torch.randperm(len(train))
        for start in range(0, len(train), args.batch):
            x = train[order[start:start + args.batch]]
            reconstruction, kl = loss_terms(model, x)
            loss = (reconstruction + kl) / len(x)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            loss.item()
            step += 1
            if step == args.max_steps:
                break
        with torch.no_grad():  # the test -ELBO our trainer reports at each epoch end
            total = sum(sum(loss_terms(model, test[i:i + 500])).item() for i in range(0, len(test), 500))
        print(f"vae epoch {epoch + 1}: {step} steps, test -ELBO {total / len(test):.3f}")
        if step == args.max_steps:
            break
    with torch.no_grad():
        samples = torch.sigmoid(model.fc4(torch.relu(model.fc3(torch.randn(64, 20)))))
    torch.save(model.state_dict(), os.path.join(args.out, "vae.pt"))
    torch.save(samples, os.path.join(args.out, "samples.pt"))


def main():
    args = parse_args()
    torch_setting.apply(args)  # may re-execute this script with the allocator's environment
    import numpy
    import torch
    torch_setting.configure(torch, args)
    torch.manual_seed(args.seed)
    args.batch = args.batch or (64 if args.model == "gan" else 128)
    os.makedirs(args.out, exist_ok=True)
    train = read_idx_images(os.path.join(args.data, "train-images-idx3-ubyte"), torch, numpy)
    test = read_idx_images(os.path.join(args.data, "t10k-images-idx3-ubyte"), torch, numpy)
    {"gan": gan, "vae": vae}[args.model](args, torch, train, test)


if __name__ == "__main__":
    main()
