"""The expectation suites for each semester file, as reviewable code.

A check is one Great Expectations expectation (class name and arguments, built when a file is validated so
that loading the Dagster definitions does not import GX) and what happens when it fails:

- `block`: the file is unusable (columns missing, empty, volume collapse): the run stops with one line
  naming the file and the check.
- `quarantine`: each failing row goes to `restricted.quarantine` with every reason that applies.
- `flag`: failing rows are kept and marked (an unreliable NIK that linkage must not trust, a NIK whose
  birth date disagrees with TGL_LHR); a table-level check with `flag` is reported only.

The outcome of any check can be changed per deployment through the `validation` resource
(`outcomes={"voters.nik_region_known": "quarantine"}`); see docs/VALIDATION.md.

Structure checks run on the file as read (delivered columns, after the header mapping). Row checks run on
the staged frame: the delivered columns plus derived lower-case columns (`nik`, `birth_date`, ...) built
by `pemadanan.ingest`. A derived boolean is <NA> where the check does not apply (no 16-digit NIK, say),
and GX skips missing values, so each row fails only the checks that concern it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Outcome(StrEnum):
    BLOCK = "block"
    QUARANTINE = "quarantine"
    FLAG = "flag"


@dataclass(frozen=True)
class Check:
    name: str
    reason: str  # what a failing row (or file) has, as it appears in quarantine reasons and flags
    expectation: str  # a class of great_expectations.expectations
    kwargs: dict[str, Any]
    outcome: Outcome
    shows: str | None = None  # delivered column whose (masked) values illustrate failures
    parameters: tuple[str, ...] = ()  # run-time parameters the check needs, e.g. the previous row count

    @property
    def table_level(self) -> bool:
        return self.expectation.startswith("ExpectTable")

    @property
    def column(self) -> str | None:
        return self.kwargs.get("column") or self.kwargs.get("column_A")

    @property
    def columns_read(self) -> list[str]:
        return [self.kwargs[k] for k in ("column", "column_A", "column_B") if k in self.kwargs]


def _param(name: str) -> dict[str, str]:
    return {"$PARAMETER": name}


def structure_checks(required: tuple[str, ...], volume: bool, empty_outcome: Outcome = Outcome.BLOCK) -> list[Check]:
    checks = [
        Check("columns_present", "required column(s) missing", "ExpectTableColumnsToMatchSet",
              {"column_set": list(required), "exact_match": False}, Outcome.BLOCK),
        Check("not_empty", "no data rows", "ExpectTableRowCountToBeBetween", {"min_value": 1}, empty_outcome),
        Check("only_known_columns", "columns beyond the documented ones (ignored)", "ExpectTableColumnsToMatchSet",
              {"column_set": ["source_row", "fields_delivered", *required], "exact_match": True}, Outcome.FLAG),
    ]
    if volume:
        checks.append(Check(
            "volume_vs_previous_semester", "row count outside the tolerance around the previous semester's",
            "ExpectTableRowCountToBeBetween", {"min_value": _param("min_rows"), "max_value": _param("max_rows")},
            Outcome.BLOCK, parameters=("min_rows", "max_rows")))
    return checks


def _true(column: str) -> dict[str, Any]:
    return {"column": column, "value_set": [True]}


ROW_SHAPE_CHECKS = ("row_complete", "not_a_repeated_header", "row_readable", "fields_not_oversized")


def _row_shape_checks(nik_column: str) -> list[Check]:
    return [
        # Most rows not splitting like the header means the file, not the rows, is wrong (a wrong delimiter).
        Check("rows_match_header", "most rows do not split into the header's columns (wrong delimiter?)",
              "ExpectColumnValuesToBeInSet", {**_true("row_complete"), "mostly": 0.5}, Outcome.BLOCK),
        Check("row_complete", "number of fields differs from the header (a truncated line, or an unquoted delimiter)",
              "ExpectColumnValuesToBeInSet", _true("row_complete"), Outcome.QUARANTINE),
        Check("not_a_repeated_header", "a repeated header row", "ExpectColumnValuesToBeInSet",
              {"column": "repeats_header", "value_set": [False]}, Outcome.QUARANTINE, shows=nik_column),
        Check("row_readable", "unreadable bytes in the row (a NUL, or bytes that are not UTF-8 where the rest of "
              "the file is)", "ExpectColumnValuesToBeInSet", _true("row_readable"), Outcome.QUARANTINE),
        Check("fields_not_oversized", "a field longer than 1,000 characters", "ExpectColumnValuesToBeInSet",
              _true("fields_not_oversized"), Outcome.QUARANTINE),
    ]


MAX_QUARANTINED_SHARE = 0.05


def quarantine_share_check(max_share: float = MAX_QUARANTINED_SHARE) -> Check:
    """Run on every row's verdict once the row checks are done: when many rows fail, the file is wrong (headers
    swapped, merged cells), and publishing its few good rows would report a collapse that did not happen."""
    return Check("quarantined_share", f"more than {max_share:.0%} of the rows quarantined: the file, not its rows, "
                 "is wrong (swapped headers, merged cells?)", "ExpectColumnValuesToBeInSet",
                 {**_true("row_accepted"), "mostly": 1 - max_share}, Outcome.BLOCK)


# The share of rows whose NIK carries their birth date (among rows where the NIK holds a real date and the birth date
# parses) below which the NIK column is not NIKs. Measured on generated files of 20,000 residents, seeds 1-6:
# population 99.86-99.90%; voters 94.4-95.3% on the realistic profile (placeholder birth dates of the old, day and
# month swapped, typos), 85.9-87.0% on the harsh one (4x those defects), 99.3-99.4% on the basic one; with NIK and
# NKK swapped, 0.00-0.01% (only a card recorded on its holder's birth date agrees). Half leaves a wide margin
# both ways, and is what "most rows" means.
NIK_CARRIES_BIRTH_DATE_MOSTLY = 0.5


def _nik_checks(column: str, outcome: Outcome, person: bool) -> list[Check]:
    """NIK shape and content. `person`: the file also has the birth date and sex to compare with."""
    checks = [
        Check("nik_present", f"{column} missing", "ExpectColumnValuesToNotBeNull", {"column": "nik_digits"}, outcome, column),
        Check("nik_16_digits", f"{column} not 16 digits", "ExpectColumnValuesToBeInSet", _true("nik_is_16_digits"),
              outcome, column),
        Check("nik_not_excel_mangled", f"{column} unreliable: Excel scientific notation or zeroed serial",
              "ExpectColumnValuesToBeInSet", {"column": "nik_excel_mangled", "value_set": [False]},
              Outcome.FLAG if person else outcome, column),
        Check("nik_birth_date_real", f"{column} digits 7-12 are no real date (women +40)", "ExpectColumnValuesToBeInSet",
              _true("nik_date_real"), outcome, column),
    ]
    if person:
        checks += [
            Check("nik_region_known", f"{column} prefix is no current or historical Kemendagri kecamatan",
                  "ExpectColumnValuesToBeInSet", _true("nik_region_known"), Outcome.FLAG, column),
            Check("nik_sex_agrees", f"sex in {column} disagrees with the sex column", "ExpectColumnPairValuesToBeEqual",
                  {"column_A": "nik_sex", "column_B": "sex", "ignore_row_if": "either_value_is_missing"}, Outcome.FLAG),
            Check("nik_birth_date_agrees", f"birth date in {column} disagrees with the birth date column",
                  "ExpectColumnPairValuesToBeEqual",
                  {"column_A": "nik_birth_date", "column_B": "birth_date", "ignore_row_if": "either_value_is_missing"},
                  Outcome.FLAG),
            # On a few rows a NIK disagreeing is the row's fault (flagged above); on most, the column holds no NIKs.
            Check("nik_column_holds_niks", f"most rows' {column} does not carry the row's birth date: the {column} "
                  "column seems to hold family card numbers (NIK and NKK swapped?)", "ExpectColumnValuesToBeInSet",
                  {**_true("nik_carries_birth_date"), "mostly": NIK_CARRIES_BIRTH_DATE_MOSTLY}, Outcome.BLOCK),
        ]
    return checks


def _kk_not_mangled_check(name: str, column: str) -> Check:
    """A family card number Excel damaged is kept empty (a rounded or zeroed number would join other families):
    the row is kept and says why."""
    return Check(name, f"{column} unreliable: Excel scientific notation or zeroed serial", "ExpectColumnValuesToBeInSet",
                 {"column": "no_kk_excel_mangled", "value_set": [False]}, Outcome.FLAG, column)


def _birth_date_checks(column: str, outcome: Outcome) -> list[Check]:
    return [
        Check("birth_date_parses", f"{column} is no date in a known format", "ExpectColumnValuesToNotBeNull",
              {"column": "birth_date"}, outcome, column),
        Check("birth_date_not_future", f"{column} after the semester's reference date", "ExpectColumnValuesToBeBetween",
              {"column": "birth_date", "max_value": _param("reference_date")}, outcome, column, ("reference_date",)),
        Check("age_at_most_120", f"{column} gives an age over 120", "ExpectColumnValuesToBeBetween",
              {"column": "age_years", "max_value": 120}, outcome, column),
    ]


def _code_check(name: str, column: str, values: list[str], outcome: Outcome) -> Check:
    return Check(name, f"{column} not in its value set", "ExpectColumnValuesToBeInSet",
                 {"column": column.lower() + "_code", "value_set": values}, outcome, column)


SEX_VALUES = ["1", "2", "L", "P", "LAKI-LAKI", "LAKI LAKI", "PEREMPUAN"]
MARITAL_VALUES = ["1", "2", "3", "4", "BELUM KAWIN", "KAWIN", "CERAI HIDUP", "CERAI MATI"]
OCCUPATION_VALUES = [str(code) for code in range(1, 89)]  # SIAK's 88 JENIS_PKRJN codes; 6 TNI, 7 Polri
VOTER_MARITAL_VALUES = ["B", "S", "P"]
DISABILITY_VALUES = ["", "1", "2", "3", "4", "5", "6"]
KETERANGAN_VALUES = ["", "1", "2", "3", "4", "5", "6", "7", "8", "U"]
POPULATION_NUMBERS = ("NO_RT", "NO_RW", "AGAMA", "STAT_HBKEL")  # whole numbers in SIAK; anything else is read as empty
VOTER_NUMBERS = ("TPS", "RT", "RW")


def _whole_numbers_check(columns: tuple[str, ...]) -> Check:
    return Check("whole_numbers", f"{'/'.join(columns)}: a value that is no whole number (kept empty)",
                 "ExpectColumnValuesToBeInSet", _true("whole_numbers"), Outcome.FLAG)


def _kabupaten_checks(says: str) -> list[Check]:
    """A row must be of the kabupaten its file was delivered for (`says`: the columns that tell a row's kabupaten):
    another kabupaten's rows would be published as this one's. A file mostly of another kabupaten was delivered in
    the wrong folder: it is blocked, naming both codes."""
    return [
        Check("rows_of_delivered_kabupaten", f"most rows are of another kabupaten than the one the file was delivered "
              f"for ({says}): a file in the wrong folder?", "ExpectColumnValuesToBeInSet",
              {**_true("in_delivered_kabupaten"), "mostly": 0.5}, Outcome.BLOCK),
        Check("row_of_delivered_kabupaten", f"{says} is another kabupaten than the one the file was delivered for",
              "ExpectColumnValuesToBeInSet", _true("in_delivered_kabupaten"), Outcome.QUARANTINE, "row_kabupaten"),
    ]


def population_checks() -> list[Check]:
    q = Outcome.QUARANTINE
    return [
        *_row_shape_checks("NIK"),
        *_nik_checks("NIK", q, person=True),
        Check("nik_unique", "NIK duplicated in the file", "ExpectColumnValuesToBeUnique", {"column": "nik_trusted"}, q, "NIK"),
        Check("no_kk_16_digits", "NO_KK not 16 digits", "ExpectColumnValuesToBeInSet", _true("no_kk_is_16_digits"),
              Outcome.FLAG, "NO_KK"),
        _kk_not_mangled_check("no_kk_not_excel_mangled", "NO_KK"),
        *_birth_date_checks("TGL_LHR", q),
        _code_check("sex_code", "JENIS_KLMIN", SEX_VALUES, q),
        _code_check("marital_code", "STAT_KWN", MARITAL_VALUES, q),
        _code_check("occupation_code", "JENIS_PKRJN", OCCUPATION_VALUES, q),
        Check("desa_code_known", "NO_PROP/NO_KAB/NO_KEC/NO_KEL is no desa in the Kemendagri table",
              "ExpectColumnValuesToBeInSet", _true("desa_code_known"), q, "NO_KEL"),
        *_kabupaten_checks("NO_PROP/NO_KAB"),
        _whole_numbers_check(POPULATION_NUMBERS),
    ]


def voter_checks() -> list[Check]:
    q, f = Outcome.QUARANTINE, Outcome.FLAG
    return [
        *_row_shape_checks("NIK"),
        Check("name_present", "NAMA empty", "ExpectColumnValuesToNotBeNull", {"column": "name_norm"}, q, "NAMA"),
        _code_check("sex_code", "JENIS_KELAMIN", SEX_VALUES, q),
        Check("identifiable", "neither a NIK nor a birth date to find the person by", "ExpectColumnValuesToBeInSet",
              _true("identifiable"), q),
        Check("desa_resolves", "KELURAHAN/KECAMATAN resolve to no desa of the kabupaten", "ExpectColumnValuesToNotBeNull",
              {"column": "desa_code"}, q, "KELURAHAN"),
        *_kabupaten_checks("KABUPATEN"),
        # A voter row with a broken NIK is still a voter: keep it, flag it, let linkage find the person otherwise.
        *_nik_checks("NIK", f, person=True),
        Check("nkk_16_digits", "NKK not 16 digits", "ExpectColumnValuesToBeInSet", _true("no_kk_is_16_digits"), f,
              "NKK"),
        _kk_not_mangled_check("nkk_not_excel_mangled", "NKK"),
        *_birth_date_checks("TANGGAL_LAHIR", f),
        _code_check("marital_code", "STATUS_PERKAWINAN", VOTER_MARITAL_VALUES, f),
        _code_check("disability_code", "DISABILITAS", DISABILITY_VALUES, f),
        _code_check("keterangan_code", "KETERANGAN", KETERANGAN_VALUES, f),
        _whole_numbers_check(VOTER_NUMBERS),
    ]


def death_checks() -> list[Check]:
    q = Outcome.QUARANTINE
    return [
        *_row_shape_checks("NIK"),
        *_nik_checks("NIK", q, person=False),
        Check("death_date_parses", "TGL_KEMATIAN is no date in a known format", "ExpectColumnValuesToNotBeNull",
              {"column": "death_date"}, q, "TGL_KEMATIAN"),
        Check("death_date_not_future", "TGL_KEMATIAN after the semester's reference date", "ExpectColumnValuesToBeBetween",
              {"column": "death_date", "max_value": _param("reference_date")}, q, "TGL_KEMATIAN", ("reference_date",)),
    ]
