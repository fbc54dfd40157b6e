"""The corpus of bad inputs (tests/corpus/): each file gets exactly the outcome written here, and nothing is lost."""

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from expectations.checks import Outcome
from pemadanan.ingest import POPULATION, VOTERS, FileRejected, ingest
from pemadanan.validation import FileBlocked, ValidationPolicy

CORPUS = Path(__file__).parent / "corpus"
SEMESTER = "2024-S1"
TRUNCATED = "number of fields differs from the header (a truncated line, or an unquoted delimiter)"
UNRELIABLE = "NIK unreliable: Excel scientific notation or zeroed serial"


def population(name: str, **options):
    return ingest(POPULATION, CORPUS / name, SEMESTER, **options)


def by_row(frame: pd.DataFrame, column: str) -> dict[int, str]:
    return {int(row): value for row, value in zip(frame["source_row"], frame[column]) if pd.notna(value)}


# file -> (rows in, {quarantined row: reasons}, {accepted row: flags}, {accepted row: repairs})
ROW_OUTCOMES = {
    "good.csv": (3, {}, {}, {}),
    "latin1_names.csv": (2, {}, {}, {}),
    "utf8_bom.csv": (3, {}, {}, {}),
    "semicolons.csv": (3, {}, {}, {}),
    "extra_columns.csv": (2, {}, {}, {}),
    "duplicated_header_row.csv": (3, {2: "a repeated header row"}, {}, {}),
    "nik_scientific_notation.csv": (2, {}, {1: UNRELIABLE}, {}),
    "nik_trailing_zeros.csv": (2, {}, {1: UNRELIABLE}, {}),
    "nik_apostrophe.csv": (2, {}, {}, {1: "NIK: leading apostrophe"}),
    "nik_15_and_17_digits.csv": (2, {1: "NIK not 16 digits", 2: "NIK not 16 digits"}, {}, {}),
    "woman_day_not_plus_40.csv": (2, {}, {1: "sex in NIK disagrees with the sex column"}, {}),
    "february_30.csv": (2, {1: "NIK digits 7-12 are no real date (women +40); TGL_LHR is no date in a known format"}, {}, {}),
    "three_date_formats.csv": (3, {}, {}, {2: "TGL_LHR read as DD-MM-YYYY", 3: "TGL_LHR read as DD/MM/YYYY"}),
    "future_birth_date.csv": (2, {2: "TGL_LHR after the semester's reference date"}, {}, {}),
    # Row 3's NIK carries Merauke's code from before the 2022 Papua split (91.01, now 93.01): not flagged.
    "unknown_region_code.csv": (3, {1: "NO_PROP/NO_KAB/NO_KEC/NO_KEL is no desa in the Kemendagri table"},
                                {2: "NIK prefix is no current or historical Kemendagri kecamatan"}, {}),
    "truncated_last_line.csv": (3, {3: TRUNCATED}, {}, {}),
    "too_many_fields.csv": (2, {2: TRUNCATED}, {}, {}),
}


@pytest.mark.parametrize("name", sorted(ROW_OUTCOMES))
def test_rows_get_exactly_their_outcome_and_none_is_lost(name):
    rows_in, quarantined, flagged, repaired = ROW_OUTCOMES[name]
    result = population(name)
    assert result.rows_in == rows_in
    assert by_row(result.quarantine, "reasons") == quarantined
    assert by_row(result.accepted, "flags") == flagged
    assert by_row(result.accepted, "repairs") == repaired
    assert len(result.accepted) + len(result.quarantine) == rows_in
    result.reconcile()


BLOCKED = {
    "empty_file.csv": "empty_file.csv: check columns_present failed: required column(s) missing: the file has no header "
                      "(empty file); empty_file.csv: check not_empty failed: no data rows (0 rows; expected 1..)",
    "header_only.csv": "header_only.csv: check not_empty failed: no data rows (0 rows; expected 1..)",
    "missing_column.csv": "missing_column.csv: check columns_present failed: required column(s) missing: TGL_LHR",
    "wrong_delimiter.csv": "wrong_delimiter.csv: check rows_match_header failed: most rows do not split into the "
                           "header's columns (wrong delimiter?) (2 rows)",
}


@pytest.mark.parametrize("name", sorted(BLOCKED))
def test_unusable_files_stop_with_one_line_naming_file_and_check(name):
    with pytest.raises(FileBlocked) as blocked:
        population(name)
    assert str(blocked.value) == BLOCKED[name]
    assert "\n" not in str(blocked.value)


def test_a_file_cut_to_half_of_last_semesters_rows_is_blocked_and_the_tolerance_is_configuration():
    with pytest.raises(FileBlocked, match=r"good.csv: check volume_vs_previous_semester failed: .* \(3 rows; expected 4..8\)"):
        population("good.csv", previous_rows=6)
    assert population("good.csv", previous_rows=6, policy=ValidationPolicy(volume_tolerance=0.5)).rows_in == 3
    checks = {c.check.name for c in population("good.csv").checks}
    assert "volume_vs_previous_semester" not in checks  # no baseline: not evaluated rather than passed


def test_outcomes_are_configuration():
    policy = ValidationPolicy(outcomes={"population.nik_region_known": Outcome.QUARANTINE})
    result = population("unknown_region_code.csv", policy=policy)
    assert by_row(result.quarantine, "reasons")[2] == "NIK prefix is no current or historical Kemendagri kecamatan"
    with pytest.raises(FileBlocked, match="check nik_16_digits failed"):
        population("nik_15_and_17_digits.csv", policy=ValidationPolicy(outcomes={"population.nik_16_digits": Outcome.BLOCK}))


def test_repairs_keep_the_original_and_the_typed_value():
    result = population("nik_apostrophe.csv")
    row = result.accepted.set_index("source_row").loc[1]
    assert row["nik"] == "3323015508950001" and row["nik_delivered"] == "'3323015508950001"
    dates = population("three_date_formats.csv").accepted.set_index("source_row")
    assert dates.loc[2, "birth_date"] == pd.Timestamp("1980-03-12") and dates.loc[2, "birth_date_delivered"] == "12-03-1980"


def test_quarantine_keeps_the_row_as_delivered():
    result = population("february_30.csv")
    assert json.loads(result.quarantine.iloc[0]["original"])["TGL_LHR"] == "1995-02-30"


def test_encodings_and_header_spellings_are_read(tmp_path):
    assert population("latin1_names.csv").accepted.iloc[0]["name"] == "SITI AMÍNAH"
    assert population("utf8_bom.csv").accepted.iloc[0]["nik"] == "3323015508950001"
    text = (CORPUS / "good.csv").read_text()
    path = tmp_path / "population.csv"
    path.write_text(text.replace("NAMA_LGKP", "Nama Lengkap").replace("TGL_LHR", "tgl lahir dkb").replace("NIK,", "No KTP,", 1))
    result = ingest(POPULATION, path, SEMESTER, header_aliases={"TGL_LAHIR_DKB": "TGL_LHR"})
    assert len(result.accepted) == 3 and result.accepted.iloc[0]["name"] == "SITI AMINAH"


def test_xlsx_first_or_named_sheet_and_parquet_read_like_csv(tmp_path):
    frame = pd.read_csv(CORPUS / "good.csv", dtype=str)
    frame["TGL_LHR"] = pd.to_datetime(frame["TGL_LHR"])  # Excel and Parquet keep dates as dates
    frame["NO_KAB"] = frame["NO_KAB"].astype(int)
    with pd.ExcelWriter(tmp_path / "population.xlsx") as writer:
        frame.head(1).to_excel(writer, sheet_name="catatan", index=False)
        frame.to_excel(writer, sheet_name="DKB", index=False)
    frame.to_parquet(tmp_path / "population.parquet")
    expected = population("good.csv").accepted.drop(columns="birth_date_delivered")
    for path, sheet in ((tmp_path / "population.xlsx", "DKB"), (tmp_path / "population.parquet", None)):
        got = ingest(POPULATION, path, SEMESTER, sheet=sheet).accepted.drop(columns="birth_date_delivered")
        pd.testing.assert_frame_equal(got, expected)
    assert ingest(POPULATION, tmp_path / "population.xlsx", SEMESTER).rows_in == 1  # the first sheet by default
    with pytest.raises(FileRejected, match="population.xlsx: Worksheet named 'nope' not found"):
        ingest(POPULATION, tmp_path / "population.xlsx", SEMESTER, sheet="nope")


def test_unsupported_file_types_are_rejected(tmp_path):
    (tmp_path / "population.txt").write_text("NIK\n")
    with pytest.raises(FileRejected, match="population.txt: unsupported file type '.txt'"):
        ingest(POPULATION, tmp_path / "population.txt", SEMESTER)


@pytest.mark.parametrize("name, message", [("population.xlsx", "File is not a zip file"),
                                           ("population.parquet", "Parquet magic bytes not found")])
def test_a_damaged_workbook_or_parquet_file_is_rejected_with_its_name(tmp_path, name, message):
    (tmp_path / name).write_text("not what the name says")
    with pytest.raises(FileRejected, match=f"{name}: .*{message}"):
        ingest(POPULATION, tmp_path / name, SEMESTER)


VOTER_HEADER = ("TPS,NKK,NIK,NAMA,TEMPAT_LAHIR,TANGGAL_LAHIR,USIA,JENIS_KELAMIN,STATUS_PERKAWINAN,ALAMAT,RT,RW,"
                "DISABILITAS,KETERANGAN,KELURAHAN,KECAMATAN,KABUPATEN")
VOTER = "1,3323010106090001,'3323015508950001,SITI AMINAH,TEMANGGUNG,15-08-1995,28,P,S,DUSUN 3,009,004,,,KEL. BULU,BULU,KAB. TEMANGGUNG"


def test_voter_rows_with_broken_niks_are_kept_and_flagged_unresolvable_regions_quarantined(tmp_path):
    rows = [VOTER, VOTER.replace("KEL. BULU", "ATLANTIS"), VOTER.replace("'3323015508950001", "3.32301E+15"),
            VOTER.replace("'3323015508950001", "").replace("15-08-1995", ""), VOTER.replace(",S,", ",X,")]
    path = tmp_path / "voters.csv"
    path.write_text("\n".join([VOTER_HEADER, *rows]) + "\n")
    result = ingest(VOTERS, path, SEMESTER, kabupaten_codes=["33.23"])
    assert by_row(result.quarantine, "reasons") == {
        2: "KELURAHAN/KECAMATAN resolve to no desa of the kabupaten",
        4: "neither a NIK nor a birth date to find the person by"}
    assert by_row(result.accepted, "flags") == {3: UNRELIABLE, 5: "STATUS_PERKAWINAN not in its value set"}
    accepted = result.accepted.set_index("source_row")
    assert accepted.loc[1, "desa_code"] == "33.23.01.2001" and accepted.loc[1, "nik_status"] == "repaired"
    assert accepted.loc[3, "nik_status"] == "unreliable"


def test_check_examples_and_data_docs_show_no_personal_data_and_render_offline(tmp_path):
    result = population("nik_15_and_17_digits.csv", docs_dir=tmp_path / "docs")
    failing = next(c for c in result.checks if c.check.name == "nik_16_digits")
    assert failing.examples == [("999999999999999", 1), ("99999999999999999", 1)]
    pages = list((tmp_path / "docs").rglob("*.html"))
    assert result.docs_index == tmp_path / "docs" / "index.html" and len(pages) >= 3
    for page in pages:
        html = page.read_text()
        assert "332301550895001" not in html and "SITI" not in html and "BUDI" not in html
        assert not re.search(r"<(link|script)[^>]+(href|src)=\"https?://", html), page
        for asset in re.findall(r"(?:href|src)=\"([^\"]*vendor/[^\"]+)\"", html):
            assert (page.parent / asset).resolve().is_file(), asset
