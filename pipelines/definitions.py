"""The whole pemadanan system, as Dagster sees it.

ingest (population, voters, deaths) -> link (voter_resident_links) -> publish (restricted.*, published.*),
partitioned by semester (2024-S1, 2024-S2, ...), started by files landing or by the backstop schedule.
"""

from __future__ import annotations

import os

import dagster as dg

from assets import ingest, linkage, publish
from pipelines.jobs import semester_job
from pipelines.sensors import landing_sensor, semester_backstop_schedule
from resources import LandingZone, Warehouse


def _env_or_default(name: str) -> dg.EnvVar | str:
    # EnvVar keeps the value (a URL with a password) out of the UI and the run config.
    return dg.EnvVar(name) if os.environ.get(name) else ""


defs = dg.Definitions(
    assets=dg.load_assets_from_modules([ingest, linkage, publish]),
    jobs=[semester_job],
    sensors=[landing_sensor],
    schedules=[semester_backstop_schedule],
    resources={
        "landing": LandingZone(root=dg.EnvVar("PEMADANAN_LANDING_DIR")) if os.environ.get("PEMADANAN_LANDING_DIR") else LandingZone(),
        "warehouse_db": Warehouse(url=_env_or_default("PEMADANAN_WAREHOUSE_URL")),
    },
    # Steps share one process: each step would otherwise pay pandas/GX imports again.
    executor=dg.in_process_executor,
)
