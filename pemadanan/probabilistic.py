"""Probabilistic linkage (Fellegi-Sunter) of the voter rows that NIK could not link.

A `Model` says what is compared; the engine is the same for every model (VOTER_MODEL here; FEBRL's in
`pemadanan.febrl`). Candidate pairs come from a union of blocking passes, each cheap and each catching what
the others miss: for voters, the NIK (equal, and one typo away), the birth date (as written, and with day and
month swapped; placeholders for unknown dates left out), the name key within a birth year or a desa, the family
card (NKK) and the RT/RW within a birth year. A key too common to say anything (more than MAX_PAIRS_PER_KEY
pairs) is left to the other passes, so the pairs stay bounded. Every pair is compared field by field in chunks,
so memory stays bounded. A field agrees, disagrees, or is missing on one side; a missing field weighs nothing
either way (an empty birthplace is no evidence that two rows are different people). Fields that measure one fact
at several levels (NIK equal / one edit; name / name in part; birth date equal / near) count at the closest level only.

The m-probabilities are estimated without labels by ECM (Expectation/Conditional Maximisation; Winkler 1988)
as recordlinkage's ECMClassifier runs it, on the binary agreement vectors; the u-probabilities from random pairs.
ECM rather than plain EM because the fields are binary and ECM's closed-form steps converge in a few iterations
on the distinct vectors only (a few hundred of them whatever the number of pairs). Each pair's match weight is
the sum of its fields' log2 likelihood ratios, which is also its explanation: the weight of every field, agreeing
or not. A field with a term frequency (the name) weighs an agreement by how rare the resident's value is, as
Splink does.

Then one-to-one: a resident links to at most one voter row and a voter row to at most one resident, the
pairs taken best first.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import recordlinkage
from rapidfuzz.distance import Indel
from recordlinkage.base import BaseCompareFeature
from recordlinkage.compare import Exact

from pemadanan.dates import calendar, real_date
from pemadanan.frames import per_distinct_value
from pemadanan.nik import TRUSTED, nik_neighbour_pairs
from pemadanan.similarity import (
    NAMES_CLOSE,
    BirthDateNear,
    NamesAgree,
    NamesAgreeWordByWord,
    NameWordsOverlap,
    NikOneEdit,
    SimilarityAtLeast,
    name_word_columns,
)

PAIRS_PER_CHUNK = 500_000
# A blocking key shared by more voter x resident pairs than this is too common to say anything (a placeholder
# birth date, a very common name in a birth year); its rows are left to the other passes.
MAX_PAIRS_PER_KEY = 5_000

# Comparison values: a field agrees, disagrees, or cannot be compared because one side lacks it (weight 0).
AGREE, DISAGREE, MISSING = 1, 0, -1


@dataclass(frozen=True)
class Field:
    label: str
    description: str
    feature: BaseCompareFeature  # 1 where the field agrees
    needs: tuple[str, ...]  # where either side lacks one of these columns, the field is MISSING
    # A resident column holding how common the resident's value is in the population: an agreement on a rare
    # value weighs more than one on a common value (term-frequency adjustment, as Splink does).
    frequency: str | None = None


@dataclass(frozen=True)
class BlockingPass:
    name: str
    voter_columns: tuple[str, ...]
    resident_columns: tuple[str, ...]
    # Pairs that equal keys cannot give (NIKs one typo apart): a function of the two frames instead of the columns.
    pairs: Callable[[pd.DataFrame, pd.DataFrame], pd.MultiIndex] | None = None
    # Whether the pass also searches residents linked already (for rows listed twice). The wide passes (a birth
    # date, a desa) do not: at a million residents they would give every leftover row hundreds of pairs.
    linked_residents: bool = True


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
    # A placeholder (1 July, 31 December, 1 January) says only the year: it is never "equal", only "near".
    Field("birth_date", "birth dates equal (neither a placeholder)",
          Exact("birth_date_known", "birth_date_known", label="birth_date"), ("birth_date_known",)),
    Field("birth_date_near", "birth dates not equal but day/month swapped, at most 3 days apart, or the same year "
          "where one is a placeholder", BirthDateNear(label="birth_date_near"), ("birth_date",)),
)
PERSON_BLOCKING_PASSES = (
    BlockingPass("birth_date", ("birth_date_known",), ("birth_date_known",), linked_residents=False),
    BlockingPass("birth_date_swapped", ("birth_date_swapped",), ("birth_date_known",), linked_residents=False),
    BlockingPass("name_and_birth_year", ("name_key", "birth_year"), ("name_key", "birth_year")),
)


def _nik_one_edit_pairs(voters: pd.DataFrame, residents: pd.DataFrame) -> pd.MultiIndex:
    pairs = nik_neighbour_pairs(voters["nik_any"], residents["nik_any"])
    pairs = pairs[pairs["edit"] != "equal"]
    return pd.MultiIndex.from_frame(pairs[["voter_row", "population_row"]])

VOTER_MODEL = Model(
    fields=(
        Field("nik", "NIKs equal (the voter's trusted: valid or repaired)", Exact("nik", "nik", label="nik"), ("nik",)),
        Field("nik_one_edit", "NIKs one digit or one swap of neighbours apart (a typo, an Excel-zeroed last digit)",
              NikOneEdit("nik_any", "nik_any", label="nik_one_edit"), ("nik_any",)),
        Field("name", "names agree: spelling keys (Indel >= 0.8), and word by word where both have several",
              NamesAgreeWordByWord(label="name"), ("name_key",), frequency="name_frequency"),
        Field("name_partial", "one name's words within the other's or in another order, or initials that agree "
              "('LESTARI' / 'LESTARI SIREGAR', 'AGUS S.' / 'AGUS SANTOSO')", NameWordsOverlap(label="name_partial"),
              ("name_words",)),
        Field("name_similar", "spelling keys close but not agreeing (Indel >= 0.6): 'EDWI' / 'DEWI', 'ST' / 'SITI'",
              SimilarityAtLeast("name_key", "name_key", NAMES_CLOSE, label="name_similar", scorer=Indel.normalized_similarity),
              ("name_key",)),
        *PERSON_FIELDS[1:],
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
        BlockingPass("nik", ("nik",), ("nik",)),
        BlockingPass("nik_one_edit", (), (), pairs=_nik_one_edit_pairs),
        *PERSON_BLOCKING_PASSES,
        BlockingPass("name_and_desa", ("name_key", "desa_code"), ("name_key", "desa_code"), linked_residents=False),
        BlockingPass("family_card", ("no_kk",), ("no_kk",)),
        # Within a birth year: the whole RT/RW gave a third of all pairs at a million residents and not one link or
        # review item the other passes missed (9 kabupaten x seeds at 100k, and at 4x the defects of names, birth
        # dates and NIKs). The year keeps what the pass is for: an old resident whose list row has a placeholder
        # birth date, a name spelled otherwise and no usable NIK.
        BlockingPass("rt_rw_and_birth_year", ("desa_rt_rw", "sex", "birth_year"), ("desa_rt_rw", "sex", "birth_year"),
                     linked_residents=False),
    ),
    # The person's own fields are estimated among people of one family card: there the non-matches are
    # relatives, whom only name, birth date and sex tell apart, so ECM separates "same person" from "relative"
    # (in a mixed sample it would learn "same household"). Where people live is estimated among people born
    # on the same day.
    estimation_passes=(
        EstimationPass("family_card", ("family_card", "rt_rw", "desa"),
                       ("nik", "nik_one_edit", "name", "name_partial", "name_similar", "birth_date", "birth_date_near",
                        "sex", "birthplace")),
        EstimationPass("birth_date", ("birth_date", "birth_date_near"), ("address", "family_card", "rt_rw", "desa")),
    ),
    prior_pass="birth_date",
    # Where people live is nested (one family card, in one RT/RW, in one desa): relatives do not collect three
    # agreements for one fact.
    levels=(("nik", "nik_one_edit"), ("name", "name_partial", "name_similar"), ("birth_date", "birth_date_near"),
            ("family_card", "rt_rw", "desa")),
)


def desa_rt_rw(frame: pd.DataFrame) -> pd.Series:
    """Where a row lives, down to the RT/RW: `33.23.01.2001/3/2`; missing where any part is. Joined by Arrow (pandas
    joined a million rows in 0.6 s, Arrow in 0.08)."""
    desa = pa.array(frame["desa_code"], type=pa.large_string())
    rt, rw = (pc.cast(pa.array(frame[column]), pa.large_string()) for column in ("rt", "rw"))
    joined = pc.binary_join_element_wise(desa, rt, rw, pa.scalar("/", pa.large_string()))
    return pd.Series(joined, index=frame.index, dtype=frame["desa_code"].dtype)


def people(frame: pd.DataFrame, name_frequency: pd.Series | None = None) -> pd.DataFrame:
    """The columns VOTER_MODEL compares, indexed by source row; the same shape for voters and residents.
    `name_frequency`: the share of the population carrying each name key (for residents)."""
    trusted = frame["nik_status"].isin(TRUSTED).to_numpy()
    words = per_distinct_value(frame["name_words"], name_word_columns)
    words["has_initial"] = words["has_initial"].fillna(False).astype(bool)
    address = per_distinct_value(frame["address"], lambda text: {
        "address": text.str.upper().str.replace(r"[^A-Z0-9 ]", "", regex=True)})
    return pd.DataFrame({
        "nik": frame["nik"].where(trusted), "nik_any": frame["nik_digits"], "name_key": frame["name_key"], **words,
        "name_frequency": frame["name_key"].map(name_frequency) if name_frequency is not None else np.nan,
        **birth_keys(frame["birth_date"], placeholders=True), "sex": frame["sex"].astype("string"),
        "birthplace": frame["birthplace"], "desa_code": frame["desa_code"], "desa_rt_rw": desa_rt_rw(frame),
        **address, "no_kk": frame["no_kk"]
    }).set_axis(frame["source_row"].to_numpy())


PLACEHOLDER_DAYS = ((7, 1), (12, 31), (1, 1))  # (month, day) offices write for an unknown birth date


def placeholder_days(month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Whether each (month, day) is one offices write for an unknown birth date."""
    placeholder = np.zeros(len(month), dtype=bool)
    for placeholder_month, placeholder_day in PLACEHOLDER_DAYS:
        placeholder |= (month == placeholder_month) & (day == placeholder_day)
    return placeholder


def birth_keys(born: pd.Series, placeholders: bool = False) -> dict[str, pd.Series]:
    """The birth date; whether it is a placeholder (with `placeholders`: Indonesian lists); the date where it is
    known (not a placeholder); the known date with day and month swapped, where that is another real date; the
    birth year."""
    year, month, day = calendar(born)
    placeholder = placeholder_days(month, day) if placeholders else np.zeros(len(born), dtype=bool)
    known = born.where(~placeholder)
    swappable = ~placeholder & (day <= 12)
    swapped = real_date(pd.Series(np.where(swappable, year, np.nan), index=born.index), pd.Series(day, index=born.index),
                        pd.Series(month, index=born.index))
    return {"birth_date": born, "birth_placeholder": pd.Series(placeholder, index=born.index), "birth_date_known": known,
            "birth_date_swapped": swapped.where(swapped != known), "birth_year": pd.Series(year, index=born.index).astype("Int64")}


def _blocking_keys(voters: pd.DataFrame, residents: pd.DataFrame, blocking: BlockingPass
                   ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each row's combination of the pass's key values as one number shared by both frames, missing where a value is
    missing or where the key would give more than MAX_PAIRS_PER_KEY pairs. Counting and joining numbers costs a
    fraction of what counting and joining rows of several text columns costs."""
    key = np.zeros(len(voters) + len(residents), dtype=np.int64)
    missing = np.zeros(len(key), dtype=bool)
    for voter_column, resident_column in zip(blocking.voter_columns, blocking.resident_columns, strict=True):
        values, distinct = pd.factorize(pd.concat([voters[voter_column], residents[resident_column]], ignore_index=True))
        missing |= values < 0
        key, _ = pd.factorize(key * (len(distinct) + 1) + values + 1)  # renumbered: the next product stays small
    key[missing] = -1
    voter_key, resident_key = key[:len(voters)], key[len(voters):]
    pairs_per_key = (np.bincount(voter_key[voter_key >= 0], minlength=len(key))
                     * np.bincount(resident_key[resident_key >= 0], minlength=len(key)))
    usable = np.append(pairs_per_key <= MAX_PAIRS_PER_KEY, False)  # key -1 indexes the last: missing stays missing

    def as_frame(keys: np.ndarray, index: pd.Index) -> pd.DataFrame:
        return pd.DataFrame({"key": np.where(usable[keys], keys, np.nan)}, index=index)
    return as_frame(voter_key, voters.index), as_frame(resident_key, residents.index)


def candidate_pairs(model: Model, voters: pd.DataFrame, residents: pd.DataFrame, taken: pd.Index | None = None,
                    found: dict[str, pd.MultiIndex] | None = None) -> dict[str, pd.MultiIndex]:
    """(voter_row, population_row) pairs of each blocking pass; residents in `taken` only where the pass says.
    `found`: a pass's pairs that the caller searched already, for these voters or more (taken as they are, within
    the voters and the residents the pass searches)."""
    by_pass = {}
    untaken = residents[~residents.index.isin(taken)] if taken is not None and len(taken) else residents
    for blocking in model.blocking_passes:
        searched = residents if blocking.linked_residents else untaken
        if found and blocking.name in found:
            given = found[blocking.name]
            pairs = given[given.get_level_values(0).isin(voters.index) & given.get_level_values(1).isin(searched.index)]
        elif blocking.pairs is not None:
            pairs = blocking.pairs(voters, searched)
        else:
            indexer = recordlinkage.Index()
            indexer.block("key")
            pairs = indexer.index(*_blocking_keys(voters, searched, blocking))
        by_pass[blocking.name] = pairs.set_names(["voter_row", "population_row"])
    return by_pass


def shared_categories(voters: pd.DataFrame, residents: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The text columns as categoricals with one set of categories on both sides. Gathering the pairs' values then
    gathers integer codes, which `similarity._pairwise` takes as the distinct values it compares, instead of
    copying two strings per pair out of Arrow (linking a million residents: 27 s with, 30 s without). After blocking:
    grouping on several categoricals would count every combination of categories."""
    voters, residents = voters.copy(deep=False), residents.copy(deep=False)
    for column in voters.columns.intersection(residents.columns):
        if isinstance(voters[column].dtype, pd.StringDtype) and isinstance(residents[column].dtype, pd.StringDtype):
            codes, categories = pd.factorize(pd.concat([voters[column], residents[column]], ignore_index=True))
            voters[column] = pd.Categorical.from_codes(codes[:len(voters)], categories=categories)
            residents[column] = pd.Categorical.from_codes(codes[len(voters):], categories=categories)
    return voters, residents


def pair_keys(first_row, second_row) -> np.ndarray:
    """Each pair of source rows, (voter_row, population_row) or two voter rows, as one int64: hashing, sorting and
    looking up millions of integers costs a fraction of what a MultiIndex of millions of pairs costs (it builds a
    Python tuple per pair to do so)."""
    return (np.asarray(first_row, dtype=np.int64) << 32) | np.asarray(second_row, dtype=np.int64)


def keys_of(pairs: pd.MultiIndex) -> np.ndarray:
    return pair_keys(pairs.get_level_values(0), pairs.get_level_values(1))


def first_rows(keys: np.ndarray) -> np.ndarray:
    return keys >> 32


def second_rows(keys: np.ndarray) -> np.ndarray:
    return keys & 0xFFFFFFFF


def union(keys_by_pass: dict[str, np.ndarray]) -> np.ndarray:
    """Every pass's pairs once, in the order first given."""
    return pd.unique(np.concatenate(list(keys_by_pass.values())))


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


@dataclass(frozen=True)
class EcmEstimate:
    m: pd.Series  # per field, P(agree | match)
    u: pd.Series  # per field, P(agree | non-match)
    p: float  # the share of matches


def ecm(agreements: pd.DataFrame, max_iter: int = 200, atol: float = 1e-4) -> EcmEstimate:
    """recordlinkage's ECMClassifier(init="jaro") on binary agreement vectors, step for step (start m = 0.9,
    u = 0.1, p = 0.1; stop when no probability moves more than `atol`), but on the distinct vectors and their
    counts, found through one integer per vector: recordlinkage finds them with np.unique(axis=0), which sorts the
    rows as byte records: 85% of its fit, seconds at a million residents. A test holds the two equal."""
    fields = agreements.columns
    bits = np.int64(1) << np.arange(len(fields), dtype=np.int64)
    codes, counts = np.unique(agreements.to_numpy(dtype=np.int64) @ bits, return_counts=True)
    agree = (codes[:, None] & bits) != 0
    # Per vector, one column per field and value (disagree, agree), as recordlinkage binarizes; each value's
    # probability is estimated on its own, not as 1 - the other's, which rounds to log(0) for a field near 1.
    values = np.concatenate([~agree, agree], axis=1).astype(float)
    class_prior = np.array([0.9, 0.1])  # non-match, match
    value_prob = np.array([[0.9] * len(fields) + [0.1] * len(fields), [0.1] * len(fields) + [0.9] * len(fields)])
    with np.errstate(divide="ignore", invalid="ignore"):  # a field that never disagrees has log(0)
        for _ in range(max_iter):
            joint = values @ np.log(value_prob).T + np.log(class_prior)
            posterior = np.exp(joint - np.logaddexp(joint[:, 0], joint[:, 1])[:, None])
            expected = posterior * counts[:, None]  # expected non-matches and matches per vector
            new_prior = expected.sum(axis=0) / counts.sum()
            new_value_prob = (expected.T @ values) / expected.sum(axis=0)[:, None]
            if np.all(np.isnan(new_value_prob)):
                break
            converged = (np.allclose(new_prior, class_prior, atol=atol)
                         and np.allclose(new_value_prob, value_prob, atol=atol))
            class_prior, value_prob = new_prior, new_value_prob
            if converged:
                break
    agree_prob = value_prob[:, len(fields):]
    return EcmEstimate(pd.Series(agree_prob[1], index=fields), pd.Series(agree_prob[0], index=fields),
                       float(class_prior[1]))


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
                 in_pass: dict[str, np.ndarray], features: pd.DataFrame, seed: int = 0) -> FieldWeights:
        """u: how often each field agrees between random voter/resident pairs (almost all non-matches).
        m: ECM per estimation pass. Prior: the matches ECM finds in the prior pass, over all candidates."""
        rng = np.random.default_rng(seed)
        size = min(RANDOM_PAIRS_FOR_U, len(voters) * len(residents))
        random_pairs = pd.MultiIndex.from_arrays([voters.index[rng.integers(0, len(voters), size)],
                                                  residents.index[rng.integers(0, len(residents), size)]])
        labels = model.labels
        random_features = compare(model, random_pairs, voters, residents)
        # Among the pairs where the field can be compared: a field often missing is not rarely agreeing.
        u = ((random_features == AGREE).sum() / (random_features != MISSING).sum().clip(lower=1) if size
             else pd.Series(0.5, index=labels))
        m = pd.Series(np.nan, index=labels)
        prior = _PROBABILITY_FLOOR
        for estimation in model.estimation_passes:
            sample = features[in_pass[estimation.blocking_pass]]
            sample = (sample.drop(columns=list(estimation.blocked)) == AGREE).astype(np.int8)
            varying = [c for c in sample.columns if sample[c].min() != sample[c].max()]
            if len(sample) < 2 or not varying:
                continue
            estimated = ecm(sample[varying])
            taken = [c for c in estimation.takes if c in varying and np.isfinite(estimated.m[c])]
            m[taken] = estimated.m[taken]
            if estimation.blocking_pass == model.prior_pass and np.isfinite(estimated.p):
                prior = estimated.p * len(sample) / max(len(features), 1)
        # A field no pass could estimate carries no evidence either way: m = u, weight 0.
        return cls.from_probabilities(m.fillna(u), u, prior)

    def match_weight(self, features: pd.DataFrame, frequencies: pd.DataFrame | None = None) -> np.ndarray:
        """The sum of `contributions` per pair, one field at a time (no pairs x fields matrix of floats)."""
        total = np.zeros(len(features))
        for _, weight in self._field_weights(features, frequencies):
            total += weight
        return total

    def contributions(self, features: pd.DataFrame, frequencies: pd.DataFrame | None = None) -> pd.DataFrame:
        """Each field's weight per pair. `frequencies`: per pair, how common the resident's value of a field is;
        an agreement then weighs log2(m / frequency) instead of log2(m / u)."""
        return pd.DataFrame(dict(self._field_weights(features, frequencies)), index=features.index)

    def _field_weights(self, features: pd.DataFrame, frequencies: pd.DataFrame | None) -> Iterator[tuple[str, np.ndarray]]:
        """In arrays: a frame per field would carry the pairs' MultiIndex, which costs more than the sums."""
        for label in features.columns:
            values = features[label].to_numpy()
            weight = np.where(values == AGREE, self.agree[label], np.where(values == DISAGREE, self.disagree[label], 0.0))
            if frequencies is not None and label in frequencies:
                share = frequencies[label].to_numpy(dtype=float)
                agrees = (values == AGREE) & np.isfinite(share)
                weight[agrees] += np.log2(self.u[label] / np.clip(share, _PROBABILITY_FLOOR / 100, 1))[agrees]
            yield label, weight

    def probability(self, match_weight: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp2(-(self.prior_log2_odds + match_weight)))

    def table(self) -> pd.DataFrame:
        """The estimated model, one row per field, for the Dagster UI and the closing report."""
        return pd.DataFrame({"field": self.m.index, "m": self.m.round(4).to_numpy(), "u": self.u.round(6).to_numpy(),
                             "agree_weight": self.agree.round(2).to_numpy(),
                             "disagree_weight": self.disagree.round(2).to_numpy()})


def explanations(contributions: pd.DataFrame) -> list[str]:
    """One JSON object per pair: each field's contribution to the match weight, in bits, largest first."""
    values = contributions.round(2).to_numpy()
    if not len(values):
        return []
    order = np.argsort(-values, axis=1, kind="stable")
    ranked = values[np.arange(len(values))[:, None], order]
    labels = np.array([json.dumps(str(c)) + ": " for c in contributions.columns], dtype=object)[order]
    # Put together by Arrow, column by column (json.dumps per pair took 4 s at a million residents). Arrow writes
    # the shortest digits that read back as the float, as Python does, but drops a whole number's ".0".
    joined = None
    for k in range(ranked.shape[1]):
        number = pc.cast(pa.array(ranked[:, k]), pa.string())
        number = pc.if_else(pc.match_substring_regex(number, r"[.e]"), number,
                            pc.binary_join_element_wise(number, ".0", ""))
        field = pc.binary_join_element_wise(pa.array(labels[:, k], type=pa.string()), number, "")
        joined = field if joined is None else pc.binary_join_element_wise(joined, field, ", ")
    return pc.binary_join_element_wise("{", joined, "}", "").to_pylist()


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


def _runner_up(scored: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Per pair, the best weight of its voter row's other pairs (-inf if none); and where each voter row's best pair
    is (ties to the lower resident row). One sort of the pairs' int64 keys, then per voter row maxima over the
    sorted runs (a three-key lexsort took a second at a million residents). In index arrays, which die here:
    sorting a copy of every pair made the peak RSS of linking."""
    voter, weight = scored["voter_row"].to_numpy(), scored["match_weight"].to_numpy()
    if not len(voter):
        return np.empty(0), np.empty(0, dtype=np.int64)
    order = np.argsort(pair_keys(voter, scored["population_row"].to_numpy()))  # by voter row, then resident row
    ranked_voter, ranked_weight = voter[order], weight[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = ranked_voter[1:] != ranked_voter[:-1]
    starts, group = np.flatnonzero(first), np.cumsum(first) - 1
    best_weight = np.maximum.reduceat(ranked_weight, starts)
    best = np.minimum.reduceat(np.where(ranked_weight == best_weight[group], np.arange(len(order)), len(order)), starts)
    is_best = np.zeros(len(order), dtype=bool)
    is_best[best] = True
    second_weight = np.maximum.reduceat(np.where(is_best, -np.inf, ranked_weight), starts)
    runner_up = np.empty(len(order))
    runner_up[order] = np.where(is_best, second_weight[group], best_weight[group])
    return runner_up, order[best]


@dataclass
class ProbabilisticResult:
    assigned: pd.DataFrame  # voter_row, population_row, match_weight, match_probability, runner_up_weight,
    #                         explanation, agrees_<field> per field
    weights: FieldWeights
    candidate_pairs: pd.MultiIndex
    # Each voter row's best pair, whoever has its resident: where another row has it, this row may be the same
    # person listed again. Same columns as `assigned`.
    best: pd.DataFrame


def link_probabilistic(voters: pd.DataFrame, residents: pd.DataFrame, *, model: Model = VOTER_MODEL,
                       forbidden: pd.MultiIndex | None = None, min_probability: float = 0.0,
                       taken: pd.Index | None = None, found: dict[str, pd.MultiIndex] | None = None
                       ) -> ProbabilisticResult:
    """Scores every candidate pair of `voters` x `residents` (frames with the columns `model` compares, indexed
    by source row) and assigns them one to one. `forbidden` pairs (rejected by a reviewer) are never assigned.
    Residents in `taken` are linked already: they are scored but not assigned, and a row whose best match is one
    of them is not assigned either (it is that person listed again, or nobody). `runner_up_weight` is the voter row's best weight with any other
    resident (-inf if none): a close runner-up means the row cannot tell two people apart. `found`: pairs of a
    blocking pass searched already (see `candidate_pairs`)."""
    keys_by_pass = {name: keys_of(pairs) for name, pairs in candidate_pairs(model, voters, residents, taken, found).items()}
    keys = union(keys_by_pass)
    if forbidden is not None and len(forbidden):
        keys = np.sort(keys[~pd.Index(keys).isin(keys_of(forbidden))])
    position = pd.Index(keys)
    pairs = pd.MultiIndex.from_arrays([first_rows(keys), second_rows(keys)], names=["voter_row", "population_row"])
    # Rebound, so that the Arrow text columns, which nothing after blocking reads, are freed.
    voters, residents = shared_categories(voters, residents)
    features = compare(model, pairs, voters, residents)
    # pandas' hash table: numpy 2.4's np.isin took 1.9 s for the 2.7M pairs of a million residents, this 0.3 s.
    in_pass = {e.blocking_pass: position.isin(keys_by_pass[e.blocking_pass]) for e in model.estimation_passes}
    weights = FieldWeights.estimate(model, voters, residents, in_pass, features)
    resident_at = residents.index.get_indexer(second_rows(keys))
    frequencies = pd.DataFrame({f.label: residents[f.frequency].to_numpy(dtype=float)[resident_at]
                                for f in model.fields if f.frequency}, index=features.index)
    match_weight = weights.match_weight(features, frequencies)
    scored = pd.DataFrame({"voter_row": first_rows(keys), "population_row": second_rows(keys),
                           "match_weight": match_weight, "match_probability": weights.probability(match_weight)})
    scored["runner_up_weight"], best_at = _runner_up(scored)
    best = scored.iloc[best_at]
    scored = scored[scored["match_probability"] >= min_probability]
    # A row whose best match is a resident linked already is not offered the next best: that would link a second
    # listing of one person to a relative.
    best_to_taken = best[best["population_row"].isin(taken if taken is not None else [])]
    assigned = one_to_one(scored[~scored["voter_row"].isin(best_to_taken["voter_row"])
                                 & ~scored["population_row"].isin(taken if taken is not None else [])])

    def described(chosen_pairs: pd.DataFrame) -> pd.DataFrame:
        at = position.get_indexer(pair_keys(chosen_pairs["voter_row"], chosen_pairs["population_row"]))
        contributions = weights.contributions(features.iloc[at], frequencies.iloc[at])
        return chosen_pairs.assign(explanation=explanations(contributions),
                                   **{f"agrees_{c}": features[c].to_numpy()[at] == AGREE
                                      for c in features.columns}).reset_index(drop=True)
    return ProbabilisticResult(described(assigned), weights, pairs,
                               described(scored.merge(best[["voter_row", "population_row"]])))
