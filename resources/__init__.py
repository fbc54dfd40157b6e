"""Dagster resources: where the semester files land and where the tables are published."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dagster import ConfigurableResource

from pemadanan import settings, warehouse

FILE_TYPES = (".csv", ".parquet", ".xlsx")


@dataclass(frozen=True)
class SemesterFiles:
    population: Path | None
    voters: Path | None
    deaths: Path | None

    @property
    def complete(self) -> bool:
        return self.population is not None and self.voters is not None

    @property
    def missing(self) -> list[str]:
        return [name for name in ("population", "voters") if getattr(self, name) is None]

    def fingerprint(self) -> str:
        """Changes when any file is replaced, so a re-delivery triggers a new run."""
        parts = [f"{p.name}:{p.stat().st_size}:{int(p.stat().st_mtime)}" for p in (self.population, self.voters, self.deaths) if p]
        return "|".join(parts)


class LandingZone(ConfigurableResource):
    """`<root>/<semester>/population.*`, `voters.*` and optionally `deaths.*`, as Dukcapil and KPU deliver them."""

    root: str = str(settings.landing_dir())

    def semester_files(self, semester: str) -> SemesterFiles:
        folder = Path(self.root) / semester

        def find(stem: str) -> Path | None:
            hits = [folder / f"{stem}{suffix}" for suffix in FILE_TYPES if (folder / f"{stem}{suffix}").is_file()]
            return hits[0] if hits else None

        return SemesterFiles(find("population"), find("voters"), find("deaths"))

    def delivered_semesters(self) -> list[str]:
        root = Path(self.root)
        return sorted(p.name for p in root.iterdir() if p.is_dir()) if root.is_dir() else []


class Warehouse(ConfigurableResource):
    """PostgreSQL for the published tables. Without a URL, the project's embedded server under `data_dir`."""

    url: str = ""
    data_dir: str = str(settings.data_dir() / "warehouse")

    def resolved_url(self) -> str:
        return self.url or warehouse.embedded_url(Path(self.data_dir))
