"""The whole semester run through Dagster (ingest, validate, link, outputs, publish) at scale: wall time and peak
RSS per semester, and the accuracy of what was published (TMS codes, eligible-unregistered) against the truth.

    .venv/bin/python benchmarks/semester_run.py --residents 1000000 --work /tmp/semester-bench [--seed 7 --region 33.23]

Generates two semesters once (kept in --work), then runs each in a fresh child process, the second one
comparing with the first's published snapshot. Wall time and peak RSS are the child's; the embedded
PostgreSQL server is a process of its own and not counted. Publishes to $PEMADANAN_WAREHOUSE_URL if set,
else to the embedded server under --work.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

SEMESTERS = ("2024-S1", "2024-S2")


def child(work: Path, semester: str) -> None:
    from pipelines.cli import run_semester

    started = time.perf_counter()
    ok, message = run_semester(semester, str(work / "landing"))
    seconds = time.perf_counter() - started
    rss_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2
    print(f"{message}\n{semester}: whole run {seconds:.1f} s wall, peak RSS {rss_gb:.2f} GB", flush=True)
    if not ok:
        sys.exit(1)


def report(work: Path, semester: str) -> None:
    from pemadanan import warehouse
    from pemadanan.evaluation import evaluate_outputs
    from resources import Warehouse

    url = warehouse.resolve_url()
    tms = warehouse.read_table(url, warehouse.TMS_CANDIDATES, semester)
    missing = warehouse.read_table(url, warehouse.ELIGIBLE_UNREGISTERED, semester)
    links = warehouse.read_table(url, warehouse.VOTER_LINKS, semester)
    unlinked = warehouse.read_table(url, warehouse.UNLINKED_VOTERS, semester)
    duplicates = warehouse.read_table(url, warehouse.VOTER_DUPLICATES, semester)
    snapshot = warehouse.read_semester(url, warehouse.POPULATION_SNAPSHOT, semester)
    import pandas as pd

    voter_rows = pd.DataFrame({"source_row": pd.concat([links["voter_row"], unlinked["voter_row"], duplicates["voter_row"]])})
    print(evaluate_outputs(tms, missing, voter_rows, snapshot.rename(columns={"population_row": "source_row"}),
                           work / "landing" / "truth", semester))
    print(tms.groupby(["tms_code", "confidence"]).size().rename("voter_rows").to_string())
    threshold = Warehouse().small_count_threshold
    unknown = small = 0
    for table in (t for t in warehouse.TABLES if t.schema == "published" and "region_level" in [c.name for c in t.columns]):
        published = warehouse.read_table(url, table, semester)
        unknown += int((published["region_code"] == "unknown").sum())
        counts = published[published["region_level"] == "desa"].select_dtypes("number").drop(
            columns=["link_rate", "coverage_pct"], errors="ignore").stack()
        small += int(((counts > 0) & (counts < threshold)).sum())
    print(f"published: {unknown} rows of region 'unknown'; {small} desa counts from 1 to {threshold - 1}\n")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--residents", type=int, default=1_000_000)
    parser.add_argument("--work", default="/tmp/semester-bench")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--region", default="33.23")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    work = Path(args.work).resolve()
    os.environ.setdefault("PEMADANAN_DATA_DIR", str(work / "data"))
    if args.child:
        child(work, args.child)
        return
    if not (work / "landing" / SEMESTERS[-1] / "voters.csv").exists():
        from pemadanan.synthetic import GeneratorConfig, generate

        started = time.perf_counter()
        generate(GeneratorConfig(kabupaten=args.region, residents=args.residents, semesters=SEMESTERS, seed=args.seed),
                 work / "landing")
        print(f"generated {args.residents:,} residents, {len(SEMESTERS)} semesters in {time.perf_counter() - started:.0f} s")
    for semester in SEMESTERS:
        subprocess.run([sys.executable, __file__, "--work", str(work), "--child", semester], check=True)
        report(work, semester)


if __name__ == "__main__":
    main()
