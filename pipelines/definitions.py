"""The whole pemadanan system, as Dagster sees it.

Per kabupaten and semester (partition 2024-S2|33.23: semester_job), started by its files landing or by the backstop
schedule:
ingest (population, voters, deaths; each validated by its expectation suite, shown as asset checks)
-> link (voter_resident_links: the NIK/probabilistic cascade, duplicates, review queue)
-> outputs (population_changes, tms_candidates, eligible_unregistered, new_voters, coverage_by_region)
-> publish (restricted.*, published.*, the kabupaten's partitions only; the dashboard role reads published only)
-> coklit_lists (a CSV and an XLSX per desa for the officers who visit), semester_report.
Step outputs are staged in the warehouse (`resources.WarehouseStaging`), never in a file: a failed step re-executes
from failure, and one asset materializes alone.

Per semester (national_job), started when kabupaten have published: the national step (restricted.national_findings,
published.national_coverage) looks every published kabupaten's unlinked voters up in all of them; then each
kabupaten's coklit lists and report are written again with its findings (officer_files_job).
"""

from __future__ import annotations

import os

import dagster as dg

from assets import ingest, linkage, national, outputs, publish
from pipelines import jobs
from pipelines.sensors import landing_sensor, national_sensor, officer_files_sensor, semester_backstop_schedule
from resources import DEPLOYMENT_VARIABLE, for_deployment

defs = dg.Definitions(
    assets=dg.load_assets_from_modules([ingest, linkage, outputs, publish, national]),
    jobs=[jobs.semester_job, jobs.national_job, jobs.officer_files_job],
    sensors=[landing_sensor, national_sensor, officer_files_sensor],
    schedules=[semester_backstop_schedule],
    # landing, validation, linkage, warehouse_db, election_calendar, coklit, and the io_manager that stages step
    # outputs in the warehouse; configured per deployment: local (embedded PostgreSQL), external, kubernetes.
    resources=for_deployment(os.environ.get(DEPLOYMENT_VARIABLE)),
    # semester_job's config picks one process or steps side by side (sizing.run_config); runs of assets picked in
    # the UI take the executor's default, side by side.
    executor=dg.multi_or_in_process_executor,
)


def semester_job():
    """The job, reconstructable in the processes its steps run in (`pemadanan run`)."""
    return defs.resolve_job_def("semester_job")


def national_job():
    return defs.resolve_job_def("national_job")


def officer_files_job():
    return defs.resolve_job_def("officer_files_job")
