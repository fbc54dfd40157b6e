"""The coklit lists on disk: one CSV and one XLSX per desa for the Pantarlih officers who visit.

They hold personal data by design, so they are written for the operator alone (files 0600 in 0700 folders) and
cannot carry a formula: a name or address a clerk typed as `=HYPERLINK(...)` stays text (OWASP CSV injection).
"""

from __future__ import annotations

import io
import os
import shutil
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from pathlib import Path

import pandas as pd
from rustpy_xlsxwriter import FastExcel

from pemadanan.folders import swap_in

# A cell starting with one of these is a formula to Excel, LibreOffice and Google Sheets.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralised(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells that would start a formula get a leading apostrophe, which spreadsheets show as text."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            text = out[column].astype("string")
            formula = text.str.startswith(FORMULA_STARTS).fillna(False)
            if formula.any():
                out[column] = text.mask(formula, "'" + text)
    return out


def write_lists(people: pd.DataFrame, folder: Path, run_id: str) -> None:
    """Replaces `folder` whole with `<desa_code>.csv` and `.xlsx` per desa of `people`. Written in a staging folder
    first, which is removed if anything fails, so a failed run leaves the previous lists and no stray copies. A
    disk that fills (or any other OSError) is one line naming the folder and why."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(folder.parent, 0o700)
    _remove_orphaned_staging(folder)
    staging = folder.with_name(f".{folder.name}.{run_id}.{os.getpid()}")
    old_umask = os.umask(0o077)
    try:
        staging.mkdir(mode=0o700)
        # Two threads: the XLSX writer (Rust) lets go of the GIL for much of its work, so the second core writes
        # while the first formats the next CSV.
        with ThreadPoolExecutor(max_workers=2) as pool:
            written = [pool.submit(write, rows, staging / f"{desa_code}{suffix}")
                       for desa_code, rows in neutralised(people).groupby("desa_code")
                       for write, suffix in ((write_csv, ".csv"), (write_xlsx, ".xlsx"))]
            # At the first error the desa not started are dropped: on a full disk each would only fail again.
            done, _ = wait(written, return_when=FIRST_EXCEPTION)
            failed = [future for future in done if future.exception() is not None]
            if failed:
                pool.shutdown(cancel_futures=True)
                failed[0].result()
        swap_in(staging, folder)
    except OSError as error:
        shutil.rmtree(staging, ignore_errors=True)
        why = os.strerror(error.errno) if error.errno else str(error)
        raise OSError(error.errno, f"coklit lists not written to {folder}: {why}; the lists written before, if "
                                   "any, are kept") from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        os.umask(old_umask)


def write_csv(rows: pd.DataFrame, path: Path) -> None:
    rows.to_csv(path, index=False)


def write_xlsx(rows: pd.DataFrame, path: Path) -> None:
    """One sheet. Every string is a text cell, never a formula, a URL or a number, whatever it starts with; numbers
    stay numbers. rustpy-xlsxwriter reads the columns through Arrow: about five times faster than xlsxwriter's
    cell-by-cell Python, which took most of the step (a desa's list is small: the cost is per cell and per file).

    Built in memory and written here: writing the file itself, the Rust writer answers a full disk with a line on
    stderr per file (ZipWriter::drop) and a file-size limit with a panic, before Python hears of the error.
    `dedupe_strings` keeps the sheet in memory too (out of constant-memory mode, which spills it to temporary
    files): a desa's list is small."""
    buffer = io.BytesIO()
    FastExcel(buffer).sheet("coklit", rows.reset_index(drop=True), dedupe_strings=True).save()
    path.write_bytes(buffer.getbuffer())


def _remove_orphaned_staging(folder: Path) -> None:
    """Staging folders a killed run left behind (its process is gone): they hold personal data."""
    for staging in folder.parent.glob(f".{folder.name}.*.*"):
        pid = staging.name.rsplit(".", 1)[-1]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(staging, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True
