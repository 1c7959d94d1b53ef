#!/usr/bin/env python3
"""A program `sweep` can sweep, using only Python's standard library.

Trains logistic regression by SGD on a synthetic two-class problem (fixed by --seed) and prints one
JSON object per epoch, the format `sweep` reads:

    {"epoch": 1, "train_loss": 0.52, "test_loss": 0.49, "test_accuracy": 0.81}

Flags arrive as W&B's ${args} makes them: --lr=0.1 --epochs=5 --l2=0.0 --seed=0. It keeps its own
state in $SWEEP_TRIAL_DIR (the same folder for every attempt of a trial), so a requeued attempt picks
up where the last one stopped and prints the earlier epochs' lines again from there; run alone, it
uses a temporary folder.
"""
import argparse
import json
import math
import os
import random
import sys
import tempfile


def make_data(seed, count):
    rng = random.Random(seed)
    points = []
    for _ in range(count):
        label = rng.random() < 0.5
        x = [rng.gauss(0.8 if label else -0.8, 1.0) for _ in range(4)]
        points.append((x, 1.0 if label else 0.0))
    return points


def loss_and_accuracy(weights, bias, points):
    total, correct = 0.0, 0
    for x, y in points:
        z = sum(w * xi for w, xi in zip(weights, x)) + bias
        p = 1.0 / (1.0 + math.exp(-max(min(z, 30.0), -30.0)))
        total -= y * math.log(max(p, 1e-12)) + (1 - y) * math.log(max(1 - p, 1e-12))
        correct += (p >= 0.5) == (y == 1.0)
    return total / len(points), correct / len(points)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--l2", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if not args.lr > 0:
        sys.exit(f"train.py: --lr must be positive, got {args.lr}")

    folder = os.environ.get("SWEEP_TRIAL_DIR") or tempfile.mkdtemp()
    state_file = os.path.join(folder, "state.json")
    train, test = make_data(args.seed, 400), make_data(args.seed + 1000, 200)
    weights, bias, lines = [0.0] * 4, 0.0, []
    if os.path.exists(state_file):  # an earlier attempt of this trial got this far
        with open(state_file) as f:
            state = json.load(f)
        if state.get("args") == vars(args):
            weights, bias, lines = state["weights"], state["bias"], state["lines"]
    for line in lines:
        print(line, flush=True)
    first = len(lines) + 1

    rng = random.Random(args.seed)
    for epoch in range(1, args.epochs + 1):
        order = list(range(len(train)))
        rng.shuffle(order)  # consumed every epoch, so a resumed run shuffles as an unbroken one
        if epoch < first:
            continue
        running = 0.0
        for index in order:
            x, y = train[index]
            z = sum(w * xi for w, xi in zip(weights, x)) + bias
            p = 1.0 / (1.0 + math.exp(-max(min(z, 30.0), -30.0)))
            running -= y * math.log(max(p, 1e-12)) + (1 - y) * math.log(max(1 - p, 1e-12))
            weights = [w - args.lr * ((p - y) * xi + args.l2 * w) for w, xi in zip(weights, x)]
            bias -= args.lr * (p - y)
        test_loss, test_accuracy = loss_and_accuracy(weights, bias, test)
        line = json.dumps({"epoch": epoch, "train_loss": running / len(train), "test_loss": test_loss,
                           "test_accuracy": test_accuracy})
        print(line, flush=True)
        lines.append(line)
        with open(state_file + ".tmp", "w") as f:
            json.dump({"args": vars(args), "weights": weights, "bias": bias, "lines": lines}, f)
        os.replace(state_file + ".tmp", state_file)


if __name__ == "__main__":
    main()
