"""The data-quality tables for dashboards and auditors: one row per check, one row per delivered file."""

from __future__ import annotations

import pandas as pd

from pemadanan.ingest import DATASETS, IngestResult


def data_quality(results: list[IngestResult]) -> pd.DataFrame:
    """Every check of every delivered file, evaluated or not (a volume check has no baseline the first time)."""
    rows = []
    for result in results:
        if not result.file_name:
            continue
        evaluated = {o.check.name: o for o in result.checks}
        for check in DATASETS[result.dataset].all_checks():
            done = evaluated.get(check.name)
            rows.append({
                "dataset": result.dataset, "file_name": result.file_name, "check_name": check.name,
                "expectation": check.expectation, "column_name": check.column, "reason": check.reason,
                "outcome": (done.outcome if done else check.outcome).value, "evaluated": done is not None,
                "success": done.success if done else None,
                "element_count": done.element_count if done else None,
                "unexpected_count": done.unexpected_count if done else None,
                "unexpected_percent": done.unexpected_percent if done else None,
            })
    return pd.DataFrame(rows)


def deliveries(results: list[IngestResult]) -> pd.DataFrame:
    """Rows in = accepted + quarantined, per file; with how many accepted rows were flagged or repaired."""
    return pd.DataFrame([{
        "dataset": r.dataset, "file_name": r.file_name, "rows_in": r.rows_in, "rows_accepted": len(r.accepted),
        "rows_quarantined": len(r.quarantine), "rows_flagged": int(r.accepted["flags"].notna().sum()),
        "rows_repaired": int(r.accepted["repairs"].notna().sum()), "file_sha256": r.file_sha256,
    } for r in results if r.file_name])


def checks_markdown() -> str:
    """docs/VALIDATION.md, generated from the suites in expectations/checks.py (a test keeps the file in step)."""
    lines = [
        "# Validation: the expectation suites", "",
        "Generated from `expectations/checks.py` by `pemadanan docs`; do not edit by hand.", "",
        "Each delivered file is validated with Great Expectations in two suites: `structure` on the file as read,",
        "then `rows` on the staged rows (delivered columns plus derived lower-case columns). Each check appears in",
        "the Dagster UI as an asset check of the same name on the file's asset, in `published.data_quality`, and in",
        "the file's Data Docs (`data/data_docs/<semester>/<dataset>/index.html`, readable offline; the check's",
        "`data_docs` link opens it while `pemadanan ui` runs).", "",
        "Outcomes: **block** stops the run with one line naming the file and the check (nothing is published);",
        "**quarantine** sets the failing rows aside in `restricted.quarantine` with every reason;",
        "**flag** keeps the rows and records the reason in `restricted.row_issues` (a table check is reported only).", "",
        "## Configuration", "",
        "Through the `validation` resource (Dagster UI launchpad, or `dg.Definitions` resources):", "",
        "- `outcomes`: `{\"<dataset>.<check>\": \"block\" | \"quarantine\" | \"flag\"}` overrides the defaults below.",
        "- `volume_tolerance` (default 0.2): a file may have this share more or fewer rows than the same file of",
        "  the previous semester as published in `published.deliveries`; none published: the check is not evaluated",
        "  (Dagster shows it skipped, the run's log says why).",
        "- `max_quarantined_share` (default 0.05): a file with a larger share of its rows quarantined is blocked.", "",
        "Header spellings (`NAMA_LENGKAP`, `Nama Lengkap`, `No KTP`, ...) are mapped by `HEADER_ALIASES` in",
        "`pemadanan/ingest.py`; add an office's own through the `landing` resource's `header_aliases`, and pick an",
        "XLSX sheet with `xlsx_sheet`. Historical region codes for NIK prefixes: `pemadanan/data/retired_kabupaten.csv`.", "",
    ]
    for dataset in DATASETS.values():
        lines += [f"## {dataset.name}", "", "| check | outcome | expectation | column | a failing row or file has |",
                  "|---|---|---|---|---|"]
        lines += [f"| `{c.name}` | {c.outcome.value} | {c.expectation} | {c.column or ''} | {c.reason} |"
                  for c in dataset.all_checks()]
        lines.append("")
    return "\n".join(lines)
