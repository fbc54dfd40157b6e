"""Two semesters through Dagster into a real PostgreSQL, with Dagster's own storage in PostgreSQL too."""

import re
import shutil

import dagster as dg
import pandas as pd
import psycopg2
import pytest
from conftest import DASHBOARD_PASSWORD, new_database

from pemadanan import review, settings, warehouse
from pemadanan.report import report_path
from pipelines.cli import run_semester

SEMESTERS = ("2024-S1", "2024-S2")




def snapshot(url: str, semester: str) -> dict[str, pd.DataFrame]:
    return {t.qualified: warehouse.read_table(url, t, semester).sort_values(
        [c.name for c in t.columns if c.name not in ("original", "explanation")]).reset_index(drop=True)
        for t in warehouse.TABLES}


def personal_data_on_disk(roots, niks: set[str], names: list[str], skip) -> list[str]:
    """Files under `roots` holding one of the NIKs or names, as UTF-8 (pickled str, text) or UTF-32 (numpy)."""
    utf8_nik = re.compile(rb"(?<!\d)\d{16}(?!\d)")
    utf32_nik = re.compile(rb"(?:\d\x00\x00\x00){16}")
    patterns = [name.encode(encoding) for name in names for encoding in ("utf-8", "utf-32-le")]
    found = []
    for root in roots:
        for path in (p for p in root.rglob("*") if p.is_file() and skip not in p.parents):
            data = path.read_bytes()
            digits = {m.decode() for m in utf8_nik.findall(data)}
            digits |= {m.decode("utf-32-le") for m in utf32_nik.findall(data)}
            if digits & niks or any(pattern in data for pattern in patterns):
                found.append(str(path))
    return found


def test_two_semesters_publish_what_the_truth_says(small_kabupaten, instance_env, monkeypatch, pg_server_url,
                                                   published_once):
    url = new_database(pg_server_url, "two_semesters", copy_of=published_once)  # 2024-S1 as a run publishes it
    monkeypatch.setenv("PEMADANAN_WAREHOUSE_URL", url)
    ok, message = run_semester("2024-S2", str(small_kabupaten))  # compared with the 2024-S1 published
    assert ok, message

    for semester in SEMESTERS:
        tables = snapshot(url, semester)
        links = tables["restricted.voter_links"]
        unlinked = tables["restricted.unlinked_voters"]
        duplicates = tables["restricted.voter_duplicates"]
        quarantine = tables["restricted.quarantine"]
        truth = pd.read_csv(small_kabupaten / "truth" / semester / "voters_truth.csv", dtype={"tms_codes": str})

        # The links are right, and (one row per person) they find nearly everyone listed who still lives here.
        checked = links.merge(truth, left_on="voter_row", right_on="source_row", suffixes=("", "_truth"))
        assert len(checked) == len(links) > 0
        assert (checked["population_row"] == checked["population_row_truth"]).mean() >= 0.998
        assert checked["population_row"].nunique() == len(links)
        assert links["population_row"].isin(truth["population_row"]).sum() >= 0.99 * truth["population_row"].nunique()
        assert set(links["link_method"]) >= {"exact_nik", "nik_one_edit", "probabilistic"}
        assert links["explanation"].notna().all()
        # Duplicates are the same person.
        person = truth.set_index("source_row")["person_id"]
        assert (duplicates["voter_row"].map(person) == duplicates["duplicate_of_voter_row"].map(person)).mean() >= 0.99

        # Rows reconcile: every voter row is linked, a duplicate, unlinked or quarantined, exactly once.
        voter_rows = (links["voter_row"].tolist() + duplicates["voter_row"].tolist() + unlinked["voter_row"].tolist()
                      + quarantine.loc[quarantine["dataset"] == "voters", "source_row"].tolist())
        assert sorted(voter_rows) == list(range(1, len(truth) + 1))

        summary = tables["published.link_summary"]
        for level in ("kabupaten", "kecamatan"):  # desa counts below 5 are suppressed
            at_level = summary[summary["region_level"] == level]
            assert at_level["linked"].sum() == len(links) and at_level["unlinked"].sum() == len(unlinked)
            assert at_level["duplicates"].sum() == len(duplicates)
        assert "nik" not in " ".join(summary.columns)

        # Each file's rows reconcile, and every check of every file is on record for dashboards.
        deliveries = tables["published.deliveries"].set_index("dataset")
        assert (deliveries["rows_in"] == deliveries["rows_accepted"] + deliveries["rows_quarantined"]).all()
        assert deliveries.loc["voters", "rows_in"] == len(truth)
        quality = tables["published.data_quality"].set_index(["dataset", "check_name"])
        volume = quality.loc[("voters", "volume_vs_previous_semester")]
        assert volume["evaluated"] == (semester == "2024-S2")  # the first semester has nothing to compare with
        assert quality.loc[quality["outcome"] == "block", "success"].dropna().all()

        # Voter-list maintenance: TMS flags are right where the data is sure, and coverage adds up level by level.
        tms = tables["restricted.tms_candidates"]
        codes = truth.set_index("source_row")["tms_codes"].fillna("").str.split(";")
        for code in ("1", "3", "6", "7", "8"):
            flagged = tms.loc[tms["tms_code"] == code, "voter_row"]
            right = flagged.map(codes).map(lambda c, code=code: code in c)
            assert right.all() if len(right) < 100 else right.mean() >= 0.99, code
            relevant = codes.map(lambda c, code=code: code in c)
            if code == "1":  # a death is known only where it was recorded
                relevant &= truth.set_index("source_row")["death_recorded"]
            assert right.sum() >= 0.9 * relevant.sum(), code
        if semester == "2024-S2":  # a voter whose death 2024-S1 recorded, still listed, is remembered as dead
            remembered = tms[(tms["tms_code"] == "1") & tms["evidence"].str.contains("delivered in 2024-S1")]
            recorded_before = truth.loc[truth["death_recorded_in"] == "2024-S1", "source_row"]
            assert len(recorded_before) > 0 and remembered["voter_row"].isin(recorded_before).all()
            assert len(remembered) >= 0.9 * len(recorded_before)
            # One row per record: a record delivered again in 2024-S2 stays under 2024-S1 only.
            records = warehouse.read_table(url, warehouse.DEATH_RECORDS)
            assert not records["nik"].duplicated().any() and set(records["semester"]) == set(SEMESTERS)
        population_truth = pd.read_csv(small_kabupaten / "truth" / semester / "population_truth.csv")
        missing = tables["restricted.eligible_unregistered"]["population_row"]
        assert missing.isin(population_truth.loc[population_truth["eligible_unregistered"], "source_row"]).mean() >= 0.99
        coverage = tables["published.coverage_by_region"].set_index("region_level")
        counted = coverage.drop(columns=["semester", "kabupaten", "region_code", "region_name", "coverage_pct"]).groupby(level=0).sum()
        for level in ("kabupaten", "kecamatan"):
            pd.testing.assert_series_equal(counted.loc[level], counted.loc["provinsi"], check_names=False)
        # Desa counts of 1 to 4 are suppressed (and a second cell where one alone would be given back): what is
        # left adds up to no more than the total, and no published desa count can single out a person.
        assert (counted.loc["desa"] <= counted.loc["provinsi"]).all()
        for name in ("published.coverage_by_region", "published.link_summary", "published.semester_changes"):
            at_desa = tables[name][tables[name]["region_level"] == "desa"].drop(
                columns=["link_rate", "coverage_pct"], errors="ignore").select_dtypes("number")
            shown = at_desa.stack()
            assert ((shown == 0) | (shown >= 5)).all(), name
        assert "unknown" not in set(tables["published.semester_changes"]["region_code"])
        assert counted.loc["provinsi", "registered"] == len(truth) - (quarantine["dataset"] == "voters").sum()
        assert counted.loc["provinsi", "tms_1"] == (tms["tms_code"] == "1").sum()
        assert len(tables["restricted.new_voters"]) > 0
        changes = set(tables["published.semester_changes"]["change"])
        if semester == "2024-S2":  # compared with the 2024-S1 snapshot: moves and corrections are known
            assert changes >= {"born", "died", "moved_in", "moved_out", "moved_within", "turned_17"}
            assert tables["published.publications"]["compared_with"].tolist() == ["2024-S1"]
            assert (tms["tms_code"] == "4").any()
        else:
            assert changes == {"born", "died", "turned_17"}

        if semester == "2024-S2":  # run here: 2024-S1 was published, its files written, in published_once
            # The semester report: offline, with its charts, for the coordination meeting (scanned below with the rest).
            page = report_path(settings.reports_dir(), semester, "33.23").read_text()
            assert page.count("data:image/png;base64,") >= 4 and "Calon TMS" in page
            assert not re.search(r"(src|href)=\"https?://", page)

            # One coklit CSV and XLSX per desa with flagged or missing people, NIKs masked.
            folder = settings.data_dir() / "coklit" / semester / "33.23"
            to_visit = tms[(tms["tms_code"] != "nik_invalid") | tms["needs_coklit"]]  # a NIK the resident repairs is no visit
            desa = set(to_visit["desa_code"]) | set(tables["restricted.eligible_unregistered"]["desa_code"])
            assert {p.stem for p in folder.glob("*.csv")} == {p.stem for p in folder.glob("*.xlsx")} == desa
            sample = pd.read_csv(next(folder.glob("*.csv")), dtype={"nik": str})
            assert sample["nik"].dropna().str.fullmatch(r"\d{6}\*{6}\d{4}").all()

    # Dashboards log in as their own role: published is readable, restricted is not.
    with psycopg2.connect(warehouse.libpq_url(url), user="pemadanan_dashboard", password=DASHBOARD_PASSWORD) as conn, \
            conn.cursor() as cur:
        for _, query in warehouse.DASHBOARD_QUERIES:  # the examples of docs/DASHBOARDS.md work as that role
            cur.execute(query)
            assert len(cur.fetchall()) > 0
        with pytest.raises(psycopg2.errors.InsufficientPrivilege):
            cur.execute("SELECT count(*) FROM restricted.voter_links")
    conn.close()

    # The run is in Dagster's PostgreSQL storage, with the partition recorded.
    instance = dg.DagsterInstance.get()
    assert "Postgres" in type(instance.run_storage).__name__
    runs = instance.get_runs()
    # A run of the kabupaten, the semester's national step, then the kabupaten's coklit lists and report again.
    assert sorted(r.tags.get("dagster/partition") for r in runs) == ["2024-S2", "2024-S2|33.23", "2024-S2|33.23"]
    assert sorted(r.job_name for r in runs) == ["national_job", "officer_files_job", "semester_job"]

    # Nothing personal in what the UI shows: no NIK, no resident's full name in any metadata or log line.
    shown = []
    for run in runs:
        for entry in instance.all_logs(run.run_id):
            shown.append(entry.user_message or "")
            event = entry.dagster_event
            if event is not None and event.is_step_materialization:
                shown += [str(v.value) for v in event.step_materialization_data.materialization.metadata.values()]
            if event is not None and event.event_type_value == "ASSET_CHECK_EVALUATION":
                shown += [str(v.value) for v in event.event_specific_data.metadata.values()]
    shown = "\n".join(shown)
    assert re.search(r"(?<!\d)(?!9{16})\d{16}(?!\d)", shown) is None  # 9999999999999999 is a value's shape
    population = pd.read_csv(small_kabupaten / "2024-S1" / "population.csv", dtype=str)
    full_names = {n for n in population["NAMA_LGKP"] if " " in n and len(n) >= 12}
    assert len(full_names) > 1000 and not any(name in shown for name in full_names)

    # Nor on disk outside PostgreSQL: step outputs, compute logs, Data Docs (the coklit lists are the one deliberate
    # exception: field officers work from them).
    niks = set(population["NIK"])
    on_disk = personal_data_on_disk([settings.dagster_home(), settings.data_dir()], niks, sorted(full_names)[:200],
                                    skip=settings.data_dir() / "coklit")
    assert on_disk == [], on_disk[:5]

    # 2023-S2 was never published: 2024-S1 compared with nothing. (A re-run giving the same tables:
    # test_review_decisions_round_trip.)
    assert snapshot(url, "2024-S1")[warehouse.PUBLICATIONS.qualified]["compared_with"].isna().all()


def test_review_decisions_round_trip(small_kabupaten, instance_env, tmp_path, monkeypatch, pg_server_url,
                                     published_once):
    """A reviewer accepts one queued pair and rejects one link of a published semester; the next run of the semester
    follows them. An accept of a pair never queued (it would override a NIK link) is ignored and said; a re-run gives
    the same tables."""
    url = new_database(pg_server_url, "reviewed", copy_of=published_once)  # 2024-S1 published from the same files
    monkeypatch.setenv("PEMADANAN_WAREHOUSE_URL", url)
    landing = tmp_path / "landing"
    shutil.copytree(small_kabupaten / "2024-S1", landing / "2024-S1")
    queue = warehouse.read_table(url, warehouse.REVIEW_QUEUE, "2024-S1")
    links = warehouse.read_table(url, warehouse.VOTER_LINKS, "2024-S1")
    assert len(queue) > 0
    accepted = queue.sort_values("score", ascending=False).iloc[0]
    rejected = links[links["link_method"] == "probabilistic"].iloc[0]
    by_nik = links[links["link_method"] == "exact_nik"].iloc[0]
    pd.DataFrame({"voter_row": [accepted["voter_row"], rejected["voter_row"], by_nik["voter_row"]],
                  "population_row": [accepted["population_row"], rejected["population_row"], by_nik["population_row"] + 1],
                  "decision": ["accept", "REJECT ", "accept"], "decided_by": "a reviewer"}).to_csv(
        landing / "2024-S1" / "review_decisions.csv", index=False)

    ok, message = run_semester("2024-S1", str(landing))
    assert ok, message
    assert "review decisions: 1 ignored (why: the run's log in the Dagster UI, and restricted.review_decisions)" in message
    recorded = warehouse.read_table(url, warehouse.REVIEW_DECISIONS, "2024-S1").set_index("line")
    assert recorded["applied"].to_dict() == {2: True, 3: True, 4: False}
    assert recorded.loc[4, "why"] == review.NOT_OFFERED
    first = snapshot(url, "2024-S1")
    ok, message = run_semester("2024-S1", str(landing))  # the decisions file unchanged: settled, applied again
    assert ok, message
    again = snapshot(url, "2024-S1")
    for name in first:
        if name != warehouse.PUBLICATIONS.qualified:
            pd.testing.assert_frame_equal(first[name], again[name])
    queue_after = warehouse.read_table(url, warehouse.REVIEW_QUEUE, "2024-S1")
    links_after = warehouse.read_table(url, warehouse.VOTER_LINKS, "2024-S1").set_index("voter_row")
    assert links_after.loc[accepted["voter_row"], "population_row"] == accepted["population_row"]
    assert links_after.loc[accepted["voter_row"], "link_method"] == "reviewer"
    pairs_after = set(zip(links_after.index, links_after["population_row"], strict=True))
    assert (rejected["voter_row"], rejected["population_row"]) not in pairs_after
    assert (by_nik["voter_row"], by_nik["population_row"]) in pairs_after  # the NIK link stands
    decided = {(accepted["voter_row"], accepted["population_row"]), (rejected["voter_row"], rejected["population_row"])}
    assert not decided & set(zip(queue_after["voter_row"], queue_after["population_row"], strict=True))


def test_a_broken_delivery_fails_with_one_line_and_publishes_nothing(small_kabupaten, instance_env, tmp_path,
                                                                      monkeypatch, pg_server_url, published_once):
    url = new_database(pg_server_url, "broken", copy_of=published_once)  # 2024-S1 published whole
    monkeypatch.setenv("PEMADANAN_WAREHOUSE_URL", url)
    before = snapshot(url, "2024-S1")

    broken = tmp_path / "landing" / "2024-S1"
    broken.mkdir(parents=True)
    shutil.copy(small_kabupaten / "2024-S1" / "population.csv", broken)
    voters = pd.read_csv(small_kabupaten / "2024-S1" / "voters.csv", dtype=str).drop(columns="NAMA")
    voters.to_csv(broken / "voters.csv", index=False)

    ok, message = run_semester("2024-S1", str(tmp_path / "landing"), replace=True)  # published from other files
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
        if name != warehouse.PUBLICATIONS.qualified:  # the one table that records when, not what
            pd.testing.assert_frame_equal(before[name], after[name])
    assert after[warehouse.PUBLICATIONS.qualified]["compared_with"].isna().all()  # 2023-S2 was never published


def test_an_unknown_semester_is_refused(instance_env, small_kabupaten):
    ok, message = run_semester("2031-S1", str(small_kabupaten))
    assert not ok and message == "2031-S1 has not closed yet (YYYY-S1 closes on 30 June, YYYY-S2 on 31 December)"


def test_a_missing_landing_folder_or_a_symlink_loop_is_one_line_on_stderr(tmp_path, monkeypatch, capsys):
    from pipelines.cli import main

    monkeypatch.setenv("PEMADANAN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    monkeypatch.setenv("PEMADANAN_LANDING_DIR", str(tmp_path))
    assert main(["run", "--semester", "2024-S1", "--landing", str(tmp_path / "nowhere")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "nowhere does not exist" in err and "--landing" in err

    folder = tmp_path / "landing" / "2024-S1"
    folder.mkdir(parents=True)
    (folder / "population.csv").symlink_to(folder / "population.csv")
    assert main(["run", "--semester", "2024-S1", "--landing", str(tmp_path / "landing")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "population.csv: a symlink, not a folder or file of its own" in err
