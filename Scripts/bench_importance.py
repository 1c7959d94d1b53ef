"""Scripts/bench importance: `sweep importance` at 10,000 trials x 8 parameters, against Optuna's.

Writes a results folder of N random trials (default 10,000) of the built-in trainer's space over 8
parameters (learning_rate and weight_decay log-uniform, momentum, dropout, l1 and max_norm uniform,
augment and batch_size listed), whose test loss depends strongly on learning_rate, weakly on momentum
and dropout, and not on the rest (plus noise); times `sweep importance DIR --json` (best of 3, the
whole run of the release binary: reading the CSV, the figures, the 32 shuffles a parameter), and with
--optuna, Optuna's PedAnovaImportanceEvaluator and FanovaImportanceEvaluator on the same trials in the
same sitting (TORCH_PYTHON must have optuna and scikit-learn), with each one's ranking.
"""
import argparse
import json
import math
import os
import random
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import REPORT_COLUMNS  # noqa: E402

TORCH_PYTHON = os.environ.get("TORCH_PYTHON", "python3")
SPEC = """name: importance
method: random
run_cap: {count}
parameters:
  learning_rate: {{distribution: log_uniform_values, min: 0.0001, max: 1.0}}
  weight_decay: {{distribution: log_uniform_values, min: 1.0e-6, max: 1.0e-2}}
  momentum: {{distribution: uniform, min: 0, max: 0.95}}
  dropout: {{distribution: uniform, min: 0, max: 0.5}}
  l1: {{distribution: uniform, min: 0, max: 0.001}}
  max_norm: {{distribution: uniform, min: 0, max: 5}}
  augment: {{values: [none, flip, rotate_flip]}}
  batch_size: {{values: [32, 64, 128]}}
  epochs: {{value: 20}}
"""

OPTUNA = r'''
import json, sys, time, warnings
import optuna
from optuna.importance import PedAnovaImportanceEvaluator, FanovaImportanceEvaluator, get_param_importances
optuna.logging.set_verbosity(optuna.logging.ERROR)
warnings.filterwarnings("ignore")
trials = json.load(open(sys.argv[1]))
F = optuna.distributions.FloatDistribution
dists = {"learning_rate": F(1e-4, 1.0, log=True), "weight_decay": F(1e-6, 1e-2, log=True), "momentum": F(0, 0.95),
         "dropout": F(0, 0.5), "l1": F(0, 0.001), "max_norm": F(0, 5),
         "augment": optuna.distributions.CategoricalDistribution(["none", "flip", "rotate_flip"]),
         "batch_size": optuna.distributions.CategoricalDistribution([32, 64, 128])}
study = optuna.create_study()
study.add_trials([optuna.trial.create_trial(params=t["params"], distributions=dists, value=t["value"]) for t in trials])
evaluator = {"ped-anova": PedAnovaImportanceEvaluator(), "fanova": FanovaImportanceEvaluator(seed=0)}[sys.argv[2]]
start = time.perf_counter()
importances = get_param_importances(study, evaluator=evaluator)
print(json.dumps({"seconds": time.perf_counter() - start, "importances": importances}))
'''


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sweep", required=True)
    parser.add_argument("--trials", type=int, default=10_000)
    parser.add_argument("--optuna", action="store_true")
    parser.add_argument("--optuna-timeout", type=int, default=600, help="seconds each of Optuna's evaluators may take")
    opts = parser.parse_args()
    rng = random.Random(7)
    defaults = dict(nesterov="false", hidden='"128,128"', seed=0, train_limit="", test_limit="", attempts=1, worker="w",
                    host="h", reason="", stopped_at="", optimizer="sgd", centered="false", teacher="",
                    distill_temperature=1.0, distill_alpha=0.0)
    rows, optuna_trials = [",".join(REPORT_COLUMNS)], []
    for number in range(opts.trials):
        params = dict(learning_rate=10 ** rng.uniform(-4, 0), weight_decay=10 ** rng.uniform(-6, -2), momentum=rng.uniform(0, 0.95),
                      dropout=rng.uniform(0, 0.5), l1=rng.uniform(0, 0.001), max_norm=rng.uniform(0, 5),
                      augment=rng.choice(["none", "flip", "rotate_flip"]), batch_size=rng.choice([32, 64, 128]))
        loss = (0.3 + 0.1 * (math.log10(params["learning_rate"]) + 2) ** 2 + 0.05 * params["momentum"]
                + 0.1 * params["dropout"] + rng.uniform(0, 0.05))
        row = dict(defaults, **params, trial=f"{number:016x}", status="completed", epochs=20, final_train_loss=loss * 0.8,
                   final_test_loss=loss, final_test_accuracy=0.85, best_test_loss=loss, best_epoch=20, epochs_run=20,
                   seconds=10.0, number=number, epochs_trained=20)
        rows.append(",".join(str(row[c]) for c in REPORT_COLUMNS))
        optuna_trials.append({"params": params, "value": loss})
    print(f"importance: {opts.trials} random trials x 8 parameters (test loss: strongly learning_rate, weakly momentum "
          f"and dropout, not the rest, + noise)", flush=True)
    with tempfile.TemporaryDirectory() as scratch:
        with open(os.path.join(scratch, "sweep.yaml"), "w") as f:
            f.write(SPEC.format(count=opts.trials))
        with open(os.path.join(scratch, "trials.csv"), "w") as f:
            f.write("\n".join(rows) + "\n")
        times, output = [], ""
        for _ in range(3):
            start = time.perf_counter()
            output = subprocess.run([opts.sweep, "importance", scratch, "--json"], check=True, capture_output=True, text=True).stdout
            times.append(time.perf_counter() - start)
        ours = json.loads(output)
        ranking = ", ".join(f"{p['name']} {p['importance']:.3f}" + (" (noise)" if p["within_noise"] else "") for p in ours["parameters"])
        print(f"  sweep importance: {min(times):.3f} s (best of 3, whole run; target under 2 s): {ranking}", flush=True)
        if opts.optuna:
            path = os.path.join(scratch, "trials.json")
            json.dump(optuna_trials, open(path, "w"))
            for name in ["ped-anova", "fanova"]:
                try:
                    proc = subprocess.run([TORCH_PYTHON, "-c", OPTUNA, path, name], capture_output=True, text=True,
                                          timeout=opts.optuna_timeout)
                except subprocess.TimeoutExpired:
                    print(f"  Optuna {name}: not done after {opts.optuna_timeout} s (stopped)", flush=True)
                    continue
                if proc.returncode != 0:
                    sys.exit(f"bench: the Optuna anchor failed: {proc.stderr[-2000:]}")
                entry = json.loads(proc.stdout.strip().splitlines()[-1])
                ranking = ", ".join(f"{k} {v:.3f}" for k, v in entry["importances"].items())
                print(f"  Optuna {name}: {entry['seconds']:.3f} s ({entry['seconds'] / min(times):.1f}x sweep's): {ranking}", flush=True)


if __name__ == "__main__":
    main()
