"""The national step: once per semester, across every kabupaten published for it, what no kabupaten alone can see
(moved to another kabupaten, listed in two, listed elsewhere). It reads the warehouse, not the runs' memory: the
kabupaten ran in runs (and pods) of their own."""


import warnings

import dagster as dg
import pandas as pd

from assets import markdown_table
from assets.partitions import semester_of, semester_partitions
from assets.publish import TABLE_ASSETS
from pemadanan import national, warehouse
from resources import Warehouse

NATIONAL_ASSETS = {table: dg.AssetKey([table.schema, table.name]) for table in warehouse.NATIONAL_TABLES}
# Every kabupaten of the semester published so far: the step needs no particular one, and says which it read.
# The mapping is beta in Dagster 1.13 (pinned in constraints.txt).
with warnings.catch_warnings():
    warnings.simplefilter("ignore", dg.BetaWarning)
    READS = [dg.AssetDep(TABLE_ASSETS[table], partition_mapping=dg.MultiToSingleDimensionPartitionMapping("semester"))
             for table in (warehouse.POPULATION_SNAPSHOT, warehouse.VOTER_LINKS, warehouse.UNLINKED_VOTERS,
                           warehouse.ELIGIBLE_UNREGISTERED, warehouse.DEATH_RECORDS, warehouse.PUBLICATIONS)]


@dg.multi_asset(
    partitions_def=semester_partitions, group_name="national",
    specs=[dg.AssetSpec(key, description=table.description, kinds={"postgres"}, deps=READS,
                        metadata={"dagster/table_name": table.qualified})
           for table, key in NATIONAL_ASSETS.items()])
def national_tables(context: dg.AssetExecutionContext, warehouse_db: Warehouse):
    """Looks every published kabupaten's unlinked voter rows and unregistered residents up in the semester's
    population of all kabupaten (PostgreSQL's NIK and name-key indexes), and replaces the semester's national
    findings and coverage in one transaction."""
    semester = semester_of(context)
    url = warehouse_db.resolved_url()
    published = warehouse.publications(url)
    covered = (published.xs(semester, level="semester")["published_at"] if semester in published.index.get_level_values(0)
               else pd.Series(dtype="datetime64[ns, UTC]"))
    if covered.empty:
        raise dg.Failure(f"no kabupaten of {semester} is published: nothing to look up")
    found = national.national_findings(*national.read_published(url, semester))
    findings = national.findings_table(found)
    per_kabupaten = pd.DataFrame({
        "died_elsewhere": found.died.groupby("kabupaten").size(),
        "moved_out": found.moved.groupby("kabupaten").size(),
        "listed_twice": found.listed_twice.groupby("kabupaten").size(),
        "listed_elsewhere": found.listed_elsewhere.groupby("kabupaten").size(),
        "listed_elsewhere_high": found.listed_elsewhere[found.listed_elsewhere["confidence"] == "high"].groupby(
            "kabupaten").size(),
    }).reindex(covered.index, fill_value=0).fillna(0).astype(int)
    coverage = per_kabupaten.assign(published_at=covered, kabupaten_covered=len(covered),
                                    computed_at=pd.Timestamp.now(tz="UTC")).rename_axis("kabupaten").reset_index()
    # With the dashboard role: the first publish of published.national_coverage grants it, as a kabupaten's does.
    counts = warehouse.replace_kabupaten(url, semester, None, {warehouse.NATIONAL_FINDINGS: findings,
                                                               warehouse.NATIONAL_COVERAGE: coverage},
                                         dashboard=warehouse_db.dashboard())
    by_finding = findings.groupby(["finding", "confidence"]).size().rename("rows").reset_index()
    yield dg.MaterializeResult(asset_key=NATIONAL_ASSETS[warehouse.NATIONAL_FINDINGS], metadata={
        "dagster/row_count": counts[warehouse.NATIONAL_FINDINGS.qualified],
        "per_finding": markdown_table(by_finding)})
    yield dg.MaterializeResult(asset_key=NATIONAL_ASSETS[warehouse.NATIONAL_COVERAGE], metadata={
        "dagster/row_count": counts[warehouse.NATIONAL_COVERAGE.qualified],
        "kabupaten_covered": len(covered), "kabupaten": ", ".join(covered.index),
        "per_kabupaten": markdown_table(coverage[["kabupaten", "died_elsewhere", "moved_out", "listed_twice",
                                                  "listed_elsewhere", "listed_elsewhere_high"]])})
