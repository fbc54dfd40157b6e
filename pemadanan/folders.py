"""Replacing a folder of output files whole."""

from __future__ import annotations

import os
import shutil
from pathlib import Path


def swap_in(staging: Path, folder: Path) -> None:
    """`staging`, complete, becomes `folder`; the old folder is moved aside first and removed once the new one is in
    place, and put back if the new one cannot be. If another run of the same semester swapped its own (identical)
    set in between, that one is kept and `staging` removed: readers never see half of either."""
    aside = folder.with_name(f".{folder.name}.replaced.{os.getpid()}")
    try:
        folder.rename(aside)
    except FileNotFoundError:
        pass  # no folder yet, or another run moved it first
    try:
        staging.rename(folder)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
        if not folder.exists():  # not another run's set in place: this one failed, and the old one goes back
            if aside.exists():
                aside.rename(folder)
            raise
    shutil.rmtree(aside, ignore_errors=True)
