#!/usr/bin/env python3
"""The course's FashionMNIST MLP in PyTorch, as a program for `sweep` to sweep.

784 -> 128 -> 128 -> 10 with ReLU and dropout, LogSoftmax and NLL loss, SGD with batch 64 (the
assignment's model). Reads the same four IDX .gz files as `sweep train` (--data, else
$FASHION_MNIST_DIR, else /usr/share/datasets/fashion-mnist) and prints one JSON object per epoch:

    {"epoch": 1, "train_loss": 0.61, "test_loss": 0.47, "test_accuracy": 0.83, "seconds": 9.1}

Flags as W&B's ${args} makes them: --lr=0.01 --momentum=0.9 --weight_decay=1e-05 --dropout=0.4
--epochs=30 --seed=0 --hidden=128,128.
"""
import argparse
import gzip
import json
import os
import struct
import time

import torch
from torch import nn


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, count = struct.unpack(">II", data[:8])
    dims = [count] + [struct.unpack(">I", data[8 + 4 * i:12 + 4 * i])[0] for i in range((magic & 0xFF) - 1)]
    offset = 4 + 4 * len(dims)
    return torch.frombuffer(bytearray(data[offset:]), dtype=torch.uint8).reshape(dims)


def load(directory, prefix):
    images = read_idx(os.path.join(directory, f"{prefix}-images-idx3-ubyte.gz")).reshape(-1, 784).float() / 255.0
    labels = read_idx(os.path.join(directory, f"{prefix}-labels-idx1-ubyte.gz")).long()
    return images, labels


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--momentum", type=float, default=0.0)
    parser.add_argument("--weight_decay", type=float, default=0.0)
    parser.add_argument("--dropout", type=float, default=0.0)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch_size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--hidden", type=str, default="128,128")
    parser.add_argument("--data", type=str,
                        default=os.environ.get("FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist"))
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    torch.set_num_threads(1)  # one thread per trial: sweep's workers are the parallelism
    train_x, train_y = load(args.data, "train")
    test_x, test_y = load(args.data, "t10k")

    layers, width = [], 784
    for hidden in [int(h) for h in str(args.hidden).split(",") if h]:
        layers += [nn.Linear(width, hidden), nn.ReLU(), nn.Dropout(args.dropout)]
        width = hidden
    model = nn.Sequential(*layers, nn.Linear(width, 10))
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum,
                                weight_decay=args.weight_decay)
    loss_function = nn.NLLLoss()

    for epoch in range(1, args.epochs + 1):
        started = time.time()
        model.train()
        order = torch.randperm(len(train_x))
        total, batches = 0.0, 0
        for start in range(0, len(order), args.batch_size):
            index = order[start:start + args.batch_size]
            optimizer.zero_grad()
            loss = loss_function(torch.log_softmax(model(train_x[index]), dim=1), train_y[index])
            loss.backward()
            optimizer.step()
            total += loss.item()
            batches += 1
        model.eval()
        with torch.no_grad():
            log_probabilities = torch.log_softmax(model(test_x), dim=1)
            test_loss = loss_function(log_probabilities, test_y).item()
            accuracy = (log_probabilities.argmax(dim=1) == test_y).float().mean().item()
        print(json.dumps({"epoch": epoch, "train_loss": total / batches, "test_loss": test_loss,
                          "test_accuracy": accuracy, "seconds": time.time() - started}), flush=True)


if __name__ == "__main__":
    main()
