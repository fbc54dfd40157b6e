"""What starts a semester run: files landing (sensor), and a schedule as a backstop."""


import datetime as dt
import json
import time

import dagster as dg

from pemadanan.ingest import FileRejected
from pemadanan.semester import Semester
from pipelines.jobs import semester_job
from pipelines.partitions import JAKARTA, semester_partitions
from resources import LandingZone

# Files younger than this may still be being copied in.
SETTLE_SECONDS = 60


@dg.sensor(job=semester_job, minimum_interval_seconds=300, default_status=dg.DefaultSensorStatus.STOPPED)
def landing_sensor(context: dg.SensorEvaluationContext, landing: LandingZone):
    """Starts a run for each semester whose population and voter files are complete in the landing folder,
    and again when a file is replaced."""
    seen: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
    known = set(semester_partitions.get_partition_keys())
    now = time.time()
    for semester in landing.delivered_semesters():
        try:
            files = landing.semester_files(semester)
        except FileRejected as rejected:
            context.log.warning(f"{semester} not started: {rejected}")
            continue
        if semester not in known or not files.complete:
            continue
        if any(now - p.stat().st_mtime < SETTLE_SECONDS for p in (files.population, files.voters, files.deaths) if p):
            continue
        fingerprint = files.fingerprint()
        if seen.get(semester) == fingerprint:
            continue
        seen[semester] = fingerprint
        yield dg.RunRequest(run_key=f"{semester}:{fingerprint}", partition_key=semester)
    context.update_cursor(json.dumps(seen, sort_keys=True))


# Semester I data (30 June) is released in early August, Semester II (31 December) in early February.
@dg.schedule(job=semester_job, cron_schedule="0 6 15 2,8 *", execution_timezone="Asia/Jakarta",
             default_status=dg.DefaultScheduleStatus.STOPPED)
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
    return dg.RunRequest(run_key=f"{semester}:{files.fingerprint()}", partition_key=semester)
