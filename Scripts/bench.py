"""Drives Scripts/bench: runs the release binary, reads its JSON lines, measures peak RSS."""
import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TORCH_PYTHON = os.environ.get("TORCH_PYTHON", "python3")


def run_sweep(binary, args):
    """Runs `sweep train --json ARGS`; returns (epoch records, summary, peak RSS in MB)."""
    proc = subprocess.Popen([binary, "train", "--json", *args], stdout=subprocess.PIPE, text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    if status != 0:
        sys.exit(f"bench: sweep train {' '.join(args)} failed with status {status}")
    records = [json.loads(line) for line in out.splitlines() if line.strip()]
    return records[:-1], records[-1], usage.ru_maxrss / 1024


def torch_available():
    try:
        return subprocess.run([TORCH_PYTHON, "-c", "import torch, torchvision"], capture_output=True).returncode == 0
    except FileNotFoundError:
        return False


def run_torch(args):
    cmd = [TORCH_PYTHON, os.path.join(ROOT, "Scripts", "pytorch_reference.py"), *args]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    records = [json.loads(line) for line in out.splitlines() if line.strip()]
    return records[:-1], records[-1]


def train(opts):
    if opts.optimizers:
        return optimizer_speed(opts)
    cases = [("default model, no augmentation", []),
             ("rotate_flip_vflip + dropout 0.4", ["--augment", "rotate_flip_vflip", "--dropout", "0.4"])]
    print(f"sweep train, full data (60,000 train + 10,000 test), {opts.epochs} epochs, one thread; "
          "per-epoch seconds include the test pass")
    have_torch = torch_available() and not opts.no_torch
    for name, extra in cases:
        epochs, summary, rss = run_sweep(opts.sweep, ["--epochs", str(opts.epochs), *extra])
        seconds = [e["seconds"] for e in epochs]
        line = (f"  {name:34s} median {statistics.median(seconds):.3f} s/epoch  "
                f"(min {min(seconds):.3f}, max {max(seconds):.3f})  peak RSS {rss:.0f} MB  "
                f"final test_loss {summary['final_test_loss']:.4f}")
        print(line, flush=True)
        if have_torch:
            torch_epochs, _ = run_torch(["--epochs", str(opts.epochs), *extra])
            torch_seconds = statistics.median(e["seconds"] for e in torch_epochs)
            print(f"  {'':34s} PyTorch (1 thread, pre-batched tensors) median {torch_seconds:.3f} s/epoch: "
                  f"sweep is {torch_seconds / statistics.median(seconds):.2f}x as fast", flush=True)
    if not have_torch:
        print("  (PyTorch comparison skipped: set TORCH_PYTHON to a python with torch and torchvision)")


# The optimizers compared by `bench parity --optimizers` and `bench train --optimizers`: flags for both
# `sweep train` and Scripts/pytorch_reference.py.
OPTIMIZER_CASES = [
    ("sgd lr 0.01", ["--lr", "0.01"]),
    ("adam lr 0.001", ["--optimizer", "adam", "--lr", "0.001"]),
    ("adamw lr 0.001 wd 0.01", ["--optimizer", "adamw", "--lr", "0.001", "--weight-decay", "0.01"]),
    ("rmsprop lr 0.001", ["--optimizer", "rmsprop", "--lr", "0.001"]),
    ("rmsprop centred mom 0.5 lr 0.0005", ["--optimizer", "rmsprop", "--lr", "0.0005", "--centered", "--momentum", "0.5"]),
]


def optimizer_parity(opts):
    print("optimizers: final test_loss after 5 epochs, default model, full data, seeds 0 1 2, sweep vs PyTorch "
          "(1 thread, pre-batched tensors; each draws its own initialisation and shuffles, so parity is within seed noise)")
    have_torch = torch_available() and not opts.no_torch
    for name, flags in OPTIMIZER_CASES:
        ours, theirs = [], []
        for seed in (0, 1, 2):
            _, summary, _ = run_sweep(opts.sweep, [*flags, "--epochs", "5", "--seed", str(seed)])
            ours.append(summary["final_test_loss"])
            if have_torch:
                _, other = run_torch([*flags, "--epochs", "5", "--seed", str(seed)])
                theirs.append(other["final_test_loss"])
        line = f"  {name:34s} sweep {statistics.mean(ours):.4f} ± {statistics.stdev(ours):.4f}"
        if theirs:
            spread = max(statistics.stdev(ours), statistics.stdev(theirs))
            line += (f"   PyTorch {statistics.mean(theirs):.4f} ± {statistics.stdev(theirs):.4f}   difference "
                     f"{statistics.mean(ours) - statistics.mean(theirs):+.4f} ({abs(statistics.mean(ours) - statistics.mean(theirs)) / spread:.1f} sd)")
        print(line, flush=True)


def optimizer_speed(opts):
    print(f"optimizers: seconds per full epoch (test pass included), {opts.epochs} epochs each, rounds alternated, "
          "median; ratio to SGD")
    seconds = {name: [] for name, _ in OPTIMIZER_CASES}
    for _ in range(opts.rounds):
        for name, flags in OPTIMIZER_CASES:
            epochs, _, _ = run_sweep(opts.sweep, [*flags, "--epochs", str(opts.epochs)])
            seconds[name] += [e["seconds"] for e in epochs]
    base = statistics.median(seconds[OPTIMIZER_CASES[0][0]])
    for name, values in seconds.items():
        print(f"  {name:34s} median {statistics.median(values):.3f} s/epoch  {statistics.median(values) / base:.3f}x SGD", flush=True)


def parity(opts):
    if opts.optimizers:
        return optimizer_parity(opts)
    print("final test_loss after 5 epochs, lr 0.01, default model, full data")
    ours = []
    for seed in (0, 1, 2):
        _, summary, _ = run_sweep(opts.sweep, ["--lr", "0.01", "--epochs", "5", "--seed", str(seed)])
        ours.append(summary["final_test_loss"])
        print(f"  sweep   seed {seed}: test_loss {summary['final_test_loss']:.4f} "
              f"accuracy {summary['final_test_accuracy']:.4f}", flush=True)
    print(f"  sweep   mean {statistics.mean(ours):.4f} sd {statistics.stdev(ours):.4f}")
    if torch_available() and not opts.no_torch:
        theirs = []
        for seed in (0, 1, 2):
            _, summary = run_torch(["--lr", "0.01", "--epochs", "5", "--seed", str(seed)])
            theirs.append(summary["final_test_loss"])
            print(f"  PyTorch seed {seed}: test_loss {summary['final_test_loss']:.4f} "
                  f"accuracy {summary['final_test_accuracy']:.4f}", flush=True)
        print(f"  PyTorch mean {statistics.mean(theirs):.4f} sd {statistics.stdev(theirs):.4f}")


BENCH_SWEEP = """name: bench-sweep
parameters:
  learning_rate: {values: [0.01, 0.1]}
  momentum: {values: [0.0, 0.9]}
  weight_decay: {values: [0.0, 1.0e-4]}
  dropout: {values: [0.0, 0.4]}
  augment: {values: [none, rotate_flip_vflip]}
  epochs: {value: 1}
"""


def sweep(opts):
    import tempfile
    print("sweep run: the 32-trial grid (lr x momentum x weight_decay x dropout x augment), 1 epoch, full data")
    with tempfile.TemporaryDirectory() as scratch:
        spec = os.path.join(scratch, "bench-sweep.yaml")
        with open(spec, "w") as f:
            f.write(BENCH_SWEEP)
        walls = {2: [], 1: []}
        # Alternate the two set-ups so that this machine's drifting speed hits both alike.
        for round_ in range(opts.rounds):
            for workers in (2, 1):
                results = os.path.join(scratch, f"results-{workers}-{round_}")
                start = time.perf_counter()
                proc = subprocess.run([opts.sweep, "run", spec, "--workers", str(workers), "--results", results],
                                      capture_output=True, text=True)
                wall = time.perf_counter() - start
                walls[workers].append(wall)
                if proc.returncode != 0:
                    sys.exit(f"bench: sweep run failed: {proc.stderr}")
                rows = sum(1 for _ in open(os.path.join(results, "trials.csv"))) - 1
                cpu = [l.split("coordinator used ")[-1] for l in proc.stderr.splitlines() if "coordinator used" in l]
                print(f"  round {round_ + 1}, {workers} worker{'s' if workers > 1 else ' '}: {wall:.1f} s wall for "
                      f"{rows} trials; the coordinator used {cpu[0] if cpu else '?'}", flush=True)
        best = {w: min(v) for w, v in walls.items()}
        print(f"  best of {opts.rounds}: 2 workers {best[2]:.1f} s, 1 worker {best[1]:.1f} s")
        walls = best
        print(f"  speed-up 2 workers vs 1: {walls[1] / walls[2]:.2f}x")


def start_coordinator(opts, spec, results):
    """A quiet `sweep coordinator` on an ephemeral loopback port; returns it (its stderr still open, for
    the summary line) and the endpoint it announced."""
    import re
    coord = subprocess.Popen([getattr(opts, "coordinator_sweep", None) or opts.sweep, "coordinator", spec, "--bind", "tcp://127.0.0.1:*", "--quiet",
                              "--results", results], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    for line in coord.stderr:
        m = re.search(r"listening on (\S+)", line)
        if m:
            return coord, m.group(1)
    sys.exit("bench: the coordinator did not start")


def bayes_proposals(opts):
    """The cost of a bayes proposal after ~2,000 recorded trials: the coordinator runs zero-length trials
    (the noop swarm) through TPE; the marginal time per trial from 2,000 to 2,500 trials is the proposal's."""
    import re
    import tempfile
    print("bayes proposals: zero-length trials through TPE (2 parameters), marginal time per trial from 2,000 to 2,500")
    walls = {}
    with tempfile.TemporaryDirectory() as scratch:
        for cap in (2000, 2500):
            spec = os.path.join(scratch, f"bayes-{cap}.yaml")
            with open(spec, "w") as f:
                f.write(f"name: bayes-{cap}\nmethod: bayes\nrun_cap: {cap}\nparallelism: 8\nparameters:\n"
                        "  learning_rate: {distribution: log_uniform_values, min: 0.001, max: 0.5}\n"
                        "  momentum: {distribution: uniform, min: 0, max: 0.9}\n  hidden: {value: \"16\"}\n  epochs: {value: 1}\n")
            coord, endpoint = start_coordinator(opts, spec, os.path.join(scratch, f"r{cap}"))
            subprocess.run([opts.sweep, "worker", "--connect", endpoint, "--benchmark-noop-trainer", "--benchmark-simulate", "8"],
                           capture_output=True, check=True)
            rest = coord.stderr.read()
            coord.wait()
            m = re.search(r"in ([0-9.]+) s since the first dispatch", rest)
            walls[cap] = float(m.group(1))
            print(f"  {cap} trials: {walls[cap]:.2f} s", flush=True)
    print(f"  a proposal after 2,000 to 2,500 trials: {1000 * (walls[2500] - walls[2000]) / 500:.1f} ms")


def proc_cpu(pid):
    """A process's CPU seconds so far (user + system), from /proc."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_hwm_mb(pid):
    """A process's peak resident memory so far (VmHWM), in MB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def coordinator(opts):
    """The real coordinator (ROUTER socket, results fsync'ed in groups, the scheduler) against simulated
    workers in 1-4 swarm processes: the workers join first (timed, then a few idle seconds of heartbeats),
    then all ask for work at once; trials/s from the coordinator's first dispatch to its last record."""
    if opts.bayes:
        return bayes_proposals(opts)
    import math
    import re
    import tempfile
    import threading
    workers = opts.workers
    trials = opts.trials or max(20000, 10 * workers)
    processes = opts.swarm_processes or min(4, max(1, math.ceil(workers / 2500)))
    shares = [workers // processes + (1 if i < workers % processes else 0) for i in range(processes)]
    print(f"coordinator: {trials} zero-length trials (--benchmark-noop-trainer), {workers} simulated workers in "
          f"{processes} process{'es' if processes > 1 else ''}, every result fsync'ed (in groups) before its ack")
    with tempfile.TemporaryDirectory() as scratch:
        spec = os.path.join(scratch, "noop.yaml")
        with open(spec, "w") as f:
            f.write("name: noop\nmethod: grid\nparameters:\n  hidden: {value: \"16\"}\n  epochs: {value: 1}\n"
                    f"  seed: {{distribution: int_uniform, min: 1, max: {trials}}}\n")
        rates = []
        for round_ in range(opts.rounds):
            results = os.path.join(scratch, f"results-{round_}")
            coord, endpoint = start_coordinator(opts, spec, results)
            # Its stderr is read all along: a full pipe would stall the coordinator (and be measured).
            said = []
            reader = threading.Thread(target=lambda: said.extend(coord.stderr), daemon=True)
            reader.start()
            launched = time.perf_counter()
            cpu_launched = proc_cpu(coord.pid)
            swarms = [subprocess.Popen([opts.sweep, "worker", "--connect", endpoint, "--benchmark-noop-trainer",
                                        "--benchmark-simulate", str(n), "--benchmark-barrier", "--name", f"s{i}"],
                                       stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
                      for i, n in enumerate(shares)]
            for swarm in swarms:
                line = swarm.stdout.readline()
                if not line.startswith("joined"):
                    coord.kill()
                    sys.exit(f"bench: a swarm did not join: {line!r}")
            joined = time.perf_counter() - launched
            cpu_joined = proc_cpu(coord.pid)
            time.sleep(opts.idle_seconds)
            cpu_go = proc_cpu(coord.pid)
            idle_share = (cpu_go - cpu_joined) / opts.idle_seconds
            for swarm in swarms:
                swarm.stdin.write("go\n")
                swarm.stdin.flush()
            inputs = rejoined = 0
            swarm_cpu = 0.0
            for swarm in swarms:
                out = swarm.stdout.read()
                _, status, swarm_usage = os.wait4(swarm.pid, 0)
                swarm.returncode = os.waitstatus_to_exitcode(status)
                swarm_cpu += swarm_usage.ru_utime + swarm_usage.ru_stime
                m = re.search(r"sent ([0-9]+) rejoined ([0-9]+)", out)
                inputs += int(m.group(1)) if m else 0
                rejoined += int(m.group(2)) if m else 0
                if swarm.returncode != 0:
                    coord.kill()
                    sys.exit(f"bench: a swarm failed ({swarm.returncode})")
            # The coordinator is in its farewell window now (idle): its CPU and memory so far are the run's.
            cpu_end = proc_cpu(coord.pid)
            hwm = proc_hwm_mb(coord.pid)
            _, status, usage = os.wait4(coord.pid, 0)
            coord.returncode = os.waitstatus_to_exitcode(status)
            reader.join()
            rest = "".join(said)
            lost = sum(1 for line in said if line.rstrip().endswith(" lost"))
            if lost or rejoined:
                print(f"    (the coordinator counted {lost} workers as lost on the way; simulated workers said hello "
                      f"again {rejoined} times)", flush=True)
            if coord.returncode != 0:
                sys.exit(f"bench: the coordinator failed: {rest}")
            m = re.search(r"in ([0-9.]+) s since the first dispatch \(([0-9]+) trials/s\); coordinator used ([0-9.]+) s", rest)
            rows = sum(1 for _ in open(os.path.join(results, "trials.csv"))) - 1
            cpu = cpu_end - cpu_go
            rates.append(float(m.group(2)))
            print(f"  round {round_ + 1}: {workers} joined in {joined:.2f} s (coordinator CPU {cpu_joined - cpu_launched:.2f} s); "
                  f"idle, {100 * idle_share:.1f}% of a core", flush=True)
            print(f"    {rows} trials recorded in {m.group(1)} s: {m.group(2)} trials/s; coordinator CPU {cpu:.2f} s: "
                  f"{1000 * cpu / rows:.3f} ms a trial, {1e6 * cpu / max(inputs, 1):.1f} us an input ({inputs} inputs); "
                  f"peak RSS {hwm:.0f} MB serving, {usage.ru_maxrss / 1024:.0f} MB with the report; "
                  f"the simulated workers used {swarm_cpu:.1f} s of CPU in all", flush=True)
        print(f"  best {max(rates):.0f} trials/s, median {statistics.median(rates):.0f} trials/s")


def program(opts):
    """Program trials through real workers: a grid of `--trials` trials of a shell script that prints one
    metric and exits, `sweep run --workers 2`; the rate is the coordinator's, from its first dispatch."""
    import re
    import tempfile
    trials = opts.trials
    print(f"program: {trials} trials of a program that prints one metric and exits (sh), 2 workers, all of them completing, each trial a "
          "process under the supervisor, its log and row recorded")
    with tempfile.TemporaryDirectory() as scratch:
        with open(os.path.join(scratch, "metric.sh"), "w") as f:
            f.write('#!/bin/sh\necho "{\\"loss\\": ${1#*=}}"\n')
        os.chmod(os.path.join(scratch, "metric.sh"), 0o755)
        spec = os.path.join(scratch, "program.yaml")
        with open(spec, "w") as f:
            f.write("name: program-bench\nprogram: metric.sh\ncommand: [\"${program}\", \"${args_no_hyphens}\"]\n"
                    "metric: {name: loss}\nmethod: grid\nparameters:\n  i: {distribution: int_uniform, min: 1, max: "
                    + str(trials) + "}\n")
        rates = []
        for round_ in range(opts.rounds):
            results = os.path.join(scratch, f"results-{round_}")
            start = time.perf_counter()
            proc = subprocess.run([opts.sweep, "run", spec, "--workers", "2", "--results", results],
                                  capture_output=True, text=True, env={**os.environ, "TMPDIR": scratch})
            wall = time.perf_counter() - start
            if proc.returncode != 0:
                sys.exit(f"bench: sweep run failed: {proc.stderr[-2000:]}")
            with open(os.path.join(results, "trials.csv"), newline="") as f:
                statuses = [row["status"] for row in csv.DictReader(f)]
            rows = len(statuses)
            # A bench of failing trials measures the wrong path: every trial must complete.
            if statuses.count("completed") != trials:
                sys.exit(f"bench: {statuses.count('completed')} of {trials} program trials completed")
            logs = len(os.listdir(os.path.join(results, "logs")))
            m = re.search(r"in ([0-9.]+) s since the first dispatch \(([0-9]+) trials/s\)", proc.stderr)
            rate = float(m.group(2)) if m else rows / wall
            rates.append(rate)
            print(f"  round {round_ + 1}: {rows} rows and {logs} logs in {wall:.1f} s wall; {rate:.0f} trials/s", flush=True)
        print(f"  best {max(rates):.0f} trials/s, median {statistics.median(rates):.0f} trials/s")


REPORT_COLUMNS = ("trial,status,learning_rate,momentum,nesterov,weight_decay,l1,max_norm,dropout,augment,hidden,epochs,"
                  "batch_size,seed,train_limit,test_limit,final_train_loss,final_test_loss,final_test_accuracy,"
                  "best_test_loss,best_epoch,epochs_run,seconds,attempts,worker,host,reason,number,stopped_at,epochs_trained,"
                  "optimizer,centered,teacher,distill_temperature,distill_alpha").split(",")


def time_report(opts, directory, runs):
    """Runs `sweep report DIRECTORY` `runs` times; returns (best seconds, median seconds, report.html bytes)."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([opts.sweep, "report", directory], check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times), os.path.getsize(os.path.join(directory, "report.html"))


def write_results(directory, spec, trials, ids=None):
    """Writes sweep.yaml, trials.csv and epochs.csv as ResultStore does, from (values, losses) pairs:
    values the trial's non-default columns, losses its test loss per epoch (NaN: diverged there);
    trial ids from `ids`, or the trial's number in hex."""
    import math
    defaults = dict(momentum=0.0, nesterov="false", weight_decay=0.0, l1=0.0, max_norm=0.0, dropout=0.0, augment="none",
                    hidden='"128,128"', batch_size=64, seed=0, train_limit="", test_limit="", attempts=1, worker="w",
                    host="h", reason="", stopped_at="", optimizer="sgd", centered="false", teacher="",
                    distill_temperature=1.0, distill_alpha=0.0)
    with open(os.path.join(directory, "sweep.yaml"), "w") as f:
        f.write(spec)
    trial_lines, epoch_lines = [",".join(REPORT_COLUMNS)], ["trial,epoch,train_loss,test_loss,test_accuracy,seconds"]
    for number, (values, losses) in enumerate(trials):
        tid = ids[number] if ids else f"{number:016x}"
        finite = [x for x in losses if not math.isnan(x)]
        best = min(finite) if finite else math.nan
        row = dict(defaults, trial=tid, status="diverged" if len(finite) < len(losses) else "completed",
                   epochs=20, final_train_loss=losses[-1] * 0.8,
                   final_test_loss=losses[-1], final_test_accuracy=0.85, best_test_loss=best,
                   best_epoch=finite.index(best) + 1 if finite else "", epochs_run=len(losses), seconds=10.0,
                   number=number, epochs_trained=len(losses), **values)
        trial_lines.append(",".join(str(row[c]) for c in REPORT_COLUMNS))
        for e, loss in enumerate(losses):
            epoch_lines.append(f"{tid},{e + 1},{loss * 0.8},{loss},0.85,0.5")
    with open(os.path.join(directory, "trials.csv"), "w") as f:
        f.write("\n".join(trial_lines) + "\n")
    with open(os.path.join(directory, "epochs.csv"), "w") as f:
        f.write("\n".join(epoch_lines) + "\n")


def report(opts):
    import math
    import random
    import tempfile
    rng = random.Random(1)
    print("sweep report, whole runs of the release binary (reading the CSVs, ranking, rendering, writing)")
    with tempfile.TemporaryDirectory() as scratch:
        spec = ("name: fixture\nparameters:\n  learning_rate: {values: [0.001, 0.01, 0.1, 0.3, 1.0]}\n"
                "  weight_decay: {values: [0.0, 1.0e-4]}\n  dropout: {values: [0.0, 0.1, 0.2, 0.3, 0.4]}\n"
                "  seed: {values: [0, 1, 2, 3]}\n  epochs: {value: 20}\n")
        trials = [(dict(learning_rate=lr, weight_decay=wd, dropout=dropout, seed=seed),
                   [0.3 + rng.random() * 0.2 + 2.0 / (e + 1) for e in range(20)])
                  for lr in (0.001, 0.01, 0.1, 0.3, 1.0) for wd in (0.0, 1e-4)
                  for dropout in (0.0, 0.1, 0.2, 0.3, 0.4) for seed in range(4)]
        write_results(scratch, spec, trials)
        best, median, size = time_report(opts, scratch, 5)
        print(f"  grid, {len(trials)} trials x 20 epochs (learning_rate x weight_decay x dropout x seed): {best:.3f} s "
              f"(best of 5, median {median:.3f} s), report.html {size / 1024:.0f} KiB", flush=True)
    with tempfile.TemporaryDirectory() as scratch:
        count = opts.trials
        folder = os.path.join(scratch, "big")
        os.makedirs(folder)
        write_big_results(folder, count, rng)
        best, median, size = time_report(opts, folder, 3)
        print(f"  random + asha, {count} trials x 20 epochs over the course's 5 parameters, 8 workers' timeline: {best:.3f} s "
              f"(best of 3, median {median:.3f} s), report.html {size / 1024:.0f} KiB (targets: under 2 s and 1 MB)", flush=True)
        for number, paint in enumerate(first_paint(opts, folder) or []):
            charts = f"the report's body {paint['charts']:.0f} ms" if paint["charts"] else "the whole report at once (rendered already)"
            print(f"  sweep serve of that folder in headless Chromium, {'the first page, as the server starts' if number == 0 else 'opened again'}: "
                  f"first contentful paint {paint['paint']:.0f} ms, {charts}, trial table drawn {paint['table']:.0f} ms, "
                  f"{paint['bytes'] / 1024:.0f} KiB (target: first paint under 1 s)", flush=True)
    print("importance, the same sitting (Scripts/bench importance):", flush=True)
    command = [sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)), "bench_importance.py"), "--sweep", opts.sweep]
    subprocess.run(command + (["--optuna"] if opts.optuna else []), check=True)


def write_big_results(directory, count, rng):
    """A random + asha sweep of `count` 20-epoch trials over the course's five parameters: stopped at
    rungs 1, 3 and 9 or trained to 20, a few diverged; with the timeline 8 workers would leave."""
    import math
    spec = (f"name: big\nmethod: random\nrun_cap: {count}\n"
            "early_terminate: {type: hyperband, min_iter: 1, eta: 3}\nparameters:\n"
            "  learning_rate: {distribution: log_uniform_values, min: 0.0001, max: 1.0}\n"
            "  momentum: {distribution: uniform, min: 0, max: 0.95}\n"
            "  weight_decay: {distribution: log_uniform_values, min: 1.0e-6, max: 1.0e-3}\n"
            "  dropout: {distribution: uniform, min: 0, max: 0.5}\n"
            "  augment: {values: [none, flip, rotate_flip]}\n  epochs: {value: 20}\n")
    trials, rungs = [], []
    for _ in range(count):
        lr, momentum = 10 ** rng.uniform(-4, 0), rng.uniform(0, 0.95)
        wd, dropout, augment = 10 ** rng.uniform(-6, -3), rng.uniform(0, 0.5), rng.choice(["none", "flip", "rotate_flip"])
        base = 0.3 + 0.08 * (math.log10(lr) + 2) ** 2 + 0.1 * momentum + 0.05 * dropout
        losses = [base + 2.0 / (e + 1) + rng.random() * 0.02 for e in range(20)]
        if lr > 0.5 and momentum > 0.9:
            losses = losses[:1] + [math.nan]  # diverged in its second epoch
        rung = rng.choice([1, 1, 1, 3, 3, 9, None]) if not math.isnan(losses[-1]) else None
        trials.append((dict(learning_rate=lr, momentum=momentum, weight_decay=wd, dropout=dropout, augment=augment),
                       losses[:rung] if rung else losses))
        rungs.append(rung)
    # Random ids, as real ones are (hashes of the trial): they do not compress.
    ids = [f"{rng.getrandbits(64):016x}" for _ in trials]
    write_results(directory, spec, trials, ids)
    # Mark the stopped ones, as the coordinator writes them.
    # 8 workers take trials in turn; an epoch takes about half a second.
    free = [0.0] * 8
    origin = 1_796_000_000.0
    schedule, timeline = [], ["time,event,trial,worker,detail"]
    for number, (_, losses) in enumerate(trials):
        slot = min(range(8), key=lambda w: free[w])
        worker, seconds = f"vm:4242:{slot + 1}", 0.5 * len(losses) * rng.uniform(0.9, 1.2)
        timeline.append(f"{origin + free[slot]:.3f},start,{ids[number]},{worker},1")
        free[slot] += seconds
        if rungs[number]:
            timeline.append(f"{origin + free[slot]:.3f},stop,{ids[number]},,{rungs[number]}")
        timeline.append(f"{origin + free[slot]:.3f},end,{ids[number]},{worker},{'stopped' if rungs[number] else 'completed'}")
        schedule.append((worker, seconds))
    with open(os.path.join(directory, "timeline.csv"), "w") as f:
        f.write("\n".join(timeline) + "\n")
    # Mark the stopped ones, and who trained each for how long, as the coordinator writes them.
    path = os.path.join(directory, "trials.csv")
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    column = {name: index for index, name in enumerate(rows[0])}
    for number, rung in enumerate(rungs):
        row = rows[number + 1]
        if rung:
            row[column["status"]], row[column["stopped_at"]] = "stopped", str(rung)
        row[column["worker"]], row[column["host"]] = schedule[number][0], "vm"
        row[column["seconds"]] = repr(schedule[number][1])
    with open(path, "w", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)


def first_paint(opts, folder):
    """`sweep serve FOLDER` on a free port, its sweep's page opened in headless Chromium three times:
    each time's first contentful paint, report body and table-drawn times (ms) and the page's bytes; None without Chromium."""
    import json
    import shutil
    if not shutil.which("chromium") and not os.path.exists("/usr/bin/chromium"):
        print("  (no Chromium: Scripts/setup installs it; first paint not measured)")
        return None
    browser = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "SweepCLITests", "Fixtures", "browser.py")
    server = subprocess.Popen([opts.sweep, "serve", folder, "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        url = server.stdout.readline().strip()
        table = "document.querySelector('.trial-table')"
        sample = ("JSON.stringify({paint: (performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime, "
                  "load: performance.getEntriesByType('navigation')[0].loadEventEnd, bytes: document.documentElement.outerHTML.length, "
                  "charts: Number(document.documentElement.getAttribute('data-first-update') || 0), "
                  f"table: Number(({table} || document.body).getAttribute('data-drawn') || 0)}})")
        runs = []
        for _ in range(3):
            out = subprocess.run([sys.executable, browser, url + "sweeps/big", "--sample", sample, "--timeout", "30",
                                  "--until", f"!!{table} && {table}.getAttribute('data-ready') === '1'"],
                                 check=True, capture_output=True, text=True).stdout
            runs.append(json.loads(json.loads(out)["last"]))
        return runs
    finally:
        server.terminate()
        server.wait()


ADAPTIVE_SPACE = """metric: {name: test_loss, goal: minimize}
parameters:
  learning_rate: {distribution: log_uniform_values, min: 0.001, max: 0.5}
  momentum: {distribution: uniform, min: 0, max: 0.95}
  weight_decay: {distribution: log_uniform_values, min: 1.0e-6, max: 1.0e-3}
  dropout: {distribution: uniform, min: 0, max: 0.5}
  augment: {values: [none, flip, rotate_flip]}
  epochs: {value: 20}
"""

# bayes+hb's early termination for the anchor: asha at epochs 1, 3 and 9 that promotes nobody from a
# rung before eta trials reached it (Optuna's bootstrap_count, here eta - 1 as in the ASHA paper's
# top-n/eta rule), so the first random trials do not all run to the end on no competition; and that
# judges each trial by its best test loss so far (strict: false), since at constant learning rate the
# test loss of one epoch wobbles by about as much as the configurations at a rung differ.
ANCHOR_RULE = "{type: asha, min_iter: 1, eta: 3, max_iter: 20, bootstrap_count: 2, strict: false}"

TRIAL_SEED = "  seed: {distribution: int_uniform, min: 0, max: 2147483647}\n"

ADAPTIVE_METHODS = {
    "random": "method: random\nrun_cap: {trials}\n",
    "bayes": "method: bayes\nrun_cap: {trials}\nparallelism: 2\n",
    "hyperband": "method: random\nrun_cap: 100000\nepoch_budget: {budget}\nearly_terminate: {{type: hyperband, min_iter: 1, eta: 3}}\n",
    # Optuna's TPE + HyperbandPruner's counterpart, for the anchor.
    "bayes+hb": "method: bayes\nrun_cap: 100000\nparallelism: {parallelism}\nepoch_budget: {budget}\n"
                "early_terminate: {rule}\n",
}


def read_trials(directory):
    import csv
    with open(os.path.join(directory, "trials.csv")) as f:
        return list(csv.DictReader(f))


def adaptive(opts):
    import re
    import tempfile
    budget = opts.budget
    trials = budget // 20
    print(f"adaptive: 2 workers, full data, 20-epoch trials, {budget} epochs each: random ({trials} trials), bayes "
          f"({trials} trials, TPE, parallelism 2), random + hyperband (min_iter 1, eta 3, trials until {budget} epochs)")
    # Every trial trains with seed 0 unless the space draws one: common random numbers, fair between
    # configurations, but then one seed's luck is every trial's. Optuna's trials each get fresh
    # randomness from their process's generator; --trial-seeds gives sweep's trials theirs.
    space = ADAPTIVE_SPACE + (TRIAL_SEED if opts.trial_seeds else "")
    if "bayes+hb" in opts.methods:
        print(f"  bayes+hb: parallelism {opts.parallelism}, early_terminate {opts.rule}")
    print("  each trial's seed: " + ("drawn per trial (seed: int_uniform, never modelled by bayes)" if opts.trial_seeds
                                     else "0 for every trial (common random numbers)"))
    methods = opts.methods
    results = {method: [] for method in methods}
    with tempfile.TemporaryDirectory() as scratch:
        for seed in opts.seeds:
            for method in methods:
                head = ADAPTIVE_METHODS[method]
                spec = os.path.join(scratch, f"{method}-{seed}.yaml")
                with open(spec, "w") as f:
                    f.write(f"name: bench-{seed}\nrandom_seed: {seed}\n"
                            + head.format(trials=trials, budget=budget, parallelism=opts.parallelism, rule=opts.rule) + space)
                out = os.path.join(scratch, f"{method.replace('+', '-')}-{seed}")
                start = time.perf_counter()
                proc = subprocess.Popen([opts.sweep, "run", spec, "--workers", "2", "--results", out],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                # When each completed trial was recorded, to see how soon the best so far is reached.
                curve, log = [], []
                for line in proc.stderr:
                    log.append(line)
                    m = re.search(r"trial \S+ completed test_loss ([0-9.]+)", line)
                    if m:
                        best = min(float(m.group(1)), curve[-1][1] if curve else float("inf"))
                        curve.append((time.perf_counter() - start, best))
                proc.wait()
                wall = time.perf_counter() - start
                proc.stderr = "".join(log)
                if proc.returncode != 0:
                    sys.exit(f"bench: {method} failed: {proc.stderr}")
                rows = read_trials(out)
                completed = [float(r["final_test_loss"]) for r in rows if r["status"] == "completed"]
                epochs = sum(int(r["epochs_run"]) for r in rows)
                waited = re.search(r"workers waited ([0-9.]+) s", proc.stderr)
                waited = float(waited.group(1)) if waited else 0.0
                speculative = re.search(r"\(([0-9]+) epochs trained past", proc.stderr)
                speculative = int(speculative.group(1)) if speculative else 0
                entry = {"best": min(completed), "epochs": epochs, "wall": wall, "configs": len(rows),
                         "idle": waited / (2 * wall), "speculative": speculative, "curve": curve}
                results[method].append(entry)
                print(f"  seed {seed} {method:9s}: best test_loss {entry['best']:.4f}, {epochs} epochs, {len(rows)} "
                      f"configurations, {wall:.0f} s wall; workers waited {100 * entry['idle']:.1f}% of their time, "
                      f"{speculative} epochs trained past stops", flush=True)
        print("  mean over seeds " + ", ".join(map(str, opts.seeds)) + ":")
        for method, entries in results.items():
            mean = lambda key: statistics.mean(e[key] for e in entries)
            print(f"    {method:9s}: best test_loss {mean('best'):.4f} (sd {statistics.pstdev(e['best'] for e in entries):.4f}), "
                  f"{mean('epochs'):.0f} epochs, {mean('configs'):.0f} configurations, {mean('wall'):.0f} s wall, "
                  f"idle {100 * mean('idle'):.1f}%")
        if opts.optuna or opts.optuna_results:
            print(f"  anchor: Optuna TPE + HyperbandPruner, PyTorch (1 thread per process, pre-batched tensors), "
                  f"2 processes, {budget} epochs")
            fifths = {method: [] for method in results}
            saved = json.load(open(opts.optuna_results)) if opts.optuna_results and os.path.exists(opts.optuna_results) else {}
            for seed in opts.seeds:
                if str(seed) in saved:
                    summary = saved[str(seed)]
                    print(f"    (seed {seed}: Optuna's figures saved in {opts.optuna_results} (not measured in this run))")
                else:
                    proc = subprocess.run([TORCH_PYTHON, os.path.join(ROOT, "Scripts", "optuna_anchor.py"), "--seed",
                                           str(seed), "--budget", str(budget), "--processes", "2"], capture_output=True, text=True)
                    if proc.returncode != 0:
                        sys.exit(f"bench: the Optuna anchor failed: {proc.stderr[-2000:]}")
                    summary = json.loads(proc.stdout.strip().splitlines()[-1])
                    saved[str(seed)] = summary
                    if opts.optuna_results:
                        json.dump(saved, open(opts.optuna_results, "w"))
                print(f"    seed {seed}: Optuna best test_loss {summary['best']:.4f} after {summary['wall']:.0f} s "
                      f"({summary['trials']} trials, {summary['epochs']} epochs)", flush=True)
                for method, entries in results.items():
                    entry = entries[opts.seeds.index(seed)]
                    reached = next((t for t, best in entry["curve"] if best <= summary["best"]), None)
                    when = (f"reached it after {reached:.0f} s, {summary['wall'] / reached:.1f}x sooner" if reached
                            else f"did not reach it (best {entry['best']:.4f} in {entry['wall']:.0f} s)")
                    # The target's other side: sweep's best after a fifth of Optuna's wall time.
                    fifth = summary["wall"] / 5
                    at_fifth = min((best for t, best in entry["curve"] if t <= fifth), default=float("inf"))
                    fifths[method].append((summary["best"], at_fifth))
                    print(f"      sweep {method:9s} {when}; its best after {fifth:.0f} s (a fifth): {at_fifth:.4f}", flush=True)
            for method, pairs in fifths.items():
                met = sum(at_fifth <= best for best, at_fifth in pairs)
                print(f"    {method}: Optuna's best reached within a fifth of its time on {met} of {len(pairs)} seeds; "
                      f"mean Optuna best {statistics.mean(b for b, _ in pairs):.4f}, "
                      f"mean sweep best at a fifth {statistics.mean(f for _, f in pairs):.4f}")


CHECKPOINT_SPACE = """
parameters:
  learning_rate: {{values: [0.01, 0.02, 0.05, 0.1]}}
  momentum: {{values: [0.0, 0.9]}}
  dropout: {{value: 0.2}}
  seed: {{values: {seeds}}}
  epochs: {{value: {epochs}}}
"""


def run_checkpoint_sweep(opts, scratch, name, head, trials_seeds, epochs):
    """Runs a sweep with 2 workers; returns (median epoch seconds, wall seconds, epochs run)."""
    spec = os.path.join(scratch, f"{name}.yaml")
    with open(spec, "w") as f:
        f.write(f"name: {name}\n" + head + CHECKPOINT_SPACE.format(seeds=trials_seeds, epochs=epochs))
    out = os.path.join(scratch, name)
    start = time.perf_counter()
    proc = subprocess.run([opts.sweep, "run", spec, "--workers", "2", "--results", out],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"bench: {name} failed: {proc.stderr}")
    import csv
    with open(os.path.join(out, "epochs.csv")) as f:
        seconds = [float(r["seconds"]) for r in csv.DictReader(f)]
    return statistics.median(seconds), wall, len(seconds)


def chaos_run(opts, scratch, name, checkpoint_every, kill_every):
    """40 trials x 10 epochs, full data, 2 workers, one SIGKILLed every `kill_every` seconds (and
    replaced); returns (kills, sum of epochs_trained - epochs_run, wall seconds)."""
    import random
    import re
    spec = os.path.join(scratch, f"{name}.yaml")
    with open(spec, "w") as f:
        f.write(f"name: {name}\ncheckpoint_every: {checkpoint_every}\nkeep_models: 0\n"
                + CHECKPOINT_SPACE.format(seeds="[0, 1, 2, 3, 4]", epochs=10))
    out = os.path.join(scratch, name)
    log = open(os.path.join(scratch, f"{name}-coordinator.log"), "w+")
    coordinator = subprocess.Popen([opts.sweep, "coordinator", spec, "--results", out, "--bind", "tcp://127.0.0.1:*",
                                    "--heartbeat-ms", "300", "--max-attempts", "100", "--quiet"],
                                   stdout=subprocess.DEVNULL, stderr=log, text=True)
    endpoint = None
    while endpoint is None:
        time.sleep(0.1)
        log.seek(0)
        m = re.search(r"listening on (\S+)", log.read())
        endpoint = m.group(1) if m else None
        if coordinator.poll() is not None:
            sys.exit("bench: the chaos coordinator did not start")
    rng = random.Random(opts.seeds[0])
    workers, started, kills = [], 0, 0

    def start_worker():
        nonlocal started
        started += 1
        workers.append(subprocess.Popen([opts.sweep, "worker", "--connect", endpoint, "--name", f"{name}-{started}", "--quiet"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))

    for _ in range(2):
        start_worker()
    begin = time.perf_counter()
    next_kill = begin + kill_every * (0.5 + rng.random())
    while coordinator.poll() is None:
        time.sleep(0.05)
        if time.perf_counter() >= next_kill:
            alive = [w for w in workers if w.poll() is None]
            if alive:
                victim = rng.choice(alive)
                victim.kill()
                victim.wait()
                workers.remove(victim)
                kills += 1
                start_worker()
            next_kill = time.perf_counter() + kill_every * (0.5 + rng.random())
    wall = time.perf_counter() - begin
    for w in workers:
        try:
            w.wait(timeout=10)
        except subprocess.TimeoutExpired:
            w.kill()
    if coordinator.returncode != 0:
        sys.exit(f"bench: the chaos coordinator failed ({coordinator.returncode}); see {log.name}")
    rows = read_trials(out)
    lost = sum(int(r["epochs_trained"]) - int(r["epochs_run"]) for r in rows)
    return kills, lost, wall, len(rows)


def checkpoint(opts):
    import tempfile
    print("checkpoint: the 128-128 model, full data, 2 workers, 16 trials x 20 epochs per run; median epoch time "
          "(training + test pass, as epochs.csv records it) without checkpoints, at the default interval (60 s) "
          "and at about one per epoch; runs interleaved, medians over rounds")
    with tempfile.TemporaryDirectory() as scratch:
        configs = {"none": "checkpoint_every: 0\nkeep_models: 0\n", "default": "", "per-epoch": None}
        measured = {name: [] for name in configs}
        per_epoch = None
        for round in range(opts.rounds):
            for name, head in configs.items():
                if head is None:
                    # The interval: a little under the epoch time measured without checkpoints.
                    interval = 0.9 * statistics.median(e[0] for e in measured["none"])
                    head = f"checkpoint_every: {interval:.3f}\n"
                    per_epoch = interval
                seconds, wall, epochs = run_checkpoint_sweep(opts, scratch, f"{name}-{round}", head, "[0, 1]", 20)
                measured[name].append((seconds, wall))
                print(f"  round {round} {name:9s}: median epoch {seconds:.4f} s, wall {wall:.1f} s ({epochs} epochs)", flush=True)
        base = statistics.median(e[0] for e in measured["none"])
        for name in ("default", "per-epoch"):
            value = statistics.median(e[0] for e in measured[name])
            wall = statistics.median(e[1] for e in measured[name]) / statistics.median(e[1] for e in measured["none"])
            print(f"  {name:9s}: epoch time {value:.4f} s vs {base:.4f} s without checkpoints: overhead "
                  f"{100 * (value / base - 1):+.2f}% (wall {100 * (wall - 1):+.2f}%)"
                  + (f"; interval {per_epoch:.3f} s" if name == "per-epoch" else ""))

        interval = opts.chaos_interval
        epoch = base
        interval_epochs = interval / epoch
        print(f"chaos: 40 trials x 10 epochs, full data, 2 workers, a random worker SIGKILLed about every "
              f"{opts.kill_every:.0f} s and replaced")
        kills, lost, wall, rows = chaos_run(opts, scratch, "chaos-with", interval, opts.kill_every)
        bound = kills * (interval_epochs + 1)
        print(f"  with checkpoints every {interval} s (~{interval_epochs:.1f} epochs): {kills} kills, "
              f"sum(epochs_trained - epochs_run) = {lost} (bound kills x (interval + 1) = {bound:.1f}: "
              f"{'within' if lost <= bound else 'OVER'}), {rows} trials, {wall:.0f} s", flush=True)
        kills0, lost0, wall0, rows0 = chaos_run(opts, scratch, "chaos-without", 0, opts.kill_every)
        print(f"  without checkpoints: {kills0} kills, sum(epochs_trained - epochs_run) = {lost0} "
              f"({lost0 / max(kills0, 1):.1f} per kill; half a trial is 5), {rows0} trials, {wall0:.0f} s", flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("what", choices=["train", "parity", "sweep", "coordinator", "program", "report", "adaptive", "checkpoint"])
    parser.add_argument("--trials", type=int, help="coordinator: 20,000 or 10 a worker, whichever is more; program: 2,000; report: the big sweep's, 20,000")
    parser.add_argument("--bayes", action="store_true", help="coordinator: time bayes proposals instead")
    parser.add_argument("--workers", type=int, default=256, help="coordinator: simulated workers (default 256)")
    parser.add_argument("--swarm-processes", type=int, help="coordinator: processes the workers are spread over (default: one per 2,500, at most 4)")
    parser.add_argument("--coordinator-sweep", help="coordinator: another build's binary for the coordinator (before and after)")
    parser.add_argument("--idle-seconds", type=float, default=3.0, help="coordinator: seconds of heartbeats measured between joining and work")
    parser.add_argument("--optimizers", action="store_true",
                        help="train: epoch time of each optimizer vs SGD; parity: each optimizer vs torch.optim")
    parser.add_argument("--sweep", required=True)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--no-torch", action="store_true")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--budget", type=int, default=400)
    parser.add_argument("--optuna", action="store_true", help="also run the Optuna anchor (TORCH_PYTHON must have optuna)")
    parser.add_argument("--optuna-results", help="a JSON file for the anchor's figures: reused for seeds it holds, filled for others")
    parser.add_argument("--methods", nargs="+", default=["random", "bayes", "hyperband", "bayes+hb"],
                        choices=list(ADAPTIVE_METHODS))
    parser.add_argument("--parallelism", type=int, default=2, help="bayes+hb's parallelism (bayes alone uses 2)")
    parser.add_argument("--rule", default=ANCHOR_RULE,
                        help=f"adaptive: bayes+hb's early_terminate (default: {ANCHOR_RULE})")
    parser.add_argument("--trial-seeds", action="store_true",
                        help="adaptive: each trial draws its own training seed, as each of Optuna's trials has its own randomness")
    parser.add_argument("--chaos-interval", type=float, default=1.0, help="checkpoint: checkpoint_every of the chaos run")
    parser.add_argument("--kill-every", type=float, default=5.0, help="checkpoint: mean seconds between worker kills")
    opts = parser.parse_args()
    if opts.trials is None:
        opts.trials = {"program": 2000, "coordinator": 0}.get(opts.what, 20000)
    started = time.time()
    {"train": train, "parity": parity, "sweep": sweep, "coordinator": coordinator, "program": program, "report": report,
     "adaptive": adaptive, "checkpoint": checkpoint}[opts.what](opts)
    print(f"bench {opts.what}: {time.time() - started:.0f} s")


if __name__ == "__main__":
    main()
