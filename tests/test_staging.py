"""Step outputs staged in PostgreSQL: every output of a real semester comes back exactly as it went in (frames, dtypes,
values); a partition's staging is dropped when it publishes, and a killed run's by the sweep."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil

import dagster as dg
import numpy as np
import pandas as pd
import psycopg2
import pytest
from conftest import new_database

from assets.partitions import partition_key
from pemadanan.ingest import IngestResult
from pemadanan.linkage import LinkResult
from pemadanan.warehouse import staging

PARTITION = "2024-S1|33.23"


@pytest.fixture(scope="module")
def outputs(small_kabupaten, tmp_path_factory, pg_server_url):
    """Every step output of 2024-S1 of the small kabupaten, computed in memory."""
    from assets import ingest, linkage  # noqa: PLC0415
    from assets import outputs as output_assets
    from pipelines.definitions import defs  # noqa: PLC0415

    data = tmp_path_factory.mktemp("data")
    landing = data / "landing"
    shutil.copytree(small_kabupaten / "2024-S1", landing / "2024-S1")
    resources = {**defs.resources, "io_manager": dg.mem_io_manager}
    selection = dg.load_assets_from_modules([ingest, linkage, output_assets])
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PEMADANAN_DATA_DIR", str(data))
        patch.setenv("PEMADANAN_LANDING_DIR", str(landing))
        patch.setenv("PEMADANAN_WAREHOUSE_URL", new_database(pg_server_url, "outputs"))
        with dg.instance_for_test() as instance:
            instance.add_dynamic_partitions("semester", ["2024-S1"])
            instance.add_dynamic_partitions("wilayah", ["33.23"])
            result = dg.materialize(
                selection, partition_key=partition_key("2024-S1", "33.23"), instance=instance, resources=resources,
                selection=["population", "voters", "deaths", "voter_resident_links"])
    return {node: result.output_for_node(node) for node in ("population", "voters", "deaths", "voter_resident_links")}


def same(a: object, b: object) -> None:
    if isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b, check_exact=True)
        assert a.attrs == b.attrs
        return
    assert type(a) is type(b)
    for name, value in vars(a).items():
        other = getattr(b, name)
        if isinstance(value, pd.DataFrame) or value is None:
            same(value, other) if value is not None else None
        elif isinstance(value, list):
            assert len(value) == len(other) and all(
                {**vars(x), "failing_rows": None} == {**vars(y), "failing_rows": None}
                and np.array_equal(x.failing_rows, y.failing_rows) for x, y in zip(value, other, strict=True))
        elif isinstance(value, pd.Index):
            assert value.equals(other), name
        else:
            assert value == other, name


def test_every_step_output_comes_back_exactly(outputs, fresh_database):
    url = fresh_database("warehouse")
    from resources import STAGED_TYPES  # noqa: PLC0415

    for name, output in outputs.items():
        if isinstance(output, LinkResult):
            output = dataclasses.replace(output.without_measurements(), review_decisions=None)
        frames, values = output.to_frames()
        staging.write(url, PARTITION, name, "run-1", staging.Staged(frames, values))
        back = staging.read(url, PARTITION, name)
        same(output, STAGED_TYPES[type(output).__name__].from_frames(back.frames, back.values))
    assert {IngestResult, LinkResult} == {type(o) for o in outputs.values()}


def test_frames_of_every_dtype_come_back_exactly_an_output_written_again_replaces_it(fresh_database):
    url = fresh_database("warehouse")
    frame = pd.DataFrame({
        "arrow_text": pd.Series(["a", None, "c"], dtype=pd.StringDtype("pyarrow")),
        "python_text": pd.Series(["a", None, "c"], dtype="string"), "objects": ["x", None, "z"],
        "nullable_int": pd.array([1, None, 3], dtype="Int64"), "ints": np.array([1, 2, 3]),
        "nullable_bool": pd.array([True, None, False], dtype="boolean"), "bools": [True, False, True],
        "floats": [0.5, np.nan, 1.25], "dates": pd.to_datetime(["1950-01-01", None, "2024-06-30"]),
        "category": pd.Categorical(["L", "P", "L"], categories=["P", "L", "X"], ordered=True),
        "nothing": [None, None, None],
    })
    frame.attrs["compared_with"] = "2023-S2"
    staging.write(url, PARTITION, "frame", "run-1", staging.Staged({"frame": frame}, {}))
    pd.testing.assert_frame_equal(staging.read(url, PARTITION, "frame").frames["frame"], frame, check_exact=True)
    staging.write(url, PARTITION, "frame", "run-2", staging.Staged({"frame": frame.head(1)}, {"again": True}))
    again = staging.read(url, PARTITION, "frame")
    assert len(again.frames["frame"]) == 1 and again.values == {"again": True}
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'staging' AND tablename LIKE 'o\\_%'")
        assert cur.fetchone()[0] == 1  # the first version's table is gone
    conn.close()


def test_a_partition_drops_its_staging_when_it_publishes_and_the_sweep_what_killed_runs_left(fresh_database):
    url = fresh_database("warehouse")
    frame = pd.DataFrame({"n": [1]})
    for partition in (PARTITION, "2024-S1|33.24", "2024-S2|33.23"):
        staging.write(url, partition, "frame", "run", staging.Staged({"frame": frame}, {}))
    assert staging.drop_partition(url, PARTITION) == 1
    assert staging.read(url, PARTITION, "frame") is None and staging.read(url, "2024-S1|33.24", "frame") is not None
    assert staging.sweep(url, in_flight=set(), older_than=dt.timedelta(days=1)) == 0  # not old yet
    assert staging.sweep(url, in_flight={"2024-S1|33.24"}, older_than=dt.timedelta(0)) == 1  # one run is still at it
    assert staging.read(url, "2024-S2|33.23", "frame") is None and staging.read(url, "2024-S1|33.24", "frame") is not None


def test_nobody_but_the_owner_reads_staging(fresh_database):
    url = fresh_database("warehouse")
    staging.write(url, PARTITION, "frame", "run", staging.Staged({"frame": pd.DataFrame({"n": [1]})}, {}))
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("CREATE ROLE staging_probe LOGIN")
        cur.execute("SELECT has_schema_privilege('staging_probe', 'staging', 'USAGE')")
        assert cur.fetchone()[0] is False
    conn.close()
