"""Replacing a folder of output files whole."""

from __future__ import annotations

import shutil
from pathlib import Path


def swap_in(staging: Path, folder: Path) -> None:
    """`staging`, complete, becomes `folder`. If another run of the same semester swapped its own (identical) set in
    between, that one is kept and `staging` removed: readers never see half of either."""
    shutil.rmtree(folder, ignore_errors=True)
    try:
        staging.rename(folder)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
