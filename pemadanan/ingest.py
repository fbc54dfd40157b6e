"""Reading a semester's files, validating them against their expectation suites, and typing what passes.

For each file: read every cell as text (CSV in UTF-8/UTF-16/cp1252/Latin-1 with `,` `;` tab or `|`, XLSX,
Parquet), map the headers, run the structure checks (a blocking failure stops here), stage the rows
(repairs that need no guess, derived columns), run the row checks, then split the rows: a row failing any
`quarantine` check goes to the quarantine with every reason; the others are accepted, with the `flag`
checks they fail and the repairs made. `IngestResult.reconcile()` proves every row is accounted for once.
"""

from __future__ import annotations

import codecs
import csv
import functools
import hashlib
import io
import json
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from expectations import checks as suites
from expectations.checks import Check, Outcome
from pemadanan import regions
from pemadanan.catalogue import QUARANTINE
from pemadanan.dates import age_on, parse_dates, real_date
from pemadanan.frames import per_distinct_value, text_in
from pemadanan.names import key_of_words, name_words, normalize_name
from pemadanan.nik import TRUSTED, NikStatus, clean_nik, nik_birth_parts
from pemadanan.semester import Semester
from pemadanan.validation import (
    CheckOutcome,
    FileBlocked,
    FileValidation,
    ValidationPolicy,
    outcome_from_values,
    outcome_values,
    quarantine_reasons,
    value_shape,
)

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
# Extend it per office through the landing resource's `header_aliases` (see docs/INPUT_FILES.md).
HEADER_ALIASES: dict[str, str] = {
    "NAMA_LENGKAP": "NAMA_LGKP", "NAMA_LGKAP": "NAMA_LGKP", "NO_KTP": "NIK", "NOMOR_NIK": "NIK",
    "NOMOR_KK": "NO_KK", "JNS_KLMIN": "JENIS_KLMIN",
    "TEMPAT_LHR": "TMPT_LHR", "TANGGAL_LHR": "TGL_LHR", "TGL_LAHIR": "TGL_LHR", "STATUS_KAWIN": "STAT_KWN",
    "PEKERJAAN": "JENIS_PKRJN", "TGL_MATI": "TGL_KEMATIAN", "TANGGAL_KEMATIAN": "TGL_KEMATIAN",
    "DESA": "KELURAHAN", "KELURAHAN_DESA": "KELURAHAN", "DESA_KELURAHAN": "KELURAHAN", "KAB_KOTA": "KABUPATEN",
    "KABUPATEN_KOTA": "KABUPATEN", "NO_TPS": "TPS",
}
DELIMITERS = (",", ";", "\t", "|")
UNREADABLE = "\ufffd"  # what a byte that cannot be read becomes
MAX_FIELD = 1_000  # characters: no NIK, name or address is longer; a longer field is a broken file or an attack
MAX_FILE_FIELD = 2**31 - 1  # what the csv module may read in one field, so that MAX_FIELD is checked per row
CSV_BLOCK = 1 << 24  # bytes pyarrow parses at a time, per thread

# What a file is, by its first bytes: its name says what the sender meant to save, these what was saved. Each is
# (format it may be read as, what it is, what to do instead). A parser given another format fails with a message
# that names no file (csv.Error on an XLSX's bytes) or quotes the bytes.
SIGNATURES = {
    b"PK\x03\x04": (".xlsx", "a ZIP archive (an XLSX saved under a {suffix} name?)",
                     "save the sheet as CSV, or deliver the workbook as .xlsx"),
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1": (None, "an old Excel workbook (XLS) or a password-protected one",
                                         "save the sheet as CSV, or as XLSX without a password"),
    b"PAR1": (".parquet", "a Parquet file", "deliver it as .parquet"),
    b"\x1f\x8b": (None, "a gzip archive", "unpack it and deliver what it holds"),
}
UTF16_SAMPLE = 4096  # bytes looked at to tell UTF-16 without its BOM

# Caps checked before a file is parsed: a file beyond them is no kabupaten's, and parsing it would take the run's
# time and memory (a 10 MB XLSX declaring 2.6 GB of sheet kept openpyxl busy past 600 s).
# Kab. Bogor, the largest kabupaten, had 5,664,537 residents (Semester I 2024): 1.4 times that, for growth.
MAX_ROWS = 8_000_000
# Generated files measure 124 (population) and 135 (voters) bytes a row as UTF-8 CSV; real ones, with longer
# addresses, about 200 (1M residents, about 200 MB): Bogor about 1.1 GB, twice that as UTF-16 (Excel's "Unicode
# text"). 4 GB leaves room above both, and reading that much stays within the largest run pod (sizing.py).
MAX_FILE_BYTES = 4_000_000_000
EXCEL_MAX_ROWS = 1_048_576  # a worksheet's rows in Excel since 2007: no sheet Excel wrote declares more
# A full sheet (1,048,576 rows) of population rows as openpyxl writes them (inline strings) is about 1.08 GB of XML
# (measured 1,027 bytes a row); Excel's shared strings make it smaller. Declared sizes bound what Python's zipfile
# unpacks (it stops at the declared size), so checking them is enough.
MAX_XLSX_UNPACKED = 2_000_000_000
# Generated population and voter sheets pack 11 to 1 (measured); a zip bomb packs hundreds to a thousand to one.
# Only parts of a megabyte or more count: a small, repetitive part (styles) may pack tighter and costs nothing.
MAX_PACKING_RATIO = 100
PACKING_CHECKED_FROM = 1 << 20
_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\s+ref=\"[A-Z]*(\d*)(?::[A-Z]*(\d+))?\"")
# Reader messages that describe the file, never a cell, and may be shown as they are. Any other may quote a cell
# (openpyxl: "invalid literal for int() with base 10: '<the cell>'"): only its kind is shown.
_FILE_NOT_CELLS = re.compile(r"File is not a zip file|Bad magic number|Worksheet (named|index)|Parquet magic bytes|"
                             r"Could not open Parquet input source|Parquet file size is")

SEX_CODES = {"1": "L", "L": "L", "LAKI-LAKI": "L", "LAKI LAKI": "L", "2": "P", "P": "P", "PEREMPUAN": "P"}
MARITAL_CODES = {"1": 1, "BELUM KAWIN": 1, "2": 2, "KAWIN": 2, "3": 3, "CERAI HIDUP": 3, "4": 4, "CERAI MATI": 4}

QUARANTINE_COLUMNS = tuple(QUARANTINE.frame_columns)


class FileRejected(ValueError):
    """The file cannot be read at all; the message names the file and why."""


@dataclass
class IngestResult:
    dataset: str
    file_name: str
    rows_in: int
    accepted: pd.DataFrame  # typed, one row per accepted source row, with `flags` and `repairs`
    quarantine: pd.DataFrame  # dataset, source_row, reasons, original (JSON of the row as delivered)
    checks: list[CheckOutcome] = field(default_factory=list)
    docs_index: Path | None = None
    file_sha256: str | None = None  # review decisions apply only to the files whose review queue they decide

    def reconcile(self) -> None:
        seen = pd.concat([self.accepted["source_row"], self.quarantine["source_row"]])
        if len(seen) != self.rows_in or seen.duplicated().any() or set(seen) != set(range(1, self.rows_in + 1)):
            raise AssertionError(
                f"{self.dataset}: {self.rows_in} rows in, {len(self.accepted)} accepted + "
                f"{len(self.quarantine)} quarantined do not account for every row exactly once")

    def to_frames(self) -> tuple[dict[str, pd.DataFrame], dict]:
        """Its frames and its other values (JSON), as a step output staged in the warehouse keeps them."""
        return {"accepted": self.accepted, "quarantine": self.quarantine}, {
            "dataset": self.dataset, "file_name": self.file_name, "rows_in": self.rows_in,
            "checks": [outcome_values(outcome) for outcome in self.checks],
            "docs_index": str(self.docs_index) if self.docs_index else None, "file_sha256": self.file_sha256}

    @classmethod
    def from_frames(cls, frames: dict[str, pd.DataFrame], values: dict) -> IngestResult:
        return cls(values["dataset"], values["file_name"], values["rows_in"], frames["accepted"], frames["quarantine"],
                   [outcome_from_values(outcome) for outcome in values["checks"]],
                   Path(values["docs_index"]) if values["docs_index"] else None, values["file_sha256"])

    @property
    def row_issues(self) -> pd.DataFrame:
        """Accepted rows that were flagged or repaired, with the delivered values that were repaired."""
        issues = self.accepted[self.accepted["flags"].notna() | self.accepted["repairs"].notna()]
        return pd.DataFrame({
            "dataset": self.dataset, "source_row": issues["source_row"], "flags": issues["flags"],
            "repairs": issues["repairs"], "nik_delivered": issues["nik_delivered"],
            "birth_date_delivered": issues.get("birth_date_delivered", pd.Series(pd.NA, index=issues.index)),
        }).reset_index(drop=True)


def _header_key(names: pd.Series) -> pd.Series:
    key = names.astype("string").str.strip().str.lstrip("\ufeff").str.upper()
    return key.str.replace(r"[\s\-]+", "_", regex=True)


def canonical_header(names: list[str], aliases: dict[str, str]) -> list[str]:
    return [aliases.get(key, key) for key in _header_key(pd.Series(names, dtype="string"))]


def known_columns(aliases: dict[str, str]) -> frozenset[str]:
    """Header names that may be shown as they are: every file's columns and their spellings."""
    return frozenset({"source_row", "fields_delivered", *aliases, *aliases.values(), *POPULATION_COLUMNS,
                      *VOTER_COLUMNS, *DEATH_COLUMNS})


def delivered_bytes(path: Path) -> bytes:
    """The file's bytes, read once, after a size check: what is parsed is what its digest describes (a file
    replaced while a run reads it must not be recorded as the new one)."""
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise FileRejected(f"{path.name}: {size:,} bytes, more than the {MAX_FILE_BYTES:,} the largest kabupaten's file "
                           "needs: refused unread")
    return path.read_bytes()


def read_table(path: Path, header_aliases: dict[str, str] | None = None, sheet: str | None = None,
               expected: tuple[str, ...] = POPULATION_COLUMNS, data: bytes | None = None) -> pd.DataFrame:
    """Every cell as text, headers mapped to the official names; `source_row` = 1-based data row and
    `fields_delivered` = how many fields the row had (a short or overlong CSV line keeps its row number,
    with its cells <NA>, so it can be quarantined rather than lost). A file with no bytes has no columns.
    `expected`: the columns a refusal for a missing header line names. `data`: the file's bytes, if read already
    (`delivered_bytes`)."""
    aliases = {**HEADER_ALIASES, **(header_aliases or {})}
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx", ".parquet"):
        raise FileRejected(f"{path.name}: unsupported file type {suffix!r} (CSV, XLSX or Parquet)")
    data = delivered_bytes(path) if data is None else data
    _refuse_other_formats(path.name, data, suffix)
    if suffix == ".csv":
        frame = _read_csv(path.name, data)
    else:
        try:
            if suffix == ".xlsx":  # header=None: pandas would rename a second NIK to NIK.1
                _refuse_oversized_workbook(path.name, data)
                # At most a full Excel sheet is parsed, whatever the sheet declares (it may declare nothing).
                cells = pd.read_excel(io.BytesIO(data), sheet_name=sheet or 0, dtype=object, engine="openpyxl",
                                      header=None, nrows=EXCEL_MAX_ROWS + 1)
                if len(cells) > EXCEL_MAX_ROWS:
                    raise FileRejected(f"{path.name}: more rows than Excel's {EXCEL_MAX_ROWS:,}: not written by Excel "
                                       "(a zip bomb?)")
                header = [str(c) for c in cells.iloc[0]] if len(cells) else []
                typed = cells.iloc[1:].set_axis(range(len(header)), axis=1)
            else:
                _refuse_oversized_parquet(path.name, data)
                # Through Arrow, integers as Python ints: pandas makes an int64 column with a gap float64, which
                # rounds every NIK of provinces 91-96 (beyond 2^53) in it.
                typed = pq.read_table(io.BytesIO(data)).to_pandas(integer_object_nulls=True, date_as_object=True)
                header = [str(c) for c in typed.columns]
        except FileRejected:  # a ValueError too
            raise
        # openpyxl and pyarrow raise these (SyntaxError: the XML parsers' errors) on damaged or hand-made files.
        except (ValueError, KeyError, OSError, SyntaxError, zipfile.BadZipFile, pa.ArrowException) as error:
            if _FILE_NOT_CELLS.match(str(error)):  # no such sheet, not a workbook, not Parquet
                raise FileRejected(f"{path.name}: {error}") from error
            kind = {".xlsx": "XLSX", ".parquet": "Parquet"}[suffix]
            raise FileRejected(f"{path.name}: not readable as {kind} ({type(error).__name__}: a damaged or hand-made "
                               "file?)") from None
        frame = _as_text(typed, header)
    frame.columns = ["fields_delivered", *canonical_header([str(c) for c in frame.columns[1:]], aliases)] if len(frame.columns) else []
    known = known_columns(aliases) - {"source_row", "fields_delivered"}
    # Before the names are compared with each other: a data record in the header's place repeats values (a desa
    # name, a code) and would read as a header naming a column twice.
    if len(frame.columns) and not known.intersection(frame.columns[1:]):
        raise FileRejected(f"{path.name}: the header line is missing: the first line names none of the expected columns "
                           f"({', '.join(expected)}); a data record where the header belongs, a title line above it, "
                           "or header names the header mapping does not know")
    doubled = frame.columns[frame.columns.duplicated()].unique().tolist()
    if doubled:  # by shape where not a known column: a record pasted over the header has its values there
        named = [name if name in known else str(value_shape(pd.Series([name])).iloc[0]) for name in doubled]
        raise FileRejected(f"{path.name}: the header names {', '.join(named)} more than once (a column delivered "
                           "twice, or two spellings of it: see the header mapping)")
    frame.insert(0, "source_row", np.arange(1, len(frame) + 1))
    return frame


def _refuse_other_formats(name: str, data: bytes, suffix: str) -> None:
    """Raises FileRejected when the file's first bytes say it is another format than its name says."""
    for magic, (readable_as, what, instead) in SIGNATURES.items():
        if data.startswith(magic) and suffix != readable_as:
            raise FileRejected(f"{name} is {what.format(suffix=suffix)}: {instead}")


def _refuse_oversized_parquet(name: str, data: bytes) -> None:
    rows = pq.read_metadata(io.BytesIO(data)).num_rows
    if rows > MAX_ROWS:
        raise FileRejected(f"{name}: {rows:,} rows (as its footer declares), more than the {MAX_ROWS:,} the largest "
                           "kabupaten needs: refused unread")


def _refuse_oversized_workbook(name: str, data: bytes) -> None:
    """From the ZIP directory and the head of each sheet, before openpyxl unpacks anything: what the parts declare
    unpacked, how tightly they pack, and how many rows each sheet declares."""
    with zipfile.ZipFile(io.BytesIO(data)) as workbook:
        parts = workbook.infolist()
        unpacked = sum(part.file_size for part in parts)
        if unpacked > MAX_XLSX_UNPACKED:
            raise FileRejected(f"{name}: unpacks to {unpacked:,} bytes (as its ZIP directory declares), more than "
                               f"the {MAX_XLSX_UNPACKED:,} a full Excel sheet of these files needs: refused unread "
                               "(a zip bomb?)")
        ratio = max((part.file_size / max(part.compress_size, 1) for part in parts
                     if part.file_size >= PACKING_CHECKED_FROM), default=0)
        if ratio > MAX_PACKING_RATIO:
            raise FileRejected(f"{name}: a part unpacks to {ratio:,.0f} times its packed size (as its ZIP directory "
                               f"declares), more than the {MAX_PACKING_RATIO} any spreadsheet packs to: refused unread "
                               "(a zip bomb?)")
        for part in parts:
            if re.fullmatch(r"xl/worksheets/[^/]+\.xml", part.filename):
                with workbook.open(part) as sheet:
                    dimension = _DIMENSION.search(sheet.read(1 << 16))  # it comes before the rows
                rows = int(dimension.group(2) or dimension.group(1) or 0) if dimension else 0
                if rows > EXCEL_MAX_ROWS:
                    raise FileRejected(f"{name}: a sheet declares {rows:,} rows, more than Excel's "
                                       f"{EXCEL_MAX_ROWS:,}: refused unread (not written by Excel; a zip bomb?)")


def _read_csv(name: str, raw: bytes) -> pd.DataFrame:
    text = _decode(raw).lstrip("\ufeff")
    if not text.strip():  # no bytes, or a BOM alone (Excel's "CSV UTF-8" of an empty sheet)
        return pd.DataFrame()
    # A line ends in LF, CRLF or, from Excel for Mac's "CSV (Macintosh)", CR alone (pyarrow reads all three). Found,
    # not split off: a split copies the rest of the file.
    end = re.search(r"[\r\n]", text)
    first_line = text[:end.start()] if end else text
    delimiter = max(DELIMITERS, key=first_line.count)
    try:
        # The header as delivered: a reader would rename a second NIK to NIK.1 and read the first without a word.
        header = next(csv.reader(io.StringIO(first_line), delimiter=delimiter))
        frame, fields_delivered = _records(text.encode("utf-8"), delimiter, len(header))
    except (csv.Error, pa.ArrowException):  # their messages may quote the line, and so personal data
        raise FileRejected(f"{name}: not readable as CSV") from None
    frame.columns = header
    frame.insert(0, "fields_delivered", fields_delivered)
    return frame


def _records(data: bytes, delimiter: str, width: int) -> tuple[pd.DataFrame, np.ndarray]:
    """The data records of a UTF-8 CSV (after its header; blank lines skipped), `width` text columns, and how many
    fields each record had. A short record keeps its cells, the missing ones <NA>; an overlong one cannot be placed:
    every cell <NA>. Either keeps its place, so that it can be quarantined rather than lost."""
    names = [str(i) for i in range(width)]
    set_aside: list[pa_csv.InvalidRow] = []

    def read(threads: bool, block_size: int) -> pa.Table:
        set_aside.clear()
        return pa_csv.read_csv(
            io.BytesIO(data),
            read_options=pa_csv.ReadOptions(column_names=names, skip_rows=1, use_threads=threads, block_size=block_size),
            parse_options=pa_csv.ParseOptions(delimiter=delimiter, newlines_in_values=True,
                                              invalid_row_handler=lambda row: set_aside.append(row) or "skip"),
            convert_options=pa_csv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()),
                                                  strings_can_be_null=False, quoted_strings_can_be_null=False))
    block = CSV_BLOCK
    try:
        table = read(threads=True, block_size=block)
    except pa.ArrowInvalid:  # a record longer than a block (an oversized field): the file in one block
        block = len(data) + 1
        table = read(threads=True, block_size=block)
    if set_aside:  # only a read on one thread numbers the records it sets aside
        table = read(threads=False, block_size=block)
    records = table.num_rows + len(set_aside)
    # InvalidRow.number counts records from the header's, 1.
    at = np.array([row.number - 2 for row in set_aside], dtype=np.int64)
    fields_delivered = np.full(records, width, dtype=np.int64)
    fields_delivered[at] = [row.actual_columns for row in set_aside]
    frame = table.to_pandas(types_mapper={pa.string(): pd.StringDtype("pyarrow")}.get)
    frame = frame.set_axis(np.delete(np.arange(records), at)).reindex(np.arange(records))
    short = [row for row in set_aside if row.actual_columns < width]
    if short:
        csv.field_size_limit(MAX_FILE_FIELD)  # an oversized field is quarantined by its row's check, not fatal here
        cells = pd.DataFrame([next(csv.reader(io.StringIO(row.text), delimiter=delimiter))[:row.actual_columns]
                              for row in short], index=[row.number - 2 for row in short], dtype="string")
        frame = frame.fillna(cells.set_axis(names[:cells.shape[1]], axis=1))
    # A line of spaces is blank too, as it is to pandas and to the eye: no record.
    blank = np.isin(np.arange(records), [row.number - 2 for row in short if not row.text.strip()])
    return frame[~blank].reset_index(drop=True), fields_delivered[~blank]


_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xf4][\x80-\xbf]+")


def _utf16_without_bom(raw: bytes) -> str | None:
    """The codec of UTF-16 written without its BOM, or None. Text in the Latin alphabet (which Indonesian names and
    codes are) has a NUL byte beside every character: `N\\0I\\0K\\0` little-endian, `\\0N\\0I\\0K` big-endian. A UTF-8
    or Windows-1252 file has a NUL only where a byte was damaged, and then on no side in particular."""
    sample = np.frombuffer(raw[:min(len(raw), UTF16_SAMPLE) // 2 * 2], dtype=np.uint8)
    if len(sample) < 4:
        return None
    nul_even, nul_odd = (sample[0::2] == 0).mean(), (sample[1::2] == 0).mean()
    if nul_odd > 0.5 and nul_even < 0.05:
        return "utf-16-le"
    if nul_even > 0.5 and nul_odd < 0.05:
        return "utf-16-be"
    return None


def _decode(raw: bytes) -> str:
    """UTF-16 with its BOM (Excel's "Unicode text") or without; UTF-8 (with or without BOM); a file that is UTF-8
    except for a few bad bytes stays UTF-8, its bad bytes U+FFFD so that those rows, and only those, are
    quarantined; a file with no UTF-8 sequence at all is Windows-1252, else Latin-1 (which decodes any byte). A NUL
    byte becomes U+FFFD too: it would cut its field short."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = raw.decode("utf-16", errors="replace")
    elif utf16 := _utf16_without_bom(raw):
        text = raw.decode(utf16, errors="replace")
    else:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            if _UTF8_MULTIBYTE.search(raw):
                text = raw.decode("utf-8-sig", errors="replace")
            else:
                try:
                    text = raw.decode("cp1252")
                except UnicodeDecodeError:
                    text = raw.decode("latin-1")
    return text.replace("\x00", UNREADABLE)


def _as_text(frame: pd.DataFrame, header: list[str]) -> pd.DataFrame:
    """Cells of a typed file (XLSX, Parquet) as the text a CSV would hold: dates ISO, whole numbers without .0.
    A floating-point number beyond 2^53 lost digits before it reached us (a NIK of provinces 91-96 stored as a
    float): it stays in scientific notation, which the NIK checks flag, rather than turn into another NIK."""
    def cell(value) -> str | None:
        if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT:
            return ""
        if hasattr(value, "strftime"):
            return value.strftime("%Y-%m-%d")
        if isinstance(value, float) and abs(value) >= 2**53:
            return f"{value:.15e}"
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        if isinstance(value, bytes):  # a binary Parquet column: bytes that are not UTF-8 quarantine their row
            return value.decode("utf-8", errors="replace")
        return str(value)

    text = pd.DataFrame({position: frame.iloc[:, position].map(cell).astype("string")
                         for position in range(len(header))}).set_axis(header, axis=1)
    text.insert(0, "fields_delivered", len(header))  # a typed file has no short or overlong lines
    return text.reset_index(drop=True)


# Staging: derived columns the row checks read. A derived boolean is <NA> where its check does not apply.

def _code(raw: pd.Series) -> pd.Series:
    """A code cell for comparison with its value set: trimmed, upper-case, `06` read as `6`; "" where missing."""
    def code(distinct: pd.Series) -> dict[str, pd.Series]:
        text = distinct.str.strip().str.upper()
        return {"code": text.mask(text.str.fullmatch(r"0*[0-9]+"), text.str.lstrip("0").replace("", "0"))}
    return per_distinct_value(raw.astype("string"), code)["code"].fillna("")


def _whole_number_text(raw: pd.Series) -> pd.Series:
    """A whole-number cell's digits: `7`, ` 07 `, `7.0` (a number column saved from a spreadsheet); anything else
    (`7.5`, `-3`, `RT 7`) is missing rather than a guess."""
    def digits(distinct: pd.Series) -> dict[str, pd.Series]:
        text = distinct.str.strip().str.replace(r"\.0+$", "", regex=True)
        return {"digits": text.where(text.str.fullmatch(r"[0-9]{1,9}"))}
    return per_distinct_value(raw.astype("string"), digits)["digits"]


def _whole_number(raw: pd.Series) -> pd.Series:
    return _whole_number_text(raw).astype("Int64")


def _whole_numbers(raw: pd.DataFrame, columns: tuple[str, ...]) -> pd.Series:
    """False where one of `columns` holds something `_whole_number` cannot read (and so reads as missing)."""
    unreadable = np.zeros(len(raw), dtype=bool)
    for column in columns:
        given = raw[column].astype("string").str.strip().fillna("") != ""
        unreadable |= (given & _whole_number_text(raw[column]).isna()).to_numpy(dtype=bool)
    return pd.Series(~unreadable, index=raw.index)


def _sixteen_digits(cleaned: pd.DataFrame) -> pd.Series:
    """Whether `clean_nik` found 16 digits (<NA> where the cell is empty): a check's column rather than a regex
    expectation, which GX's pandas engine matches value by value in Python."""
    return cleaned["nik"].notna().astype("boolean").where(cleaned["nik_digits"].notna())


def _kk_stage(raw_kk: pd.Series) -> dict[str, pd.Series]:
    """A family card number is 16 digits too, and Excel damages it as it does a NIK."""
    cleaned = clean_nik(raw_kk)
    return {"no_kk_digits": cleaned["nik_digits"], "no_kk_is_16_digits": _sixteen_digits(cleaned),
            "no_kk_excel_mangled": cleaned["nik_excel_mangled"]}


def _no_kk(staged: pd.DataFrame) -> pd.Series:
    """The family card number where it is one: 16 digits, none of them lost to Excel (a rounded or zeroed number is
    another family's card, or several families' at once, and would join them)."""
    whole = staged["no_kk_is_16_digits"].fillna(False) & ~staged["no_kk_excel_mangled"].fillna(True)
    return staged["no_kk_digits"].where(whole)


def _nik_columns(staged: pd.DataFrame) -> dict[str, pd.Series]:
    """`nik`: the NIK as delivered, or repaired without a guess; empty where Excel lost digits (UNRELIABLE). A float
    beyond 2^53 rounded, `3.32301E+15` expanded or a serial zeroed is another person's NIK, or nobody's: it must be
    in no NIK column, published or compared. `nik_digits`: the 16 digits read, whatever their status, for linkage
    alone: a zeroed serial is one edit from the NIK, which the one-edit stage searches around and confirms by name,
    birth date, sex and place. The delivered value stays in `nik_delivered`."""
    return {"nik": staged["nik"].mask(staged["nik_status"].eq(NikStatus.UNRELIABLE)), "nik_digits": staged["nik"]}


def _nik_stage(raw_nik: pd.Series, birth_date: pd.Series | None = None) -> pd.DataFrame:
    """NIK columns for the checks; with the file's birth dates, also the NIK's own birth date and sex."""
    nik = clean_nik(raw_nik)
    parseable = nik["nik"].notna() & ~nik["nik_excel_mangled"].fillna(True)
    parts = nik_birth_parts(nik["nik"].where(parseable))
    real = parseable & parts["valid_date"]
    staged = nik.assign(
        nik_is_16_digits=_sixteen_digits(nik),
        nik_date_real=pd.Series(parts["valid_date"], dtype="boolean").where(parseable),
        nik_region_known=text_in(nik["nik"].str.slice(0, 6), regions.nik_region_prefixes()).astype("boolean").where(real),
        nik_trusted=nik["nik"].where(nik["nik_status"].isin(TRUSTED)),
    )
    if birth_date is not None:
        century = (birth_date.dt.year // 100) * 100
        staged["nik_birth_date"] = real_date(century + parts["yy"], parts["month"], parts["day"]).where(real)
        staged["nik_sex"] = parts["sex"].where(real)
        # Whether the NIK carries the row's birth date, where both are known: a family card number carries the date
        # its card was recorded instead, so a column of them (NIK and NKK swapped) fails on almost every row.
        known = staged["nik_birth_date"].notna() & birth_date.notna()
        staged["nik_carries_birth_date"] = (staged["nik_birth_date"] == birth_date).astype("boolean").where(known)
    return staged


def _dates(raw: pd.Series, reference: pd.Timestamp) -> pd.DataFrame:
    parsed = parse_dates(raw)
    born = parsed["date"]
    # Whole years as float (NaN where unknown): GX's pandas engine tests a nullable Int64 column's values against
    # their bounds one by one in Python, a float column at once.
    age = age_on(born, reference).where(born <= reference).astype(float)
    return pd.DataFrame({"date": born, "format": parsed["date_format"], "age": age})


def _shape(raw: pd.DataFrame, required: tuple[str, ...], aliases: dict[str, str]) -> pd.DataFrame:
    """`row_complete`: no field missing (a truncated last line); `repeats_header`: the row is the header again
    (most of its cells are header spellings; only rows whose NIK cell is one are examined)."""
    delivered = raw[list(required)]

    def spellings(column: str) -> list[str]:
        return [column, *(alias for alias, target in aliases.items() if target == column)]

    repeats = pd.Series(False, index=raw.index)
    candidates = delivered[_header_key(delivered["NIK"]).isin(spellings("NIK")).fillna(False)]
    if len(candidates):
        header_like = sum(_header_key(candidates[c]).isin(spellings(c)).fillna(False).astype(int) for c in required)
        repeats[candidates.index] = header_like * 2 > len(required)
    header_fields = len(raw.columns) - 2  # beside source_row and fields_delivered
    cells = raw.drop(columns=["source_row", "fields_delivered"]).astype("string")
    unreadable = np.zeros(len(raw), dtype=bool)
    oversized = np.zeros(len(raw), dtype=bool)
    for column in cells.columns:
        unreadable |= cells[column].str.contains(UNREADABLE, regex=False).fillna(False).to_numpy(dtype=bool)
        oversized |= (cells[column].str.len() > MAX_FIELD).fillna(False).to_numpy(dtype=bool)
    return pd.DataFrame({"row_complete": raw["fields_delivered"] == header_fields, "repeats_header": repeats,
                         "row_readable": ~unreadable, "fields_not_oversized": ~oversized}, index=raw.index)


def _names(raw: pd.Series) -> pd.DataFrame:
    normalized = normalize_name(raw)
    words = name_words(normalized)
    return pd.DataFrame({"name_norm": normalized, "name_key": key_of_words(words), "name_words": words})


def _repairs(staged: pd.DataFrame, date_column: str | None) -> dict[str, pd.Series]:
    """What was repaired without guessing ('; '-joined, <NA> if nothing), and the delivered values of the
    NIK (where repaired or not valid) and of the birth date (where not YYYY-MM-DD). Reading a date written
    DD-MM-YYYY, as most kecamatan offices write it, is no repair: nothing was wrong with it."""
    repairs = ("NIK: " + staged["nik_repair"]).fillna("")
    columns = {"nik_delivered": staged["NIK"].where(staged["nik_repair"].notna() | staged["nik_status"].ne(NikStatus.VALID))}
    if date_column is not None:
        columns["birth_date_delivered"] = staged[date_column].where(staged["birth_date_format"].ne("%Y-%m-%d"))
    return {"repairs": repairs.replace("", pd.NA), **columns}


def _region_code_parts(raw: pd.DataFrame, columns: tuple[str, ...]) -> list[pd.Series]:
    """NO_PROP, NO_KAB, NO_KEC, NO_KEL as the parts of a Kemendagri code: `6` and `006` are `06` (`0001` for NO_KEL)."""
    widths = {"NO_PROP": 2, "NO_KAB": 2, "NO_KEC": 2, "NO_KEL": 4}
    return [_whole_number_text(raw[c]).str.lstrip("0").str.pad(widths[c], side="left", fillchar="0") for c in columns]


def _delivered_kabupaten(row_kabupaten: pd.Series, kabupaten: str | None) -> dict[str, pd.Series]:
    """`row_kabupaten`: the kabupaten code each row says it is of (<NA> where it says none that is known);
    `in_delivered_kabupaten`: whether that is the kabupaten the file was delivered for (<NA> where unknown, or
    without a kabupaten to compare with)."""
    same = (row_kabupaten == kabupaten).astype("boolean")
    return {"row_kabupaten": row_kabupaten,
            "in_delivered_kabupaten": same.where(row_kabupaten.notna() & (kabupaten is not None))}


def stage_population(raw: pd.DataFrame, reference: pd.Timestamp, kabupaten: str | None) -> pd.DataFrame:
    born = _dates(raw["TGL_LHR"], reference)
    sex_code = _code(raw["JENIS_KLMIN"])
    padded = _region_code_parts(raw, ("NO_PROP", "NO_KAB", "NO_KEC", "NO_KEL"))
    desa_code = padded[0] + "." + padded[1] + "." + padded[2] + "." + padded[3]
    desa_code_known = text_in(desa_code, regions.region_table()["code"])
    return pd.concat([raw, _nik_stage(raw["NIK"], born["date"]), pd.DataFrame({
        **_kk_stage(raw["NO_KK"]),
        "birth_date": born["date"], "birth_date_format": born["format"], "age_years": born["age"],
        "sex": sex_code.map(SEX_CODES), "jenis_klmin_code": sex_code, "stat_kwn_code": _code(raw["STAT_KWN"]),
        "jenis_pkrjn_code": _code(raw["JENIS_PKRJN"]),
        "desa_code": desa_code, "desa_code_known": desa_code_known,
        **_delivered_kabupaten(desa_code.str.slice(0, 5).where(desa_code_known).astype("string"), kabupaten),
        "whole_numbers": _whole_numbers(raw, suites.POPULATION_NUMBERS),
    }, index=raw.index)], axis=1)


def accept_population(staged: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "source_row": staged["source_row"], **_nik_columns(staged), "nik_status": staged["nik_status"],
        "no_kk": _no_kk(staged),
        "name": staged["NAMA_LGKP"].str.strip(), **_names(staged["NAMA_LGKP"]),
        "sex": staged["sex"], "birthplace": staged["TMPT_LHR"].str.strip().str.upper(), "birth_date": staged["birth_date"],
        "religion": _whole_number(staged["AGAMA"]),
        "marital": staged["stat_kwn_code"].map(MARITAL_CODES).astype("Int64"),
        "hubungan": _whole_number(staged["STAT_HBKEL"]),
        "occupation": _whole_number(staged["jenis_pkrjn_code"]),
        "address": staged["ALAMAT"].str.strip(), "rt": _whole_number(staged["NO_RT"]),
        "rw": _whole_number(staged["NO_RW"]), "dusun": staged["DUSUN"].str.strip(),
        "kode_pos": staged["KODE_POS"].str.strip(), "desa_code": staged["desa_code"],
        **_repairs(staged, "TGL_LHR"),
    })


def stage_voters(raw: pd.DataFrame, reference: pd.Timestamp, kabupaten: str | None) -> pd.DataFrame:
    """Desa are resolved by name within the kabupaten the file was delivered for only."""
    born = _dates(raw["TANGGAL_LAHIR"], reference)
    sex_code = _code(raw["JENIS_KELAMIN"])
    nik = _nik_stage(raw["NIK"], born["date"])
    desa_code = (regions.resolve_desa(raw["KECAMATAN"], raw["KELURAHAN"], kabupaten) if kabupaten is not None
                 else pd.Series(pd.NA, index=raw.index, dtype="string"))
    return pd.concat([raw, nik, _names(raw["NAMA"]), pd.DataFrame({
        **_kk_stage(raw["NKK"]),
        "birth_date": born["date"], "birth_date_format": born["format"], "age_years": born["age"],
        "sex": sex_code.map(SEX_CODES), "identifiable": nik["nik"].notna() | born["date"].notna(),
        "jenis_kelamin_code": sex_code, "status_perkawinan_code": _code(raw["STATUS_PERKAWINAN"]),
        "disabilitas_code": _code(raw["DISABILITAS"]), "keterangan_code": _code(raw["KETERANGAN"]),
        "desa_code": desa_code, "whole_numbers": _whole_numbers(raw, suites.VOTER_NUMBERS),
        **_delivered_kabupaten(regions.kabupaten_named(raw["KABUPATEN"], kabupaten), kabupaten),
    }, index=raw.index)], axis=1)


def accept_voters(staged: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "source_row": staged["source_row"], "tps": _whole_number(staged["TPS"]),
        "no_kk": _no_kk(staged),
        **_nik_columns(staged), "nik_status": staged["nik_status"], "nik_repair": staged["nik_repair"],
        "name": staged["NAMA"].str.strip(), "name_norm": staged["name_norm"], "name_key": staged["name_key"],
        "name_words": staged["name_words"],
        "birthplace": staged["TEMPAT_LAHIR"].str.strip().str.upper(), "birth_date": staged["birth_date"],
        "birth_date_format": staged["birth_date_format"], "sex": staged["sex"],
        "marital": staged["status_perkawinan_code"].where(staged["status_perkawinan_code"].isin(suites.VOTER_MARITAL_VALUES)),
        "address": staged["ALAMAT"].str.strip(), "rt": _whole_number(staged["RT"]),
        "rw": _whole_number(staged["RW"]),
        "disability": _whole_number(staged["disabilitas_code"]),
        "keterangan": staged["keterangan_code"], "desa_code": staged["desa_code"],
        **_repairs(staged, "TANGGAL_LAHIR"),
    })


def stage_deaths(raw: pd.DataFrame, reference: pd.Timestamp, kabupaten: str | None) -> pd.DataFrame:
    """A death is recorded where it was reported, whatever kabupaten issued the NIK: no kabupaten check."""
    return pd.concat([raw, _nik_stage(raw["NIK"]),
                      pd.DataFrame({"death_date": _dates(raw["TGL_KEMATIAN"], reference)["date"]}, index=raw.index)], axis=1)


def accept_deaths(staged: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({"source_row": staged["source_row"], "nik": _nik_columns(staged)["nik"],
                         "death_date": staged["death_date"],
                         **_names(staged["NAMA_LGKP"]), **_repairs(staged, None)})


@dataclass(frozen=True)
class Dataset:
    name: str
    required: tuple[str, ...]
    row_checks: Callable[[], list[Check]]
    stage: Callable[..., pd.DataFrame]
    accept: Callable[[pd.DataFrame], pd.DataFrame]
    volume_checked: bool
    empty_outcome: Outcome = Outcome.BLOCK

    def structure_checks(self) -> list[Check]:
        return suites.structure_checks(self.required, self.volume_checked, self.empty_outcome)

    def all_checks(self) -> list[Check]:
        return self.structure_checks() + self.row_checks() + [suites.quarantine_share_check()]


POPULATION = Dataset("population", POPULATION_COLUMNS, suites.population_checks, stage_population, accept_population, True)
VOTERS = Dataset("voters", VOTER_COLUMNS, suites.voter_checks, stage_voters, accept_voters, True)
# A deaths file with only its header means no deaths were recorded: reported, not blocking.
DEATHS = Dataset("deaths", DEATH_COLUMNS, suites.death_checks, stage_deaths, accept_deaths, False, Outcome.FLAG)
DATASETS = {d.name: d for d in (POPULATION, VOTERS, DEATHS)}


def ingest(dataset: Dataset, path: Path, semester: str, *, policy: ValidationPolicy | None = None,
           previous_rows: int | None = None, kabupaten: str | None = None,
           header_aliases: dict[str, str] | None = None, sheet: str | None = None,
           docs_dir: Path | None = None, data: bytes | None = None) -> IngestResult:
    """Reads, validates and types one delivered file, delivered for `kabupaten` (its rows of another kabupaten are
    quarantined, and a file mostly of another is blocked); `data`: its bytes, if read already (`delivered_bytes`).
    Raises FileRejected (unreadable) or FileBlocked."""
    policy = policy or ValidationPolicy()
    reference = pd.Timestamp(Semester.parse(semester).reference_date)
    aliases = {**HEADER_ALIASES, **(header_aliases or {})}
    data = delivered_bytes(path) if data is None else data
    raw = read_table(path, aliases, sheet, dataset.required, data)
    validation = FileValidation(dataset.name, semester, path.name, policy, known_columns(aliases))
    parameters = {"reference_date": reference, **policy.volume_bounds(previous_rows)}

    def stop_if_blocked(outcomes: list[CheckOutcome]) -> None:
        blocked = [o for o in outcomes if o.blocks]
        if blocked:
            docs = validation.build_data_docs(docs_dir) if docs_dir else None
            raise FileBlocked("; ".join(o.describe(path.name) for o in blocked), validation.outcomes, docs)

    stop_if_blocked(validation.run("structure", raw, dataset.structure_checks(), parameters))
    shape = _shape(raw, dataset.required, aliases)
    raw = raw[["source_row", "fields_delivered", *dataset.required]]
    staged = pd.concat([dataset.stage(raw, reference, kabupaten), shape], axis=1)
    row_outcomes = validation.run("rows", staged, dataset.row_checks(), parameters)
    _say_which_kabupaten(row_outcomes, staged, kabupaten)
    stop_if_blocked(row_outcomes)

    source_rows = staged["source_row"]
    reasons = quarantine_reasons(validation.outcomes, source_rows, Outcome.QUARANTINE)
    # A truncated line or a repeated header fails most content checks too; its own reason is the one that helps.
    shape_reasons = quarantine_reasons([o for o in validation.outcomes if o.check.name in suites.ROW_SHAPE_CHECKS],
                                       source_rows, Outcome.QUARANTINE)
    reasons = shape_reasons.where(shape_reasons.notna(), reasons)
    bad = reasons.notna()
    verdicts = pd.DataFrame({"source_row": source_rows, "row_accepted": ~bad})
    stop_if_blocked(validation.run("quarantine", verdicts, [suites.quarantine_share_check(policy.max_quarantined_share)],
                                   parameters))
    quarantine = pd.DataFrame({
        "dataset": dataset.name, "source_row": source_rows[bad].to_numpy(), "reasons": reasons[bad].to_numpy(),
        "original": [json.dumps(r, ensure_ascii=False) for r in raw.loc[bad].drop(columns=["source_row", "fields_delivered"]).fillna("").to_dict("records")],
    }, columns=list(QUARANTINE_COLUMNS))
    accepted = dataset.accept(staged).assign(flags=quarantine_reasons(validation.outcomes, source_rows, Outcome.FLAG))
    result = IngestResult(dataset.name, path.name, len(raw), accepted[~bad].reset_index(drop=True), quarantine,
                          validation.outcomes, validation.build_data_docs(docs_dir) if docs_dir else None,
                          hashlib.sha256(data).hexdigest())
    result.reconcile()
    return result


def _say_which_kabupaten(outcomes: list[CheckOutcome], staged: pd.DataFrame, kabupaten: str | None) -> None:
    """The kabupaten checks' `observed`: which kabupaten the failing rows are of, so that a blocked file's one line
    names both codes (codes are no personal data)."""
    for outcome in outcomes:
        if outcome.check.column == "in_delivered_kabupaten" and outcome.unexpected_count:
            failing = staged.loc[staged["source_row"].isin(outcome.failing_rows), "row_kabupaten"]
            found = ", ".join(f"{code} ({n:,} row{'s' if n > 1 else ''})"
                              for code, n in failing.value_counts().head(3).items())
            outcome.observed = f"rows of {found}, in a delivery for {kabupaten}"


def quarantined_niks(result: IngestResult) -> frozenset[str]:
    """The valid NIKs of a file's quarantined rows, read from the rows as delivered."""
    if result.quarantine.empty:
        return frozenset()
    delivered = result.quarantine["original"].map(lambda row: json.loads(row).get("NIK", ""))
    niks = clean_nik(delivered.astype("string"))
    return frozenset(niks.loc[niks["nik_status"].isin(TRUSTED), "nik"])


def no_deaths_file() -> IngestResult:
    """The deaths file is optional: none delivered means none recorded this semester."""
    empty = pd.DataFrame({"source_row": pd.Series(dtype=int), "nik": pd.Series(dtype="string"),
                          "death_date": pd.Series(dtype="datetime64[ns]"), "name_norm": pd.Series(dtype="string"),
                          "name_key": pd.Series(dtype="string"), "name_words": pd.Series(dtype="string"),
                          "repairs": pd.Series(dtype="string"), "nik_delivered": pd.Series(dtype="string"),
                          "flags": pd.Series(dtype="string")})
    return IngestResult("deaths", "", 0, empty, pd.DataFrame(columns=list(QUARANTINE_COLUMNS)))


@functools.lru_cache(maxsize=64)
def _kabupaten_of(path: Path, size: int, mtime_ns: int, aliases: tuple[tuple[str, str], ...], sheet: str | None) -> str:
    raw = read_table(path, dict(aliases), sheet)
    if not {"NO_PROP", "NO_KAB"} <= set(raw.columns):
        raise FileRejected(f"{path.name}: no NO_PROP and NO_KAB columns, so the kabupaten of a file delivered "
                           "straight into the semester folder cannot be told: deliver it in <semester>/<kabupaten code>/")
    parts = _region_code_parts(raw, ("NO_PROP", "NO_KAB"))
    codes = (parts[0] + "." + parts[1]).where(parts[0].str.len().eq(2) & parts[1].str.len().eq(2))
    counts = codes.value_counts()
    if counts.empty:
        raise FileRejected(f"{path.name}: no row has a kabupaten code (NO_PROP, NO_KAB): deliver it in "
                           "<semester>/<kabupaten code>/")
    return str(counts.index[0])


def kabupaten_of(path: Path, header_aliases: dict[str, str] | None = None, sheet: str | None = None) -> str:
    """The kabupaten (`33.23`) most of a population file's rows are in: what a file delivered in the single-kabupaten
    layout is run as. Read once per version of the file."""
    stat = path.stat()
    return _kabupaten_of(path, stat.st_size, stat.st_mtime_ns, tuple(sorted((header_aliases or {}).items())), sheet)
