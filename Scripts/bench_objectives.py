"""Scripts/bench objectives: several objectives on the course's space plus the hidden widths.

Random, bayes (multi-objective TPE) and bayes with asha, each at an epoch budget on 2 workers, full
data, 10-epoch trials, objectives test_loss and model_size, over several random_seeds. Reports each
run's hypervolume (reference point: test loss 1.0, model size 1,000,000; completed trials only) against
its wall time, measured by watching trials.csv as rows land. With --optuna, the anchor: Optuna's
multi-objective TPE with PyTorch at the same budget (Scripts/optuna_objectives_anchor.py), and the
time each of sweep's methods takes to reach Optuna's final hypervolume.
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
REFERENCE = (1.0, 1_000_000.0)

SPACE = """metrics: [{{name: test_loss, goal: minimize}}, {{name: model_size, goal: minimize}}]
epoch_budget: {budget}
run_cap: 1000
parameters:
  learning_rate: {{distribution: log_uniform_values, min: 0.001, max: 0.5}}
  momentum: {{distribution: uniform, min: 0, max: 0.95}}
  weight_decay: {{distribution: log_uniform_values, min: 1.0e-6, max: 1.0e-3}}
  dropout: {{distribution: uniform, min: 0, max: 0.5}}
  augment: {{values: [none, flip, rotate_flip]}}
  hidden: {{values: ["32", "64", "128", "256", "512", "1024,512"]}}
  epochs: {{value: {epochs}}}
"""

METHODS = {
    "random": "method: random\n",
    "bayes": "method: bayes\nparallelism: 2\n",
    "bayes+asha": "method: bayes\nparallelism: 2\nearly_terminate: {type: asha, min_iter: 1, eta: 3}\n",
}


def model_size(hidden):
    """Weights and biases of 784 → hidden… → 10 (what `sweep` records as model_size)."""
    widths = [784] + [int(h) for h in hidden.split(",") if h] + [10]
    return sum(a * b + b for a, b in zip(widths, widths[1:]))


def hypervolume(points, reference=REFERENCE):
    """2-D hypervolume (both minimised) of the points strictly inside the reference."""
    inside = sorted(p for p in points if p[0] < reference[0] and p[1] < reference[1])
    volume, best_second = 0.0, reference[1]
    for first, second in inside:
        if second < best_second:
            volume += (reference[0] - first) * (best_second - second)
            best_second = second
    return volume


def completed_points(path):
    """(test_loss, model_size) of every completed row of a trials.csv, in file order."""
    try:
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f))
    except FileNotFoundError:
        return [], []
    points = [(float(r["final_test_loss"]), model_size(r["hidden"])) for r in rows if r["status"] == "completed"]
    return rows, points


def run(opts, scratch, method, seed):
    """One sweep; returns its wall time, final hypervolume, trace [(seconds, hypervolume)] and counts."""
    spec = os.path.join(scratch, f"{method.replace('+', '-')}-{seed}.yaml")
    with open(spec, "w") as f:
        f.write(f"name: objectives-{seed}\nrandom_seed: {seed}\n" + METHODS[method]
                + SPACE.format(budget=opts.budget, epochs=opts.epochs))
    out = os.path.join(opts.keep or scratch, f"{method.replace('+', '-')}-{seed}")
    trials = os.path.join(out, "trials.csv")
    start = time.perf_counter()
    proc = subprocess.Popen([opts.sweep, "run", spec, "--workers", "2", "--results", out],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    trace, seen = [], 0
    # Rows land as trials are recorded; a quarter-second poll timestamps them well enough for runs of minutes.
    while proc.poll() is None:
        time.sleep(0.25)
        _, points = completed_points(trials)
        if len(points) > seen:
            seen = len(points)
            trace.append((time.perf_counter() - start, hypervolume(points)))
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"bench: {method} seed {seed} failed: {proc.stderr.read()[-2000:]}")
    rows, points = completed_points(trials)
    final = hypervolume(points)
    if not trace or trace[-1][1] != final:
        trace.append((wall, final))
    epochs = sum(int(r["epochs_run"]) for r in rows)
    return {"wall": wall, "hypervolume": final, "trace": trace, "trials": len(rows), "completed": len(points), "epochs": epochs}


def reached(trace, target):
    """The first time the trace's hypervolume is at least `target` (None: never)."""
    return next((t for t, volume in trace if volume >= target * (1 - 1e-12)), None)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sweep", required=True)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--budget", type=int, default=300)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=list(METHODS))
    parser.add_argument("--optuna", action="store_true", help="also run the anchor (TORCH_PYTHON must have torch and optuna)")
    parser.add_argument("--optuna-results", help="a JSON file for the anchor's figures: reused for seeds it holds, filled for others")
    parser.add_argument("--json", help="write every figure (traces included) to this file")
    parser.add_argument("--keep", help="keep each run's results folder under this folder (default: a scratch folder, removed)")
    opts = parser.parse_args()
    started = time.time()
    print(f"objectives: test_loss and model_size, the course's space + hidden in {{32, 64, 128, 256, 512, 1024-512}}, "
          f"{opts.epochs}-epoch trials, {opts.budget}-epoch budget, 2 workers, full data; hypervolume of completed trials "
          f"against reference (test_loss {REFERENCE[0]}, model_size {REFERENCE[1]:,.0f})", flush=True)
    results = {method: {} for method in opts.methods}
    with tempfile.TemporaryDirectory() as scratch:
        for seed in opts.seeds:
            for method in opts.methods:
                entry = run(opts, scratch, method, seed)
                results[method][seed] = entry
                print(f"  seed {seed} {method:10s}: hypervolume {entry['hypervolume']:,.0f} after {entry['wall']:.0f} s wall; "
                      f"{entry['trials']} trials ({entry['completed']} completed), {entry['epochs']} epochs", flush=True)
    print("  per seed, against random:")
    for seed in opts.seeds:
        if "random" not in results:
            break
        base = results["random"][seed]
        for method in opts.methods:
            if method == "random":
                continue
            entry = results[method][seed]
            when = reached(entry["trace"], base["hypervolume"])
            text = (f"reached random's final hypervolume after {when:.0f} s ({when / base['wall']:.2f} of random's {base['wall']:.0f} s)"
                    if when is not None else "never reached random's final hypervolume")
            print(f"    seed {seed} {method:10s}: {entry['hypervolume'] / base['hypervolume']:.3f}x random's hypervolume; {text}")
    print("  mean over seeds:")
    for method in opts.methods:
        entries = list(results[method].values())
        print(f"    {method:10s}: hypervolume {statistics.mean(e['hypervolume'] for e in entries):,.0f} "
              f"(sd {statistics.pstdev(e['hypervolume'] for e in entries):,.0f}), wall {statistics.mean(e['wall'] for e in entries):.0f} s")
    if opts.optuna or opts.optuna_results:
        saved = json.load(open(opts.optuna_results)) if opts.optuna_results and os.path.exists(opts.optuna_results) else {}
        print(f"  anchor: Optuna's multi-objective TPE (TPESampler, directions minimize, minimize) with PyTorch, 1 thread per "
              f"process, 2 processes, pre-batched tensors, {opts.budget} epochs")
        for seed in opts.seeds:
            if str(seed) in saved:
                anchor = saved[str(seed)]
                print(f"    (seed {seed}: Optuna's figures from {opts.optuna_results}, not measured in this run)")
            else:
                proc = subprocess.run([TORCH_PYTHON, os.path.join(ROOT, "Scripts", "optuna_objectives_anchor.py"), "--seed", str(seed),
                                       "--budget", str(opts.budget), "--epochs", str(opts.epochs), "--workers", "2"],
                                      capture_output=True, text=True)
                if proc.returncode != 0:
                    sys.exit(f"bench: the Optuna anchor failed: {proc.stderr[-2000:]}")
                anchor = json.loads(proc.stdout.strip().splitlines()[-1])
                saved[str(seed)] = anchor
                if opts.optuna_results:
                    json.dump(saved, open(opts.optuna_results, "w"))
            print(f"    seed {seed}: Optuna hypervolume {anchor['hypervolume']:,.0f} after {anchor['wall_seconds']:.0f} s "
                  f"({len(anchor['trials'])} trials)", flush=True)
            for method in opts.methods:
                entry = results[method][seed]
                when = reached(entry["trace"], anchor["hypervolume"])
                text = (f"reached it after {when:.0f} s ({anchor['wall_seconds'] / when:.1f}x sooner than Optuna's end)"
                        if when is not None else f"did not reach it (hypervolume {entry['hypervolume']:,.0f} in {entry['wall']:.0f} s)")
                print(f"      sweep {method:10s} {text}", flush=True)
    if opts.json:
        json.dump({m: {str(s): e for s, e in r.items()} for m, r in results.items()}, open(opts.json, "w"))
    print(f"bench objectives: {time.time() - started:.0f} s")


if __name__ == "__main__":
    main()
