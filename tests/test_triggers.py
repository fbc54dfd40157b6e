"""The landing sensor and the backstop schedule decide which kabupaten's semester to run, and when; the national
sensor when to run a semester's national step."""

import datetime as dt
import os
import time

import dagster as dg
import pytest

from assets.partitions import partition_key
from pemadanan import settings
from pemadanan.ingest import FileRejected
from pemadanan.quality import checks_markdown
from pemadanan.sizing import SIZE_CLASS_TAG
from pemadanan.warehouse import dashboards_markdown, tables_markdown
from pipelines.sensors import SETTLE_SECONDS, landing_sensor, officer_file_requests, semester_backstop_schedule
from resources import LandingZone, Warehouse


def deliver(root, semester, *names, age=SETTLE_SECONDS + 5, kabupaten="33.23"):
    folder = root / semester / kabupaten
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        path = folder / name
        path.write_text("x\n")
        os.utime(path, (time.time() - age, time.time() - age))


def evaluate(root, url, cursor=None):
    with dg.instance_for_test() as instance:
        context = dg.build_sensor_context(instance=instance, cursor=cursor, resources={
            "landing": LandingZone(root=str(root)), "warehouse_db": Warehouse(url=url)})
        result = landing_sensor(context)
        return result.run_requests, result.cursor


def test_sensor_runs_complete_settled_semesters_once(tmp_path, fresh_database):
    url = fresh_database("warehouse")
    deliver(tmp_path, "2024-S1", "population.csv", "voters.csv")
    deliver(tmp_path, "2024-S2", "population.csv")  # voters not delivered yet
    deliver(tmp_path, "2025-S1", "population.csv", "voters.csv", age=0)  # still being copied
    deliver(tmp_path, "truth", kabupaten="")  # not a semester
    requests, cursor = evaluate(tmp_path, url)
    assert [r.partition_key for r in requests] == ["2024-S1|33.23"]
    assert requests[0].tags[SIZE_CLASS_TAG] == "small"  # one line: the smallest pod (deploy/helm/values.yaml)

    again, cursor = evaluate(tmp_path, url, cursor)
    assert again == []

    deliver(tmp_path, "2024-S1", "voters.csv", age=SETTLE_SECONDS + 1)  # re-delivered
    (tmp_path / "2024-S1" / "33.23" / "voters.csv").write_text("y, a longer file\n")
    os.utime(tmp_path / "2024-S1" / "33.23" / "voters.csv", (time.time() - 100, time.time() - 100))
    deliver(tmp_path, "2024-S1", "population.csv", "voters.csv", kabupaten="33.24")  # a second kabupaten lands
    redelivered, _ = evaluate(tmp_path, url, cursor)
    assert [r.partition_key for r in redelivered] == ["2024-S1|33.23", "2024-S1|33.24"]


def test_schedule_runs_the_semester_that_just_closed_or_says_what_is_missing(tmp_path):
    resources = {"landing": LandingZone(root=str(tmp_path))}
    mid_august = dt.datetime(2025, 8, 15, 6, tzinfo=dt.timezone(dt.timedelta(hours=7)))
    with dg.instance_for_test() as instance:
        context = dg.build_schedule_context(instance=instance, scheduled_execution_time=mid_august, resources=resources)
        skip = semester_backstop_schedule(context)
        assert isinstance(skip, dg.SkipReason) and "2025-S1: no files in" in skip.skip_message

        deliver(tmp_path, "2025-S1", "population.csv", kabupaten="33.24")
        skip = semester_backstop_schedule(context)
        assert isinstance(skip, dg.SkipReason) and "2025-S1: 33.24: waiting for voters" in skip.skip_message
        deliver(tmp_path, "2025-S1", "population.csv", "voters.csv")
        [request] = semester_backstop_schedule(dg.build_schedule_context(
            instance=instance, scheduled_execution_time=mid_august, resources=resources))
        assert request.partition_key == "2025-S1|33.23" and instance.has_dynamic_partition("semester", "2025-S1")
        assert instance.has_dynamic_partition("wilayah", "33.23")
        assert request.tags[SIZE_CLASS_TAG] == "small"


def test_table_and_validation_docs_are_generated_from_the_definitions():
    assert (settings.PROJECT_ROOT / "docs" / "TABLES.md").read_text() == tables_markdown() + "\n"
    assert (settings.PROJECT_ROOT / "docs" / "DASHBOARDS.md").read_text() == dashboards_markdown() + "\n"
    assert (settings.PROJECT_ROOT / "docs" / "VALIDATION.md").read_text() == checks_markdown() + "\n"


def test_file_names_are_found_whatever_their_case_and_a_loop_or_a_second_copy_is_named(tmp_path, fresh_database):
    url = fresh_database("warehouse")
    deliver(tmp_path, "2024-S1", "Population.CSV", "VOTERS.csv", "Deaths.CSV")
    files = LandingZone(root=str(tmp_path)).semester_files("2024-S1", "33.23")
    assert (files.population.name, files.voters.name, files.deaths.name) == ("Population.CSV", "VOTERS.csv", "Deaths.CSV")

    deliver(tmp_path, "2024-S2", "population.csv", "population.xlsx", "voters.csv")
    with pytest.raises(FileRejected, match="population.csv and population.xlsx both delivered"):
        LandingZone(root=str(tmp_path)).semester_files("2024-S2", "33.23")

    deliver(tmp_path, "2025-S1", "population.csv")
    (tmp_path / "2025-S1" / "33.23" / "voters.csv").symlink_to(tmp_path / "2025-S1" / "33.23" / "voters.csv")
    with pytest.raises(FileRejected, match="voters.csv: a symlink, not a folder or file of its own"):
        LandingZone(root=str(tmp_path)).semester_files("2025-S1", "33.23")
    requests, _ = evaluate(tmp_path, url)  # the sensor skips what it cannot read, and runs the rest
    assert [r.partition_key for r in requests] == ["2024-S1|33.23"]


def publish(url, semester, compared_with=None, kabupaten="33.23"):
    import pandas as pd

    from pemadanan import warehouse

    warehouse.replace_kabupaten(url, semester, kabupaten, {warehouse.PUBLICATIONS: pd.DataFrame({
        "published_at": [pd.Timestamp.now(tz="UTC")], "compared_with": [compared_with], "landing": [None]})},
        dashboard=None)


def test_semesters_run_in_order_and_one_published_before_its_predecessor_runs_again(tmp_path, fresh_database):
    url = fresh_database("warehouse")
    deliver(tmp_path, "2024-S2", "population.csv", "voters.csv")
    deliver(tmp_path, "2099-S1", "population.csv", "voters.csv")  # not closed: no partition, no run
    requests, cursor = evaluate(tmp_path, url)
    assert [r.partition_key for r in requests] == ["2024-S2|33.23"]  # nothing before it was delivered
    publish(url, "2024-S2")  # compared with nothing

    deliver(tmp_path, "2024-S1", "population.csv", "voters.csv")  # the predecessor arrives late
    deliver(tmp_path, "2025-S1", "population.csv", "voters.csv")
    requests, cursor = evaluate(tmp_path, url, cursor)
    assert [r.partition_key for r in requests] == ["2024-S1|33.23"]  # the rest wait for it, one after the other
    publish(url, "2024-S1")
    requests, cursor = evaluate(tmp_path, url, cursor)
    assert [(r.partition_key, r.tags["pemadanan/why"]) for r in requests] == [("2024-S2|33.23", "2024-S1 published after it")]
    publish(url, "2024-S2", compared_with="2024-S1")
    requests, cursor = evaluate(tmp_path, url, cursor)
    assert [r.partition_key for r in requests] == ["2025-S1|33.23"]
    publish(url, "2025-S1", compared_with="2024-S2")
    requests, _ = evaluate(tmp_path, url, cursor)
    assert requests == []


def test_files_straight_in_the_semester_folder_are_the_kabupaten_most_residents_live_in(tmp_path, small_kabupaten):
    import shutil

    shutil.copytree(small_kabupaten / "2024-S1", tmp_path / "2024-S1")  # the single-kabupaten layout
    zone = LandingZone(root=str(tmp_path))
    assert zone.delivered_kabupaten("2024-S1").keys == ["33.23"]
    assert zone.semester_files("2024-S1", "33.23").population == tmp_path / "2024-S1" / "population.csv"
    assert zone.semester_files("2024-S1", "33.24").population is None
    (tmp_path / "2024-S2").mkdir()
    shutil.copy(small_kabupaten / "2024-S2" / "voters.csv", tmp_path / "2024-S2")
    [refused] = zone.delivered_kabupaten("2024-S2").refused
    assert "a voter file and no population file" in refused
    (tmp_path / "2025-S1").mkdir()
    (tmp_path / "2025-S1" / "population.csv").write_text("NIK,NAMA_LGKP\n1,A\n")
    [refused] = zone.delivered_kabupaten("2025-S1").refused
    assert "no NO_PROP and NO_KAB columns" in refused


def test_the_national_step_runs_once_the_semester_is_published_and_again_when_a_kabupaten_publishes_again(
        tmp_path, fresh_database):
    import pandas as pd

    from pemadanan import warehouse
    from pipelines.sensors import national_sensor

    url = fresh_database("warehouse")

    def tick():
        with dg.instance_for_test() as instance:
            return national_sensor(dg.build_sensor_context(instance=instance, resources={
                "warehouse_db": Warehouse(url=url)}))

    assert tick() == []
    publish(url, "2024-S1")
    publish(url, "2024-S1", kabupaten="33.24")
    [request] = tick()
    assert request.partition_key == "2024-S1" and request.tags["pemadanan/why"] == "2 kabupaten published"
    published = warehouse.publications(url).reset_index()
    coverage = published[published["semester"] == "2024-S1"][["kabupaten", "published_at"]].assign(
        kabupaten_covered=2, moved_out=0, listed_twice=0, listed_elsewhere=0, computed_at=pd.Timestamp.now(tz="UTC"),
        died_elsewhere=0, listed_elsewhere_high=0)
    warehouse.replace_kabupaten(url, "2024-S1", None, {warehouse.NATIONAL_COVERAGE: coverage},  # as the step writes
                                dashboard=None)
    # Each kabupaten the step read gets its coklit lists and report again, with the findings, once per national run.
    national_run = dg.DagsterRun(job_name="national_job", run_id="a1b2c3", tags={"dagster/partition": "2024-S1"})
    assert [(r.partition_key, r.run_key) for r in officer_file_requests(url, national_run)] == [
        (partition_key("2024-S1", k), f"a1b2c3:{k}") for k in sorted(coverage["kabupaten"])]
    assert tick() == []
    publish(url, "2024-S1", kabupaten="33.24")  # a kabupaten published again
    [again] = tick()
    assert again.partition_key == "2024-S1" and again.run_key != request.run_key
