"""Outputs: what KPU and Dukcapil act on (TMS candidates, eligible-unregistered, new voters, population changes,
coverage per region, coklit lists). Counts and charts only in metadata: no personal data."""

import dagster as dg
import pandas as pd

from assets import markdown_table
from assets.partitions import kabupaten_partitions, semester_and_kabupaten
from pemadanan import coklit as coklit_files
from pemadanan import maintenance, national, regions, report, settings, tms, warehouse
from pemadanan.file_server import url_for
from pemadanan.ingest import IngestResult, quarantined_niks
from pemadanan.kpu import TMS_MEANINGS
from pemadanan.linkage import LinkResult
from pemadanan.nik import mask_nik
from pemadanan.semester import Semester, SemesterInputs
from resources import CoklitLists, ElectionCalendar, Warehouse

OUTPUTS = {"group_name": "outputs", "partitions_def": kabupaten_partitions}


def _semester(key: dg.MultiPartitionKey, election_calendar: ElectionCalendar, links: LinkResult, population: IngestResult,
              voters: IngestResult) -> SemesterInputs:
    semester = Semester.parse(key.keys_by_dimension["semester"])
    return SemesterInputs(semester.reference_date, semester.previous().reference_date,
                          election_calendar.judging_day(semester.reference_date), voters.accepted, population.accepted,
                          links, quarantined_niks(voters))


def _per_kecamatan(desa_code: pd.Series, label: str) -> dg.MetadataValue:
    kecamatan = regions.code_at_level(desa_code, "kecamatan")
    names = regions.region_table().set_index("code")["name"]
    counts = kecamatan.value_counts().rename_axis("kecamatan").reset_index(name=label).sort_values("kecamatan")
    counts.insert(1, "name", counts["kecamatan"].map(names))
    return markdown_table(counts)


@dg.asset(**OUTPUTS, kinds={"pandas"})
def known_deaths(context: dg.AssetExecutionContext, warehouse_db: Warehouse, deaths: IngestResult) -> dg.Output[pd.DataFrame]:
    """Every death record known by this semester, one per person: the earlier semesters' (restricted.death_records)
    and this semester's file; a record delivered again is not a second death."""
    semester, kabupaten = semester_and_kabupaten(context)
    earlier = warehouse.read_semester(warehouse_db.resolved_url(), warehouse.DEATH_RECORDS, semester, kabupaten,
                                      before=True)
    known = maintenance.remembered_deaths(deaths.accepted, semester, earlier)
    return dg.Output(known, metadata={
        "dagster/row_count": len(known), "delivered_first_this_semester": int(known["new"].sum()),
        "delivered_again": len(deaths.accepted) - int(known["new"].sum()),
        "remembered_from_earlier_semesters": int((~known["new"]).sum()),
    })


@dg.asset(**OUTPUTS, kinds={"pandas"})
def population_changes(context: dg.AssetExecutionContext, warehouse_db: Warehouse, population: IngestResult,
                       known_deaths: pd.DataFrame) -> dg.Output[pd.DataFrame]:
    """Per person, what changed since the previous semester (read from its published population snapshot)."""
    semester_key, kabupaten = semester_and_kabupaten(context)
    semester = Semester.parse(semester_key)
    previous_key = semester.previous().key
    previous = warehouse.read_semester(warehouse_db.resolved_url(), warehouse.POPULATION_SNAPSHOT, previous_key,
                                       kabupaten)
    if previous is None:
        context.log.warning(f"{previous_key} was not published: moves, corrections and marriages are not computed")
    changes = maintenance.population_changes(population.accepted, known_deaths[known_deaths["new"]],
                                             semester.reference_date, semester.previous().reference_date, previous)
    changes.attrs["compared_with"] = previous_key if previous is not None else None  # published.publications
    counts = changes["change"].value_counts().rename_axis("change").reset_index(name="people")
    return dg.Output(changes, metadata={
        "dagster/row_count": len(changes), "compared_with": previous_key if previous is not None else "nothing",
        "people_per_change": markdown_table(counts),
    })


@dg.asset(**OUTPUTS, kinds={"pandas"})
def tms_candidates(context: dg.AssetExecutionContext, election_calendar: ElectionCalendar, voter_resident_links: LinkResult,
                   population: IngestResult, voters: IngestResult, known_deaths: pd.DataFrame,
                   population_changes: pd.DataFrame) -> dg.Output[pd.DataFrame]:
    """Voter rows that may not qualify, one row per row and TMS rule that applies (`pemadanan.tms.TMS_RULES`), with
    evidence and a confidence."""
    semester = _semester(context.partition_key, election_calendar, voter_resident_links, population, voters)
    flagged = tms.tms_candidates(semester, population_changes, known_deaths)
    flagged["desa_code"] = flagged["voter_row"].map(voters.accepted.set_index("source_row")["desa_code"])
    per_code = (flagged.groupby(["tms_code", "confidence", "needs_coklit"]).size().rename("voter_rows").reset_index()
                .assign(meaning=lambda f: f["tms_code"].map(TMS_MEANINGS)))
    return dg.Output(flagged, metadata={
        "dagster/row_count": len(flagged), "voter_rows_flagged": int(flagged["voter_row"].nunique()),
        "judged_on": semester.judged_on.describe(),
        "per_tms_code": markdown_table(per_code[["tms_code", "meaning", "confidence", "needs_coklit", "voter_rows"]]),
        "per_kecamatan": _per_kecamatan(flagged.drop_duplicates("voter_row")["desa_code"], "voter_rows_flagged"),
    })


@dg.asset(**OUTPUTS, kinds={"pandas"})
def eligible_unregistered(context: dg.AssetExecutionContext, election_calendar: ElectionCalendar, voter_resident_links: LinkResult,
                          population: IngestResult, voters: IngestResult) -> dg.Output[pd.DataFrame]:
    """Eligible residents on no voter row, with where to find them."""
    semester = _semester(context.partition_key, election_calendar, voter_resident_links, population, voters)
    missing = maintenance.eligible_unregistered(semester)
    return dg.Output(missing, metadata={
        "dagster/row_count": len(missing), "judged_on": semester.judged_on.describe(),
        "per_reason": markdown_table(missing["reason"].value_counts().rename_axis("reason").reset_index(name="residents")),
        "per_kecamatan": _per_kecamatan(missing["desa_code"], "residents"),
    })


@dg.asset(**OUTPUTS, kinds={"pandas"})
def new_voters(context: dg.AssetExecutionContext, election_calendar: ElectionCalendar, voter_resident_links: LinkResult,
               population: IngestResult, voters: IngestResult,
               population_changes: pd.DataFrame) -> dg.Output[pd.DataFrame]:
    """Pemilih baru: unlisted residents who became eligible this semester or will be by voting day."""
    semester = _semester(context.partition_key, election_calendar, voter_resident_links, population, voters)
    newly = maintenance.new_voters(semester, population_changes)
    return dg.Output(newly, metadata={
        "dagster/row_count": len(newly), "judged_on": semester.judged_on.describe(),
        "per_reason": markdown_table(newly["reason"].value_counts().rename_axis("reason").reset_index(name="residents")),
        "per_kecamatan": _per_kecamatan(newly["desa_code"], "residents"),
    })


def _coverage_chart(kecamatan: pd.DataFrame) -> dg.MetadataValue:
    """Coverage per kecamatan as a bar chart, lowest on top, embedded in markdown the way Dagster's docs show."""
    png = report.bar_chart(kecamatan["region_name"].fillna(kecamatan["region_code"]), kecamatan["coverage_pct"],
                           "Cakupan per kecamatan / Coverage per kecamatan",
                           "penduduk berhak pilih yang terdaftar / eligible residents on the list (%)",
                           fmt="%.1f", x_max=105, smallest_on_top=True)
    return dg.MetadataValue.md(f"![coverage per kecamatan](data:image/png;base64,{png})")


@dg.asset(**OUTPUTS, kinds={"pandas"})
def coverage_by_region(context: dg.AssetExecutionContext, election_calendar: ElectionCalendar, voter_resident_links: LinkResult,
                       population: IngestResult, voters: IngestResult, tms_candidates: pd.DataFrame, eligible_unregistered: pd.DataFrame,
                       new_voters: pd.DataFrame) -> dg.Output[pd.DataFrame]:
    """Residents, eligible, registered, linked, unregistered, TMS 1..8 and new voters per region."""
    semester = _semester(context.partition_key, election_calendar, voter_resident_links, population, voters)
    coverage = maintenance.coverage_by_region(semester, tms_candidates, eligible_unregistered, new_voters)
    kecamatan = coverage[coverage["region_level"] == "kecamatan"]
    kabupaten = coverage[coverage["region_level"] == "kabupaten"]
    return dg.Output(coverage, metadata={
        "dagster/row_count": len(coverage),
        "coverage_pct": float(kabupaten["coverage_pct"].mean()) if len(kabupaten) else 0.0,
        "coverage_per_kecamatan_chart": _coverage_chart(kecamatan),
        "per_kecamatan": markdown_table(kecamatan.drop(columns="region_level")),
    })


# Written from the published restricted.coklit_list: a run that fails to publish leaves the previous lists, and the
# lists of a published partition can be written again alone (officer_files_job, after each national step). The
# national findings are read where the step has run, not declared a dependency: the UI would warn that materializing
# the lists "may fail" until it has, and they do not.
@dg.asset(**OUTPUTS, kinds={"csv", "xlsx"}, deps=[dg.AssetKey(["restricted", "coklit_list"])])
def coklit_lists(context: dg.AssetExecutionContext, coklit: CoklitLists, warehouse_db: Warehouse) -> dg.MaterializeResult:
    """One CSV and one XLSX per desa with the people Pantarlih officers visit, by RW, RT and address, and what the
    national step found of them (moved to, also listed in, listed in another kabupaten); only the operator can read
    them, and no cell is a formula. The semester's folder is replaced whole, so a failed step leaves the previous
    lists."""
    semester, kabupaten = semester_and_kabupaten(context)
    url = warehouse_db.resolved_url()
    if (semester, kabupaten) not in warehouse.publications(url).index:
        raise dg.Failure(f"{semester} {kabupaten} is not published: its coklit lists are written from what it publishes")
    published = warehouse.read_semester(url, warehouse.COKLIT_LIST, semester, kabupaten)
    people = (published if published is not None else pd.DataFrame(columns=maintenance.COKLIT_COLUMNS))[
        maintenance.COKLIT_COLUMNS]
    found = warehouse.national_findings_of(url, semester, kabupaten)
    people = people.assign(national_finding=national.officer_notes(people, found if found is not None else
                                                                   pd.DataFrame()))
    if not coklit.full_nik:
        people = people.assign(nik=mask_nik(people["nik"]))
    folder = coklit.folder(semester, kabupaten)
    coklit_files.write_lists(people, folder, context.run.run_id)
    return dg.MaterializeResult(metadata={
        "folder": dg.MetadataValue.path(str(folder)), "desa_files": int(people["desa_code"].nunique()),
        "people_to_visit": len(people), "with_national_finding": (int(people["national_finding"].notna().sum()) if found is not None
                                  else "the national step has not read this publication yet"),
        "nik": "full (operator request)" if coklit.full_nik else "masked",
        "per_kecamatan": _per_kecamatan(people["desa_code"], "people_to_visit"),
    })


@dg.asset(**OUTPUTS, kinds={"html"}, deps=[dg.AssetKey(["published", "coverage_by_region"])])
def semester_report(context: dg.AssetExecutionContext, warehouse_db: Warehouse) -> dg.MaterializeResult:
    """The semester report for the KPU-Dukcapil coordination meeting: one self-contained HTML file (no CDN, no
    personal data, small desa counts suppressed), read from what the semester published."""
    path = report.write_report(warehouse_db.resolved_url(), *semester_and_kabupaten(context), settings.reports_dir())
    return dg.MaterializeResult(metadata={"report": dg.MetadataValue.url(url_for(path)),
                                          "path": dg.MetadataValue.path(str(path))})
