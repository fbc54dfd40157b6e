"""The whole pemadanan system, as Dagster sees it.

ingest (population, voters, deaths; each validated by its expectation suite, shown as asset checks)
-> link (voter_resident_links: the NIK/probabilistic cascade, duplicates, review queue)
-> outputs (population_changes, tms_candidates, eligible_unregistered, new_voters, coverage_by_region)
-> publish (restricted.*, published.*; the dashboard role reads published only)
-> coklit_lists (a CSV and an XLSX per desa for the officers who visit),
partitioned by semester (2024-S1, 2024-S2, ...), started by files landing or by the backstop schedule.
Step outputs stay in the run's memory (`resources.RunMemory`): a run materializes a semester whole.
"""

from __future__ import annotations

import dagster as dg

from assets import ingest, linkage, outputs, publish
from pipelines.jobs import semester_job
from pipelines.sensors import landing_sensor, semester_backstop_schedule
from resources import CoklitLists, ElectionCalendar, LandingZone, Linkage, Validation, Warehouse, run_memory


defs = dg.Definitions(
    assets=dg.load_assets_from_modules([ingest, linkage, outputs, publish]),
    jobs=[semester_job],
    sensors=[landing_sensor],
    schedules=[semester_backstop_schedule],
    resources={
        "io_manager": run_memory,  # personal data never pickled to DAGSTER_HOME
        "landing": LandingZone(),
        "validation": Validation(),
        "linkage": Linkage(),
        "warehouse_db": Warehouse(),
        "election_calendar": ElectionCalendar(),
        "coklit": CoklitLists(),
    },
    # Steps share one process: each step would otherwise pay pandas/GX imports again.
    executor=dg.in_process_executor,
)
