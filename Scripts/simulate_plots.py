"""Draws docs/plots/simulate-anytime.svg: the any-time curves of the shipped adaptive sweeps at 2, 8, 32
and 128 simulated workers, on the shipped table (docs/results/simulation-table), from `sweep simulate
--json`: the best completed trial's test loss so far against simulated wall time (top) and against
epochs trained (bottom). No dependencies: the SVG is written by hand.
  python3 Scripts/simulate_plots.py [--sweep .build/release/sweep] [--out docs/plots/simulate-anytime.svg]
"""
import argparse
import json
import os
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SWEEPS = ["Sweeps/adaptive-hyperband.yaml", "Sweeps/adaptive-bayes.yaml"]
WORKERS = [2, 8, 32, 128]
COLOURS = {2: "#1f77b4", 8: "#ff7f0e", 32: "#2ca02c", 128: "#d62728"}
# Wider lines under narrower ones, dashed on top, so curves that coincide (32 and 128 workers) both show.
STYLES = {2: 'stroke-width="4.5"', 8: 'stroke-width="3.5"', 32: 'stroke-width="3"', 128: 'stroke-width="1.5" stroke-dasharray="6 3"'}
W, H, LEFT, TOP, PW, PH, GAP = 960, 620, 70, 50, 380, 200, 90


def panel(out, x0, y0, title, runs, key, xmax, xlabel, ylow, yhigh):
    out.append(f'<text x="{x0 + PW / 2}" y="{y0 - 12}" text-anchor="middle" font-size="14">{title}</text>')
    out.append(f'<rect x="{x0}" y="{y0}" width="{PW}" height="{PH}" fill="none" stroke="#999"/>')
    for i in range(5):
        v = ylow + (yhigh - ylow) * i / 4
        y = y0 + PH - PH * i / 4
        out.append(f'<text x="{x0 - 6}" y="{y + 4}" text-anchor="end" font-size="11">{v:.3f}</text>')
        out.append(f'<line x1="{x0}" x2="{x0 + PW}" y1="{y}" y2="{y}" stroke="#eee"/>')
        xv = xmax * i / 4
        x = x0 + PW * i / 4
        label = f"{xv / 60:.1f} min" if key == "seconds" else f"{xv:.0f}"
        out.append(f'<text x="{x}" y="{y0 + PH + 16}" text-anchor="middle" font-size="11">{label}</text>')
    out.append(f'<text x="{x0 + PW / 2}" y="{y0 + PH + 34}" text-anchor="middle" font-size="12">{xlabel}</text>')

    def sx(v):
        return x0 + PW * min(v, xmax) / xmax

    def sy(v):
        return y0 + PH - PH * (min(max(v, ylow), yhigh) - ylow) / (yhigh - ylow)

    for run in runs:
        points, last = [], None
        for p in run["curve"]:
            if last is not None:
                points.append(f"{sx(p[key]):.1f},{sy(last):.1f}")
            points.append(f"{sx(p[key]):.1f},{sy(p['value']):.1f}")
            last = p["value"]
        if last is not None:
            points.append(f"{sx(run[key if key == 'seconds' else 'epochs_trained']):.1f},{sy(last):.1f}")
        colour = COLOURS[run["workers"]]
        out.append(f'<polyline fill="none" stroke="{colour}" {STYLES[run["workers"]]} points="{" ".join(points)}"/>')


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sweep", default=os.path.join(ROOT, ".build", "release", "sweep"))
    parser.add_argument("--out", default=os.path.join(ROOT, "docs", "plots", "simulate-anytime.svg"))
    opts = parser.parse_args()
    proc = subprocess.run([opts.sweep, "simulate", *SWEEPS, "--workers", ",".join(map(str, WORKERS)), "--json"],
                          cwd=ROOT, capture_output=True, text=True, check=True)
    runs = json.loads(proc.stdout)["runs"]
    values = [p["value"] for r in runs for p in r["curve"]]
    ylow, yhigh = min(values) - 0.005, min(max(values), min(values) + 0.12)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif">',
           f'<rect width="{W}" height="{H}" fill="white"/>']
    for column, name in enumerate(["adaptive-hyperband", "adaptive-bayes"]):
        mine = [r for r in runs if r["sweep"] == name]
        x0 = LEFT + column * (PW + GAP)
        panel(out, x0, TOP, f"{name}: best test loss against time", mine, "seconds",
              max(r["seconds"] for r in mine), "simulated wall time", ylow, yhigh)
        panel(out, x0, TOP + PH + GAP, f"{name}: against epochs trained", mine, "epochs",
              max(r["epochs_trained"] for r in mine), "epochs trained (all workers)", ylow, yhigh)
    for i, n in enumerate(WORKERS):
        x = LEFT + i * 110
        out.append(f'<line x1="{x}" x2="{x + 24}" y1="{H - 20}" y2="{H - 20}" stroke="{COLOURS[n]}" stroke-width="3"/>')
        out.append(f'<text x="{x + 30}" y="{H - 16}" font-size="12">{n} workers</text>')
    out.append("</svg>")
    with open(opts.out, "w") as f:
        f.write("\n".join(out) + "\n")
    print(f"wrote {opts.out}")


if __name__ == "__main__":
    main()
