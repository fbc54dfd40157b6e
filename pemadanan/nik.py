"""NIK (Nomor Induk Kependudukan) parsing over whole columns.

A NIK is `PP KK CC DDMMYY SSSS`: the kecamatan where it was first issued, the birth date (women +40 on the
day) and a serial. Values reach us through Excel, so a column may hold `'3323015508950001`,
`3323015508950001.0`, `3.32301E+15` or a NIK whose last digit Excel turned to 0.
"""

from __future__ import annotations

from enum import StrEnum

import numpy as np
import pandas as pd
import pyarrow as pa


class NikStatus(StrEnum):
    VALID = "valid"  # 16 digits as delivered
    REPAIRED = "repaired"  # 16 digits after a repair that needs no guess (apostrophe, ".0", spaces)
    UNRELIABLE = "unreliable"  # Excel lost digits (scientific notation, serial zeroed to 0000): never trust it
    MISSING = "missing"
    MALFORMED = "malformed"  # not 16 digits, or no real birth date inside


TRUSTED = (NikStatus.VALID, NikStatus.REPAIRED)  # a NIK linkage and TMS may rely on


_SCIENTIFIC = r"^[0-9](?:[.,][0-9]+)?[eE]\+?[0-9]+$"


def clean_nik(raw: pd.Series) -> pd.DataFrame:
    """Returns `nik_digits` (the value after repairs, <NA> if missing), `nik` (16-digit string or <NA>),
    `nik_status`, `nik_repair` (what was repaired, or <NA>) and `nik_excel_mangled` (16 digits, but Excel lost
    some: scientific notation, or a serial zeroed to 0000; <NA> where there are no 16 digits)."""
    # Arrow's strings: its regex engine matches a million cells at once. ASCII digits only ([0-9]): Python's \d also
    # takes '３' and '٣', which `digit_matrix` cannot read.
    text = raw.astype(pd.StringDtype("pyarrow")).str.strip()
    # Most cells are 16 digits already: only the others go through the repairs (regexes over a million rows).
    plain = (text.str.fullmatch(r"[0-9]{16}").to_numpy(dtype=bool, na_value=False)
             & text.ne("0" * 16).to_numpy(dtype=bool, na_value=False))
    missing, scientific, sixteen = np.zeros(len(text), dtype=bool), np.zeros(len(text), dtype=bool), plain.copy()
    repairs = pd.Series(pd.NA, index=raw.index, dtype="string")
    if not plain.all():
        odd = ~plain
        repaired, what, nothing, in_scientific = _repaired(text[odd])
        text[odd], repairs[odd] = repaired, what
        missing[odd] = nothing.to_numpy(dtype=bool, na_value=True)
        scientific[odd] = in_scientific.to_numpy(dtype=bool, na_value=False)
        sixteen[odd] = repaired.str.fullmatch(r"[0-9]{16}").to_numpy(dtype=bool, na_value=False) & ~missing[odd]
    mangled = sixteen & (scientific | text.str.endswith("0000").to_numpy(dtype=bool, na_value=False))
    real_date = sixteen & nik_birth_parts(text.where(sixteen))["valid_date"]
    status = np.select(
        [missing, mangled, real_date & repairs.notna(), real_date],
        [NikStatus.MISSING, NikStatus.UNRELIABLE, NikStatus.REPAIRED, NikStatus.VALID],
        default=NikStatus.MALFORMED,
    )
    return pd.DataFrame(
        {"nik_digits": text.where(~missing).astype("string"), "nik": text.where(sixteen).astype("string"),
         "nik_status": pd.Series(status, index=raw.index, dtype="string"), "nik_repair": repairs.where(~missing),
         "nik_excel_mangled": pd.Series(mangled, index=raw.index, dtype="boolean").where(sixteen)},
        index=raw.index,
    )


def _repaired(text: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series, pd.Series]:
    """The cells that are not plainly 16 digits, repaired where no guess is needed: (text, what was repaired,
    missing, written in scientific notation)."""
    missing = text.isna() | (text == "") | text.str.fullmatch(r"[-0]*").fillna(True)
    repairs = pd.Series(pd.NA, index=text.index, dtype="string")

    apostrophe = text.str.startswith("'").fillna(False)
    text = text.mask(apostrophe, text.str.lstrip("'"))
    repairs = repairs.mask(apostrophe, "leading apostrophe")

    float_suffix = text.str.fullmatch(r"[0-9]{16}\.0+").fillna(False)
    text = text.mask(float_suffix, text.str.replace(r"\.0+$", "", regex=True))
    repairs = repairs.mask(float_suffix, "float suffix .0")

    spaced = text.str.fullmatch(r"[0-9 .\-]+").fillna(False) & ~text.str.fullmatch(r"[0-9]+").fillna(False) & ~float_suffix
    spaced &= text.str.replace(r"[ .\-]", "", regex=True).str.len().eq(16).fillna(False)
    text = text.mask(spaced, text.str.replace(r"[ .\-]", "", regex=True))
    repairs = repairs.mask(spaced, "separators removed")

    scientific = text.str.fullmatch(_SCIENTIFIC).fillna(False)
    expanded = pd.to_numeric(text.where(scientific), errors="coerce")
    text = text.mask(scientific, expanded.round().astype("Int64").astype("string"))
    return text, repairs, missing, scientific


_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


def digit_matrix(niks: pd.Series) -> np.ndarray:
    """One row of 16 digit values (uint8) per NIK, from a column of 16-digit strings with none missing, read
    straight from Arrow's buffer rather than through Python strings."""
    text = pa.array(niks.astype(pd.StringDtype("pyarrow")), type=pa.large_string())
    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks()
    _, offsets, values = text.buffers()
    bounds = np.frombuffer(offsets, dtype=np.int64)[text.offset:text.offset + len(text) + 1]
    if text.null_count or np.any(np.diff(bounds) != 16):
        raise ValueError("digit_matrix takes 16-digit strings, none missing")
    if not len(text):
        return np.zeros((0, 16), dtype=np.uint8)
    return np.frombuffer(values, dtype=np.uint8, count=16 * len(text), offset=int(bounds[0])).reshape(-1, 16) - ord("0")


def nik_birth_parts(nik: pd.Series) -> pd.DataFrame:
    """Day, month, two-digit year and sex from digits 7-12 of each 16-digit NIK (<NA> for anything else);
    `valid_date` says whether they make a real date in some century. The digits are read as bytes, the fields
    as whole-column integer arithmetic (Int64 columns and a date built per row cost 0.8 s per million NIKs)."""
    text = nik.astype(pd.StringDtype("pyarrow"))
    sixteen = text.str.fullmatch(r"[0-9]{16}").to_numpy(dtype=bool, na_value=False)
    digits = digit_matrix(text.where(sixteen, "0" * 16)).astype(np.int64)
    day_raw, month, yy = (digits[:, first] * 10 + digits[:, first + 1] for first in (6, 8, 10))
    female = sixteen & (day_raw > 40)
    day = np.where(female, day_raw - 40, day_raw)
    # 29 February needs a leap year: 19yy or 20yy is one when yy is a multiple of 4 (2000 was).
    month_days = _DAYS_IN_MONTH[np.clip(month, 0, 12)] + ((month == 2) & (yy % 4 == 0))
    valid = sixteen & (month >= 1) & (month <= 12) & (day >= 1) & (day <= month_days)

    def column(values: np.ndarray) -> pd.arrays.IntegerArray:
        return pd.arrays.IntegerArray(values, ~sixteen)

    return pd.DataFrame(
        {"day": column(day), "month": column(month), "yy": column(yy),
         "sex": pd.Series(np.where(female, "P", "L"), index=nik.index, dtype="string").where(sixteen),
         "valid_date": valid},
        index=nik.index,
    )


def nik_agrees_with(nik: pd.Series, birth_date: pd.Series, sex: pd.Series) -> pd.DataFrame:
    """Whether the NIK's embedded birth date and sex agree with the given columns (sex as "L"/"P")."""
    parts = nik_birth_parts(nik)
    born = pd.to_datetime(birth_date, errors="coerce")
    date_ok = (
        (parts["day"] == born.dt.day) & (parts["month"] == born.dt.month) & (parts["yy"] == born.dt.year % 100)
    ).fillna(False).astype(bool)
    sex_ok = (parts["sex"] == sex).fillna(False).astype(bool)
    return pd.DataFrame({"birth_date_agrees": date_ok, "sex_agrees": sex_ok}, index=nik.index)


def make_nik(region6: pd.Series, birth_date: pd.Series, sex: pd.Series, serial: pd.Series) -> pd.Series:
    """Builds NIKs: issuing kecamatan (6 digits), DDMMYY with 40 added to the day for women, 4-digit serial."""
    born = pd.to_datetime(birth_date)
    day = born.dt.day + np.where(sex.to_numpy() == "P", 40, 0)
    return (
        region6.astype(str)
        + day.astype(str).str.zfill(2)
        + born.dt.month.astype(str).str.zfill(2)
        + (born.dt.year % 100).astype(str).str.zfill(2)
        + serial.astype(int).astype(str).str.zfill(4)
    )


def mask_nik(nik: pd.Series) -> pd.Series:
    """`332301******0001`: region and serial stay, the birth date goes. Missing stays missing."""
    text = nik.astype("string")
    return text.str.slice(0, 6) + "******" + text.str.slice(12, 16)


EDITS = ("equal", "one digit differs", "two neighbouring digits swapped")


def _neighbour_batches(nik: pd.Series):
    """(positions in `nik`, neighbour values as int64, edit code) for each kind of edit at each digit: the NIK
    itself, every other digit at every position, and every swap of two different neighbouring digits."""
    digits = digit_matrix(nik).astype(np.int64)
    place = 10 ** np.arange(15, -1, -1, dtype=np.int64)
    value = digits @ place
    yield np.arange(len(nik)), value, 0
    for i in range(16):
        for d in range(10):
            changed = np.flatnonzero(digits[:, i] != d)
            yield changed, value[changed] + (d - digits[changed, i]) * place[i], 1
    for i in range(15):
        differ = np.flatnonzero(digits[:, i] != digits[:, i + 1])
        yield differ, value[differ] + (digits[differ, i + 1] - digits[differ, i]) * (place[i] - place[i + 1]), 2


def _frame(batches) -> pd.DataFrame:
    batches = list(batches)
    codes = np.concatenate([np.full(len(rows), code, dtype=np.int8) for rows, _, code in batches])
    return pd.DataFrame({"position": np.concatenate([rows for rows, _, _ in batches]),
                         "neighbour": np.concatenate([values for _, values, _ in batches]),
                         "edit": pd.Categorical.from_codes(codes, categories=EDITS)})


def nik_neighbours(nik: pd.Series) -> pd.DataFrame:
    """Every 16-digit number one substituted digit or one swap of neighbours away from each NIK, and the NIK
    itself: (position in `nik`, neighbour as int64, edit)."""
    return _frame(_neighbour_batches(nik))


def nik_neighbour_pairs(voter_nik: pd.Series, resident_nik: pd.Series) -> pd.DataFrame:
    """(voter_row, population_row, edit) where the resident's NIK is the voter's or one edit away from it; the two
    Series of 16-digit NIKs are indexed by row. Each batch of neighbours is kept only where a resident has it, so
    memory stays proportional to the voters, not to 160 neighbours each."""
    voter_nik, resident_nik = voter_nik.dropna(), resident_nik.dropna()
    resident_value = resident_nik.astype("int64").to_numpy()
    # A hash table: twice as fast as searchsorted for 160 lookups a NIK. pd.unique: numpy 2.4's np.unique took 1.2 s
    # for a million NIKs, hashing them one by one.
    known = pd.Index(pd.unique(resident_value))

    def held(values: np.ndarray) -> np.ndarray:
        return known.get_indexer(values) >= 0
    found = _frame((rows[hit], values[hit], code) for rows, values, code in _neighbour_batches(voter_nik)
                   for hit in [held(values)])
    found["voter_row"] = voter_nik.index.to_numpy()[found["position"]]
    residents = pd.DataFrame({"neighbour": resident_value, "population_row": resident_nik.index.to_numpy()})
    return found.merge(residents, on="neighbour")[["voter_row", "population_row", "edit"]]
