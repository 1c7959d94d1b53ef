"""The anchor for Scripts/bench objectives: Optuna's multi-objective TPE (TPESampler with two directions)
on the course's space plus the hidden widths, in PyTorch (one thread per process, pre-batched tensors,
batched augmentation), objectives final test loss and model size, several processes sharing one study
through a journal file, until the trials have spent the epoch budget (each trial reserves its epochs
before it starts, so the budget is met exactly: 30 trials of 10 epochs for 300).

Prints one JSON object: the seed, the wall time, every trial (finish time, test loss, model size,
parameters), the final hypervolume of the completed trials against (test loss 1.0, model size
1,000,000), and the hypervolume after each trial in finish order. `--self-test` checks the
hypervolume against Optuna's own.
"""
import argparse
import json
import math
import multiprocessing as mp
import os
import tempfile
import time

import numpy as np
import optuna
import torch
from torch import nn
from torch.nn import functional as F

from bench_objectives import REFERENCE, hypervolume, model_size
from fashion_data import augment, load

HIDDEN = ["32", "64", "128", "256", "512", "1024,512"]


def worker(storage_path, study_name, seed, budget, epochs, counter, start, data):
    torch.set_num_threads(1)
    torch.manual_seed(seed)
    xtr, ytr, xte, yte = data
    storage = optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(storage_path))
    # multivariate=False is Optuna 5.1's default with several directions; spelt out so that the anchor
    # does not change if that default does. constant_liar stays at its default (True).
    study = optuna.load_study(study_name=study_name, storage=storage,
                              sampler=optuna.samplers.TPESampler(seed=seed, multivariate=False))

    def objective(trial):
        lr = trial.suggest_float("learning_rate", 1e-3, 0.5, log=True)
        momentum = trial.suggest_float("momentum", 0.0, 0.95)
        weight_decay = trial.suggest_float("weight_decay", 1e-6, 1e-3, log=True)
        dropout = trial.suggest_float("dropout", 0.0, 0.5)
        kind = trial.suggest_categorical("augment", ["none", "flip", "rotate_flip"])
        hidden = trial.suggest_categorical("hidden", HIDDEN)
        layers, width = [nn.Flatten()], 784
        for h in [int(h) for h in hidden.split(",")]:
            layers += [nn.Linear(width, h), nn.ReLU(), nn.Dropout(dropout)]
            width = h
        model = nn.Sequential(*layers, nn.Linear(width, 10), nn.LogSoftmax(dim=1))
        opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum, weight_decay=weight_decay)
        test_loss = float("nan")
        for _ in range(epochs):
            model.train()
            order = torch.randperm(len(xtr))
            for i in range(0, len(xtr), 64):
                b = order[i:i + 64]
                xb = augment(xtr[b], kind) if kind != "none" else xtr[b]
                opt.zero_grad()
                F.nll_loss(model(xb), ytr[b]).backward()
                opt.step()
            model.eval()
            with torch.no_grad():
                test_loss = sum(F.nll_loss(model(xte[i:i + 1000]), yte[i:i + 1000], reduction="sum").item()
                                for i in range(0, len(xte), 1000)) / len(xte)
            if not math.isfinite(test_loss):
                test_loss = float("inf")
                break
        trial.set_user_attr("finished_at", time.time() - start)
        return test_loss, float(model_size(hidden))

    while True:
        # Reserve the trial's epochs before it starts: the budget is spent by whole trials, as sweep's is.
        with counter.get_lock():
            if counter.value + epochs > budget:
                return
            counter.value += epochs
        study.optimize(objective, n_trials=1)


def self_test():
    from optuna._hypervolume import compute_hypervolume
    # Hand-computed cases: duplicates, ties in one coordinate, dominated points, points on the reference.
    cases = [([(0.5, 500_000)], 250_000), ([(0.5, 500_000), (0.5, 500_000)], 250_000),
             ([(0.5, 500_000), (0.5, 200_000)], 400_000), ([(0.5, 200_000), (0.8, 200_000)], 400_000),
             ([(0.2, 600_000), (0.6, 100_000)], 520_000), ([(0.2, 600_000), (0.6, 100_000), (0.7, 700_000)], 520_000),
             ([(1.0, 0.0), (0.0, 1_000_000), (1.5, 10.0)], 0.0), ([], 0.0)]
    for points, expected in cases:
        assert abs(hypervolume(points) - expected) <= 1e-6, (points, hypervolume(points), expected)
    rng = np.random.default_rng(0)
    for k in range(200):
        points = [(float(rng.uniform(0, 1.2)), float(rng.uniform(0, 1.2e6))) for _ in range(int(rng.integers(1, 12)))]
        if k % 2:  # a coarse grid, so that ties, duplicates and points on the reference come up
            points = [(round(a, 1), round(b, -5)) for a, b in points]
        inside = np.array([p for p in points if p[0] < REFERENCE[0] and p[1] < REFERENCE[1]])
        theirs = compute_hypervolume(inside, np.array(REFERENCE)) if len(inside) else 0.0
        ours = hypervolume(points)
        assert abs(ours - theirs) <= 1e-9 * max(1.0, theirs), (points, ours, theirs)
    print(f"self-test: hypervolume right on {len(cases)} hand-computed sets and agrees with "
          "optuna._hypervolume.compute_hypervolume on 200 random sets")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--budget", type=int, default=300)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--self-test", action="store_true")
    a = p.parse_args()
    if a.self_test:
        return self_test()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    data = load()
    with tempfile.TemporaryDirectory() as scratch:
        path = os.path.join(scratch, "journal.log")
        storage = optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(path))
        optuna.create_study(study_name="anchor", storage=storage, directions=["minimize", "minimize"])
        counter = mp.get_context("fork").Value("i", 0)
        start = time.time()
        processes = [mp.get_context("fork").Process(target=worker, args=(path, "anchor", a.seed * 100 + k, a.budget, a.epochs,
                                                                          counter, start, data))
                     for k in range(a.workers)]
        for process in processes:
            process.start()
        for process in processes:
            process.join()
        wall = time.time() - start
        study = optuna.load_study(study_name="anchor", storage=storage)
        completed = sorted((t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE),
                           key=lambda t: t.user_attrs["finished_at"])
        trials = [{"number": t.number, "finished_at": t.user_attrs["finished_at"], "test_loss": t.values[0],
                   "model_size": t.values[1], "params": t.params} for t in completed]
        trace, points = [], []
        for t in trials:
            points.append((t["test_loss"], t["model_size"]))
            trace.append([t["finished_at"], hypervolume(points)])
        print(json.dumps({"seed": a.seed, "wall_seconds": wall, "trials": trials, "hypervolume": hypervolume(points),
                          "hypervolume_trace": trace}))


if __name__ == "__main__":
    main()
