"""Who may vote on a voting day (UU 7/2017 art. 198 and 200), for whole columns of residents.

Eligible: a citizen aged 17 or over on voting day, or married or ever married at any age; not a serving
member of TNI or Polri (retired members vote); for a Pilkada, domiciled in the electoral area. Ages are
completed years: someone born 17 years before voting day to the day is 17 on it, and a 29 February
birthday counts from 1 March in other years (`dates.age_on`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pemadanan.dates import age_on

VOTING_AGE = 17
BELUM_KAWIN = 1  # STAT_KWN: 1 belum kawin, 2 kawin, 3 cerai hidup, 4 cerai mati
TNI, POLRI = 6, 7  # JENIS_PKRJN


@dataclass(frozen=True)
class Election:
    name: str
    voting_day: dt.date
    # Region code prefixes of the electoral area (a Pilkada's provinsi or kabupaten); empty for a Pemilu.
    area: tuple[str, ...] = ()


PEMILU_2024 = Election("Pemilu 2024", dt.date(2024, 2, 14))
PILKADA_2024 = Election("Pilkada 2024", dt.date(2024, 11, 27))
# Not yet decreed by KPU when this was written: mid-February, as in 2024. Configure the real day when it is set.
PEMILU_2029 = Election("Pemilu 2029", dt.date(2029, 2, 14))
DEFAULT_CALENDAR = (PEMILU_2024, PILKADA_2024, PEMILU_2029)


@dataclass(frozen=True)
class JudgingDay:
    """The day a semester's eligibility is judged on, and the election whose voting day it is (None: the
    semester's reference date, no election being configured ahead)."""

    day: dt.date
    election: Election | None

    @property
    def area(self) -> tuple[str, ...]:
        return self.election.area if self.election else ()

    def describe(self) -> str:
        return (f"{self.day} (voting day of {self.election.name})" if self.election
                else f"{self.day} (the semester's reference date: no election configured before the next semester)")


def judging_day(reference_date: dt.date, calendar: tuple[Election, ...] = DEFAULT_CALENDAR) -> JudgingDay:
    """The voting day of the first configured election on or after `reference_date` and before the next semester's
    reference date: this semester's data is the last that election's list is checked against, so a 16-year-old who
    turns 17 by then is a voter. Otherwise the reference date itself: judging a 2025 semester on a 2029 voting day
    would count 13-year-olds as eligible."""
    next_reference = (dt.date(reference_date.year, 12, 31) if reference_date.month <= 6
                      else dt.date(reference_date.year + 1, 6, 30))
    ahead = sorted((e for e in calendar if reference_date <= e.voting_day < next_reference), key=lambda e: e.voting_day)
    return JudgingDay(ahead[0].voting_day, ahead[0]) if ahead else JudgingDay(reference_date, None)


def eligibility(residents: pd.DataFrame, on: dt.date, area: tuple[str, ...] = ()) -> pd.DataFrame:
    """`eligible` and `reason` per resident (columns birth_date, marital, occupation, desa_code) on the date `on`.
    The first reason that applies is given: serving TNI/Polri, not domiciled, under age, birth date unknown;
    for the eligible, of age or married."""
    age = age_on(residents["birth_date"], on)
    ever_married = (residents["marital"].notna() & (residents["marital"] != BELUM_KAWIN)).to_numpy(dtype=bool)
    of_age = (age >= VOTING_AGE).fillna(False).to_numpy(dtype=bool)
    occupation = residents["occupation"].to_numpy(dtype=float, na_value=np.nan)
    domiciled = (np.ones(len(residents), dtype=bool) if not area
                 else residents["desa_code"].str.startswith(area).fillna(False).to_numpy(dtype=bool))
    unknown_age = residents["birth_date"].isna().to_numpy()
    reason = np.select(
        [occupation == TNI, occupation == POLRI, ~domiciled, of_age, ever_married, unknown_age],
        ["serving TNI", "serving Polri", "not domiciled in the electoral area", "17 or older",
         "under 17, married or ever married", "birth date unknown, never married"],
        default="under 17 and never married")
    eligible = domiciled & ~serving(residents["occupation"]).to_numpy() & (of_age | ever_married)
    return pd.DataFrame({"eligible": eligible, "reason": reason, "age": age.astype("Int64")}, index=residents.index)


def serving(occupation: pd.Series) -> pd.Series:
    """Serving TNI or Polri (JENIS_PKRJN 6 or 7); retired members are not."""
    return occupation.isin([TNI, POLRI])


def turns_of_age_between(birth_date: pd.Series, after: dt.date, until: dt.date) -> pd.Series:
    """Under 17 on `after` and 17 on `until`: the day they turn 17 falls in (after, until]."""
    return ((age_on(birth_date, after) < VOTING_AGE) & (age_on(birth_date, until) >= VOTING_AGE)).fillna(False)
