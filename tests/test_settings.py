"""Where things live: absolute folders, whatever the environment names, so Dagster and GX take them and a process
started in another folder finds the same ones."""

import os
from pathlib import Path

import pytest

from pemadanan import settings, sizing

FOLDERS = ("data_dir", "landing_dir", "dagster_home", "reports_dir", "data_docs_dir")


def folders() -> dict[str, Path]:
    return {name: getattr(settings, name)() for name in FOLDERS}


def test_a_relative_folder_in_the_environment_is_read_against_the_working_directory_of_the_moment(tmp_path,
                                                                                                    monkeypatch):
    for name in ("PEMADANAN_LANDING_DIR", "DAGSTER_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PEMADANAN_DATA_DIR", "data2")
    monkeypatch.chdir(tmp_path)
    here = Path.cwd()
    assert folders() == {"data_dir": here / "data2", "landing_dir": here / "data2" / "landing",
                         "dagster_home": here / "data2" / "dagster_home", "reports_dir": here / "data2" / "reports",
                         "data_docs_dir": here / "data2" / "data_docs"}
    monkeypatch.setenv("PEMADANAN_LANDING_DIR", "../landing")
    monkeypatch.setenv("DAGSTER_HOME", "home")
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    there = Path.cwd()
    assert folders()["data_dir"] == there / "data2"
    assert folders()["landing_dir"] == there.parent / "landing" and folders()["dagster_home"] == there / "home"
    assert all(path.is_absolute() for path in folders().values())


def test_an_empty_folder_variable_is_the_default(monkeypatch):
    monkeypatch.setenv("PEMADANAN_DATA_DIR", "")
    assert settings.data_dir() == settings.PROJECT_ROOT / "data"


def test_dagster_takes_a_relative_data_dir_and_the_processes_it_starts_read_the_same_folders(tmp_path, monkeypatch):
    import dagster as dg

    from pipelines import cli

    for name in ("PEMADANAN_LANDING_DIR", "DAGSTER_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PEMADANAN_DATA_DIR", "data2")
    monkeypatch.setenv("PEMADANAN_LANDING_DIR", "landing")
    monkeypatch.chdir(tmp_path)
    home = cli._prepare_dagster_home()
    # `pemadanan ui` starts dagster dev in the project root: the environment it inherits names absolute folders.
    assert os.environ["PEMADANAN_DATA_DIR"] == str(Path.cwd() / "data2")
    assert os.environ["PEMADANAN_LANDING_DIR"] == str(Path.cwd() / "landing")
    assert os.environ["DAGSTER_HOME"] == str(home) and home == Path.cwd() / "data2" / "dagster_home"
    instance = dg.DagsterInstance.get()
    try:
        assert Path(instance.root_directory) == home
    finally:
        instance.dispose()


@pytest.mark.parametrize(("limit", "residents", "executor"), [
    (None, 6_000, "in_process"), (None, 5_500_000, "in_process"), (None, None, "in_process"),
    ("0", 6_000, "multiprocess"), (" 300000 ", 280_000, "in_process"), ("300000", 300_001, "multiprocess"),
    ("300000", None, "multiprocess")])
def test_steps_share_one_process_up_to_the_bound_the_deployment_sets(monkeypatch, limit, residents, executor):
    if limit is None:
        monkeypatch.delenv(sizing.ONE_PROCESS_MAX_RESIDENTS, raising=False)
    else:
        monkeypatch.setenv(sizing.ONE_PROCESS_MAX_RESIDENTS, limit)
    assert list(sizing.run_config(residents)["execution"]["config"]) == [executor]


@pytest.mark.parametrize("limit", ["250,000", "1e6", "-1", "٣٠٠", "lots"])
def test_a_bound_that_is_not_a_number_of_residents_is_refused_naming_the_variable(monkeypatch, limit):
    monkeypatch.setenv(sizing.ONE_PROCESS_MAX_RESIDENTS, limit)
    with pytest.raises(ValueError, match="PEMADANAN_ONE_PROCESS_MAX_RESIDENTS must be a number of residents"):
        sizing.run_config(6_000)


def test_an_unknown_deployment_is_refused_naming_the_variable_and_the_choices():
    from resources import for_deployment

    with pytest.raises(ValueError, match=r"PEMADANAN_DEPLOYMENT='prod' is not a deployment: set one of local, "
                                         r"external, kubernetes"):
        for_deployment("prod")


def warehouse_url_of(deployment: str) -> str:
    import dagster as dg

    from resources import for_deployment

    with dg.build_resources({"warehouse_db": for_deployment(deployment)["warehouse_db"]}) as built:
        return built.warehouse_db.resolved_url()


def test_outside_a_local_deployment_the_warehouse_is_the_url_given_never_an_embedded_server(monkeypatch):
    import dagster as dg

    given = "postgresql://pemadanan@db.example:5432/pemadanan"
    monkeypatch.setenv("PEMADANAN_WAREHOUSE_URL", given)
    for deployment in ("local", "external", "kubernetes"):
        assert warehouse_url_of(deployment) == given
    monkeypatch.delenv("PEMADANAN_WAREHOUSE_URL")
    for deployment in ("external", "kubernetes"):
        with pytest.raises(dg.DagsterInvalidConfigError, match="PEMADANAN_WAREHOUSE_URL"):
            warehouse_url_of(deployment)


def test_on_kubernetes_the_landing_folder_must_be_named(monkeypatch, tmp_path):
    import dagster as dg

    from resources import for_deployment

    monkeypatch.setenv("PEMADANAN_LANDING_DIR", str(tmp_path))
    with dg.build_resources({"landing": for_deployment("kubernetes")["landing"]}) as built:
        assert built.landing.path == tmp_path
    monkeypatch.delenv("PEMADANAN_LANDING_DIR")
    with pytest.raises(dg.DagsterInvalidConfigError, match="PEMADANAN_LANDING_DIR"), \
            dg.build_resources({"landing": for_deployment("kubernetes")["landing"]}):
        pass
