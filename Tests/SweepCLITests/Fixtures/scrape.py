"""Scrapes a Prometheus endpoint and parses it with Prometheus's own Python client's parser.

    python scrape.py URL   → one JSON line: {sample name: [[labels, value], …]}, or exit 1 with the parser's error
"""
import json
import sys
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

with urllib.request.urlopen(sys.argv[1], timeout=10) as response:
    content_type = response.headers.get("Content-Type", "")
    text = response.read().decode("utf-8")
samples = {}
for family in text_string_to_metric_families(text):
    for sample in family.samples:
        samples.setdefault(sample.name, []).append([sample.labels, sample.value])
print(json.dumps({"content_type": content_type, "samples": samples}))
