"""pemadanan's linker and Splink side by side, on the same files, in one run: precision, recall and F1 against the
truth, wall time and peak RSS of linking.

    .venv/bin/pip install -e '.[bench]' -c constraints.txt     # Splink, for this script only
    .venv/bin/python benchmarks/splink_compare.py --residents 100000 --seeds 1,2,3 --regions 33.23,12.12,91.03 \
        --work /tmp/linkage-bench

Both linkers get the same ingested frames (NIK cleaned, dates parsed, names normalised: what ingest gives every
run), prepared by benchmarks/linkage.py into --work, and each links in a fresh child process, so neither's memory
counts against the other. Splink's model is the one a practitioner would write in an afternoon for these lists:
NIK (equal, one or two edits), name (Jaro-Winkler levels with term frequencies), birth date (equal, within a
month, a year, ten years), sex, desa, RT/RW; blocking on NIK, birth date, name within birth year, and desa with
RT/RW (desa alone would give billions of pairs at 1,000,000 residents); u by random sampling, m by EM on two
blocking rules. Its pairs are assigned one to one, best first (as ours are), and scored at several thresholds;
the best of them is the figure it is compared on. DuckDB gets a memory limit and a temporary folder under --work.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).with_name("linkage.py")
THRESHOLDS = (0.5, 0.9, 0.99, 0.999)


def _scores(pairs, truth, voters, residents) -> dict:
    """Precision/recall/F1 of (voter_row, population_row) links, judged per resident as evaluation.evaluate does."""
    truth = truth[truth["source_row"].isin(voters["source_row"])].copy()
    truth["population_row"] = truth["population_row"].where(truth["population_row"].isin(residents["source_row"]))
    true_resident = truth.set_index("source_row")["population_row"]
    relevant = int(truth["population_row"].nunique())
    correct = int((pairs["voter_row"].map(true_resident) == pairs["population_row"]).sum())
    precision = correct / len(pairs) if len(pairs) else 1.0
    recall = correct / relevant if relevant else 1.0
    return {"links": len(pairs), "precision": precision, "recall": recall,
            "f1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0}


def run_ours(folder: Path) -> dict:
    import pandas as pd

    from pemadanan.evaluation import load_truth
    from pemadanan.linkage import link

    residents, voters = pd.read_parquet(folder / "population.parquet"), pd.read_parquet(folder / "voters.parquet")
    started = time.perf_counter()
    result = link(voters, residents)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "peak_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2,
            **_scores(result.links, load_truth(folder / "truth", "2024-S1"), voters, residents)}


def _splink_frame(frame):
    import pandas as pd

    return pd.DataFrame({
        "unique_id": frame["source_row"].astype("int64"), "nik": frame["nik"].astype(object),
        "name": frame["name_norm"].astype(object), "birth_date": frame["birth_date"].dt.strftime("%Y-%m-%d"),
        "birth_year": frame["birth_date"].dt.year.astype("Int64").astype(object), "sex": frame["sex"].astype(object),
        "desa": frame["desa_code"].astype(object),
        "rt_rw": (frame["rt"].astype("string") + "/" + frame["rw"].astype("string")).astype(object),
    }).replace({pd.NA: None})


def run_splink(folder: Path, memory_limit: str) -> dict:
    import duckdb
    import pandas as pd
    import splink.comparison_library as cl
    from splink import Linker, SettingsCreator, block_on
    from splink.backends.duckdb import DuckDBAPI

    from pemadanan.evaluation import load_truth
    from pemadanan.probabilistic import one_to_one

    residents, voters = pd.read_parquet(folder / "population.parquet"), pd.read_parquet(folder / "voters.parquet")
    spill = folder / "duckdb-tmp"
    spill.mkdir(exist_ok=True)
    started = time.perf_counter()
    connection = duckdb.connect(config={"memory_limit": memory_limit, "temp_directory": str(spill), "threads": 2})
    db_api = DuckDBAPI(connection)
    settings = SettingsCreator(
        link_type="link_only",
        comparisons=[
            cl.LevenshteinAtThresholds("nik", [1, 2]),
            cl.JaroWinklerAtThresholds("name", [0.92, 0.8]).configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison("birth_date", input_is_string=True, datetime_metrics=["month", "year", "year"],
                                     datetime_thresholds=[1, 1, 10]),
            cl.ExactMatch("sex"), cl.ExactMatch("desa"), cl.ExactMatch("rt_rw"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("nik"), block_on("birth_date"), block_on("name", "birth_year"), block_on("desa", "rt_rw"),
        ],
        retain_intermediate_calculation_columns=False,
    )
    linker = Linker([db_api.register(_splink_frame(voters), dataset_display_name="voters"),
                     db_api.register(_splink_frame(residents), dataset_display_name="residents")],
                    settings, log_level=None)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("nik", "birth_date")], recall=0.9)
    linker.training.estimate_u_using_random_sampling(max_pairs=5e6, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("nik"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("birth_date"))
    predictions = linker.inference.predict(threshold_match_probability=min(THRESHOLDS)).as_pandas_dataframe()
    seconds = time.perf_counter() - started
    rss_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2
    left_is_voter = predictions["source_dataset_l"] == "voters"
    scored = pd.DataFrame({
        "voter_row": predictions["unique_id_l"].where(left_is_voter, predictions["unique_id_r"]).astype("int64"),
        "population_row": predictions["unique_id_r"].where(left_is_voter, predictions["unique_id_l"]).astype("int64"),
        "match_weight": predictions["match_weight"], "match_probability": predictions["match_probability"]})
    assigned = one_to_one(scored)
    truth = load_truth(folder / "truth", "2024-S1")
    by_threshold = {t: _scores(assigned[assigned["match_probability"] >= t], truth, voters, residents)
                    for t in THRESHOLDS}
    best = max(by_threshold, key=lambda t: by_threshold[t]["f1"])
    return {"seconds": seconds, "peak_rss_gb": rss_gb, "threshold": best, **by_threshold[best],
            "by_threshold": {str(t): s for t, s in by_threshold.items()}}


def child(*args: str) -> dict | str:
    """The child's figures, or why it gave none (at 1,000,000 residents Splink can run out of memory)."""
    out = subprocess.run([sys.executable, "-W", "ignore", __file__, *args], capture_output=True, text=True)
    if out.returncode != 0:
        last = (out.stderr.strip().splitlines() or [""])[-1]
        return f"failed (exit {out.returncode}{', killed: out of memory?' if out.returncode == -9 else ''}) {last}"
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--residents", type=int, default=100_000)
    parser.add_argument("--seeds", default="1")
    parser.add_argument("--regions", default="33.23")
    parser.add_argument("--profile", default="realistic")
    parser.add_argument("--work", default="/tmp/linkage-bench")
    parser.add_argument("--duckdb-memory", default="12GB")
    parser.add_argument("--ours", help=argparse.SUPPRESS)
    parser.add_argument("--splink", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.ours:
        print(json.dumps(run_ours(Path(args.ours))))
        return
    if args.splink:
        print(json.dumps(run_splink(Path(args.splink), args.duckdb_memory)))
        return
    print(f"{'run':<22} {'linker':<8} {'links':>8} {'precision':>9} {'recall':>8} {'F1':>8} {'wall s':>7} {'RSS GB':>6}")
    for region in args.regions.split(","):
        for seed in args.seeds.split(","):
            folder = Path(args.work) / args.profile / f"{args.residents}-{region}-{seed}"
            subprocess.run([sys.executable, "-W", "ignore", str(BENCH), "--child", str(folder), "--profile",
                            args.profile, "--prepare", f"{args.residents}:{seed}:{region}"], check=True)
            for name, arguments in (("ours", ("--ours", str(folder))),
                                    ("splink", ("--splink", str(folder), "--duckdb-memory", args.duckdb_memory))):
                figures = child(*arguments)
                if isinstance(figures, str):
                    print(f"{region + ' seed ' + seed:<22} {name:<8} {figures}", flush=True)
                    continue
                label = name if name == "ours" else f"splink@{figures['threshold']}"
                print(f"{region + ' seed ' + seed:<22} {label:<8} {figures['links']:>8,} {figures['precision']:>9.5f} "
                      f"{figures['recall']:>8.5f} {figures['f1']:>8.5f} {figures['seconds']:>7.1f} "
                      f"{figures['peak_rss_gb']:>6.2f}", flush=True)


if __name__ == "__main__":
    main()
