"""Partitions, keyed the way users say them: a semester (2024-S1, 2024-S2) and a wilayah, the kabupaten/kota whose
files they are (Kemendagri code, 33.23). A kabupaten run is the partition `2024-S2|33.23`; the national step is
per semester.

Both grow while the code runs: the landing sensor, the backstop schedule and `pemadanan run` add a semester and a
kabupaten when their files are there and the semester has closed, so a deployment never needs a reload. An
operator can add one in the UI too (a semester key must be a closed semester)."""

from __future__ import annotations

import contextlib
import datetime as dt
from zoneinfo import ZoneInfo

import dagster as dg

from pemadanan.keys import KeyRejected, kabupaten_key, semester_key
from pemadanan.semester import Semester

JAKARTA = ZoneInfo("Asia/Jakarta")

semester_partitions = dg.DynamicPartitionsDefinition(name="semester")
# "wilayah" (region), not "kabupaten": Dagster orders dimensions by name, and keys read semester first.
wilayah_partitions = dg.DynamicPartitionsDefinition(name="wilayah")
kabupaten_partitions = dg.MultiPartitionsDefinition({"semester": semester_partitions, "wilayah": wilayah_partitions})


def partition_key(semester: str, kabupaten: str) -> str:
    """`2024-S2|33.23`"""
    return str(dg.MultiPartitionKey({"semester": semester_key(semester), "wilayah": kabupaten_key(kabupaten)}))


def semester_and_kabupaten(context: dg.AssetExecutionContext) -> tuple[str, str]:
    """The run's semester and kabupaten, checked: a key added in the UI reaches the code unchecked, and must name no
    file, folder or table before it is (every kabupaten asset starts here, so a bad key fails the run's first step)."""
    keys = context.partition_key.keys_by_dimension
    with _refused_as_failure():
        return closed_semester(keys["semester"]), kabupaten_key(keys["wilayah"])


def semester_of(context: dg.AssetExecutionContext) -> str:
    """The national step's semester, checked as `semester_and_kabupaten` checks a kabupaten run's keys."""
    with _refused_as_failure():
        return closed_semester(context.partition_key)


def closed_semester(semester: str) -> str:
    """The semester, when it is one and has closed; else KeyRejected: a semester in progress has no snapshot yet."""
    if not closed(semester):
        raise KeyRejected(f"{semester} has not closed yet (YYYY-S1 closes on 30 June, YYYY-S2 on 31 December)")
    return semester


@contextlib.contextmanager
def _refused_as_failure():
    """A key refused is the run's whole story: one line in the UI, not a traceback."""
    try:
        yield
    except KeyRejected as rejected:
        raise dg.Failure(description=f"partition refused: {rejected}: delete it from the partitions "
                                     "(Dagster UI) and add the right one") from None


def closed(semester: str, today: dt.date | None = None) -> bool:
    """Whether a semester's reference date has passed (Jakarta time): a semester in progress has no population
    snapshot yet. KeyRejected for a key that is no semester."""
    return Semester.parse(semester) <= Semester.last_closed(today or dt.datetime.now(JAKARTA).date())


def register(instance: dg.DagsterInstance, semester: str, kabupaten: str | None = None) -> None:
    semester_key(semester)
    if kabupaten is not None:
        kabupaten_key(kabupaten)
    for partitions, key in ((semester_partitions, semester), (wilayah_partitions, kabupaten)):
        if key is not None and not instance.has_dynamic_partition(partitions.name, key):
            instance.add_dynamic_partitions(partitions.name, [key])


def add_requests(instance: dg.DagsterInstance, semesters: set[str], kabupaten: set[str]) -> list:
    """What a sensor asks Dagster to add, for partitions it requests runs of."""
    requests = []
    for partitions, keys in ((semester_partitions, semesters), (wilayah_partitions, kabupaten)):
        new = sorted(k for k in keys if not instance.has_dynamic_partition(partitions.name, k))
        if new:
            requests.append(partitions.build_add_request(new))
    return requests


IN_FLIGHT = (dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTING,
             dg.DagsterRunStatus.STARTED)


def partitions_in_flight(instance: dg.DagsterInstance) -> set[str]:
    """The partitions a run is queued for or working on now."""
    runs = instance.get_runs(dg.RunsFilter(statuses=list(IN_FLIGHT)))
    return {run.tags["dagster/partition"] for run in runs if "dagster/partition" in run.tags}
