"""The anchor for Scripts/bench adaptive: Optuna's TPE sampler with its HyperbandPruner on the course's
model in PyTorch (one thread per process, pre-batched tensors, batched augmentation), several processes
sharing one study through a journal file, until the trials have spent the epoch budget.

Prints one JSON object: the best (completed) test loss, the wall time, trials and epochs.
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

from fashion_data import augment, load


def worker(storage_path, study_name, seed, budget, counter, data):
    torch.set_num_threads(1)
    torch.manual_seed(seed)
    xtr, ytr, xte, yte = data
    storage = optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(storage_path))
    study = optuna.load_study(study_name=study_name, storage=storage,
                              sampler=optuna.samplers.TPESampler(seed=seed),
                              pruner=optuna.pruners.HyperbandPruner(min_resource=1, max_resource=20, reduction_factor=3))

    def objective(trial):
        lr = trial.suggest_float("learning_rate", 1e-3, 0.5, log=True)
        momentum = trial.suggest_float("momentum", 0.0, 0.95)
        weight_decay = trial.suggest_float("weight_decay", 1e-6, 1e-3, log=True)
        dropout = trial.suggest_float("dropout", 0.0, 0.5)
        kind = trial.suggest_categorical("augment", ["none", "flip", "rotate_flip"])
        model = nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Dropout(dropout),
                              nn.Linear(128, 128), nn.ReLU(), nn.Dropout(dropout), nn.Linear(128, 10), nn.LogSoftmax(dim=1))
        opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum, weight_decay=weight_decay)
        test_loss = float("nan")
        for epoch in range(1, 21):
            with counter.get_lock():
                if counter.value >= budget:
                    study.stop()
                    raise optuna.TrialPruned()
                counter.value += 1
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
                return float("inf")
            trial.report(test_loss, epoch)
            if trial.should_prune():
                raise optuna.TrialPruned()
        return test_loss

    study.optimize(objective, n_trials=100_000)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--budget", type=int, default=400)
    p.add_argument("--processes", type=int, default=2)
    a = p.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    data = load()
    with tempfile.TemporaryDirectory() as scratch:
        path = os.path.join(scratch, "journal.log")
        storage = optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(path))
        study = optuna.create_study(study_name="anchor", storage=storage, direction="minimize")
        counter = mp.get_context("fork").Value("i", 0)
        start = time.perf_counter()
        processes = [mp.get_context("fork").Process(target=worker, args=(path, "anchor", a.seed * 100 + k, a.budget, counter, data))
                     for k in range(a.processes)]
        for process in processes:
            process.start()
        for process in processes:
            process.join()
        wall = time.perf_counter() - start
        study = optuna.load_study(study_name="anchor", storage=storage)
        completed = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE and t.value is not None]
        print(json.dumps({"best": min((t.value for t in completed), default=float("inf")), "wall": wall, "trials": len(study.trials),
                          "epochs": counter.value}))


if __name__ == "__main__":
    main()
