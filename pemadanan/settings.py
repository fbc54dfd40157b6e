"""Where things live by default. Every path can be moved with an environment variable."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def data_dir() -> Path:
    return Path(os.environ.get("PEMADANAN_DATA_DIR", PROJECT_ROOT / "data"))


def landing_dir() -> Path:
    return Path(os.environ.get("PEMADANAN_LANDING_DIR", data_dir() / "landing"))


def dagster_home() -> Path:
    return Path(os.environ.get("DAGSTER_HOME", data_dir() / "dagster_home"))


def reports_dir() -> Path:
    """The semester reports: no personal data, served by `pemadanan ui`."""
    return data_dir() / "reports"


def data_docs_dir() -> Path:
    """Data Docs, one folder per semester and file: values masked, served by `pemadanan ui`."""
    return data_dir() / "data_docs"
