"""Ingest: each semester's files, typed and normalised; unusable rows quarantined with their reasons."""


import dagster as dg
import pandas as pd

from pemadanan.ingest import FileRejected, IngestResult, ingest_deaths, ingest_population, ingest_voters
from pipelines.partitions import semester_partitions
from resources import LandingZone


def ingest_metadata(result: IngestResult) -> dict:
    """Counts only: reasons are fixed texts, never values from the rows."""
    reasons = result.quarantine["reasons"].str.split("; ").explode().value_counts() if len(result.quarantine) else pd.Series(dtype=int)
    return {
        "dagster/row_count": len(result.accepted),
        "rows_in": result.rows_in,
        "rows_accepted": len(result.accepted),
        "rows_quarantined": len(result.quarantine),
        "quarantine_reasons": dg.MetadataValue.md(
            reasons.rename_axis("reason").reset_index(name="rows").to_markdown(index=False) if len(reasons) else "none"),
    }


def _require(path, dataset: str, semester: str):
    if path is None:
        raise FileRejected(f"{semester}: no {dataset} file in the landing folder")
    return path


@dg.asset(partitions_def=semester_partitions, group_name="ingest", kinds={"pandas"})
def population(context: dg.AssetExecutionContext, landing: LandingZone) -> dg.Output[IngestResult]:
    """Dukcapil's population snapshot (DKB) for the semester, typed; bad rows quarantined."""
    files = landing.semester_files(context.partition_key)
    result = ingest_population(_require(files.population, "population", context.partition_key))
    return dg.Output(result, metadata=ingest_metadata(result))


@dg.asset(partitions_def=semester_partitions, group_name="ingest", kinds={"pandas"})
def voters(context: dg.AssetExecutionContext, landing: LandingZone, population: IngestResult) -> dg.Output[IngestResult]:
    """KPU's voter list (DPT) for the semester, typed; region names resolved within the population's kabupaten."""
    files = landing.semester_files(context.partition_key)
    kabupaten = sorted(population.accepted["desa_code"].str.slice(0, 5).dropna().unique())
    result = ingest_voters(_require(files.voters, "voters", context.partition_key), kabupaten)
    return dg.Output(result, metadata=ingest_metadata(result))


@dg.asset(partitions_def=semester_partitions, group_name="ingest", kinds={"pandas"})
def deaths(context: dg.AssetExecutionContext, landing: LandingZone) -> dg.Output[IngestResult]:
    """Deaths recorded during the semester (optional file: none delivered means none recorded)."""
    result = ingest_deaths(landing.semester_files(context.partition_key).deaths)
    return dg.Output(result, metadata=ingest_metadata(result))
