"""The assignment's model in PyTorch, one thread, pre-batched tensors: the yardstick for Scripts/bench.

Prints one JSON object per epoch and a summary, like `sweep train --json`.
"""
import argparse
import gzip
import json
import os
import time

import numpy as np
import torch
from torch import nn
import torchvision.transforms.v2 as T

from fashion_data import idx


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--dropout", type=float, default=0.0)
    p.add_argument("--augment", default="none")
    p.add_argument("--optimizer", default="sgd", choices=["sgd", "adam", "adamw", "rmsprop"])
    p.add_argument("--momentum", type=float, default=0.0)
    p.add_argument("--weight-decay", type=float, default=0.0)
    p.add_argument("--centered", action="store_true")
    a = p.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(a.seed)
    d = os.environ.get("FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist")
    xtr = torch.from_numpy(idx(f"{d}/train-images-idx3-ubyte.gz").copy()).float().div(255).unsqueeze(1)
    ytr = torch.from_numpy(idx(f"{d}/train-labels-idx1-ubyte.gz").astype(np.int64))
    xte = torch.from_numpy(idx(f"{d}/t10k-images-idx3-ubyte.gz").copy()).float().div(255).unsqueeze(1)
    yte = torch.from_numpy(idx(f"{d}/t10k-labels-idx1-ubyte.gz").astype(np.int64))
    layers = [nn.Flatten(), nn.Linear(784, 128), nn.ReLU()]
    if a.dropout:
        layers.append(nn.Dropout(a.dropout))
    layers += [nn.Linear(128, 128), nn.ReLU()]
    if a.dropout:
        layers.append(nn.Dropout(a.dropout))
    layers += [nn.Linear(128, 10), nn.LogSoftmax(dim=1)]
    model = nn.Sequential(*layers)
    # torch.optim's defaults otherwise: Adam/AdamW betas (0.9, 0.999), eps 1e-8; RMSprop alpha 0.99, eps 1e-8.
    if a.optimizer == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=a.lr, momentum=a.momentum, weight_decay=a.weight_decay)
    elif a.optimizer == "adam":
        opt = torch.optim.Adam(model.parameters(), lr=a.lr, weight_decay=a.weight_decay, eps=1e-8)
    elif a.optimizer == "adamw":
        opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=a.weight_decay, eps=1e-8)
    else:
        opt = torch.optim.RMSprop(model.parameters(), lr=a.lr, alpha=0.99, eps=1e-8, momentum=a.momentum,
                                  weight_decay=a.weight_decay, centered=a.centered)
    loss_fn = nn.NLLLoss()
    augment = None
    if a.augment == "rotate_flip_vflip":
        augment = T.Compose([T.RandomRotation(10), T.RandomHorizontalFlip(), T.RandomVerticalFlip()])
    results = []
    for epoch in range(1, a.epochs + 1):
        start = time.perf_counter()
        model.train()
        order = torch.randperm(len(xtr))
        losses = []
        for i in range(0, len(xtr), 64):
            idx_b = order[i:i + 64]
            xb = xtr[idx_b]
            if augment is not None:
                xb = torch.stack([augment(img) for img in xb])
            opt.zero_grad()
            loss = loss_fn(model(xb), ytr[idx_b])
            loss.backward()
            opt.step()
            losses.append(loss.item())
        model.eval()
        with torch.no_grad():
            total, correct = 0.0, 0
            for i in range(0, len(xte), 1000):
                out = model(xte[i:i + 1000])
                total += nn.functional.nll_loss(out, yte[i:i + 1000], reduction="sum").item()
                correct += (out.argmax(1) == yte[i:i + 1000]).sum().item()
        rec = {"epoch": epoch, "train_loss": sum(losses) / len(losses), "test_loss": total / len(xte),
               "test_accuracy": correct / len(xte), "seconds": time.perf_counter() - start}
        results.append(rec)
        print(json.dumps(rec), flush=True)
    last = results[-1]
    print(json.dumps({"status": "completed", "final_test_loss": last["test_loss"],
                      "final_test_accuracy": last["test_accuracy"]}))


if __name__ == "__main__":
    main()
