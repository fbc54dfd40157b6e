"""The path a deployment takes: the Dagster daemon, a sensor tick, the run queue and the default run launcher (a
process per run, through the code server), a backfill of two semesters; PostgreSQL storage. Then nothing personal
may be on disk outside PostgreSQL: not in DAGSTER_HOME (run storage, compute logs), not in the Data Docs."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest
from test_end_to_end import personal_data_on_disk

from pemadanan import settings, warehouse

pytestmark = pytest.mark.daemon
DAGSTER = Path(sys.executable).parent / "dagster"


def settled_copy(source: Path, target: Path) -> None:
    """Copied, then dated two minutes back: the sensor waits a minute for files still being written."""
    shutil.copytree(source, target)
    old = time.time() - 120
    for path in target.rglob("*"):
        os.utime(path, (old, old))


def wait_for_runs(instance: dg.DagsterInstance, count: int, timeout: float = 420) -> list[dg.DagsterRun]:
    deadline = time.time() + timeout
    while time.time() < deadline:
        runs = instance.get_runs()
        if len(runs) >= count and all(r.is_finished for r in runs):
            return runs
        time.sleep(2)
    states = [(r.tags.get("dagster/partition"), r.status.value) for r in instance.get_runs()]
    raise AssertionError(f"runs did not finish in {timeout} s: {states}")


@pytest.fixture
def deployment(tmp_path, fresh_database, small_kabupaten):
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(settings.PROJECT_ROOT / "deploy" / "dagster-postgres.yaml", home / "dagster.yaml")
    landing = tmp_path / "landing"
    landing.mkdir()
    env = {**os.environ, "DAGSTER_HOME": str(home), "PEMADANAN_DATA_DIR": str(tmp_path / "data"),
           "PEMADANAN_LANDING_DIR": str(landing),
           "PEMADANAN_DAGSTER_PG_URL": warehouse.sqlalchemy_url(fresh_database("dagster")),
           "PEMADANAN_WAREHOUSE_URL": fresh_database("warehouse")}
    daemon = subprocess.Popen([str(DAGSTER) + "-daemon", "run", "-w", "workspace.yaml"], cwd=settings.PROJECT_ROOT,
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    old_env = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield env, landing
    finally:  # the daemon, its code servers and run workers: its whole process group
        os.killpg(daemon.pid, signal.SIGTERM)
        daemon.wait(30)
        time.sleep(1)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(daemon.pid, signal.SIGKILL)
        for key, value in old_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def dagster_cli(env: dict, *args: str) -> None:
    subprocess.run([str(DAGSTER), *args, "-w", "workspace.yaml"], cwd=settings.PROJECT_ROOT, env=env, check=True,
                   capture_output=True)


def test_sensor_and_backfill_runs_through_the_daemon_leave_no_personal_data_on_disk(deployment, small_kabupaten):
    env, landing = deployment
    settled_copy(small_kabupaten / "2024-S1", landing / "2024-S1")
    dagster_cli(env, "sensor", "start", "landing_sensor")  # its first tick comes at once
    instance = dg.DagsterInstance.get()
    [run] = wait_for_runs(instance, 1)
    assert run.status == dg.DagsterRunStatus.SUCCESS and run.tags["dagster/partition"] == "2024-S1|33.23"
    assert run.tags.get("dagster/sensor_name") == "landing_sensor"
    # The sensor added the semester and the kabupaten the files in the semester folder are for.
    assert instance.get_dynamic_partitions("semester") == ["2024-S1"]
    assert instance.get_dynamic_partitions("wilayah") == ["33.23"]
    dagster_cli(env, "sensor", "stop", "landing_sensor")
    dagster_cli(env, "sensor", "start", "national_sensor")  # the kabupaten published: the national step follows
    national = wait_for_runs(instance, 2)[0]
    assert national.job_name == "national_job" and national.status == dg.DagsterRunStatus.SUCCESS
    assert national.tags["dagster/partition"] == "2024-S1"
    dagster_cli(env, "sensor", "stop", "national_sensor")

    # 2024-S2 lands; an operator adds its partition and backfills both semesters: the queue runs them in order.
    settled_copy(small_kabupaten / "2024-S2", landing / "2024-S2")
    instance.add_dynamic_partitions("semester", ["2024-S2"])
    dagster_cli(env, "job", "backfill", "-j", "semester_job", "--partitions", "2024-S1|33.23,2024-S2|33.23",
                "--noprompt")
    wait_for_runs(instance, 4)
    backfill = sorted((r for r in instance.get_run_records() if "dagster/backfill" in r.dagster_run.tags),
                      key=lambda r: r.start_time)
    assert [(r.dagster_run.tags["dagster/partition"], r.dagster_run.status) for r in backfill] == [
        ("2024-S1|33.23", dg.DagsterRunStatus.SUCCESS), ("2024-S2|33.23", dg.DagsterRunStatus.SUCCESS)]
    assert backfill[1].start_time >= backfill[0].end_time  # one after the other, not side by side
    published = warehouse.publications(env["PEMADANAN_WAREHOUSE_URL"])
    assert published.loc[("2024-S2", "33.23"), "compared_with"] == "2024-S1"

    population = pd.read_csv(small_kabupaten / "2024-S1" / "population.csv", dtype=str)
    names = sorted(n for n in population["NAMA_LGKP"] if " " in n and len(n) >= 12)[:200]
    data = Path(env["PEMADANAN_DATA_DIR"])
    assert personal_data_on_disk([Path(env["DAGSTER_HOME"]), data], set(population["NIK"]), names,
                                 skip=data / "coklit") == []
    assert any((data / "data_docs").rglob("index.html"))  # the Data Docs were written, and were scanned
