"""Dagster resources: where the semester files land, where the tables are published, and for which election."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import dagster as dg
import pandas as pd
from dagster import Config, ConfigurableResource

from expectations.checks import MAX_QUARANTINED_SHARE, Outcome
from pemadanan import settings, warehouse
from pemadanan.eligibility import DEFAULT_CALENDAR, Election, JudgingDay, judging_day
from pemadanan.ingest import IngestResult, kabupaten_of
from pemadanan.keys import inside, kabupaten_key, semester_key
from pemadanan.landing import Found, Landing, SemesterFiles
from pemadanan.linkage import LinkagePolicy, LinkResult
from pemadanan.summary import SMALL_COUNT_THRESHOLD
from pemadanan.validation import ValidationPolicy
from pemadanan.warehouse import staging


class LandingZone(ConfigurableResource):
    """`<root>/<semester>/<kabupaten code>/population.*`, `voters.*` and optionally `deaths.*`, as Dukcapil and KPU
    deliver them (`pemadanan.landing`). The single-kabupaten layout, the files straight in `<root>/<semester>/`, is
    read as the kabupaten most of its population rows are in."""

    root: str = ""  # default: $PEMADANAN_LANDING_DIR, else data/landing
    header_aliases: dict[str, str] = {}  # extra header spellings, e.g. {"NAMA_PENDUDUK": "NAMA_LGKP"}
    xlsx_sheet: str = ""  # the sheet to read from XLSX files; default the first

    @property
    def path(self) -> Path:
        return Path(self.root).absolute() if self.root else settings.landing_dir()

    @property
    def landing(self) -> Landing:
        return Landing(self.path, lambda population: kabupaten_of(population, self.header_aliases,
                                                                  self.xlsx_sheet or None))

    def delivered_semesters(self) -> Found:
        return self.landing.semesters()

    def delivered_kabupaten(self, semester: str) -> Found:
        return self.landing.kabupaten(semester)

    def semester_files(self, semester: str, kabupaten: str) -> SemesterFiles:
        return self.landing.files(semester, kabupaten)


class Warehouse(ConfigurableResource):
    """PostgreSQL for the published tables: `url`, else $PEMADANAN_WAREHOUSE_URL (read at run time, so the
    password never enters run config or the UI), else the project's embedded server under data/warehouse."""

    url: str = ""
    # Dashboards log in as this role, which reads `published` only. Its password is read from
    # $PEMADANAN_DASHBOARD_PASSWORD at run time, else on the embedded warehouse kept in data/warehouse/dashboard.pgpass
    # (generated once); else a new role cannot log in (an existing one keeps its login).
    dashboard_role: str = "pemadanan_dashboard"
    # Desa-level counts in `published` below this are suppressed (empty), with a second cell where one alone would
    # be given back by the kecamatan total: statistical offices use 5.
    small_count_threshold: int = SMALL_COUNT_THRESHOLD

    def resolved_url(self) -> str:
        return warehouse.resolve_url(self.url)

    def dashboard(self) -> warehouse.DashboardRole:
        return warehouse.dashboard_role(self.dashboard_role, self.url)


class WarehouseStaging(dg.ConfigurableIOManager):
    """Step outputs (residents, voter rows, links: personal data) staged in the warehouse's `staging` schema, per
    asset and partition, never in a file (`pemadanan.warehouse.staging`): a failed step re-executes from the outputs
    the run staged, an asset materializes alone from its partition's latest ones, and steps may run in processes of
    their own. A partition's staging is dropped when it publishes."""

    warehouse_db: Warehouse

    def handle_output(self, context: dg.OutputContext, obj: object) -> None:
        frames, values = (({"frame": obj}, {"attrs": obj.attrs}) if isinstance(obj, pd.DataFrame)
                          else obj.to_frames())
        partition, output = str(context.asset_partition_key), context.asset_key.to_user_string()
        staging.write(self.warehouse_db.resolved_url(), partition, output, context.run_id,
                      staging.Staged(frames, {**values, "type": type(obj).__name__}))
        _handed_over(context.run_id)[(partition, output)] = obj

    def load_input(self, context: dg.InputContext) -> object:
        partition, output = str(context.asset_partition_key), context.upstream_output.asset_key.to_user_string()
        handed_over = _HANDED_OVER.get(context.upstream_output.run_id, {})  # the run that gave it, if it ran here
        if (partition, output) in handed_over:
            return handed_over[(partition, output)]
        staged = staging.read(self.warehouse_db.resolved_url(), partition, output)
        if staged is None:
            raise dg.Failure(f"{output} of {partition} is not staged: materialize it first (the partition's whole "
                             "semester_job, or this asset with it); a partition's staging is dropped once it publishes")
        kind = staged.values.pop("type")
        if kind == "DataFrame":
            frame = staged.frames["frame"]
            frame.attrs.update(staged.values["attrs"])
            return frame
        return STAGED_TYPES[kind].from_frames(staged.frames, staged.values)


STAGED_TYPES = {cls.__name__: cls for cls in (IngestResult, LinkResult)}

# The outputs this process's steps handed over in the run it executes: a later step of that run in the same process
# (one process per run, the default) takes them as they were, as it did before outputs were staged, rather than decode
# what was staged a moment ago (about 12 s of a 1M-resident run). Another run (a re-execution, the next partition)
# reads the staging.
_HANDED_OVER: dict[str, dict[tuple[str, str], object]] = {}


def _handed_over(run_id: str) -> dict[tuple[str, str], object]:
    if run_id not in _HANDED_OVER:
        _HANDED_OVER.clear()  # one run's at a time: an earlier run's frames are freed
        _HANDED_OVER[run_id] = {}
    return _HANDED_OVER[run_id]


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
        """Replaced whole by each run: never a folder a symlink leads to outside data_docs/."""
        return inside(settings.data_docs_dir(), semester_key(semester), kabupaten_key(kabupaten), dataset)


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
        """Replaced whole by each run: never a folder a symlink leads to outside the root."""
        return inside(Path(self.root) if self.root else settings.data_dir() / "coklit", semester_key(semester),
                      kabupaten_key(kabupaten))


DEPLOYMENT_VARIABLE = "PEMADANAN_DEPLOYMENT"
DEPLOYMENTS = ("local", "external", "kubernetes")


def for_deployment(name: str | None) -> dict[str, object]:
    """The resources of a deployment, named by $PEMADANAN_DEPLOYMENT (unset: local). Where a deployment needs a
    setting, the resource reads it with `dg.EnvVar`: the Dagster UI shows which variable configures it, never its value,
    and a run started without it fails on its first step naming the variable.

    - local: the warehouse at $PEMADANAN_WAREHOUSE_URL when set, else the embedded server under the data folder;
      files under the project's data/ unless $PEMADANAN_DATA_DIR or $PEMADANAN_LANDING_DIR say otherwise.
    - external: the warehouse must be $PEMADANAN_WAREHOUSE_URL, rather than a server started beside the run that no
      dashboard reads.
    - kubernetes: as external, and the landing folder must be $PEMADANAN_LANDING_DIR (the volume mounted in the code
      server and run pods: an empty folder in the image would look like a semester nobody delivered).
    """
    name = (name or "").strip() or "local"
    if name not in DEPLOYMENTS:
        raise ValueError(f"{DEPLOYMENT_VARIABLE}={name!r} is not a deployment: set one of {', '.join(DEPLOYMENTS)} "
                         "(unset: local)")
    warehouse_db = Warehouse() if name == "local" else Warehouse(url=dg.EnvVar("PEMADANAN_WAREHOUSE_URL"))
    landing = LandingZone(root=dg.EnvVar("PEMADANAN_LANDING_DIR")) if name == "kubernetes" else LandingZone()
    return {
        "io_manager": WarehouseStaging(warehouse_db=warehouse_db),  # personal data in PostgreSQL only
        "landing": landing,
        "validation": Validation(),
        "linkage": Linkage(),
        "warehouse_db": warehouse_db,
        "election_calendar": ElectionCalendar(),
        "coklit": CoklitLists(),
    }

