"""Where things live by default. Every path can be moved with an environment variable.

Every folder given here is absolute: a relative one in the environment (`PEMADANAN_DATA_DIR=data2`) is read against
the working directory when it is asked for. Dagster and Great Expectations refuse relative folders, and a process
started in another folder would read another one (`pin_environment` for those).
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]

FOLDER_VARIABLES = ("PEMADANAN_DATA_DIR", "PEMADANAN_LANDING_DIR", "DAGSTER_HOME")


def _absolute(path: str | Path) -> Path:
    # abspath, not resolve: `..` is taken out, symlinks are kept as the user named them.
    return Path(os.path.abspath(path))


def _from_environment(name: str, default: Path) -> Path:
    return _absolute(os.environ.get(name) or default)  # set but empty: the default


def data_dir() -> Path:
    return _from_environment("PEMADANAN_DATA_DIR", PROJECT_ROOT / "data")


def landing_dir() -> Path:
    return _from_environment("PEMADANAN_LANDING_DIR", data_dir() / "landing")


def dagster_home() -> Path:
    return _from_environment("DAGSTER_HOME", data_dir() / "dagster_home")


def reports_dir() -> Path:
    """The semester reports: no personal data, served by `pemadanan ui`."""
    return data_dir() / "reports"


def data_docs_dir() -> Path:
    """Data Docs, one folder per semester and file: values masked, served by `pemadanan ui`."""
    return data_dir() / "data_docs"


def pin_environment() -> None:
    """Rewrites the folders the environment names as absolute ones, for the processes this one starts: `dagster dev`
    and its code servers and run workers start in the project root, where `data2` is another folder."""
    for name in FOLDER_VARIABLES:
        if os.environ.get(name):
            os.environ[name] = str(_absolute(os.environ[name]))
