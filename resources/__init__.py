"""Dagster resources: where the semester files land, where the tables are published, and for which election."""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pandas as pd
from dagster import Config, ConfigurableResource

from expectations.checks import MAX_QUARANTINED_SHARE, Outcome
from pemadanan import settings, warehouse
from pemadanan.eligibility import DEFAULT_CALENDAR, Election, JudgingDay, judging_day
from pemadanan.ingest import FileRejected, kabupaten_of
from pemadanan.linkage import LinkagePolicy, read_decisions
from pemadanan.summary import SMALL_COUNT_THRESHOLD
from pemadanan.validation import ValidationPolicy

FILE_TYPES = (".csv", ".parquet", ".xlsx")
REVIEW_DECISIONS = "review_decisions.csv"
KABUPATEN_FOLDER = re.compile(r"\d{2}\.\d{2}")


@dataclass(frozen=True)
class SemesterFiles:
    population: Path | None
    voters: Path | None
    deaths: Path | None
    review_decisions: Path | None = None
    folder: Path | None = None

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


class LandingZone(ConfigurableResource):
    """`<root>/<semester>/<kabupaten code>/population.*`, `voters.*` and optionally `deaths.*`, as Dukcapil and KPU
    deliver them. The single-kabupaten layout, the files straight in `<root>/<semester>/`, is read as the kabupaten
    most of its population rows are in."""

    root: str = ""  # default: $PEMADANAN_LANDING_DIR, else data/landing
    header_aliases: dict[str, str] = {}  # extra header spellings, e.g. {"NAMA_PENDUDUK": "NAMA_LGKP"}
    xlsx_sheet: str = ""  # the sheet to read from XLSX files; default the first

    @property
    def path(self) -> Path:
        return Path(self.root) if self.root else settings.landing_dir()

    def delivered_kabupaten(self, semester: str) -> list[str]:
        """The kabupaten with files in the semester's folder: its `<kabupaten code>/` folders, and the kabupaten of
        files delivered straight into it. Raises FileRejected when those files' kabupaten cannot be told."""
        folder = self.path / semester
        if not folder.is_dir():
            return []
        codes = {p.name for p in folder.iterdir() if p.is_dir() and KABUPATEN_FOLDER.fullmatch(p.name)}
        legacy = _files_in(folder)
        if legacy.population is not None:
            codes.add(self._kabupaten_of(legacy.population))
        elif legacy.voters is not None:
            raise FileRejected(f"{folder}: a voter file and no population file: the kabupaten it is for is told by "
                               "the population file, or deliver both in <semester>/<kabupaten code>/")
        return sorted(codes)

    def semester_files(self, semester: str, kabupaten: str) -> SemesterFiles:
        """The kabupaten's files, whatever the case of their names (`Deaths.CSV` is the deaths file). Raises
        FileRejected, naming the file, for two deliveries of one file or a name that leads to no file (a symlink
        loop, a folder)."""
        folder = self.path / semester / kabupaten
        if not folder.is_dir():
            legacy = _files_in(self.path / semester)
            if legacy.population is not None and self._kabupaten_of(legacy.population) == kabupaten:
                return legacy
        return _files_in(folder)

    def _kabupaten_of(self, population: Path) -> str:
        return kabupaten_of(population, self.header_aliases, self.xlsx_sheet or None)

    def review_decisions(self, semester: str, kabupaten: str) -> pd.DataFrame | None:
        """Reviewers' decisions on earlier review-queue pairs: `review_decisions.csv` beside the kabupaten's files,
        with columns voter_row, population_row, decision (accept/reject); None when there is none."""
        path = self.semester_files(semester, kabupaten).review_decisions
        if path is None:
            return None
        try:
            return read_decisions(pd.read_csv(path, dtype=str))
        except (ValueError, pd.errors.ParserError) as error:
            raise FileRejected(f"{path}: {error}") from None

    def delivered_semesters(self) -> list[str]:
        root = self.path
        return sorted(p.name for p in root.iterdir() if p.is_dir()) if root.is_dir() else []


def _files_in(folder: Path) -> SemesterFiles:
    entries = sorted(p for p in folder.iterdir()) if folder.is_dir() else []

    def find(stem: str, suffixes: tuple[str, ...]) -> Path | None:
        hits = [p for p in entries if p.name.lower() in {stem + suffix for suffix in suffixes}]
        if len(hits) > 1:
            raise FileRejected(f"{folder}: {' and '.join(p.name for p in hits)} both delivered: keep one")
        if hits and not hits[0].is_file():
            why = "a symlink that leads to no file (a loop, or its target is gone)" if hits[0].is_symlink() else "not a file"
            raise FileRejected(f"{hits[0]}: {why}")
        return hits[0] if hits else None

    return SemesterFiles(find("population", FILE_TYPES), find("voters", FILE_TYPES), find("deaths", FILE_TYPES),
                         find(REVIEW_DECISIONS, ("",)), folder)


class RunMemory(dg.InMemoryIOManager):
    """Step outputs (the semester's residents, voter rows, links: personal data) live in the run's memory and
    nowhere else: never pickled to DAGSTER_HOME, so the warehouse's restricted schema is the only place they are
    kept. A run therefore materializes a semester whole; a subset whose inputs another run computed fails at once,
    saying so."""

    def load_input(self, context: dg.InputContext) -> object:
        try:
            return super().load_input(context)
        except KeyError:
            upstream = context.upstream_output.asset_key.to_user_string() if context.upstream_output else "its input"
            raise dg.Failure(
                f"{upstream} was not computed in this run: pemadanan keeps personal data in memory within one run "
                "and never on disk, so materialize the whole semester (job semester_job), not a subset or a "
                "re-execution from failure") from None


@dg.io_manager(description="Step outputs in the run's memory only: personal data is never pickled to disk.")
def run_memory(_) -> RunMemory:
    return RunMemory()


class Warehouse(ConfigurableResource):
    """PostgreSQL for the published tables: `url`, else $PEMADANAN_WAREHOUSE_URL (read at run time, so the
    password never enters run config or the UI), else the project's embedded server under data/warehouse."""

    url: str = ""
    # Dashboards log in as this role, which reads `published` only. Its password is read from
    # $PEMADANAN_DASHBOARD_PASSWORD at run time; without one a new role cannot log in (an existing one keeps its login).
    dashboard_role: str = "pemadanan_dashboard"
    # Desa-level counts in `published` below this are suppressed (empty), with a second cell where one alone would
    # be given back by the kecamatan total: statistical offices use 5.
    small_count_threshold: int = SMALL_COUNT_THRESHOLD

    def resolved_url(self) -> str:
        return warehouse.resolve_url(self.url)

    def dashboard(self) -> warehouse.DashboardRole:
        return warehouse.DashboardRole(self.dashboard_role, os.environ.get("PEMADANAN_DASHBOARD_PASSWORD") or None)


class Validation(ConfigurableResource):
    """How the expectation suites act here: per-check outcome overrides (`{"voters.nik_region_known":
    "quarantine"}`), the volume tolerance against the previous semester, the share of a file's rows that may be
    quarantined before the file is blocked."""

    outcomes: dict[str, str] = {}
    volume_tolerance: float = 0.2
    max_quarantined_share: float = MAX_QUARANTINED_SHARE  # a file with more rows quarantined than this is blocked

    def policy(self) -> ValidationPolicy:
        return ValidationPolicy({key: Outcome(value) for key, value in self.outcomes.items()}, self.volume_tolerance,
                                self.max_quarantined_share)

    def docs_folder(self, semester: str, kabupaten: str, dataset: str) -> Path:
        return settings.data_docs_dir() / semester / kabupaten / dataset


class Linkage(ConfigurableResource):
    """Where the probabilistic stage draws its lines: a pair becomes a link at `link_probability` (with the name
    and the NIK or birth date agreeing: `pemadanan.linkage`); pairs from `review_probability` up go to
    restricted.review_queue."""

    link_probability: float = LinkagePolicy.link_probability
    review_probability: float = LinkagePolicy.review_probability

    def policy(self) -> LinkagePolicy:
        return LinkagePolicy(link_probability=self.link_probability, review_probability=self.review_probability)


class ElectionDay(Config):
    """One election: its name, voting day (YYYY-MM-DD) and, for a Pilkada held in some regions only, the
    comma-separated region codes of its area (empty: everywhere)."""

    name: str
    voting_day: str
    area: str = ""

    def election(self) -> Election:
        area = tuple(code.strip() for code in self.area.split(",") if code.strip())
        return Election(self.name, dt.date.fromisoformat(self.voting_day), area)


class ElectionCalendar(ConfigurableResource):
    """The elections the voter list is kept for. A semester is judged on the voting day of the first one on or
    after its reference date and before the next semester's (that list is checked against this semester's data
    last), else on its reference date (`pemadanan.eligibility.judging_day`). Defaults: Pemilu 2024 (14 Feb
    2024), Pilkada 2024 (27 Nov 2024), Pemilu 2029 (14 Feb 2029, assumed until KPU decrees the day)."""

    # Plain dicts: Dagster's config schema takes its defaults as config values, not Config objects.
    elections: list[ElectionDay] = [{"name": e.name, "voting_day": e.voting_day.isoformat(), "area": ",".join(e.area)}
                                    for e in DEFAULT_CALENDAR]

    def judging_day(self, reference_date: dt.date) -> JudgingDay:
        # The defaults stay dicts (see above); configured values arrive as ElectionDay.
        days = [e if isinstance(e, ElectionDay) else ElectionDay(**e) for e in self.elections]
        return judging_day(reference_date, tuple(day.election() for day in days))


class CoklitLists(ConfigurableResource):
    """Where the per-desa coklit lists are written (`<root>/<semester>/<kabupaten>/<desa_code>.csv|.xlsx`; default
    data/coklit). NIKs are masked unless `full_nik` is set, for an operator who needs the full data."""

    root: str = ""
    full_nik: bool = False

    def folder(self, semester: str, kabupaten: str) -> Path:
        return (Path(self.root) if self.root else settings.data_dir() / "coklit") / semester / kabupaten
