"""Publish: the semester's tables to PostgreSQL, all in one transaction."""


import dagster as dg
import pandas as pd

from assets import markdown_table
from assets.partitions import kabupaten_partitions, partitions_in_flight, semester_and_kabupaten
from pemadanan import maintenance, national, quality, warehouse
from pemadanan.frames import stack
from pemadanan.ingest import IngestResult
from pemadanan.linkage import LinkResult
from pemadanan.semester import Semester
from pemadanan.summary import link_summary, suppress_small_counts
from pemadanan.warehouse import staging
from resources import LandingZone, Warehouse

TABLE_ASSETS = {table: dg.AssetKey([table.schema, table.name]) for table in warehouse.TABLES}
UPSTREAM = ("voter_resident_links", "population", "voters", "deaths", "known_deaths", "tms_candidates",
            "eligible_unregistered", "new_voters", "population_changes", "coverage_by_region")


def _column_schema(table: warehouse.Table) -> dg.TableSchema:
    return dg.TableSchema(columns=[
        dg.TableColumn(c.name, c.sql_type.replace(" NOT NULL", ""), description=c.description) for c in table.columns])


@dg.multi_asset(
    partitions_def=kabupaten_partitions,
    group_name="publish",
    specs=[
        dg.AssetSpec(key, description=table.description, kinds={"postgres"},
                     deps=list(UPSTREAM),
                     metadata={"dagster/table_name": table.qualified, "dagster/column_schema": _column_schema(table)})
        for table, key in TABLE_ASSETS.items()
    ],
    ins={name: dg.AssetIn(name) for name in UPSTREAM},
)
def warehouse_tables(context: dg.AssetExecutionContext, warehouse_db: Warehouse, landing: LandingZone,
                     voter_resident_links: LinkResult,
                     population: IngestResult, voters: IngestResult, deaths: IngestResult, known_deaths: pd.DataFrame,
                     tms_candidates: pd.DataFrame, eligible_unregistered: pd.DataFrame, new_voters: pd.DataFrame,
                     population_changes: pd.DataFrame, coverage_by_region: pd.DataFrame):
    """Every table of the semester is replaced in one transaction: all or nothing, and a re-run gives the same rows."""
    where_listed = voters.accepted.set_index("source_row")[["desa_code", "tps", "no_kk", "birthplace"]].assign(
        row_fingerprint=national.row_fingerprints(voters.accepted).to_numpy())
    links = voter_resident_links.links.join(where_listed[["desa_code", "tps", "row_fingerprint"]], on="voter_row")
    unlinked = voter_resident_links.unlinked.join(where_listed, on="voter_row")
    files = [population, voters, deaths]
    summary = link_summary(voters.accepted, population.accepted, links["voter_row"],
                           voter_resident_links.duplicates["voter_row"])
    threshold = warehouse_db.small_count_threshold
    semester, kabupaten = semester_and_kabupaten(context)
    coverage_counts = [c for c in maintenance.COVERAGE_COLUMNS if c not in ("region_level", "region_code", "region_name",
                                                                          "coverage_pct")]
    published = {  # desa counts below the threshold suppressed: dashboards cannot single out a person
        warehouse.LINK_SUMMARY: suppress_small_counts(
            summary, ["voters", "linked", "duplicates", "unlinked", "residents"], threshold,
            derived={"link_rate": ["linked", "voters"]}),
        warehouse.COVERAGE_BY_REGION: suppress_small_counts(
            coverage_by_region, coverage_counts, threshold,
            derived={"coverage_pct": ["eligible", "eligible_unregistered"]}),
        warehouse.SEMESTER_CHANGES: suppress_small_counts(
            maintenance.changes_per_region(population_changes, kabupaten), ["people"], threshold, within=["change"]),
    }
    frames = {warehouse.VOTER_LINKS: links, warehouse.UNLINKED_VOTERS: unlinked,
              warehouse.REVIEW_QUEUE: voter_resident_links.review_queue,
              warehouse.REVIEW_DECISIONS: voter_resident_links.review_decisions,
              warehouse.VOTER_DUPLICATES: voter_resident_links.duplicates,
              warehouse.QUARANTINE: stack([f.quarantine for f in files]),
              warehouse.ROW_ISSUES: stack([f.row_issues for f in files]),
              warehouse.TMS_CANDIDATES: tms_candidates, warehouse.ELIGIBLE_UNREGISTERED: eligible_unregistered,
              warehouse.NEW_VOTERS: new_voters, warehouse.POPULATION_CHANGES: population_changes,
              warehouse.DEATH_RECORDS: known_deaths.loc[known_deaths["new"], warehouse.DEATH_RECORDS.frame_columns],
              warehouse.POPULATION_SNAPSHOT: maintenance.snapshot(population.accepted),
              **published, warehouse.DATA_QUALITY: quality.data_quality(files), warehouse.DELIVERIES: quality.deliveries(files),
              warehouse.PUBLICATIONS: pd.DataFrame({"published_at": [pd.Timestamp.now(tz="UTC")],
                                                    "compared_with": [population_changes.attrs.get("compared_with")],
                                                    "landing": [str(landing.path.resolve())]})}
    frames[warehouse.COKLIT_LIST] = maintenance.coklit_list(tms_candidates, eligible_unregistered, voters.accepted,
                                                            population.accepted, Semester.parse(semester).reference_date)
    url = warehouse_db.resolved_url()
    counts = warehouse.replace_kabupaten(url, semester, kabupaten, frames, dashboard=warehouse_db.dashboard())
    # Published: the partition's staged outputs have served, and what killed runs left long ago goes too.
    staging.drop_partition(url, str(context.partition_key))
    staging.sweep(url, in_flight=partitions_in_flight(context.instance))
    for table, key in TABLE_ASSETS.items():
        metadata = {"dagster/row_count": counts[table.qualified]}
        if table is warehouse.LINK_SUMMARY:
            kecamatan = summary[summary["region_level"] == "kecamatan"].drop(columns="region_level")
            metadata["per_kecamatan"] = markdown_table(kecamatan)
        yield dg.MaterializeResult(asset_key=key, metadata=metadata)
