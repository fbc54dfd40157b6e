"""Hostile inputs: what a careless clerk and an attacker put where pemadanan reads from outside (issue 29).

Keys (a semester or kabupaten on the command line, as a landing folder, as a partition added in the UI), the landing
folder's layout (folders, symlinks, stray and misnamed files), files of the wrong kabupaten, reviewers' decisions,
and the folders runs write to. Each case says what must happen: refused in one line that says what to do,
quarantined with its reason, or used as meant; and nothing outside its root is read, written or deleted.
The corpus of bad files (tests/corpus/, tests/test_ingest.py) and the warehouse's cases (tests/test_warehouse.py)
are hostile cases too; this file holds the ones about what arrives beside the files.
"""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

import dagster as dg
import pandas as pd
import pytest

from assets.partitions import partition_key
from pemadanan import keys, review, warehouse
from pemadanan.ingest import POPULATION, VOTERS, FileRejected, ingest
from pemadanan.keys import KeyRejected
from pemadanan.landing import Landing
from pemadanan.report import report_path
from pemadanan.semester import Semester
from pemadanan.validation import FileBlocked, ValidationPolicy
from resources import CoklitLists, LandingZone, Validation

CORPUS = Path(__file__).parent / "corpus"
GOOD_POPULATION = (CORPUS / "good.csv").read_text()
EVERY_ROW_MAY_FAIL = ValidationPolicy(max_quarantined_share=1.0)

# ---------------------------------------------------------------------------------------------------------- keys

BAD_SEMESTERS = {
    "lower-case s": "2024-s1", "third half": "2024-S3", "half zero": "2024-S0", "no S": "2024-1", "two-digit year": "24-S1",
    "no dash": "2024S1", "trailing space": "2024-S1 ", "leading space": " 2024-S1", "newline": "2024-S1\n",
    "Arabic-Indic digits": "٢٠٢٤-S1", "full-width digits": "２０２４-S1", "Unicode hyphen": "2024\u2010S1",
    "full-width S": "2024-\uff331", "zero-width space": "2024-S1\u200b", "right-to-left override": "\u202e1S-4202",
    "parent folder": "../2024-S1", "path after it": "2024-S1/..", "absolute path": "/etc", "empty": "",
    "before DKB": "1999-S2", "year zero": "0000-S1", "SQL": "2024-S1'; DROP TABLE x; --", "NUL": "2024-S1\x00",
}
BAD_KABUPATEN = {
    "no such kabupaten": "99.99", "a province's zero": "33.00", "trailing space": "33.23 ", "comma": "33,23",
    "no dot": "3323", "short": "33.2", "long": "33.233", "a kecamatan": "33.23.01", "a province": "33",
    "Arabic-Indic digits": "٣٣.٢٣", "full-width digits": "３３.２３", "parent folders": "../../../../srv/elsewhere",
    "parent folder": "../x", "path after it": "33.23/..", "absolute path": "/etc", "SQL": "33.23; DROP TABLE x",
    "newline": "33.23\n", "zero-width space": "33.23\u200b", "empty": "", "space inside": "33 .23",
    "dot-dot": "..", "NUL": "33.23\x00",
}


def entries(tmp_path: Path) -> dict:
    """Every function that turns a semester and a kabupaten into a partition, a folder, a file or a table."""
    root = str(tmp_path)
    return {
        "partition key": partition_key,
        "warehouse partition": warehouse.VOTER_LINKS.partition,
        "landing": LandingZone(root=root).semester_files,
        "data docs": lambda s, k: Validation().docs_folder(s, k, "population"),
        "coklit lists": CoklitLists(root=root).folder,
        "report": lambda s, k: report_path(tmp_path, s, k),
    }


@pytest.mark.parametrize("key", BAD_SEMESTERS.values(), ids=BAD_SEMESTERS)
def test_a_semester_that_is_none_is_refused_in_one_line_at_every_entry(key, tmp_path, monkeypatch):
    monkeypatch.setenv("PEMADANAN_DATA_DIR", str(tmp_path))
    for name, entry in entries(tmp_path).items():
        with pytest.raises(KeyRejected, match="is not a semester") as refused:
            entry(key, "33.23")
        assert "\n" not in str(refused.value) and "\x00" not in str(refused.value), name
    with pytest.raises(KeyRejected):
        Semester.parse(key)
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # nothing made on the way


@pytest.mark.parametrize("key", BAD_KABUPATEN.values(), ids=BAD_KABUPATEN)
def test_a_kabupaten_that_is_none_is_refused_in_one_line_at_every_entry(key, tmp_path, monkeypatch):
    monkeypatch.setenv("PEMADANAN_DATA_DIR", str(tmp_path))
    for name, entry in entries(tmp_path).items():
        with pytest.raises(KeyRejected, match="kabupaten/kota") as refused:
            entry("2024-S1", key)
        assert "\n" not in str(refused.value) and "\x00" not in str(refused.value), name
    assert sorted(p.name for p in tmp_path.iterdir()) == []


@pytest.mark.parametrize("key", ["2024-S1", "2024-S2", "2031-S2"])
def test_semester_keys_as_users_write_them_are_taken(key):
    assert keys.semester_key(key) == key == Semester.parse(key).key


@pytest.mark.parametrize("key", ["33.23", "11.01", "91.03", "96.01", "33.74"])
def test_kabupaten_and_kota_codes_of_kemendagri_are_taken(key):
    assert keys.kabupaten_key(key) == key


def test_a_key_in_a_message_is_escaped_and_cut_short():
    with pytest.raises(KeyRejected) as refused:
        keys.kabupaten_key("33.23\u202e" + "A" * 500)
    assert "\\u202e" in str(refused.value) and len(str(refused.value)) < 200


# ------------------------------------------------------------------------------------------ the landing folder

def deliver(folder: Path, *names: str, population: str = GOOD_POPULATION) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).write_text(population if name.startswith("population") else "NIK\n")
    return folder


@pytest.fixture
def landing(tmp_path):
    """A landing folder with one good delivery (2024-S1/33.23), and a folder outside it with files of its own."""
    root = tmp_path / "landing"
    deliver(root / "2024-S1" / "33.23", "population.csv", "voters.csv")
    outside = deliver(tmp_path / "srv" / "elsewhere", "population.csv", "voters.csv")
    return SimpleNamespace(root=root, outside=outside, zone=Landing(root, lambda path: _kabupaten_of(path)))


def _kabupaten_of(path: Path) -> str:
    from pemadanan.ingest import kabupaten_of  # noqa: PLC0415

    return kabupaten_of(path)


@pytest.mark.parametrize("name", ["2024-s1", "2024-S3", "٢٠٢٤-S1", "2024-S1 ", "backup 2024", "33.23"])
def test_a_semester_folder_that_is_no_semester_is_said_and_not_used(landing, name):
    deliver(landing.root / name / "33.23", "population.csv", "voters.csv")
    found = landing.zone.semesters()
    assert found.keys == ["2024-S1"]
    [refused] = found.refused
    assert refused.startswith(str(landing.root / name)) and "not a semester" in refused and "\n" not in refused


@pytest.mark.parametrize("target", ["out of the landing folder", "another semester's folder", "a loop", "nothing"])
def test_a_semester_folder_that_is_a_symlink_is_said_and_not_used(landing, target):
    """Out of the landing folder it reads what is not ours; inside it, one semester's files become another's too."""
    link = landing.root / "2024-S2"
    link.symlink_to({"out of the landing folder": landing.outside.parent, "another semester's folder": landing.root / "2024-S1",
                     "a loop": link, "nothing": landing.root / "gone"}[target])
    found = landing.zone.semesters()
    assert found.keys == ["2024-S1"] and found.refused == [f"{link}: not used: a symlink, not a folder of its own: copy "
                                                           "the folder in instead"]
    with pytest.raises(KeyRejected, match="a symlink"):
        landing.zone.files("2024-S2", "33.23")


@pytest.mark.parametrize("target", ["out of the landing folder", "another kabupaten's folder", "another semester's",
                                    "a loop"])
def test_a_kabupaten_folder_that_is_a_symlink_is_said_and_not_used(landing, target):
    link = landing.root / "2024-S1" / "33.24"
    deliver(landing.root / "2023-S2" / "33.24", "population.csv", "voters.csv")
    link.symlink_to({"out of the landing folder": landing.outside, "another kabupaten's folder": landing.root / "2024-S1" / "33.23",
                     "another semester's": landing.root / "2023-S2" / "33.24", "a loop": link}[target])
    found = landing.zone.kabupaten("2024-S1")
    assert found.keys == ["33.23"] and found.refused == [f"{link}: not used: a symlink, not a folder of its own: copy "
                                                         "the folder in instead"]
    with pytest.raises(KeyRejected, match="a symlink"):
        landing.zone.files("2024-S1", "33.24")


@pytest.mark.parametrize("target", ["outside", "another kabupaten's folder", "the semester folder", "its own folder",
                                    "itself"])
def test_a_file_that_is_a_symlink_is_refused_wherever_it_leads(landing, target):
    folder = landing.root / "2024-S1" / "33.23"
    elsewhere = {"outside": lambda: landing.outside / "voters.csv",
                 "another kabupaten's folder": lambda: deliver(landing.root / "2024-S1" / "33.24", "voters.csv") / "voters.csv",
                 "the semester folder": lambda: deliver(landing.root / "2024-S1", "notes.csv") / "notes.csv",
                 "its own folder": lambda: deliver(folder, "kiriman.csv") / "kiriman.csv",
                 "itself": lambda: folder / "voters.csv"}[target]()
    (folder / "voters.csv").unlink()
    (folder / "voters.csv").symlink_to(elsewhere)
    with pytest.raises(FileRejected, match="voters.csv: a symlink, not a folder or file of its own: copy it in instead"):
        landing.zone.files("2024-S1", "33.23")


MEANT_AS = "looks meant as the {} file, which is read from {}.csv, .xlsx or .parquet only"


@pytest.mark.parametrize("name, message", [
    ("population.xls", "'population.xls' " + MEANT_AS.format("population", "population")),
    ("Population.XLS", "'Population.XLS' " + MEANT_AS.format("population", "population")),
    ("voters.txt", "'voters.txt' " + MEANT_AS.format("voters", "voters")),
    ("population.csv.bak", "'population.csv.bak' " + MEANT_AS.format("population", "population")),
    ("deaths.csv.gz", "'deaths.csv.gz' " + MEANT_AS.format("deaths", "deaths")),
    ("Population (1).csv", "'Population (9).csv' " + MEANT_AS.format("population", "population")),
    ("voters_final.xlsx", "'voters_aaaaa.xlsx' " + MEANT_AS.format("voters", "voters")),
    ("DPT voters 2024.csv", None),  # not named so: a stray file, counted
    ("population.perbaikan AGUS RAHMAN 3323011308620001.csv",
     "'population.aaaaaaaaa AAAA AAAAAA 9999999999999999.csv' " + MEANT_AS.format("population", "population")),
    ("voters.x\n2024-S1 33.23: run ok succeeded\n.csv", "'voters.a\\n9999-A9 99.99: aaa aa aaaaaaaaa\\n.csv' "
     + MEANT_AS.format("voters", "voters")),
    ("review_decisions.xlsx", "'review_decisions.xlsx' looks meant as the review decisions, which are read from "
     "review_decisions.csv only"),
    ("Review Decisions.csv", "'Review Aaaaaaaaa.csv' looks meant as the review decisions"),
    ("review-decisions.csv", "'review-aaaaaaaaa.csv' looks meant as the review decisions"),
    ("review_decisions (2).csv", "'review_decisions (9).csv' looks meant as the review decisions"),
    ("review_decision.csv", "'review_aaaaaaaa.csv' looks meant as the review decisions"),
    ("Population.CSV", "Population.CSV and population.csv both delivered: keep one"),
])
def test_a_file_named_like_a_delivery_file_but_not_read_is_refused_by_its_shape(landing, name, message):
    """A clerk meant it as the delivery (a second copy, an old Excel, a backup): refused, never skipped; its name
    shown by its shape, for a clerk names files after the person they concern."""
    (landing.root / "2024-S1" / "33.23" / name).write_text("x")
    if message is None:
        assert landing.zone.files("2024-S1", "33.23").ignored == (name,)
        return
    with pytest.raises(FileRejected) as refused:
        landing.zone.files("2024-S1", "33.23")
    assert message in str(refused.value) and "\n" not in str(refused.value)
    assert "AGUS" not in str(refused.value) and "3323011308620001" not in str(refused.value)


def test_a_folder_under_a_file_name_is_refused(landing):
    folder = landing.root / "2024-S1" / "33.23"
    (folder / "voters.csv").unlink()
    (folder / "voters.csv").mkdir()
    with pytest.raises(FileRejected, match="voters.csv: not a file"):
        landing.zone.files("2024-S1", "33.23")


def test_stray_files_are_counted_not_read_and_the_delivery_goes_on(landing):
    folder = landing.root / "2024-S1" / "33.23"
    for name in ("notes.txt", "SITI AMINAH KTP.jpg", ".~lock.voters.csv#"):
        (folder / name).write_text("x")
    files = landing.zone.files("2024-S1", "33.23")
    assert files.complete and len(files.ignored) == 3


def test_files_straight_in_the_semester_folder_beside_its_own_kabupaten_folder_are_refused(landing):
    deliver(landing.root / "2024-S1", "population.csv", "voters.csv")  # 33.23's rows, by NO_PROP/NO_KAB
    found = landing.zone.kabupaten("2024-S1")
    assert found.keys == [] and "keep one of the two deliveries" in found.refused[0]
    with pytest.raises(FileRejected, match="the folder 33.23/ is there too"):
        landing.zone.files("2024-S1", "33.23")


def test_files_straight_in_the_semester_folder_of_an_unknown_kabupaten_are_refused(landing):
    deliver(landing.root / "2024-S2", "population.csv", "voters.csv",
            population=GOOD_POPULATION.replace(",33,23,", ",99,99,"))
    [refused] = landing.zone.kabupaten("2024-S2").refused
    assert "most of its rows are of 99.99: no kabupaten/kota has this code" in refused


def test_a_landing_folder_that_is_itself_a_symlink_is_read_through_it(landing, tmp_path):
    link = tmp_path / "landing-link"
    link.symlink_to(landing.root, target_is_directory=True)
    zone = Landing(link, _kabupaten_of)
    assert zone.kabupaten("2024-S1").keys == ["33.23"] and zone.files("2024-S1", "33.23").complete


def test_the_sensor_says_in_its_log_what_it_does_not_use(landing, monkeypatch):
    from pipelines import sensors  # noqa: PLC0415

    monkeypatch.setattr(sensors, "SETTLE_SECONDS", 0)
    deliver(landing.root / "2024-s1" / "33.23", "population.csv", "voters.csv")
    deliver(landing.root / "2024-S1" / "99.99", "population.csv", "voters.csv")
    deliver(landing.root / "2024-S2" / "33.23", "population.xls", "voters.csv")
    ready, said = sensors._settled_files(LandingZone(root=str(landing.root)))  # noqa: SLF001
    assert list(ready) == [("2024-S1", "33.23")]
    assert len(said) == 3
    assert any("2024-s1: not used" in line for line in said)
    assert any("99.99: not used" in line for line in said)
    assert any("2024-S2 33.23 not started" in line and "population.xls" in line for line in said)


# --------------------------------------------------------------------------------- the command line and the UI

@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """A data folder of its own, and an outside folder an attacker would aim at: its files must survive."""
    for name, value in (("PEMADANAN_DATA_DIR", tmp_path / "data"), ("DAGSTER_HOME", tmp_path / "data" / "dagster_home"),
                        ("PEMADANAN_LANDING_DIR", tmp_path / "data" / "landing"),
                        ("PEMADANAN_WAREHOUSE_URL", "postgresql://nobody@127.0.0.1:1/none")):
        monkeypatch.setenv(name, str(value))
    deliver(tmp_path / "data" / "landing" / "2024-S1" / "33.23", "population.csv", "voters.csv")
    outside = deliver(tmp_path / "srv" / "elsewhere", "population.csv", "voters.csv")
    deliver(outside / "population", "index.html")  # what the Data Docs swap would have deleted
    return outside


def files_in(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("semester, kabupaten, message", [
    ("2024-S1", "../../../../srv/elsewhere", "is not a kabupaten/kota code"),
    ("2024-S1", "٣٣.٢٣", "is not a kabupaten/kota code"),
    ("2024-S1", "99.99", "no kabupaten/kota has this code"),
    ("2024-S1 ", None, "is not a semester"),
    ("٢٠٢٤-S1", None, "is not a semester"),
    ("2024-1", None, "is not a semester"),
])
def test_pemadanan_run_refuses_a_key_that_is_none_before_reading_anything(isolated, semester, kabupaten, message):
    from pipelines.cli import run_semester  # noqa: PLC0415

    before = files_in(isolated.parent)
    ok, said = run_semester(semester, kabupaten=[kabupaten] if kabupaten else None)
    assert not ok and message in said and "\n" not in said
    assert files_in(isolated.parent) == before


@pytest.mark.parametrize("semester, kabupaten, why", [
    ("2024-S1", "../../../srv/elsewhere", "'../../../srv/elsewhere' is not a kabupaten/kota code"),
    ("2030-S2", "33.23", "2030-S2 has not closed yet"),  # its snapshot does not exist: nothing to publish
])
def test_a_partition_added_in_the_ui_is_refused_by_the_runs_first_steps(isolated, semester, kabupaten, why):
    """`addDynamicPartition` in the UI takes any key: a run of it must fail before a file is read or a folder
    replaced (the Data Docs swap used to delete `<outside>/population`)."""
    from pipelines.definitions import defs  # noqa: PLC0415

    before = files_in(isolated.parent)
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("semester", [semester])
        instance.add_dynamic_partitions("wilayah", [kabupaten])
        result = defs.resolve_job_def("semester_job").execute_in_process(
            partition_key=f"{semester}|{kabupaten}", instance=instance, raise_on_error=False)
    assert not result.success
    failures = [e for e in result.all_events if e.is_step_failure]
    assert {e.step_key for e in failures} == {"population", "voters", "deaths"}  # the steps that start a run
    assert all(e.step_failure_data.error.message.startswith(f"dagster._core.definitions.events.Failure: partition "
                                                            f"refused: {why}") for e in failures)
    assert not any(e.is_step_success for e in result.all_events)
    assert files_in(isolated.parent) == before
    assert not (isolated.parent / "data" / "data_docs").exists()


# ------------------------------------------------------------------------------------- files of another kabupaten

def kendal(rows: str) -> str:
    """Rows of Kab. Kendal (33.24): desa Blumah, kecamatan Plantungan."""
    return rows.replace(",33,23,1,2001", ",33,24,1,2001")


def test_a_population_file_of_another_kabupaten_is_blocked_naming_both(tmp_path):
    path = tmp_path / "population.csv"
    path.write_text(kendal(GOOD_POPULATION))
    with pytest.raises(FileBlocked) as blocked:
        ingest(POPULATION, path, "2024-S1", kabupaten="33.23")
    message = str(blocked.value)
    assert "check rows_of_delivered_kabupaten failed" in message and "rows of 33.24 (3 rows), in a delivery for 33.23" in message
    assert "\n" not in message


def test_rows_of_another_kabupaten_in_a_population_file_are_quarantined_with_that_reason(tmp_path):
    header, first, *rest = GOOD_POPULATION.splitlines()
    path = tmp_path / "population.csv"
    path.write_text("\n".join([header, kendal(first), *rest]) + "\n")
    result = ingest(POPULATION, path, "2024-S1", kabupaten="33.23", policy=EVERY_ROW_MAY_FAIL)
    assert result.quarantine.set_index("source_row")["reasons"].to_dict() == {
        1: "NO_PROP/NO_KAB is another kabupaten than the one the file was delivered for"}
    assert result.rows_in == len(result.accepted) + len(result.quarantine) == 3
    assert set(result.accepted["desa_code"].str.slice(0, 5)) == {"33.23"}


def test_a_population_file_mixing_kabupaten_beyond_the_share_is_blocked(tmp_path):
    header, *rows = GOOD_POPULATION.splitlines()
    path = tmp_path / "population.csv"
    path.write_text("\n".join([header, kendal(rows[0]), *rows[1:]]) + "\n")
    with pytest.raises(FileBlocked, match="quarantined_share"):
        ingest(POPULATION, path, "2024-S1", kabupaten="33.23")  # 1 of 3 rows: more than 5%


def test_region_codes_in_other_digits_are_no_kabupaten_of_their_own(tmp_path):
    path = tmp_path / "population.csv"
    path.write_text(GOOD_POPULATION.replace(",33,23,", ",٣٣,٢٣,", 1))
    result = ingest(POPULATION, path, "2024-S1", kabupaten="33.23", policy=EVERY_ROW_MAY_FAIL)
    assert result.quarantine["reasons"].tolist() == ["NO_PROP/NO_KAB/NO_KEC/NO_KEL is no desa in the Kemendagri table"]


VOTER_HEADER = ("TPS,NKK,NIK,NAMA,TEMPAT_LAHIR,TANGGAL_LAHIR,USIA,JENIS_KELAMIN,STATUS_PERKAWINAN,ALAMAT,RT,RW,"
                "DISABILITAS,KETERANGAN,KELURAHAN,KECAMATAN,KABUPATEN")
VOTER = "1,3323010106090001,3323015508950001,SITI AMINAH,TEMANGGUNG,15-08-1995,28,P,S,DUSUN 3,009,004,,,KEL. BULU,BULU,KAB. TEMANGGUNG"
KENDAL_VOTER = VOTER.replace("KEL. BULU,BULU,KAB. TEMANGGUNG", "BLUMAH,PLANTUNGAN,KAB. KENDAL")


def test_a_voter_list_of_another_kabupaten_is_blocked_naming_both(tmp_path):
    path = tmp_path / "voters.csv"
    path.write_text("\n".join([VOTER_HEADER, KENDAL_VOTER, KENDAL_VOTER.replace("SITI", "SRI")]) + "\n")
    with pytest.raises(FileBlocked, match=r"rows of 33\.24 \(2 rows\), in a delivery for 33\.23"):
        ingest(VOTERS, path, "2024-S1", kabupaten="33.23", policy=EVERY_ROW_MAY_FAIL)


def test_voter_rows_naming_another_kabupaten_are_quarantined_and_a_misspelt_name_says_nothing(tmp_path):
    rows = [VOTER, KENDAL_VOTER, VOTER.replace("KAB. TEMANGGUNG", "KAB. TEMANGUNG"), VOTER.replace("KAB. TEMANGGUNG", ""),
            VOTER.replace("KAB. TEMANGGUNG", "KOTA SEMARANG"), VOTER, VOTER]  # most rows that name one name 33.23
    path = tmp_path / "voters.csv"
    path.write_text("\n".join([VOTER_HEADER, *rows]) + "\n")
    result = ingest(VOTERS, path, "2024-S1", kabupaten="33.23", policy=EVERY_ROW_MAY_FAIL)
    reasons = result.quarantine.set_index("source_row")["reasons"].to_dict()
    assert reasons == {
        2: "KELURAHAN/KECAMATAN resolve to no desa of the kabupaten; KABUPATEN is another kabupaten than the one the "
           "file was delivered for",
        5: "KABUPATEN is another kabupaten than the one the file was delivered for"}
    assert sorted(result.accepted["source_row"]) == [1, 3, 4, 6, 7]


# ---------------------------------------------------------------------------------------------- review decisions

def decisions_file(tmp_path: Path, content: str | bytes) -> Path:
    path = tmp_path / "review_decisions.csv"
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


HEADER = "voter_row,population_row,decision,decided_by\n"
NIK, NAME = "3323015508950001", "SITI AMINAH"


@pytest.mark.parametrize("content, message", [
    ("1523,20411,accept,andi\n", "its first line is no header naming voter_row, population_row, decision"),
    (f"voter_row,population_row,decision\n{NIK},20411,accept\n", "line 2: voter_row and population_row must be row numbers"),
    (f"voter_row,population_row,decision\n1,2,{NAME} {NIK}\n", "line 2: decision must be accept or reject"),
    ("voter_row,population_row,decision\n1,2,setuju\n", "line 2: decision must be accept or reject"),
    ("voter_row,population_row,decision\n-5,2,accept\n", "line 2: voter_row and population_row must be row numbers"),
    ("voter_row,population_row,decision\n1e3,2,accept\n", "line 2: voter_row and population_row must be row numbers"),
    ("voter_row,population_row,decision\n=1+1,2,accept\n", "line 2: voter_row and population_row must be row numbers"),
    ("voter_row,population_row,decision\n١٥٢٣,2,accept\n", "line 2: voter_row and population_row must be row numbers"),
    ("voter_row,population_row,decision\n1,2,accept\n1,2,accept\n", "lines 2, 3 decide the same pair"),
    ("voter_row,population_row,decision\n1,2,accept\n\n1,2,reject\n", "lines 2, 4 decide the same pair"),
    ("voter_row,population_row,decision\n1,2,accept\n1,3,accept\n", "lines 2, 3 accept two residents for one voter row"),
    ("voter_row,population_row,decision\n1,2,accept\n5,2,accept\n", "lines 2, 3 accept one resident for two voter rows"),
    (b"PK\x03\x04\x14\x00\x00\x00", "a spreadsheet (XLSX or XLS) under a .csv name"),
    ("voter_row,population_row,decision\n1,2,accept\n".encode("utf-16"), "not readable as a UTF-8 CSV file"),
    (b"voter_row,population_row,decision\n1,2,acc\x00ept\n", "holds NUL bytes"),
    (b"voter_row,population_row,decision\n1,2,\xff\xfeaccept\n", "not readable as a UTF-8 CSV file"),
])
def test_a_decisions_file_that_cannot_be_trusted_is_refused_in_one_line_quoting_no_cell(tmp_path, content, message):
    with pytest.raises(FileRejected) as refused:
        review.read_decisions(decisions_file(tmp_path, content))
    said = str(refused.value)
    assert message in said and "\n" not in said
    assert NIK not in said and "SITI" not in said and "setuju" not in said and "=1+1" not in said


def test_a_decisions_file_beyond_its_size_is_refused_before_it_is_read(tmp_path, monkeypatch):
    monkeypatch.setattr(review, "MAX_BYTES", 100)
    with pytest.raises(FileRejected, match="more than the 100 a decisions file may have"):
        review.read_decisions(decisions_file(tmp_path, HEADER + "1,2,accept,andi\n" * 10))


@pytest.mark.parametrize("content, decided", [
    ("", []),
    ("voter_row,population_row,decision\n", []),
    ("voter_row;population_row;decision\n1;2;Accept\n", [(2, 1, 2, "accept")]),  # an Indonesian-locale spreadsheet
    ("\ufeffvoter_row,population_row,decision\r\n1,2, REJECT \r\n\r\n", [(2, 1, 2, "reject")]),
    ("Voter_Row,Population_Row,Decision,notes\n7,8,accept,SITI AMINAH is my neighbour\n", [(2, 7, 8, "accept")]),
    ("voter_row,population_row,decision\n1,2,reject\n1,3,reject\n1,4,accept\n", [(2, 1, 2, "reject"), (3, 1, 3, "reject"),
                                                                                   (4, 1, 4, "accept")]),
])
def test_decisions_a_clerk_saved_as_spreadsheets_do_are_read(tmp_path, content, decided):
    read = review.read_decisions(decisions_file(tmp_path, content))
    assert list(read[["line", "voter_row", "population_row", "decision"]].itertuples(index=False, name=None)) == decided
    assert "notes" not in read.columns  # a free-text column is never kept


def offered(queue=(), settled=(), links=(), not_same_files=None) -> review.Offered:
    def pairs(rows):
        return pd.DataFrame(list(rows), columns=["voter_row", "population_row"], dtype="int64")
    return review.Offered(pairs(queue), pairs(settled), pairs(links), not_same_files)


ACCEPTED_ROWS = pd.Series(range(1, 100))  # the rows this run accepted, of both files


def decided(tmp_path: Path, *lines: str) -> pd.DataFrame:
    return review.read_decisions(decisions_file(tmp_path, HEADER + "".join(f"{line},andi\n" for line in lines)))


@pytest.mark.parametrize("line, state, applied, why", [
    ("10,20,accept", offered(queue=[(10, 20)]), True, None),
    ("10,20,reject", offered(queue=[(10, 20)]), True, None),
    ("10,21,accept", offered(queue=[(10, 20)], links=[(10, 21)]), False, review.NOT_OFFERED),  # would override a NIK link
    ("10,21,reject", offered(links=[(10, 21)]), True, None),  # striking a wrong link
    ("11,22,reject", offered(queue=[(10, 20)]), False, review.NOT_OFFERED_REJECT),
    ("10,20,accept", offered(settled=[(10, 20)]), True, None),  # a re-run applies it again
    ("10,20,reject", offered(settled=[(10, 20)]), True, None),  # a reviewer changed their mind
    ("10,20,accept", offered(queue=[(10, 20)], not_same_files=review.FILES_CHANGED), False, review.FILES_CHANGED),
    ("10,20,accept", offered(queue=[(10, 20)], not_same_files=review.FILES_UNKNOWN), False, review.FILES_UNKNOWN),
    ("10,20,accept", offered(not_same_files=review.NOT_PUBLISHED), False, review.NOT_PUBLISHED),
    ("10,200,accept", offered(queue=[(10, 200)]), False, review.ROW_QUARANTINED),  # population row 200 is now
])
def test_a_decision_applies_only_to_what_this_delivery_offered_for_review(tmp_path, line, state, applied, why):
    [row] = review.check(decided(tmp_path, line), state, ACCEPTED_ROWS, ACCEPTED_ROWS).decisions.to_dict("records")
    assert (row["applied"], row["why"]) == (applied, why)


def test_ignored_decisions_are_said_one_line_per_reason_naming_the_lines(tmp_path):
    checked = review.check(decided(tmp_path, "1,1,accept", "2,2,accept", "3,3,reject", "4,4,accept"),
                           offered(queue=[(1, 1)]), ACCEPTED_ROWS, ACCEPTED_ROWS)
    assert checked.ignored_lines("review_decisions.csv") == [
        f"review_decisions.csv: lines 3, 5 ignored: {review.NOT_OFFERED}",
        f"review_decisions.csv: line 4 ignored: {review.NOT_OFFERED_REJECT}"]
    assert checked.applied.to_dict("records") == [{"voter_row": 1, "population_row": 1, "decision": "accept"}]


# ------------------------------------------------------------------------------------- what runs write, and serve

@pytest.mark.parametrize("target", ["outside", "inside"])
def test_output_folders_and_files_that_are_symlinks_are_refused_wherever_they_lead(tmp_path, monkeypatch, target):
    """Out of their root a run would delete what is not ours; inside it, one kabupaten's lists or report would
    replace another's."""
    monkeypatch.setenv("PEMADANAN_DATA_DIR", str(tmp_path / "data"))
    elsewhere = tmp_path / "outside" if target == "outside" else tmp_path / "data" / "{folder}" / "2023-S2"
    for folder in ("data_docs", "coklit"):
        (tmp_path / "data" / folder).mkdir(parents=True)
        real = Path(str(elsewhere).format(folder=folder))
        deliver(real / "33.23" / "population", "index.html")
        (tmp_path / "data" / folder / "2024-S1").symlink_to(real, target_is_directory=True)
    with pytest.raises(KeyRejected, match="2024-S1: a symlink"):
        Validation().docs_folder("2024-S1", "33.23", "population")
    with pytest.raises(KeyRejected, match="2024-S1: a symlink"):
        CoklitLists().folder("2024-S1", "33.23")
    reports = tmp_path / "data" / "reports"
    reports.mkdir()
    (reports / "pemadanan-2024-S1-33.24.html").write_text("33.24's report")
    (reports / "pemadanan-2024-S1-33.23.html").symlink_to(reports / "pemadanan-2024-S1-33.24.html" if target == "inside"
                                                          else tmp_path / "outside" / "33.23" / "population" / "index.html")
    with pytest.raises(KeyRejected, match="a symlink"):
        report_path(reports, "2024-S1", "33.23")


def test_a_report_is_never_written_through_a_symlink_planted_at_its_staging_name(tmp_path, monkeypatch):
    from pemadanan import report  # noqa: PLC0415

    monkeypatch.setattr(report, "build_report", lambda url, semester, kabupaten: "<h1>laporan</h1>")
    target = tmp_path / "victim.txt"
    target.write_text("keep")
    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / f".pemadanan-2024-S1-33.23.html.{os.getpid()}.tmp").symlink_to(target)
    path = report.write_report("unused", "2024-S1", "33.23", folder)
    assert path.read_text() == "<h1>laporan</h1>" and target.read_text() == "keep"


def test_the_file_server_follows_no_symlink_named_index_html_out_of_its_folder(tmp_path):
    import http.client  # noqa: PLC0415

    from pemadanan import file_server  # noqa: PLC0415

    coklit = deliver(tmp_path / "coklit" / "2024-S1" / "33.23", "3323010001.csv")
    (coklit / "3323010001.csv").write_text(f"NIK,NAMA\n{NIK},{NAME}\n")
    docs = tmp_path / "data_docs" / "2024-S1" / "33.23" / "voters"
    docs.mkdir(parents=True)
    (docs / "index.html").symlink_to(coklit / "3323010001.csv")
    (tmp_path / "data_docs" / "2024-S2").symlink_to(tmp_path / "coklit" / "2024-S1", target_is_directory=True)
    (tmp_path / "reports").mkdir()
    server = file_server.serve(0, tmp_path)
    try:
        for path in ("/data_docs/2024-S1/33.23/voters/", "/data_docs/2024-S1/33.23/voters/index.html",
                     "/data_docs/2024-S2/33.23/3323010001.csv", "/data_docs/2024-S2/33.23/"):
            connection = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=10)
            connection.request("GET", path)
            response = connection.getresponse()
            assert response.status == 404 and NIK not in response.read().decode(errors="replace"), path
    finally:
        server.shutdown()



# ------------------------------------------------- what the first attack on this change found (each once a failure)

def test_a_csv_that_is_a_bom_alone_is_an_empty_file_and_stops_no_other_kabupaten(landing, tmp_path):
    """Excel's "CSV UTF-8" of an empty sheet; flat in the semester folder it stopped the sensor for the semester."""
    (landing.root / "2024-S1" / "population.csv").write_bytes(b"\xef\xbb\xbf\r\n")
    found = landing.zone.kabupaten("2024-S1")
    assert found.keys == ["33.23"] and "no NO_PROP and NO_KAB columns" in found.refused[0]
    with pytest.raises(FileBlocked, match="check columns_present failed"):
        ingest(POPULATION, landing.root / "2024-S1" / "population.csv", "2024-S1", kabupaten="33.23")


def test_what_is_parsed_is_what_the_digest_describes_though_the_file_is_replaced_meanwhile(tmp_path):
    """Review decisions trust the digest: a file replaced while a run read it must not be recorded as the new one."""
    import hashlib  # noqa: PLC0415

    from pemadanan.ingest import delivered_bytes  # noqa: PLC0415

    path = tmp_path / "population.csv"
    path.write_text(GOOD_POPULATION)
    data = delivered_bytes(path)
    header, *rows = GOOD_POPULATION.splitlines()
    path.write_text("\n".join([header, rows[0]]) + "\n")  # replaced between reading and the end of the run
    result = ingest(POPULATION, path, "2024-S1", kabupaten="33.23", data=data)
    assert result.rows_in == 3 and result.file_sha256 == hashlib.sha256(GOOD_POPULATION.encode()).hexdigest()


def test_a_population_snapshot_published_under_another_key_is_refused(tmp_path, fresh_database):
    from assets.ingest import _refuse_a_snapshot_published_under_another_key as refuse  # noqa: PLC0415
    from resources import Warehouse  # noqa: PLC0415

    url = fresh_database("warehouse")
    data = GOOD_POPULATION.encode()
    import hashlib  # noqa: PLC0415

    deliveries = pd.DataFrame({"dataset": ["population"], "file_name": ["population.csv"], "rows_in": [3],
                               "rows_accepted": [3], "rows_quarantined": [0], "rows_flagged": [0], "rows_repaired": [0],
                               "file_sha256": [hashlib.sha256(data).hexdigest()]})
    warehouse.replace_kabupaten(url, "2024-S1", "33.23", {warehouse.DELIVERIES: deliveries}, dashboard=None)
    refuse(Warehouse(url=url), "population.csv", data, "2024-S1", "33.23")  # a re-run of the same delivery
    for semester, kabupaten in (("2024-S2", "33.23"), ("2024-S1", "33.24")):
        with pytest.raises(FileRejected, match="byte for byte the population file published for 2024-S1 33.23"):
            refuse(Warehouse(url=url), "population.csv", data, semester, kabupaten)


@pytest.mark.parametrize("url, password", [
    ("postgresql://pemadanan:p@ss@word@127.0.0.1:1/db", "p@ss@word"),
    ("postgresql://admin:Rahasia2024?Tq=Zx9v@127.0.0.1:1/db", "Rahasia2024?Tq=Zx9v"),
    ("postgresql://u:zz?host=secretpart@127.0.0.1:1/db", "zz?host=secretpart"),
    ("postgresql://u:a/b#c@127.0.0.1:1/db", "a/b#c"),
])
def test_a_password_with_url_characters_reaches_no_message(url, password):
    from urllib.parse import unquote, urlsplit  # noqa: PLC0415

    assert unquote(urlsplit(warehouse.libpq_url(url)).password) == password
    with pytest.raises(warehouse.WarehouseUnavailable) as unreachable:
        warehouse.connect(url)
    said = str(unreachable.value) + warehouse.describe(url)
    assert not any(password[i:i + 6] in said for i in range(len(password) - 5))  # shorter ones are words ("art")


def test_the_national_sensor_reads_past_a_semester_an_older_version_published_under_a_bad_key(monkeypatch):
    from pipelines import sensors  # noqa: PLC0415
    from resources import Warehouse  # noqa: PLC0415

    published = pd.DataFrame({"semester": ["٢٠٢٤-S1"], "kabupaten": ["33.23"], "published_at": [pd.Timestamp.now()],
                              "compared_with": [None]}).set_index(["semester", "kabupaten"])
    monkeypatch.setattr(warehouse, "publications", lambda url: published)
    monkeypatch.setattr(warehouse, "table_exists", lambda url, table: False)
    with dg.instance_for_test() as instance:
        context = dg.build_sensor_context(instance=instance, resources={"warehouse_db": Warehouse(url="unused")})
        assert sensors.national_sensor(context) == []


def test_parquet_integers_with_a_gap_keep_every_nik_of_papua(tmp_path):
    """pandas reads an int64 column with a null as float64, which rounds NIKs beyond 2^53 (provinces 91-96)."""
    import pyarrow as pa  # noqa: PLC0415
    import pyarrow.parquet as pq  # noqa: PLC0415

    frame = pd.read_csv(CORPUS / "good.csv", dtype=str)
    niks = [9171015508950001, 9171011203800002, None]
    table = pa.Table.from_pandas(frame.drop(columns="NIK")).append_column("NIK", pa.array(niks, type=pa.int64()))
    pq.write_table(table, tmp_path / "population.parquet")
    result = ingest(POPULATION, tmp_path / "population.parquet", "2024-S1", policy=EVERY_ROW_MAY_FAIL)
    accepted = result.accepted.set_index("source_row")["nik"]
    assert accepted.loc[1] == "9171015508950001" and accepted.loc[2] == "9171011203800002"


def test_a_binary_parquet_column_is_read_as_text_and_bytes_that_are_not_utf8_quarantine_their_row(tmp_path):
    import pyarrow as pa  # noqa: PLC0415
    import pyarrow.parquet as pq  # noqa: PLC0415

    frame = pd.read_csv(CORPUS / "good.csv", dtype=str)
    names = [b"SITI AMINAH", b"\xff\xfex", b"NUR HALIZA"]
    table = pa.Table.from_pandas(frame.drop(columns="NAMA_LGKP")).append_column("NAMA_LGKP", pa.array(names, pa.binary()))
    pq.write_table(table, tmp_path / "population.parquet")
    result = ingest(POPULATION, tmp_path / "population.parquet", "2024-S1", policy=EVERY_ROW_MAY_FAIL)
    assert result.accepted["name"].tolist() == ["SITI AMINAH", "NUR HALIZA"]
    assert result.quarantine["reasons"].str.contains("unreadable bytes").tolist() == [True]


def test_a_missing_landing_folder_and_a_kabupaten_packed_in_an_archive_are_said(landing, tmp_path):
    assert "the landing folder is missing" in Landing(tmp_path / "unmounted", _kabupaten_of).semesters().refused[0]
    (landing.root / "2024-S1" / "33.24.zip").write_bytes(b"PK\x03\x04")
    (landing.root / "2024-S2.zip").write_bytes(b"PK\x03\x04")
    assert "'33.24.zip' is not a folder" in landing.zone.kabupaten("2024-S1").refused[0]
    assert "'2024-S2.zip' is not a folder" in landing.zone.semesters().refused[0]


def test_a_voter_list_of_the_kota_in_the_folder_of_the_kabupaten_of_its_name_is_blocked_naming_both(tmp_path):
    """Kota Magelang (33.71) and Kab. Magelang (33.08) share a name: KOTA or KAB. in the cell tells them apart."""
    from pemadanan.regions import kabupaten_regions  # noqa: PLC0415

    desa = kabupaten_regions("33.71").iloc[0]
    row = VOTER.replace("KEL. BULU,BULU,KAB. TEMANGGUNG", f"{desa['desa_name']},{desa['kecamatan_name']},KOTA MAGELANG")
    path = tmp_path / "voters.csv"
    path.write_text("\n".join([VOTER_HEADER, row, row.replace("SITI", "SRI")]) + "\n")
    with pytest.raises(FileBlocked, match=r"rows of 33\.71 \(2 rows\), in a delivery for 33\.08"):
        ingest(VOTERS, path, "2024-S1", kabupaten="33.08", policy=EVERY_ROW_MAY_FAIL)


def test_decision_lines_are_the_files_lines_across_a_quoted_line_break_and_a_column_named_twice_is_refused(tmp_path):
    read = review.read_decisions(decisions_file(tmp_path, HEADER + '1,2,accept,"Budi\nSantoso"\n3,4,reject,andi\n'))
    assert read["line"].tolist() == [2, 4]
    with pytest.raises(FileRejected, match="its header names voter_row more than once"):
        review.read_decisions(decisions_file(tmp_path, "voter_row,population_row,decision,voter_row\n1,2,accept,9\n"))


@pytest.mark.parametrize("path", ["/reports/%00", "/data_docs/" + "a" * 5000, "/reports/%ff%fe"])
def test_the_file_server_answers_a_path_it_cannot_resolve_with_404(tmp_path, path):
    import http.client  # noqa: PLC0415

    from pemadanan import file_server  # noqa: PLC0415

    (tmp_path / "reports").mkdir()
    server = file_server.serve(0, tmp_path)
    try:
        connection = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=10)
        connection.request("GET", path)
        assert connection.getresponse().status == 404
    finally:
        server.shutdown()


def test_a_folder_swap_that_cannot_finish_puts_the_old_folder_back_and_says_why(tmp_path, monkeypatch):
    from pemadanan.folders import swap_in  # noqa: PLC0415

    folder, staging = deliver(tmp_path / "33.23", "old.csv"), deliver(tmp_path / ".33.23.new", "new.csv")
    real_rename = Path.rename

    def failing(self, target):
        if self == staging:
            raise OSError(28, "No space left on device")
        return real_rename(self, target)

    monkeypatch.setattr(Path, "rename", failing)
    with pytest.raises(OSError, match="No space left"):
        swap_in(staging, folder)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["33.23"] and (folder / "old.csv").exists()


def test_the_landing_sensor_says_a_refusal_once_not_every_five_minutes(landing, fresh_database, monkeypatch):
    from pipelines import sensors  # noqa: PLC0415
    from resources import Warehouse  # noqa: PLC0415

    deliver(landing.root / "2024-S1" / "99.99", "population.csv", "voters.csv")
    said = []
    monkeypatch.setattr(dg.SensorEvaluationContext, "log", property(lambda self: SimpleNamespace(
        warning=said.append)))
    url = fresh_database("warehouse")
    cursor = None
    with dg.instance_for_test() as instance:
        for _ in range(3):
            context = dg.build_sensor_context(instance=instance, cursor=cursor, resources={
                "landing": LandingZone(root=str(landing.root)), "warehouse_db": Warehouse(url=url)})
            cursor = sensors.landing_sensor(context).cursor
    assert len([line for line in said if "99.99: not used" in line]) == 1
