"""Linkage at scale over several seeds and kabupaten: wall time, peak RSS, and accuracy against the truth.

    .venv/bin/python benchmarks/linkage.py --sizes 100000 --seeds 1,2,3 --regions 33.23,12.12,91.03 \
        --work /tmp/linkage-bench [--profile realistic]

For each size, seed and region it generates a kabupaten (once; kept in --work), ingests its files (in a child
process, so the ingest's memory is not counted), then links in a fresh child process that loads only the
accepted frames. Wall time and peak RSS are that child's: the linkage step as the Dagster asset runs it. The
last table gives the mean and the worst of each figure over every seed and region of a size: a threshold that
only one seed likes shows up there.
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


def prepare(folder: Path, residents: int, seed: int, region: str, profile: str) -> None:
    from pemadanan import ingest
    from pemadanan.synthetic import GeneratorConfig, generate

    if not (folder / SEMESTER / "voters.csv").exists():
        generate(GeneratorConfig(kabupaten=region, residents=residents, semesters=(SEMESTER,), seed=seed,
                                 profile=profile), folder)
    if not (folder / "voters.parquet").exists():
        population = ingest.ingest(ingest.POPULATION, folder / SEMESTER / "population.csv", SEMESTER, kabupaten=region)
        voters = ingest.ingest(ingest.VOTERS, folder / SEMESTER / "voters.csv", SEMESTER, kabupaten=region)
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
            "pairs_compared": result.pairs_compared, "report": scores.report(),
            "precision": scores.links.precision, "recall": scores.links.recall, "f1": scores.links.f1,
            "review_share": scores.review_share, "duplicates_precision": scores.duplicates.precision,
            "duplicates_recall": scores.duplicates.recall,
            "worst_nik_defect_recall": min(s.recall for s in scores.recall_by_nik_defect.values())}


SUMMARY = (("precision", min), ("recall", min), ("f1", min), ("review_share", max), ("duplicates_precision", min),
           ("duplicates_recall", min), ("worst_nik_defect_recall", min), ("seconds", max), ("peak_rss_gb", max))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100000")
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--regions", default="33.23,12.12,91.03", help="Jawa, Sumatera and Papua by default")
    parser.add_argument("--profile", default="realistic")
    parser.add_argument("--work", default="/tmp/linkage-bench")
    parser.add_argument("--quiet", action="store_true", help="only the summary lines, not each run's report")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--prepare", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child and args.prepare:
        residents, seed, region = args.prepare.split(":")
        prepare(Path(args.child), int(residents), int(seed), region, args.profile)
        return
    if args.child:
        print(json.dumps(measure(Path(args.child))))
        return
    for size in (int(s) for s in args.sizes.split(",")):
        runs = []
        for region in args.regions.split(","):
            for seed in args.seeds.split(","):
                folder = Path(args.work) / args.profile / f"{size}-{region}-{seed}"
                subprocess.run([sys.executable, "-W", "ignore", __file__, "--child", str(folder), "--profile",
                                args.profile, "--prepare", f"{size}:{seed}:{region}"], check=True)
                out = subprocess.run([sys.executable, "-W", "ignore", __file__, "--child", str(folder)], check=True,
                                     capture_output=True, text=True).stdout
                figures = json.loads(out.strip().splitlines()[-1])
                runs.append(figures)
                print(f"\n== {region} seed {seed}: {figures['residents']:,} residents, {figures['voter_rows']:,} voter "
                      f"rows: linkage {figures['seconds']:.1f} s wall, peak RSS {figures['peak_rss_gb']:.2f} GB, "
                      f"{figures['pairs_compared']:,} pairs compared; P {figures['precision']:.5f} "
                      f"R {figures['recall']:.5f} F1 {figures['f1']:.5f}, review {figures['review_share']:.3%}",
                      flush=True)
                if not args.quiet:
                    print(figures["report"], flush=True)
        print(f"\n== {size:,} residents, profile {args.profile}, seeds {args.seeds}, regions {args.regions}: "
              f"mean and worst of {len(runs)} runs")
        for key, worst in SUMMARY:
            values = [r[key] for r in runs]
            print(f"{key:<26} mean {sum(values) / len(values):.5f}   worst {worst(values):.5f}")


if __name__ == "__main__":
    main()
