"""The Kubernetes deployment (deploy/Dockerfile, deploy/helm/values.yaml), checked as far as this machine allows:
the instance the Helm chart renders from the values is one Dagster and dagster-k8s accept, the run queue keeps the
local instance's limits, a run's size class gives the pod dagster-k8s reads from its tags, and the image installs
the dependency set the tests ran with. No cluster, no Docker daemon and no Helm binary are needed."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from importlib import metadata

import pytest
import yaml
from dagster._config import process_config
from dagster._core.instance.config import dagster_instance_config
from dagster._core.run_coordinator import QueuedRunCoordinator
from dagster_k8s import K8sRunLauncher
from dagster_k8s.job import get_user_defined_k8s_config

from pemadanan import settings
from pemadanan.sizing import K8S_CONFIG_TAG, SIZE_CLASS_TAG, SIZE_CLASSES, population_rows, run_tags, size_class

DEPLOY = settings.PROJECT_ROOT / "deploy"
RELEASE = "pemadanan"


@pytest.fixture(scope="module")
def values() -> dict:
    return yaml.safe_load((DEPLOY / "helm" / "values.yaml").read_text())


def rendered_instance(values: dict) -> dict:
    """The dagster.yaml the chart's instance ConfigMap renders from these values (its templates
    helpers/instance/_run-launcher.tpl, _run-coordinator.tpl, _postgresql.tpl and configmap-instance.yaml), for the
    sections pemadanan sets; the release is named pemadanan."""
    launcher = values["runLauncher"]["config"]["k8sRunLauncher"]
    queued = values["dagsterDaemon"]["runCoordinator"]["config"]["queuedRunCoordinator"]
    monitoring = values["dagsterDaemon"]["runMonitoring"]
    postgresql = values["postgresql"]
    postgres = {"postgres_db": {"username": postgresql["postgresqlUsername"], "password": {"env": "DAGSTER_PG_PASSWORD"},
                                "hostname": postgresql["postgresqlHost"], "db_name": postgresql["postgresqlDatabase"],
                                "port": postgresql["service"]["port"], "params": postgresql["postgresqlParams"]}}
    return {
        "run_storage": {"module": "dagster_postgres.run_storage", "class": "PostgresRunStorage", "config": postgres},
        "event_log_storage": {"module": "dagster_postgres.event_log", "class": "PostgresEventLogStorage",
                              "config": postgres},
        "schedule_storage": {"module": "dagster_postgres.schedule_storage", "class": "PostgresScheduleStorage",
                             "config": postgres},
        "run_launcher": {"module": "dagster_k8s", "class": "K8sRunLauncher", "config": {
            "load_incluster_config": launcher["loadInclusterConfig"], "job_namespace": RELEASE,
            "image_pull_policy": launcher["imagePullPolicy"], "service_account_name": f"{RELEASE}-dagster",
            "dagster_home": "/opt/dagster/dagster_home", "instance_config_map": f"{RELEASE}-dagster-instance",
            "postgres_password_secret": values["global"]["postgresqlSecretName"],
            "env_config_maps": [f"{RELEASE}-dagster-pipeline-env", *(m["name"] for m in launcher["envConfigMaps"])],
            "env_secrets": [s["name"] for s in launcher["envSecrets"]], "env_vars": launcher["envVars"],
            "volume_mounts": launcher["volumeMounts"], "volumes": launcher["volumes"],
            "run_k8s_config": {"container_config": launcher["runK8sConfig"]["containerConfig"]},
        }},
        "run_coordinator": {"module": "dagster.core.run_coordinator", "class": "QueuedRunCoordinator", "config": {
            "max_concurrent_runs": queued["maxConcurrentRuns"],
            "tag_concurrency_limits": queued["tagConcurrencyLimits"]}},
        "run_monitoring": {"enabled": monitoring["enabled"], "start_timeout_seconds": monitoring["startTimeoutSeconds"],
                           "poll_interval_seconds": monitoring["pollIntervalSeconds"]},
        "telemetry": {"enabled": values["telemetry"]["enabled"]},
    }


def test_the_instance_the_chart_renders_is_valid_for_dagster_and_dagster_k8s(values, tmp_path):
    instance = rendered_instance(values)
    (tmp_path / "dagster.yaml").write_text(yaml.safe_dump(instance))
    loaded, _ = dagster_instance_config(str(tmp_path))  # raises DagsterInvalidConfigError on a bad instance schema
    for section, cls in (("run_launcher", K8sRunLauncher), ("run_coordinator", QueuedRunCoordinator)):
        assert loaded[section]["class"] == cls.__name__
        checked = process_config(cls.config_type(), loaded[section]["config"])
        assert checked.success, [error.message for error in checked.errors]
    launcher = loaded["run_launcher"]["config"]
    assert launcher["load_incluster_config"] is True
    assert launcher["run_k8s_config"]["container_config"]["resources"]["limits"]["memory"] == SIZE_CLASSES[-1].memory_limit


def test_a_broken_value_is_caught_by_those_schemas(values):
    """The check above can fail: a misspelt launcher key or a limit that is not a number is refused."""
    broken = json.loads(json.dumps(values))
    broken["runLauncher"]["config"]["k8sRunLauncher"]["loadInclusterConfig"] = "yes"
    broken["dagsterDaemon"]["runCoordinator"]["config"]["queuedRunCoordinator"]["tagConcurrencyLimits"][0]["limit"] = "one"
    instance = rendered_instance(broken)
    assert not process_config(K8sRunLauncher.config_type(), instance["run_launcher"]["config"]).success
    assert not process_config(QueuedRunCoordinator.config_type(), instance["run_coordinator"]["config"]).success


def test_the_cluster_queue_keeps_the_local_queue_and_limits_every_size_class(values):
    local = yaml.safe_load((DEPLOY / "dagster.yaml").read_text())["run_coordinator"]["config"]["tag_concurrency_limits"]
    cluster = values["dagsterDaemon"]["runCoordinator"]["config"]["queuedRunCoordinator"]["tagConcurrencyLimits"]
    for limit in local:
        assert limit in cluster
    limited = {limit["value"]: limit["limit"] for limit in cluster if limit["key"] == SIZE_CLASS_TAG}
    assert set(limited) == {c.name for c in SIZE_CLASSES}
    # Bigger pods, fewer at once.
    assert [limited[c.name] for c in SIZE_CLASSES] == sorted(limited.values(), reverse=True)


@pytest.mark.parametrize("residents", [10, 250_000, 250_001, 1_000_000, 2_000_001])
def test_a_runs_size_class_becomes_the_pod_dagster_k8s_builds(tmp_path, residents):
    population = tmp_path / "population.csv"
    with population.open("w") as file:
        file.write("NIK,NAMA_LGKP\n")
        file.write("3323010101900001,ANI\n" * residents)
    tags = run_tags(population)
    expected = size_class(residents)
    assert tags[SIZE_CLASS_TAG] == expected.name
    assert expected.name == ("small" if residents <= 250_000 else "medium" if residents <= 700_000
                             else "large" if residents <= 2_000_000 else "huge")
    pod = get_user_defined_k8s_config(tags)
    assert pod.container_config["resources"]["limits"]["memory"] == expected.memory_limit
    assert pod.container_config["resources"]["requests"]["memory"] == expected.memory_request
    assert json.loads(tags[K8S_CONFIG_TAG])  # what the sensor attaches is JSON, as dagster-k8s wants


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".xlsx"])
def test_population_rows_are_counted_in_every_delivered_format_without_parsing(tmp_path, suffix):
    import pandas as pd

    frame = pd.DataFrame({"NIK": [f"33230101019000{i:02d}" for i in range(37)], "NAMA_LGKP": "ANI\nRAHAYU"})
    path = tmp_path / f"population{suffix}"
    {".csv": lambda: frame.to_csv(path, index=False), ".parquet": lambda: frame.to_parquet(path),
     ".xlsx": lambda: frame.to_excel(path, index=False)}[suffix]()
    # A CSV counts a line break inside quotes as a row: 37 rows read as 74, still a small kabupaten.
    assert population_rows(path) == (74 if suffix == ".csv" else 37)


def test_a_file_that_cannot_be_counted_gets_no_size_class_and_so_the_biggest_pod(tmp_path):
    broken = tmp_path / "population.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a workbook")
    assert run_tags(broken) == {}


def test_the_image_installs_the_dependency_set_the_tests_ran_with(tmp_path):
    """The Dockerfile's pip command, resolved (not installed) against the package index: every package it would
    install is at the version this test run has, so the image runs what CI tested. Needs the package index."""
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    command = shlex.split(re.search(r"^RUN (pip install [^&\\\n]+)", dockerfile, re.MULTILINE).group(1))
    report = tmp_path / "report.json"
    resolved = subprocess.run(
        [sys.executable, "-m", *command, "--dry-run", "--quiet", "--ignore-installed", "--report", str(report)],
        cwd=settings.PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    assert resolved.returncode == 0, f"{shlex.join(command)}: {resolved.stderr[-2000:]}"
    planned = {item["metadata"]["name"].lower().replace("_", "-"): item["metadata"]["version"]
               for item in json.loads(report.read_text())["install"]}
    assert {"dagster", "dagster-k8s", "dagster-postgres", "great-expectations", "recordlinkage"} <= set(planned)
    here = {name: metadata.version(name) for name in planned if name != "pemadanan"}
    assert {name: planned[name] for name in here} == here


def test_the_code_server_and_its_run_pods_are_the_kubernetes_deployment(values):
    """Run pods get the code server's env (includeConfigInLaunchedRuns): the deployment that requires the warehouse
    URL and the landing volume (`resources.for_deployment`), with which the definitions load."""
    deployment = values["dagster-user-deployments"]["deployments"][0]
    env = {item["name"]: item["value"] for item in deployment["env"]}
    assert env["PEMADANAN_DEPLOYMENT"] == "kubernetes"
    assert deployment["includeConfigInLaunchedRuns"]["enabled"]
    loaded = subprocess.run([sys.executable, "-c", "from pipelines.definitions import defs; print(defs.resources)"],
                            capture_output=True, text=True, cwd=settings.PROJECT_ROOT, check=False,
                            env={**os.environ, **env})
    assert loaded.returncode == 0, loaded.stderr
    assert "root='PEMADANAN_LANDING_DIR'" in loaded.stdout  # the variable's name, resolved in the run
