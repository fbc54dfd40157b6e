"""Running the expectation suites of `expectations.checks` with Great Expectations, and the reports.

`FileValidation` validates one delivered file: structure checks on the file as read, then row checks on the
staged frame, each run as a GX suite in an ephemeral context (nothing shared between runs, no network).
Each check's outcome says which rows it fails (by `source_row`): GX counts them and `failing_rows` finds
them (both must agree).

Nothing personal leaves this module unmasked: failing values are shown as their shape (`'9999…` for a NIK
with an apostrophe, `99-99-9999` for a date) unless the column holds codes, and the GX results that Data
Docs render are stripped of raw values the same way.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import warnings
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from expectations.checks import MAX_QUARANTINED_SHARE, Check, Outcome
from pemadanan.folders import swap_in

# Delivered columns whose values identify a person; everything else holds codes that may be shown.
PERSONAL_COLUMNS = frozenset({
    "NIK", "NO_KK", "NKK", "NAMA_LGKP", "NAMA", "TMPT_LHR", "TEMPAT_LAHIR", "TGL_LHR", "TANGGAL_LAHIR", "USIA",
    "ALAMAT", "DUSUN", "NO_RT", "NO_RW", "RT", "RW", "TGL_KEMATIAN",
})
EXAMPLES_SHOWN = 5
MAX_CODE_SHOWN = 4  # characters: a longer value of a code column is shown by its shape only
STATIC_ASSETS = Path(__file__).resolve().parent.parent / "expectations" / "data_docs_static"


@dataclass(frozen=True)
class ValidationPolicy:
    """Deployment choices: outcome overrides keyed `dataset.check`, and the volume tolerance."""

    outcomes: dict[str, Outcome] = field(default_factory=dict)
    volume_tolerance: float = 0.2  # a file may have this share more or fewer rows than last semester's
    max_quarantined_share: float = MAX_QUARANTINED_SHARE  # more quarantined rows than this blocks the file

    def outcome(self, dataset: str, check: Check) -> Outcome:
        return Outcome(self.outcomes.get(f"{dataset}.{check.name}", check.outcome))

    def volume_bounds(self, previous_rows: int | None) -> dict[str, int]:
        if previous_rows is None:
            return {}
        return {"min_rows": int(np.floor(previous_rows * (1 - self.volume_tolerance))),
                "max_rows": int(np.ceil(previous_rows * (1 + self.volume_tolerance)))}


@dataclass
class CheckOutcome:
    dataset: str
    check: Check
    outcome: Outcome
    success: bool
    element_count: int
    unexpected_count: int
    failing_rows: np.ndarray  # source_row of each failing row (row checks)
    observed: Any = None  # what a table-level check saw (row count, columns)
    expected: str = ""  # the bounds a table-level check applied, parameters filled in
    examples: list[tuple[str, int]] = field(default_factory=list)  # (masked value, rows), most frequent first

    @property
    def unexpected_percent(self) -> float:
        return round(100.0 * self.unexpected_count / self.element_count, 4) if self.element_count else 0.0

    @property
    def blocks(self) -> bool:
        return self.outcome == Outcome.BLOCK and not self.success

    def describe(self, file_name: str) -> str:
        """One line naming the file, the check and what it saw."""
        detail = ""
        if self.check.name == "columns_present":
            missing = [c for c in self.check.kwargs["column_set"] if c not in (self.observed or [])]
            delivered = set(self.observed or []) - {"source_row", "fields_delivered"}
            detail = ": " + ", ".join(missing) if delivered else ": the file has no header (empty file)"
        elif self.check.table_level:
            detail = f" ({self.observed} rows; expected {self.expected})"
        elif "mostly" in self.check.kwargs:
            detail = f" ({self.unexpected_count:,} of {self.element_count:,} rows" + (
                f": {self.observed})" if self.observed is not None else ")")
        elif self.unexpected_count:
            detail = f" ({self.unexpected_count} rows)"
        return f"{file_name}: check {self.check.name} failed: {self.check.reason}{detail}"


def outcome_values(outcome: CheckOutcome) -> dict:
    """The outcome as JSON values (a step output staged in the warehouse carries its file's check outcomes)."""
    values = dataclasses.asdict(outcome)
    values["failing_rows"] = outcome.failing_rows.tolist()
    return values


def outcome_from_values(values: dict) -> CheckOutcome:
    check = values["check"]
    return CheckOutcome(**{
        **values, "check": Check(**{**check, "outcome": Outcome(check["outcome"]), "parameters": tuple(check["parameters"])}),
        "outcome": Outcome(values["outcome"]), "failing_rows": np.asarray(values["failing_rows"], dtype=np.int64),
        "examples": [tuple(example) for example in values["examples"]]})


class FileBlocked(ValueError):
    """A blocking check failed: the file is unusable. Carries every check evaluated so far."""

    def __init__(self, message: str, outcomes: list[CheckOutcome], docs_index: Path | None):
        super().__init__(message)
        self.outcomes = outcomes
        self.docs_index = docs_index


def value_shape(values: pd.Series) -> pd.Series:
    """`3323015508950001` -> `9999999999999999`, `Siti A.` -> `Aaaa A.`: the form of a value, not the value."""
    text = values.astype("string").fillna("<missing>")
    return text.str.replace(r"\d", "9", regex=True).str.replace(r"[A-Z]", "A", regex=True).str.replace(r"[a-z]", "a", regex=True)


def failing_examples(frame: pd.DataFrame, column: str | None, failing: pd.Series) -> list[tuple[str, int]]:
    if column is None or column not in frame.columns or not failing.any():
        return []
    values = frame.loc[failing, column]
    text = values.astype("string").fillna("<missing>")
    # A code column's wrong value is a code ("X", "06")... unless the columns shifted and it holds a name.
    looks_like_code = (text.str.len() <= MAX_CODE_SHOWN) | (text == "<missing>")
    shown = value_shape(values) if column in PERSONAL_COLUMNS else text.where(looks_like_code, value_shape(values))
    counts = shown.value_counts().head(EXAMPLES_SHOWN)
    return [(str(value), int(n)) for value, n in counts.items()]


@cache
def _gx():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import great_expectations as gx  # noqa: PLC0415 - 3 s to import: only when a file is validated
        import great_expectations.expectations as gxe  # noqa: PLC0415
        from great_expectations.execution_engine import pandas_execution_engine  # noqa: PLC0415
    # GX fingerprints every batch under 1 GB with an md5 of hash_pandas_object, for a batch marker nothing here
    # reads: 5-8 s per semester at a million residents. The threshold is the only switch GX has.
    pandas_execution_engine.HASH_THRESHOLD = 0
    return gx, gxe


class FileValidation:
    """Validation of one delivered file, with its own ephemeral GX context and Data Docs."""

    def __init__(self, dataset: str, semester: str, file_name: str, policy: ValidationPolicy,
                 known_columns: frozenset[str] = frozenset()):
        gx, _ = _gx()
        from great_expectations.data_context.types.base import ProgressBarsConfig  # noqa: PLC0415

        self.dataset, self.semester, self.file_name, self.policy = dataset, semester, file_name, policy
        self.known_columns = known_columns
        self.context = gx.get_context(mode="ephemeral")
        self.context.variables.progress_bars = ProgressBarsConfig(globally=False)
        self.asset = self.context.data_sources.add_pandas(dataset).add_dataframe_asset(file_name)
        self.batch = self.asset.add_batch_definition_whole_dataframe("whole file")
        self.outcomes: list[CheckOutcome] = []

    def run(self, suite_name: str, frame: pd.DataFrame, checks: list[Check], parameters: dict[str, Any]) -> list[CheckOutcome]:
        """Validates `frame` (which has `source_row`) against the checks whose parameters are all given."""
        gx, gxe = _gx()
        from great_expectations.core.run_identifier import RunIdentifier  # noqa: PLC0415

        runnable = [c for c in checks if all(p in parameters for p in c.parameters)]
        # Whole, then added: an expectation added to a stored suite writes the suite to the store again.
        # The values, not GX suite parameters: the suite page of Data Docs would show `{'$PARAMETER': ...}`.
        suite = self.context.suites.add(gx.ExpectationSuite(name=f"{self.dataset}.{suite_name}", expectations=[
            getattr(gxe, check.expectation)(**filled_in(check, parameters), meta={"check": check.name})
            for check in runnable]))
        definition = self.context.validation_definitions.add(
            gx.ValidationDefinition(name=f"{self.dataset}.{suite_name}", data=self.batch, suite=suite))
        # GX copies the frame it filters, once per metric: give it only the columns the checks read.
        columns = ["source_row", *dict.fromkeys(c for check in runnable for c in check.columns_read)]
        result = definition.run(
            batch_parameters={"dataframe": frame if any(c.table_level for c in runnable) else frame[columns]},
            # BASIC: counts. COMPLETE's list of every failing row cost GX most of its time (deep copies and JSON of
            # 60,000 entries for a voter list), SUMMARY's index lists and value counts 0.7 s of a 1M file's 3.5 s:
            # `failing_rows` finds the rows, `failing_examples` the masked values Data Docs show.
            result_format={"result_format": "BASIC", "return_unexpected_index_query": False},
            run_id=RunIdentifier(run_name=f"{self.semester} {self.file_name}"))
        by_name = {check.name: check for check in runnable}
        outcomes = []
        for expectation_result in result.results:
            check = by_name[expectation_result.expectation_config.meta["check"]]
            if expectation_result.exception_info.get("raised_exception"):
                raise RuntimeError(f"{self.file_name}: check {check.name} could not be evaluated: "
                                   f"{expectation_result.exception_info.get('exception_message')}")
            outcomes.append(self._outcome(check, expectation_result.result, expectation_result.success, frame, parameters))
            _strip_values(expectation_result, outcomes[-1])
            if isinstance(outcomes[-1].observed, list):  # column names: a file without its header has a record there
                outcomes[-1].observed = expectation_result.result["observed_value"] = self._masked(outcomes[-1].observed)
                mismatched = (expectation_result.result.get("details") or {}).get("mismatched") or {}
                if mismatched.get("unexpected"):
                    mismatched["unexpected"] = self._masked(mismatched["unexpected"])
        self._replace_stored(suite.name, result)
        self.outcomes += outcomes
        return outcomes

    def _masked(self, column_names: list) -> list[str]:
        """Column names as delivered, each one that is no known header spelling by its shape only."""
        return [name if name in self.known_columns else str(value_shape(pd.Series([str(name)])).iloc[0])
                for name in column_names]

    def _outcome(self, check: Check, result: dict, success: bool, frame: pd.DataFrame, parameters: dict) -> CheckOutcome:
        outcome = self.policy.outcome(self.dataset, check)
        if check.table_level:
            bounds = filled_in(check, parameters)
            expected = f"{bounds.get('min_value', '')}..{bounds.get('max_value', '')}" if "min_value" in bounds else ""
            return CheckOutcome(self.dataset, check, outcome, bool(success), len(frame), 0 if success else 1,
                                np.array([], dtype=np.int64), observed=result.get("observed_value"), expected=expected)
        failing = failing_rows(check, frame, parameters)
        unexpected, found = int(result.get("unexpected_count", 0)), int(failing.sum())
        if found != unexpected:
            raise RuntimeError(f"{self.file_name}: check {check.name}: GX counts {unexpected} failing rows, "
                               f"failing_rows finds {found}: the two disagree on what the expectation means")
        return CheckOutcome(self.dataset, check, outcome, bool(success), int(result.get("element_count", len(frame))),
                            unexpected, frame["source_row"].to_numpy()[failing].astype(np.int64),
                            examples=failing_examples(frame, check.shows, pd.Series(failing, index=frame.index)))

    def _replace_stored(self, suite_name: str, result) -> None:
        """GX stored the result as run; Data Docs render the stored copy, so store the stripped one over it."""
        store = self.context.validation_results_store
        for key in store.list_keys():
            if key.expectation_suite_identifier.name == suite_name:
                store.set(key, result)

    def build_data_docs(self, folder: Path) -> Path:
        """Data Docs of this file's suites and results, readable offline; returns the index page. Built beside the
        folder and swapped in whole, so two runs of a semester at once each leave a complete set."""
        staging = folder.with_name(f".{folder.name}.{os.getpid()}.{id(self)}")
        site = "report"
        self.context.add_data_docs_site(site_name=site, site_config={
            "class_name": "SiteBuilder",
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(staging)},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            "show_how_to_buttons": False,  # GX tutorial links, in a footer over the results
        })
        self.context.build_data_docs(site_names=[site])
        make_offline(staging)
        swap_in(staging, folder)
        return folder / "index.html"


def filled_in(check: Check, parameters: dict[str, Any]) -> dict[str, Any]:
    """The check's expectation arguments with the run's parameters in place of `{"$PARAMETER": name}`."""
    return {k: parameters[v["$PARAMETER"]] if isinstance(v, dict) and "$PARAMETER" in v else v
            for k, v in check.kwargs.items()}


def failing_rows(check: Check, frame: pd.DataFrame, parameters: dict[str, Any]) -> np.ndarray:
    """Which rows a row check's expectation fails, as GX's pandas engine decides it: a missing value fails only
    `ExpectColumnValuesToNotBeNull`; the others skip it (a pair check skips a row missing either value). GX
    remains the judge: `FileValidation` raises where its count of failing rows differs from this."""
    kwargs = filled_in(check, parameters)
    if check.expectation == "ExpectColumnPairValuesToBeEqual":
        if kwargs.get("ignore_row_if") != "either_value_is_missing":
            raise NotImplementedError(f"{check.name}: ignore_row_if={kwargs.get('ignore_row_if')!r}")
        left, right = frame[kwargs["column_A"]], frame[kwargs["column_B"]]
        return (left.notna() & right.notna() & (left != right)).fillna(False).to_numpy(dtype=bool)
    column = frame[kwargs["column"]]
    if check.expectation == "ExpectColumnValuesToNotBeNull":
        return column.isna().to_numpy(dtype=bool)
    present = column.notna()
    if check.expectation == "ExpectColumnValuesToMatchRegex":
        passes = column.astype("string").str.contains(kwargs["regex"], regex=True)
    elif check.expectation == "ExpectColumnValuesToBeInSet":
        passes = column.isin(kwargs["value_set"])
    elif check.expectation == "ExpectColumnValuesToBeBetween":
        passes = pd.Series(True, index=column.index)
        if kwargs.get("min_value") is not None:
            passes &= column > kwargs["min_value"] if kwargs.get("strict_min") else column >= kwargs["min_value"]
        if kwargs.get("max_value") is not None:
            passes &= column < kwargs["max_value"] if kwargs.get("strict_max") else column <= kwargs["max_value"]
    elif check.expectation == "ExpectColumnValuesToBeUnique":
        passes = ~column.duplicated(keep=False)
    else:
        raise NotImplementedError(f"{check.name}: no row finder for {check.expectation}")
    return (present & ~passes.fillna(False).astype(bool)).to_numpy(dtype=bool)


_RAW_VALUE_KEYS = ("unexpected_list", "unexpected_index_list", "partial_unexpected_index_list", "unexpected_index_query",
                   "partial_unexpected_list", "partial_unexpected_counts", "details")


def _strip_values(expectation_result, outcome: CheckOutcome) -> None:
    """Data Docs show what the result holds: keep counts, replace values by the masked examples."""
    result = expectation_result.result
    for key in _RAW_VALUE_KEYS:
        result.pop(key, None)
    if outcome.examples:
        result["partial_unexpected_list"] = [value for value, _ in outcome.examples]
        result["partial_unexpected_counts"] = [{"value": value, "count": n} for value, n in outcome.examples]


_CDN = {
    "bootstrap/4.3.1/css/bootstrap.min.css": "css/bootstrap.min.css",
    "bootstrap-table@1.19.1/dist/bootstrap-table.min.css": "css/bootstrap-table.min.css",
    "filter-control/bootstrap-table-filter-control.css": "css/bootstrap-table-filter-control.min.css",
    "filter-control/bootstrap-table-filter-control.min.css": "css/bootstrap-table-filter-control.min.css",
    "bootstrap-datepicker.min.css": "css/bootstrap-datepicker.min.css",
    "bootstrap-prefers-dark.css": "css/bootstrap-prefers-dark.css",
    "font-awesome/6.6.0/css/all.min.css": "css/fontawesome-all.min.css",
    "jquery-3.7.1.min.js": "js/jquery.min.js",
    "popper.min.js": "js/popper.min.js",
    "bootstrap/4.3.1/js/bootstrap.min.js": "js/bootstrap.min.js",
    "bootstrap-table@1.19.1/dist/bootstrap-table.min.js": "js/bootstrap-table.min.js",
    "bootstrap-table-filter-control.min.js": "js/bootstrap-table-filter-control.min.js",
    "bootstrap-datepicker.min.js": "js/bootstrap-datepicker.min.js",
}
_TAG_WITH_URL = re.compile(r"<(link|script)\b[^>]*?(?:href|src)=\"(https?://[^\"]+)\"[^>]*>(?:</script>)?")
# GX's templates load its logo from S3 (an <img>, and a CSS background in dark mode) and end with a newsletter footer.
_GX_LOGO = re.compile(r"https://great-expectations-web-assets\.s3\.us-east-2\.amazonaws\.com/[\w.-]+(?:\?[^\"')]*)?")
_FAVICON = re.compile(r"\"(?:\.\./)*static/images/favicon\.ico\"")  # GX's validation pages miss it by one folder
_NEWSLETTER_FOOTER = re.compile(r"<footer>\s*<p>[^<]*newsletter.*?</footer>", re.DOTALL)


def make_offline(folder: Path) -> None:
    """Points every page at the vendored copies in `vendor/` instead of CDNs, and at the GX logo in `static/`; drops
    the unused chart scripts and GX's newsletter footer."""
    shutil.copytree(STATIC_ASSETS, folder / "vendor", ignore=shutil.ignore_patterns("README.md", "licenses"))
    for page in folder.rglob("*.html"):
        root = "../" * (len(page.relative_to(folder).parts) - 1)
        prefix = root + "vendor/"

        def local(match: re.Match, prefix: str = prefix) -> str:
            tag, url = match.group(1), match.group(2)
            target = next((path for suffix, path in _CDN.items() if url.endswith(suffix)), None)
            if target is None:
                return ""  # vega/vega-lite/vega-embed: charts our suites never draw
            if tag == "link":
                return f'<link rel="stylesheet" href="{prefix}{target}">'
            return f'<script src="{prefix}{target}"></script>'

        html = _TAG_WITH_URL.sub(local, page.read_text(encoding="utf-8"))
        html = _GX_LOGO.sub(root + "static/images/logo-long.png", _NEWSLETTER_FOOTER.sub("", html))
        html = _FAVICON.sub(f'"{root}static/images/favicon.ico"', html)
        page.write_text(html, encoding="utf-8")


def quarantine_reasons(outcomes: list[CheckOutcome], source_rows: pd.Series, outcome: Outcome) -> pd.Series:
    """Per row (indexed like `source_rows`), the reasons of every failed check with that outcome, '; '-joined.
    Each row's failed checks as bits of one number: rows share few combinations, each joined once."""
    failed = [result for result in outcomes
              if result.outcome == outcome and not result.check.table_level and len(result.failing_rows)]
    rows = pd.Index(source_rows)
    combination = np.zeros(len(rows), dtype=object if len(failed) > 62 else np.int64)
    for bit, result in enumerate(failed):
        combination[rows.get_indexer(result.failing_rows)] |= 1 << bit
    codes, distinct = pd.factorize(combination)
    joined = ["; ".join(result.check.reason for bit, result in enumerate(failed) if bits >> bit & 1) or pd.NA
              for bits in distinct]
    return pd.Series(pd.array(joined, dtype=object)[codes], index=source_rows.index, dtype="string")
