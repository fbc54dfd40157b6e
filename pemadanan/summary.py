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
