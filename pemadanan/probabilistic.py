"""Probabilistic linkage (Fellegi-Sunter) of the voter rows that NIK could not link.

Candidate pairs come from a union of blocking passes, each cheap and each catching what the others miss:
the birth date (as written, and with day and month swapped), the name key within a birth year, and the
family card (NKK). Every pair is compared on ten binary fields (the name, birth date equal or near, sex,
birthplace, desa, RT/RW, address, NKK) in chunks, so memory stays bounded.

The m- and u-probabilities are estimated without labels by recordlinkage's ECM (Expectation/Conditional
Maximisation; Winkler 1988), on the binary comparison vectors. ECM rather than plain EM because the fields
are binary and ECM's closed-form steps converge in a few iterations on the distinct vectors only (a few
hundred of them whatever the number of pairs). Each pair's match weight is the sum of its fields' log2
likelihood ratios, which is also its explanation: the weight of every field, agreeing or not.

Then one-to-one: a resident links to at most one voter row and a voter row to at most one resident, the
pairs taken best first.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd
import recordlinkage

from pemadanan.similarity import BirthDateNear, NamesAgree, SimilarityAtLeast

PAIRS_PER_CHUNK = 500_000

# (name, voter columns, resident columns); the union of the passes is compared.
BLOCKING_PASSES = (
    ("birth_date", ["birth_date"], ["birth_date"]),
    ("birth_date_swapped", ["birth_date_swapped"], ["birth_date"]),
    ("name_and_birth_year", ["name_key", "birth_year"], ["name_key", "birth_year"]),
    ("name_and_desa", ["name_key", "desa_code"], ["name_key", "desa_code"]),
    ("family_card", ["no_kk"], ["no_kk"]),
    ("rt_rw", ["desa_rt_rw"], ["desa_rt_rw"]),
)

FIELDS = {
    "name": "normalised names agree (Indel similarity >= 0.8 on the spelling key)",
    "birth_date": "birth dates equal",
    "birth_date_near": "birth dates not equal but day/month swapped, or at most 3 days apart",
    "sex": "sex equal",
    "birthplace": "birthplaces agree (Jaro-Winkler >= 0.9)",
    "address": "addresses agree (Jaro-Winkler >= 0.85)",
    # Where people live is nested (one family card, in one RT/RW, in one desa): counted once, at the closest
    # level, so that relatives do not collect three agreements for one fact.
    "family_card": "same NKK (family card number)",
    "rt_rw": "same desa and RT/RW, another NKK",
    "desa": "same desa, another RT/RW and NKK",
}

_PROBABILITY_FLOOR = 1e-4  # keeps a field that never disagreed in the sample from weighing infinitely


def comparison() -> recordlinkage.Compare:
    compare = recordlinkage.Compare(n_jobs=1)
    compare.add(NamesAgree("name_key", "name_key", label="name"))
    compare.exact("birth_date", "birth_date", label="birth_date")
    compare.add(BirthDateNear("birth_date", "birth_date", label="birth_date_near", excluding_equal=True))
    compare.exact("sex", "sex", label="sex")
    compare.add(SimilarityAtLeast("birthplace", "birthplace", 0.9, label="birthplace"))
    compare.add(SimilarityAtLeast("address", "address", 0.85, label="address"))
    compare.exact("no_kk", "no_kk", label="family_card")
    compare.exact("desa_rt_rw", "desa_rt_rw", label="rt_rw")
    compare.exact("desa_code", "desa_code", label="desa")
    return compare


def desa_rt_rw(frame: pd.DataFrame) -> pd.Series:
    """Where a row lives, down to the RT/RW: `33.23.01.2001/3/2`."""
    return frame["desa_code"] + "/" + frame["rt"].astype("string") + "/" + frame["rw"].astype("string")


def people(frame: pd.DataFrame) -> pd.DataFrame:
    """The columns the model compares, indexed by source row; the same shape for voters and residents."""
    born = frame["birth_date"]
    swappable = born.dt.day <= 12
    swapped = pd.to_datetime(pd.DataFrame({"year": born.dt.year, "month": born.dt.day.where(swappable),
                                           "day": born.dt.month}), errors="coerce")
    return pd.DataFrame({
        "name_key": frame["name_key"], "birth_date": born, "birth_date_swapped": swapped.where(swapped != born),
        "birth_year": born.dt.year.astype("Int64"), "sex": frame["sex"].astype("string"),
        "birthplace": frame["birthplace"], "desa_code": frame["desa_code"], "desa_rt_rw": desa_rt_rw(frame),
        "address": frame["address"].astype("string").str.upper().str.replace(r"[^A-Z0-9 ]", "", regex=True),
        "no_kk": frame["no_kk"]
    }).set_axis(frame["source_row"].to_numpy())


def candidate_pairs(voters: pd.DataFrame, residents: pd.DataFrame) -> dict[str, pd.MultiIndex]:
    """(voter_row, population_row) pairs of each blocking pass."""
    by_pass = {}
    for name, left_on, right_on in BLOCKING_PASSES:
        indexer = recordlinkage.Index()
        indexer.block(left_on=left_on, right_on=right_on)
        by_pass[name] = indexer.index(voters, residents).set_names(["voter_row", "population_row"])
    return by_pass


def union(pairs_by_pass: dict[str, pd.MultiIndex]) -> pd.MultiIndex:
    passes = list(pairs_by_pass.values())
    return passes[0].append(passes[1:]).unique() if len(passes) > 1 else passes[0]


def compare(pairs: pd.MultiIndex, voters: pd.DataFrame, residents: pd.DataFrame) -> pd.DataFrame:
    """Binary comparison vectors (int8), computed PAIRS_PER_CHUNK pairs at a time."""
    model = comparison()
    chunks = [model.compute(pairs[start:start + PAIRS_PER_CHUNK], voters, residents).astype(np.int8)
              for start in range(0, len(pairs), PAIRS_PER_CHUNK)]
    if not chunks:
        return pd.DataFrame(columns=list(FIELDS), index=pairs, dtype=np.int8)
    features = pd.concat(chunks)
    features["rt_rw"] &= 1 - features["family_card"]
    features["desa"] &= 1 - features["family_card"] - features["rt_rw"]
    return features[list(FIELDS)]


@dataclass(frozen=True)
class EstimationPass:
    """ECM on the pairs of one blocking pass, over the fields that pass leaves free; `takes` the m of some."""

    blocking_pass: str
    blocked: tuple[str, ...]
    takes: tuple[str, ...]


# A blocking pass says nothing about the fields it blocks on (they always agree), so, as Splink does, each
# field's m is estimated on a pass that does not block on it. The person's own fields are estimated among
# people of one family card: there the non-matches are relatives, whom only name, birth date and sex tell
# apart, so ECM separates "same person" from "relative" (in a mixed sample it would learn "same household").
# Where people live is estimated among people born on the same day.
ESTIMATION_PASSES = (
    EstimationPass("family_card", ("family_card", "rt_rw", "desa"),
                   ("name", "birth_date", "birth_date_near", "sex", "birthplace")),
    EstimationPass("birth_date", ("birth_date", "birth_date_near"), ("address", "family_card", "rt_rw", "desa")),
)
RANDOM_PAIRS_FOR_U = 200_000


@dataclass(frozen=True)
class FieldWeights:
    """log2 likelihood ratios per field: what agreeing and disagreeing add to a pair's match weight."""

    agree: pd.Series
    disagree: pd.Series
    prior_log2_odds: float
    m: pd.Series
    u: pd.Series

    @classmethod
    def from_probabilities(cls, m: pd.Series, u: pd.Series, prior: float) -> FieldWeights:
        m, u = m.clip(_PROBABILITY_FLOOR, 1 - _PROBABILITY_FLOOR), u.clip(_PROBABILITY_FLOOR, 1 - _PROBABILITY_FLOOR)
        prior = min(max(prior, _PROBABILITY_FLOOR), 1 - _PROBABILITY_FLOOR)
        return cls(agree=np.log2(m / u), disagree=np.log2((1 - m) / (1 - u)),
                   prior_log2_odds=float(np.log2(prior / (1 - prior))), m=m, u=u)

    @classmethod
    def estimate(cls, voters: pd.DataFrame, residents: pd.DataFrame, pairs_by_pass: dict[str, pd.MultiIndex],
                 features: pd.DataFrame, seed: int = 0) -> FieldWeights:
        """u: how often each field agrees between random voter/resident pairs (almost all non-matches).
        m: ECM per estimation pass. Prior: the matches ECM finds in the birth-date pass over all candidates."""
        birth_date_pass = next(e for e in ESTIMATION_PASSES if e.blocking_pass == "birth_date")
        rng = np.random.default_rng(seed)
        size = min(RANDOM_PAIRS_FOR_U, len(voters) * len(residents))
        random_pairs = pd.MultiIndex.from_arrays([voters.index[rng.integers(0, len(voters), size)],
                                                  residents.index[rng.integers(0, len(residents), size)]])
        u = compare(random_pairs, voters, residents).mean() if size else pd.Series(0.5, index=list(FIELDS))
        m = pd.Series(np.nan, index=list(FIELDS))
        prior = _PROBABILITY_FLOOR
        for estimation in ESTIMATION_PASSES:
            sample = features.loc[features.index.isin(pairs_by_pass[estimation.blocking_pass])]
            sample = sample.drop(columns=list(estimation.blocked))
            varying = [c for c in sample.columns if sample[c].nunique() > 1]
            if len(sample) < 2 or not varying:
                continue
            ecm = recordlinkage.ECMClassifier(init="jaro", max_iter=200)
            with np.errstate(divide="ignore", invalid="ignore"):  # a field that never disagrees has log(0)
                ecm.fit(sample[varying])
            taken = [c for c in estimation.takes if c in varying and np.isfinite(ecm.m_probs[c][1])]
            m[taken] = [ecm.m_probs[c][1] for c in taken]
            if estimation is birth_date_pass and np.isfinite(ecm.p):
                prior = float(ecm.p) * len(sample) / max(len(features), 1)
        # A field no pass could estimate carries no evidence either way: m = u, weight 0.
        return cls.from_probabilities(m.fillna(u), u, prior)

    def contributions(self, features: pd.DataFrame) -> pd.DataFrame:
        agree = features.to_numpy(dtype=bool)
        values = np.where(agree, self.agree[features.columns].to_numpy(), self.disagree[features.columns].to_numpy())
        return pd.DataFrame(values, index=features.index, columns=features.columns)

    def probability(self, match_weight: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp2(-(self.prior_log2_odds + match_weight)))

    def table(self) -> pd.DataFrame:
        """The estimated model, one row per field, for the Dagster UI and the closing report."""
        return pd.DataFrame({"field": self.m.index, "m": self.m.round(4).to_numpy(), "u": self.u.round(6).to_numpy(),
                             "agree_weight": self.agree.round(2).to_numpy(),
                             "disagree_weight": self.disagree.round(2).to_numpy()})


def explanations(contributions: pd.DataFrame) -> list[str]:
    """One JSON object per pair: each field's contribution to the match weight, in bits, largest first."""
    rounded = contributions.round(2)
    columns = list(rounded.columns)
    order = np.argsort(-rounded.to_numpy(), axis=1, kind="stable")
    values = rounded.to_numpy()
    return [json.dumps({columns[j]: float(row[j]) for j in idx}) for row, idx in zip(values, order, strict=True)]


def one_to_one(scored: pd.DataFrame) -> pd.DataFrame:
    """Best-first assignment: repeatedly take the pairs that are both their voter row's and their resident's
    best remaining pair, then drop everything else involving either. Ties go to the lower row numbers."""
    remaining = scored.sort_values(["match_weight", "voter_row", "population_row"], ascending=[False, True, True])
    taken = []
    while len(remaining):
        best_for_voter = ~remaining["voter_row"].duplicated()
        best_for_resident = ~remaining["population_row"].duplicated()
        mutual = remaining[best_for_voter & best_for_resident]
        taken.append(mutual)
        remaining = remaining[~remaining["voter_row"].isin(mutual["voter_row"])
                              & ~remaining["population_row"].isin(mutual["population_row"])]
    return pd.concat(taken) if taken else scored.iloc[:0]


@dataclass
class ProbabilisticResult:
    assigned: pd.DataFrame  # voter_row, population_row, match_weight, match_probability, explanation, + fields
    weights: FieldWeights
    candidate_pairs: pd.MultiIndex


def link_probabilistic(voters: pd.DataFrame, residents: pd.DataFrame, *, forbidden: pd.MultiIndex | None = None,
                       min_probability: float = 0.0) -> ProbabilisticResult:
    """Scores every candidate pair of `voters` x `residents` (frames from `people`) and assigns them one to one.
    `forbidden` pairs (rejected by a reviewer) are never assigned."""
    by_pass = candidate_pairs(voters, residents)
    pairs = union(by_pass)
    if forbidden is not None and len(forbidden):
        pairs = pairs.difference(forbidden)
    features = compare(pairs, voters, residents)
    weights = FieldWeights.estimate(voters, residents, by_pass, features)
    contributions = weights.contributions(features)
    match_weight = contributions.sum(axis=1).to_numpy()
    scored = pd.DataFrame({"voter_row": pairs.get_level_values(0), "population_row": pairs.get_level_values(1),
                           "match_weight": match_weight, "match_probability": weights.probability(match_weight)})
    scored = scored[scored["match_probability"] >= min_probability]
    assigned = one_to_one(scored)
    chosen = pd.MultiIndex.from_frame(assigned[["voter_row", "population_row"]])
    assigned = assigned.assign(explanation=explanations(contributions.loc[chosen]),
                               **{f"agrees_{c}": features.loc[chosen, c].to_numpy(dtype=bool) for c in features.columns})
    return ProbabilisticResult(assigned.reset_index(drop=True), weights, pairs)
