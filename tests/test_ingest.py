"""The corpus of bad inputs (tests/corpus/): each file gets exactly the outcome written here, and nothing is lost."""

import csv
import gzip
import io
import json
import re
import struct
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from expectations.checks import Outcome
from pemadanan.ingest import POPULATION, VOTERS, FileRejected, ingest, read_table
from pemadanan.validation import FileBlocked, ValidationPolicy

CORPUS = Path(__file__).parent / "corpus"
SEMESTER = "2024-S1"
TRUNCATED = "number of fields differs from the header (a truncated line, or an unquoted delimiter)"
UNRELIABLE = "NIK unreliable: Excel scientific notation or zeroed serial"
UNREADABLE = "unreadable bytes in the row (a NUL, or bytes that are not UTF-8 where the rest of the file is)"


# The corpus files are a few rows each, one bad: the share a real file may lose is tested on its own.
EVERY_ROW_MAY_FAIL = ValidationPolicy(max_quarantined_share=1.0)


def population(name: str, **options):
    return ingest(POPULATION, CORPUS / name, SEMESTER, **{"policy": EVERY_ROW_MAY_FAIL, **options})


def by_row(frame: pd.DataFrame, column: str) -> dict[int, str]:
    return {int(row): value for row, value in zip(frame["source_row"], frame[column], strict=True) if pd.notna(value)}


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
    "three_date_formats.csv": (3, {}, {}, {}),  # a date's format is read, not repaired
    "future_birth_date.csv": (2, {2: "TGL_LHR after the semester's reference date"}, {}, {}),
    # Row 3's NIK carries Merauke's code from before the 2022 Papua split (91.01, now 93.01): not flagged.
    "unknown_region_code.csv": (3, {1: "NO_PROP/NO_KAB/NO_KEC/NO_KEL is no desa in the Kemendagri table"},
                                {2: "NIK prefix is no current or historical Kemendagri kecamatan"}, {}),
    "truncated_last_line.csv": (3, {3: TRUNCATED}, {}, {}),
    "too_many_fields.csv": (2, {2: TRUNCATED}, {}, {}),
    "nul_byte.csv": (3, {2: UNREADABLE}, {}, {}),  # a NUL would cut "BUDI\0SANTOSO" to "BUDI"
    "mixed_encoding.csv": (3, {2: UNREADABLE}, {}, {}),  # UTF-8, but row 2 was typed in Windows-1252
    "utf16_tabs.csv": (3, {}, {}, {}),  # Excel's "Unicode text"
    # UTF-16 without its BOM (a tool that writes none): ASCII read as UTF-8 would be N\0I\0K\0..., no column found.
    "utf16le_no_bom.csv": (3, {}, {}, {}),
    "utf16be_no_bom.csv": (2, {}, {}, {}),
    "mac_line_endings.csv": (3, {}, {}, {}),  # Excel for Mac's "CSV (Macintosh)": lines end in CR alone
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
                           "header's columns (wrong delimiter?) (2 of 2 rows)",
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


def test_dagster_shows_a_check_that_could_not_run_as_skipped_not_passed(tmp_path, monkeypatch, fresh_database):
    """The first semester has no baseline for the volume check, and no deaths file was delivered: those checks yield
    no result, and Dagster resolves them, planned in a run that succeeded, to SKIPPED (what the UI shows)."""
    import asyncio
    import shutil

    import dagster as dg
    from dagster._core.loader import LoadingContextForTest
    from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionResolvedStatus as Status

    from assets import ingest as ingest_assets
    from assets.partitions import partition_key
    from pemadanan import warehouse
    from pipelines.definitions import defs

    for semester in ("2024-S1", "2024-S2"):
        (tmp_path / "landing" / semester / "33.23").mkdir(parents=True)
        shutil.copy(CORPUS / "good.csv", tmp_path / "landing" / semester / "33.23" / "population.csv")
    monkeypatch.setenv("PEMADANAN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PEMADANAN_LANDING_DIR", str(tmp_path / "landing"))
    monkeypatch.setenv("PEMADANAN_WAREHOUSE_URL", fresh_database("checks"))  # nothing published yet
    volume = dg.AssetCheckKey(dg.AssetKey("population"), "volume_vs_previous_semester")
    deaths_columns = dg.AssetCheckKey(dg.AssetKey("deaths"), "columns_present")

    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("semester", ["2024-S1", "2024-S2"])
        instance.add_dynamic_partitions("wilayah", ["33.23"])

        def statuses(semester: str) -> dict[dg.AssetCheckKey, Status]:
            dg.materialize([ingest_assets.population, ingest_assets.deaths], partition_key=partition_key(semester, "33.23"),
                           instance=instance, resources={**defs.resources, "io_manager": dg.mem_io_manager},
                           raise_on_error=False)
            records = instance.event_log_storage.get_latest_asset_check_execution_by_key([volume, deaths_columns])
            return {key: asyncio.run(records[key].resolve_status(LoadingContextForTest(instance)))
                    for key in (volume, deaths_columns)}

        assert statuses("2024-S1") == {volume: Status.SKIPPED, deaths_columns: Status.SKIPPED}
        monkeypatch.setattr(warehouse, "previous_rows_in", lambda *args: 3)  # as many rows published in 2024-S1
        assert statuses("2024-S2")[volume] == Status.SUCCEEDED
        monkeypatch.setattr(warehouse, "previous_rows_in", lambda *args: 6)  # the file is half of 2024-S1's
        assert statuses("2024-S2")[volume] == Status.FAILED


def test_outcomes_are_configuration():
    policy = ValidationPolicy(outcomes={"population.nik_region_known": Outcome.QUARANTINE}, max_quarantined_share=1.0)
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
    assert population("utf16be_no_bom.csv").accepted.iloc[0]["name"] == "SITI AMÍNAH"
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


def test_every_record_of_a_messy_csv_keeps_its_place_and_its_cells(tmp_path):
    """Short and overlong lines, quoted fields holding the delimiter and line breaks, doubled quotes, blank lines
    and lines of spaces, CRLF: each file is read record for record as Python's csv module reads it, a short
    record keeping its cells and an overlong one none (it cannot be placed)."""
    import csv
    import io
    import random

    rng = random.Random(3)
    header, *rows = (CORPUS / "good.csv").read_text().splitlines()
    width = len(header.split(","))
    for number in range(60):
        lines = [header]
        for _ in range(rng.randint(1, 25)):
            cells = rng.choice(rows).split(",")
            kind = rng.random()
            if kind < 0.1:
                cells = cells[:rng.randint(1, width - 1)]
            elif kind < 0.2:
                cells += ["X"] * rng.randint(1, 3)
            elif kind < 0.3:
                at = rng.randrange(width)
                cells[at] = f'"{cells[at]},\n{cells[at]}"'
            elif kind < 0.35:
                cells[rng.randrange(width)] = '"SITI ""IMAH"" AMINAH"'
            elif kind < 0.45:
                lines.append(rng.choice(["", "   "]))
            lines.append(",".join(cells))
        path = tmp_path / f"population_{number}.csv"
        path.write_bytes(rng.choice(["\n", "\r\n"]).join(lines).encode() + rng.choice([b"", b"\n"]))

        records = [r for r in csv.reader(io.StringIO(path.read_text(), newline="")) if len(r) > 1 or r and r[0].strip()][1:]
        expected = pd.DataFrame([r + [None] * (width - len(r)) if len(r) <= width else [None] * width for r in records],
                                dtype="string")
        read = read_table(path)
        assert read["source_row"].tolist() == list(range(1, len(records) + 1)), path.name
        assert read["fields_delivered"].tolist() == [len(r) for r in records], path.name
        pd.testing.assert_frame_equal(read.iloc[:, 2:].set_axis(range(width), axis=1), expected, obj=path.name)


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
    result = ingest(VOTERS, path, SEMESTER, kabupaten="33.23", policy=EVERY_ROW_MAY_FAIL)
    assert by_row(result.quarantine, "reasons") == {
        2: "KELURAHAN/KECAMATAN resolve to no desa of the kabupaten",
        4: "neither a NIK nor a birth date to find the person by"}
    assert by_row(result.accepted, "flags") == {3: UNRELIABLE, 5: "STATUS_PERKAWINAN not in its value set"}
    accepted = result.accepted.set_index("source_row")
    assert accepted.loc[1, "desa_code"] == "33.23.01.2001" and accepted.loc[1, "nik_status"] == "repaired"
    assert accepted.loc[3, "nik_status"] == "unreliable"


def test_check_examples_and_data_docs_show_no_personal_data_and_render_offline(tmp_path):
    result = population("nik_15_and_17_digits.csv", docs_dir=tmp_path / "docs", previous_rows=2)
    failing = next(c for c in result.checks if c.check.name == "nik_16_digits")
    assert failing.examples == [("999999999999999", 1), ("99999999999999999", 1)]
    pages = list((tmp_path / "docs").rglob("*.html"))
    assert result.docs_index == tmp_path / "docs" / "index.html" and len(pages) >= 3
    for page in pages:
        html = page.read_text()
        assert "332301550895001" not in html and "SITI" not in html and "BUDI" not in html
        # Nothing the page loads comes from off this machine (GX's logo was on S3), and no GX newsletter footer.
        assert not re.search(r"<(link|script|img)[^>]+(href|src)=\"https?://|url\(['\"]?https?://", html), page
        assert "newsletter" not in html.lower() and "ge-cta-footer\"" not in html, page
        for asset in re.findall(r"(?:href|src)=\"([^\"]*(?:vendor|static)/[^\"]+)\"", html):
            assert (page.parent / asset).resolve().is_file(), asset
        assert "$PARAMETER" not in html, page  # parameters are shown by their values
    suites = {page.stem: page.read_text() for page in (tmp_path / "docs" / "expectations").rglob("*.html")}
    assert "2024-06-30" in suites["rows"]  # the birth date limit: 2024-S1's reference date
    assert re.search(r"\b1</span> and less than or equal to <span[^>]*>3</span> rows", suites["structure"])  # 2 rows +- 20%


def test_one_bad_byte_spoils_its_row_only_not_the_decoding_of_the_whole_file():
    names = population("mixed_encoding.csv").accepted.set_index("source_row")["name"]
    assert names.to_dict() == {1: "SITI AMÍNAH", 3: "NUR HALIZA"}  # not re-read as Windows-1252: "AMÃ\x8dNAH"


def test_a_column_delivered_twice_is_refused_not_read_from_its_first_copy(tmp_path):
    with pytest.raises(FileRejected, match="duplicate_header_exact.csv: the header names NIK more than once"):
        population("duplicate_header_exact.csv")
    frame = pd.read_csv(CORPUS / "good.csv", dtype=str)
    frame.insert(1, "No KTP", frame["NIK"])  # an alias of NIK beside NIK
    frame.to_excel(tmp_path / "population.xlsx", index=False)
    with pytest.raises(FileRejected, match="population.xlsx: the header names NIK more than once"):
        ingest(POPULATION, tmp_path / "population.xlsx", SEMESTER)


def test_a_file_with_most_rows_quarantined_is_blocked_and_the_share_is_configuration():
    with pytest.raises(FileBlocked, match=r"swapped_header_labels.csv: check quarantined_share failed: more than 5% "
                                          r"of the rows quarantined.* \(3 of 3 rows\)"):
        ingest(POPULATION, CORPUS / "swapped_header_labels.csv", SEMESTER)
    with pytest.raises(FileBlocked, match=r"\(1 of 3 rows\)"):
        ingest(POPULATION, CORPUS / "nul_byte.csv", SEMESTER)
    assert ingest(POPULATION, CORPUS / "nul_byte.csv", SEMESTER, policy=ValidationPolicy(max_quarantined_share=0.5)).rows_in == 3


def test_an_oversized_field_quarantines_its_row(tmp_path):
    lines = (CORPUS / "good.csv").read_text().splitlines()
    lines[2] = lines[2].replace("BUDI SANTOSO", '"' + "B" * 1_000_000 + '"')  # quoted: read by the csv module too
    (tmp_path / "population.csv").write_text("\n".join(lines) + "\n")
    result = ingest(POPULATION, tmp_path / "population.csv", SEMESTER, policy=EVERY_ROW_MAY_FAIL)
    assert by_row(result.quarantine, "reasons") == {2: "a field longer than 1,000 characters"}


def test_a_csv_pyarrow_cannot_parse_is_rejected_by_name_without_quoting_its_records(tmp_path, monkeypatch):
    """No file found here makes pyarrow fail in one block; should a release do so, its message, which quotes the
    record, must not reach the run's error."""
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    def fail(*args, **kwargs):
        raise pa.ArrowInvalid("CSV parse error: 'BUDI SANTOSO,3323010106090001'")
    monkeypatch.setattr(pa_csv, "read_csv", fail)
    with pytest.raises(FileRejected, match=r"^good.csv: not readable as CSV$") as rejected:
        ingest(POPULATION, CORPUS / "good.csv", SEMESTER)
    assert rejected.value.__cause__ is None and rejected.value.__suppress_context__


def test_niks_stored_as_floats_beyond_2_to_the_53_are_flagged_never_rounded_into_another_nik(tmp_path):
    frame = pd.read_csv(CORPUS / "good.csv", dtype=str)
    # Papua Selatan (93): 9301015508950001 is not a float64; it would come back as 9301015508950000.
    frame["NIK"] = frame["NIK"].str.replace("3323", "9301", n=1).astype("float64")
    frame.to_parquet(tmp_path / "population.parquet")
    result = ingest(POPULATION, tmp_path / "population.parquet", SEMESTER, policy=EVERY_ROW_MAY_FAIL)
    assert len(result.accepted) == 3 and (result.accepted["nik_status"] == "unreliable").all()  # never trusted
    assert (result.accepted["flags"] == UNRELIABLE).all()
    assert result.accepted["nik_delivered"].str.fullmatch(r"9\.\d{15}e\+15").all()  # what arrived, as it arrived


def test_a_header_line_overwritten_by_a_record_shows_that_record_nowhere(tmp_path):
    """A first line naming one known column, a record's values in the others (a record pasted over the header, past
    its first cell): the check's result, its metadata and the Data Docs show the unknown names by their shapes."""
    lines = (CORPUS / "good.csv").read_text().splitlines()
    first = ("NIK,3323010106090001,SITI AMINAH,2,TEMANGGUNG,1995-08-15,1,3,4,5,DUSUN KRAJAN,9,6,KRAJAN,56253,33,23,7,"
             "2001")  # no value twice
    (tmp_path / "population.csv").write_text("\n".join([first, *lines[2:]]) + "\n")
    with pytest.raises(FileBlocked) as blocked:
        ingest(POPULATION, tmp_path / "population.csv", SEMESTER, docs_dir=tmp_path / "docs")
    shown = str(blocked.value) + " ".join(str(o.observed) for o in blocked.value.outcomes)
    shown += " ".join(p.read_text() for p in (tmp_path / "docs").rglob("*.html"))
    assert "columns_present failed" in str(blocked.value) and "9999999999999999" in shown
    # A record repeating a value reads as a header naming a column twice: refused, by shapes too.
    (tmp_path / "population.csv").write_text("\n".join([first.replace("TEMANGGUNG", "KRAJAN"), *lines[2:]]) + "\n")
    with pytest.raises(FileRejected) as rejected:
        ingest(POPULATION, tmp_path / "population.csv", SEMESTER)
    shown += str(rejected.value)
    assert "AAAAAA" in str(rejected.value) and "KRAJAN" not in str(rejected.value)
    for personal in ("3323010106090001", "SITI", "AMINAH", "1995-08-15"):
        assert personal not in shown, personal


def test_a_name_in_a_code_column_is_shown_by_its_shape(tmp_path):
    lines = (CORPUS / "good.csv").read_text().splitlines()
    lines[1] = lines[1].replace(",2,TEMANGGUNG,", ",SITI AMINAH,TEMANGGUNG,", 1)  # JENIS_KLMIN holds a name
    (tmp_path / "population.csv").write_text("\n".join(lines) + "\n")
    result = ingest(POPULATION, tmp_path / "population.csv", SEMESTER, policy=EVERY_ROW_MAY_FAIL)
    examples = [e for o in result.checks for e in o.examples]
    assert ("AAAA AAAAAA", 1) in examples and not any("SITI" in value for value, _ in examples)


def test_whole_number_cells_are_read_and_anything_else_is_missing_not_guessed():
    from pemadanan.ingest import _whole_number

    cells = pd.Series(["7", " 07 ", "7.0", "7.5", "-3", "1e3", "RT 7", "", None], dtype="string")
    assert _whole_number(cells).tolist() == [7, 7, 7, pd.NA, pd.NA, pd.NA, pd.NA, pd.NA, pd.NA]


def test_a_number_cell_read_as_empty_is_flagged_not_emptied_silently(tmp_path):
    frame = pd.read_csv(CORPUS / "good.csv", dtype=str, keep_default_na=False)
    frame.loc[0, "NO_RT"] = "9.5"
    frame.loc[1, "AGAMA"] = "ISLAM"
    frame.loc[2, "NO_RW"] = ""  # empty is missing, not wrong
    frame.to_csv(tmp_path / "population.csv", index=False)
    result = ingest(POPULATION, tmp_path / "population.csv", SEMESTER, policy=EVERY_ROW_MAY_FAIL)
    reason = "NO_RT/NO_RW/AGAMA/STAT_HBKEL: a value that is no whole number (kept empty)"
    assert by_row(result.accepted, "flags") == {1: reason, 2: reason}
    assert result.accepted["rt"].isna().tolist() == [True, False, False]
    assert result.accepted["religion"].isna().tolist() == [False, True, False]


def test_the_failing_rows_of_every_kind_of_row_check_are_those_gx_counts():
    """`failing_rows` locates what GX only counts; FileValidation raises where the two disagree, so this runs one
    check of each expectation kind over missing values, bounds and duplicates."""
    from expectations.checks import Check
    from pemadanan.validation import FileValidation

    frame = pd.DataFrame({
        "source_row": [1, 2, 3, 4, 5, 6],
        "code": pd.Series(["1", None, "9", "2", "1", "x"], dtype="string"),
        "born": pd.to_datetime(["2000-01-01", None, "2030-01-01", "2024-06-30", "1990-05-05", "2024-07-01"]),
        "sex": pd.Series(["L", "P", None, "L", "P", "L"], dtype="string"),
        "nik_sex": pd.Series(["L", "L", "P", None, "P", "P"], dtype="string"),
        "ok": pd.array([True, None, False, True, True, False], dtype="boolean")})
    q = Outcome.QUARANTINE
    checks = [
        Check("present", "", "ExpectColumnValuesToNotBeNull", {"column": "code"}, q),
        Check("digit", "", "ExpectColumnValuesToMatchRegex", {"column": "code", "regex": r"^\d$"}, q),
        Check("known", "", "ExpectColumnValuesToBeInSet", {"column": "code", "value_set": ["1", "2"]}, q),
        Check("true", "", "ExpectColumnValuesToBeInSet", {"column": "ok", "value_set": [True]}, q),
        Check("not_future", "", "ExpectColumnValuesToBeBetween",
              {"column": "born", "max_value": {"$PARAMETER": "reference_date"}}, q, None, ("reference_date",)),
        Check("unique", "", "ExpectColumnValuesToBeUnique", {"column": "code"}, q),
        Check("agrees", "", "ExpectColumnPairValuesToBeEqual",
              {"column_A": "nik_sex", "column_B": "sex", "ignore_row_if": "either_value_is_missing"}, q),
    ]
    validation = FileValidation("voters", SEMESTER, "voters.csv", ValidationPolicy())
    outcomes = validation.run("rows", frame, checks, {"reference_date": pd.Timestamp("2024-06-30")})
    assert {o.check.name: o.failing_rows.tolist() for o in outcomes} == {
        "present": [2], "digit": [6], "known": [3, 6], "true": [3, 6], "not_future": [3, 6], "unique": [1, 5],
        "agrees": [2, 6]}


def test_gx_fingerprints_no_batch():
    """GX's md5 of every batch cost 5-8 s per semester at a million residents for a marker nothing reads; a GX
    release that moves its switch shows here, not as a slower run."""
    from pemadanan.validation import FileValidation

    validation = FileValidation("population", SEMESTER, "population.csv", ValidationPolicy())
    validation.run("rows", pd.DataFrame({"source_row": [1, 2]}), [], {})
    stored = validation.context.validation_results_store
    markers = [stored.get(key).meta.get("batch_markers", {}) for key in stored.list_keys()]
    assert markers and all("pandas_data_fingerprint" not in m for m in markers)


def _workbook_bytes(tmp_path) -> bytes:
    pd.read_csv(CORPUS / "good.csv", dtype=str).to_excel(tmp_path / "book.xlsx", index=False)
    return (tmp_path / "book.xlsx").read_bytes()


def _parquet_bytes(tmp_path) -> bytes:
    pd.read_csv(CORPUS / "good.csv", dtype=str).to_parquet(tmp_path / "table.parquet")
    return (tmp_path / "table.parquet").read_bytes()


@pytest.mark.parametrize("name, content, message", [
    ("population.csv", _workbook_bytes,
     "population.csv is a ZIP archive (an XLSX saved under a .csv name?): save the sheet as CSV, or deliver the "
     "workbook as .xlsx"),
    ("population.csv", lambda _: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504),
     "population.csv is an old Excel workbook (XLS) or a password-protected one: save the sheet as CSV, or as XLSX "
     "without a password"),
    ("population.xlsx", lambda _: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504),
     "population.xlsx is an old Excel workbook (XLS) or a password-protected one: save the sheet as CSV, or as XLSX "
     "without a password"),
    ("population.csv", _parquet_bytes, "population.csv is a Parquet file: deliver it as .parquet"),
    ("population.parquet", _workbook_bytes,
     "population.parquet is a ZIP archive (an XLSX saved under a .parquet name?): save the sheet as CSV, or deliver "
     "the workbook as .xlsx"),
    ("population.csv", lambda _: gzip.compress((CORPUS / "good.csv").read_bytes()),
     "population.csv is a gzip archive: unpack it and deliver what it holds"),
])
def test_a_file_that_is_another_format_than_its_name_says_is_rejected_by_what_it_is(tmp_path, name, content, message):
    """Found by its first bytes, before any parser sees it: a parser's error names no file, or quotes the bytes."""
    (tmp_path / name).write_bytes(content(tmp_path))
    with pytest.raises(FileRejected) as rejected:
        ingest(POPULATION, tmp_path / name, SEMESTER)
    assert str(rejected.value) == message


@pytest.mark.parametrize("error", [csv.Error("line contains NUL"), csv.Error("field larger than field limit (131072)")])
def test_a_header_line_the_csv_module_cannot_parse_is_rejected_by_name_without_quoting_it(monkeypatch, error):
    def fail(*args, **kwargs):
        raise error
    monkeypatch.setattr(csv, "reader", fail)
    with pytest.raises(FileRejected, match=r"^good.csv: not readable as CSV$") as rejected:
        ingest(POPULATION, CORPUS / "good.csv", SEMESTER)
    assert rejected.value.__cause__ is None and rejected.value.__suppress_context__


POPULATION_HEADER = ("NIK, NO_KK, NAMA_LGKP, JENIS_KLMIN, TMPT_LHR, TGL_LHR, AGAMA, STAT_KWN, STAT_HBKEL, JENIS_PKRJN, "
                     "ALAMAT, NO_RT, NO_RW, DUSUN, KODE_POS, NO_PROP, NO_KAB, NO_KEC, NO_KEL")


KK_UNRELIABLE = "{} unreliable: Excel scientific notation or zeroed serial"


def test_niks_and_family_cards_stored_as_floats_beyond_2_to_the_53_are_never_published_as_numbers(tmp_path):
    """The rounded number is a valid-looking NIK of someone else, or of nobody: the accepted `nik`, which
    restricted.population_snapshot publishes, is empty; what arrived stays in nik_delivered (restricted.row_issues)."""
    from pemadanan.maintenance import snapshot

    frame = pd.read_csv(CORPUS / "good.csv", dtype=str)
    for column in ("NIK", "NO_KK"):  # Papua (91): above 2^53, where float64 keeps only even numbers
        frame[column] = frame[column].str.replace("3323", "9103", n=1)
    delivered = set(frame["NIK"]) | set(frame["NO_KK"])
    rounded = {f"{int(float(value)):d}" for value in delivered}
    assert rounded - delivered  # a float64 made other numbers of some
    frame[["NIK", "NO_KK"]] = frame[["NIK", "NO_KK"]].astype("float64")
    frame.to_parquet(tmp_path / "population.parquet")
    result = ingest(POPULATION, tmp_path / "population.parquet", SEMESTER, policy=EVERY_ROW_MAY_FAIL)
    accepted = result.accepted
    assert len(accepted) == 3 and accepted["nik"].isna().all() and accepted["no_kk"].isna().all()
    assert not accepted["nik"].isin(rounded).any() and snapshot(accepted)["nik"].isna().all()
    assert (accepted["flags"] == UNRELIABLE + "; " + KK_UNRELIABLE.format("NO_KK")).all()
    assert result.row_issues["nik_delivered"].str.fullmatch(r"9\.\d{15}e\+15").all()  # what arrived, as it arrived


def test_an_unreliable_nik_is_in_no_nik_column_its_digits_stay_for_linkage_alone(tmp_path):
    """A zeroed serial is one edit from the NIK, which the one-edit stage searches around (`nik_digits`) and
    confirms by name, birth date, sex and place; as a NIK it would be someone else's."""
    from pemadanan.ingest import DEATHS

    rows = [VOTER.replace("'3323015508950001", "3323015508950000"),
            VOTER.replace("'3323015508950001", "3.32301E+15").replace("3323010106090001", "3.32301E+15")]
    (tmp_path / "voters.csv").write_text("\n".join([VOTER_HEADER, *rows]) + "\n")
    voters = ingest(VOTERS, tmp_path / "voters.csv", SEMESTER, kabupaten="33.23", policy=EVERY_ROW_MAY_FAIL)
    accepted = voters.accepted.set_index("source_row")
    assert accepted["nik"].isna().all() and (accepted["nik_status"] == "unreliable").all()
    assert accepted["nik_digits"].tolist() == ["3323015508950000", "3323010000000000"]
    assert accepted["nik_delivered"].tolist() == ["3323015508950000", "3.32301E+15"]
    assert accepted.loc[1, "no_kk"] == "3323010106090001" and pd.isna(accepted.loc[2, "no_kk"])
    assert accepted.loc[2, "flags"] == UNRELIABLE + "; " + KK_UNRELIABLE.format("NKK")
    (tmp_path / "deaths.csv").write_text("NIK,NAMA_LGKP,TGL_KEMATIAN\n3323015508950000,SITI AMINAH,2024-05-01\n")
    policy = ValidationPolicy(outcomes={"deaths.nik_not_excel_mangled": Outcome.FLAG})
    deaths = ingest(DEATHS, tmp_path / "deaths.csv", SEMESTER, policy=policy).accepted
    assert deaths["nik"].isna().all() and deaths["nik_delivered"].tolist() == ["3323015508950000"]


def test_a_file_without_its_header_line_is_refused_as_such_not_for_repeating_a_value(tmp_path):
    """Its first record repeats values (KRAJAN, 2): the header's check must come before the duplicate-name check,
    whose message would show the record's shapes as column names."""
    with pytest.raises(FileRejected) as rejected:
        population("no_header.csv")
    assert str(rejected.value) == (
        "no_header.csv: the header line is missing: the first line names none of the expected columns "
        f"({POPULATION_HEADER}); a data record where the header belongs, a title line above it, or header names the "
        "header mapping does not know")
    text = "\n".join([VOTER_HEADER, VOTER]).split("\n", 1)[1]  # a voter file without its header
    (tmp_path / "voters.csv").write_text(text + "\n")
    with pytest.raises(FileRejected, match=r"^voters.csv: the header line is missing: .*\(TPS, NKK, NIK, NAMA, "):
        ingest(VOTERS, tmp_path / "voters.csv", SEMESTER, kabupaten="33.23")


def _workbook_with_sheet(tmp_path, edit) -> Path:
    """good.csv as XLSX, its first sheet's XML passed through `edit`."""
    source = io.BytesIO(_workbook_bytes(tmp_path))
    path = tmp_path / "population.xlsx"
    with zipfile.ZipFile(source) as workbook, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for member in workbook.infolist():
            data = workbook.read(member.filename)
            out.writestr(member.filename, edit(data) if member.filename == "xl/worksheets/sheet1.xml" else data)
    return path


@pytest.mark.parametrize("edit, kind", [
    (lambda xml: xml[:len(xml) // 2], "ParseError"),  # the sheet cut short
    # A number cell holding a name: openpyxl's float() would quote it
    (lambda xml: re.sub(rb'<c r="C2"[^>]*>.*?</c>', b'<c r="C2" t="n"><v>SITI AMINAH</v></c>', xml), "ValueError"),
])
def test_a_damaged_workbook_is_rejected_by_name_without_quoting_its_cells(tmp_path, edit, kind):
    path = _workbook_with_sheet(tmp_path, edit)
    with pytest.raises(FileRejected) as rejected:
        ingest(POPULATION, path, SEMESTER)
    assert str(rejected.value) == f"population.xlsx: not readable as XLSX ({kind}: a damaged or hand-made file?)"
    assert rejected.value.__cause__ is None and rejected.value.__suppress_context__


def test_a_zip_that_is_no_workbook_is_rejected_by_name(tmp_path):
    with zipfile.ZipFile(tmp_path / "population.xlsx", "w") as archive:
        archive.writestr("notes.txt", "SITI AMINAH")
    with pytest.raises(FileRejected, match=r"^population.xlsx: not readable as XLSX \(KeyError: "):
        ingest(POPULATION, tmp_path / "population.xlsx", SEMESTER)


def _declare_unpacked_size(path: Path, member: str, size: int) -> None:
    """Rewrites the unpacked size the ZIP declares for `member` (its central directory entry, which zipfile reads,
    and its local header), as a zip bomb's entry reads: no gigabytes written."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        struct.pack_into("<I", data, archive.getinfo(member).header_offset + 22, size)
    at = data.find(b"PK\x01\x02")
    while at >= 0:
        name_length = struct.unpack_from("<H", data, at + 28)[0]
        if data[at + 46:at + 46 + name_length] == member.encode():
            struct.pack_into("<I", data, at + 24, size)
        at = data.find(b"PK\x01\x02", at + 46)
    path.write_bytes(bytes(data))


def test_a_workbook_declaring_more_than_a_full_sheet_unpacked_is_refused_unread(tmp_path):
    """10 MB that unpack to 2.6 GB (4 million rows) kept openpyxl busy past 600 s."""
    path = _workbook_with_sheet(tmp_path, lambda xml: xml)
    _declare_unpacked_size(path, "xl/worksheets/sheet1.xml", 2_600_000_000)
    with pytest.raises(FileRejected, match=r"^population.xlsx: unpacks to 2,600,0\d\d,\d\d\d bytes \(as its ZIP directory "
                                           r"declares\), more than the 2,000,000,000 a full Excel sheet of these files "
                                           r"needs: refused unread \(a zip bomb\?\)$"):
        ingest(POPULATION, path, SEMESTER)


def test_a_workbook_packed_tighter_than_any_spreadsheet_is_refused_unread(tmp_path):
    path = _workbook_with_sheet(tmp_path, lambda xml: xml)
    _declare_unpacked_size(path, "xl/worksheets/sheet1.xml", 300_000_000)
    with pytest.raises(FileRejected, match=r"^population.xlsx: a part unpacks to [\d,]+ times its packed size \(as "
                                           r"its ZIP directory declares\), more than the 100 any spreadsheet packs to: "
                                           r"refused unread \(a zip bomb\?\)$"):
        ingest(POPULATION, path, SEMESTER)


def test_a_workbook_whose_sheet_declares_more_rows_than_excel_has_is_refused_unread(tmp_path):
    path = _workbook_with_sheet(tmp_path, lambda xml: re.sub(rb'<dimension ref="[^"]+"', b'<dimension ref="A1:S4000001"',
                                                             xml))
    with pytest.raises(FileRejected, match=r"^population.xlsx: a sheet declares 4,000,001 rows, more than Excel's "
                                           r"1,048,576: refused unread \(not written by Excel; a zip bomb\?\)$"):
        ingest(POPULATION, path, SEMESTER)


def test_parquet_and_csv_files_beyond_what_the_largest_kabupaten_needs_are_refused_unread(tmp_path, monkeypatch):
    from pemadanan import ingest as module

    pd.read_csv(CORPUS / "good.csv", dtype=str).to_parquet(tmp_path / "population.parquet")
    monkeypatch.setattr(module, "MAX_ROWS", 2)
    with pytest.raises(FileRejected, match=r"^population.parquet: 3 rows \(as its footer declares\), more than the 2 "
                                           r"the largest kabupaten needs: refused unread$"):
        ingest(POPULATION, tmp_path / "population.parquet", SEMESTER)
    monkeypatch.setattr(module, "MAX_FILE_BYTES", 100)
    size = (CORPUS / "good.csv").stat().st_size
    with pytest.raises(FileRejected, match=rf"^good.csv: {size:,} bytes, more than the 100 the largest kabupaten's file "
                                           r"needs: refused unread$"):
        ingest(POPULATION, CORPUS / "good.csv", SEMESTER)


NIK_NKK_SWAPPED = ("check nik_column_holds_niks failed: most rows' NIK does not carry the row's birth date: the NIK "
                   "column seems to hold family card numbers (NIK and NKK swapped?)")


def test_a_person_file_with_nik_and_family_card_headers_swapped_is_blocked(tmp_path):
    """A family card number carries the date the card was recorded, not a birth date. Voters' NIK checks only flag,
    so such a list was accepted, every row flagged, and linkage ran on card numbers."""
    rows = [VOTER, VOTER.replace("SITI AMINAH", "SITI A."), VOTER.replace("1,3323", "2,3323", 1)]
    (tmp_path / "voters.csv").write_text("\n".join([VOTER_HEADER.replace("NKK,NIK", "NIK,NKK"), *rows]) + "\n")
    with pytest.raises(FileBlocked) as blocked:
        ingest(VOTERS, tmp_path / "voters.csv", SEMESTER, kabupaten="33.23")
    assert str(blocked.value) == f"voters.csv: {NIK_NKK_SWAPPED} (3 of 3 rows)"
    text = (CORPUS / "good.csv").read_text()
    (tmp_path / "population.csv").write_text(text.replace("NIK,NO_KK", "NO_KK,NIK", 1))
    with pytest.raises(FileBlocked, match=re.escape(f"population.csv: {NIK_NKK_SWAPPED} (3 of 3 rows)")):
        ingest(POPULATION, tmp_path / "population.csv", SEMESTER)
    # A NIK whose birth date disagrees with the row's on a few rows is a row's fault, flagged: one of three here.
    lines = text.splitlines()
    lines[1] = lines[1].replace("1995-08-15", "1996-08-15")
    (tmp_path / "population.csv").write_text("\n".join(lines) + "\n")
    result = ingest(POPULATION, tmp_path / "population.csv", SEMESTER)
    assert by_row(result.accepted, "flags") == {1: "birth date in NIK disagrees with the birth date column"}
