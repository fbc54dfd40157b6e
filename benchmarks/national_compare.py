"""The national step of this commit and of an earlier one, side by side on the same published kabupaten, scored
against the truth.

    .venv/bin/python benchmarks/national_compare.py --work /tmp/national-accuracy --compare 485ca5c \\
        [--regions 33.23,33.24,34.02,33.22,33.74 --seeds 1,2,3 --semesters 2024-S1,2024-S2]

--work is a folder `benchmarks/national_accuracy.py` ran with the same regions, seeds and semesters: its `seed-N`
folders (files and truth) and the warehouse it published the kabupaten into. For each seed and semester, each
version computes the national findings from what the kabupaten published and writes them into
a scratch table (benchmark.national_findings: both versions can write it, whatever their catalogue adds to
restricted.national_findings), in a process of its own with its code on PYTHONPATH (the earlier commit from a git
worktree under --work; this one from this folder, uncommitted changes included); the findings are then scored by
this commit's `evaluation.national_scores`, so both are scored alike. The versions alternate. Prints precision,
recall, findings and truth per finding, with the high-confidence findings alone beside, and the step's seconds;
under them its misses by the NIK on the person's row and its false findings by their evidence (`national_errors`).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

STEP = """
import io, json, sys, time
from pemadanan import national, warehouse
url, semester = sys.argv[1], sys.argv[2]
started = time.perf_counter()
found = national.national_findings(*national.read_published(url, semester))
seconds = time.perf_counter() - started
# Into a scratch table both versions can write whatever their catalogue says national_findings has.
rows = national.findings_table(found)[["kabupaten", "finding", "voter_row", "population_row", "other_kabupaten",
                                       "found_by", "confidence"]]
with warehouse.connect(url) as conn, conn.cursor() as cur:
    cur.execute("CREATE SCHEMA IF NOT EXISTS benchmark; DROP TABLE IF EXISTS benchmark.national_findings; "
                "CREATE TABLE benchmark.national_findings (kabupaten text, finding text, voter_row integer, "
                "population_row integer, other_kabupaten text, found_by text, confidence text)")
    buffer = io.StringIO(rows.astype({"voter_row": "Int64", "population_row": "Int64"}).to_csv(index=False))
    cur.copy_expert("COPY benchmark.national_findings FROM STDIN WITH (FORMAT csv, HEADER)", buffer)
conn.close()
print(json.dumps({"seconds": seconds}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--work", required=True, type=Path)
    parser.add_argument("--compare", required=True, help="the earlier commit")
    parser.add_argument("--regions", default="33.23,33.24,34.02,33.22,33.74")
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--semesters", default="2024-S1,2024-S2")
    args = parser.parse_args()
    work = args.work.resolve()
    os.environ["PEMADANAN_DATA_DIR"] = str(work / "data")
    earlier = work / f"code-{args.compare}"
    if not earlier.exists():
        subprocess.run(["git", "worktree", "add", "--detach", str(earlier), args.compare], cwd=PROJECT, check=True)
    versions = {"this": PROJECT, args.compare: earlier}

    import pandas as pd

    from pemadanan import warehouse
    from pemadanan.evaluation import national_errors, national_scores

    regions = args.regions.split(",")
    print(f"{'seed':>4} {'semester':>8} {'version':>8} {'finding':<17} {'precision':>9} {'recall':>7} "
          f"{'found':>6} {'truth':>6} {'high: precision':>15} {'recall':>7} {'found':>6} {'step s':>7}", flush=True)
    for seed in (int(s) for s in args.seeds.split(",")):
        out = work / f"seed-{seed}"
        url = warehouse.embedded_url(work / "data" / "warehouse", f"seed{seed}")
        for semester in args.semesters.split(","):
            for name, code in versions.items():
                ran = subprocess.run([sys.executable, "-c", STEP, url, semester], capture_output=True, text=True,
                                     cwd=code, env={**os.environ, "PYTHONPATH": str(code)}, check=False)
                if ran.returncode:
                    raise SystemExit(f"{name}: {ran.stderr[-2000:]}")
                seconds = json.loads(ran.stdout.strip().splitlines()[-1])["seconds"]
                with warehouse.connect(url) as conn, conn.cursor() as cur:
                    cur.execute("SELECT * FROM benchmark.national_findings")
                    found = pd.DataFrame(cur.fetchall(), columns=[d[0] for d in cur.description])
                conn.close()
                scores = dict(national_scores(url, out / "truth", semester, regions, found))
                for what in ("moved", "listed twice", "listed elsewhere"):
                    every, high = scores[what], scores[f"{what} (high)"]
                    print(f"{seed:>4} {semester:>8} {name:>8} {what:<17} {every.precision:>9.4f} {every.recall:>7.4f} "
                          f"{every.predicted:>6} {every.relevant:>6} {high.precision:>15.4f} {high.recall:>7.4f} "
                          f"{high.predicted:>6} {seconds:>7.1f}", flush=True)
                errors = national_errors(url, out / "truth", semester, regions, found)
                for (what, error), kinds in errors.groupby(["finding", "error"], sort=False):
                    print(f"{'':>14} {name:>8} {what} {error}: " + ", ".join(f"{k} {n}" for k, n in zip(
                        kinds["kind"], kinds["count"], strict=True)), flush=True)


if __name__ == "__main__":
    main()
