"""Prints how long generating a synthetic kabupaten takes, and its peak memory.

    .venv/bin/python benchmarks/generate.py --residents 1000000
"""

import argparse
import resource
import tempfile
import time
from pathlib import Path

from pemadanan.synthetic import GeneratorConfig, generate

parser = argparse.ArgumentParser()
parser.add_argument("--residents", type=int, default=1_000_000)
args = parser.parse_args()
with tempfile.TemporaryDirectory() as out:
    started = time.perf_counter()
    counts = generate(GeneratorConfig(residents=args.residents), Path(out))
    wall = time.perf_counter() - started
peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2
print(f"residents asked: {args.residents:,}")
for semester, files in counts.items():
    print(f"  {semester}: " + ", ".join(f"{n:,} {name}" for name, n in files.items()))
print(f"wall time: {wall:.1f} s   peak RSS: {peak_gb:.2f} GB")
