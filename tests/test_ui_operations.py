"""Operating a kabupaten's semester from the Dagster UI, in a real browser, as a data engineer does: `pemadanan ui`
(webserver, daemon, run workers in processes of their own, steps side by side), a partition launched from the
launchpad, its step worker killed during linking, "Re-execute from failure", a publish that failed, the publish step
materialized alone, the coklit lists materialized alone. Published tables are compared with an undisturbed run's.
Screenshots are kept in test-artifacts/ui/."""

from __future__ import annotations

import os
import shutil
import signal
import time
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest
from conftest import free_port, new_database, pemadanan_ui, published_rows, same_tables
from playwright.sync_api import Page
from test_end_to_end import personal_data_on_disk
from test_ui import screenshot

from pemadanan import settings
from pemadanan.warehouse import connect

pytestmark = [pytest.mark.browser, pytest.mark.daemon]  # `pemadanan ui`: webserver and daemon
KEY = "2024-S1|33.23"


@pytest.fixture(scope="module")
def operated(tmp_path_factory, pg_server_url, small_kabupaten):
    """`pemadanan ui` on a landing folder holding 2024-S1 of 33.23, its partition known (as the sensor adds it), on
    the shipped SQLite instance; every run's steps in processes of their own, as at 1M residents. Yields the UI's
    URL, the instance, the warehouse URL and the environment."""
    work = tmp_path_factory.mktemp("operated")
    shutil.copytree(small_kabupaten / "2024-S1", work / "landing" / "2024-S1" / "33.23")
    home = work / "dagster_home"
    home.mkdir()
    shutil.copy(settings.PROJECT_ROOT / "deploy" / "dagster.yaml", home / "dagster.yaml")
    ui_port, files_port = free_port(), free_port()
    env = {**os.environ, "DAGSTER_HOME": str(home), "PEMADANAN_DATA_DIR": str(work / "data"),
           "PEMADANAN_LANDING_DIR": str(work / "landing"), "PEMADANAN_ONE_PROCESS_MAX_RESIDENTS": "0",
           "PEMADANAN_WAREHOUSE_URL": new_database(pg_server_url, "operated")}
    with dg.DagsterInstance.from_config(str(home)) as instance:
        instance.add_dynamic_partitions("semester", ["2024-S1"])
        instance.add_dynamic_partitions("wilayah", ["33.23"])
        with pemadanan_ui(env, ui_port, files_port) as dagster_url:
            yield dagster_url, instance, env["PEMADANAN_WAREHOUSE_URL"], env


def launch_partition(page: Page, dagster_url: str) -> str:
    """The launchpad of semester_job: the partition picked, "Launch Run". The run's id."""
    page.goto(f"{dagster_url}/locations/pipelines.definitions/jobs/semester_job/playground")
    picker = page.get_by_placeholder("Partition")
    picker.wait_for(timeout=60_000)
    picker.fill(KEY)
    page.get_by_role("menuitem", name=KEY).click()
    page.get_by_text("partition/wilayah: 33.23").wait_for()  # the partition's config and tags are loaded
    page.get_by_role("button", name="Launch Run").click()
    page.wait_for_url("**/runs/*", timeout=60_000)
    return run_id_of(page)


def run_id_of(page: Page) -> str:
    return page.url.split("/runs/")[1].split("?")[0].split("/")[0]


def materialize_alone(page: Page, dagster_url: str, asset_path: str) -> None:
    """The asset's page, "Materialize…", its one partition picked in both dimensions, "Launch 1 run"."""
    page.goto(f"{dagster_url}/assets/{asset_path}")
    page.locator("button", has_text="Materialize…").first.click(timeout=60_000)
    dialog = page.get_by_role("dialog")
    together = dialog.get_by_text("Additional assets will be materialized")  # the tables its step publishes with it
    try:
        together.or_(dialog.get_by_text("Partition selection")).wait_for(timeout=60_000)
    except Exception:
        screenshot(page, f"operations-materialize-{asset_path.replace('/', '-')}-dialog")
        raise
    if together.is_visible():
        dialog.get_by_role("button", name="Confirm").click()
        together.wait_for(state="detached")
        dialog.get_by_text("Partition selection").wait_for(timeout=60_000)
    picked = dialog.get_by_text("1 partition", exact=True)
    deadline = time.time() + 60
    while not picked.is_visible() and time.time() < deadline:  # "All" does nothing until the partitions loaded
        for every in dialog.get_by_role("button", name="All", exact=True).all():  # one semester, one kabupaten
            every.click()
        time.sleep(1)
    try:
        dialog.locator("button", has_text="Launch 1 run").click()
    finally:
        screenshot(page, f"operations-materialize-{asset_path.replace('/', '-')}")
    dialog.wait_for(state="detached")


def latest_run(instance: dg.DagsterInstance, after: set[str], timeout: float = 60) -> str:
    deadline = time.time() + timeout
    while time.time() < deadline:
        new = [r.run_id for r in instance.get_runs() if r.run_id not in after]
        if new:
            return new[0]
        time.sleep(0.5)
    raise AssertionError(f"no run was launched in {timeout} s")


def finished(instance: dg.DagsterInstance, run_id: str, timeout: float = 300) -> dg.DagsterRun:
    deadline = time.time() + timeout
    while time.time() < deadline:
        run = instance.get_run_by_id(run_id)
        if run.is_finished:
            return run
        time.sleep(1)
    raise AssertionError(f"run {run_id} still {instance.get_run_by_id(run_id).status} after {timeout} s")


def published_semesters(url: str) -> list[tuple[str, str]]:
    """(semester, kabupaten) of every publication in the warehouse."""
    with connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT to_regclass('published.publications')")
        found = []
        if cur.fetchone()[0] is not None:
            cur.execute("SELECT semester, kabupaten FROM published.publications")
            found = cur.fetchall()
    conn.close()
    return found


def steps(instance: dg.DagsterInstance, run_id: str, kind: dg.DagsterEventType) -> set[str]:
    return {record.step_key for record in instance.all_logs(run_id, of_type=kind)}


def kill_when_started(instance: dg.DagsterInstance, run_id: str, step: str, timeout: float = 300) -> None:
    """SIGKILL to the process running the step, as soon as it started (as the kernel's OOM killer would)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        started = [r for r in instance.all_logs(run_id, of_type=dg.DagsterEventType.STEP_START) if r.step_key == step]
        if started:
            os.kill(started[0].dagster_event.pid, signal.SIGKILL)
            return
        time.sleep(0.05)
    raise AssertionError(f"{step} did not start in {timeout} s")


def test_a_killed_step_re_executes_from_failure_and_one_asset_materializes_alone_from_the_ui(
        operated, page, undisturbed, small_kabupaten):
    dagster_url, instance, url, env = operated

    # Launched from the launchpad; its linking worker killed.
    killed = launch_partition(page, dagster_url)
    kill_when_started(instance, killed, "voter_resident_links")
    assert finished(instance, killed).status == dg.DagsterRunStatus.FAILURE
    assert steps(instance, killed, dg.DagsterEventType.STEP_FAILURE) == {"voter_resident_links"}
    assert {"population", "voters", "deaths"} <= steps(instance, killed, dg.DagsterEventType.STEP_SUCCESS)
    page.goto(f"{dagster_url}/runs/{killed}")
    page.get_by_text("ChildProcessCrashException").first.wait_for(timeout=60_000)
    screenshot(page, "operations-killed-in-linking")

    # A warehouse table that is not what this version writes (a view where restricted.coklit_list belongs): the
    # publish will fail.
    with connect(url) as conn, conn.cursor() as cur:
        cur.execute("CREATE SCHEMA restricted")
        cur.execute("CREATE VIEW restricted.coklit_list AS SELECT 1 AS not_a_column_of_it")
    conn.close()

    # "Re-execute" > "From failure": linking and what follows run again, on what the killed run staged; the publish
    # fails and publishes nothing.
    page.get_by_role("button", name="Re-execute all (*)").wait_for()
    buttons = page.locator("button").all()
    labels = [button.inner_text() for button in buttons]
    buttons[labels.index("Re-execute all (*)") + 1].click()  # the menu beside it
    started = time.time()
    page.get_by_role("menuitem", name="From failure").click()
    page.wait_for_url(lambda address: f"/runs/{killed}" not in address and "/runs/" in address, timeout=60_000)
    again = finished(instance, run_id_of(page))
    print(f"re-executed from failure to the failed publish in {time.time() - started:.0f} s")
    assert again.parent_run_id == killed and again.tags["dagster/partition"] == KEY
    ran = steps(instance, again.run_id, dg.DagsterEventType.STEP_START)
    assert "voter_resident_links" in ran and not ran & {"population", "voters", "deaths"}
    assert steps(instance, again.run_id, dg.DagsterEventType.STEP_FAILURE) == {"warehouse_tables"}
    assert steps(instance, again.run_id, dg.DagsterEventType.STEP_SUCCESS) >= {
        "voter_resident_links", "eligible_unregistered", "new_voters", "tms_candidates", "coverage_by_region"}
    assert published_semesters(url) == []
    screenshot(page, "operations-re-executed-to-a-failed-publish")

    # The warehouse mended, the publish step materializes alone from what the re-execution staged, and publishes
    # what an undisturbed run does.
    with connect(url) as conn, conn.cursor() as cur:
        cur.execute("DROP VIEW restricted.coklit_list")
    conn.close()
    before = {r.run_id for r in instance.get_runs()}
    materialize_alone(page, dagster_url, "restricted/voter_links")
    published = finished(instance, latest_run(instance, before))
    assert published.status == dg.DagsterRunStatus.SUCCESS
    assert steps(instance, published.run_id, dg.DagsterEventType.STEP_START) == {"warehouse_tables"}
    same_tables(url, undisturbed)
    page.goto(f"{dagster_url}/runs/{published.run_id}")
    page.get_by_text("Success").first.wait_for(timeout=60_000)
    screenshot(page, "operations-published-alone")

    # The coklit lists of the published partition, alone (their one input: the published coklit list).
    before = {r.run_id for r in instance.get_runs()}
    materialize_alone(page, dagster_url, "coklit_lists")
    lists = finished(instance, latest_run(instance, before))
    assert lists.status == dg.DagsterRunStatus.SUCCESS
    assert steps(instance, lists.run_id, dg.DagsterEventType.STEP_START) == {"coklit_lists"}

    # Nothing personal on disk after all of it but the officers' lists.
    population = pd.read_csv(small_kabupaten / "2024-S1" / "population.csv", dtype=str)
    names = sorted(n for n in population["NAMA_LGKP"] if " " in n and len(n) >= 12)[:200]
    data = Path(env["PEMADANAN_DATA_DIR"])
    assert any((data / "coklit").rglob("*.xlsx"))
    assert personal_data_on_disk([Path(env["DAGSTER_HOME"]), data], set(population["NIK"]), names,
                                 skip=data / "coklit") == []
    assert published_rows(url)["restricted.coklit_list"].shape[0] > 0
