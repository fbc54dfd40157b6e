"""Aggregates for dashboards: counts per region, no personal data."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from pemadanan import regions

SUMMARY_LEVELS = ("kabupaten", "kecamatan", "desa")


def counts_per_region(counted: Iterable[tuple[pd.DataFrame, dict[str, pd.Series]]],
                      levels: tuple[str, ...]) -> pd.DataFrame:
    """The sum of each column per region at each of `levels`, by each frame's `desa_code`: columns of several
    frames (residents by where they live, voter rows by the desa they are listed in) side by side, 0 where a
    region has none of a frame's rows. Every level adds up to the level above. Sorted by level, then code."""
    keys = ["region_level", "region_code"]
    merged = None
    for frame, columns in counted:
        per_level = []
        for level in levels:
            codes = regions.code_at_level(frame["desa_code"], level)
            counts = pd.DataFrame(columns, index=frame.index).groupby(codes).sum()
            per_level.append(counts.rename_axis("region_code").reset_index().assign(region_level=level))
        part = pd.concat(per_level, ignore_index=True)
        merged = part if merged is None else merged.merge(part, on=keys, how="outer")
    counts = [c for c in merged.columns if c not in keys]
    merged[counts] = merged[counts].fillna(0).astype(int)
    merged["region_name"] = merged["region_code"].map(regions.region_table().set_index("code")["name"])
    order = {level: i for i, level in enumerate(levels)}
    return merged.sort_values(keys, key=lambda s: s.map(order) if s.name == "region_level" else s, ignore_index=True)


def link_summary(voters: pd.DataFrame, population: pd.DataFrame, linked_rows: pd.Series,
                 duplicate_rows: pd.Series) -> pd.DataFrame:
    """Voter rows (linked, duplicates, unlinked) and residents, per desa, kecamatan and kabupaten.
    Regions come from the voter row's desa and the resident's desa; every level adds up to the one above."""
    out = counts_per_region([
        (voters, {"voters": pd.Series(1, index=voters.index),
                  "linked": voters["source_row"].isin(linked_rows).astype(int),
                  "duplicates": voters["source_row"].isin(duplicate_rows).astype(int)}),
        (population, {"residents": pd.Series(1, index=population.index)}),
    ], SUMMARY_LEVELS)
    out["unlinked"] = out["voters"] - out["linked"] - out["duplicates"]
    out["link_rate"] = (out["linked"] / out["voters"]).where(out["voters"] > 0).round(4)
    return out[["region_level", "region_code", "region_name", "voters", "linked", "duplicates", "unlinked", "link_rate", "residents"]]


SMALL_COUNT_THRESHOLD = 5  # as statistical offices do: a count of 1 to 4 in a desa can single out a person


def suppress_small_counts(table: pd.DataFrame, counts: list[str], threshold: int = SMALL_COUNT_THRESHOLD,
                          within: list[str] | None = None, derived: dict[str, list[str]] | None = None) -> pd.DataFrame:
    """Desa-level counts from 1 to `threshold` - 1 made empty (primary suppression). Where a kecamatan (and the
    `within` columns, e.g. the kind of change) has exactly one such cell in a column, the next smallest count of
    that column there is made empty too (secondary suppression), so that the kecamatan's total minus the others
    does not give the small count back. `derived` columns (a rate) are emptied where one of their inputs is.
    Other levels are kept whole: a kecamatan total does not single out a person the way a desa count can."""
    out = table.copy()
    at_desa = (out["region_level"] == "desa").to_numpy()
    if not at_desa.any():
        return out
    groups = [regions.code_at_level(out.loc[at_desa, "region_code"], "kecamatan")] + [
        out.loc[at_desa, column] for column in (within or [])]
    for column in counts:
        values = out.loc[at_desa, column].astype("Int64")
        small = ((values > 0) & (values < threshold)).fillna(False)
        lonely = small.groupby(groups).transform("sum") == 1
        others = values.where(~small & (values > 0) & lonely)
        smallest = others.notna() & (others == others.groupby(groups).transform("min"))
        second = smallest & ~smallest.groupby(groups).cumsum().gt(1)  # one per group, the first of equals
        out[column] = out[column].astype("Int64")
        out.loc[out.index[at_desa][(small | second).to_numpy()], column] = pd.NA
    for column, inputs in (derived or {}).items():
        out.loc[out[inputs].isna().any(axis=1).to_numpy(), column] = pd.NA
    return out
