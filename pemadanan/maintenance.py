"""What KPU and Dukcapil act on each semester, besides the TMS candidates (`tms`): eligible residents missing from
the list, new voters, the population's changes since the last semester, the death records known, coverage per
region and the coklit lists.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from pemadanan import catalogue, regions
from pemadanan.dates import age_on
from pemadanan.eligibility import BELUM_KAWIN, VOTING_AGE, eligibility, serving, turns_of_age_between
from pemadanan.frames import text_in
from pemadanan.kpu import KPU_CODES, TMS_MEANINGS
from pemadanan.names import name_key
from pemadanan.semester import SemesterInputs
from pemadanan.summary import counts_per_region
from pemadanan.tms import HIGH, LOW, MEDIUM

DEATH_RECORD_COLUMNS = [*catalogue.DEATH_RECORDS.frame_columns, "delivered_in"]  # published under delivered_in


def remembered_deaths(delivered: pd.DataFrame, semester: str, earlier: pd.DataFrame | None) -> pd.DataFrame:
    """Every death record known by `semester`, one per person: those earlier semesters delivered (`earlier`, as kept
    in restricted.death_records, with the delivering `semester`) and this semester's file (`delivered`, ingest's
    accepted deaths). A record delivered again, in an earlier file or twice in this one, keeps the first delivery:
    it is not a second death. `new` marks the records this semester delivered first."""
    known = delivered.assign(delivered_in=semester)[DEATH_RECORD_COLUMNS]
    if earlier is not None and len(earlier):
        before = earlier.rename(columns={"semester": "delivered_in"})[DEATH_RECORD_COLUMNS]
        before = before.sort_values(["delivered_in", "source_row"])
        known = pd.concat([before, known], ignore_index=True) if len(known) else before.reset_index(drop=True)
    known = known[~(known["nik"].duplicated() & known["nik"].notna())].reset_index(drop=True)
    return known.assign(name_key=name_key(known["name_norm"]), new=known["delivered_in"] == semester)


def _unlisted(semester: SemesterInputs) -> pd.Series:
    """Residents with no voter row, nor a voter row awaiting review as theirs, nor a quarantined row with their NIK."""
    taken = pd.concat([semester.links.links["population_row"], semester.links.review_queue["population_row"]])
    residents = semester.residents
    return ~residents["source_row"].isin(taken) & ~text_in(residents["nik"], semester.quarantined_voter_niks)


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


SNAPSHOT_COLUMNS = catalogue.POPULATION_SNAPSHOT.frame_columns


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
        # A person without a NIK (a check an operator set to flag) cannot be followed from one snapshot to the next:
        # only a birth can be told. pandas' merge would pair every such row with every other.
        followed, followed_before = now[now["nik"].notna()], previous[previous["nik"].notna()]
        both = followed.merge(followed_before, on="nik", suffixes=("", "_before"))
        new = followed[~text_in(followed["nik"], previous["nik"])]
        gone = followed_before[~text_in(followed_before["nik"], now["nik"])].rename(
            columns={"population_row": "previous_population_row"})
        add("born", now[(born & now["nik"].isna()).to_numpy()])
        add("born", new[born[new.index].to_numpy()])
        add("moved_in", new[~born[new.index].to_numpy()])
        died = text_in(gone["nik"], dead_nik)
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


CHANGE_COLUMNS = catalogue.POPULATION_CHANGES.frame_columns



def coverage_by_region(semester: SemesterInputs, tms: pd.DataFrame, unregistered: pd.DataFrame,
                       newly: pd.DataFrame) -> pd.DataFrame:
    """Residents, eligible, registered, linked, eligible_unregistered, TMS candidates 1..8 and new voters per
    region; residents' counts by where they live, voter rows' by the desa they are listed in. Every level adds
    up to the level above."""
    residents, voters = semester.residents, semester.voters
    eligible = eligibility(residents, semester.judged_on.day, semester.judged_on.area)["eligible"]
    tms_columns = {f"tms_{code}": voters["source_row"].isin(tms.loc[tms["tms_code"] == code, "voter_row"]).astype(int)
                   for code in KPU_CODES}
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


COVERAGE_COLUMNS = catalogue.COVERAGE_BY_REGION.frame_columns


def changes_per_region(changes: pd.DataFrame, kabupaten: str) -> pd.DataFrame:
    """People per change and region of the kabupaten that delivered them: the desa they live in now, or lived in
    before they left. A recorded death with no previous snapshot to place it counts in the kecamatan its NIK was issued in when that is in the kabupaten, else in the kabupaten alone: the
    kabupaten's Dukcapil recorded it, wherever the NIK was issued, and a count under another kabupaten's name would
    be a count of one that no desa suppression covers."""
    frames = []
    for change, rows in changes.groupby("change"):
        issued = regions.nik_kecamatan(rows["nik"])
        issued_here = issued.where(issued.str.startswith(f"{kabupaten}.").fillna(False))
        where = rows["desa_code"].fillna(issued_here).fillna(kabupaten)
        counted = counts_per_region([(pd.DataFrame({"desa_code": where}), {"people": pd.Series(1, index=where.index)})],
                                    regions.LEVELS)
        frames.append(counted.assign(change=change))
    if not frames:
        return pd.DataFrame(columns=["region_level", "region_code", "region_name", "change", "people"])
    return pd.concat(frames, ignore_index=True)[["region_level", "region_code", "region_name", "change", "people"]]


COKLIT_COLUMNS = catalogue.COKLIT_LIST.frame_columns


def coklit_list(tms: pd.DataFrame, unregistered: pd.DataFrame, voters: pd.DataFrame, residents: pd.DataFrame,
                reference_date: dt.date) -> pd.DataFrame:
    """The people Pantarlih officers visit, for every desa: voter rows flagged TMS (an invalid NIK only where no
    resident record can repair it) and eligible residents missing from the list; by RW, RT and address. The NIK is
    whole: it is published in `restricted`, and the lists written for officers mask it (`nik.mask_nik`)."""
    to_visit = tms[(tms["tms_code"] != "nik_invalid") | tms["needs_coklit"]]
    # One line per voter row: its codes and reasons joined, the weakest confidence of them.
    strength = pd.Categorical(to_visit["confidence"], categories=[LOW, MEDIUM, HIGH], ordered=True)
    codes = to_visit.assign(
        to_check=("TMS " + to_visit["tms_code"] + " " + to_visit["tms_code"].map(TMS_MEANINGS)).astype(object),
        reason=to_visit["reason"].astype(object), confidence=strength,
    ).groupby("voter_row").agg(to_check=("to_check", "; ".join), reason=("reason", "; ".join),
                                confidence=("confidence", "min"))
    codes["confidence"] = codes["confidence"].astype(object)
    listed = voters.set_index("source_row").loc[codes.index]
    flagged = pd.DataFrame({
        "desa_code": listed["desa_code"], "rw": listed["rw"], "rt": listed["rt"], "address": listed["address"],
        "tps": listed["tps"], "name": listed["name"], "nik": listed["nik"], "sex": listed["sex"],
        "age": age_on(listed["birth_date"], reference_date), **codes, "voter_row": codes.index,
        "population_row": pd.NA}).reset_index(drop=True)
    resident = residents.set_index("source_row").loc[unregistered["population_row"]]
    missing = pd.DataFrame({
        "desa_code": resident["desa_code"], "rw": resident["rw"], "rt": resident["rt"], "address": resident["address"],
        "tps": pd.NA, "name": resident["name"], "nik": resident["nik"], "sex": resident["sex"],
        "age": unregistered["age"].to_numpy(), "to_check": "eligible, not on the list",
        "reason": unregistered["reason"].to_numpy(), "confidence": HIGH, "voter_row": pd.NA,
        "population_row": unregistered["population_row"].to_numpy()}).reset_index(drop=True)
    both = pd.concat([flagged.astype({"voter_row": "Int64", "population_row": "Int64", "tps": "Int64"}),
                      missing.astype({"voter_row": "Int64", "population_row": "Int64", "tps": "Int64"})], ignore_index=True)
    return both.sort_values(["desa_code", "rw", "rt", "address", "name"], ignore_index=True)[COKLIT_COLUMNS]
