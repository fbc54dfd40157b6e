"""Fault injection: `pemadanan run` killed (SIGKILL) at several moments, and runs at the same time, against the
project's PostgreSQL. After each fault every table holds the semester whole or not at all, and a re-run gives the
same tables as an undisturbed run.

    .venv/bin/python benchmarks/fault_injection.py --work /tmp/faults [--residents 6000] [--kill-after 1,3,6,10,15,25]

Prints one line per scenario: what the warehouse held after the fault (absent / complete / PARTIAL), and whether the
re-run matched the reference.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
PEMADANAN = Path(sys.executable).parent / "pemadanan"
SEMESTERS = ("2024-S1", "2024-S2")


def run(env: dict, semester: str, kill_after: float | None = None) -> int:
    process = subprocess.Popen([str(PEMADANAN), "run", "--semester", semester], env=env, cwd=PROJECT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    if kill_after is None:
        return process.wait()
    try:
        return process.wait(kill_after)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        return -9


def snapshot(url: str, semester: str) -> dict:
    from pemadanan import warehouse

    tables = {}
    for table in warehouse.TABLES:
        if table is warehouse.PUBLICATIONS:
            continue  # records when, not what
        frame = warehouse.read_table(url, table, semester) if warehouse.table_exists(url, table) else None
        if frame is None or frame.empty:
            tables[table.qualified] = None
            continue
        keys = [c.name for c in table.columns if c.name not in ("original", "explanation")]
        tables[table.qualified] = frame.sort_values(keys).reset_index(drop=True).astype(str)
    return tables


def verdict(got: dict, reference: dict) -> str:
    present = [name for name, frame in got.items() if frame is not None]
    if not present:
        return "absent"
    same = all((got[n] is None and reference[n] is None) or
               (got[n] is not None and reference[n] is not None and got[n].equals(reference[n])) for n in reference)
    return "complete" if same else "PARTIAL or different"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--work", default="/tmp/faults")
    parser.add_argument("--residents", type=int, default=6_000)
    parser.add_argument("--kill-after", default="1,3,6,10,15,25")
    args = parser.parse_args()
    work = Path(args.work).resolve()
    landing = work / "landing"
    if not (landing / SEMESTERS[-1] / "voters.csv").exists():
        from pemadanan.synthetic import GeneratorConfig, generate
        generate(GeneratorConfig(kabupaten="33.23", residents=args.residents, semesters=SEMESTERS, seed=11), landing)
    from pemadanan import warehouse

    def scenario(name: str) -> dict:
        url = warehouse.embedded_url(work / "pg", database=f"faults_{name}_{int(time.time())}")
        return {**os.environ, "PEMADANAN_WAREHOUSE_URL": url, "PEMADANAN_LANDING_DIR": str(landing),
                "PEMADANAN_DATA_DIR": str(work / "data" / name), "DAGSTER_HOME": str(work / "dagster" / name)}

    env = scenario("reference")
    for semester in SEMESTERS:
        assert run(env, semester) == 0, f"reference run of {semester} failed"
    reference = snapshot(env["PEMADANAN_WAREHOUSE_URL"], SEMESTERS[-1])
    print(f"{'scenario':<44} {'after the fault':<22} re-run")

    for seconds in (float(s) for s in args.kill_after.split(",")):
        env = scenario(f"kill{seconds:g}")
        run(env, SEMESTERS[0])
        code = run(env, SEMESTERS[-1], kill_after=seconds)
        after = verdict(snapshot(env["PEMADANAN_WAREHOUSE_URL"], SEMESTERS[-1]), reference)
        if code == 0:
            after += " (run ended first)"
        rerun = run(env, SEMESTERS[-1]) == 0 and verdict(snapshot(env["PEMADANAN_WAREHOUSE_URL"], SEMESTERS[-1]),
                                                          reference) == "complete"
        print(f"{f'{SEMESTERS[-1]} killed after {seconds:g} s':<44} {after:<22} {'identical' if rerun else 'DIFFERENT'}")

    # The same semester twice at once (each with its own Dagster home, as two operators would).
    env = scenario("twice")
    run(env, SEMESTERS[0])
    both = [subprocess.Popen([str(PEMADANAN), "run", "--semester", SEMESTERS[-1]], cwd=PROJECT,
                             env={**env, "DAGSTER_HOME": f"{env['DAGSTER_HOME']}{i}"},
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for i in (1, 2)]
    codes = [p.wait() for p in both]
    after = verdict(snapshot(env["PEMADANAN_WAREHOUSE_URL"], SEMESTERS[-1]), reference)
    print(f"{f'{SEMESTERS[-1]} run twice at once (exit {codes[0]}, {codes[1]})':<44} {after:<22} -")

    # Two semesters first published at once on an empty warehouse: both land whole (2024-S2 compared with nothing,
    # which published.publications records, so the landing sensor runs it again).
    env = scenario("first")
    both = [subprocess.Popen([str(PEMADANAN), "run", "--semester", s], cwd=PROJECT,
                             env={**env, "DAGSTER_HOME": f"{env['DAGSTER_HOME']}{s}"},
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for s in SEMESTERS]
    codes = [p.wait() for p in both]
    published = warehouse.publications(env["PEMADANAN_WAREHOUSE_URL"])
    print(f"{f'{SEMESTERS[0]} and {SEMESTERS[-1]} first published at once':<44} "
          f"exit {codes[0]}, {codes[1]}; published {', '.join(' '.join(key) for key in published.index)}")


if __name__ == "__main__":
    main()
