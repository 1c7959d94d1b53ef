"""The README's pictures of the report, one per chart, from a report.html, at 1280 px in headless Chromium.

    python3 Scripts/docs_plots.py Results/adaptive-hyperband/report.html [--out docs/plots]

Each picture runs from a chart's heading to the next heading (the table's: its first 640 px)."""
import argparse
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BROWSER = os.path.join(ROOT, "Tests", "SweepCLITests", "Fixtures", "browser.py")
SECTIONS = [("Optimization history", "history"), ("Learning curves", "curves"), ("Parameter importance", "importance"),
            ("per parameter value", "slices"), (" by ", "contour"), ("All trials across parameters", "parallel"),
            ("Worker timeline", "timeline"), ("Every trial", "table")]
READY = "document.querySelector('.trial-table') && document.querySelector('.trial-table').getAttribute('data-ready') === '1'"


def browse(url, *arguments):
    out = subprocess.run([sys.executable, BROWSER, url, "--until", READY, "--timeout", "30", *arguments],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out.splitlines()[-1])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("report")
    parser.add_argument("--out", default=os.path.join(ROOT, "docs", "plots"))
    opts = parser.parse_args()
    url = "file://" + os.path.abspath(opts.report)
    heads = json.loads(browse(url, "--sample", "JSON.stringify(Array.prototype.map.call(document.querySelectorAll('h2'), "
                                    "function (h) { return [h.textContent, h.getBoundingClientRect().top + window.scrollY]; }))")["last"])
    os.makedirs(opts.out, exist_ok=True)
    for title, name in SECTIONS:
        index = next(i for i, (text, _) in enumerate(heads) if title in text and not text.startswith("Ranking"))
        top = int(heads[index][1]) - 8
        bottom = int(heads[index + 1][1]) - 16 if index + 1 < len(heads) else top + 640
        height = min(bottom - top, 640) if name == "table" else bottom - top
        path = os.path.join(opts.out, name + ".png")
        browse(url, "--screenshot", path, "--top", str(top), "--clip", str(height))
        print(f"{path}: {height} px high")


if __name__ == "__main__":
    main()
