"""How big a semester's run is before it starts, so that Kubernetes gives it a pod of the right size.

A run's size class comes from the population file's row count, found without parsing it: the lines of a CSV (a
line break inside quotes counts one too many: a size class needs no more), the footer of a Parquet file, the sheet
dimension of an XLSX. The class sets the run pod's memory through dagster-k8s's
`dagster-k8s/config` tag, and the run queue limits how many runs of each class run at once
(deploy/helm/values.yaml), so that a node is never asked for more memory than it has.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq

SIZE_CLASS_TAG = "pemadanan/size_class"
K8S_CONFIG_TAG = "dagster-k8s/config"


@dataclass(frozen=True)
class SizeClass:
    name: str
    max_residents: int | None  # None: no upper bound
    memory_request: str
    memory_limit: str
    cpu_request: str


# Peak RSS of a whole semester run on the realistic profile (benchmarks/semester_run.py, 2024-12): 0.76 GB at
# 100,000 residents, 2.8 GB at 1,000,000, about 0.23 GB more per 100,000. Requests are about the peak of the
# class's largest kabupaten, limits leave room for pandas' copies; Kabupaten Bogor (about 5.5 million) is huge.
SIZE_CLASSES = (
    SizeClass("small", 250_000, "1Gi", "2Gi", "1"),
    SizeClass("medium", 700_000, "2Gi", "4Gi", "2"),
    SizeClass("large", 2_000_000, "6Gi", "8Gi", "2"),
    SizeClass("huge", None, "16Gi", "24Gi", "2"),
)


def population_rows(path: Path) -> int:
    """About how many data rows a delivered population file has, header excluded, without reading its cells."""
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return pq.read_metadata(path).num_rows
    if suffix == ".xlsx":
        from openpyxl import load_workbook  # noqa: PLC0415 - only for XLSX deliveries

        workbook = load_workbook(path, read_only=True)
        try:
            return max((workbook.worksheets[0].max_row or 1) - 1, 0)
        finally:
            workbook.close()
    lines = 0
    last = b"\n"
    with path.open("rb") as file:
        while block := file.read(1 << 20):
            lines += block.count(b"\n")
            last = block[-1:]
    return max(lines + (last != b"\n") - 1, 0)


# Steps side by side on both cores (the three ingests; the outputs; the coklit lists beside the report), each in a
# process forked from one that imported the pipeline, Great Expectations and pandas once.
MULTIPROCESS = {"multiprocess": {"max_concurrent": 2, "start_method": {"forkserver": {"preload_modules": [
    "pipelines.definitions", "great_expectations", "great_expectations.expectations", "pemadanan.probabilistic"]}}}}
IN_PROCESS = {"in_process": {}}
# Up to how many residents a run's steps share one process; above it they run side by side. Unset: one process at
# every size. Measured at 1M residents on 2 cores (benchmarks/semester_run.py, 2026-12): one process 145-153 s and
# 2.8-2.9 GB; side by side 161-173 s and 3.8-4.0 GB (two 1M-row steps at once take as long as one after the other,
# and each process decodes its inputs from staging again). Side by side pays where a run has more cores than two.
ONE_PROCESS_MAX_RESIDENTS = "PEMADANAN_ONE_PROCESS_MAX_RESIDENTS"


def one_process_max_residents() -> int | None:
    """The deployment's bound (`PEMADANAN_ONE_PROCESS_MAX_RESIDENTS`); None: one process at every size."""
    limit = os.environ.get(ONE_PROCESS_MAX_RESIDENTS, "").strip()
    if limit and not (limit.isascii() and limit.isdigit()):
        raise ValueError(f"{ONE_PROCESS_MAX_RESIDENTS} must be a number of residents, not {limit!r}")
    return int(limit) if limit else None


def run_config(residents: int | None) -> dict:
    """How a run of this many residents (None: unknown) executes its steps."""
    bound = one_process_max_residents()
    side_by_side = bound is not None and (residents is None or residents > bound)
    return {"execution": {"config": MULTIPROCESS if side_by_side else IN_PROCESS}}


def size_class(residents: int) -> SizeClass:
    return next(c for c in SIZE_CLASSES if c.max_residents is None or residents <= c.max_residents)


def counted_rows(population_file: Path) -> int | None:
    """`population_rows`, or None for a file that cannot be counted (a broken XLSX): its ingest says what is wrong."""
    try:
        return population_rows(population_file)
    except Exception:  # noqa: BLE001 - sizing must never stop the sensor; the run reports the file's fault
        return None


def run_tags(population_file: Path) -> dict[str, str]:
    """The tags a semester run is launched with: its size class, and the pod resources that class needs. None for
    a file that cannot be counted: the run gets the biggest pod."""
    rows = counted_rows(population_file)
    if rows is None:
        return {}
    chosen = size_class(rows)
    resources = {"requests": {"cpu": chosen.cpu_request, "memory": chosen.memory_request},
                 "limits": {"memory": chosen.memory_limit}}
    return {SIZE_CLASS_TAG: chosen.name, K8S_CONFIG_TAG: json.dumps({"container_config": {"resources": resources}})}
