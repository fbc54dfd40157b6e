"""What KPU and Dukcapil act on each semester, from the links: TMS candidates, eligible residents missing from the
list, new voters, the population's changes since the last semester, and coverage per region.

Every TMS flag carries its evidence and a confidence; where the data cannot tell (a voter nobody in the
population matches may have moved away, died unrecorded or never lived here), the row says so and asks for
coklit instead of guessing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pemadanan import regions
from pemadanan.dates import age_on
from pemadanan.eligibility import (BELUM_KAWIN, POLRI, TNI, VOTING_AGE, JudgingDay, eligibility, serving,
                                  turns_of_age_between)
from pemadanan.linkage import LinkResult
from pemadanan.nik import NikStatus, nik_birth_parts, nik_neighbour_pairs
from pemadanan.names import name_words
from pemadanan.similarity import names_agree, names_agree_fully_or_partly
from pemadanan.summary import counts_per_region

TMS_CODES = {
    "1": "meninggal", "2": "ganda", "3": "di bawah umur", "4": "pindah domisili", "5": "tidak dikenal",
    "6": "TNI", "7": "Polri", "8": "salah penempatan TPS", "nik_invalid": "NIK/KK invalid",
}
TMS_COLUMNS = ["voter_row", "tms_code", "reason", "evidence", "confidence", "needs_coklit"]
HIGH, MEDIUM, LOW = "high", "medium", "low"
TRUSTED_NIK = (NikStatus.VALID, NikStatus.REPAIRED)


@dataclass
class SemesterInputs:
    """What one semester's outputs are computed from."""

    reference_date: dt.date  # 30 June or 31 December
    previous_reference_date: dt.date
    judged_on: JudgingDay  # eligibility, under age and new voters are judged on this day (`eligibility.judging_day`)
    voters: pd.DataFrame
    residents: pd.DataFrame
    links: LinkResult
    deaths: pd.DataFrame


def match_deaths(voters: pd.DataFrame, deaths: pd.DataFrame) -> pd.DataFrame:
    """(voter_row, death_row, confidence, evidence): voter rows that are a recorded death. By NIK (equal, or one
    edit away with the birth date inside it equal to the voter's) with the name agreeing; or, for voter rows
    without a trustworthy NIK, by name, sex and the birth date and sex the death record's NIK carries."""
    if deaths.empty:
        return pd.DataFrame(columns=["voter_row", "death_row", "confidence", "evidence"])
    parts = nik_birth_parts(deaths["nik"].fillna(""))
    dead = pd.DataFrame({"death_row": deaths["source_row"].to_numpy(), "dead_name_key": deaths["name_key"].to_numpy(),
                         "dead_name_norm": deaths["name_norm"].to_numpy(),
                         "day": parts["day"].to_numpy(), "month": parts["month"].to_numpy(), "yy": parts["yy"].to_numpy(),
                         "dead_sex": parts["sex"].to_numpy()})
    listed = pd.DataFrame({"voter_row": voters["source_row"].to_numpy(), "name_key": voters["name_key"].to_numpy(),
                           "name_norm": voters["name_norm"].to_numpy(),
                           "day": voters["birth_date"].dt.day.astype("Int64").to_numpy(),
                           "month": voters["birth_date"].dt.month.astype("Int64").to_numpy(),
                           "yy": (voters["birth_date"].dt.year % 100).astype("Int64").to_numpy(),
                           "sex": voters["sex"].to_numpy()})

    trusted = voters[voters["nik_status"].isin(TRUSTED_NIK) & voters["nik"].notna()]
    # Neighbours of the few death records' NIKs, not of every voter's.
    by_nik = nik_neighbour_pairs(deaths.set_index("source_row")["nik"], trusted.set_index("source_row")["nik"]).rename(
        columns={"voter_row": "death_row", "population_row": "voter_row"})
    by_nik = by_nik.merge(listed, on="voter_row").merge(dead, on="death_row", suffixes=("", "_nik"))
    born_as_in_nik = ((by_nik["day"] == by_nik["day_nik"]) & (by_nik["month"] == by_nik["month_nik"])
                      & (by_nik["yy"] == by_nik["yy_nik"])).fillna(False).to_numpy(dtype=bool)
    # An equal NIK needs the names to agree at least in part (the list may carry one word of the name); a NIK one
    # digit off needs them to agree and the birth date inside it to be the voter's.
    equal = (by_nik["edit"] == "equal").to_numpy()
    by_nik = by_nik[(equal & names_agree_fully_or_partly(by_nik["name_key"], by_nik["dead_name_key"],
                                                        name_words(by_nik["name_norm"]), name_words(by_nik["dead_name_norm"])))
                    | (names_agree(by_nik["name_key"], by_nik["dead_name_key"]) & born_as_in_nik)]
    by_nik = by_nik.assign(confidence=HIGH, evidence="NIK " + by_nik["edit"].str.replace("equal", "equal to", regex=False)
                           + " a death record's; the names agree")

    untrusted = listed[~listed["voter_row"].isin(trusted["source_row"])]
    by_person = untrusted.merge(dead, on=["day", "month", "yy"])
    by_person = by_person[(by_person["sex"] == by_person["dead_sex"]).fillna(False).to_numpy(dtype=bool)
                          & names_agree(by_person["name_key"], by_person["dead_name_key"])]
    by_person = by_person.assign(confidence=MEDIUM, evidence="no trustworthy NIK; name, sex and birth date agree with "
                                                             "a death record (its NIK's birth date)")
    found = pd.concat([by_nik, by_person], ignore_index=True)[["voter_row", "death_row", "confidence", "evidence"]]
    return found.drop_duplicates("voter_row")


def resident_of_each_row(links: LinkResult) -> pd.Series:
    """population_row per voter row: its own link, or for a row listing a person again, the kept row's link."""
    linked = links.links.set_index("voter_row")["population_row"]
    again = links.duplicates.set_index("voter_row")["duplicate_of_voter_row"].map(linked).dropna()
    return pd.concat([linked, again.astype(linked.dtype)]) if len(again) else linked


def tms_candidates(semester: SemesterInputs, changes: pd.DataFrame) -> pd.DataFrame:
    """One row per voter row and TMS code that applies to it (`changes` from `population_changes`)."""
    voters, residents, links = semester.voters, semester.residents, semester.links
    resident_row = resident_of_each_row(links)
    listed = voters.set_index("source_row")
    person = residents.set_index("source_row").loc[resident_row.to_numpy()].set_axis(resident_row.index)
    never_married = person["marital"].eq(BELUM_KAWIN).fillna(False)
    flags = []

    def flag(rows, code: str, reason, evidence, confidence, needs_coklit) -> None:
        """Values are scalars or aligned with `rows` by position."""
        values = {"voter_row": rows, "tms_code": code, "reason": reason, "evidence": evidence,
                  "confidence": confidence, "needs_coklit": needs_coklit}
        flags.append(pd.DataFrame({k: v.to_numpy() if isinstance(v, pd.Series | pd.Index) else v
                                   for k, v in values.items()}, index=pd.RangeIndex(len(rows))))

    dead = match_deaths(voters, semester.deaths)
    dead = dead[~dead["voter_row"].isin(links.links["voter_row"])]  # the population says a linked row is alive
    flag(dead["voter_row"], "1", "a death is recorded for this person", dead["evidence"].to_numpy(),
         dead["confidence"].to_numpy(), (dead["confidence"] != HIGH).to_numpy())

    flag(links.duplicates["voter_row"], "2", "the person is listed already (row "
         + links.duplicates["duplicate_of_voter_row"].astype(str) + ")", links.duplicates["evidence"].to_numpy(), HIGH, False)

    judged_on = semester.judged_on
    under_age = (age_on(person["birth_date"], judged_on.day) < VOTING_AGE).fillna(False) & never_married
    flag(under_age[under_age].index, "3", f"under 17 and never married on {judged_on.day}",
         f"resident record: birth date and marital status, judged on {judged_on.describe()}", HIGH, False)

    for code, occupation, name in (("6", TNI, "TNI"), ("7", POLRI, "Polri")):
        serving = person["occupation"].eq(occupation).fillna(False)
        flag(serving[serving].index, code, f"serving {name}", "resident record: occupation (JENIS_PKRJN) "
             + str(occupation), HIGH, False)

    elsewhere = person["desa_code"].ne(listed.loc[person.index, "desa_code"]).fillna(False)
    flag(elsewhere[elsewhere].index, "8", "the resident lives in another desa of the kabupaten",
         "resident's desa " + person.loc[elsewhere, "desa_code"].astype(str), HIGH, False)

    # Rows nobody in the population matches, and not a recorded death: the data cannot say why.
    in_review = links.review_queue["voter_row"]
    lost = voters[~voters["source_row"].isin(resident_row.index) & ~voters["source_row"].isin(dead["voter_row"])
                  & ~voters["source_row"].isin(in_review)]
    own_age = age_on(lost["birth_date"], judged_on.day)
    lost_under_age = lost[(own_age < VOTING_AGE).fillna(False) & lost["marital"].eq("B").fillna(False)]
    flag(lost_under_age["source_row"], "3", f"under 17 and never married on {judged_on.day} by the voter list's own "
         "birth date and status", f"no resident found to confirm it; judged on {judged_on.describe()}", MEDIUM, True)
    moved = lost["nik"].isin(changes.loc[changes["change"] == "moved_out", "nik"]) & lost["nik_status"].isin(TRUSTED_NIK)
    flag(lost.loc[moved, "source_row"], "4", "left the population since the previous semester, no death recorded: "
         "moved away (or died unrecorded)", "NIK in the previous semester's population, not in this one", LOW, True)
    flag(lost.loc[~moved, "source_row"], "5", "no resident matches this row with enough confidence",
         links.unlinked.set_index("voter_row")["reason"].reindex(lost.loc[~moved, "source_row"]).fillna("no resident linked").to_numpy(),
         LOW, True)

    bad_nik = voters[~voters["nik_status"].isin(TRUSTED_NIK)]
    fixable = bad_nik["source_row"].isin(resident_row.index).to_numpy()
    flag(bad_nik["source_row"], "nik_invalid", "NIK " + bad_nik["nik_status"].astype(str),
         np.where(fixable, "the linked resident's NIK can replace it", "no linked resident to take the NIK from"),
         HIGH, ~fixable)
    return pd.concat(flags, ignore_index=True)[TMS_COLUMNS].sort_values(["voter_row", "tms_code"], ignore_index=True)


def _unlisted(semester: SemesterInputs) -> pd.Series:
    """Residents with no voter row, nor a voter row awaiting review as theirs."""
    taken = pd.concat([semester.links.links["population_row"], semester.links.review_queue["population_row"]])
    return ~semester.residents["source_row"].isin(taken)


def eligible_unregistered(semester: SemesterInputs) -> pd.DataFrame:
    residents = semester.residents
    verdict = eligibility(residents, semester.judged_on.day, semester.judged_on.area)
    missing = verdict["eligible"].to_numpy() & _unlisted(semester).to_numpy()
    rows = residents[missing]
    return pd.DataFrame({"population_row": rows["source_row"], "desa_code": rows["desa_code"], "rt": rows["rt"],
                         "rw": rows["rw"], "address": rows["address"], "age": verdict.loc[missing, "age"],
                         "reason": "eligible (" + verdict.loc[missing, "reason"] + ") and on no voter row"}
                        ).reset_index(drop=True)


def new_voters(semester: SemesterInputs, changes: pd.DataFrame) -> pd.DataFrame:
    """Unlisted residents who became eligible this semester or become eligible by the day the semester is judged on
    (the coming voting day)."""
    residents, judged_on = semester.residents, semester.judged_on
    now = eligibility(residents, semester.reference_date, judged_on.area)["eligible"]
    born = residents["birth_date"]
    married_young = residents["marital"].ne(BELUM_KAWIN).fillna(False) & (age_on(born, semester.reference_date) < VOTING_AGE).fillna(False)
    turned = turns_of_age_between(born, semester.previous_reference_date, semester.reference_date)
    will_turn = (turns_of_age_between(born, semester.reference_date, judged_on.day)
                 & eligibility(residents, judged_on.day, judged_on.area)["eligible"])
    left_service = residents["source_row"].isin(changes.loc[changes["change"] == "left_tni_polri", "population_row"])
    reason = np.select([now & turned, now & married_young, now & left_service, will_turn],
                       ["turned 17 this semester", "under 17 and married or ever married",
                        "left TNI/Polri", f"17 by {judged_on.describe()}"], default="")
    chosen = (reason != "") & _unlisted(semester).to_numpy()
    rows = residents[chosen]
    return pd.DataFrame({"population_row": rows["source_row"], "desa_code": rows["desa_code"], "rt": rows["rt"],
                         "rw": rows["rw"], "reason": reason[chosen]}).reset_index(drop=True)


SNAPSHOT_COLUMNS = ["population_row", "nik", "name_norm", "birth_date", "marital", "occupation", "desa_code"]


def snapshot(residents: pd.DataFrame) -> pd.DataFrame:
    """What the next semester compares with: one row per resident."""
    return residents.rename(columns={"source_row": "population_row"})[SNAPSHOT_COLUMNS]


def population_changes(residents: pd.DataFrame, deaths: pd.DataFrame, reference_date: dt.date,
                       previous_reference_date: dt.date, previous: pd.DataFrame | None) -> pd.DataFrame:
    """One row per person and change since the `previous` semester's snapshot: born, died, moved_in, moved_out,
    moved_within, name_corrected, birth_date_corrected, married, joined_tni_polri, left_tni_polri, turned_17.
    Without the previous snapshot only births, recorded deaths and turning 17 can be told."""
    now = snapshot(residents)
    changes = []

    def add(kind: str, rows: pd.DataFrame, previous_rows: pd.Series | None = None) -> None:
        none = pd.Series(pd.NA, index=rows.index, dtype="Int64")
        changes.append(pd.DataFrame({
            "change": kind, "population_row": rows.get("population_row", none).astype("Int64"),
            "previous_population_row": (previous_rows if previous_rows is not None else none).astype("Int64"),
            "nik": rows["nik"].astype("string"), "desa_code": rows["desa_code"].astype("string")}))

    born = now["birth_date"] > pd.Timestamp(previous_reference_date)
    turned = turns_of_age_between(now["birth_date"], previous_reference_date, reference_date)
    add("turned_17", now[turned.to_numpy()])
    dead_nik = deaths["nik"].dropna()
    if previous is None:
        add("born", now[born.to_numpy()])
        add("died", pd.DataFrame({"nik": dead_nik, "desa_code": pd.Series(pd.NA, index=dead_nik.index, dtype="string")}))
    else:
        both = now.merge(previous, on="nik", suffixes=("", "_before"))
        new = now[~now["nik"].isin(previous["nik"])]
        gone = previous[~previous["nik"].isin(now["nik"])].rename(columns={"population_row": "previous_population_row"})
        add("born", new[born[new.index].to_numpy()])
        add("moved_in", new[~born[new.index].to_numpy()])
        died = gone["nik"].isin(dead_nik)
        add("died", gone[died].drop(columns="previous_population_row"), gone.loc[died, "previous_population_row"])
        add("moved_out", gone[~died].drop(columns="previous_population_row"), gone.loc[~died, "previous_population_row"])
        for kind, changed in (("moved_within", both["desa_code"] != both["desa_code_before"]),
                              ("name_corrected", both["name_norm"] != both["name_norm_before"]),
                              ("birth_date_corrected", both["birth_date"] != both["birth_date_before"]),
                              ("married", (both["marital_before"] == BELUM_KAWIN) & (both["marital"] != BELUM_KAWIN)),
                              ("joined_tni_polri", ~serving(both["occupation_before"]) & serving(both["occupation"])),
                              ("left_tni_polri", serving(both["occupation_before"]) & ~serving(both["occupation"]))):
            hit = changed.fillna(False).to_numpy(dtype=bool)
            add(kind, both[hit], both.loc[hit, "population_row_before"])
    return pd.concat(changes, ignore_index=True)[CHANGE_COLUMNS]


CHANGE_COLUMNS = ["change", "population_row", "previous_population_row", "nik", "desa_code"]



def coverage_by_region(semester: SemesterInputs, tms: pd.DataFrame, unregistered: pd.DataFrame,
                       newly: pd.DataFrame) -> pd.DataFrame:
    """Residents, eligible, registered, linked, eligible_unregistered, TMS candidates 1..8 and new voters per
    region; residents' counts by where they live, voter rows' by the desa they are listed in. Every level adds
    up to the level above."""
    residents, voters = semester.residents, semester.voters
    eligible = eligibility(residents, semester.judged_on.day, semester.judged_on.area)["eligible"]
    tms_columns = {f"tms_{code}": voters["source_row"].isin(tms.loc[tms["tms_code"] == code, "voter_row"]).astype(int)
                   for code in map(str, range(1, 9))}
    merged = counts_per_region([
        (residents, {"residents": pd.Series(1, index=residents.index), "eligible": eligible.astype(int),
                     "eligible_unregistered": residents["source_row"].isin(unregistered["population_row"]).astype(int),
                     "new_voters": residents["source_row"].isin(newly["population_row"]).astype(int)}),
        (voters, {"registered": pd.Series(1, index=voters.index),
                  "linked": voters["source_row"].isin(semester.links.links["voter_row"]).astype(int), **tms_columns}),
    ], regions.LEVELS)
    merged["coverage_pct"] = (100 * (merged["eligible"] - merged["eligible_unregistered"])
                              / merged["eligible"].where(merged["eligible"] > 0)).round(2)
    return merged[COVERAGE_COLUMNS].reset_index(drop=True)


COVERAGE_COLUMNS = ["region_level", "region_code", "region_name", "residents", "eligible", "registered", "linked",
                    "eligible_unregistered", *[f"tms_{c}" for c in range(1, 9)], "new_voters", "coverage_pct"]


def changes_per_region(changes: pd.DataFrame) -> pd.DataFrame:
    """People per change and region: the desa they live in now, or lived in before they left. A recorded death
    of someone the previous snapshot did not have (or with no previous snapshot) counts in the kecamatan its NIK
    was issued in, and above; "unknown" only when the NIK names no current kecamatan either."""
    frames = []
    for change, rows in changes.groupby("change"):
        where = rows["desa_code"].fillna(regions.nik_kecamatan(rows["nik"]))
        counted = counts_per_region([(pd.DataFrame({"desa_code": where[where.notna()]}),
                                      {"people": pd.Series(1, index=where[where.notna()].index)})], regions.LEVELS)
        unplaced = where.isna().sum()
        if unplaced:
            counted = pd.concat([counted, pd.DataFrame({"region_code": ["unknown"], "people": [unplaced],
                                                        "region_level": ["unknown"], "region_name": [None]})])
        frames.append(counted.assign(change=change))
    if not frames:
        return pd.DataFrame(columns=["region_level", "region_code", "region_name", "change", "people"])
    return pd.concat(frames, ignore_index=True)[["region_level", "region_code", "region_name", "change", "people"]]


def _weakest(confidence: pd.Series) -> str:
    return next(level for level in (LOW, MEDIUM, HIGH) if (confidence == level).any())


COKLIT_COLUMNS = ["desa_code", "rw", "rt", "address", "tps", "name", "nik", "sex", "age", "to_check", "reason",
                  "confidence", "voter_row", "population_row"]


def coklit_list(tms: pd.DataFrame, unregistered: pd.DataFrame, voters: pd.DataFrame, residents: pd.DataFrame,
                reference_date: dt.date, mask: Callable[[pd.Series], pd.Series]) -> pd.DataFrame:
    """The people Pantarlih officers visit, for every desa: voter rows flagged TMS (an invalid NIK only where no
    resident record can repair it) and eligible residents missing from the list; by RW, RT and address.
    `mask` is applied to the NIK (identity for an operator who asked for full data)."""
    to_visit = tms[(tms["tms_code"] != "nik_invalid") | tms["needs_coklit"]]
    codes = to_visit.groupby("voter_row").agg(
        to_check=("tms_code", lambda c: "; ".join(f"TMS {code} {TMS_CODES[code]}" for code in c)),
        reason=("reason", "; ".join), confidence=("confidence", _weakest))
    listed = voters.set_index("source_row").loc[codes.index]
    flagged = pd.DataFrame({
        "desa_code": listed["desa_code"], "rw": listed["rw"], "rt": listed["rt"], "address": listed["address"],
        "tps": listed["tps"], "name": listed["name"], "nik": mask(listed["nik"]), "sex": listed["sex"],
        "age": age_on(listed["birth_date"], reference_date), **codes, "voter_row": codes.index,
        "population_row": pd.NA}).reset_index(drop=True)
    resident = residents.set_index("source_row").loc[unregistered["population_row"]]
    missing = pd.DataFrame({
        "desa_code": resident["desa_code"], "rw": resident["rw"], "rt": resident["rt"], "address": resident["address"],
        "tps": pd.NA, "name": resident["name"], "nik": mask(resident["nik"]), "sex": resident["sex"],
        "age": unregistered["age"].to_numpy(), "to_check": "eligible, not on the list",
        "reason": unregistered["reason"].to_numpy(), "confidence": HIGH, "voter_row": pd.NA,
        "population_row": unregistered["population_row"].to_numpy()}).reset_index(drop=True)
    both = pd.concat([flagged.astype({"voter_row": "Int64", "population_row": "Int64", "tps": "Int64"}),
                      missing.astype({"voter_row": "Int64", "population_row": "Int64", "tps": "Int64"})], ignore_index=True)
    return both.sort_values(["desa_code", "rw", "rt", "address", "name"], ignore_index=True)[COKLIT_COLUMNS]
