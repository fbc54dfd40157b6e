"""Semester partitions, keyed the way users say them: 2024-S1, 2024-S2."""

from __future__ import annotations

import datetime as dt
import os
from zoneinfo import ZoneInfo

from dagster import StaticPartitionsDefinition

from pemadanan.semester import Semester, semesters_between

JAKARTA = ZoneInfo("Asia/Jakarta")
FIRST_SEMESTER = Semester.parse(os.environ.get("PEMADANAN_FIRST_SEMESTER", "2023-S1"))


def closed_semesters(today: dt.date | None = None) -> list[str]:
    """Every semester from the first one configured to the last one that has closed (Jakarta time).
    A semester in progress has no population snapshot yet, so it is not a partition."""
    today = today or dt.datetime.now(JAKARTA).date()
    return [s.key for s in semesters_between(FIRST_SEMESTER, Semester.last_closed(today))]


semester_partitions = StaticPartitionsDefinition(closed_semesters())
