"""Reviewers' decisions on the review queue (`review_decisions.csv` beside a kabupaten's files), checked before a
single one is applied.

A decision file is written by hand, so it is read as a clerk might have left it and as an attacker might have
written it. It is refused whole, in one line naming its line numbers, when it cannot be read as the CSV it should be,
when a line is malformed, or when lines conflict (one pair decided twice, two residents accepted for one voter row,
one resident accepted for two rows): which line was meant cannot be told. Otherwise each decision is applied only
when it decides a pair this delivery offered for review:

- a pair in the review queue published for the same files (the population and voter files' digests must equal
  those of that publication: row numbers of re-delivered files are other people);
- a pair a decision already settled in that publication (a re-run applies it again; a reviewer may change their
  mind);
- a rejection of a link that publication made (a reviewer may strike a wrong link, whatever made it).

Every other decision is ignored, and said so in one line. No message quotes a cell: a voter_row cell may hold a
NIK, a decision cell a name. Lines are the file's own line numbers, its header being line 1.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from pemadanan.catalogue import REVIEW_DECISIONS
from pemadanan.ingest import FileRejected

DECISIONS = ("accept", "reject")
REQUIRED = ("voter_row", "population_row", "decision")
MAX_BYTES = 20 * 1024 * 1024  # a review queue is about 0.1% of a kabupaten's voter rows: 20 MB is a hundred times the largest
LINES_SHOWN = 10
DECISION_COLUMNS = REVIEW_DECISIONS.frame_columns
NO_DECISIONS = pd.DataFrame({"line": pd.Series(dtype="int64"), "voter_row": pd.Series(dtype="int64"),
                             "population_row": pd.Series(dtype="int64"), "decision": pd.Series(dtype=object),
                             "decided_by": pd.Series(dtype=object)})
REVIEW_DECISIONS_FILE = "review_decisions.csv"


def _lines(numbers) -> str:
    numbers = [int(n) for n in numbers]
    shown = ", ".join(str(n) for n in numbers[:LINES_SHOWN])
    return f"line{'s' if len(numbers) > 1 else ''} {shown}" + (f" and {len(numbers) - LINES_SHOWN} more"
                                                             if len(numbers) > LINES_SHOWN else "")


def read_decisions(path: Path | None) -> pd.DataFrame:
    """line, voter_row, population_row, decision, decided_by from a decisions file (none: no decisions);
    FileRejected naming the file and its line numbers when it cannot be read, has no header, holds a malformed line
    or lines that conflict."""
    if path is None:
        return NO_DECISIONS.copy()
    if path.stat().st_size > MAX_BYTES:
        raise FileRejected(f"{path}: {path.stat().st_size:,} bytes, more than the {MAX_BYTES:,} a decisions file may "
                           "have: is it the right file?")
    raw = path.read_bytes()
    if raw.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise FileRejected(f"{path}: a spreadsheet (XLSX or XLS) under a .csv name: save it as CSV UTF-8")
    try:
        text = raw.decode("utf-8-sig")
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
        rows, ended = [], 0
        for row in reader:  # (first line, cells): a quoted cell may hold a line break
            rows.append((ended + 1, row))
            ended = reader.line_num
    except (UnicodeDecodeError, csv.Error):
        raise FileRejected(f"{path}: not readable as a UTF-8 CSV file (saved from a spreadsheet as another type?): "
                           "save it as CSV UTF-8") from None
    if "\x00" in text:
        raise FileRejected(f"{path}: holds NUL bytes, which no CSV file has: save it as CSV UTF-8")
    if not rows:
        return NO_DECISIONS.copy()
    header = [name.strip().lower() for name in rows[0][1]]
    absent = [name for name in REQUIRED if name not in header]
    if absent:
        raise FileRejected(f"{path}: its first line is no header naming {', '.join(REQUIRED)} (missing: "
                           f"{', '.join(absent)}): a file without its header line?")
    twice = sorted({name for name in header if name in (*REQUIRED, "decided_by") and header.count(name) > 1})
    if twice:
        raise FileRejected(f"{path}: its header names {', '.join(twice)} more than once: keep one such column")
    at = {name: header.index(name) for name in (*REQUIRED, "decided_by") if name in header}
    lines = pd.DataFrame([[number, *(row[i].strip() if i < len(row) else "" for i in at.values())]
                          for number, row in rows[1:] if any(cell.strip() for cell in row)],
                         columns=["line", *at], dtype=object)
    if "decided_by" not in lines:
        lines["decided_by"] = ""
    numbers = lines[["voter_row", "population_row"]].apply(lambda c: c.astype("string").str.fullmatch(r"[0-9]{1,9}"))
    malformed = lines.loc[~numbers.all(axis=1), "line"]
    if len(malformed):
        raise FileRejected(f"{path}: {_lines(malformed)}: voter_row and population_row must be row numbers of the "
                           "semester's files (whole numbers of up to 9 digits)")
    lines["decision"] = lines["decision"].str.lower()
    unknown = lines.loc[~lines["decision"].isin(DECISIONS), "line"]
    if len(unknown):
        raise FileRejected(f"{path}: {_lines(unknown)}: decision must be accept or reject")
    decisions = lines.astype({"line": "int64", "voter_row": "int64", "population_row": "int64"})
    _refuse_conflicts(path, decisions)
    return decisions.reset_index(drop=True)


def _delimiter(text: str) -> str:
    first = text.split("\n", 1)[0]
    return max((",", ";", "\t"), key=first.count)  # a spreadsheet in an Indonesian locale saves CSV with semicolons


def _refuse_conflicts(path: Path, decisions: pd.DataFrame) -> None:
    accepted = decisions[decisions["decision"] == "accept"]
    for what, frame, key in (("decide the same pair", decisions, ["voter_row", "population_row"]),
                             ("accept two residents for one voter row", accepted, ["voter_row"]),
                             ("accept one resident for two voter rows", accepted, ["population_row"])):
        clash = frame[frame.duplicated(key, keep=False)]
        if len(clash):
            raise FileRejected(f"{path}: {_lines(clash['line'])} {what}: keep one decision, or none")


@dataclass(frozen=True)
class Reviewed:
    """Every decision of the file, `applied` or not and `why` not."""

    decisions: pd.DataFrame  # DECISION_COLUMNS

    @property
    def applied(self) -> pd.DataFrame:
        return self.decisions.loc[self.decisions["applied"], ["voter_row", "population_row", "decision"]]

    def ignored_lines(self, path: Path | str) -> list[str]:
        """One line per reason, naming the file's lines."""
        ignored = self.decisions[~self.decisions["applied"]]
        return [f"{path}: {_lines(group['line'])} ignored: {why}" for why, group in ignored.groupby("why", sort=False)]


NOT_PUBLISHED = "no review queue was published for this semester yet: decide the queue the next run publishes"
FILES_CHANGED = "the population or voter file changed since the review queue was published (its row numbers are " \
                "other people now): decide the new queue"
FILES_UNKNOWN = "the review queue was published by a version that kept no file digests, so these files cannot be " \
                "told to be the same: decide the queue this run publishes"
NOT_OFFERED = "the pair is not in the review queue, and an accept can only decide a queued pair"
NOT_OFFERED_REJECT = "the pair is neither in the review queue nor a link"
ROW_QUARANTINED = "the voter or population row is quarantined in this run"


@dataclass(frozen=True)
class Offered:
    """What the publication of the same delivery offered a reviewer: its review queue, the decisions it applied,
    its links; `not_same_files`: why its files cannot be the ones delivered now (None: they are)."""

    queue: pd.DataFrame  # voter_row, population_row
    settled: pd.DataFrame  # voter_row, population_row: pairs its decisions settled
    links: pd.DataFrame  # voter_row, population_row
    not_same_files: str | None  # NOT_PUBLISHED, FILES_CHANGED, FILES_UNKNOWN or None


def check(decisions: pd.DataFrame, offered: Offered, voter_rows: pd.Series, population_rows: pd.Series) -> Reviewed:
    """Which decisions apply, and why each other one does not. `voter_rows`, `population_rows`: the rows accepted in
    this run (a decided row quarantined now cannot be linked)."""
    out = decisions.assign(applied=False, why=None)
    if offered.not_same_files is not None:
        return Reviewed(out.assign(why=offered.not_same_files)[DECISION_COLUMNS])
    pairs = pd.MultiIndex.from_frame(out[["voter_row", "population_row"]].astype("int64"))

    def among(frame: pd.DataFrame) -> np.ndarray:
        return pairs.isin(pd.MultiIndex.from_frame(frame[["voter_row", "population_row"]].astype("int64")))

    # A pair once queued stays decidable after a decision took it out of the queue: a reviewer may change their mind.
    offered_pairs = among(offered.queue) | among(offered.settled)
    reject = (out["decision"] == "reject").to_numpy()
    present = (out["voter_row"].isin(voter_rows) & out["population_row"].isin(population_rows)).to_numpy()
    allowed = offered_pairs | (reject & among(offered.links))
    out["applied"] = allowed & present
    out["why"] = np.where(out["applied"], None, np.where(~allowed, np.where(reject, NOT_OFFERED_REJECT, NOT_OFFERED),
                                                         ROW_QUARANTINED))
    return Reviewed(out[DECISION_COLUMNS])
