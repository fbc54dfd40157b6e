from __future__ import annotations

import dagster as dg

semester_job = dg.define_asset_job(
    "semester_job",
    selection=dg.AssetSelection.all(),
    description="One semester end to end: ingest, validate, link, outputs, publish.",
    # The run queue (deploy/dagster*.yaml) runs one semester at a time, in the order they were requested: each
    # compares with its predecessor's published snapshot.
    tags={"pemadanan/semester_run": "true"},
)
