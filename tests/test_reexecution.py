"""Dagster as data engineers use it: a failed step re-executes from failure, and one asset materializes alone, from
the outputs staged in the warehouse; the tables published are those of an undisturbed run."""

from __future__ import annotations

import shutil

import dagster as dg
import pytest
from conftest import same_tables

from assets.partitions import partition_key
from pemadanan import warehouse
from pemadanan.warehouse import staging
from pipelines.definitions import defs

KEY = partition_key("2024-S1", "33.23")


def semester_job():
    return defs.resolve_job_def("semester_job")


@pytest.fixture
def partition(small_kabupaten, tmp_path, monkeypatch, fresh_database):
    """A landing folder with 2024-S1 of the small kabupaten, a warehouse of its own, and a persistent instance."""
    landing = tmp_path / "landing"
    shutil.copytree(small_kabupaten / "2024-S1", landing / "2024-S1" / "33.23")
    for name, value in (("PEMADANAN_DATA_DIR", tmp_path / "data"), ("PEMADANAN_LANDING_DIR", landing),
                        ("PEMADANAN_WAREHOUSE_URL", fresh_database("warehouse"))):
        monkeypatch.setenv(name, str(value))
    with dg.instance_for_test() as instance:  # on disk, in a folder of its own: runs can be re-executed
        instance.add_dynamic_partitions("semester", ["2024-S1"])
        instance.add_dynamic_partitions("wilayah", ["33.23"])
        yield instance


def test_a_step_that_failed_re_executes_from_failure_and_publishes_what_an_undisturbed_run_does(
        partition, undisturbed, monkeypatch):
    import assets.linkage  # noqa: PLC0415

    instance, url = partition, warehouse.resolve_url()
    with monkeypatch.context() as patch:  # linking fails, as a worker out of memory would
        patch.setattr(assets.linkage, "link", lambda *args, **kwargs: (_ for _ in ()).throw(MemoryError()))
        failed = semester_job().execute_in_process(partition_key=KEY, instance=instance, raise_on_error=False)
    assert not failed.success
    assert [e.step_key for e in failed.all_events if e.is_step_failure] == ["voter_resident_links"]
    assert staging.read(url, KEY, "population") is not None  # what ran before the failure is staged

    # As the UI's "Re-execute from failure" does: the parent's partition tags go with it (execute_job would not).
    tags = {k: v for k, v in instance.get_run_by_id(failed.run_id).tags.items() if k.startswith("dagster/partition")}
    with dg.execute_job(dg.reconstructable(semester_job), instance=instance, tags=tags,
                        reexecution_options=dg.ReexecutionOptions.from_failure(failed.run_id, instance)) as again:
        assert again.success
        ran = {e.step_key for e in again.all_events if e.is_step_start}
    assert "population" not in ran and "voters" not in ran and "voter_resident_links" in ran
    same_tables(url, undisturbed)
    assert staging.read(url, KEY, "population") is None  # published: the partition's staging is dropped


def materialize_alone(instance, key: dg.AssetKey) -> dg.ExecuteInProcessResult:
    """As "Materialize selected" in the UI: the asset given (with the tables its step publishes together), its inputs
    loaded from what is staged or published."""
    from assets import ingest, linkage, national, outputs, publish  # noqa: PLC0415

    every = dg.load_assets_from_modules([ingest, linkage, outputs, publish, national])
    return dg.materialize(every, selection=dg.AssetSelection.assets(key).required_multi_asset_neighbors(),
                          partition_key=KEY, instance=instance, resources=defs.resources, raise_on_error=False)


def test_one_asset_materializes_alone_a_publish_that_failed_and_the_lists_of_a_published_partition(
        partition, undisturbed, monkeypatch):
    instance, url = partition, warehouse.resolve_url()
    with monkeypatch.context() as patch:  # the warehouse refuses the publish
        patch.setattr(warehouse, "replace_kabupaten", lambda *a, **k: (_ for _ in ()).throw(
            warehouse.WarehouseUnavailable("the warehouse went away")))
        failed = semester_job().execute_in_process(partition_key=KEY, instance=instance, raise_on_error=False)
    assert [e.step_key for e in failed.all_events if e.is_step_failure] == ["warehouse_tables"]

    published = materialize_alone(instance, dg.AssetKey(["restricted", "voter_links"]))  # the publish step alone
    assert published.success and {e.step_key for e in published.all_events if e.is_step_start} == {"warehouse_tables"}
    same_tables(url, undisturbed)

    lists = materialize_alone(instance, dg.AssetKey("coklit_lists"))  # staging is dropped by now
    assert lists.success, [e.step_failure_data.error.message for e in lists.all_events if e.is_step_failure]
