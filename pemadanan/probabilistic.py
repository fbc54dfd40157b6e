"""Probabilistic linkage (Fellegi-Sunter) of the voter rows that NIK could not link.

A `Model` says what is compared; the engine is the same for every model (VOTER_MODEL here; FEBRL's in
`pemadanan.febrl`). Candidate pairs come from a union of blocking passes, each cheap and each catching what
the others miss: for voters, the birth date (as written, and with day and month swapped), the name key within
a birth year or a desa, the family card (NKK) and the RT/RW. Every pair is compared field by field in chunks,
so memory stays bounded. A field agrees, disagrees, or is missing on one side; a missing field weighs nothing
either way (an empty birthplace is no evidence that two rows are different people).

The m- and u-probabilities are estimated without labels by recordlinkage's ECM (Expectation/Conditional
Maximisation; Winkler 1988), on the binary agreement vectors. ECM rather than plain EM because the fields
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
from recordlinkage.base import BaseCompareFeature
from recordlinkage.compare import Exact

from pemadanan.similarity import BirthDateNear, NamesAgree, SimilarityAtLeast

PAIRS_PER_CHUNK = 500_000

# Comparison values: a field agrees, disagrees, or cannot be compared because one side lacks it (weight 0).
AGREE, DISAGREE, MISSING = 1, 0, -1


@dataclass(frozen=True)
class Field:
    label: str
    description: str
    feature: BaseCompareFeature  # 1 where the field agrees
    needs: tuple[str, ...]  # where either side lacks one of these columns, the field is MISSING


@dataclass(frozen=True)
class BlockingPass:
    name: str
    voter_columns: tuple[str, ...]
    resident_columns: tuple[str, ...]


@dataclass(frozen=True)
class EstimationPass:
    """ECM on the pairs of one blocking pass, over the fields that pass leaves free; `takes` the m of some."""

    blocking_pass: str
    blocked: tuple[str, ...]
    takes: tuple[str, ...]


@dataclass(frozen=True)
class Model:
    """What a probabilistic linkage compares and how its weights are estimated; the engine below is the same for
    every model."""

    fields: tuple[Field, ...]
    blocking_passes: tuple[BlockingPass, ...]
    # A blocking pass says nothing about the fields it blocks on (they always agree), so, as Splink does, each
    # field's m is estimated on a pass that does not block on it.
    estimation_passes: tuple[EstimationPass, ...]
    prior_pass: str  # the pass whose ECM match share, spread over all candidates, is the prior
    # Levels of one fact, closest first: a pair counts at the closest level it agrees on and disagrees on the
    # others, so that one fact is not counted twice.
    levels: tuple[tuple[str, ...], ...] = ()

    @property
    def labels(self) -> list[str]:
        return [f.label for f in self.fields]


# The person's name and birth date, compared and blocked on the same way in every model (columns `name_key`
# and those of `birth_keys`).
PERSON_FIELDS = (
    Field("name", "normalised names agree (Indel similarity >= 0.8 on the spelling key)",
          NamesAgree("name_key", "name_key", label="name"), ("name_key",)),
    Field("birth_date", "birth dates equal", Exact("birth_date", "birth_date", label="birth_date"), ("birth_date",)),
    Field("birth_date_near", "birth dates not equal but day/month swapped, or at most 3 days apart",
          BirthDateNear("birth_date", "birth_date", label="birth_date_near"), ("birth_date",)),
)
PERSON_BLOCKING_PASSES = (
    BlockingPass("birth_date", ("birth_date",), ("birth_date",)),
    BlockingPass("birth_date_swapped", ("birth_date_swapped",), ("birth_date",)),
    BlockingPass("name_and_birth_year", ("name_key", "birth_year"), ("name_key", "birth_year")),
)

VOTER_MODEL = Model(
    fields=(
        *PERSON_FIELDS,
        Field("sex", "sex equal", Exact("sex", "sex", label="sex"), ("sex",)),
        Field("birthplace", "birthplaces agree (Jaro-Winkler >= 0.9)",
              SimilarityAtLeast("birthplace", "birthplace", 0.9, label="birthplace"), ("birthplace",)),
        Field("address", "addresses agree (Jaro-Winkler >= 0.85)",
              SimilarityAtLeast("address", "address", 0.85, label="address"), ("address",)),
        Field("family_card", "same NKK (family card number)", Exact("no_kk", "no_kk", label="family_card"), ("no_kk",)),
        Field("rt_rw", "same desa and RT/RW, another NKK", Exact("desa_rt_rw", "desa_rt_rw", label="rt_rw"), ("desa_rt_rw",)),
        Field("desa", "same desa, another RT/RW and NKK", Exact("desa_code", "desa_code", label="desa"), ("desa_code",)),
    ),
    blocking_passes=(
        *PERSON_BLOCKING_PASSES,
        BlockingPass("name_and_desa", ("name_key", "desa_code"), ("name_key", "desa_code")),
        BlockingPass("family_card", ("no_kk",), ("no_kk",)),
        BlockingPass("rt_rw", ("desa_rt_rw",), ("desa_rt_rw",)),
    ),
    # The person's own fields are estimated among people of one family card: there the non-matches are
    # relatives, whom only name, birth date and sex tell apart, so ECM separates "same person" from "relative"
    # (in a mixed sample it would learn "same household"). Where people live is estimated among people born
    # on the same day.
    estimation_passes=(
        EstimationPass("family_card", ("family_card", "rt_rw", "desa"),
                       ("name", "birth_date", "birth_date_near", "sex", "birthplace")),
        EstimationPass("birth_date", ("birth_date", "birth_date_near"), ("address", "family_card", "rt_rw", "desa")),
    ),
    prior_pass="birth_date",
    # Where people live is nested (one family card, in one RT/RW, in one desa): relatives do not collect three
    # agreements for one fact.
    levels=(("birth_date", "birth_date_near"), ("family_card", "rt_rw", "desa")),
)


def desa_rt_rw(frame: pd.DataFrame) -> pd.Series:
    """Where a row lives, down to the RT/RW: `33.23.01.2001/3/2`."""
    return frame["desa_code"] + "/" + frame["rt"].astype("string") + "/" + frame["rw"].astype("string")


def people(frame: pd.DataFrame) -> pd.DataFrame:
    """The columns VOTER_MODEL compares, indexed by source row; the same shape for voters and residents."""
    return pd.DataFrame({
        "name_key": frame["name_key"], **birth_keys(frame["birth_date"]), "sex": frame["sex"].astype("string"),
        "birthplace": frame["birthplace"], "desa_code": frame["desa_code"], "desa_rt_rw": desa_rt_rw(frame),
        "address": frame["address"].astype("string").str.upper().str.replace(r"[^A-Z0-9 ]", "", regex=True),
        "no_kk": frame["no_kk"]
    }).set_axis(frame["source_row"].to_numpy())


def birth_keys(born: pd.Series) -> dict[str, pd.Series]:
    """The birth date; the date with day and month swapped, where that is another real date; the birth year."""
    swappable = born.dt.day <= 12
    swapped = pd.to_datetime(pd.DataFrame({"year": born.dt.year, "month": born.dt.day.where(swappable),
                                           "day": born.dt.month}), errors="coerce")
    return {"birth_date": born, "birth_date_swapped": swapped.where(swapped != born),
            "birth_year": born.dt.year.astype("Int64")}


def candidate_pairs(model: Model, voters: pd.DataFrame, residents: pd.DataFrame) -> dict[str, pd.MultiIndex]:
    """(voter_row, population_row) pairs of each blocking pass."""
    by_pass = {}
    for blocking in model.blocking_passes:
        indexer = recordlinkage.Index()
        indexer.block(left_on=list(blocking.voter_columns), right_on=list(blocking.resident_columns))
        by_pass[blocking.name] = indexer.index(voters, residents).set_names(["voter_row", "population_row"])
    return by_pass


def union(pairs_by_pass: dict[str, pd.MultiIndex]) -> pd.MultiIndex:
    passes = list(pairs_by_pass.values())
    return passes[0].append(passes[1:]).unique() if len(passes) > 1 else passes[0]


def compare(model: Model, pairs: pd.MultiIndex, voters: pd.DataFrame, residents: pd.DataFrame) -> pd.DataFrame:
    """Comparison vectors (int8: AGREE, DISAGREE or MISSING per field), computed PAIRS_PER_CHUNK pairs at a time."""
    comparison = recordlinkage.Compare(n_jobs=1)
    for field in model.fields:
        comparison.add(field.feature)
    lacks_voter = {f.label: voters[list(f.needs)].isna().any(axis=1).to_numpy() for f in model.fields}
    lacks_resident = {f.label: residents[list(f.needs)].isna().any(axis=1).to_numpy() for f in model.fields}
    chunks = []
    for start in range(0, len(pairs), PAIRS_PER_CHUNK):
        chunk = pairs[start:start + PAIRS_PER_CHUNK]
        values = comparison.compute(chunk, voters, residents).astype(np.int8)
        voter_at = voters.index.get_indexer(chunk.get_level_values(0))
        resident_at = residents.index.get_indexer(chunk.get_level_values(1))
        for label in model.labels:
            values.loc[lacks_voter[label][voter_at] | lacks_resident[label][resident_at], label] = MISSING
        chunks.append(values)
    if not chunks:
        return pd.DataFrame(columns=model.labels, index=pairs, dtype=np.int8)
    features = pd.concat(chunks)
    for levels in model.levels:
        for depth, level in enumerate(levels[1:], start=1):
            features.loc[(features[list(levels[:depth])] == AGREE).any(axis=1), level] = DISAGREE
    return features[model.labels]


_PROBABILITY_FLOOR = 1e-4  # keeps a field that never disagreed in the sample from weighing infinitely
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
    def estimate(cls, model: Model, voters: pd.DataFrame, residents: pd.DataFrame,
                 pairs_by_pass: dict[str, pd.MultiIndex], features: pd.DataFrame, seed: int = 0) -> FieldWeights:
        """u: how often each field agrees between random voter/resident pairs (almost all non-matches).
        m: ECM per estimation pass. Prior: the matches ECM finds in the prior pass, over all candidates."""
        rng = np.random.default_rng(seed)
        size = min(RANDOM_PAIRS_FOR_U, len(voters) * len(residents))
        random_pairs = pd.MultiIndex.from_arrays([voters.index[rng.integers(0, len(voters), size)],
                                                  residents.index[rng.integers(0, len(residents), size)]])
        labels = model.labels
        u = ((compare(model, random_pairs, voters, residents) == AGREE).mean() if size
             else pd.Series(0.5, index=labels))
        m = pd.Series(np.nan, index=labels)
        prior = _PROBABILITY_FLOOR
        for estimation in model.estimation_passes:
            sample = features.loc[features.index.isin(pairs_by_pass[estimation.blocking_pass])]
            sample = (sample.drop(columns=list(estimation.blocked)) == AGREE).astype(np.int8)
            varying = [c for c in sample.columns if sample[c].nunique() > 1]
            if len(sample) < 2 or not varying:
                continue
            ecm = recordlinkage.ECMClassifier(init="jaro", max_iter=200)
            with np.errstate(divide="ignore", invalid="ignore"):  # a field that never disagrees has log(0)
                ecm.fit(sample[varying])
            taken = [c for c in estimation.takes if c in varying and np.isfinite(ecm.m_probs[c][1])]
            m[taken] = [ecm.m_probs[c][1] for c in taken]
            if estimation.blocking_pass == model.prior_pass and np.isfinite(ecm.p):
                prior = float(ecm.p) * len(sample) / max(len(features), 1)
        # A field no pass could estimate carries no evidence either way: m = u, weight 0.
        return cls.from_probabilities(m.fillna(u), u, prior)

    def contributions(self, features: pd.DataFrame) -> pd.DataFrame:
        values = features.to_numpy()
        columns = features.columns
        weights = np.where(values == AGREE, self.agree[columns].to_numpy(),
                           np.where(values == DISAGREE, self.disagree[columns].to_numpy(), 0.0))
        return pd.DataFrame(weights, index=features.index, columns=columns)

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


def link_probabilistic(voters: pd.DataFrame, residents: pd.DataFrame, *, model: Model = VOTER_MODEL,
                       forbidden: pd.MultiIndex | None = None, min_probability: float = 0.0) -> ProbabilisticResult:
    """Scores every candidate pair of `voters` x `residents` (frames with the columns `model` compares, indexed
    by source row) and assigns them one to one. `forbidden` pairs (rejected by a reviewer) are never assigned."""
    by_pass = candidate_pairs(model, voters, residents)
    pairs = union(by_pass)
    if forbidden is not None and len(forbidden):
        pairs = pairs.difference(forbidden)
    features = compare(model, pairs, voters, residents)
    weights = FieldWeights.estimate(model, voters, residents, by_pass, features)
    contributions = weights.contributions(features)
    match_weight = contributions.sum(axis=1).to_numpy()
    scored = pd.DataFrame({"voter_row": pairs.get_level_values(0), "population_row": pairs.get_level_values(1),
                           "match_weight": match_weight, "match_probability": weights.probability(match_weight)})
    scored = scored[scored["match_probability"] >= min_probability]
    assigned = one_to_one(scored)
    chosen = pd.MultiIndex.from_frame(assigned[["voter_row", "population_row"]])
    assigned = assigned.assign(explanation=explanations(contributions.loc[chosen]),
                               **{f"agrees_{c}": features.loc[chosen, c].to_numpy() == AGREE for c in features.columns})
    return ProbabilisticResult(assigned.reset_index(drop=True), weights, pairs)
