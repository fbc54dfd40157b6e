"""Date parsing over whole columns, for the formats the offices send."""

from __future__ import annotations

import pandas as pd

# Day first, as Indonesian offices write them; ISO last because SIAK exports use it.
DATE_FORMATS = ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y")


def real_date(year: pd.Series, month: pd.Series, day: pd.Series) -> pd.Series:
    """The date for each (year, month, day), or NaT where they make no real date (30 February)."""
    packed = (year * 10000 + month * 100 + day).astype("Float64").fillna(0).astype("int64").astype(str)
    return pd.to_datetime(packed, format="%Y%m%d", errors="coerce")


def age_on(born: pd.Series, on) -> pd.Series:
    """Completed years of age on the date `on` (29 February birthdays count from 1 March in other years)."""
    on = pd.Timestamp(on)
    had_birthday = (born.dt.month < on.month) | ((born.dt.month == on.month) & (born.dt.day <= on.day))
    return on.year - born.dt.year - (~had_birthday).astype(int)


def parse_dates(raw: pd.Series) -> pd.DataFrame:
    """`date` (datetime64, NaT where unparseable) and `date_format` (which format matched, or <NA>)."""
    text = raw.astype("string").str.strip()
    date = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]")
    used = pd.Series(pd.NA, index=raw.index, dtype="string")
    for fmt in DATE_FORMATS:
        todo = date.isna() & text.notna()
        if not todo.any():
            break
        parsed = pd.to_datetime(text[todo], format=fmt, errors="coerce")
        hit = parsed.notna()
        date.loc[parsed.index[hit]] = parsed[hit]
        used.loc[parsed.index[hit]] = fmt
    return pd.DataFrame({"date": date, "date_format": used}, index=raw.index)
