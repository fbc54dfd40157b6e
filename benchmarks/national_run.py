"""A national semester on one machine, the way a deployment runs it: the kabupaten's files land, the landing
sensor asks for a run per kabupaten, the QueuedRunCoordinator lets `--concurrency` of them run at once, each in a
process of its own (the daemon's default run launcher), and the national sensor runs the national step once they
have published. Prints wall time, each run's time and peak RSS, and the cross-kabupaten accuracy of what the
national step published against the generator's truth.

    .venv/bin/python benchmarks/national_run.py --regions 33.23,33.24,34.02,33.22,33.74 \\
        --residents 1000000,50000,50000,50000,50000 --work /tmp/national-run [--concurrency 2] [--seed 1]

Storage is the embedded PostgreSQL under --work (Dagster's runs and the warehouse, two databases). The files are
generated once per --work; a second call runs them again into fresh databases.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import yaml

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))
BIN = Path(sys.executable).parent


class PeakRss:
    """Peak resident memory of every process under the daemon, by PID (a run's worker names its PID in its events)."""

    def __init__(self, root_pid: int) -> None:
        import psutil

        self.root, self.peaks, self.stop = psutil.Process(root_pid), {}, threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()

    def _watch(self) -> None:
        import psutil

        while not self.stop.wait(0.5):
            for process in self.root.children(recursive=True):
                try:
                    self.peaks[process.pid] = max(self.peaks.get(process.pid, 0), process.memory_info().rss)
                except psutil.Error:
                    continue

    def of_run(self, instance, run_id: str) -> int:
        for entry in instance.all_logs(run_id):
            found = re.search(r"\(pid: (\d+)\)", entry.user_message or "")
            if found:
                return self.peaks.get(int(found[1]), 0)
        return 0


def dagster(env: dict, *args: str) -> None:
    subprocess.run([str(BIN / "dagster"), *args, "-w", "workspace.yaml"], cwd=PROJECT, env=env, check=True,
                   capture_output=True)


def wait_until_idle(instance, runs_before: int, at_least: int, timeout: float = 3600) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        runs = instance.get_runs()
        if len(runs) >= runs_before + at_least and all(r.is_finished for r in runs):
            return
        time.sleep(2)
    raise SystemExit(f"runs did not finish in {timeout} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--regions", default="33.23,33.24,34.02,33.22,33.74")
    parser.add_argument("--residents", default="1000000,50000,50000,50000,50000")
    parser.add_argument("--semesters", default="2024-S1,2024-S2")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", default="realistic")
    parser.add_argument("--concurrency", type=int, default=2, help="runs at once (the queue's max_concurrent_runs)")
    parser.add_argument("--work", required=True)
    args = parser.parse_args()
    work = Path(args.work).resolve()

    import dagster as dg

    from pemadanan import warehouse
    from pemadanan.evaluation import national_scores
    from pemadanan.synthetic import GeneratorConfig, generate_national

    regions = [r.strip() for r in args.regions.split(",")]
    residents = [int(n) for n in args.residents.split(",")]
    residents = residents * len(regions) if len(residents) == 1 else residents
    semesters = [s.strip() for s in args.semesters.split(",")]
    generated = work / "generated"
    if not (generated / "truth" / "config.json").exists():
        started = time.perf_counter()
        generate_national(GeneratorConfig(semesters=tuple(semesters), seed=args.seed, profile=args.profile), regions,
                          residents, generated)
        print(f"generated in {time.perf_counter() - started:.0f} s", flush=True)

    for folder in ("home", "landing", "data"):
        shutil.rmtree(work / folder, ignore_errors=True)
        (work / folder).mkdir(parents=True)
    run_id = str(int(time.time()))
    urls = {name: warehouse.embedded_url(work / "pg", f"{name}_{run_id}") for name in ("dagster", "warehouse")}
    instance_yaml = yaml.safe_load((PROJECT / "deploy" / "dagster-postgres.yaml").read_text())
    instance_yaml["run_coordinator"]["config"]["max_concurrent_runs"] = args.concurrency
    (work / "home" / "dagster.yaml").write_text(yaml.safe_dump(instance_yaml))
    env = {**os.environ, "DAGSTER_HOME": str(work / "home"), "PEMADANAN_DATA_DIR": str(work / "data"),
           "PEMADANAN_LANDING_DIR": str(work / "landing"), "PEMADANAN_WAREHOUSE_URL": urls["warehouse"],
           "PEMADANAN_DAGSTER_PG_URL": warehouse.sqlalchemy_url(urls["dagster"])}
    os.environ.update(env)
    daemon = subprocess.Popen([str(BIN / "dagster-daemon"), "run", "-w", "workspace.yaml"], cwd=PROJECT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    peaks = PeakRss(daemon.pid)
    instance = dg.DagsterInstance.get()
    walls = {}
    try:
        for semester in semesters:
            # Landed settled (dated back past the sensor's minute), then the sensors started: each ticks at once.
            shutil.copytree(generated / semester, work / "landing" / semester)
            old = time.time() - 120
            for path in (work / "landing" / semester).rglob("*"):
                os.utime(path, (old, old))
            before = len(instance.get_runs())
            started = time.perf_counter()
            dagster(env, "sensor", "start", "landing_sensor")
            wait_until_idle(instance, before, len(regions))
            dagster(env, "sensor", "stop", "landing_sensor")
            kabupaten_done = time.perf_counter()
            dagster(env, "sensor", "start", "national_sensor")
            wait_until_idle(instance, before + len(regions), 1)
            dagster(env, "sensor", "stop", "national_sensor")
            walls[semester] = (kabupaten_done - started, time.perf_counter() - kabupaten_done)
    finally:
        peaks.stop.set()
        os.killpg(daemon.pid, signal.SIGTERM)
        daemon.wait(60)

    print(f"\nregions {','.join(regions)}; residents {','.join(map(str, residents))}; profile {args.profile}; "
          f"seed {args.seed}; {args.concurrency} runs at once, {os.cpu_count()} cores")
    print(f"{'run':<22} {'status':<8} {'seconds':>8} {'peak RSS GB':>11}")
    for record in sorted(instance.get_run_records(), key=lambda r: r.start_time or 0):
        run = record.dagster_run
        took = (record.end_time or 0) - (record.start_time or 0)
        print(f"{run.tags.get('dagster/partition', ''):<22} {run.status.value:<8} {took:>8.1f} "
              f"{peaks.of_run(instance, run.run_id) / 1e9:>11.2f}")
    for semester, (kabupaten, national) in walls.items():
        print(f"{semester}: kabupaten runs {kabupaten:.0f} s wall (sensor tick to the last publish), national step "
              f"{national:.0f} s after them (sensor tick included)")
    print(f"\n{'semester':>8} {'finding':<17} {'precision':>9} {'recall':>7} {'predicted':>9} {'truth':>6}")
    for semester in semesters:
        for what, found in national_scores(urls["warehouse"], generated / "truth", semester, regions):
            print(f"{semester:>8} {what:<17} {found.precision:>9.4f} {found.recall:>7.4f} {found.predicted:>9} "
                  f"{found.relevant:>6}")
    print(json.dumps({"coverage": warehouse.read_table(urls["warehouse"], warehouse.NATIONAL_COVERAGE)
                      .groupby("semester")["kabupaten"].apply(list).to_dict()}))


if __name__ == "__main__":
    main()
