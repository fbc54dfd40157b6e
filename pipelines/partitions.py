"""Semester partitions, keyed the way users say them: 2024-S1, 2024-S2.

They grow while the code runs: the landing sensor, the backstop schedule and `pemadanan run` add a semester when
its files are there and it has closed, so a deployment never needs a reload for a new semester. An operator can
add one in the UI too (its key must be a closed semester)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import dagster as dg

from pemadanan.semester import Semester

JAKARTA = ZoneInfo("Asia/Jakarta")

semester_partitions = dg.DynamicPartitionsDefinition(name="semester")


def closed(semester: str, today: dt.date | None = None) -> bool:
    """A well-formed semester key whose reference date has passed (Jakarta time): a semester in progress has no
    population snapshot yet."""
    try:
        parsed = Semester.parse(semester)
    except ValueError:
        return False
    return parsed <= Semester.last_closed(today or dt.datetime.now(JAKARTA).date())


def register(instance: dg.DagsterInstance, semester: str) -> None:
    if not instance.has_dynamic_partition(semester_partitions.name, semester):
        instance.add_dynamic_partitions(semester_partitions.name, [semester])
