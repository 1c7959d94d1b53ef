"""The anchor for Scripts/bench pbt: Ray Tune's PopulationBasedTraining on the course's model in PyTorch
(one thread per trial, pre-batched tensors), the same space, population, interval and budget as
Sweeps/pbt.yaml, 2 trials at a time on 2 CPUs. Ray's exploit and explore are its defaults
(quantile_fraction 0.25, resample_probability 0.25, perturbation_factors (1.2, 0.8)); its PBT
decides asynchronously, as each trial reaches a boundary.

Prints one JSON object: the best final test loss of the population, the wall time, and the epochs run.
Needs ray[tune] and torch (a throwaway venv outside the repository: TORCH_PYTHON).
"""
import argparse
import json
import os
import random
import tempfile
import time

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from fashion_data import load


def make_model(dropout):
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Dropout(dropout),
                         nn.Linear(128, 128), nn.ReLU(), nn.Dropout(dropout), nn.Linear(128, 10), nn.LogSoftmax(dim=1))


def trainable(config, data=None, epochs=50):
    from ray import tune
    torch.set_num_threads(1)
    xtr, ytr, xte, yte = data
    model = make_model(config["dropout"])
    opt = torch.optim.SGD(model.parameters(), lr=config["learning_rate"], momentum=config["momentum"],
                          weight_decay=config["weight_decay"])
    start = 1
    checkpoint = tune.get_checkpoint()
    if checkpoint:
        with checkpoint.as_directory() as directory:
            state = torch.load(os.path.join(directory, "state.pt"))
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        start = state["epoch"] + 1
    # After an exploit the config holds the explored values: they apply from here on.
    for group in opt.param_groups:
        group["lr"], group["momentum"], group["weight_decay"] = config["learning_rate"], config["momentum"], config["weight_decay"]
    for module in model:
        if isinstance(module, nn.Dropout):
            module.p = config["dropout"]
    for epoch in range(start, epochs + 1):
        model.train()
        order = torch.randperm(len(xtr))
        for i in range(0, len(xtr), 64):
            b = order[i:i + 64]
            opt.zero_grad()
            F.nll_loss(model(xtr[b]), ytr[b]).backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            test_loss = sum(F.nll_loss(model(xte[i:i + 1000]), yte[i:i + 1000], reduction="sum").item()
                            for i in range(0, len(xte), 1000)) / len(xte)
        with tempfile.TemporaryDirectory() as directory:
            torch.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": epoch},
                       os.path.join(directory, "state.pt"))
            tune.report({"test_loss": test_loss if np.isfinite(test_loss) else 1e9, "epoch": epoch},
                        checkpoint=tune.Checkpoint.from_directory(directory))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--population", type=int, default=8)
    p.add_argument("--epochs", type=int, default=50)
    p.add_argument("--interval", type=int, default=5)
    p.add_argument("--cpus", type=int, default=2)
    a = p.parse_args()
    import ray
    from ray import tune
    from ray.tune.schedulers import PopulationBasedTraining
    random.seed(a.seed)
    np.random.seed(a.seed)
    torch.manual_seed(a.seed)
    data = load()
    start = time.perf_counter()
    ray.init(num_cpus=a.cpus, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    pbt = PopulationBasedTraining(time_attr="training_iteration", perturbation_interval=a.interval,
                                  hyperparam_mutations={
                                      "learning_rate": tune.loguniform(1e-3, 0.5),
                                      "momentum": tune.uniform(0.0, 0.95),
                                      "weight_decay": tune.loguniform(1e-6, 1e-3),
                                      "dropout": tune.uniform(0.0, 0.5),
                                  })
    with tempfile.TemporaryDirectory() as storage:
        tuner = tune.Tuner(
            tune.with_resources(tune.with_parameters(trainable, data=data, epochs=a.epochs), {"cpu": 1}),
            param_space={"learning_rate": tune.loguniform(1e-3, 0.5), "momentum": tune.uniform(0.0, 0.95),
                         "weight_decay": tune.loguniform(1e-6, 1e-3), "dropout": tune.uniform(0.0, 0.5)},
            tune_config=tune.TuneConfig(scheduler=pbt, metric="test_loss", mode="min", num_samples=a.population,
                                        reuse_actors=False),
            run_config=tune.RunConfig(storage_path=storage, stop={"training_iteration": a.epochs}, verbose=0,
                                      checkpoint_config=tune.CheckpointConfig(num_to_keep=4)),
        )
        results = tuner.fit()
        finals = [r.metrics.get("test_loss") for r in results if r.metrics]
        epochs = sum(r.metrics.get("training_iteration", 0) for r in results if r.metrics)
    wall = time.perf_counter() - start
    ray.shutdown()
    print(json.dumps({"best": min(f for f in finals if f is not None), "wall": wall, "members": len(finals), "epochs": epochs}))


if __name__ == "__main__":
    main()
