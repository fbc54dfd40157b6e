"""TMS (tidak memenuhi syarat): the rules that flag a voter row as not qualifying, in one registry.

`TMS_RULES` lists every rule: the KPU code it gives, what the code means, when it applies, how sure the data
makes it and whether only a visit (coklit) can confirm it. A code may have several rules of different
confidence (a death found by NIK, or without a trustworthy NIK by name and birth date). The maintenance
outputs, the table docs, `coverage_by_region` and the evaluation all read this registry.

Where the data cannot tell (a voter nobody in the population matches may have moved away, died unrecorded or
never lived here), the rule says so and asks for coklit instead of guessing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import pandas as pd

from pemadanan.catalogue import TMS_CANDIDATES
from pemadanan.dates import age_on
from pemadanan.eligibility import BELUM_KAWIN, POLRI, TNI, VOTING_AGE
from pemadanan.frames import text_in
from pemadanan.kpu import TMS_MEANINGS
from pemadanan.linkage import LinkResult
from pemadanan.names import name_words
from pemadanan.nik import TRUSTED, NikStatus, nik_birth_parts, nik_neighbour_pairs
from pemadanan.semester import SemesterInputs
from pemadanan.similarity import (
    NAMES_AGREE,
    NAMES_CLOSE,
    name_similarity,
    names_agree_fully_or_partly,
    names_agree_word_by_word,
)

HIGH, MEDIUM, LOW = "high", "medium", "low"
TMS_COLUMNS = TMS_CANDIDATES.frame_columns


@dataclass(frozen=True)
class TmsRule:
    code: str  # KPU's TMS code 1..8; nik_invalid is this project's (`pemadanan.kpu`)
    applies_when: str
    confidence: str  # high: the data says so; medium: matched without a trustworthy NIK; low: the data cannot tell why
    needs_coklit: bool  # only a visit can confirm it: nobody strikes a voter on this flag alone
    find: Callable[[Facts], pd.DataFrame]  # voter_row, reason, evidence of the rows it flags

    @property
    def meaning(self) -> str:
        return TMS_MEANINGS[self.code]


class Facts:
    """What the rules read, each computed once per semester."""

    def __init__(self, semester: SemesterInputs, changes: pd.DataFrame, deaths: pd.DataFrame):
        self.semester, self.changes, self.deaths = semester, changes, deaths
        self.voters, self.links = semester.voters, semester.links

    @cached_property
    def resident_row(self) -> pd.Series:
        return resident_of_each_row(self.links)

    @cached_property
    def person(self) -> pd.DataFrame:
        """The resident record of each voter row that has one, indexed by voter row."""
        rows = self.resident_row
        return self.semester.residents.set_index("source_row").loc[rows.to_numpy()].set_axis(rows.index)

    @cached_property
    def recorded_dead(self) -> pd.DataFrame:
        """Voter rows matching a death record, unless linked: the population says a linked row is alive."""
        return match_deaths(self.voters[~self.voters["source_row"].isin(self.links.links["voter_row"])], self.deaths)

    @cached_property
    def lost(self) -> pd.DataFrame:
        """Voter rows nobody in the population matches, not a recorded death and not awaiting review."""
        voters = self.voters
        return voters[~voters["source_row"].isin(self.resident_row.index)
                      & ~voters["source_row"].isin(self.recorded_dead["voter_row"])
                      & ~voters["source_row"].isin(self.links.review_queue["voter_row"])]

    @cached_property
    def moved_away(self) -> pd.Series:
        """Of the lost rows, those whose NIK left the population since the previous semester."""
        lost = self.lost
        left = self.changes.loc[self.changes["change"] == "moved_out", "nik"]
        return text_in(lost["nik"], left) & lost["nik_status"].isin(TRUSTED)

    @cached_property
    def untrusted_nik(self) -> pd.DataFrame:
        voters = self.voters[~self.voters["nik_status"].isin(TRUSTED)]
        return voters.assign(repairable=voters["source_row"].isin(self.resident_row.index))


def _flags(rows, reason, evidence) -> pd.DataFrame:
    """Values are scalars or aligned with `rows` by position."""
    values = {"voter_row": rows, "reason": reason, "evidence": evidence}
    return pd.DataFrame({k: v.to_numpy() if isinstance(v, pd.Series | pd.Index) else v for k, v in values.items()},
                        index=pd.RangeIndex(len(rows)))


def _dead(confidence: str) -> Callable[[Facts], pd.DataFrame]:
    def find(facts: Facts) -> pd.DataFrame:
        dead = facts.recorded_dead[facts.recorded_dead["confidence"] == confidence]
        return _flags(dead["voter_row"], "a death is recorded for this person", dead["evidence"])
    return find


def _listed_again(facts: Facts) -> pd.DataFrame:
    again = facts.links.duplicates
    return _flags(again["voter_row"], "the person is listed already (row " + again["duplicate_of_voter_row"].astype(str)
                  + ")", again["evidence"])


def _under_age(facts: Facts) -> pd.DataFrame:
    person, judged_on = facts.person, facts.semester.judged_on
    young = ((age_on(person["birth_date"], judged_on.day) < VOTING_AGE).fillna(False)
             & person["marital"].eq(BELUM_KAWIN).fillna(False))
    return _flags(young[young].index, f"under 17 and never married on {judged_on.day}",
                  f"resident record: birth date and marital status, judged on {judged_on.describe()}")


def _under_age_by_the_list(facts: Facts) -> pd.DataFrame:
    lost, judged_on = facts.lost, facts.semester.judged_on
    young = lost[(age_on(lost["birth_date"], judged_on.day) < VOTING_AGE).fillna(False)
                 & lost["marital"].eq("B").fillna(False)]
    return _flags(young["source_row"], f"under 17 and never married on {judged_on.day} by the voter list's own "
                  "birth date and status", f"no resident found to confirm it; judged on {judged_on.describe()}")


def _moved_away(facts: Facts) -> pd.DataFrame:
    return _flags(facts.lost.loc[facts.moved_away, "source_row"], "left the population since the previous semester, "
                  "no death recorded: moved away (or died unrecorded)",
                  "NIK in the previous semester's population, not in this one")


def _unknown(facts: Facts) -> pd.DataFrame:
    rows = facts.lost.loc[~facts.moved_away, "source_row"]
    why = facts.links.unlinked.set_index("voter_row")["reason"].reindex(rows).fillna("no resident linked")
    return _flags(rows, "no resident matches this row with enough confidence", why)


def _serving(occupation: int, name: str) -> Callable[[Facts], pd.DataFrame]:
    def find(facts: Facts) -> pd.DataFrame:
        serving = facts.person["occupation"].eq(occupation).fillna(False)
        return _flags(serving[serving].index, f"serving {name}", f"resident record: occupation (JENIS_PKRJN) {occupation}")
    return find


def _listed_in_another_desa(facts: Facts) -> pd.DataFrame:
    person = facts.person
    listed_desa = facts.voters.set_index("source_row").loc[person.index, "desa_code"]
    elsewhere = person["desa_code"].ne(listed_desa).fillna(False)
    return _flags(elsewhere[elsewhere].index, "the resident lives in another desa of the kabupaten",
                  "resident's desa " + person.loc[elsewhere, "desa_code"].astype(str))


def _nik_invalid(repairable: bool) -> Callable[[Facts], pd.DataFrame]:
    def find(facts: Facts) -> pd.DataFrame:
        rows = facts.untrusted_nik[facts.untrusted_nik["repairable"] == repairable]
        return _flags(rows["source_row"], "NIK " + rows["nik_status"].astype(str),
                      "the linked resident's NIK can replace it" if repairable
                      else "no linked resident to take the NIK from")
    return find


TMS_RULES: tuple[TmsRule, ...] = (
    TmsRule("1", "a death record (this semester's or an earlier one's) has the row's NIK, or one digit "
            "off with the voter's birth date in it, and the names agree; the row links to no resident",
            HIGH, False, _dead(HIGH)),
    TmsRule("1", "the row has no trustworthy NIK; its name, sex and birth date agree with a death "
            "record's name and the birth date and sex its NIK carries, or its NIK's serial was zeroed by Excel and the "
            "rest and the name agree word by word", MEDIUM, True, _dead(MEDIUM)),
    TmsRule("2", "the row lists a person another row lists already (same NIK, or same KK or desa and the "
            "same resident)", HIGH, False, _listed_again),
    TmsRule("3", "the linked resident is under 17 and never married on the day the semester is "
            "judged on (the coming voting day, else the reference date)", HIGH, False, _under_age),
    TmsRule("3", "no resident matches, and the row's own birth date and status say under 17 and "
            "never married on that day", MEDIUM, True, _under_age_by_the_list),
    TmsRule("4", "no resident matches, and the row's NIK left the population since the previous "
            "semester with no death recorded", LOW, True, _moved_away),
    TmsRule("5", "no resident matches with enough confidence and nothing says why", LOW, True,
            _unknown),
    TmsRule("6", "the linked resident serves in TNI (JENIS_PKRJN 6)", HIGH, False, _serving(TNI, "TNI")),
    TmsRule("7", "the linked resident serves in Polri (JENIS_PKRJN 7)", HIGH, False, _serving(POLRI, "Polri")),
    TmsRule("8", "the linked resident lives in another desa than the row is listed in",
            HIGH, False, _listed_in_another_desa),
    TmsRule("nik_invalid", "the row's NIK is missing or not valid, and its linked resident's NIK "
            "can replace it", HIGH, False, _nik_invalid(repairable=True)),
    TmsRule("nik_invalid", "the row's NIK is missing or not valid, and no linked resident can "
            "give the NIK", HIGH, True, _nik_invalid(repairable=False)),
)


def tms_candidates(semester: SemesterInputs, changes: pd.DataFrame, deaths: pd.DataFrame) -> pd.DataFrame:
    """One row per voter row and TMS code that applies to it. `changes` from `maintenance.population_changes`,
    `deaths` every death record known (`maintenance.remembered_deaths`)."""
    facts = Facts(semester, changes, deaths)
    flags = [rule.find(facts).assign(tms_code=rule.code, confidence=rule.confidence, needs_coklit=rule.needs_coklit)
             for rule in TMS_RULES]
    return pd.concat(flags, ignore_index=True)[TMS_COLUMNS].sort_values(["voter_row", "tms_code"], ignore_index=True)


def rules_markdown() -> str:
    """The registry as a table, for docs/TABLES.md."""
    lines = ["| code | meaning | applies when | confidence | needs coklit |", "|---|---|---|---|---|"]
    lines += [f"| {r.code} | {r.meaning} | {r.applies_when} | {r.confidence} | {'yes' if r.needs_coklit else 'no'} |"
              for r in TMS_RULES]
    return "\n".join(lines)


def resident_of_each_row(links: LinkResult) -> pd.Series:
    """population_row per voter row: its own link, or for a row listing a person again, the kept row's link."""
    linked = links.links.set_index("voter_row")["population_row"]
    again = links.duplicates.set_index("voter_row")["duplicate_of_voter_row"].map(linked).dropna()
    return pd.concat([linked, again.astype(linked.dtype)]) if len(again) else linked


def match_deaths(voters: pd.DataFrame, deaths: pd.DataFrame) -> pd.DataFrame:
    """(voter_row, confidence, evidence): voter rows that are a recorded death. By NIK (equal, or one edit away with
    the birth date inside it equal to the voter's) with the name agreeing: high; or, for voter rows without a
    trustworthy NIK, by name, sex and the birth date and sex the death record's NIK carries: medium.
    `deaths` has nik, name_key, name_norm and delivered_in (the semester whose file delivered it)."""
    if deaths.empty:
        return pd.DataFrame(columns=["voter_row", "confidence", "evidence"])
    deaths = deaths.reset_index(drop=True)
    parts = nik_birth_parts(deaths["nik"].fillna(""))
    dead = pd.DataFrame({"death_row": deaths.index, "dead_name_key": deaths["name_key"].to_numpy(),
                         "dead_name_norm": deaths["name_norm"].to_numpy(),
                         "delivered_in": deaths["delivered_in"].to_numpy(),
                         "day": parts["day"].to_numpy(), "month": parts["month"].to_numpy(), "yy": parts["yy"].to_numpy(),
                         "dead_sex": parts["sex"].to_numpy()})
    listed = pd.DataFrame({"voter_row": voters["source_row"].to_numpy(), "name_key": voters["name_key"].to_numpy(),
                           "name_norm": voters["name_norm"].to_numpy(),
                           "day": voters["birth_date"].dt.day.astype("Int64").to_numpy(),
                           "month": voters["birth_date"].dt.month.astype("Int64").to_numpy(),
                           "yy": (voters["birth_date"].dt.year % 100).astype("Int64").to_numpy(),
                           "sex": voters["sex"].to_numpy()})

    trusted = voters[voters["nik_status"].isin(TRUSTED) & voters["nik"].notna()]
    # Neighbours of the few death records' NIKs, not of every voter's.
    by_nik = nik_neighbour_pairs(deaths["nik"], trusted.set_index("source_row")["nik"]).rename(
        columns={"voter_row": "death_row", "population_row": "voter_row"})
    by_nik = by_nik.merge(listed, on="voter_row").merge(dead, on="death_row", suffixes=("", "_nik"))
    born_as_in_nik = ((by_nik["day"] == by_nik["day_nik"]) & (by_nik["month"] == by_nik["month_nik"])
                      & (by_nik["yy"] == by_nik["yy_nik"])).fillna(False).to_numpy(dtype=bool)
    # An equal NIK needs the names to agree at least in part (the list may carry one word of the name), or to be
    # close with the sex the NIK carries (a typo in a short name: 'AGMS' / 'AGUS'); a NIK one digit off needs them to
    # agree and the birth date inside it to be the voter's.
    equal = (by_nik["edit"] == "equal").to_numpy()
    similarity = name_similarity(by_nik["name_key"], by_nik["dead_name_key"])
    sex_as_in_nik = (by_nik["sex"] == by_nik["dead_sex"]).fillna(False).to_numpy(dtype=bool)
    by_nik = by_nik[(equal & (names_agree_fully_or_partly(by_nik["name_key"], by_nik["dead_name_key"],
                                                         name_words(by_nik["name_norm"]),
                                                         name_words(by_nik["dead_name_norm"]))
                              | ((similarity >= NAMES_CLOSE) & sex_as_in_nik)))
                    | ((similarity >= NAMES_AGREE) & born_as_in_nik)]
    by_nik = by_nik.assign(confidence=HIGH, evidence="NIK " + by_nik["edit"].str.replace("equal", "equal to", regex=False)
                           + " that of a death record delivered in " + by_nik["delivered_in"].astype(str)
                           + "; the names agree")

    untrusted = listed[~listed["voter_row"].isin(trusted["source_row"])]
    by_person = untrusted.merge(dead, on=["day", "month", "yy"])
    by_person = by_person[(by_person["sex"] == by_person["dead_sex"]).fillna(False).to_numpy(dtype=bool)
                          & names_agree_word_by_word(by_person["name_key"], by_person["dead_name_key"],
                                                     name_words(by_person["name_norm"]),
                                                     name_words(by_person["dead_name_norm"]))]
    by_person = by_person.assign(confidence=MEDIUM, evidence="no trustworthy NIK; name, sex and birth date agree with "
                                 "a death record delivered in " + by_person["delivered_in"].astype(str)
                                 + " (the birth date its NIK carries)")

    # Excel zeroed the serial: region and birth date, the first 12 digits, still hold, and the list's own birth date
    # may be a placeholder. Without a NIK to tell them apart, names agree word by word: twins share birth date, sex
    # and 12 digits, and 'ZAHRA PERMATASARI' / 'AYU PERMATASARI' share most letters.
    # Its digits are in `nik_digits` only: an unreliable NIK is in no NIK column.
    zeroed = voters[voters["nik_status"].eq(NikStatus.UNRELIABLE) & nik_birth_parts(voters["nik_digits"])["valid_date"]]
    by_prefix = pd.DataFrame({"voter_row": zeroed["source_row"].to_numpy(),
                              "prefix": zeroed["nik_digits"].str.slice(0, 12).to_numpy(),
                              "name_key": zeroed["name_key"].to_numpy(), "name_norm": zeroed["name_norm"].to_numpy()}
                             ).merge(dead.assign(prefix=deaths["nik"].str.slice(0, 12).to_numpy()), on="prefix")
    by_prefix = by_prefix[names_agree_word_by_word(by_prefix["name_key"], by_prefix["dead_name_key"],
                                                   name_words(by_prefix["name_norm"]),
                                                   name_words(by_prefix["dead_name_norm"]))]
    by_prefix = by_prefix.assign(confidence=MEDIUM, evidence="NIK serial zeroed by Excel; its region and birth date "
                                 "and the name agree with a death record delivered in "
                                 + by_prefix["delivered_in"].astype(str))
    found = pd.concat([by_nik, by_person, by_prefix], ignore_index=True)[["voter_row", "confidence", "evidence"]]
    return found.drop_duplicates("voter_row")
