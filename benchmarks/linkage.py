"""Linkage at scale: wall time, peak RSS, pairs compared per second, and accuracy against the truth.

    .venv/bin/python benchmarks/linkage.py --sizes 100000,300000,1000000 --work /tmp/linkage-bench

For each size it generates a kabupaten (once; kept in --work), ingests its files (in a child process, so the
ingest's memory is not counted), then links in a fresh child process that loads only the accepted frames.
Wall time and peak RSS are that child's: the linkage step as the Dagster asset runs it.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

SEMESTER = "2024-S1"


def prepare(folder: Path, residents: int) -> None:
    from pemadanan import ingest
    from pemadanan.synthetic import GeneratorConfig, generate

    if not (folder / SEMESTER / "voters.csv").exists():
        generate(GeneratorConfig(residents=residents, semesters=(SEMESTER,)), folder)
    if not (folder / "voters.parquet").exists():
        population = ingest.ingest(ingest.POPULATION, folder / SEMESTER / "population.csv", SEMESTER)
        voters = ingest.ingest(ingest.VOTERS, folder / SEMESTER / "voters.csv", SEMESTER, kabupaten_codes=["33.23"])
        population.accepted.drop(columns=["flags"]).to_parquet(folder / "population.parquet")
        voters.accepted.drop(columns=["flags"]).to_parquet(folder / "voters.parquet")


def measure(folder: Path) -> dict:
    import pandas as pd

    from pemadanan.evaluation import evaluate, load_truth
    from pemadanan.linkage import link

    population = pd.read_parquet(folder / "population.parquet")
    voters = pd.read_parquet(folder / "voters.parquet")
    started = time.perf_counter()
    result = link(voters, population)
    seconds = time.perf_counter() - started
    rss_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2
    scores = evaluate(result, voters, population, load_truth(folder / "truth", SEMESTER))
    return {"residents": len(population), "voter_rows": len(voters), "seconds": seconds, "peak_rss_gb": rss_gb,
            "pairs_compared": result.pairs_compared, "pairs_per_second": result.pairs_compared / seconds,
            "report": scores.report()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100000,300000,1000000")
    parser.add_argument("--work", default="/tmp/linkage-bench")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--prepare", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child and args.prepare:
        prepare(Path(args.child), args.prepare)
        return
    if args.child:
        print(json.dumps(measure(Path(args.child))))
        return
    for size in (int(s) for s in args.sizes.split(",")):
        folder = Path(args.work) / str(size)
        subprocess.run([sys.executable, __file__, "--child", str(folder), "--prepare", str(size)], check=True)
        out = subprocess.run([sys.executable, "-W", "ignore", __file__, "--child", str(folder)], check=True,
                             capture_output=True, text=True).stdout
        figures = json.loads(out.strip().splitlines()[-1])
        print(f"\n== {figures['residents']:,} residents, {figures['voter_rows']:,} voter rows: linkage "
              f"{figures['seconds']:.1f} s wall, peak RSS {figures['peak_rss_gb']:.2f} GB, "
              f"{figures['pairs_compared']:,} pairs compared ({figures['pairs_per_second']:,.0f} pairs/s "
              "over the whole cascade's time)")
        print(figures["report"])


if __name__ == "__main__":
    main()
