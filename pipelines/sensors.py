"""What starts a semester run: files landing (sensor), and a schedule as a backstop."""


import datetime as dt
import json
import time

import dagster as dg

from pemadanan import warehouse
from pemadanan.ingest import FileRejected
from pemadanan.semester import Semester
from pemadanan.sizing import run_tags
from pipelines.jobs import semester_job
from pipelines.partitions import JAKARTA, closed, register, semester_partitions
from resources import LandingZone, Warehouse

# Files younger than this may still be being copied in.
SETTLE_SECONDS = 60


@dg.sensor(job=semester_job, minimum_interval_seconds=300, default_status=dg.DefaultSensorStatus.STOPPED,
           description="Every 5 minutes: runs each closed semester whose population and voter files are in the "
                       "landing folder and unchanged for a minute, oldest first; again when a file is replaced or "
                       "its predecessor was published after it.")
def landing_sensor(context: dg.SensorEvaluationContext, landing: LandingZone, warehouse_db: Warehouse):
    """Starts a run for each closed semester whose population and voter files are complete and settled (adding its
    partition), again when a file is replaced, and again when the semester was published before its predecessor
    (stale: its moves and corrections were computed without it). Semesters run in order: one whose predecessor's
    files are there but not yet published waits for it."""
    seen: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
    published = warehouse.publications(warehouse_db.resolved_url())
    now = time.time()
    ready = {}
    for semester in landing.delivered_semesters():
        if not closed(semester):
            continue
        try:
            files = landing.semester_files(semester)
        except FileRejected as rejected:
            context.log.warning(f"{semester} not started: {rejected}")
            continue
        settled = all(now - p.stat().st_mtime >= SETTLE_SECONDS for p in (files.population, files.voters, files.deaths) if p)
        if files.complete and settled:
            ready[semester] = files
    requests, new_partitions, pending = [], [], set()
    for semester in sorted(ready, key=Semester.parse):
        previous = Semester.parse(semester).previous().key
        if previous in ready and (previous not in published.index or previous in pending):
            pending.add(semester)  # its predecessor publishes first: this one compares with its snapshot
            continue
        fingerprint = ready[semester].fingerprint()
        predecessor_published = str(published.loc[previous, "published_at"]) if previous in published.index else ""
        stale = (semester in published.index and predecessor_published != ""
                 and (published.loc[semester, "compared_with"] != previous
                      or published.loc[semester, "published_at"] < published.loc[previous, "published_at"]))
        changed = seen.get(semester) != fingerprint
        rerun = stale and seen.get(f"{semester} after") != predecessor_published
        if not (changed or rerun):
            continue
        seen[semester] = fingerprint
        pending.add(semester)
        if rerun:
            seen[f"{semester} after"] = predecessor_published
        if not context.instance.has_dynamic_partition(semester_partitions.name, semester):
            new_partitions.append(semester)
        requests.append(dg.RunRequest(run_key=f"{semester}:{fingerprint}:{seen.get(f'{semester} after', '')}",
                                      partition_key=semester,
                                      tags={"pemadanan/why": f"{previous} published after it" if rerun and not changed
                                            else "files delivered", **run_tags(ready[semester].population)}))
    return dg.SensorResult(
        run_requests=requests, cursor=json.dumps(seen, sort_keys=True),
        dynamic_partitions_requests=[semester_partitions.build_add_request(new_partitions)] if new_partitions else [])


# Semester I data (30 June) is released in early August, Semester II (31 December) in early February.
@dg.schedule(job=semester_job, cron_schedule="0 6 15 2,8 *", execution_timezone="Asia/Jakarta",
             default_status=dg.DefaultScheduleStatus.STOPPED,
             description="15 February and 15 August, 06:00 Jakarta: runs the semester that just closed, in case the "
                         "landing sensor was off or missed it.")
def semester_backstop_schedule(context: dg.ScheduleEvaluationContext, landing: LandingZone):
    """Mid-February and mid-August: run the semester that just closed, in case the sensor missed it."""
    when = context.scheduled_execution_time.astimezone(JAKARTA).date() if context.scheduled_execution_time else dt.datetime.now(JAKARTA).date()
    semester = Semester.last_closed(when).key
    try:
        files = landing.semester_files(semester)
    except FileRejected as rejected:
        return dg.SkipReason(f"{semester}: {rejected}")
    if not files.complete:
        return dg.SkipReason(f"{semester}: waiting for {', '.join(files.missing)} in {landing.root}/{semester}")
    register(context.instance, semester)
    return dg.RunRequest(run_key=f"{semester}:{files.fingerprint()}", partition_key=semester,
                         tags=run_tags(files.population))
