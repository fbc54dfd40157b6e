"""Semesters as users say them: "2024-S1" (data as at 30 June 2024) and "2024-S2" (as at 31 December 2024)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pemadanan.keys import SEMESTER_KEY, semester_key

if TYPE_CHECKING:
    import pandas as pd

    from pemadanan.eligibility import JudgingDay
    from pemadanan.linkage import LinkResult


@dataclass(frozen=True, order=True)
class Semester:
    year: int
    half: int  # 1 or 2

    @classmethod
    def parse(cls, key: str) -> Semester:
        """`2024-S1` exactly (`keys.semester_key`), or KeyRejected."""
        match = SEMESTER_KEY.fullmatch(semester_key(key))
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def last_closed(cls, today: dt.date) -> Semester:
        """The newest semester whose reference date has passed."""
        if today >= dt.date(today.year, 12, 31):
            return cls(today.year, 2)
        if today >= dt.date(today.year, 6, 30):
            return cls(today.year, 1)
        return cls(today.year - 1, 2)

    @property
    def key(self) -> str:
        return f"{self.year}-S{self.half}"

    @property
    def reference_date(self) -> dt.date:
        """The date the population snapshot describes."""
        return dt.date(self.year, 6, 30) if self.half == 1 else dt.date(self.year, 12, 31)

    @property
    def label(self) -> str:
        return f"Semester {'I' if self.half == 1 else 'II'} {self.year}"

    def next(self) -> Semester:
        return Semester(self.year, 2) if self.half == 1 else Semester(self.year + 1, 1)

    def previous(self) -> Semester:
        return Semester(self.year, 1) if self.half == 2 else Semester(self.year - 1, 2)

    def __str__(self) -> str:
        return self.key


def semesters_between(first: Semester, last: Semester) -> list[Semester]:
    out = []
    current = first
    while current <= last:
        out.append(current)
        current = current.next()
    return out


@dataclass
class SemesterInputs:
    """What one semester's outputs (TMS candidates, eligible-unregistered, new voters, coverage) are computed from."""

    reference_date: dt.date  # 30 June or 31 December
    previous_reference_date: dt.date
    judged_on: JudgingDay  # eligibility, under age and new voters are judged on this day (`eligibility.judging_day`)
    voters: pd.DataFrame
    residents: pd.DataFrame
    links: LinkResult
    # NIKs of voter rows quarantined at ingest: their people are on the list, in a row KPU must fix.
    quarantined_voter_niks: frozenset[str] = frozenset()
