"""The coklit lists on disk: private to the operator, no formula in any cell, all or nothing."""

import stat

import openpyxl
import pandas as pd
import pytest

from pemadanan import coklit

PEOPLE = pd.DataFrame({"desa_code": ["33.23.01.2001", "33.23.01.2001", "33.23.01.2002"],
                       "name": ['=HYPERLINK("http://x.example","KLIK")', "SITI AMINAH", "@SUM(1+1)"],
                       "address": ["+62 DUSUN KRAJAN", "-", "DUSUN KRAJAN"], "age": [40, 51, -1]})


def test_no_cell_is_a_formula_in_the_csv_or_the_xlsx(tmp_path):
    folder = tmp_path / "coklit" / "2024-S1"
    coklit.write_lists(PEOPLE, folder, "run1")
    csv = pd.read_csv(folder / "33.23.01.2001.csv", dtype=str)
    assert csv["name"].tolist() == ['\'=HYPERLINK("http://x.example","KLIK")', "SITI AMINAH"]
    assert csv["address"].tolist() == ["'+62 DUSUN KRAJAN", "'-"]
    sheet = openpyxl.load_workbook(folder / "33.23.01.2002.xlsx").active
    cells = {cell.value: cell.data_type for row in sheet.iter_rows(min_row=2) for cell in row}
    assert cells["'@SUM(1+1)"] == "s"  # text, not a formula
    assert cells[-1] == "n"  # numbers stay numbers


def test_every_value_reaches_the_xlsx_as_delivered(tmp_path):
    """NIKs stay text (Excel would show 3.32302E+15), missing stays empty, a desa's rows are a slice of the frame."""
    people = pd.DataFrame({"desa_code": ["33.23.01.2001", "33.23.01.2002", "33.23.01.2002", "33.23.01.2002"],
                           "nik": pd.Series(["3323015508950001", "3323010101900007", None, "0000000000000000"],
                                            dtype="string"),
                           "tps": pd.array([3, 4, None, 12], dtype="Int64"), "name": ["A", "SITI", "BUDI", "007"]})
    coklit.write_lists(people, tmp_path / "lists", "run1")
    sheet = openpyxl.load_workbook(tmp_path / "lists" / "33.23.01.2002.xlsx").active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows == [["desa_code", "nik", "tps", "name"], ["33.23.01.2002", "3323010101900007", 4, "SITI"],
                    ["33.23.01.2002", None, None, "BUDI"], ["33.23.01.2002", "0000000000000000", 12, "007"]]


def test_only_the_operator_can_read_them(tmp_path):
    folder = tmp_path / "coklit" / "2024-S1"
    coklit.write_lists(PEOPLE, folder, "run1")
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(folder.parent.stat().st_mode) == 0o700
    assert {stat.S_IMODE(p.stat().st_mode) for p in folder.iterdir()} == {0o600}


def test_a_failed_write_leaves_the_previous_lists_and_no_staging_copy(tmp_path, monkeypatch):
    folder = tmp_path / "coklit" / "2024-S1"
    coklit.write_lists(PEOPLE, folder, "run1")
    before = sorted(p.name for p in folder.iterdir())

    def full_disk(*args, **kwargs):
        raise OSError("No space left on device")
    monkeypatch.setattr(coklit, "write_xlsx", full_disk)
    with pytest.raises(OSError):
        coklit.write_lists(PEOPLE.assign(name="X"), folder, "run2")
    assert sorted(p.name for p in folder.iterdir()) == before
    assert [p.name for p in folder.parent.iterdir()] == ["2024-S1"]


def test_a_staging_folder_a_killed_run_left_is_removed_by_the_next_write(tmp_path):
    folder = tmp_path / "coklit" / "2024-S1"
    folder.parent.mkdir(parents=True)
    orphan = folder.with_name(".2024-S1.run0.999999999")  # no process has this id
    orphan.mkdir()
    (orphan / "33.23.01.2001.csv").write_text("name\nSITI AMINAH\n")
    coklit.write_lists(PEOPLE, folder, "run1")
    assert sorted(p.name for p in folder.parent.iterdir()) == ["2024-S1"]
