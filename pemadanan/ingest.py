"""Reading the semester's files into typed tables, with a quarantine for rows that cannot be used.

Every row read ends either accepted or quarantined with its reasons: `IngestResult.reconcile()` proves it.
Repairs that need no guess (a NIK's leading apostrophe or ".0", a date in DD-MM-YYYY) are made and recorded.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from pemadanan import regions
from pemadanan.dates import parse_dates
from pemadanan.names import name_key, normalize_name
from pemadanan.nik import NikStatus, clean_nik, nik_agrees_with

POPULATION_COLUMNS = (
    "NIK", "NO_KK", "NAMA_LGKP", "JENIS_KLMIN", "TMPT_LHR", "TGL_LHR", "AGAMA", "STAT_KWN", "STAT_HBKEL",
    "JENIS_PKRJN", "ALAMAT", "NO_RT", "NO_RW", "DUSUN", "KODE_POS", "NO_PROP", "NO_KAB", "NO_KEC", "NO_KEL",
)
VOTER_COLUMNS = (
    "TPS", "NKK", "NIK", "NAMA", "TEMPAT_LAHIR", "TANGGAL_LAHIR", "USIA", "JENIS_KELAMIN", "STATUS_PERKAWINAN",
    "ALAMAT", "RT", "RW", "DISABILITAS", "KETERANGAN", "KELURAHAN", "KECAMATAN", "KABUPATEN",
)
DEATH_COLUMNS = ("NIK", "NAMA_LGKP", "TGL_KEMATIAN")

# Other spellings of the headers, after upper-casing and turning spaces/dashes into underscores.
# Extend it per office with `header_aliases=` (see docs/INPUT_FILES.md).
HEADER_ALIASES: dict[str, str] = {
    "NAMA_LENGKAP": "NAMA_LGKP", "NAMA_LGKAP": "NAMA_LGKP", "NO_KTP": "NIK", "NOMOR_NIK": "NIK",
    "NOMOR_KK": "NO_KK", "NKK": "NKK", "JENIS_KELAMIN": "JENIS_KELAMIN", "JNS_KLMIN": "JENIS_KLMIN",
    "TEMPAT_LHR": "TMPT_LHR", "TANGGAL_LHR": "TGL_LHR", "TGL_LAHIR": "TGL_LHR", "STATUS_KAWIN": "STAT_KWN",
    "PEKERJAAN": "JENIS_PKRJN", "RT": "RT", "RW": "RW", "TGL_MATI": "TGL_KEMATIAN", "TANGGAL_KEMATIAN": "TGL_KEMATIAN",
    "DESA": "KELURAHAN", "KELURAHAN_DESA": "KELURAHAN", "DESA_KELURAHAN": "KELURAHAN", "KAB_KOTA": "KABUPATEN",
    "KABUPATEN_KOTA": "KABUPATEN", "NO_TPS": "TPS",
}

SEX_CODES = {"1": "L", "L": "L", "LAKI-LAKI": "L", "LAKI LAKI": "L", "2": "P", "P": "P", "PEREMPUAN": "P"}
MARITAL_CODES = {"1": 1, "BELUM KAWIN": 1, "2": 2, "KAWIN": 2, "3": 3, "CERAI HIDUP": 3, "4": 4, "CERAI MATI": 4}
VOTER_MARITAL_CODES = {"B": "B", "S": "S", "P": "P"}


QUARANTINE_COLUMNS = ("dataset", "source_row", "reasons", "original")


class FileRejected(ValueError):
    """The file as a whole cannot be used; the message names the file and why."""


@dataclass
class IngestResult:
    dataset: str
    rows_in: int
    accepted: pd.DataFrame  # typed, one row per accepted source row
    quarantine: pd.DataFrame  # dataset, source_row, reasons, original (JSON of the row as delivered)

    def reconcile(self) -> None:
        seen = pd.concat([self.accepted["source_row"], self.quarantine["source_row"]])
        if len(seen) != self.rows_in or seen.duplicated().any() or set(seen) != set(range(1, self.rows_in + 1)):
            raise AssertionError(
                f"{self.dataset}: {self.rows_in} rows in, {len(self.accepted)} accepted + "
                f"{len(self.quarantine)} quarantined do not account for every row exactly once")


def canonical_header(name: str, aliases: dict[str, str]) -> str:
    key = name.strip().lstrip("\ufeff").upper().replace(" ", "_").replace("-", "_")
    return aliases.get(key, key)


def read_table(path: Path, required: tuple[str, ...], header_aliases: dict[str, str] | None = None) -> pd.DataFrame:
    """Every cell as text, headers mapped to the official names, `source_row` = 1-based data row."""
    aliases = {**HEADER_ALIASES, **(header_aliases or {})}
    if path.suffix.lower() != ".csv":
        raise FileRejected(f"{path.name}: only CSV is read so far ({path.suffix} support is issue 3)")
    raw = path.read_bytes()
    if not raw.strip():
        raise FileRejected(f"{path.name}: the file is empty")
    text = _decode(raw)
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, sep=delimiter, quoting=csv.QUOTE_MINIMAL)
    frame.columns = [canonical_header(c, aliases) for c in frame.columns]
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise FileRejected(f"{path.name}: required column(s) missing: {', '.join(missing)}")
    frame.insert(0, "source_row", np.arange(1, len(frame) + 1))
    return frame


def _decode(raw: bytes) -> str:
    """UTF-8 (with or without BOM), else Windows-1252, else Latin-1 (which decodes any byte)."""
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")


def _quarantine(dataset: str, raw: pd.DataFrame, problems: dict[str, pd.Series]) -> tuple[pd.Series, pd.DataFrame]:
    """Rows with at least one problem, every reason joined; returns (kept mask, quarantine table)."""
    reasons = pd.Series("", index=raw.index, dtype=object)
    for reason, hit in problems.items():
        hit = hit.fillna(False).astype(bool)
        reasons[hit] = reasons[hit] + "; " + reason
    bad = reasons != ""
    original = raw.loc[bad].drop(columns="source_row")
    table = pd.DataFrame({
        "dataset": dataset,
        "source_row": raw.loc[bad, "source_row"].to_numpy(),
        "reasons": reasons[bad].str.slice(2).to_numpy(),
        "original": [json.dumps(r, ensure_ascii=False) for r in original.to_dict("records")],
    })
    return ~bad, table


def _names(raw: pd.Series) -> pd.DataFrame:
    normalized = normalize_name(raw)
    return pd.DataFrame({"name_norm": normalized, "name_key": name_key(normalized)})


def ingest_population(path: Path, header_aliases: dict[str, str] | None = None) -> IngestResult:
    raw = read_table(path, POPULATION_COLUMNS, header_aliases)
    nik = clean_nik(raw["NIK"])
    born = parse_dates(raw["TGL_LHR"])
    sex = raw["JENIS_KLMIN"].str.strip().str.upper().map(SEX_CODES)
    code_parts = [pd.to_numeric(raw[c], errors="coerce") for c in ("NO_PROP", "NO_KAB", "NO_KEC", "NO_KEL")]
    padded = [part.astype("Int64").astype("string").str.zfill(width) for part, width in zip(code_parts, (2, 2, 2, 4))]
    desa_code = padded[0] + "." + padded[1] + "." + padded[2] + "." + padded[3]
    known_desa = desa_code.isin(regions.region_table()["code"])
    usable_nik = nik["nik_status"].isin([NikStatus.VALID, NikStatus.REPAIRED])
    agrees = nik_agrees_with(nik["nik"], born["date"], sex)
    problems = {
        "NIK missing": nik["nik_status"] == NikStatus.MISSING,
        "NIK malformed": nik["nik_status"] == NikStatus.MALFORMED,
        "NIK unreliable (Excel scientific notation)": nik["nik_status"] == NikStatus.UNRELIABLE,
        "NIK duplicated in the file": usable_nik & nik["nik"].duplicated(keep=False),
        "TGL_LHR not a date": born["date"].isna(),
        "JENIS_KLMIN not 1/2": sex.isna(),
        "region code not in the Kemendagri table": ~known_desa,
    }
    kept, quarantine = _quarantine("population", raw, problems)
    accepted = pd.DataFrame({
        "source_row": raw["source_row"], "nik": nik["nik"], "nik_repair": nik["nik_repair"],
        "no_kk": clean_nik(raw["NO_KK"])["nik"], "name": raw["NAMA_LGKP"].str.strip(),
        **_names(raw["NAMA_LGKP"]),
        "sex": sex, "birthplace": raw["TMPT_LHR"].str.strip().str.upper(), "birth_date": born["date"],
        "religion": pd.to_numeric(raw["AGAMA"], errors="coerce").astype("Int64"),
        "marital": raw["STAT_KWN"].str.strip().str.upper().map(MARITAL_CODES).astype("Int64"),
        "hubungan": pd.to_numeric(raw["STAT_HBKEL"], errors="coerce").astype("Int64"),
        "occupation": pd.to_numeric(raw["JENIS_PKRJN"], errors="coerce").astype("Int64"),
        "address": raw["ALAMAT"].str.strip(), "rt": pd.to_numeric(raw["NO_RT"], errors="coerce").astype("Int64"),
        "rw": pd.to_numeric(raw["NO_RW"], errors="coerce").astype("Int64"), "dusun": raw["DUSUN"].str.strip(),
        "kode_pos": raw["KODE_POS"].str.strip(), "desa_code": desa_code,
        # A corrected birth date or sex leaves the NIK as issued: flag it, keep the resident.
        "nik_birth_date_disagrees": ~agrees["birth_date_agrees"], "nik_sex_disagrees": ~agrees["sex_agrees"],
    })[kept].reset_index(drop=True)
    result = IngestResult("population", len(raw), accepted, quarantine)
    result.reconcile()
    return result


def ingest_voters(path: Path, kabupaten_codes: list[str], header_aliases: dict[str, str] | None = None) -> IngestResult:
    raw = read_table(path, VOTER_COLUMNS, header_aliases)
    nik = clean_nik(raw["NIK"])
    born = parse_dates(raw["TANGGAL_LAHIR"])
    sex = raw["JENIS_KELAMIN"].str.strip().str.upper().map(SEX_CODES)
    names = _names(raw["NAMA"])
    desa_code = pd.Series(pd.NA, index=raw.index, dtype="string")
    for kabupaten in kabupaten_codes:
        desa_code = desa_code.fillna(regions.resolve_desa(raw["KECAMATAN"], raw["KELURAHAN"], kabupaten))
    problems = {
        "NAMA empty": names["name_norm"].isna(),
        "JENIS_KELAMIN not L/P": sex.isna(),
        "no NIK and no usable birth date": born["date"].isna() & nik["nik"].isna(),
        "KELURAHAN/KECAMATAN do not resolve to a desa": desa_code.isna(),
    }
    kept, quarantine = _quarantine("voters", raw, problems)
    accepted = pd.DataFrame({
        "source_row": raw["source_row"], "tps": pd.to_numeric(raw["TPS"], errors="coerce").astype("Int64"),
        "no_kk": clean_nik(raw["NKK"])["nik"], **nik, "name": raw["NAMA"].str.strip(), **names,
        "birthplace": raw["TEMPAT_LAHIR"].str.strip().str.upper(), "birth_date": born["date"],
        "birth_date_format": born["date_format"], "sex": sex,
        "marital": raw["STATUS_PERKAWINAN"].str.strip().str.upper().map(VOTER_MARITAL_CODES),
        "address": raw["ALAMAT"].str.strip(), "rt": pd.to_numeric(raw["RT"], errors="coerce").astype("Int64"),
        "rw": pd.to_numeric(raw["RW"], errors="coerce").astype("Int64"),
        "disability": pd.to_numeric(raw["DISABILITAS"], errors="coerce").astype("Int64"),
        "keterangan": raw["KETERANGAN"].str.strip(), "desa_code": desa_code,
    })[kept].reset_index(drop=True)
    result = IngestResult("voters", len(raw), accepted, quarantine)
    result.reconcile()
    return result


def ingest_deaths(path: Path | None, header_aliases: dict[str, str] | None = None) -> IngestResult:
    """The optional death records; no file means no records this semester."""
    if path is None:
        empty = pd.DataFrame({"source_row": pd.Series(dtype=int), "nik": pd.Series(dtype="string"),
                              "death_date": pd.Series(dtype="datetime64[ns]")})
        return IngestResult("deaths", 0, empty, pd.DataFrame(columns=QUARANTINE_COLUMNS))
    raw = read_table(path, DEATH_COLUMNS, header_aliases)
    nik = clean_nik(raw["NIK"])
    died = parse_dates(raw["TGL_KEMATIAN"])
    problems = {
        "NIK not usable": ~nik["nik_status"].isin([NikStatus.VALID, NikStatus.REPAIRED]),
        "TGL_KEMATIAN not a date": died["date"].isna(),
    }
    kept, quarantine = _quarantine("deaths", raw, problems)
    accepted = pd.DataFrame({"source_row": raw["source_row"], "nik": nik["nik"], "death_date": died["date"]})
    result = IngestResult("deaths", len(raw), accepted[kept].reset_index(drop=True), quarantine)
    result.reconcile()
    return result
