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

from pemadanan.ingest import FileRejected

DECISIONS = ("accept", "reject")
REQUIRED = ("voter_row", "population_row", "decision")
MAX_BYTES = 20 * 1024 * 1024  # a review queue is about 0.1% of a kabupaten's voter rows: 20 MB is a hundred times the largest
LINES_SHOWN = 10
DECISION_COLUMNS = ["line", "voter_row", "population_row", "decision", "decided_by", "applied", "why"]


def _lines(numbers) -> str:
    numbers = [int(n) for n in numbers]
    shown = ", ".join(str(n) for n in numbers[:LINES_SHOWN])
    return f"line{'s' if len(numbers) > 1 else ''} {shown}" + (f" and {len(numbers) - LINES_SHOWN} more"
                                                             if len(numbers) > LINES_SHOWN else "")


def read_decisions(path: Path) -> pd.DataFrame:
    """line, voter_row, population_row, decision, decided_by from a decisions file; FileRejected naming the file and
    its line numbers when it cannot be read, has no header, holds a malformed line or lines that conflict."""
    if path.stat().st_size > MAX_BYTES:
        raise FileRejected(f"{path}: {path.stat().st_size:,} bytes, more than the {MAX_BYTES:,} a decisions file may "
                           "have: is it the right file?")
    raw = path.read_bytes()
    if raw.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise FileRejected(f"{path}: a spreadsheet (XLSX or XLS) under a .csv name: save it as CSV UTF-8")
    try:
        text = raw.decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text)))
    except (UnicodeDecodeError, csv.Error):
        raise FileRejected(f"{path}: not readable as a UTF-8 CSV file (saved from a spreadsheet as another type?): "
                           "save it as CSV UTF-8") from None
    if "\x00" in text:
        raise FileRejected(f"{path}: holds NUL bytes, which no CSV file has: save it as CSV UTF-8")
    if not rows:
        return pd.DataFrame(columns=DECISION_COLUMNS[:5])
    header = [name.strip().lower() for name in rows[0]]
    absent = [name for name in REQUIRED if name not in header]
    if absent:
        raise FileRejected(f"{path}: its first line is no header naming {', '.join(REQUIRED)} (missing: "
                           f"{', '.join(absent)}): a file without its header line?")
    at = {name: header.index(name) for name in (*REQUIRED, "decided_by") if name in header}
    lines = pd.DataFrame([[number, *(row[i].strip() if i < len(row) else "" for i in at.values())]
                          for number, row in enumerate(rows[1:], start=2) if any(cell.strip() for cell in row)],
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


@dataclass(frozen=True)
class Offered:
    """What the publication of the same delivery offered a reviewer: its review queue, the decisions it applied,
    its links, and whether its files are the ones delivered now."""

    queue: pd.DataFrame  # voter_row, population_row
    settled: pd.DataFrame  # voter_row, population_row: pairs its decisions settled
    links: pd.DataFrame  # voter_row, population_row
    same_files: bool | None  # None: nothing published for the semester yet


NOT_PUBLISHED = "no review queue was published for this semester yet: decide the queue the next run publishes"
FILES_CHANGED = "the population or voter file changed since the review queue was published (its row numbers are " \
                "other people now): decide the new queue"
NOT_OFFERED = "the pair is not in the review queue, and an accept can only decide a queued pair"
NOT_OFFERED_REJECT = "the pair is neither in the review queue nor a link"


def check(decisions: pd.DataFrame, offered: Offered) -> Reviewed:
    """Which decisions apply, and why each other one does not."""
    out = decisions.assign(applied=False, why=None)
    if offered.same_files is None or not offered.same_files:
        return Reviewed(out.assign(why=NOT_PUBLISHED if offered.same_files is None else FILES_CHANGED)[DECISION_COLUMNS])
    pairs = pd.MultiIndex.from_frame(out[["voter_row", "population_row"]].astype("int64"))

    def among(frame: pd.DataFrame) -> np.ndarray:
        return pairs.isin(pd.MultiIndex.from_frame(frame[["voter_row", "population_row"]].astype("int64")))

    # A pair once queued stays decidable after a decision took it out of the queue: a reviewer may change their mind.
    offered_pairs = among(offered.queue) | among(offered.settled)
    reject = (out["decision"] == "reject").to_numpy()
    out["applied"] = offered_pairs | (reject & among(offered.links))
    out["why"] = np.where(out["applied"], None, np.where(reject, NOT_OFFERED_REJECT, NOT_OFFERED))
    return Reviewed(out[DECISION_COLUMNS])
