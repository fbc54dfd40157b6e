"""What `pemadanan` says when it cannot do what it was asked: one line naming what to do, never a traceback nor
silence. Each test checks the refusal itself, not a whole run."""

from __future__ import annotations

import socket
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest
from conftest import free_port
from dagster._core.storage.dagster_run import DagsterRun, DagsterRunStatus

from pemadanan import warehouse
from pemadanan.synthetic import GeneratorConfig, generate_national
from pemadanan.warehouse import locks
from pipelines import cli
from resources import LandingZone

HOSTILE_SEMESTERS = ["2024-1", "../2024-S1", "", "2024 S1", "2024-S1 ", "2024-S1/../x", "２０２４-S1", "2024-S3"]


def one_line(capsys) -> str:
    """What the command said on stderr, asserted to be one line and no traceback."""
    err = capsys.readouterr().err.strip()
    assert err and "\n" not in err and "Traceback" not in err, err
    return err


@pytest.fixture
def quiet_env(tmp_path, monkeypatch):
    """A data folder and Dagster home of the test's own; every variable a command sets is restored afterwards."""
    monkeypatch.setenv("PEMADANAN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    monkeypatch.setenv("PEMADANAN_LANDING_DIR", str(tmp_path / "landing"))
    monkeypatch.setenv("PEMADANAN_WAREHOUSE_URL", "postgresql://nobody@127.0.0.1:1/none")  # never reached
    return tmp_path


@pytest.fixture(scope="module")
def two_kabupaten(tmp_path_factory) -> Path:
    """A tiny sample of two kabupaten, files in <semester>/<kabupaten>/ and truth in truth/<semester>/<kabupaten>/."""
    out = tmp_path_factory.mktemp("two_kabupaten")
    generate_national(GeneratorConfig(kabupaten="33.23", residents=300, semesters=("2024-S1",), seed=3),
                      ["33.23", "33.24"], [300, 300], out)
    return out


@pytest.mark.parametrize("semester", HOSTILE_SEMESTERS)
@pytest.mark.parametrize("command", [["run"], ["report", "--kabupaten", "33.23"], ["evaluate", "--truth", "/nowhere"]])
def test_a_key_that_is_no_semester_is_named_with_the_form_expected(quiet_env, capsys, command, semester):
    assert cli.main([command[0], "--semester", semester, *command[1:]]) != 0
    said = one_line(capsys)
    assert "is not a semester" in said and "YYYY-S1" in said and "closed" not in said


def test_generate_names_a_resident_count_that_is_no_number(quiet_env, capsys):
    assert cli.main(["generate", "--residents", "abc", "--out", str(quiet_env / "out")]) != 0
    assert "abc" in one_line(capsys)


@pytest.mark.parametrize("command", [["ui"], ["run", "--semester", "2024-S1"]])
def test_a_landing_folder_that_does_not_exist_is_named(quiet_env, capsys, monkeypatch, command):
    monkeypatch.setattr(cli.subprocess, "Popen", lambda *a, **k: pytest.fail("started something"))
    assert cli.main([*command, "--landing", str(quiet_env / "does-not-exist")]) != 0
    said = one_line(capsys)
    assert "does-not-exist" in said and "--landing" in said


def test_evaluate_scores_each_kabupaten_of_a_multi_kabupaten_sample(two_kabupaten, capsys):
    assert cli.main(["evaluate", "--semester", "2024-S1", "--truth", str(two_kabupaten / "truth")]) == 0
    out = capsys.readouterr().out
    assert "2024-S1 33.23:" in out and "2024-S1 33.24:" in out and "TMS 4" in out


def test_evaluate_without_truth_says_where_it_looked(two_kabupaten, tmp_path, capsys):
    assert cli.main(["evaluate", "--semester", "2024-S1", "--truth", str(tmp_path / "no-truth"),
                     "--landing", str(two_kabupaten), "--kabupaten", "33.24"]) != 0
    said = one_line(capsys)
    assert "no truth of 2024-S1 33.24" in said and "--truth" in said


@pytest.mark.parametrize("taken", ["--port", "--files-port"])
def test_ui_refuses_a_port_that_is_taken_before_starting_anything(quiet_env, capsys, monkeypatch, taken):
    monkeypatch.setattr(cli.subprocess, "Popen", lambda *a, **k: pytest.fail("started dagster dev"))
    monkeypatch.setattr("pemadanan.warehouse.resolve_url", lambda *a: pytest.fail("started the warehouse"))
    monkeypatch.setattr("pemadanan.file_server.serve", lambda *a: pytest.fail("started the file server"))
    with socket.socket() as other:  # another program listening there
        other.bind(("127.0.0.1", 0))
        other.listen()
        busy = other.getsockname()[1]
        ports = {"--port": str(busy if taken == "--port" else free_port()),
                 "--files-port": str(busy if taken == "--files-port" else free_port())}
        assert cli.main(["ui", *(item for pair in ports.items() for item in pair)]) != 0
    said = one_line(capsys)
    assert f"port {busy}" in said and taken in said


@pytest.fixture
def run_env(quiet_env, monkeypatch, fresh_database) -> str:
    """quiet_env with a warehouse database of its own (the Dagster instance stays SQLite, which is quick)."""
    url = fresh_database("cli")
    monkeypatch.setenv("PEMADANAN_WAREHOUSE_URL", url)
    return url


def test_a_second_run_of_a_kabupaten_refuses_while_another_command_holds_it(run_env, two_kabupaten, capsys):
    other = locks.hold(run_env, ["33.24"], "pemadanan run 2024-S1 33.24 (pid 4242 on elsewhere)")
    try:
        assert cli.main(["run", "--semester", "2024-S1", "--landing", str(two_kabupaten)]) != 0
    finally:
        other.close()
    said = one_line(capsys)
    assert said.startswith("2024-S1 33.24: not started:") and "pid 4242 on elsewhere" in said
    assert not dg.DagsterInstance.get().get_runs(), "a run was started"


def test_a_run_refuses_while_the_dagster_instance_runs_the_kabupaten(run_env, two_kabupaten, capsys):
    """A run the UI, the sensor or a backfill started: the instance knows it; its id is what the user looks for."""
    cli._prepare_dagster_home()
    instance = dg.DagsterInstance.get()
    running = instance.add_run(DagsterRun(job_name="semester_job", run_id="in-progress-run", status=DagsterRunStatus.STARTED,
                                          tags={"dagster/partition": "2024-S2|33.23", "dagster/partition/wilayah": "33.23"}))
    assert cli.main(["run", "--semester", "2024-S1", "--kabupaten", "33.23", "--landing", str(two_kabupaten)]) != 0
    said = one_line(capsys)
    assert running.run_id in said and "2024-S2|33.23" in said
    assert [r.run_id for r in instance.get_runs()] == [running.run_id]


def published_from(url: str, landing: Path) -> None:
    warehouse.replace_kabupaten(url, "2024-S1", "33.23", {warehouse.PUBLICATIONS: pd.DataFrame({
        "published_at": [pd.Timestamp.now(tz="UTC")], "compared_with": [None], "landing": [str(landing.resolve())]})},
        dashboard=None)


def test_a_run_refuses_to_replace_what_another_landing_folder_published(run_env, two_kabupaten, tmp_path, capsys):
    published_from(run_env, tmp_path / "demo-landing")
    assert cli.main(["run", "--semester", "2024-S1", "--kabupaten", "33.23", "--landing", str(two_kabupaten)]) != 0
    said = one_line(capsys)
    assert str(tmp_path / "demo-landing") in said and "--replace" in said


def test_the_same_landing_folder_or_replace_is_not_refused(run_env, two_kabupaten, tmp_path):
    cli._prepare_dagster_home()
    instance = dg.DagsterInstance.get()
    files = {"33.23": LandingZone(root=str(two_kabupaten)).semester_files("2024-S1", "33.23")}
    published_from(run_env, two_kabupaten)
    assert cli._refusals(instance, run_env, "2024-S1", files, two_kabupaten, replace=False) == []
    published_from(run_env, tmp_path / "demo-landing")
    assert cli._refusals(instance, run_env, "2024-S1", files, two_kabupaten, replace=True) == []
    # The same bytes copied to another folder publish the same tables (tests/test_end_to_end.py's review round trip
    # runs one); other files are refused.
    assert "--replace" in cli._refusals(instance, run_env, "2024-S1", files, two_kabupaten, replace=False)[0]
