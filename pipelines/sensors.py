"""What starts runs: files landing (sensor, one run per kabupaten), the national step after kabupaten publish
(sensor), each kabupaten's officer files after a national step (sensor), and a schedule as a backstop."""


import datetime as dt
import hashlib
import json
import time

import dagster as dg

from assets.partitions import IN_FLIGHT, JAKARTA, add_requests, closed, partition_key, register
from pemadanan import warehouse
from pemadanan.ingest import FileRejected
from pemadanan.keys import KeyRejected, shown
from pemadanan.semester import Semester
from pemadanan.sizing import run_tags
from pipelines.jobs import national_job, officer_files_job, semester_job
from resources import LandingZone, SemesterFiles, Warehouse

# Files younger than this may still be being copied in.
SETTLE_SECONDS = 60
SAID = "said"  # the landing sensor's cursor key for what it last said about folders and files it cannot use


def _settled_files(landing: LandingZone) -> tuple[dict[tuple[str, str], SemesterFiles], list[str]]:
    """The kabupaten whose files are complete and settled, by semester; and a line for every folder or file that
    cannot be used, and why."""
    now = time.time()
    ready, said = {}, []
    semesters = landing.delivered_semesters()
    said += semesters.refused
    for semester in semesters.keys:
        if not closed(semester):
            continue
        delivered = landing.delivered_kabupaten(semester)
        said += delivered.refused
        for kabupaten in delivered.keys:
            try:
                files = landing.semester_files(semester, kabupaten)
            except (FileRejected, KeyRejected) as rejected:
                said.append(f"{semester} {kabupaten} not started: {rejected}")
                continue
            if files.ignored:
                said.append(f"{files.folder}: {len(files.ignored)} file(s) that are no delivery file ignored (names not "
                            "shown: a scan or a note may be named after a person)")
            settled = all(now - p.stat().st_mtime >= SETTLE_SECONDS for p in (files.population, files.voters, files.deaths) if p)
            if files.complete and settled:
                ready[semester, kabupaten] = files
    return ready, said


@dg.sensor(job=semester_job, minimum_interval_seconds=300, default_status=dg.DefaultSensorStatus.STOPPED,
           description="Every 5 minutes: runs each kabupaten of each closed semester whose population and voter files "
                       "are in the landing folder and unchanged for a minute, oldest semester first; again when a "
                       "file is replaced or its predecessor was published after it.")
def landing_sensor(context: dg.SensorEvaluationContext, landing: LandingZone, warehouse_db: Warehouse):
    """Starts a run for each kabupaten of each closed semester whose population and voter files are complete and
    settled (adding its partitions), again when a file is replaced, and again when the kabupaten's semester was
    published before its predecessor (stale: its moves and corrections were computed without it). A kabupaten's
    semesters run in order: one whose predecessor's files are there but not yet published waits for it."""
    seen: dict = json.loads(context.cursor) if context.cursor else {}
    published = warehouse.publications(warehouse_db.resolved_url())
    ready, said = _settled_files(landing)
    for line in said:  # each once, not every five minutes: the cursor keeps what was said last
        if line not in seen.get(SAID, []):
            context.log.warning(line)
    seen[SAID] = said
    requests, pending, requested = [], set(), set()
    for semester, kabupaten in sorted(ready, key=lambda k: (Semester.parse(k[0]), k[1])):
        previous = (Semester.parse(semester).previous().key, kabupaten)
        key, files = partition_key(semester, kabupaten), ready[semester, kabupaten]
        if previous in ready and (previous not in published.index or previous in pending):
            pending.add((semester, kabupaten))  # its predecessor publishes first: this one compares with its snapshot
            continue
        fingerprint = files.fingerprint()
        predecessor_published = str(published.loc[previous, "published_at"]) if previous in published.index else ""
        this = (semester, kabupaten)
        stale = (this in published.index and predecessor_published != ""
                 and (published.loc[this, "compared_with"] != previous[0]
                      or published.loc[this, "published_at"] < published.loc[previous, "published_at"]))
        changed = seen.get(key) != fingerprint
        rerun = stale and seen.get(f"{key} after") != predecessor_published
        if not (changed or rerun):
            continue
        seen[key] = fingerprint
        pending.add(this)
        requested.add(this)
        if rerun:
            seen[f"{key} after"] = predecessor_published
        requests.append(dg.RunRequest(run_key=f"{key}:{fingerprint}:{seen.get(f'{key} after', '')}",
                                      partition_key=key,
                                      tags={"pemadanan/why": f"{previous[0]} published after it" if rerun and not changed
                                            else "files delivered", **run_tags(files.population)}))
    return dg.SensorResult(
        run_requests=requests, cursor=json.dumps(seen, sort_keys=True),
        dynamic_partitions_requests=add_requests(context.instance, {s for s, _ in requested}, {k for _, k in requested}))


@dg.sensor(job=national_job, minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.STOPPED,
           description="Every minute: runs the national step of each semester whose published kabupaten are not "
                       "the ones its last national step read (a kabupaten published, or published again), once no "
                       "run of that semester is queued or running.")
def national_sensor(context: dg.SensorEvaluationContext, warehouse_db: Warehouse):
    """The national step is current while `published.national_coverage` lists the semester's kabupaten with the
    times `published.publications` has for them; a late kabupaten makes it run again."""
    url = warehouse_db.resolved_url()
    published = warehouse.publications(url)["published_at"].astype(str)
    covered = (warehouse.read_table(url, warehouse.NATIONAL_COVERAGE) if warehouse.table_exists(url, warehouse.NATIONAL_COVERAGE)
               else None)
    covered = (covered.set_index(["semester", "kabupaten"])["published_at"].astype(str) if covered is not None
               else published.iloc[:0])
    requests = []
    semesters = []
    for semester in published.index.get_level_values(0).unique():
        try:
            semesters.append(Semester.parse(semester))
        except KeyRejected:
            context.log.warning(f"published.publications holds {shown(semester)}, which is no semester (published by a "
                                "version that did not check keys): not read; delete its rows from the warehouse")
    for semester in (s.key for s in sorted(semesters)):
        now = published.xs(semester, level="semester")
        was = covered.xs(semester, level="semester") if semester in covered.index.get_level_values(0) else None
        if was is not None and now.sort_index().to_dict() == was.sort_index().to_dict():
            continue
        in_flight = context.instance.get_run_records(dg.RunsFilter(
            job_name=semester_job.name, statuses=list(IN_FLIGHT), tags={"dagster/partition/semester": semester}), limit=1)
        if in_flight:
            continue  # the rest of the semester first: one national step after them
        state = hashlib.sha256(json.dumps(now.sort_index().to_dict()).encode()).hexdigest()[:16]
        register(context.instance, semester)
        requests.append(dg.RunRequest(run_key=f"{semester}:{state}", partition_key=semester,
                                      tags={"pemadanan/why": f"{len(now)} kabupaten published"}))
    return requests


@dg.run_status_sensor(run_status=dg.DagsterRunStatus.SUCCESS, monitored_jobs=[national_job],
                      request_job=officer_files_job, default_status=dg.DefaultSensorStatus.STOPPED,
                      description="After each national step: writes again the coklit lists and semester report of "
                                  "every kabupaten it read, with its findings.")
def officer_files_sensor(context: dg.RunStatusSensorContext, warehouse_db: Warehouse):
    return officer_file_requests(warehouse_db.resolved_url(), context.dagster_run)


def officer_file_requests(url: str, national_run: dg.DagsterRun) -> list[dg.RunRequest]:
    """A run of officer_files_job per kabupaten the national step read (published.national_coverage), once per
    national run."""
    semester = national_run.tags.get("dagster/partition")
    if semester is None:
        return []
    covered = warehouse.read_table(url, warehouse.NATIONAL_COVERAGE, semester)
    return [dg.RunRequest(run_key=f"{national_run.run_id}:{kabupaten}", partition_key=partition_key(semester, kabupaten))
            for kabupaten in sorted(covered["kabupaten"])]


# Semester I data (30 June) is released in early August, Semester II (31 December) in early February.
@dg.schedule(job=semester_job, cron_schedule="0 6 15 2,8 *", execution_timezone="Asia/Jakarta",
             default_status=dg.DefaultScheduleStatus.STOPPED,
             description="15 February and 15 August, 06:00 Jakarta: runs each kabupaten of the semester that just "
                         "closed, in case the landing sensor was off or missed it.")
def semester_backstop_schedule(context: dg.ScheduleEvaluationContext, landing: LandingZone):
    """Mid-February and mid-August: run each kabupaten of the semester that just closed, in case the sensor missed it."""
    when = context.scheduled_execution_time.astimezone(JAKARTA).date() if context.scheduled_execution_time else dt.datetime.now(JAKARTA).date()
    semester = Semester.last_closed(when).key
    delivered = landing.delivered_kabupaten(semester)
    requests, waiting = [], list(delivered.refused)
    for kabupaten in delivered.keys:
        try:
            files = landing.semester_files(semester, kabupaten)
        except (FileRejected, KeyRejected) as rejected:
            waiting.append(f"{kabupaten}: {rejected}")
            continue
        if not files.complete:
            waiting.append(f"{kabupaten}: waiting for {', '.join(files.missing)} in {files.folder}")
            continue
        register(context.instance, semester, kabupaten)
        requests.append(dg.RunRequest(run_key=f"{partition_key(semester, kabupaten)}:{files.fingerprint()}",
                                      partition_key=partition_key(semester, kabupaten), tags=run_tags(files.population)))
    for line in waiting:
        context.log.warning(f"{semester}: {line}")
    if not requests:
        return dg.SkipReason(f"{semester}: " + ("; ".join(waiting) if waiting else f"no files in {landing.path / semester}"))
    return requests
