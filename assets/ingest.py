"""Ingest: each semester's files, validated by their expectation suites (shown as asset checks), typed;
bad rows quarantined with their reasons. A blocking check that fails stops the run before anything is published."""


import hashlib
import logging
import warnings
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pandas as pd

from assets import markdown_table
from assets.partitions import kabupaten_partitions, semester_and_kabupaten
from expectations.checks import Outcome
from pemadanan import warehouse
from pemadanan.file_server import url_for
from pemadanan.ingest import (
    DEATHS,
    POPULATION,
    VOTERS,
    Dataset,
    FileRejected,
    IngestResult,
    delivered_bytes,
    ingest,
    no_deaths_file,
)
from pemadanan.semester import Semester
from pemadanan.validation import CheckOutcome, FileBlocked
from resources import LandingZone, Validation, Warehouse

OUTCOME_MEANS = {Outcome.BLOCK: "Blocking: a failure stops the run, nothing is published.",
                 Outcome.QUARANTINE: "Failing rows go to restricted.quarantine with this reason; the run goes on.",
                 Outcome.FLAG: "Failing rows are kept and flagged in restricted.row_issues; the run goes on."}


def check_specs(dataset: Dataset) -> list[dg.AssetCheckSpec]:
    """Blocking as shipped: an outcome changed in the `validation` resource acts at run time (a quarantine check
    set to block stops the run) but Dagster's badge keeps the shipped outcome."""
    # Partitioned checks are a preview in Dagster 1.13 (pinned in constraints.txt): each result is one semester's,
    # so the UI does not join 2024-S1 and 2024-S2 into one series.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.PreviewWarning)
        return [dg.AssetCheckSpec(check.name, asset=dataset.name, blocking=check.outcome == Outcome.BLOCK,
                                  description=f"{check.reason}. {OUTCOME_MEANS[check.outcome]}",
                                  partitions_def=kabupaten_partitions)
                for check in dataset.all_checks()]


def check_result(outcome: CheckOutcome, docs: str | None) -> dg.AssetCheckResult:
    """Counts and masked examples only: no NIK, name or birth date leaves the check."""
    metadata = {
        "outcome": outcome.outcome.value, "expectation": outcome.check.expectation,
        "rows_checked": outcome.element_count, "rows_failing": outcome.unexpected_count,
        "percent_failing": outcome.unexpected_percent,
    }
    if outcome.observed is not None:
        metadata["observed"] = str(outcome.observed)
    if outcome.examples:
        metadata["examples_masked"] = markdown_table(pd.DataFrame(outcome.examples, columns=["value (masked)", "rows"]))
    if docs:
        metadata["data_docs"] = dg.MetadataValue.url(docs)
    return dg.AssetCheckResult(
        check_name=outcome.check.name, passed=outcome.success, metadata=metadata,
        severity=dg.AssetCheckSeverity.ERROR if outcome.outcome == Outcome.BLOCK else dg.AssetCheckSeverity.WARN)


# Dagster warns on stderr, outside the run, of every step after a check left without a result: for a check that
# could not run that is expected, and the run's log says why (`log_not_evaluated`); a terminal full of it is not.
logging.getLogger("dagster._core.execution.plan.active").addFilter(
    lambda record: "emitted no result" not in record.getMessage())


def log_not_evaluated(context: dg.AssetExecutionContext, dataset: Dataset, evaluated: list[CheckOutcome],
                      why: str) -> None:
    """A check that could not run yields no result: any result would say passed or failed, while a planned check
    left without one is shown as skipped once the run has succeeded. The run's log says why."""
    wanted = {key.name for key in context.selected_asset_check_keys} - {outcome.check.name for outcome in evaluated}
    skipped = [check.name for check in dataset.all_checks() if check.name in wanted]
    if skipped:
        context.log.info(f"{dataset.name}: not evaluated ({why}): {', '.join(skipped)}")


def ingest_metadata(result: IngestResult) -> dict:
    """Counts only: reasons are fixed texts, never values from the rows."""
    def reason_counts(column: pd.Series) -> dg.MetadataValue:
        counts = column.dropna().str.split("; ").explode().value_counts()
        return markdown_table(counts.rename_axis("reason").reset_index(name="rows")) if len(counts) else "none"

    metadata = {
        "dagster/row_count": len(result.accepted),
        "file": result.file_name or "(none delivered)",
        "rows_in": result.rows_in,
        "rows_accepted": len(result.accepted),
        "rows_quarantined": len(result.quarantine),
        "rows_flagged": int(result.accepted["flags"].notna().sum()),
        "rows_repaired": int(result.accepted["repairs"].notna().sum()),
        "quarantine_reasons": reason_counts(result.quarantine["reasons"]),
        "flags": reason_counts(result.accepted["flags"]),
    }
    if result.docs_index:
        metadata["data_docs"] = dg.MetadataValue.url(url_for(result.docs_index))
    return metadata


def asset_output(context: dg.AssetExecutionContext, dataset: Dataset, result: IngestResult) -> Iterator[dg.Output]:
    """The asset's value, unless only its checks were selected: a subsettable asset may yield only what is selected."""
    if dg.AssetKey(dataset.name) in context.selected_asset_keys:
        yield dg.Output(result, metadata=ingest_metadata(result))


def selected_check_results(context: dg.AssetExecutionContext, outcomes: list[CheckOutcome],
                           docs_index: Path | None) -> Iterator[dg.AssetCheckResult]:
    """A run may select the asset without its checks, or some checks only: a result not selected would still be
    recorded."""
    selected = {key.name for key in context.selected_asset_check_keys}
    docs = url_for(docs_index) if docs_index else None
    for outcome in outcomes:
        if outcome.check.name in selected:
            yield check_result(outcome, docs)


def _validated(context: dg.AssetExecutionContext, dataset: Dataset, path, validation: Validation,
               warehouse_db: Warehouse | None = None, **options):
    """Runs `ingest` and yields the output and one check result per check evaluated; stops the run on a block."""
    semester, kabupaten = semester_and_kabupaten(context)
    if path is None:
        raise FileRejected(f"{semester} {kabupaten}: no {dataset.name} file in the landing folder")
    previous = None
    if dataset.volume_checked and warehouse_db is not None:
        previous = warehouse.previous_rows_in(warehouse_db.resolved_url(), Semester.parse(semester).previous().key,
                                              kabupaten, dataset.name)
    data = delivered_bytes(path)
    if dataset is POPULATION and warehouse_db is not None:
        _refuse_a_snapshot_published_under_another_key(warehouse_db, path.name, data, semester, kabupaten)
    try:
        result = ingest(dataset, path, semester, policy=validation.policy(), previous_rows=previous, kabupaten=kabupaten,
                        docs_dir=validation.docs_folder(semester, kabupaten, dataset.name), data=data, **options)
    except FileBlocked as blocked:
        yield from selected_check_results(context, blocked.outcomes, blocked.docs_index)
        raise dg.Failure(description=str(blocked)) from None
    yield from asset_output(context, dataset, result)
    yield from selected_check_results(context, result.checks, result.docs_index)
    log_not_evaluated(context, dataset, result.checks, "no previous semester published to compare with")


def _refuse_a_snapshot_published_under_another_key(warehouse_db: Warehouse, name: str, data: bytes, semester: str,
                                                    kabupaten: str) -> None:
    """A population snapshot is one semester's of one kabupaten: the same bytes published under another semester or
    kabupaten are one delivery filed twice (a folder copied, a symlink replaced by its target)."""
    elsewhere = [key for key in warehouse.published_with_digest(warehouse_db.resolved_url(), POPULATION.name,
                                                                hashlib.sha256(data).hexdigest())
                 if key != (semester, kabupaten)]
    if elsewhere:
        raise FileRejected(f"{name} is byte for byte the population file published for {' and '.join(map(' '.join, elsewhere))}: "
                           f"a snapshot delivered twice? Deliver {semester} {kabupaten}'s own")


def ingest_asset(dataset: Dataset, description: str) -> dg.multi_asset:
    """A multi-asset for `can_subset` alone: @asset requires a result of every check, so one that could not run had to
    pass. Subsettable, a check may be left without one (Dagster shows it skipped) and a run may select checks only,
    hence the asset's own output is optional too (as Dagster makes it for subsettable specs). Its output keeps
    @asset's name, `result`."""
    return dg.multi_asset(name=dataset.name, partitions_def=kabupaten_partitions, can_subset=True,
                          outs={"result": dg.AssetOut(key=dataset.name, description=description, group_name="ingest",
                                                      kinds={"pandas", "great_expectations"}, is_required=False)},
                          check_specs=check_specs(dataset))


@ingest_asset(POPULATION, "Dukcapil's population snapshot (DKB) for the semester, validated and typed; bad rows quarantined.")
def population(context: dg.AssetExecutionContext, landing: LandingZone, validation: Validation, warehouse_db: Warehouse):
    files = landing.semester_files(*semester_and_kabupaten(context))
    yield from _validated(context, POPULATION, files.population, validation, warehouse_db,
                          header_aliases=landing.header_aliases, sheet=landing.xlsx_sheet or None)


@ingest_asset(VOTERS, "KPU's voter list (DPT) for the semester, validated and typed; region names resolved within the "
              "kabupaten.")
def voters(context: dg.AssetExecutionContext, landing: LandingZone, validation: Validation, warehouse_db: Warehouse):
    files = landing.semester_files(*semester_and_kabupaten(context))
    yield from _validated(context, VOTERS, files.voters, validation, warehouse_db,
                          header_aliases=landing.header_aliases, sheet=landing.xlsx_sheet or None)


@ingest_asset(DEATHS, "Deaths recorded during the semester (optional file: none delivered means none recorded).")
def deaths(context: dg.AssetExecutionContext, landing: LandingZone, validation: Validation):
    path = landing.semester_files(*semester_and_kabupaten(context)).deaths
    if path is None:
        result = no_deaths_file()
        yield from asset_output(context, DEATHS, result)
        log_not_evaluated(context, DEATHS, [], "no deaths file delivered")
        return
    yield from _validated(context, DEATHS, path, validation,
                          header_aliases=landing.header_aliases, sheet=landing.xlsx_sheet or None)

