"""Scripts/bench pbt: population-based training against random + asha and bayes + asha.

The course's space (learning rate, momentum, weight decay, dropout), 2 workers, full data, a budget of
400 epochs: PBT as Sweeps/pbt.yaml runs it (population 8 × 50 epochs, interval 5) and the two others
with 50-epoch trials and epoch_budget 400, over several random_seeds. Reports each run's best test loss
(the final test loss of its best completed trial; for PBT, of its best member's last stretch) and wall
time. With --ray, the anchor in the same sitting: Ray Tune's PopulationBasedTraining with PyTorch
(Scripts/ray_pbt_anchor.py, TORCH_PYTHON with ray[tune] and torch), rerun with one seed to show its
spread; and PBT's seed run again here to show ours (zero: the same trials.csv).
"""
import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TORCH_PYTHON = os.environ.get("TORCH_PYTHON", "python3")

SPACE = """parameters:
  learning_rate: {{distribution: log_uniform_values, min: 0.001, max: 0.5}}
  momentum: {{distribution: uniform, min: 0, max: 0.95}}
  weight_decay: {{distribution: log_uniform_values, min: 1.0e-6, max: 1.0e-3}}
  dropout: {{distribution: uniform, min: 0, max: 0.5}}
  epochs: {{value: {epochs}}}
"""

METHODS = {
    "pbt": "method: pbt\npopulation_size: {population}\nperturbation_interval: {interval}\n",
    "random+asha": "method: random\nrun_cap: 1000\nepoch_budget: {budget}\nearly_terminate: {{type: asha, min_iter: 1, eta: 3}}\n",
    "bayes+asha": "method: bayes\nrun_cap: 1000\nparallelism: 2\nepoch_budget: {budget}\nearly_terminate: {{type: asha, min_iter: 1, eta: 3}}\n",
}


def best(trials):
    """The best final test loss of a trials.csv: completed rows; for PBT, each member's last stretch."""
    with open(trials, newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["status"] == "completed"]
    if rows and "generation" in rows[0]:
        last = max(int(r["generation"]) for r in rows)
        rows = [r for r in rows if int(r["generation"]) == last]
    return min((float(r["final_test_loss"]) for r in rows), default=float("inf")), len(rows)


def run(opts, scratch, method, seed, tag=""):
    name = f"{method.replace('+', '-')}-{seed}{tag}"
    spec = os.path.join(scratch, name + ".yaml")
    with open(spec, "w") as f:
        f.write(f"name: pbt-bench-{seed}\nrandom_seed: {seed}\nkeep_models: 0\n"
                + METHODS[method].format(population=opts.population, interval=opts.interval, budget=opts.budget)
                + SPACE.format(epochs=opts.epochs))
    out = os.path.join(opts.keep or scratch, name)
    start = time.perf_counter()
    subprocess.run([opts.sweep, "run", spec, "--workers", "2", "--results", out, "--fresh"], check=True,
                   stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    loss, rows = best(os.path.join(out, "trials.csv"))
    return {"method": method, "seed": seed, "best": loss, "wall": wall, "rows": rows, "trials": os.path.join(out, "trials.csv")}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--sweep", required=True)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--population", type=int, default=8)
    p.add_argument("--epochs", type=int, default=50)
    p.add_argument("--interval", type=int, default=5)
    p.add_argument("--methods", nargs="+", default=list(METHODS))
    p.add_argument("--ray", action="store_true", help="also Ray Tune's PBT anchor, rerun --ray-reruns times with --seeds' first seed")
    p.add_argument("--ray-reruns", type=int, default=3)
    p.add_argument("--keep", help="keep the results folders here")
    p.add_argument("--json", help="write every run's figures here")
    opts = p.parse_args()
    opts.budget = opts.population * opts.epochs
    subprocess.run(["swift", "build", "-c", "release", "--package-path", ROOT, "--product", "sweep"], check=True,
                   stdout=subprocess.DEVNULL)
    runs = []
    with tempfile.TemporaryDirectory() as scratch:
        for seed in opts.seeds:
            for method in opts.methods:
                r = run(opts, scratch, method, seed)
                runs.append(r)
                print(f"{method:12} seed {seed}: best test loss {r['best']:.4f}, wall {r['wall']:.0f} s ({r['rows']} rows ranked)",
                      file=sys.stderr, flush=True)
        if "pbt" in opts.methods:
            again = run(opts, scratch, "pbt", opts.seeds[0], tag="-again")
            first = next(r for r in runs if r["method"] == "pbt" and r["seed"] == opts.seeds[0])

            def rows(path):
                with open(path, newline="") as f:
                    return sorted(tuple(v for k, v in r.items() if k not in ("seconds", "worker", "host", "attempts", "epochs_trained"))
                                  for r in csv.DictReader(f))
            same = rows(first["trials"]) == rows(again["trials"])
            print(f"pbt seed {opts.seeds[0]} again: best {again['best']:.4f}, trials.csv {'identical' if same else 'DIFFERENT'}",
                  file=sys.stderr, flush=True)
            runs.append({**again, "method": "pbt (again)", "identical": same})
        anchors = []
        if opts.ray:
            for k in range(opts.ray_reruns):
                out = subprocess.run([TORCH_PYTHON, os.path.join(ROOT, "Scripts", "ray_pbt_anchor.py"), "--seed", str(opts.seeds[0]),
                                      "--population", str(opts.population), "--epochs", str(opts.epochs), "--interval", str(opts.interval)],
                                     check=True, capture_output=True, text=True, cwd=os.path.join(ROOT, "Scripts"))
                anchor = json.loads(out.stdout.strip().splitlines()[-1])
                anchors.append(anchor)
                print(f"ray pbt      seed {opts.seeds[0]} run {k + 1}: best test loss {anchor['best']:.4f}, wall {anchor['wall']:.0f} s",
                      file=sys.stderr, flush=True)
    print()
    print(f"{'method':12}  {'mean best':>9}  {'per seed':30}  {'mean wall':>9}")
    for method in opts.methods:
        mine = [r for r in runs if r["method"] == method]
        print(f"{method:12}  {statistics.mean(r['best'] for r in mine):9.4f}  "
              f"{' '.join('%.4f' % r['best'] for r in mine):30}  {statistics.mean(r['wall'] for r in mine):8.0f}s")
    if anchors:
        bests = [a["best"] for a in anchors]
        print(f"{'ray pbt':12}  {statistics.mean(bests):9.4f}  {' '.join('%.4f' % b for b in bests):30}  "
              f"{statistics.mean(a['wall'] for a in anchors):8.0f}s  (one seed, {len(anchors)} reruns: spread "
              f"{max(bests) - min(bests):.4f})")
    if opts.json:
        with open(opts.json, "w") as f:
            json.dump({"runs": [{k: v for k, v in r.items() if k != "trials"} for r in runs], "ray": anchors}, f, indent=1)


if __name__ == "__main__":
    main()
