"""The whole semester run through Dagster (ingest, validate, link, outputs, publish, coklit lists, report) at
scale: wall time and peak RSS of every step, per size, and optionally the same for an earlier commit side by side;
then the accuracy of what was published (TMS codes, eligible-unregistered) against the truth.

    .venv/bin/python benchmarks/semester_run.py --residents 100000,300000,1000000 --work /tmp/semester-bench \\
        [--seed 7 --region 33.23] [--profile hard] [--compare HEAD~1] [--no-accuracy]

Per size, the profile's (realistic unless --profile says; hard has Indonesian name frequencies, so common names have
namesakes born the same day, the national step's costliest lookups) two semesters are generated once (kept in --work) by this commit's generator.
Each semester then runs in a fresh child process, 2024-S2 comparing with 2024-S1 as published by the same code,
each version into a warehouse emptied at the start, so that neither publishes into one grown by earlier runs.
Each commit runs from a git worktree of its own under --work (uncommitted changes are not measured). With
--compare REV the earlier commit runs the same files, alternating with this one, so that the noise of a shared
machine falls on both. Wall times are the kabupaten's run's, the national step's and the whole `pemadanan run`'s; peak memory is the
proportional set size (PSS: a page forked processes share counted once) summed over the child and every process below
it (the steps' processes), sampled every 100 ms and attributed to the steps running then; cores used is the CPU time
of those processes during the kabupaten's run over its wall time (the embedded PostgreSQL, a server of its own, is
not in it). The embedded
PostgreSQL's processes are reported separately (sum of their RSS, shared buffers counted once per process, so an
upper bound). Publishes to the embedded server under --work.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

SEMESTERS = ("2024-S1", "2024-S2")
HERE = Path(__file__).resolve()
PROJECT = HERE.parents[1]


def rss_gb(pid: int | str = "self") -> float:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    match = re.search(r"VmRSS:\s+(\d+) kB", status)
    return int(match.group(1)) / 1024 ** 2 if match else 0.0


def tree(root: int) -> set[int]:
    """`root` and every process below it (the steps' processes, their forkserver)."""
    parents = {}
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                parents[int(proc.name)] = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    found, grew = {root}, True
    while grew:
        below = {pid for pid, parent in parents.items() if parent in found} - found
        found |= below
        grew = bool(below)
    return found


def pss_gb(pid: int) -> float:
    """Proportional set size: a page shared by forked processes counted once across them, as RSS would not."""
    try:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0.0
    match = re.search(r"^Pss:\s+(\d+) kB", rollup, re.MULTILINE)
    return int(match.group(1)) / 1024 ** 2 if match else 0.0


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_rss_gb(data_dir: str) -> float:
    total = 0.0
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmdline = (proc / "cmdline").read_bytes()
            except OSError:
                continue
            if b"postgres" in cmdline and data_dir.encode() in cmdline:
                total += rss_gb(proc.name)
    return total


def child(landing: Path, semester: str) -> None:
    """One semester through `run_semester` of whichever code is on PYTHONPATH; prints one JSON line."""
    import dagster as dg

    from pipelines.cli import run_semester

    samples: list[tuple[float, float, float, float]] = []  # time, PSS of the tree, its CPU seconds so far, PostgreSQL
    cpu: dict[int, float] = {}  # per process, the most CPU time seen: a process gone keeps what it used
    stop = threading.Event()
    data_dir = os.environ["PEMADANAN_DATA_DIR"]

    def sample() -> None:
        while not stop.wait(0.1):
            pids = tree(os.getpid())
            for pid in pids:
                cpu[pid] = max(cpu.get(pid, 0.0), cpu_seconds(pid))
            samples.append((time.time(), sum(pss_gb(pid) for pid in pids), sum(cpu.values()),
                            postgres_rss_gb(data_dir) if len(samples) % 10 == 0 else 0.0))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    ok, message = run_semester(semester, str(landing))
    wall = time.perf_counter() - started
    stop.set()
    sampler.join()
    if not ok:
        print(message, file=sys.stderr)
        sys.exit(1)
    instance = dg.DagsterInstance.get()

    def span(job: str) -> tuple[float, float, str]:
        run = instance.get_run_records(dg.RunsFilter(job_name=job), limit=1)[0]
        return run.start_time, run.end_time, run.dagster_run.run_id

    def during(begin: float, end: float) -> list[tuple[float, float, float, float]]:
        return [sample for sample in samples if begin <= sample[0] <= end] or [(begin, 0.0, 0.0, 0.0)]

    begin, end, run_id = span("semester_job")
    spans: dict[str, list[float]] = {}
    for record in instance.all_logs(run_id, of_type={dg.DagsterEventType.STEP_START, dg.DagsterEventType.STEP_SUCCESS}):
        spans.setdefault(record.step_key, []).append(record.timestamp)
    steps = {}
    for step, (step_begin, step_end) in sorted(spans.items(), key=lambda item: item[1][0]):
        steps[step] = {"seconds": round(step_end - step_begin, 2),
                       "peak_rss_gb": round(max(pss for _, pss, _, _ in during(step_begin, step_end)), 2)}
    run = during(begin, end)
    national_begin, national_end, _ = span("national_job")
    print(json.dumps({
        "semester": semester, "wall": round(wall, 1), "steps": steps, "kabupaten_wall": round(end - begin, 1),
        "peak_rss_gb": round(max(pss for _, pss, _, _ in run), 2),
        "cores_used": round((run[-1][2] - run[0][2]) / max(run[-1][0] - run[0][0], 1e-9), 2),
        "national_wall": round(national_end - national_begin, 1),
        "national_peak_gb": round(max(pss for _, pss, _, _ in during(national_begin, national_end)), 2),
        "postgres_rss_gb": round(max(sample[3] for sample in samples), 2)}))


def run_child(code: Path, work: Path, landing: Path, semester: str) -> dict:
    env = {**os.environ, "PEMADANAN_DATA_DIR": str(work / "data"), "PYTHONPATH": str(code)}
    env.pop("PEMADANAN_WAREHOUSE_URL", None)
    env.pop("DAGSTER_HOME", None)
    done = subprocess.run([sys.executable, str(HERE), "--child", semester, "--landing", str(landing)], cwd=code,
                          env=env, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{code} {semester} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def worktree(rev: str, work: Path) -> Path:
    commit = subprocess.run(["git", "rev-parse", "--short", rev], cwd=PROJECT, capture_output=True, text=True,
                            check=True).stdout.strip()
    folder = work / f"code-{commit}"
    if not folder.exists():
        subprocess.run(["git", "worktree", "add", "--detach", str(folder), commit], cwd=PROJECT, check=True,
                       capture_output=True)
    return folder


def table(results: dict[str, dict[str, dict]]) -> str:
    """Rows: steps; columns: seconds and peak RSS per version and semester."""
    columns = [(label, semester) for label in results for semester in SEMESTERS]
    steps = list(dict.fromkeys(step for label, semester in columns for step in results[label][semester]["steps"]))
    head = f"{'step':<28}" + "".join(f"{label[:14] + ' ' + semester[-2:]:>24}" for label, semester in columns)
    lines = [head, f"{'':<28}" + "".join(f"{'s':>12}{'GB':>12}" for _ in columns)]
    for step in steps:
        cells = []
        for label, semester in columns:
            figures = results[label][semester]["steps"].get(step)
            cells.append(f"{figures['seconds']:>12.1f}{figures['peak_rss_gb']:>12.2f}" if figures else f"{'–':>24}")
        lines.append(f"{step:<28}" + "".join(cells))
    def row(label: str, seconds: str, gigabytes: str, digits: int = 1) -> str:
        return f"{label:<28}" + "".join(f"{results[v][s][seconds]:>12.{digits}f}{results[v][s][gigabytes]:>12.2f}"
                                        for v, s in columns)

    lines.append(row("kabupaten run (wall, peak)", "kabupaten_wall", "peak_rss_gb"))
    lines.append(f"{'cores used in it':<28}" + "".join(f"{results[v][s]['cores_used']:>12.2f}{'':>12}"
                                                        for v, s in columns))
    lines.append(row("national step (wall, peak)", "national_wall", "national_peak_gb"))
    lines.append(f"{'pemadanan run (wall)':<28}" + "".join(f"{results[v][s]['wall']:>12.1f}{'':>12}" for v, s in columns))
    lines.append(f"{'embedded PostgreSQL (RSS)':<28}" + "".join(
        f"{'':>12}{results[label][semester]['postgres_rss_gb']:>12.2f}" for label, semester in columns))
    return "\n".join(lines)


def accuracy(work: Path, landing: Path, semester: str) -> None:
    os.environ["PEMADANAN_DATA_DIR"] = str(work / "data")
    import pandas as pd

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
    voter_rows = pd.DataFrame({"source_row": pd.concat([links["voter_row"], unlinked["voter_row"], duplicates["voter_row"]])})
    print(evaluate_outputs(tms, missing, voter_rows, snapshot.rename(columns={"population_row": "source_row"}),
                           landing / "truth", semester))
    print(tms.groupby(["tms_code", "confidence"]).size().rename("voter_rows").to_string())
    threshold = Warehouse().small_count_threshold
    small = 0
    for table_def in (t for t in warehouse.TABLES if t.schema == "published" and "region_level" in [c.name for c in t.columns]):
        published = warehouse.read_table(url, table_def, semester)
        counts = published[published["region_level"] == "desa"].select_dtypes("number").drop(
            columns=["link_rate", "coverage_pct"], errors="ignore").stack()
        small += int(((counts > 0) & (counts < threshold)).sum())
    print(f"published: {small} desa counts from 1 to {threshold - 1}\n")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--residents", default="1000000", help="comma-separated sizes, e.g. 100000,300000,1000000")
    parser.add_argument("--work", default="/tmp/semester-bench")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--region", default="33.23")
    parser.add_argument("--profile", default="realistic", help="the generator's: realistic, basic, harsh or hard")
    parser.add_argument("--compare", help="an earlier commit to run side by side, e.g. HEAD~1")
    parser.add_argument("--no-accuracy", action="store_true", help="only the speed and memory figures")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--landing", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(Path(args.landing), args.child)
        return
    work = Path(args.work).resolve()
    # The commit, from a worktree of its own: an edit made while the benchmark runs cannot reach the runs after it.
    versions = {"this commit": worktree("HEAD", work)}
    if subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=PROJECT, capture_output=True,
                      text=True, check=True).stdout.strip():
        print("uncommitted changes are not measured: 'this commit' is HEAD", flush=True)
    if args.compare:
        versions[args.compare] = worktree(args.compare, work)
    for residents in (int(size) for size in args.residents.split(",")):
        folder = work / f"{residents}-{args.region}-{args.seed}" / args.profile
        landing = folder / "landing"
        if not (landing / SEMESTERS[-1] / "voters.csv").exists():
            from pemadanan.synthetic import GeneratorConfig, generate

            started = time.perf_counter()
            generate(GeneratorConfig(kabupaten=args.region, residents=residents, semesters=SEMESTERS,
                                     seed=args.seed, profile=args.profile), landing)
            print(f"generated {residents:,} residents, {len(SEMESTERS)} semesters in "
                  f"{time.perf_counter() - started:.0f} s", flush=True)
        results: dict[str, dict[str, dict]] = {label: {} for label in versions}
        for label in versions:  # each from an empty warehouse, so that neither publishes into one grown by earlier runs
            shutil.rmtree(folder / re.sub(r"\W", "_", label) / "data", ignore_errors=True)
        for semester in SEMESTERS:
            for label, code in versions.items():  # alternating, so both see the same machine
                slug = re.sub(r"\W", "_", label)
                results[label][semester] = run_child(code, folder / slug, landing, semester)
        print(f"\n{residents:,} residents, region {args.region}, seed {args.seed}, {args.profile} profile\n"
              f"{table(results)}\n",
              flush=True)
        if not args.no_accuracy:
            for semester in SEMESTERS:
                accuracy(folder / "this_commit", landing, semester)


if __name__ == "__main__":
    main()
