"""The landing folder, where Dukcapil's and KPU's files for a semester arrive:
`<root>/<semester>/<kabupaten code>/population.*`, `voters.*`, optionally `deaths.*` and `review_decisions.csv`.
Files straight in `<root>/<semester>/` (the layout from before kabupaten folders) are the kabupaten most of the
population file's rows are in.

Everything here comes from outside, from clerks and from whoever can write to a shared folder: folder names are
checked as keys (`keys`), every path must stay inside the root once symlinks are resolved, and what cannot be used
is said, one line each, never skipped without a word.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pemadanan.ingest import FileRejected
from pemadanan.keys import KeyRejected, inside, kabupaten_key, semester_key, shown
from pemadanan.review import REVIEW_DECISIONS_FILE
from pemadanan.validation import value_shape

FILE_TYPES = (".csv", ".parquet", ".xlsx")
DATASETS = ("population", "voters", "deaths")
REVIEW_DECISIONS = REVIEW_DECISIONS_FILE
# A file whose name, in lower case and letters and digits only, starts so was meant as that delivery file
# (`Population (1).csv`, `voters_final.xlsx`, `Review Decisions.csv`): refused by name, never skipped.
MEANT = {"population": "population", "voters": "voter", "deaths": "death", "review_decisions": "review"}
# A folder here is a symlink's target elsewhere: the same files under a second semester or kabupaten.
SYMLINK = "a symlink, not a folder of its own: copy the folder in instead"
SEMESTER_LIKE = re.compile(r"[0-9]{4}-[Ss][0-9]?")
KABUPATEN_LIKE = re.compile(r"[0-9]{2}[.,_ -]?[0-9]{2}")
LABEL_SHOWN = 80  # characters of a file's label a message shows
LABEL_SUFFIXES = re.compile(r"(\.(?:csv|xlsx|xls|xlsm|ods|parquet|txt|tsv|bak|old|zip|gz|rar|7z|json))+$", re.IGNORECASE)


@dataclass(frozen=True)
class SemesterFiles:
    population: Path | None
    voters: Path | None
    deaths: Path | None
    review_decisions: Path | None = None
    folder: Path | None = None
    ignored: tuple[str, ...] = ()  # names in the folder that are no delivery file (a note, a backup)

    @property
    def complete(self) -> bool:
        return self.population is not None and self.voters is not None

    @property
    def missing(self) -> list[str]:
        return [name for name in ("population", "voters") if getattr(self, name) is None]

    def fingerprint(self) -> str:
        """Changes when any file is replaced, so a re-delivery (or new review decisions) triggers a new run."""
        files = (self.population, self.voters, self.deaths, self.review_decisions)
        parts = [f"{p.name}:{p.stat().st_size}:{int(p.stat().st_mtime)}" for p in files if p]
        return "|".join(parts)


@dataclass(frozen=True)
class Found:
    """Keys found in a folder, and one line for each entry that cannot be used and why."""

    keys: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


class Landing:
    """The folder `root`; `kabupaten_of(population file)` tells the kabupaten of files delivered straight into a
    semester folder (`ingest.kabupaten_of`, with the office's header spellings)."""

    def __init__(self, root: Path, kabupaten_of: Callable[[Path], str]):
        self.root = Path(root)
        self._kabupaten_of = kabupaten_of

    def semesters(self) -> Found:
        if not self.root.is_dir():
            return Found(refused=[f"{self.root}: the landing folder is missing or no folder (a share not mounted?)"])
        found = Found()
        for entry in sorted(self.root.iterdir()):
            if not (entry.is_dir() or SEMESTER_LIKE.match(entry.name)):
                continue  # a file beside the semester folders says nothing about a semester
            if entry.is_symlink():
                found.refused.append(f"{entry}: not used: {SYMLINK}")
                continue
            if not entry.is_dir():
                found.refused.append(f"{self.root}: {shown(_label(entry.name), LABEL_SHOWN)} is not a folder (a "
                                     "semester packed in an archive?): unpack it into its <semester>/ folder")
                continue
            try:
                inside(self.root, semester_key(entry.name))
            except KeyRejected as rejected:
                found.refused.append(f"{entry}: not used: {rejected}")
                continue
            found.keys.append(entry.name)
        return found

    def kabupaten(self, semester: str) -> Found:
        """The semester's kabupaten: its `<kabupaten code>/` folders, and the kabupaten of files delivered straight
        into it."""
        folder = inside(self.root, semester_key(semester))
        if not folder.is_dir():
            return Found()
        found = Found()
        for entry in sorted(folder.iterdir()):
            if not (entry.is_dir() or KABUPATEN_LIKE.match(entry.name)):
                continue  # files straight in the semester folder: `_flat`
            if entry.is_symlink():
                found.refused.append(f"{entry}: not used: {SYMLINK}")
                continue
            if not entry.is_dir():
                found.refused.append(f"{folder}: {shown(_label(entry.name), LABEL_SHOWN)} is not a folder (a "
                                     "kabupaten's folder packed in an archive?): unpack it into <semester>/<kabupaten "
                                     "code>/")
                continue
            try:
                inside(self.root, semester, kabupaten_key(entry.name))
            except KeyRejected as rejected:
                found.refused.append(f"{entry}: not used: {rejected}")
                continue
            found.keys.append(entry.name)
        try:
            flat = self._flat(semester)
        except (FileRejected, KeyRejected) as rejected:
            found.refused.append(str(rejected))
            return found
        if flat is not None:
            if flat in found.keys:
                found.refused.append(self._both(semester, flat))
                found.keys.remove(flat)
            else:
                found.keys.append(flat)
        found.keys.sort()
        return found

    def files(self, semester: str, kabupaten: str) -> SemesterFiles:
        """The kabupaten's files, whatever the case of their names (`Deaths.CSV` is the deaths file). Raises
        KeyRejected for a key that is no semester or kabupaten, or a folder that leads out of the root; FileRejected,
        naming the file, for two deliveries of one file, a delivery file of a type not read (`population.xls`), a
        name that leads to no file or out of the root, or a kabupaten delivered both ways."""
        folder = inside(self.root, semester_key(semester), kabupaten_key(kabupaten))
        if folder.is_dir():
            try:
                flat = self._flat(semester)
            except FileRejected:
                flat = None  # `kabupaten()` says what is wrong with them; this folder is a delivery of its own
            if flat == kabupaten:
                raise FileRejected(self._both(semester, kabupaten))
            return self._files_in(folder)
        if self._flat(semester) == kabupaten:
            return self._files_in(inside(self.root, semester))
        return SemesterFiles(None, None, None, folder=self.root / semester / kabupaten)

    def _flat(self, semester: str) -> str | None:
        """The kabupaten of the files delivered straight into the semester folder, None without any."""
        files = self._files_in(inside(self.root, semester))
        if files.population is None:
            if files.voters is not None:
                raise FileRejected(f"{files.folder}: a voter file and no population file: the kabupaten it is for is "
                                   "told by the population file, or deliver both in <semester>/<kabupaten code>/")
            return None
        try:
            return kabupaten_key(self._kabupaten_of(files.population))
        except KeyRejected as rejected:
            raise FileRejected(f"{files.population}: most of its rows are of {rejected}: deliver it in "
                               "<semester>/<kabupaten code>/") from None

    def _both(self, semester: str, kabupaten: str) -> str:
        return (f"{self.root / semester}: files straight in the semester folder are {kabupaten}'s (by their rows), and "
                f"the folder {kabupaten}/ is there too: keep one of the two deliveries")

    def _files_in(self, folder: Path) -> SemesterFiles:
        entries = sorted(folder.iterdir()) if folder.is_dir() else []
        expected = {f"{stem}{suffix}" for stem in DATASETS for suffix in FILE_TYPES} | {REVIEW_DECISIONS}
        ignored = []
        for entry in entries:
            if entry.name.lower() in expected or entry.is_dir() and not entry.is_symlink():
                continue
            meant = next((stem for stem, prefix in MEANT.items()
                          if re.sub(r"[^a-z0-9]", "", entry.name.lower()).startswith(prefix)), None)
            if meant == "review_decisions":
                raise FileRejected(f"{folder}: {shown(_label(entry.name), LABEL_SHOWN)} looks meant as the review decisions, which "
                                   f"are read from {REVIEW_DECISIONS} only: save it under that name, as CSV, or move it "
                                   "away")
            if meant is not None:
                raise FileRejected(f"{folder}: {shown(_label(entry.name), LABEL_SHOWN)} looks meant as the {meant} file, which is "
                                   f"read from {meant}.csv, .xlsx or .parquet only (an .xls from an old Excel, a second "
                                   "copy, a backup?): save it under one of those names, or move it away")
            ignored.append(entry.name)

        def find(stem: str, suffixes: tuple[str, ...]) -> Path | None:
            hits = [p for p in entries if p.name.lower() in {stem + suffix for suffix in suffixes}]
            if len(hits) > 1:
                raise FileRejected(f"{folder}: {' and '.join(p.name for p in hits)} both delivered: keep one")
            if not hits:
                return None
            try:
                inside(folder, hits[0].name)
            except KeyRejected as rejected:
                raise FileRejected(str(rejected)) from None
            if not hits[0].is_file():
                raise FileRejected(f"{hits[0]}: not a file")
            return hits[0]

        return SemesterFiles(find("population", FILE_TYPES), find("voters", FILE_TYPES), find("deaths", FILE_TYPES),
                             find(REVIEW_DECISIONS, ("",)), folder, tuple(ignored))


def _label(name: str) -> str:
    """A file's name as a message may show it: what it was meant as and its suffixes as they are, the rest by its
    shape (`population.aaaaaaaaa AAAA 9999.csv`): a clerk names files after the person they concern."""
    suffixes = LABEL_SUFFIXES.search(name)
    body, suffix = (name[:suffixes.start()], suffixes.group()) if suffixes else (name, "")
    word = re.match(r"[A-Za-z]*", body).group()
    code = SEMESTER_LIKE.match(body) or KABUPATEN_LIKE.match(body)
    kept = max([len(stem) for stem in MEANT if body.lower().startswith(stem)]
               + [len(word) if any(word.lower().startswith(p) for p in MEANT.values()) else 0]
               + [len(code.group()) if code else 0])
    shape = str(value_shape(pd.Series([body[kept:]])).iloc[0]) if body[kept:] else ""
    return body[:kept] + shape + suffix
