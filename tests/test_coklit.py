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


WRITE_200_DESA = """
import sys
from pathlib import Path

import pandas as pd

from pemadanan import coklit

people = pd.DataFrame({"desa_code": [f"33.23.01.{2001 + i % 200}" for i in range(6000)],
                       "name": [f"NAMA {i}" for i in range(6000)], "address": "DUSUN KRAJAN RT 1 RW 2", "age": 40})
try:
    coklit.write_lists(people, Path(sys.argv[1]), "run1")
except OSError as error:  # as the asset's failure shows it
    print(error, file=sys.stderr)
    sys.exit(1)
"""


def limit_file_size() -> None:
    """In the child: no file may grow past 4 KB (an XLSX is larger), and writing past that fails with EFBIG rather
    than killing the process."""
    import resource
    import signal

    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))


@pytest.mark.parametrize("fault", ["full_disk", "file_size_limit"])
def test_a_full_disk_is_one_line_naming_the_folder_and_why_and_nothing_before_it(tmp_path, fault):
    import os
    import subprocess
    import sys
    from pathlib import Path

    disk = tmp_path / "disk"
    disk.mkdir()
    if fault == "full_disk":  # 64 KB: full after a few desa of 200
        if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(disk)],
                                               capture_output=True).returncode != 0:
            pytest.skip("mounting a small tmpfs needs root")
    folder = disk / "coklit" / "2024-S1" / "33.23"
    try:
        env = {**os.environ, "PYTHONPATH": str(Path(coklit.__file__).parents[1]), "PYTHONDONTWRITEBYTECODE": "1"}
        done = subprocess.run([sys.executable, "-c", WRITE_200_DESA, str(folder)], capture_output=True, text=True,
                              env=env, timeout=120, preexec_fn=limit_file_size if fault == "file_size_limit" else None)
        leftovers = sorted(p.name for p in folder.parent.iterdir())
    finally:
        if fault == "full_disk":
            subprocess.run(["umount", str(disk)], check=True)
    reason = "No space left on device" if fault == "full_disk" else "File too large"
    assert done.returncode == 1
    assert done.stderr.splitlines()[0] == f"[Errno {28 if fault == 'full_disk' else 27}] coklit lists not written to " \
                                          f"{folder}: {reason}; the lists written before, if any, are kept"
    assert len(done.stderr) < 300 and len(done.stderr.splitlines()) == 1  # no Rust drop or panic lines
    assert leftovers == []  # no staging copy, no half-written lists
