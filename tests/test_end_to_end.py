"""Two semesters through Dagster into a real PostgreSQL, with Dagster's own storage in PostgreSQL too."""

import shutil

import dagster as dg
import pandas as pd
import pytest

from pemadanan import settings, warehouse
from pipelines.cli import run_semester

SEMESTERS = ("2024-S1", "2024-S2")


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
    return url


def snapshot(url: str, semester: str) -> dict[str, pd.DataFrame]:
    return {t.qualified: warehouse.read_table(url, t, semester).sort_values(
        [c.name for c in t.columns if c.name != "original"]).reset_index(drop=True) for t in warehouse.TABLES}


def test_two_semesters_publish_what_the_truth_says(small_kabupaten, instance_env):
    url = instance_env
    for semester in SEMESTERS:
        ok, message = run_semester(semester, str(small_kabupaten))
        assert ok, message

    for semester in SEMESTERS:
        tables = snapshot(url, semester)
        links = tables["restricted.voter_links"]
        unlinked = tables["restricted.unlinked_voters"]
        quarantine = tables["restricted.quarantine"]
        truth = pd.read_csv(small_kabupaten / "truth" / semester / "voters_truth.csv")

        # Every exact-NIK link is right.
        checked = links.merge(truth, left_on="voter_row", right_on="source_row", suffixes=("", "_truth"))
        assert len(checked) == len(links) > 0
        assert (checked["population_row"] == checked["population_row_truth"]).all()
        # And it finds nearly every person whose NIK reached the list intact.
        intact = truth[truth["population_row"].notna() & ~truth[[
            "defect_nik_missing", "defect_nik_scientific", "defect_nik_trailing_zero", "defect_nik_typo"]].any(axis=1)]
        assert intact["source_row"].isin(links["voter_row"]).mean() > 0.995

        # Rows reconcile: every voter row is linked, unlinked or quarantined, exactly once.
        voter_rows = (links["voter_row"].tolist() + unlinked["voter_row"].tolist()
                      + quarantine.loc[quarantine["dataset"] == "voters", "source_row"].tolist())
        assert sorted(voter_rows) == list(range(1, len(truth) + 1))

        summary = tables["published.link_summary"]
        for level in ("kabupaten", "kecamatan", "desa"):
            at_level = summary[summary["region_level"] == level]
            assert at_level["linked"].sum() == len(links) and at_level["unlinked"].sum() == len(unlinked)
        assert "nik" not in " ".join(summary.columns)

        # Each file's rows reconcile, and every check of every file is on record for dashboards.
        deliveries = tables["published.deliveries"].set_index("dataset")
        assert (deliveries["rows_in"] == deliveries["rows_accepted"] + deliveries["rows_quarantined"]).all()
        assert deliveries.loc["voters", "rows_in"] == len(truth)
        quality = tables["published.data_quality"].set_index(["dataset", "check_name"])
        volume = quality.loc[("voters", "volume_vs_previous_semester")]
        assert volume["evaluated"] == (semester == "2024-S2")  # the first semester has nothing to compare with
        assert quality.loc[quality["outcome"] == "block", "success"].dropna().all()

    # The runs are in Dagster's PostgreSQL storage, one per semester, with the partition recorded.
    instance = dg.DagsterInstance.get()
    assert "Postgres" in type(instance.run_storage).__name__
    runs = instance.get_runs()
    assert sorted(r.tags.get("dagster/partition") for r in runs) == sorted(SEMESTERS)

    # A re-run changes nothing.
    before = snapshot(url, "2024-S1")
    ok, message = run_semester("2024-S1", str(small_kabupaten))
    assert ok, message
    after = snapshot(url, "2024-S1")
    for name in before:
        pd.testing.assert_frame_equal(before[name], after[name])


def test_a_broken_delivery_fails_with_one_line_and_publishes_nothing(small_kabupaten, instance_env, tmp_path):
    url = instance_env
    ok, message = run_semester("2024-S1", str(small_kabupaten))
    assert ok, message
    before = snapshot(url, "2024-S1")

    broken = tmp_path / "landing" / "2024-S1"
    broken.mkdir(parents=True)
    shutil.copy(small_kabupaten / "2024-S1" / "population.csv", broken)
    voters = pd.read_csv(small_kabupaten / "2024-S1" / "voters.csv", dtype=str).drop(columns="NAMA")
    voters.to_csv(broken / "voters.csv", index=False)

    ok, message = run_semester("2024-S1", str(tmp_path / "landing"))
    assert not ok
    assert "\n" not in message
    assert "voters.csv: check columns_present failed: required column(s) missing: NAMA" in message
    check = dg.AssetCheckKey(dg.AssetKey("voters"), "columns_present")
    record = dg.DagsterInstance.get().event_log_storage.get_latest_asset_check_execution_by_key([check])[check]
    assert record.status.value == "FAILED"

    # Next semester's voter list arrives cut to half: the volume check stops the run.
    half = tmp_path / "landing" / "2024-S2"
    half.mkdir(parents=True)
    shutil.copy(small_kabupaten / "2024-S2" / "population.csv", half)
    full = pd.read_csv(small_kabupaten / "2024-S2" / "voters.csv", dtype=str, keep_default_na=False)
    full.head(len(full) // 2).to_csv(half / "voters.csv", index=False)
    ok, message = run_semester("2024-S2", str(tmp_path / "landing"))
    assert not ok and "voters.csv: check volume_vs_previous_semester failed" in message, message
    assert warehouse.read_table(url, warehouse.DELIVERIES, "2024-S2").empty
    after = snapshot(url, "2024-S1")
    for name in before:
        pd.testing.assert_frame_equal(before[name], after[name])


def test_an_unknown_semester_is_refused(instance_env, small_kabupaten):
    ok, message = run_semester("2031-S1", str(small_kabupaten))
    assert not ok and "not a closed semester" in message
