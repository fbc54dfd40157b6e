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
        "rows_repaired": int(r.accepted["repairs"].notna().sum()),
    } for r in results if r.file_name])
