from __future__ import annotations

import dagster as dg

from assets.partitions import kabupaten_partitions
from pemadanan.ingest import FileRejected
from pemadanan.keys import KeyRejected
from pemadanan.sizing import IN_PROCESS, counted_rows, one_process_max_residents, run_config
from resources import LandingZone

NATIONAL = dg.AssetSelection.groups("national")


def execution_for(partition: str) -> dict:
    """A kabupaten's run executes its steps by the size of its population file (`sizing.run_config`: in one process,
    or side by side above the deployment's bound), whoever launches it: the UI, a backfill, the sensor, `pemadanan run`."""
    residents = None
    if one_process_max_residents() is not None:  # the population file is read only where its size decides
        keys = kabupaten_partitions.get_partition_key_from_str(partition).keys_by_dimension
        try:
            population = LandingZone().semester_files(keys["semester"], keys["wilayah"]).population
        except (FileRejected, KeyRejected):
            population = None  # the run's first step says what is wrong
        residents = counted_rows(population) if population else None
    return run_config(residents)


semester_job = dg.define_asset_job(
    "semester_job",
    selection=dg.AssetSelection.all() - NATIONAL,
    description="One kabupaten's semester end to end: ingest, validate, link, outputs, publish.",
    # The run queue (deploy/dagster*.yaml) runs one run of a kabupaten at a time (Dagster's tag
    # dagster/partition/wilayah), in the order they were requested: each semester compares with its predecessor's
    # published snapshot.
    config=dg.PartitionedConfig(partitions_def=kabupaten_partitions, run_config_for_partition_key_fn=execution_for),
)

national_job = dg.define_asset_job(
    "national_job",
    selection=NATIONAL,
    description="The national step of a semester: movers, people listed twice and residents listed elsewhere, across "
                "every kabupaten published for it.",
    tags={"pemadanan/national_run": "true"},
    config={"execution": {"config": IN_PROCESS}},  # one step
)

officer_files_job = dg.define_asset_job(
    "officer_files_job",
    selection=dg.AssetSelection.assets("coklit_lists", "semester_report"),
    partitions_def=kabupaten_partitions,
    description="A kabupaten's coklit lists and semester report written again from what it published, with what the "
                "national step found since (after each national step: officer_files_sensor, pemadanan run).",
    config={"execution": {"config": IN_PROCESS}},
)
