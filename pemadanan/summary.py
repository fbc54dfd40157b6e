"""Aggregates for dashboards: counts per region, no personal data."""

from __future__ import annotations

import pandas as pd

from pemadanan import regions

SUMMARY_LEVELS = ("kabupaten", "kecamatan", "desa")


def link_summary(voters: pd.DataFrame, population: pd.DataFrame, linked_rows: pd.Series,
                 duplicate_rows: pd.Series) -> pd.DataFrame:
    """Voter rows (linked, duplicates, unlinked) and residents, per desa, kecamatan and kabupaten.
    Regions come from the voter row's desa and the resident's desa; every level adds up to the one above."""
    per_voter = pd.DataFrame({"desa_code": voters["desa_code"], "linked": voters["source_row"].isin(linked_rows),
                              "duplicate": voters["source_row"].isin(duplicate_rows)})
    names = regions.region_table().set_index("code")["name"]
    frames = []
    for level in SUMMARY_LEVELS:
        v = per_voter.assign(region_code=regions.code_at_level(per_voter["desa_code"], level))
        counts = v.groupby("region_code").agg(voters=("linked", "size"), linked=("linked", "sum"),
                                              duplicates=("duplicate", "sum"))
        residents = regions.code_at_level(population["desa_code"], level).value_counts().rename("residents")
        level_frame = counts.join(residents, how="outer").fillna(0).astype(int)
        level_frame["unlinked"] = level_frame["voters"] - level_frame["linked"] - level_frame["duplicates"]
        level_frame["link_rate"] = (level_frame["linked"] / level_frame["voters"]).where(level_frame["voters"] > 0).round(4)
        level_frame = level_frame.reset_index(names="region_code")
        level_frame["region_level"] = level
        level_frame["region_name"] = level_frame["region_code"].map(names)
        frames.append(level_frame)
    out = pd.concat(frames, ignore_index=True)
    return out[["region_level", "region_code", "region_name", "voters", "linked", "duplicates", "unlinked", "link_rate", "residents"]]
