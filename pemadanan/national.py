"""What no single kabupaten can see: a voter missing from their kabupaten's population who lives in another one,
the same person listed in two kabupaten, and a resident 'unregistered' in one kabupaten who is listed in another.

Each kabupaten's run publishes its residents (population_snapshot: NIK and desa), its voter rows' links to them
and its unlinked voter rows (with the NIK when it is trustworthy). Across the kabupaten of a semester, the NIK
(one per person in the country, for life) joins them. Only trustworthy NIKs are used: a row without one stays as
its own kabupaten judged it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class NationalFindings:
    moved: pd.DataFrame  # kabupaten, voter_row, lives_in, lives_in_desa
    listed_twice: pd.DataFrame  # kabupaten, voter_row, also_listed_in, also_voter_row, confidence
    listed_elsewhere: pd.DataFrame  # kabupaten, population_row, listed_in, listed_voter_row


def kabupaten_of(desa_code: pd.Series) -> pd.Series:
    """33.23.01.2001 -> 33.23."""
    return desa_code.str.slice(0, 5)


def national_findings(residents: pd.DataFrame, voters: pd.DataFrame,
                      eligible_unregistered: pd.DataFrame) -> NationalFindings:
    """`residents`: kabupaten, population_row, nik, desa_code of every published resident; `voters`: kabupaten,
    voter_row, nik (missing where untrustworthy), linked (to a resident of its kabupaten; then the NIK is the
    resident's) of every voter row; `eligible_unregistered`: kabupaten, population_row.

    - moved: an unlinked row whose NIK is a resident's of another kabupaten (and not of its own): the person moved
      there (TMS 4 with the destination; alone, a kabupaten can only say "moved or died").
    - listed_twice: an unlinked row whose NIK is on another kabupaten's list too. Where the person lives in that
      kabupaten, this row is the one to strike (TMS 2, high); where in neither, both rows are reported, each naming
      the other (medium: a visit decides). A row where the person lives is never struck.
    - listed_elsewhere: an eligible resident with no voter row here whose NIK is on another kabupaten's list:
      registered, in the wrong place (to be moved: pindah memilih), not unregistered.
    """
    listed = voters.dropna(subset=["nik"])
    unlinked = listed[~listed["linked"].astype(bool)]
    people = residents.dropna(subset=["nik"]).drop_duplicates(["kabupaten", "nik"])
    homes = people[["nik", "kabupaten", "desa_code"]].rename(columns={"kabupaten": "lives_in",
                                                                      "desa_code": "lives_in_desa"})
    resident_here = pd.MultiIndex.from_frame(people[["kabupaten", "nik"]])

    placed = unlinked.merge(homes, on="nik")
    at_home = pd.MultiIndex.from_frame(placed[["kabupaten", "nik"]]).isin(resident_here)
    moved = placed[~at_home & (placed["lives_in"] != placed["kabupaten"])]

    twice = unlinked.merge(listed[["nik", "kabupaten", "voter_row"]].rename(
        columns={"kabupaten": "also_listed_in", "voter_row": "also_voter_row"}), on="nik")
    twice = twice[(twice["also_listed_in"] != twice["kabupaten"])
                  & ~pd.MultiIndex.from_frame(twice[["kabupaten", "nik"]]).isin(resident_here)]
    lives_there = pd.MultiIndex.from_frame(twice[["also_listed_in", "nik"]]).isin(resident_here)
    twice = twice.assign(confidence=pd.Series(lives_there, index=twice.index).map({True: "high", False: "medium"}))

    unregistered = eligible_unregistered.merge(people[["kabupaten", "population_row", "nik"]],
                                               on=["kabupaten", "population_row"])
    elsewhere = unregistered.merge(listed[["nik", "kabupaten", "voter_row"]].rename(
        columns={"kabupaten": "listed_in", "voter_row": "listed_voter_row"}), on="nik")
    elsewhere = elsewhere[elsewhere["listed_in"] != elsewhere["kabupaten"]]

    return NationalFindings(
        moved=moved[["kabupaten", "voter_row", "lives_in", "lives_in_desa"]].sort_values(
            ["kabupaten", "voter_row"], ignore_index=True),
        listed_twice=twice[["kabupaten", "voter_row", "also_listed_in", "also_voter_row", "confidence"]].sort_values(
            ["kabupaten", "voter_row", "also_listed_in"], ignore_index=True),
        listed_elsewhere=elsewhere[["kabupaten", "population_row", "listed_in", "listed_voter_row"]].sort_values(
            ["kabupaten", "population_row"], ignore_index=True),
    )
