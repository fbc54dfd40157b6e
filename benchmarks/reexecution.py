"""Re-execution from failure against a whole run, at scale: how long "re-execute from failure" takes to finish a
kabupaten's semester that failed, and how long the whole run takes, on the same files and machine.

    .venv/bin/python benchmarks/reexecution.py --landing /tmp/sbench/1000000-33.23-7/landing --work /tmp/reexec \\
        [--semester 2024-S1 --kabupaten 33.23] [--scenarios whole,publish,side_by_side,linking]

--landing is a folder `benchmarks/semester_run.py --work` generated (`<work>/<size>-<region>-<seed>/landing`).
Three scenarios, each into a warehouse database of its own on the embedded server under --work, through a Dagster
instance under --work (deploy/dagster.yaml):

- whole: the run nothing disturbs, steps in one process (the default).
- publish failed: the warehouse refuses the publish (a view where restricted.coklit_list belongs, as a table a
  hand or an older version left there); the view dropped, the run re-executed from failure: publish, coklit lists
  and report run again on what the run staged.
- linking killed: steps in processes of their own (PEMADANAN_ONE_PROCESS_MAX_RESIDENTS=0), the linking step's
  process killed (SIGKILL) as it starts; re-executed from failure: linking onward. Its whole run is timed too.

Prints a line per scenario: seconds to the failure, seconds from "re-execute" to done, and the whole run's seconds.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import threading
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--landing", required=True, type=Path)
    parser.add_argument("--work", default="/tmp/reexec", type=Path)
    parser.add_argument("--semester", default="2024-S1")
    parser.add_argument("--kabupaten", default="33.23")
    parser.add_argument("--scenarios", default="whole,publish,side_by_side,linking",
                        help="which of: whole, publish (failed), side_by_side (whole), linking (killed)")
    args = parser.parse_args()
    scenarios = set(args.scenarios.split(","))
    work = args.work.resolve()
    shutil.rmtree(work / "data", ignore_errors=True)
    shutil.rmtree(work / "dagster_home", ignore_errors=True)
    (work / "dagster_home").mkdir(parents=True)
    shutil.copy(PROJECT / "deploy" / "dagster.yaml", work / "dagster_home" / "dagster.yaml")
    landing = work / "landing" / args.semester / args.kabupaten
    if not landing.exists():  # linked, not copied: no symlink is read below the landing root
        landing.mkdir(parents=True)
        for delivered in (args.landing / args.semester).iterdir():
            os.link(delivered, landing / delivered.name)
    os.environ.update({"PEMADANAN_DATA_DIR": str(work / "data"), "PEMADANAN_LANDING_DIR": str(work / "landing"),
                       "DAGSTER_HOME": str(work / "dagster_home")})
    os.environ.pop("PEMADANAN_ONE_PROCESS_MAX_RESIDENTS", None)

    import dagster as dg  # noqa: PLC0415 - after the environment is set

    from pemadanan import warehouse  # noqa: PLC0415
    from pemadanan.sizing import IN_PROCESS, MULTIPROCESS  # noqa: PLC0415
    from pipelines import definitions  # noqa: PLC0415

    key = f"{args.semester}|{args.kabupaten}"
    job = definitions.semester_job()
    tags = job.partitions_def.get_tags_for_partition_key(key)
    quiet = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}

    def fresh_warehouse(name: str) -> str:
        url = warehouse.embedded_url(work / "pg", database=f"reexec_{name}_{int(time.time())}")
        os.environ["PEMADANAN_WAREHOUSE_URL"] = url
        return url

    def timed(**options) -> tuple[float, dg.ExecutionResult]:
        started = time.perf_counter()
        result = dg.execute_job(dg.reconstructable(definitions.semester_job), instance=instance, tags=tags,
                                raise_on_error=False, **options)
        return time.perf_counter() - started, result

    def from_failure(failed: dg.ExecutionResult) -> tuple[float, dg.ExecutionResult]:
        return timed(reexecution_options=dg.ReexecutionOptions.from_failure(failed.run_id, instance))

    def whole(execution: dict) -> float:
        seconds, result = timed(run_config={"execution": {"config": execution}, **quiet})
        assert result.success, "the undisturbed run failed"
        return seconds

    with dg.DagsterInstance.from_config(str(work / "dagster_home")) as instance:
        instance.add_dynamic_partitions("semester", [args.semester])
        instance.add_dynamic_partitions("wilayah", [args.kabupaten])
        print(f"{key}, {sum(1 for _ in (args.landing / args.semester / 'population.csv').open('rb')) - 1:,} "
              "population rows", flush=True)

        if "whole" in scenarios:
            fresh_warehouse("whole")
            print(f"whole run, one process: {whole(IN_PROCESS):.1f} s", flush=True)
        if "publish" in scenarios:
            publish_failed(instance, fresh_warehouse("publish"), timed, from_failure, quiet)
        if "side_by_side" in scenarios:
            fresh_warehouse("whole_side_by_side")
            print(f"whole run, steps side by side: {whole(MULTIPROCESS):.1f} s", flush=True)
        if "linking" in scenarios:
            fresh_warehouse("linking")
            linking_killed(instance, timed, from_failure, quiet)


def publish_failed(instance, url: str, timed, from_failure, quiet: dict) -> None:
    from pemadanan import warehouse  # noqa: PLC0415
    from pemadanan.sizing import IN_PROCESS  # noqa: PLC0415

    with warehouse.connect(url) as conn, conn.cursor() as cur:
        cur.execute("CREATE SCHEMA restricted")
        cur.execute("CREATE VIEW restricted.coklit_list AS SELECT 1 AS not_a_column_of_it")
    conn.close()
    to_failure, failed = timed(run_config={"execution": {"config": IN_PROCESS}, **quiet})
    assert not failed.success
    with warehouse.connect(url) as conn, conn.cursor() as cur:
        cur.execute("DROP VIEW restricted.coklit_list")
    conn.close()
    again, done = from_failure(failed)
    assert done.success, "the re-execution failed"
    print(f"publish failed, one process: failed after {to_failure:.1f} s; re-executed from failure in "
          f"{again:.1f} s", flush=True)


def linking_killed(instance, timed, from_failure, quiet: dict) -> None:
    from pemadanan.sizing import MULTIPROCESS  # noqa: PLC0415

    earlier = {run.run_id for run in instance.get_runs()}
    killer = threading.Thread(target=kill_when_started, args=(instance, earlier, "voter_resident_links"),
                              daemon=True)
    killer.start()
    to_failure, failed = timed(run_config={"execution": {"config": MULTIPROCESS}, **quiet})
    killer.join()
    assert not failed.success
    again, done = from_failure(failed)
    assert done.success, "the re-execution failed"
    print(f"linking killed, steps side by side: failed after {to_failure:.1f} s; re-executed from failure in "
          f"{again:.1f} s", flush=True)


def kill_when_started(instance, earlier: set[str], step: str) -> None:
    import dagster as dg  # noqa: PLC0415

    while True:
        for run in (run for run in instance.get_runs(limit=1) if run.run_id not in earlier):
            for record in instance.all_logs(run.run_id, of_type=dg.DagsterEventType.STEP_START):
                if record.step_key == step:
                    os.kill(record.dagster_event.pid, signal.SIGKILL)
                    return
        time.sleep(0.05)


if __name__ == "__main__":
    main()
