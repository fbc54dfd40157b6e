"""How long validating a semester's files takes, and what share of their ingest it is.

    python benchmarks/validation.py --landing /tmp/big --semester 2024-S1

(generate the data first: `pemadanan generate --residents 1000000 --semesters 2024-S1 --out /tmp/big`).
Prints, per file: rows, total ingest time, of which reading, GX validation (both suites) and Data Docs;
and the peak RSS of the process.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from pemadanan import ingest as ingest_module
from pemadanan import validation
from pemadanan.ingest import DEATHS, POPULATION, VOTERS, ingest

timings: dict[str, float] = {}


@contextmanager
def timed(name: str):
    started = time.perf_counter()
    try:
        yield
    finally:
        timings[name] = timings.get(name, 0.0) + time.perf_counter() - started


def instrument() -> None:
    """Wraps the steps to time them, without changing what they do."""
    def wrap(owner, attribute: str, name: str) -> None:
        original = getattr(owner, attribute)

        def timed_call(*args, **kwargs):
            with timed(name):
                return original(*args, **kwargs)
        setattr(owner, attribute, timed_call)

    wrap(ingest_module, "read_table", "read")
    wrap(validation.FileValidation, "run", "gx validation")
    wrap(validation.FileValidation, "build_data_docs", "data docs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--landing", required=True, type=Path)
    parser.add_argument("--semester", default="2024-S1")
    parser.add_argument("--kabupaten", default="33.23", help="the kabupaten the files were generated for")
    args = parser.parse_args()
    instrument()
    validation._gx()  # the 3 s import is paid once per process, not per file  # noqa: SLF001
    folder = args.landing / args.semester
    docs = Path(tempfile.mkdtemp(prefix="pemadanan-docs-"))
    print(f"{'file':<16}{'rows':>10}{'ingest s':>10}{'read s':>9}{'GX s':>8}{'docs s':>8}{'validation share':>18}")
    for dataset in (POPULATION, VOTERS, DEATHS):
        timings.clear()
        started = time.perf_counter()
        result = ingest(dataset, folder / f"{dataset.name}.csv", args.semester, kabupaten=args.kabupaten,
                        docs_dir=docs / dataset.name)
        total = time.perf_counter() - started
        checking = timings.get("gx validation", 0) + timings.get("data docs", 0)
        print(f"{dataset.name:<16}{result.rows_in:>10,}{total:>10.1f}{timings.get('read', 0):>9.1f}"
              f"{timings.get('gx validation', 0):>8.1f}{timings.get('data docs', 0):>8.1f}{checking / total:>17.0%}")
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024
    print(f"peak RSS {peak_gb:.2f} GB; Data Docs in {docs}")


if __name__ == "__main__":
    main()
