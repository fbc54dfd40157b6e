"""A kill at every step boundary of a kabupaten's semester, each followed by "re-execute from failure", through a real
Dagster instance with every step in a process of its own (as runs of large kabupaten and the UI's asset runs go).

One chain of runs: every step is killed (SIGKILL, as the kernel's OOM killer does) the first time it starts, and each
failed run is re-executed from failure; the steps a run has already killed pass in the next. Every step is killed
once, the chain ends in a run that succeeds, and the published tables equal an undisturbed run's.
"""

from __future__ import annotations

import os
import shutil
import signal
import threading

import dagster as dg
import pandas as pd
import pytest
from conftest import new_database, same_tables
from test_end_to_end import personal_data_on_disk

from pemadanan import settings
from pemadanan.warehouse import connect, staging
from pipelines import definitions

KEY = "2024-S1|33.23"


class StepKiller:
    """Watches the instance's runs and kills each step's process the first time the step starts, in any run."""

    def __init__(self, instance: dg.DagsterInstance) -> None:
        self.instance = instance
        self.killed: dict[str, str] = {}  # step -> run it was killed in
        self.escaped: set[str] = set()  # finished before it could be killed
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> StepKiller:
        self._thread.start()
        return self

    def __exit__(self, *_) -> None:
        self._stop.set()
        self._thread.join()

    def _watch(self) -> None:
        while not self._stop.wait(0.02):
            for run in self.instance.get_runs(limit=1):
                for record in self.instance.all_logs(run.run_id, of_type=dg.DagsterEventType.STEP_START):
                    if record.step_key in self.killed or record.step_key in self.escaped:
                        continue
                    try:
                        os.kill(record.dagster_event.pid, signal.SIGKILL)
                        self.killed[record.step_key] = run.run_id
                    except ProcessLookupError:
                        self.escaped.add(record.step_key)


@pytest.fixture
def landed(tmp_path, monkeypatch, pg_server_url, small_kabupaten):
    shutil.copytree(small_kabupaten / "2024-S1", tmp_path / "landing" / "2024-S1" / "33.23")
    url = new_database(pg_server_url, "faults")
    for name, value in (("PEMADANAN_DATA_DIR", tmp_path / "data"), ("PEMADANAN_LANDING_DIR", tmp_path / "landing"),
                        ("PEMADANAN_WAREHOUSE_URL", url), ("PEMADANAN_ONE_PROCESS_MAX_RESIDENTS", "0")):
        monkeypatch.setenv(name, str(value))
    return tmp_path, url


def staged_outputs(url: str) -> int:
    with connect(url) as conn, conn.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM {staging.MANIFEST}")
        count = cur.fetchone()[0]
    conn.close()
    return count


def test_a_kill_at_every_step_boundary_re_executes_from_failure_to_the_undisturbed_tables(
        landed, undisturbed, small_kabupaten):
    work, url = landed
    job = definitions.semester_job()
    steps = {node.name for node in job.graph.nodes}
    run_config = job.get_run_config_for_partition_key(KEY)
    assert "multiprocess" in run_config["execution"]["config"]  # each step its own process, which a kill ends
    tags = job.partitions_def.get_tags_for_partition_key(KEY)

    home = work / "dagster_home"
    home.mkdir()
    shutil.copy(settings.PROJECT_ROOT / "deploy" / "dagster.yaml", home / "dagster.yaml")  # the shipped instance
    with dg.DagsterInstance.from_config(str(home)) as instance, StepKiller(instance) as killer:
        instance.add_dynamic_partitions("semester", ["2024-S1"])
        instance.add_dynamic_partitions("wilayah", ["33.23"])
        result = dg.execute_job(dg.reconstructable(definitions.semester_job), instance=instance,
                                run_config=run_config, tags=tags)
        runs = [result]
        while not result.success and len(runs) <= len(steps):
            failed = {event.step_key for event in result.all_events if event.is_step_failure}
            assert failed and failed <= set(killer.killed), f"steps failed that were not killed: {failed}"
            result = dg.execute_job(dg.reconstructable(definitions.semester_job), instance=instance, tags=tags,
                                    reexecution_options=dg.ReexecutionOptions.from_failure(result.run_id, instance))
            runs.append(result)

    assert result.success, f"the chain did not end in a run that succeeds after {len(runs)} runs"
    assert not killer.escaped, f"steps ended before their kill: {killer.escaped}"
    assert set(killer.killed) == steps
    assert len(runs) > 3  # the ingests, linking, the outputs and publish were killed in runs of their own
    same_tables(url, undisturbed)
    assert staged_outputs(url) == 0  # dropped when the partition published
    population = pd.read_csv(small_kabupaten / "2024-S1" / "population.csv", dtype=str)
    names = sorted(n for n in population["NAMA_LGKP"] if " " in n and len(n) >= 12)[:200]
    assert personal_data_on_disk([work / "dagster_home", work / "data"], set(population["NIK"]), names,
                                 skip=work / "data" / "coklit") == []  # the officers' lists are the exception
