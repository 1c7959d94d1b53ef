"""Scripts/bench simulate: how fast `sweep simulate` runs sweeps, and what the coordinator's scheduler costs
with 1,000 and 10,000 simulated workers.

1. Speed: 10,000 trials x 20 epochs (random search over the course's space, no early termination) at
   1,000 workers, replaying the shipped table (docs/results/simulation-table). Target: under 10 s.
2. Scale: a hyperband sweep of --trials trials (default 20,000; rungs at 1, 3, 9) at 1,000 and 10,000
   simulated workers, every record written to a results folder in groups of 512, each group fsync'ed
   (`--results`), as the coordinator's group commit writes them. Reported: trials/s (wall), CPU per
   decision (the process's user + system CPU over the scheduler's decisions: assignments, stops,
   records), CPU per input (every message and tick the scheduler handled), peak RSS.
   Targets at 10,000 workers: at least 5,000 trials/s and under 1 ms of CPU per decision.
The simulated workers cost almost nothing (a heap of epoch events), so these are the scheduler's and the
store's figures without sockets; `Scripts/bench coordinator --workers N` measures them with ZeroMQ.
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SPACE = """parameters:
  learning_rate: {distribution: log_uniform_values, min: 0.001, max: 0.5}
  momentum: {distribution: uniform, min: 0, max: 0.95}
  weight_decay: {distribution: log_uniform_values, min: 1.0e-6, max: 1.0e-3}
  dropout: {distribution: uniform, min: 0, max: 0.5}
  augment: {values: [none, flip, rotate_flip]}
  epochs: {value: 20}
"""


def simulate(opts, sweep, workers, results=None):
    """Runs `sweep simulate --json` as a child; returns (its JSON run, wall s, CPU s, peak RSS MB)."""
    command = [opts.sweep, "simulate", sweep, "--table", opts.table, "--workers", str(workers), "--json"]
    if results:
        command += ["--results", results]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        sys.exit(f"bench: sweep simulate failed: {proc.stderr.strip()}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    # ru_maxrss of children is the largest of any child so far (KB on Linux): runs go smallest first.
    return json.loads(proc.stdout)["runs"][0], wall, cpu, after.ru_maxrss / 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sweep", required=True)
    parser.add_argument("--table", default=os.path.join(ROOT, "docs", "results", "simulation-table"))
    parser.add_argument("--trials", type=int, default=20_000, help="trials of the scale runs")
    parser.add_argument("--workers", type=int, nargs="+", default=[1_000, 10_000], help="worker counts of the scale runs")
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-simulate-") as scratch:
        speed = os.path.join(scratch, "speed.yaml")
        with open(speed, "w") as f:
            f.write("name: bench-speed\nmethod: random\nrun_cap: 10000\nrandom_seed: 0\n" + SPACE)
        run, wall, cpu, rss = simulate(opts, speed, 1_000)
        print(f"simulate: {run['trials']} trials x 20 epochs ({run['epochs_trained']} epochs) at 1,000 workers: "
              f"{wall:.2f} s wall, {cpu:.2f} s CPU, peak RSS {rss:.0f} MB; {run['seconds']:.0f} s simulated "
              f"(target: under 10 s wall)", flush=True)
        scale = os.path.join(scratch, "scale.yaml")
        with open(scale, "w") as f:
            f.write(f"name: bench-scale\nmethod: random\nrun_cap: {opts.trials}\nrandom_seed: 0\n"
                    "early_terminate: {type: hyperband, min_iter: 1, eta: 3}\n" + SPACE)
        for workers in sorted(opts.workers):
            results = os.path.join(scratch, f"scale-{workers}")
            run, wall, cpu, rss = simulate(opts, scale, workers, results)
            rows = sum(1 for _ in open(os.path.join(results, "trials.csv"))) - 1
            if rows != run["trials"]:
                sys.exit(f"bench: {run['trials']} trials simulated but {rows} rows in trials.csv")
            print(f"coordinator at {workers:,} simulated workers: {run['trials']:,} hyperband trials "
                  f"({run['stopped']:,} stopped) in {wall:.2f} s = {run['trials'] / wall:,.0f} trials/s, every row "
                  f"fsync'ed in groups of 512; {run['decisions']:,} decisions, {run['inputs']:,} inputs: "
                  f"{cpu / run['decisions'] * 1e6:.1f} us CPU a decision, {cpu / run['inputs'] * 1e6:.2f} us an input; "
                  f"peak RSS {rss:.0f} MB", flush=True)


if __name__ == "__main__":
    main()
