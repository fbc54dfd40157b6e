"""Linking voter rows to residents: a cascade, precise first, then complete.

0. Reviewers' decisions from earlier runs: accepted pairs are links, rejected pairs are never made.
1. exact_nik: a reliable NIK equal to a resident's, with birth date, sex and name agreeing. A NIK alone is not
   proof: a mistyped or Excel-zeroed digit can land on a neighbour's NIK, which has the same region, birth
   date and sex; the name tells them apart.
2. nik_one_edit: the voter's 16 digits within one substituted digit or one swap of neighbours of a
   resident's NIK (this covers a tail Excel zeroed, and an equal NIK whose birth date was written with day and
   month swapped), confirmed by name (word by word), sex, birth date (equal or swapped) and place (family
   card or desa): people born on one day in neighbouring kecamatan get NIKs one digit apart, people born a
   day apart in one desa too, and common names are common.
   A voter row with two such residents goes to review.
3. probabilistic: Fellegi-Sunter (see `probabilistic`) on the rows left, against every resident, one to one.
   Weights decide, within two rules: the name agrees (fully, or in part: one word of it, other word order,
   initials), and the NIK or the birth date agrees too; and no second resident is nearly as likely (twins,
   namesakes). A NIK equal to a resident's with birth date, sex and family card agreeing is overwhelming
   evidence even when the list carries one word of the name. Pairs above `review_probability` that are not
   links go to the review queue with what to check.
4. Duplicates inside the list: rows that resolve to a resident another row is linked to (by NIK in stages 1-2,
   or as their best match in stage 3) are that person listed again, whatever their NIKs say; so are rows that
   agree with each other on name, sex, birth date and card, NIK or RT/RW (see `duplicates`). The linked row is
   kept.

Each stage sees only what the previous ones left; a resident links to at most one voter row.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pemadanan import catalogue, duplicates, probabilistic
from pemadanan.frames import stack
from pemadanan.nik import TRUSTED, NikStatus, nik_neighbour_pairs
from pemadanan.similarity import NAMES_AGREE, birth_dates_swapped, name_similarity, names_agree_word_by_word

REVIEWER = "reviewer"
EXACT_NIK = "exact_nik"
NIK_ONE_EDIT = "nik_one_edit"
PROBABILISTIC = "probabilistic"
METHODS = (REVIEWER, EXACT_NIK, NIK_ONE_EDIT, PROBABILISTIC)

LINK_COLUMNS = catalogue.VOTER_LINKS.frame_columns
REVIEW_COLUMNS = catalogue.REVIEW_QUEUE.frame_columns


@dataclass(frozen=True)
class LinkagePolicy:
    link_probability: float = 0.999
    review_probability: float = 0.5


@dataclass
class LinkResult:
    links: pd.DataFrame  # LINK_COLUMNS
    # voter_row, reason, and what the national step looks for elsewhere: nik (when trustworthy), birth_date, name_key.
    # Duplicates are not here: they are in `duplicates`.
    unlinked: pd.DataFrame
    review_queue: pd.DataFrame  # REVIEW_COLUMNS
    duplicates: pd.DataFrame  # duplicates.DUPLICATE_COLUMNS
    model: pd.DataFrame  # the probabilistic stage's m, u and weights per field
    candidate_pairs: pd.MultiIndex  # what blocking gave the probabilistic stage (for measuring it)
    stage_inputs: dict[str, pd.Series] = field(default_factory=dict)  # voter rows each stage started with
    pairs_compared: int = 0
    review_decisions: pd.DataFrame | None = None  # every decision of the reviewers' file, applied or not (`review`)

    # What a step output keeps: `candidate_pairs` and `stage_inputs` measure one call of `link` (benchmarks,
    # `pemadanan evaluate`) and do not cross a step boundary.
    STAGED = ("links", "unlinked", "review_queue", "duplicates", "model", "review_decisions")

    def to_frames(self) -> tuple[dict[str, pd.DataFrame], dict]:
        return ({name: getattr(self, name) for name in self.STAGED if getattr(self, name) is not None},
                {"pairs_compared": self.pairs_compared})

    @classmethod
    def from_frames(cls, frames: dict[str, pd.DataFrame], values: dict) -> LinkResult:
        return cls(**{name: frames.get(name) for name in cls.STAGED}, candidate_pairs=NO_PAIRS,
                   pairs_compared=values["pairs_compared"])

    def without_measurements(self) -> LinkResult:
        """What a step output keeps (`STAGED`, `pairs_compared`)."""
        return dataclasses.replace(self, candidate_pairs=NO_PAIRS, stage_inputs={})


NO_PAIRS = pd.MultiIndex.from_arrays([pd.Index([], dtype="int64"), pd.Index([], dtype="int64")],
                                     names=["voter_row", "population_row"])


def _people(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[["source_row", "name_words", "name_key", "birth_date", "sex", "no_kk", "desa_code"]].set_index("source_row")


def _confirmed_pairs(voters: pd.DataFrame, residents: pd.DataFrame, pairs: pd.DataFrame,
                     swapped_birth_date: bool, same_place: bool) -> pd.DataFrame:
    """The (voter_row, population_row) pairs whose name (word by word), sex and birth date agree (with
    `swapped_birth_date`, also day and month swapped; with `same_place`, family card or desa too), with what was
    compared. A birth date a few days off is not enough beside a NIK one digit off: people born a day apart in
    one desa have such NIKs, and a surname in common."""
    v = _people(voters).loc[pairs["voter_row"]].reset_index(drop=True)
    r = _people(residents).loc[pairs["population_row"]].reset_index(drop=True)
    similarity = name_similarity(v["name_key"], r["name_key"])
    birth_equal = (v["birth_date"] == r["birth_date"]).fillna(False).to_numpy(dtype=bool)
    birth_ok = birth_equal | (birth_dates_swapped(v["birth_date"], r["birth_date"]) if swapped_birth_date else False)
    sex_agrees = (v["sex"] == r["sex"]).fillna(False).to_numpy(dtype=bool)
    place_ok = ((v["no_kk"] == r["no_kk"]) | (v["desa_code"] == r["desa_code"])).fillna(False).to_numpy(dtype=bool)
    out = pairs.reset_index(drop=True).assign(name_similarity=np.round(similarity, 4), birth_date_agrees=birth_equal,
                                              sex_agrees=sex_agrees)
    # The cheap tests first; names word by word only for the pairs that pass them.
    passed = (similarity >= NAMES_AGREE) & birth_ok & sex_agrees & (place_ok | (not same_place))
    v, r, out = v[passed], r[passed], out[passed]
    return out[names_agree_word_by_word(v["name_key"], r["name_key"], v["name_words"], r["name_words"])]


def _exact_nik(voters: pd.DataFrame, residents: pd.DataFrame) -> pd.DataFrame:
    trusted = voters[voters["nik_status"].isin(TRUSTED) & voters["nik"].notna()]
    pairs = trusted[["source_row", "nik"]].merge(residents[["source_row", "nik"]], on="nik", suffixes=("_v", "_p"))
    pairs = pairs.rename(columns={"source_row_v": "voter_row", "source_row_p": "population_row"})
    confirmed = _confirmed_pairs(voters, residents, pairs[["voter_row", "population_row"]], swapped_birth_date=False,
                                 same_place=False)
    return confirmed.assign(link_method=EXACT_NIK, nik="equal")


def _nik_one_edit(voters: pd.DataFrame, residents: pd.DataFrame, near: pd.DataFrame) -> pd.DataFrame:
    pairs = near[near["population_row"].isin(residents["source_row"])]
    confirmed = _confirmed_pairs(voters, residents, pairs[["voter_row", "population_row"]], swapped_birth_date=True,
                                 same_place=True)
    confirmed["nik"] = pairs.set_index(["voter_row", "population_row"])["edit"].reindex(
        pd.MultiIndex.from_frame(confirmed[["voter_row", "population_row"]])).to_numpy()
    return confirmed.assign(link_method=NIK_ONE_EDIT)


def _deterministic_links(confirmed: pd.DataFrame) -> pd.DataFrame:
    birth = pd.Series(np.where(confirmed["birth_date_agrees"], "equal", "day and month swapped"), index=confirmed.index)
    # The JSON put together column-wise (json.dumps per link was 2 s at a million residents): the values are fixed
    # words and a finite float, whose str() is its JSON.
    explanation = ('{"nik": "' + confirmed["nik"].astype(str) + '", "name_similarity": '
                   + confirmed["name_similarity"].astype(float).astype(str) + ', "birth_date": "' + birth
                   + '", "sex": "equal"}')
    return confirmed.assign(match_score=confirmed["name_similarity"], match_weight=np.nan,
                            explanation=explanation)[LINK_COLUMNS]


def _without(frame: pd.DataFrame, pairs: pd.DataFrame) -> pd.DataFrame:
    if pairs.empty or frame.empty:
        return frame
    key = pd.MultiIndex.from_frame(frame[["voter_row", "population_row"]])
    return frame[~key.isin(pd.MultiIndex.from_frame(pairs[["voter_row", "population_row"]]))]


def link(voters: pd.DataFrame, residents: pd.DataFrame, decisions: pd.DataFrame | None = None,
         policy: LinkagePolicy | None = None) -> LinkResult:
    """The whole cascade over accepted voter and population rows (see the module docstring). `decisions`: voter_row,
    population_row, decision (accept/reject), checked by `review.check`."""
    policy = policy or LinkagePolicy()
    if decisions is None:
        decisions = pd.DataFrame({"voter_row": pd.Series(dtype="int64"), "population_row": pd.Series(dtype="int64"),
                                  "decision": pd.Series(dtype=str)})
    rejected = decisions[decisions["decision"] == "reject"]
    accepted = decisions[(decisions["decision"] == "accept") & decisions["voter_row"].isin(voters["source_row"])
                         & decisions["population_row"].isin(residents["source_row"])]
    accepted = accepted.drop_duplicates("voter_row", keep="last").drop_duplicates("population_row", keep="last")
    reviewer_links = accepted.assign(
        link_method=REVIEWER, match_score=1.0, match_weight=np.nan, name_similarity=np.nan,
        birth_date_agrees=pd.NA, sex_agrees=pd.NA,
        explanation=json.dumps({"decision": "accepted by a reviewer"}))[LINK_COLUMNS]
    stage_inputs = {}

    def remaining(frame: pd.DataFrame, taken: pd.Series) -> pd.DataFrame:
        return frame[~frame["source_row"].isin(taken)]

    open_voters = remaining(voters, reviewer_links["voter_row"])
    open_residents = remaining(residents, reviewer_links["population_row"])
    stage_inputs[EXACT_NIK] = open_voters["source_row"]
    exact = _without(_exact_nik(open_voters, open_residents), rejected)
    one_edit_voters = remaining(open_voters, exact["voter_row"])
    stage_inputs[NIK_ONE_EDIT] = one_edit_voters["source_row"]
    # Searched once, for every row the NIK did not link: the one-edit stage, blocking and the unlinked rows' reasons
    # ask for these rows or fewer, and each search looks up 176 neighbours a row. Around the 16 digits read, an
    # unreliable NIK's too (`nik_digits`; its `nik` is empty): a serial Excel zeroed is one edit from the NIK.
    near = nik_neighbour_pairs(one_edit_voters.set_index("source_row")["nik_digits"],
                               residents.set_index("source_row")["nik_digits"])
    one_edit = _without(_nik_one_edit(one_edit_voters, open_residents, near), rejected)
    ambiguous = one_edit[one_edit["voter_row"].duplicated(keep=False)]
    one_edit = one_edit[~one_edit["voter_row"].isin(ambiguous["voter_row"])]

    # One row per resident: the best confirmation wins; the other rows are the same person listed again.
    confirmed = pd.concat([exact, one_edit], ignore_index=True).assign(stage=lambda f: f["link_method"].map(
        {EXACT_NIK: 0, NIK_ONE_EDIT: 1}))
    confirmed = confirmed.sort_values(["population_row", "stage", "name_similarity", "voter_row"],
                                      ascending=[True, True, False, True])
    first = ~confirmed["population_row"].duplicated()
    nik_links = _deterministic_links(confirmed[first])
    again = confirmed[~first].merge(confirmed[first][["population_row", "voter_row"]], on="population_row",
                                    suffixes=("", "_kept"))
    same_resident = pd.DataFrame({"row_a": again["voter_row_kept"], "row_b": again["voter_row"],
                                  "score": again["name_similarity"],
                                  "evidence": "both rows are the same resident by NIK, name, sex and birth date"})

    links_so_far = stack([reviewer_links, nik_links])
    listed_again = duplicates.resolve_duplicates(same_resident, links_so_far["voter_row"], links_so_far["population_row"])

    left_voters = open_voters[~open_voters["source_row"].isin(links_so_far["voter_row"])
                              & ~open_voters["source_row"].isin(listed_again["voter_row"])
                              & ~open_voters["source_row"].isin(ambiguous["voter_row"])]
    stage_inputs[PROBABILISTIC] = left_voters["source_row"]
    forbidden = pd.MultiIndex.from_frame(rejected[["voter_row", "population_row"]]) if len(rejected) else None
    # Every resident is scored, the linked ones too: a row whose best match is a linked resident is that person
    # listed again, whatever its NIK says.
    name_frequency = open_residents["name_key"].value_counts(normalize=True)
    scored = probabilistic.link_probabilistic(
        probabilistic.people(left_voters), probabilistic.people(open_residents, name_frequency), forbidden=forbidden,
        min_probability=policy.review_probability, taken=pd.Index(links_so_far["population_row"]),
        found={"nik_one_edit": pd.MultiIndex.from_frame(near.loc[near["edit"] != "equal", ["voter_row", "population_row"]])})
    assigned = scored.assigned
    is_link = _link_grade(assigned, policy)
    probable = assigned[is_link]
    # Relatives share the family card and the address; a pair agreeing on nothing personal is not a candidate.
    doubtful = assigned[~is_link & (_identity_facts(assigned) > 0)]
    probabilistic_links = pd.DataFrame({
        "voter_row": probable["voter_row"], "population_row": probable["population_row"],
        "link_method": PROBABILISTIC, "match_score": probable["match_probability"].round(6),
        "match_weight": probable["match_weight"].round(2), "name_similarity": np.nan,
        "birth_date_agrees": probable["agrees_birth_date"], "sex_agrees": probable["agrees_sex"],
        "explanation": probable["explanation"]})
    links = stack([links_so_far, probabilistic_links])
    best = scored.best[~scored.best["voter_row"].isin(links["voter_row"])]
    again = best[_link_grade(best, policy)].merge(links[["voter_row", "population_row"]], on="population_row",
                                                  suffixes=("", "_kept"))
    # Listed twice means listed where the person is known: the NIK is equal, or the two rows share the family card
    # or the desa. A namesake born the same day elsewhere, whose NIK is one digit off, is someone else.
    # Compared as pandas columns, an empty card number or desa agreeing with nothing: numpy compares object arrays
    # cell by cell and cannot make a bool of <NA> == '...' (a row whose NKK was not 16 digits crashed the run).
    place = voters.set_index("source_row")[["no_kk", "desa_code"]]
    row = place.reindex(again["voter_row"]).reset_index(drop=True)
    kept = place.reindex(again["voter_row_kept"]).reset_index(drop=True)
    same_place = row.eq(kept).fillna(False).any(axis=1).to_numpy(dtype=bool)
    again = again[again["agrees_nik"].to_numpy() | same_place]
    also_listed = pd.DataFrame({"row_a": again["voter_row_kept"], "row_b": again["voter_row"],
                                "score": again["match_probability"].round(6),
                                "evidence": "both rows are the same resident: " + _agreeing(again)})
    listed_again = duplicates.resolve_duplicates(
        stack([same_resident, also_listed, duplicates.candidate_duplicates(voters)]).drop_duplicates(["row_a", "row_b"]),
        links["voter_row"], links["population_row"])
    links = links[~links["voter_row"].isin(listed_again["voter_row"])]
    doubtful = doubtful[~doubtful["voter_row"].isin(listed_again["voter_row"])]

    review = stack([
        pd.DataFrame({"voter_row": doubtful["voter_row"], "population_row": doubtful["population_row"],
                      "score": doubtful["match_probability"].round(6), "reasons": _review_reasons(doubtful, policy)}),
        pd.DataFrame({"voter_row": ambiguous["voter_row"], "population_row": ambiguous["population_row"],
                      "score": ambiguous["name_similarity"],
                      "reasons": "NIK within one edit of several residents whose name, sex, birth date and place agree"}),
    ])
    # Pairs a reviewer already decided are not asked again.
    review = _without(review, decisions).sort_values(["voter_row", "population_row"]).reset_index(drop=True)

    links = links.sort_values("voter_row").reset_index(drop=True)
    # The NIK stages compared names already; the reviewer's and the probabilistic links are compared here.
    unscored = links[links["name_similarity"].isna()]
    links.loc[unscored.index, "name_similarity"] = np.round(name_similarity(
        voters.set_index("source_row").loc[unscored["voter_row"], "name_key"].reset_index(drop=True),
        residents.set_index("source_row").loc[unscored["population_row"], "name_key"].reset_index(drop=True)), 4)
    return LinkResult(
        links=links, unlinked=_unlinked(voters, links, listed_again, review, near), review_queue=review[REVIEW_COLUMNS],
        duplicates=listed_again, model=scored.weights.table(), candidate_pairs=scored.candidate_pairs,
        stage_inputs=stage_inputs, pairs_compared=len(scored.candidate_pairs))


# A voter row whose second-best resident is within this many bits of its best cannot tell them apart (twins,
# a namesake in the household): a person decides.
AMBIGUOUS_WITHIN_BITS = 3.0
IDENTITY_FACTS = {"NIK": ("nik", "nik_one_edit"), "name": ("name", "name_partial", "name_similar"),
                  "birth date": ("birth_date", "birth_date_near")}


def _identity_facts(pairs: pd.DataFrame) -> pd.Series:
    """How many of NIK, name and birth date agree (at any level): what tells a person from their relatives."""
    return sum(pairs[[f"agrees_{f}" for f in fields]].any(axis=1).astype(int) for fields in IDENTITY_FACTS.values())


def _link_grade(pairs: pd.DataFrame, policy: LinkagePolicy) -> pd.Series:
    """Weights decide, within two rules. The name agrees, fully or in part: twins share card, address, birth date
    and NIKs one digit apart, and only the name tells them apart. And the NIK or the birth date agrees too: a
    name alone is what the Kansas Crosscheck matched on. A NIK one digit off counts only as weight, not as a
    fact of its own: it carries the birth date, and a twin's is one digit off. A name that is only close
    ('EDWI' / 'DEWI', 'ST' / 'SITI') is enough only beside an equal NIK, an equal birth date and the same family
    card. No other resident may be nearly as likely."""
    name = pairs["agrees_name"] | pairs["agrees_name_partial"]
    nik_or_born = pairs["agrees_nik"] | pairs["agrees_birth_date"] | pairs["agrees_birth_date_near"]
    close_name_fully_corroborated = (pairs["agrees_name_similar"] & pairs["agrees_nik"] & pairs["agrees_birth_date"]
                                     & pairs["agrees_family_card"])
    return ((pairs["match_probability"] >= policy.link_probability)
            & ((name & nik_or_born) | close_name_fully_corroborated)
            & (pairs["runner_up_weight"] < pairs["match_weight"] - AMBIGUOUS_WITHIN_BITS))


def _agreeing(pairs: pd.DataFrame) -> pd.Series:
    """'nik, name_partial, birth_date' : the fields each pair agrees on."""
    labels = probabilistic.VOTER_MODEL.labels
    hits = pairs[[f"agrees_{name}" for name in labels]].to_numpy(dtype=bool)
    return pd.Series([", ".join(np.array(labels)[row]) or "nothing" for row in hits], index=pairs.index, dtype=object)


def _review_reasons(pairs: pd.DataFrame, policy: LinkagePolicy) -> pd.Series:
    name = pairs["agrees_name"] | pairs["agrees_name_partial"]
    doubt = np.select(
        [pairs["runner_up_weight"] >= pairs["match_weight"] - AMBIGUOUS_WITHIN_BITS, ~name,
         pairs["match_probability"] >= policy.link_probability],
        ["another resident fits almost as well (a twin or namesake?): decide which, if either",
         "the names disagree: check that it is the same person (a name change, a wrong NIK?)",
         "only the name agrees of NIK, name and birth date: check the birth date and NIK"],
        default="the evidence falls short of a link: check the fields that do not agree")
    return doubt + "; agree: " + _agreeing(pairs)


def _unlinked(voters: pd.DataFrame, links: pd.DataFrame, listed_again: pd.DataFrame, review: pd.DataFrame,
              near: pd.DataFrame) -> pd.DataFrame:
    """Voter rows neither linked nor listed again, with what the data says about them. `near`: the residents whose
    NIK is each row's or one edit away, for the rows the NIK did not link (a row it linked is linked, or listed
    again)."""
    rows = voters[~voters["source_row"].isin(links["voter_row"]) & ~voters["source_row"].isin(listed_again["voter_row"])]
    status = rows["nik_status"]
    equal = rows["source_row"].isin(near.loc[near["edit"] == "equal", "voter_row"])
    one_edit = rows["source_row"].isin(near["voter_row"]) & ~equal
    nik_reason = np.select(
        [status == NikStatus.MISSING, status == NikStatus.UNRELIABLE, status == NikStatus.MALFORMED, equal, one_edit],
        ["NIK missing", "NIK unreliable (Excel scientific notation or zeroed serial)",
         "NIK malformed (not 16 digits, or no real birth date)",
         "NIK found in the population, but name, birth date and sex do not show the same person",
         "NIK one digit from a resident's, but name, birth date and sex do not show the same person"],
        default="no resident with this NIK")
    in_review = rows["source_row"].isin(review["voter_row"]).to_numpy()
    reason = np.where(in_review, np.char.add(nik_reason.astype(str), "; a candidate resident awaits review"),
                      np.char.add(nik_reason.astype(str), "; no resident matches name, birth date and place"))
    return pd.DataFrame({"voter_row": rows["source_row"].to_numpy(), "reason": reason,
                         "nik": rows["nik"].where(status.isin(TRUSTED)).array,  # typed: an object column would hold pd.NA
                         "birth_date": rows["birth_date"].to_numpy(), "name_key": rows["name_key"].array})
