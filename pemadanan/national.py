"""What no single kabupaten can see: a voter missing from their kabupaten's population who lives in another one,
the same person listed in two kabupaten, and a resident 'unregistered' in one kabupaten who is listed in another.

Each kabupaten's run publishes its residents (population_snapshot: NIK, name key, birth date, desa), its voter
rows' links to them and its unlinked voter rows (NIK when trustworthy, name key, birth date). Across the kabupaten of a
semester, the NIK (one per person in the country, for life) joins them. An unlinked row whose NIK is nobody's
(missing, mangled by Excel, mistyped) takes the NIK of the resident its row was linked to a semester earlier, or of
the resident of its name and birth date in the new household of the others on its family card who moved (high
confidence: a namesake cannot have either); else of the resident elsewhere with its name (spelled alike), birth
date (not one offices write for an unknown one) and the digits left of its NIK, or without digits its place of
birth, if nobody else of that name born that day has them (medium confidence). A name and birth date alone decide
nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from pemadanan import regions
from pemadanan.dates import calendar
from pemadanan.names import name_key
from pemadanan.probabilistic import placeholder_days
from pemadanan.similarity import NAMES_CLOSE, name_similarity

BY_NIK, BY_NAME_AND_BIRTH_DATE = "NIK", "name, birth date and NIK digits"
# The row, as the list carried it over, was linked a semester earlier to a resident of its kabupaten: that resident's
# NIK, which a namesake cannot have.
BY_PREVIOUS_LINK = "previous semester's link"
# The row's name and birth date are those of a resident in the new household of the row's family (the others on its
# family card, found by NIK, moved there): a namesake born that day is not in that household.
BY_FAMILY = "name, birth date and family card"
# No digits survive on the row: its name, birth date and place of birth are those of one resident in the run.
BY_BIRTHPLACE = "name, birth date and place of birth"
BY_EVIDENCE = (BY_NIK, BY_PREVIOUS_LINK, BY_FAMILY)


@dataclass(frozen=True)
class NationalFindings:
    moved: pd.DataFrame  # kabupaten, voter_row, lives_in, lives_in_desa, found_by, confidence
    listed_twice: pd.DataFrame  # kabupaten, voter_row, also_listed_in, also_voter_row, also_tps, found_by, confidence
    listed_elsewhere: pd.DataFrame  # kabupaten, population_row, listed_in, listed_voter_row, listed_tps, found_by, confidence
    died: pd.DataFrame  # kabupaten, voter_row, recorded_in, found_by, confidence


def national_findings(residents: pd.DataFrame, voters: pd.DataFrame, eligible_unregistered: pd.DataFrame,
                      deaths: pd.DataFrame | None = None) -> NationalFindings:
    """`residents`: kabupaten, population_row, nik, name_key, birth_date, desa_code of every published resident;
    `voters`: kabupaten, voter_row, nik (missing where untrustworthy), linked (to a resident of its kabupaten; then
    the NIK is the resident's), tps (optional) of every voter row, and name_key, birth_date of the unlinked ones and
    (optional) previous_nik: the NIK of the resident the same row (`row_fingerprints`) was linked to a semester earlier;
    `eligible_unregistered`: kabupaten, population_row; `deaths`: kabupaten, nik, name_key of the death records the
    kabupaten delivered up to the semester.

    - died: an unlinked row whose NIK another kabupaten's death records carry, under a name close to the row's (TMS 1;
      a kabupaten's own records are its own run's).

    - moved: an unlinked row whose NIK is a resident's of another kabupaten (and not of its own): the person moved
      there (TMS 4 with the destination; alone, a kabupaten can only say "moved or died").
    - listed_twice: an unlinked row whose NIK is on another kabupaten's list too. Where the person lives in that
      kabupaten, this row is the one to strike (TMS 2, high); where in neither, both rows are reported, each naming
      the other (medium: a visit decides). A row where the person lives is never struck.
    - listed_elsewhere: an eligible resident with no voter row here whose NIK is on another kabupaten's list:
      registered, in the wrong place (to be moved: pindah memilih), not unregistered. High only where the row
      carries the NIK itself or took it by evidence a namesake cannot have (`BY_EVIDENCE`): a row that took it by
      name, birth date and NIK digits may be a namesake's.

    A NIK on an unlinked row is someone else's where the name on the row is not close to the name of anyone with
    that NIK (a typo that gives another real NIK): the row is then looked for as a row without a usable NIK.
    """
    # NIKs as numbers (16 digits fit in int64): hashing them is many times faster than hashing strings.
    residents = residents.assign(nik=_numbers(residents["nik"]))
    if "tps" not in voters:
        voters = voters.assign(tps=pd.NA)
    is_linked = voters["linked"].astype(bool).to_numpy()
    # The rules work on the unlinked rows (a few percent of the list); of the linked ones, only those whose NIK an
    # unlinked row or an unregistered resident has matter, and no copy of the whole list is made.
    unlinked = voters[~is_linked].reset_index(drop=True)
    unlinked = _identified(_without_another_persons_nik(unlinked.assign(nik=_numbers(unlinked["nik"])), residents),
                           residents).dropna(subset=["nik"])
    unregistered = eligible_unregistered.merge(
        residents.loc[_among(residents, eligible_unregistered, ["kabupaten", "population_row"]),
                      ["kabupaten", "population_row", "nik"]].dropna(), on=["kabupaten", "population_row"])
    wanted = pd.concat([unlinked["nik"], unregistered["nik"]]).unique()
    linked_nik = _numbers(voters.loc[is_linked, "nik"])
    needed = linked_nik.isin(wanted).to_numpy()
    linked = voters.loc[is_linked, ["kabupaten", "voter_row", "tps"]][needed].assign(
        nik=linked_nik[needed].to_numpy(), found_by=BY_NIK)
    listed = pd.concat([linked, unlinked], ignore_index=True)
    people = residents[residents["nik"].isin(unlinked["nik"].unique())].drop_duplicates(["kabupaten", "nik"])
    homes = people[["nik", "kabupaten", "desa_code"]].rename(columns={"kabupaten": "lives_in",
                                                                      "desa_code": "lives_in_desa"})
    resident_here = pd.MultiIndex.from_frame(people[["kabupaten", "nik"]])

    placed = unlinked.merge(homes, on="nik")
    # A resident here too (Dukcapil's to fix) has not moved; every other home is another kabupaten.
    moved = placed[~pd.MultiIndex.from_frame(placed[["kabupaten", "nik"]]).isin(resident_here)]
    moved = moved.assign(confidence=_high_where(moved["found_by"].isin(BY_EVIDENCE)))

    twice = unlinked.drop(columns="tps").merge(listed[["nik", "kabupaten", "voter_row", "tps",
                                                       *(["name_key"] if "name_key" in listed else [])]].rename(
        columns={"kabupaten": "also_listed_in", "voter_row": "also_voter_row", "tps": "also_tps",
                 "name_key": "also_name_key"}),
        on="nik")
    twice = twice[(twice["also_listed_in"] != twice["kabupaten"])
                  & ~pd.MultiIndex.from_frame(twice[["kabupaten", "nik"]]).isin(resident_here)
                  & ~_names_differ(twice, "name_key", "also_name_key")]  # two rows of one NIK, two people
    lives_there = pd.MultiIndex.from_frame(twice[["also_listed_in", "nik"]]).isin(resident_here)
    twice = twice.assign(confidence=_high_where(lives_there & twice["found_by"].isin(BY_EVIDENCE).to_numpy()))

    elsewhere = unregistered.merge(listed[["nik", "kabupaten", "voter_row", "tps", "found_by"]].rename(
        columns={"kabupaten": "listed_in", "voter_row": "listed_voter_row", "tps": "listed_tps"}), on="nik")
    elsewhere = elsewhere[elsewhere["listed_in"] != elsewhere["kabupaten"]]
    elsewhere = elsewhere.assign(confidence=_high_where(elsewhere["found_by"].isin(BY_EVIDENCE)))

    return NationalFindings(
        died=_died_elsewhere(unlinked, deaths),
        moved=moved[["kabupaten", "voter_row", "lives_in", "lives_in_desa", "found_by", "confidence"]].sort_values(
            ["kabupaten", "voter_row"], ignore_index=True),
        listed_twice=twice[["kabupaten", "voter_row", "also_listed_in", "also_voter_row", "also_tps", "found_by",
                            "confidence"]].sort_values(
            ["kabupaten", "voter_row", "also_listed_in"], ignore_index=True),
        listed_elsewhere=elsewhere[["kabupaten", "population_row", "listed_in", "listed_voter_row", "listed_tps",
                                    "found_by", "confidence"]].sort_values(["kabupaten", "population_row"], ignore_index=True),
    )


def row_fingerprints(voters: pd.DataFrame) -> pd.Series:
    """Per voter row (nik_delivered, nik, name_key, birth_date as ingest accepts them), a number that is the same for
    the same row in another semester's list: its NIK as delivered (spoiled as it was), name key and birth date. A
    stale row is carried over unchanged, so this finds the semester in which it was still linked."""
    delivered = voters["nik_delivered"].fillna(voters["nik"]) if "nik_delivered" in voters else voters["nik"]
    row = pd.DataFrame({"nik": delivered.astype("string").fillna(""),
                        "name_key": voters["name_key"].astype("string").fillna(""),
                        "born": pd.to_datetime(voters["birth_date"]).dt.strftime("%Y-%m-%d").fillna("")})
    return pd.Series(pd.util.hash_pandas_object(row, index=False).to_numpy().view(np.int64), index=voters.index)


def _numbers(nik: pd.Series) -> pd.Series:
    return nik.astype("string[pyarrow]").astype("int64[pyarrow]")


def _high_where(high) -> np.ndarray:
    return np.where(high, "high", "medium")


def _died_elsewhere(unlinked: pd.DataFrame, deaths: pd.DataFrame | None) -> pd.DataFrame:
    columns = ["kabupaten", "voter_row", "recorded_in", "found_by", "confidence"]
    if deaths is None or deaths.empty:
        return pd.DataFrame(columns=columns)
    records = deaths.assign(nik=_numbers(deaths["nik"])).dropna(subset=["nik"]).rename(
        columns={"kabupaten": "recorded_in", "name_key": "recorded_name_key"})
    died = unlinked[unlinked["found_by"].isin(BY_EVIDENCE)].merge(
        records[["nik", "recorded_in", "recorded_name_key"]].drop_duplicates(["nik", "recorded_in"]), on="nik")
    died = died[(died["recorded_in"] != died["kabupaten"]) & ~_names_differ(died, "name_key", "recorded_name_key")]
    return died.assign(confidence="high")[columns].drop_duplicates(["kabupaten", "voter_row"]).sort_values(
        ["kabupaten", "voter_row"], ignore_index=True)


def _names_differ(frame: pd.DataFrame, left: str, right: str, same_day: pd.Series | None = None) -> pd.Series:
    """Both names given and not even close (NAMES_CLOSE: a typo or another spelling is close), nor one within the
    other (a list that keeps one word of a name, or cuts the others to initials: SITI / SITI AMINAH, AGUS S /
    AGUS SANTOSO), nor, for the rows `same_day` says were born the same day, one the other's beginning (TRI /
    TRI HIDAJAT: a word too short to say much alone): two people."""
    if left not in frame or right not in frame:
        return pd.Series(False, index=frame.index)
    given = frame[left].notna() & frame[right].notna()
    differ = given & (name_similarity(frame[left], frame[right]) < NAMES_CLOSE)
    pairs = frame.loc[differ, [left, right]].astype(str)
    born_alike = (same_day if same_day is not None else pd.Series(False, index=frame.index))[differ]
    one = [(len(min(a, b, key=len)) >= MIN_NAME_WITHIN and (a in b or b in a))
           or (alike and len(min(a, b, key=len)) >= MIN_NAME_BEGINNING and (a.startswith(b) or b.startswith(a)))
           for a, b, alike in zip(pairs[left], pairs[right], born_alike, strict=True)]
    return differ & ~pd.Series(one, index=pairs.index, dtype=bool).reindex(frame.index, fill_value=False)


MIN_NAME_WITHIN = 4  # letters of a spelling key found within another's for the names to be one: not 'NUR', 'SRI'
MIN_NAME_BEGINNING = 3  # ... and beginning it, for people born the same day: 'TRI', 'EKA'


def _without_another_persons_nik(voters: pd.DataFrame, residents: pd.DataFrame) -> pd.DataFrame:
    """`voters` where an unlinked row's NIK belongs to residents of whom none has a name close to the row's: not
    the row's person (a mistyped NIK that is another real one), so the row's NIK is taken as unusable."""
    if "name_key" not in voters or "name_key" not in residents:
        return voters
    rows = voters[~voters["linked"].astype(bool) & voters["nik"].notna() & voters["name_key"].notna()]
    owned = residents[residents["nik"].isin(rows["nik"].unique())]  # before the merge: a few of the country
    owners = rows[["nik", "name_key", "birth_date"]].reset_index().merge(
        owned.reindex(columns=["nik", "name_key", "birth_date"]).dropna(subset=["nik", "name_key"]).rename(
            columns={"name_key": "owner_name_key", "birth_date": "owner_birth_date"}), on="nik")
    same_day = (pd.to_datetime(owners["birth_date"]) == pd.to_datetime(owners["owner_birth_date"])).fillna(False)
    someone_else = owners.assign(other=_names_differ(owners, "name_key", "owner_name_key", same_day)).groupby(
        "index")["other"].all()
    return voters.assign(nik=voters["nik"].mask(voters.index.isin(someone_else.index[someone_else])))


def _identified(voters: pd.DataFrame, residents: pd.DataFrame) -> pd.DataFrame:
    """`voters` with `found_by`: an unlinked row whose NIK is no resident's in the run takes
    - the NIK of the resident the same row was linked to a semester earlier (`previous_nik`), where that NIK is a
      resident's in the run: the person the row lists, wherever they live now; else
    - the NIK of the resident in the new household of its family (`_by_family`); else
    - the NIK of the resident of another kabupaten with its name (spelling key) and birth date (not a placeholder)
      whose NIK the row's digits (as delivered, `nik_delivered`: a digit mistyped or zeroed by Excel, or Excel's
      3.32301E+15) agree with, or, where the row delivered no digits, who was born where the row says
      (`birthplace`) and got their NIK somewhere else than where they live, if no other resident in the run of that
      name born that day fits so.
    The others keep theirs. A name and birth date alone decide nothing: the person a stale row lists has often died
    or left the run, and a namesake born the same day lives somewhere in the country (hard profile, seeds 1-2: 15 of 110
    such findings were right)."""
    voters = voters.assign(found_by=BY_NIK)
    previous = _numbers(voters["previous_nik"]) if "previous_nik" in voters else None
    # Of the NIKs the rows carry or carried, those some resident has: the country's NIKs are hashed once, against
    # these few.
    carried = pd.concat([voters["nik"], previous]).dropna().unique()
    known = residents.loc[residents["nik"].isin(carried), "nik"].unique()
    if previous is not None:
        remembered = (~voters["linked"].astype(bool) & ~voters["nik"].isin(known) & previous.isin(known)).to_numpy()
        voters = _taking(voters, previous[remembered], BY_PREVIOUS_LINK)
    if "name_key" not in voters:
        return voters
    voters = _by_family(voters, residents, known)
    candidates = voters[~voters["linked"].astype(bool) & voters["name_key"].notna() & voters["birth_date"].notna()]
    candidates = candidates[~candidates["nik"].isin(known) & (candidates["found_by"] == BY_NIK)]
    born = pd.to_datetime(candidates["birth_date"])
    _, month, day = calendar(born)
    placeholder = placeholder_days(month, day)
    candidates = candidates[~placeholder].assign(birth_date=born[~placeholder])
    # Spelling keys (SOEHARTO = SUHARTO, doubled letters, spaces), as ingest made them: the list and SIAK spell one
    # name differently.
    named = {"name_key": residents["name_key"], "birth_date": pd.to_datetime(residents["birth_date"])}
    among = _among(named, candidates, ["name_key", "birth_date"])
    namesakes = residents[among].assign(birth_date=named["birth_date"][among])
    namesakes = namesakes.assign(place=_place_key(namesakes))
    found = candidates.assign(place=_place_key(candidates)).reset_index().merge(
        namesakes[["name_key", "birth_date", "nik", "kabupaten", "place"]].rename(
            columns={"nik": "resident_nik", "kabupaten": "resident_in", "place": "resident_place"}),
        on=["name_key", "birth_date"])
    delivered = found["nik_delivered"] if "nik_delivered" in found else pd.Series(pd.NA, index=found.index)
    own = found["nik"].astype("string")
    digits = _nik_digits_agree(delivered, found["resident_nik"]) | _nik_digits_agree(own, found["resident_nik"])
    # Digits the row delivered judge it; a row without any, by where it says the person was born and by the
    # resident's NIK not having been issued where they live (a NIK is for life: the person moved in, from the row's
    # kabupaten or through it; a namesake born in a place of the same name and living where they got their NIK is
    # not: Kota and Kabupaten Semarang are both SEMARANG).
    issued_where_living = (found["resident_nik"].astype("string").str.slice(0, 4)
                           == found["resident_in"].str.replace(".", "")).fillna(True).to_numpy(dtype=bool)
    born_there = (~(_has_nik_digits(delivered) | _has_nik_digits(own)) & ~issued_where_living
                  & (found["place"] == found["resident_place"]).fillna(False).to_numpy(dtype=bool))
    found = found[digits | born_there].assign(digits=digits)
    # Two namesakes born that day the evidence fits could be either.
    found = found[~found.duplicated("index", keep=False) & (found["resident_in"] != found["kabupaten"])]
    found = found.set_index("index")
    voters = _taking(voters, found.loc[found["digits"], "resident_nik"], BY_NAME_AND_BIRTH_DATE)
    voters = _taking(voters, found.loc[~found["digits"], "resident_nik"], BY_BIRTHPLACE)
    return _by_nik_digits(voters, residents, known)


def _by_nik_digits(voters: pd.DataFrame, residents: pd.DataFrame, known: np.ndarray) -> pd.DataFrame:
    """`voters` where a row still without a usable NIK delivered 16 digits whose first twelve (issuing kecamatan,
    birth date and sex) begin the NIK of one resident of another kabupaten that the digits fit (`_nik_digits_agree`),
    under a name not another person's (`_names_differ`: one the list cut or spelled otherwise agrees): that
    resident's NIK. Where the list changed the name or holds a placeholder birth date, the name-and-day lookup finds
    nobody; the digits still say who it is."""
    rows = voters[~voters["linked"].astype(bool) & ~voters["nik"].isin(known) & (voters["found_by"] == BY_NIK)
                  & voters["name_key"].notna()]
    delivered = rows["nik_delivered"] if "nik_delivered" in rows else pd.Series(pd.NA, index=rows.index)
    delivered = _as_delivered(delivered.astype("string").fillna(rows["nik"].astype("string")))
    sixteen = delivered.str.fullmatch(SIXTEEN_DIGITS).fillna(False).to_numpy(dtype=bool)
    if not sixteen.any():
        return voters
    rows = rows[sixteen].assign(delivered=delivered[sixteen],
                                prefix=delivered[sixteen].str.slice(0, 12).astype("int64").to_numpy())
    resident_prefix = residents["nik"] // 10_000
    in_pool = resident_prefix.isin(rows["prefix"].unique()).fillna(False).to_numpy(dtype=bool)
    pool = residents.loc[in_pool, ["nik", "kabupaten", "name_key"]].assign(
        prefix=resident_prefix[in_pool].astype("int64").to_numpy())
    found = rows.reset_index()[["index", "kabupaten", "name_key", "delivered", "prefix"]].merge(
        pool.rename(columns={"nik": "resident_nik", "kabupaten": "resident_in", "name_key": "resident_name_key"}),
        on="prefix")
    found = found[_nik_digits_agree(found["delivered"], found["resident_nik"]).to_numpy()
                  & found["resident_name_key"].notna().to_numpy()
                  & ~_names_differ(found, "name_key", "resident_name_key",
                                   pd.Series(True, index=found.index)).to_numpy()]
    found = found[~found.duplicated("index", keep=False) & (found["resident_in"] != found["kabupaten"])]
    return _taking(voters, found.set_index("index")["resident_nik"], BY_NAME_AND_BIRTH_DATE)


def _among(frame: pd.DataFrame | dict[str, pd.Series], wanted: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """Which rows of `frame` have, in `columns`, the values of some row of `wanted` (a few): each column of the frame
    looked up among the wanted values and the positions combined into one number, hashed once; a MultiIndex of a
    country's rows took 12 s at 10 million."""
    wanted = wanted.dropna(subset=columns)
    rows = len(frame[columns[0]])
    found = np.ones(rows, dtype=bool)
    key, wanted_key = np.zeros(rows, dtype=np.int64), np.zeros(len(wanted), dtype=np.int64)
    for column in columns:
        values = pd.Index(wanted[column].unique())
        position = values.get_indexer(frame[column])
        found &= position >= 0
        key, wanted_key = key * len(values) + position, wanted_key * len(values) + values.get_indexer(wanted[column])
    return found & pd.Series(key).isin(wanted_key).to_numpy()


def _by_family(voters: pd.DataFrame, residents: pd.DataFrame, known: np.ndarray) -> pd.DataFrame:
    """`voters` where an unlinked row whose NIK is nobody's shares its family card (`no_kk`, as the list has it) with
    rows found, by their NIK or the previous semester's link, living in another kabupaten, and the one resident there
    with the row's name (spelling key) and birth date is in the household they live in now (their new family card):
    the row takes that resident's NIK. Households move together; a namesake born that day is not in theirs."""
    if "no_kk" not in voters or "no_kk" not in residents:
        return voters
    unlinked = voters[~voters["linked"].astype(bool) & voters["no_kk"].notna()]
    movers = unlinked[unlinked["nik"].isin(known) & unlinked["found_by"].isin((BY_NIK, BY_PREVIOUS_LINK))]
    movers = movers.merge(residents.loc[residents["nik"].isin(movers["nik"].unique()), ["nik", "kabupaten", "no_kk"]]
                          .dropna().rename(columns={"kabupaten": "lives_in", "no_kk": "new_kk"}), on="nik")
    households = movers.loc[movers["lives_in"] != movers["kabupaten"],
                            ["kabupaten", "no_kk", "lives_in", "new_kk"]].drop_duplicates()
    candidates = unlinked[~unlinked["nik"].isin(known) & unlinked["name_key"].notna() & unlinked["birth_date"].notna()]
    if households.empty or candidates.empty:
        return voters
    members = residents[residents["no_kk"].isin(households["new_kk"].unique())].dropna(
        subset=["no_kk", "name_key", "birth_date"]).assign(
        birth_date=lambda r: pd.to_datetime(r["birth_date"]))[["kabupaten", "no_kk", "name_key", "birth_date", "nik"]]
    found = (candidates.assign(birth_date=pd.to_datetime(candidates["birth_date"])).reset_index()
             .merge(households, on=["kabupaten", "no_kk"])
             .merge(members.rename(columns={"kabupaten": "lives_in", "no_kk": "new_kk", "nik": "resident_nik"}),
                    on=["lives_in", "new_kk", "name_key", "birth_date"]))
    found = found[~found.duplicated("index", keep=False)].set_index("index")  # one resident, not two
    return _taking(voters, found["resident_nik"], BY_FAMILY)


def _taking(voters: pd.DataFrame, niks: pd.Series, found_by: str) -> pd.DataFrame:
    """`voters` whose rows in `niks`' index take those NIKs, found so."""
    taken = voters.index.isin(niks.index)
    return voters.assign(nik=voters["nik"].where(~taken, niks), found_by=voters["found_by"].where(~taken, found_by))


# A NIK as delivered (`_as_delivered`) that `_nik_digits_agree` can judge: 16 digits, or Excel's 3.32301E+15.
SIXTEEN_DIGITS, SCIENTIFIC = r"[0-9]{16}", r"([0-9])\.([0-9]{5})E\+15"


def _as_delivered(delivered: pd.Series) -> pd.Series:
    """A NIK as the list delivered it, without the spaces and Excel's leading apostrophe around it."""
    return delivered.astype("string").fillna("").str.strip().str.lstrip("'")


def _has_nik_digits(delivered: pd.Series) -> pd.Series:
    """The row delivered digits `_nik_digits_agree` can judge: 16 of them, or Excel's scientific notation."""
    delivered = _as_delivered(delivered)
    return (delivered.str.fullmatch(SIXTEEN_DIGITS) | delivered.str.fullmatch(SCIENTIFIC, case=False)
            ).fillna(False).to_numpy(dtype=bool)


def _place_key(frame: pd.DataFrame) -> pd.Series:
    """Spelling key of the place of birth (`birthplace`, as ingest upper-cased it) without KAB./KOTA, for comparing
    the list's with SIAK's: empty where there is none or a clerk's stand-in (-, TIDAK DIKETAHUI)."""
    if "birthplace" not in frame:
        return pd.Series(pd.NA, index=frame.index, dtype="string")
    place = frame["birthplace"].astype("string").str.upper().str.replace(
        r"^\s*(KABUPATEN|KAB|KOTAMADYA|KOTA ADM|KOTA|KOT)\b\.?\s*", "", regex=True)
    place = place.mask(place.str.fullmatch(r"\W*|TIDAK DIKETAHUI|TIDAK TAHU|TDK TAHU|[0X]", case=False).fillna(True))
    key = name_key(place)
    return key.mask(key.str.len() < 3)


def _nik_digits_agree(delivered: pd.Series, nik: pd.Series) -> pd.Series:
    """The resident's NIK is what the row delivered, but for what Excel or a typist did to it: Excel's 3.32301E+15
    whose six digits begin it, or 16 digits of which at most two differ (a typo, a last digit zeroed) and none of
    the first six. Those are the kecamatan that issued the NIK, and a NIK is for life: a same-day namesake's NIK
    differs from the person's in little else (the next six are the birth date, the last four often 0001), so two
    digits anywhere made namesakes in kabupaten whose codes differ in two digits one person (3 of 31 right)."""
    delivered = _as_delivered(delivered)
    nik = nik.astype("string").fillna("")
    sixteen = delivered.str.fullmatch(SIXTEEN_DIGITS).fillna(False)
    same_issuer = delivered.str.slice(0, 6) == nik.str.slice(0, 6)
    differing = sum((delivered.str.slice(i, i + 1) != nik.str.slice(i, i + 1)).astype(int) for i in range(6, 16))
    mantissa = delivered.str.extract(f"^{SCIENTIFIC}$", flags=re.IGNORECASE)
    scientific = mantissa[0].notna()
    begins = nik.str.slice(0, 6) == (mantissa[0].fillna("") + mantissa[1].fillna(""))
    return ((sixteen & same_issuer & (differing <= 2)) | (scientific & begins)).fillna(False).astype(bool)


def read_published(url: str, semester: str) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """`national_findings`' four inputs for the semester, as every kabupaten published them, narrowed in PostgreSQL
    to the people the rules can concern: residents whose NIK is on an unlinked row (or was, a semester earlier, on the
    resident the same row was linked to) or who are unregistered, or who share a name key and birth date with an
    unlinked row whose NIK no resident of its name has (the rules count namesakes born that day) or whose NIK begins
    with the first twelve digits such a row delivered, and
    the voter rows linked to those residents. At 285 million residents the rest never leaves the server. The unlinked
    rows come with their NIK as delivered (restricted.row_issues) and `previous_nik`."""
    from pemadanan import warehouse  # noqa: PLC0415 - the rules above need no database
    from pemadanan.semester import Semester  # noqa: PLC0415

    if not all(warehouse.table_exists(url, t) for t in (warehouse.POPULATION_SNAPSHOT, warehouse.UNLINKED_VOTERS)):
        empty = pd.DataFrame(columns=["kabupaten"])
        return empty, empty, empty, empty
    values = {"semester": semester, "previous": Semester.parse(semester).previous().key}
    with warehouse.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SET LOCAL work_mem = '256MB'")  # the hash joins and sorts below, in memory, not temp files
        cur.execute(f"""
            CREATE TEMP TABLE unlinked ON COMMIT DROP AS
            SELECT u.kabupaten, u.voter_row, u.nik, u.name_key, u.birth_date, u.tps, u.row_fingerprint, u.no_kk,
                   u.birthplace, i.nik_delivered
            FROM {warehouse.UNLINKED_VOTERS.qualified} u LEFT JOIN {warehouse.ROW_ISSUES.qualified} i
                ON i.semester = u.semester AND i.kabupaten = u.kabupaten AND i.dataset = 'voters'
                AND i.source_row = u.voter_row
            WHERE u.semester = %(semester)s""", values)
        # The same row a semester earlier, linked: a row the list carried over twice in a semester is not one row.
        cur.execute(f"""
            CREATE TEMP TABLE remembered ON COMMIT DROP AS
            SELECT l.kabupaten, l.row_fingerprint, min(p.nik) AS previous_nik
            FROM (SELECT DISTINCT kabupaten, row_fingerprint FROM unlinked WHERE row_fingerprint IS NOT NULL) u
            JOIN {warehouse.VOTER_LINKS.qualified} l ON l.kabupaten = u.kabupaten AND l.row_fingerprint = u.row_fingerprint
            JOIN {warehouse.POPULATION_SNAPSHOT.qualified} p ON p.kabupaten = l.kabupaten
                AND p.population_row = l.population_row
            WHERE l.semester = %(previous)s AND p.semester = %(previous)s
            GROUP BY l.kabupaten, l.row_fingerprint HAVING count(DISTINCT p.nik) = 1""", values)
        cur.execute("ANALYZE unlinked; ANALYZE remembered")  # temporary tables: autovacuum never analyses them
        columns = "kabupaten, population_row, nik, name_key, birth_date, desa_code, no_kk, birthplace"
        r_columns = ", ".join("r." + c for c in columns.split(", "))
        cur.execute(f"""
            CREATE TEMP TABLE owners ON COMMIT DROP AS
            SELECT {columns} FROM {warehouse.POPULATION_SNAPSHOT.qualified}
            WHERE semester = %(semester)s AND nik IN (SELECT nik FROM unlinked UNION SELECT previous_nik FROM remembered)
            """, values)
        cur.execute("ANALYZE owners")
        # Namesakes are looked up only for the rows whose NIK is nobody's of that name (missing, spoiled, a stranger's):
        # a row whose NIK a resident of its name has is found by the NIK. (Against the owners just read: a NOT EXISTS
        # on the snapshot probed the NIK index of every kabupaten's partition per row, 29 s at 1M.)
        cur.execute("""
            CREATE TEMP TABLE unexplained ON COMMIT DROP AS
            SELECT u.name_key, u.birth_date, ltrim(btrim(coalesce(u.nik_delivered, u.nik)), '''') AS delivered
            FROM unlinked u
            WHERE u.name_key IS NOT NULL
                AND NOT EXISTS (SELECT 1 FROM owners o WHERE o.nik = u.nik AND o.name_key = u.name_key);
            CREATE TEMP TABLE nameless ON COMMIT DROP AS
            SELECT DISTINCT name_key, birth_date FROM unexplained WHERE birth_date IS NOT NULL;
            ANALYZE nameless;
            -- The first twelve digits of a delivered NIK (issuing kecamatan, birth date, sex): `_by_nik_digits`.
            CREATE TEMP TABLE prefixes ON COMMIT DROP AS
            SELECT DISTINCT left(delivered, 12) AS prefix FROM unexplained WHERE delivered ~ '^[0-9]{16}$';
            ANALYZE prefixes""")
        # Joins, not one scan with ORs: namesakes by name key and birth date (a common name's namesakes born on other
        # days are never returned), the unregistered by their row.
        cur.execute(f"""
            CREATE TEMP TABLE concerned ON COMMIT DROP AS
            SELECT {columns} FROM owners
            UNION ALL
            SELECT {r_columns}
                FROM nameless u
                JOIN {warehouse.POPULATION_SNAPSHOT.qualified} r ON r.name_key = u.name_key
                    AND r.birth_date = u.birth_date
                WHERE r.semester = %(semester)s
            UNION ALL
            SELECT {columns} FROM {warehouse.POPULATION_SNAPSHOT.qualified}
                WHERE semester = %(semester)s AND left(nik, 12) IN (SELECT prefix FROM prefixes)
            UNION ALL
            SELECT {r_columns}
                FROM {warehouse.POPULATION_SNAPSHOT.qualified} r JOIN {warehouse.ELIGIBLE_UNREGISTERED.qualified} e
                ON e.kabupaten = r.kabupaten AND e.population_row = r.population_row
                WHERE r.semester = %(semester)s AND e.semester = %(semester)s""", values)
        # A resident both ways is twice in `concerned` (UNION ALL: a UNION sorted every column, spilling to disk).
        residents = _fetch(cur, "SELECT * FROM concerned").drop_duplicates(["kabupaten", "population_row"])
        linked = _fetch(cur, f"""
            SELECT l.kabupaten, l.voter_row, c.nik, true AS linked, l.tps FROM {warehouse.VOTER_LINKS.qualified} l
            JOIN (SELECT DISTINCT kabupaten, population_row, nik FROM concerned) c
                ON c.kabupaten = l.kabupaten AND c.population_row = l.population_row
            WHERE l.semester = %s""", (semester,))
        unlinked = _fetch(cur, """
            SELECT u.kabupaten, u.voter_row, u.nik, u.name_key, u.birth_date, false AS linked, u.tps, u.nik_delivered,
                   u.no_kk, u.birthplace, r.previous_nik
            FROM unlinked u LEFT JOIN remembered r ON r.kabupaten = u.kabupaten AND r.row_fingerprint = u.row_fingerprint""")
        unregistered = _fetch(cur, f"SELECT kabupaten, population_row FROM {warehouse.ELIGIBLE_UNREGISTERED.qualified} "
                                   "WHERE semester = %s", (semester,))
        deaths = pd.DataFrame(columns=["kabupaten", "nik", "name_norm"])
        if warehouse.table_exists(url, warehouse.DEATH_RECORDS):  # semesters sort as text: 2024-S1 < 2024-S2
            deaths = _fetch(cur, f"""
                SELECT d.kabupaten, d.nik, d.name_norm FROM {warehouse.DEATH_RECORDS.qualified} d
                WHERE d.semester <= %s AND d.nik IN (SELECT nik FROM unlinked UNION SELECT previous_nik FROM remembered)""",
                            (semester,))
    conn.close()
    deaths = deaths.assign(name_key=name_key(deaths["name_norm"].astype("string")))
    return residents, pd.concat([linked, unlinked], ignore_index=True), unregistered, deaths


def _fetch(cur, query: str, values: tuple = ()) -> pd.DataFrame:
    """Through COPY (`warehouse.copy_out`): rows as Python tuples took most of the step at 3 million residents."""
    from pemadanan import warehouse  # noqa: PLC0415 - the rules above need no database

    text = {name: pa.string() for name in ("kabupaten", "nik", "name_key", "name_norm", "desa_code", "nik_delivered",
                                           "previous_nik", "no_kk", "birthplace")}
    return warehouse.copy_out(cur, query, values, text).to_pandas()


def findings_table(found: NationalFindings) -> pd.DataFrame:
    """The three findings as rows of restricted.national_findings."""
    moved = found.moved.rename(columns={"lives_in": "other_kabupaten", "lives_in_desa": "other_desa_code"}).assign(
        finding="moved", tms_code="4")
    twice = found.listed_twice.rename(columns={"also_listed_in": "other_kabupaten", "also_voter_row": "other_voter_row",
                                               "also_tps": "other_tps"}).assign(finding="listed_twice",
                                                                                             tms_code="2")
    elsewhere = found.listed_elsewhere.rename(columns={"listed_in": "other_kabupaten",
                                                       "listed_voter_row": "other_voter_row", "listed_tps": "other_tps"}).assign(
        finding="listed_elsewhere")
    died = found.died.rename(columns={"recorded_in": "other_kabupaten"}).assign(finding="died", tms_code="1")
    columns = ["kabupaten", "finding", "tms_code", "voter_row", "population_row", "other_kabupaten",
               "other_desa_code", "other_voter_row", "found_by", "confidence", "other_tps"]
    return pd.concat([frame.reindex(columns=columns) for frame in (died, moved, twice, elsewhere)], ignore_index=True)


def officer_notes(people: pd.DataFrame, findings: pd.DataFrame) -> pd.Series:
    """What the officers of a desa are told, beside each person of their coklit list (`people`: voter_row,
    population_row), of what the national step found (rows of restricted.national_findings of the kabupaten): died,
    moved, listed twice by voter row, listed elsewhere by population row; in Indonesian, as they write it. A finding
    not found by NIK, or one a visit must decide, asks them to make sure. Empty where nothing was found."""
    notes = pd.Series(pd.NA, index=people.index, dtype="string")
    if findings.empty:
        return notes
    names = {code: regions.region_name(code) or code
             for code in pd.concat([findings["other_kabupaten"], findings["other_desa_code"]]).dropna().unique()}
    where = findings["other_kabupaten"].map(names).astype("string")
    desa = (", desa " + findings["other_desa_code"].map(names).astype("string")).fillna("")
    tps = (", TPS " + findings["other_tps"].astype("Int64").astype("string")).fillna("")
    said = pd.Series(pd.NA, index=findings.index, dtype="string")
    for finding, note in (("died", "meninggal, tercatat di " + where), ("moved", "pindah ke " + where + desa),
                          ("listed_twice", "juga terdaftar di " + where + tps),
                          ("listed_elsewhere", "terdaftar di " + where + tps)):
        said = said.mask(findings["finding"] == finding, note)
    why = {BY_NAME_AND_BIRTH_DATE: "nama, tanggal lahir dan sebagian NIK sama",
           BY_BIRTHPLACE: "nama, tanggal dan tempat lahir sama"}
    unsure = np.where(findings["confidence"] == "high", "",
                      " (perlu dipastikan" + findings["found_by"].map(why).radd(": ").fillna("") + ")")
    said = findings.assign(note=said + unsure)
    for row in ("voter_row", "population_row"):
        per_row = said.dropna(subset=[row]).astype({row: "int64"}).groupby(row)["note"].agg("; ".join)
        notes = notes.fillna(people[row].astype("Int64").map(per_row).astype("string"))
    return notes
