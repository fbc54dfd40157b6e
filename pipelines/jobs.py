from __future__ import annotations

import dagster as dg

from pemadanan.sizing import IN_PROCESS, MULTIPROCESS

NATIONAL = dg.AssetSelection.groups("national")

semester_job = dg.define_asset_job(
    "semester_job",
    selection=dg.AssetSelection.all() - NATIONAL,
    description="One kabupaten's semester end to end: ingest, validate, link, outputs, publish.",
    # The run queue (deploy/dagster*.yaml) runs one run of a kabupaten at a time (Dagster's tag
    # dagster/partition/wilayah), in the order they were requested: each semester compares with its predecessor's
    # published snapshot. Its steps run side by side unless a run says otherwise (`sizing.run_config`).
    config={"execution": {"config": MULTIPROCESS}},
)

national_job = dg.define_asset_job(
    "national_job",
    selection=NATIONAL,
    description="The national step of a semester: movers, people listed twice and residents listed elsewhere, across "
                "every kabupaten published for it.",
    tags={"pemadanan/national_run": "true"},
    config={"execution": {"config": IN_PROCESS}},  # one step
)
