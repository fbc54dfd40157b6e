"""Field comparisons shared by voter->resident linkage and duplicate detection.

String similarity comes from rapidfuzz (C++), plugged into recordlinkage through its `BaseCompareFeature`
extension point, so a `recordlinkage.Compare` holds every comparison the models use.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from rapidfuzz import fuzz
from rapidfuzz.distance import Hamming, Indel, JaroWinkler
from rapidfuzz.process import cpdist
from recordlinkage.base import BaseCompareFeature

from pemadanan.dates import calendar
from pemadanan.frames import per_distinct_value
from pemadanan.names import has_initial, name_initials
from pemadanan.nik import digit_matrix

# Indel similarity (1 - insertions and deletions / total length) on the spelling key: 0.8 keeps a typo or a
# variant of one name and rejects other names. Not Jaro-Winkler: its prefix bonus scores a father
# "Agus Santoso" and his son "Agus" 0.88.
NAMES_AGREE = 0.8
NAMES_CLOSE = 0.6  # spelling keys this close are one name with typos ('EDWI' / 'DEWI', 'AGMS' / 'AGUS')
BIRTH_DATE_NEAR_DAYS = 3  # SIAK birth-date corrections move a date by a few days
# token_set_ratio (0-100) of the word keys: 100 when one name's words are all in the other ('LESTARI' /
# 'LESTARI SIREGAR') or the same words stand in another order; 90 keeps a typo in a shared word. Two names
# that share one word of several ('MUHAMMAD RIDWAN' / 'MUHAMMAD ILHAM') score about 70.
NAME_WORDS_OVERLAP = 90
WORD_AGREES = 0.75  # one word of a name against another: a typo or an old spelling, not another name


def _pairwise(left: pd.Series, right: pd.Series, scorer, where_missing: float) -> np.ndarray:
    """`scorer` of each aligned pair, computed once per distinct pair of values: candidate pairs repeat them (a
    block shares its name; birthplaces are a few dozen), and each string crosses into Python once."""
    left_codes, left_values = pd.factorize(left)
    right_codes, right_values = pd.factorize(right)
    known = (left_codes >= 0) & (right_codes >= 0)
    scores = np.full(len(left), where_missing, dtype=float)
    if not known.any():
        return scores
    pair_codes, distinct = pd.factorize(left_codes[known].astype(np.int64) * len(right_values) + right_codes[known])
    scores[known] = cpdist(_texts(left_values)[distinct // len(right_values)],
                           _texts(right_values)[distinct % len(right_values)], scorer=scorer, workers=-1)[pair_codes]
    return scores


def _texts(values) -> np.ndarray:
    """Distinct values as an object array of str."""
    return pd.Series(values).astype("string").to_numpy(dtype=object)


def string_similarity(left: pd.Series, right: pd.Series, scorer=JaroWinkler.normalized_similarity) -> np.ndarray:
    """Similarity of two aligned string columns, 0 where either is missing."""
    return _pairwise(left, right, scorer, 0.0)


def nik_distance(left: pd.Series, right: pd.Series) -> np.ndarray:
    """Digits that differ between two aligned 16-digit NIK columns (a swap of neighbours counts 2); 16 where
    either is missing."""
    return _pairwise(left, right, Hamming.distance, 16)


def birth_dates_near(left: pd.Series, right: pd.Series, left_placeholder: pd.Series | None = None,
                     right_placeholder: pd.Series | None = None) -> np.ndarray:
    """Equal, day and month swapped, a few days apart (a correction), or in the same year where either date is a
    placeholder for an unknown one (1 July, 31 December, 1 January)."""
    apart = np.abs(left.to_numpy(dtype="datetime64[D]") - right.to_numpy(dtype="datetime64[D]"))
    near = ~np.isnat(apart) & (apart <= np.timedelta64(BIRTH_DATE_NEAR_DAYS, "D"))
    left_parts, right_parts = calendar(left), calendar(right)
    near |= _swapped(left_parts, right_parts)
    if left_placeholder is not None and right_placeholder is not None:
        same_year = left_parts[0] == right_parts[0]
        near |= same_year & (left_placeholder.to_numpy(dtype=bool) | right_placeholder.to_numpy(dtype=bool))
    return near


def birth_dates_swapped(left: pd.Series, right: pd.Series) -> np.ndarray:
    """The same date with day and month swapped (equal dates too, where day and month are equal)."""
    return _swapped(calendar(left), calendar(right))


def _swapped(left: tuple[np.ndarray, ...], right: tuple[np.ndarray, ...]) -> np.ndarray:
    (left_year, left_month, left_day), (right_year, right_month, right_day) = left, right
    return (left_day == right_month) & (left_month == right_day) & (left_year == right_year)


def names_agree(left: pd.Series, right: pd.Series) -> np.ndarray:
    """Aligned columns of name keys agree (NAMES_AGREE); missing names do not."""
    return name_similarity(left, right) >= NAMES_AGREE


def name_similarity(left: pd.Series, right: pd.Series) -> np.ndarray:
    return string_similarity(left, right, Indel.normalized_similarity)


def names_agree_word_by_word(left_key: pd.Series, right_key: pd.Series, left_words: pd.Series,
                             right_words: pd.Series) -> np.ndarray:
    """The spelling keys agree (NAMES_AGREE) and, where both names have several words, every word of the shorter
    has a counterpart in the other (Indel >= WORD_AGREES): 'ZAHRA PERMATASARI' and 'AYU PERMATASARI' share
    most letters but are sisters. Equal keys agree whatever the spacing ('NURHALIZA' / 'NUR HALIZA')."""
    agree = name_similarity(left_key, right_key) >= NAMES_AGREE
    left_spaces, right_spaces = _spaces(left_words), _spaces(right_words)
    check = agree & (left_spaces > 0) & (right_spaces > 0) & (left_key != right_key).fillna(True).to_numpy()
    if not check.any():
        return agree
    fewer_left = (left_spaces <= right_spaces)[check]
    shorter = pd.Series(np.where(fewer_left, left_words[check], right_words[check]), dtype="string")
    longer = pd.Series(np.where(fewer_left, right_words[check], left_words[check]), dtype="string")
    long_parts = split_words(longer).values()
    every_word = np.ones(len(shorter), dtype=bool)
    for word in split_words(shorter).values():
        matched = word.isna().to_numpy()
        for other in long_parts:
            matched |= string_similarity(word, other, Indel.normalized_similarity) >= WORD_AGREES
        every_word &= matched
    agree[np.flatnonzero(check)] = every_word
    return agree


def _spaces(words: pd.Series) -> np.ndarray:
    """Spaces in each name, -1 where missing, counted once per distinct name: pairs repeat names, and on a
    categorical pandas' `.str` calls Python once per category, every time."""
    counted = per_distinct_value(words, lambda distinct: {"spaces": distinct.str.count(" ")})["spaces"]
    return counted.fillna(-1).to_numpy(dtype=np.int64)


NAME_WORD_COLUMNS = 4  # words of a name compared one by one; the rest stays in the last


def split_words(words: pd.Series) -> dict[str, pd.Series]:
    """`name_word_0` .. `name_word_3`: a row's words, split once per row rather than once per pair."""
    parts = words.str.split(" ", n=NAME_WORD_COLUMNS - 1, expand=True).reindex(columns=range(NAME_WORD_COLUMNS))
    return {f"name_word_{i}": parts[i].astype("string") for i in range(NAME_WORD_COLUMNS)}


def name_word_columns(words: pd.Series) -> dict[str, pd.Series]:
    """What `name_words_overlap` reads of a name, from its word keys (`names.name_words`)."""
    return {"name_words": words, "name_initials": name_initials(words), "has_initial": has_initial(words).astype(bool),
            **split_words(words)}


def names_agree_fully_or_partly(left_key: pd.Series, right_key: pd.Series, left_words: pd.Series,
                                right_words: pd.Series) -> np.ndarray:
    """Aligned names agree (`names_agree` on the spelling keys) or partly (`name_words_overlap` on the word keys)."""
    return names_agree(left_key, right_key) | name_words_overlap(name_word_columns(left_words),
                                                                 name_word_columns(right_words))


def name_words_overlap(left: dict[str, pd.Series], right: dict[str, pd.Series]) -> np.ndarray:
    """One name's words are the other's, or within them, in any order (NAME_WORDS_OVERLAP); a one-word name agrees
    with one of the other's words, a typo allowed; or a name cut to initials ('AGUS S.') agrees with the full one
    on the first word and the initials. `left`/`right`: name_words, name_initials, has_initial, name_word_0..3."""
    overlap = _pairwise(left["name_words"], right["name_words"], fuzz.token_set_ratio, 0.0) >= NAME_WORDS_OVERLAP
    either_initial = left["has_initial"].to_numpy(dtype=bool) | right["has_initial"].to_numpy(dtype=bool)
    initials = (left["name_initials"] == right["name_initials"]).fillna(False).to_numpy(dtype=bool) & either_initial
    return overlap | initials | _one_word_within(left, right) | _one_word_within(right, left)


def _one_word_within(single: dict[str, pd.Series], words: dict[str, pd.Series]) -> np.ndarray:
    """`single` is one word, and agrees (NAMES_AGREE) with one of `words`' words: 'LESARI' / 'RATNA LESTARI'."""
    one = (single["name_word_0"].notna() & single["name_word_1"].isna()).to_numpy()
    out = np.zeros(len(one), dtype=bool)
    if not one.any():
        return out
    word = single["name_word_0"][one]
    for i in range(NAME_WORD_COLUMNS):
        out[one] |= name_similarity(word, words[f"name_word_{i}"][one]) >= NAMES_AGREE
    return out


def nik_one_edit(left: pd.Series, right: pd.Series) -> np.ndarray:
    """Two 16-digit NIKs one substituted digit, or one swap of neighbouring digits, apart (not equal)."""
    known = (left.notna() & right.notna()).to_numpy()
    if not known.any():
        return np.zeros(len(left), dtype=bool)

    a, b = digit_matrix(left[known]), digit_matrix(right[known])
    differ = a != b
    count = differ.sum(axis=1)
    first = differ.argmax(axis=1)
    second = np.minimum(first + 1, 15)
    rows = np.arange(len(a))
    swap = ((count == 2) & differ[rows, second] & (a[rows, first] == b[rows, second])
            & (a[rows, second] == b[rows, first]))
    out = np.zeros(len(left), dtype=bool)
    out[known] = (count == 1) | swap
    return out


class SimilarityAtLeast(BaseCompareFeature):
    """1 where the rapidfuzz similarity of the two strings reaches `threshold`; 0 below it or where missing."""

    name = "similarity_at_least"

    def __init__(self, left_on: str, right_on: str, threshold: float, label: str,
                 scorer=JaroWinkler.normalized_similarity):
        super().__init__(left_on, right_on, label=label)
        self.threshold, self.scorer = threshold, scorer

    def _compute_vectorized(self, left: pd.Series, right: pd.Series) -> np.ndarray:
        return (string_similarity(left, right, self.scorer) >= self.threshold).astype(np.int8)


class NamesAgree(SimilarityAtLeast):
    """1 where two name keys agree (`names_agree`)."""

    name = "names_agree"

    def __init__(self, left_on: str, right_on: str, label: str):
        super().__init__(left_on, right_on, NAMES_AGREE, label, scorer=Indel.normalized_similarity)


class _ColumnsAgree(BaseCompareFeature):
    """1 where `agree` holds for a pair; each side's `columns` are handed over as a dict of aligned Series."""

    columns: tuple[str, ...] = ()

    def __init__(self, label: str):
        super().__init__(list(self.columns), list(self.columns), label=label)

    def _compute_vectorized(self, *sides) -> np.ndarray:
        half = len(self.columns)
        left, right = dict(zip(self.columns, sides[:half], strict=True)), dict(zip(self.columns, sides[half:], strict=True))
        return np.asarray(self.agree(left, right)).astype(np.int8)

    def agree(self, left: dict[str, pd.Series], right: dict[str, pd.Series]) -> np.ndarray:
        raise NotImplementedError


class BirthDateNear(_ColumnsAgree):
    """`birth_dates_near`, placeholders taken into account."""

    name = "birth_date_near"
    columns = ("birth_date", "birth_placeholder")

    def agree(self, left, right) -> np.ndarray:
        return birth_dates_near(left["birth_date"], right["birth_date"], left["birth_placeholder"],
                                right["birth_placeholder"])


class NameWordsOverlap(_ColumnsAgree):
    """`name_words_overlap`."""

    name = "name_words_overlap"
    columns = ("name_words", "name_initials", "has_initial", *(f"name_word_{i}" for i in range(NAME_WORD_COLUMNS)))

    def agree(self, left, right) -> np.ndarray:
        return name_words_overlap(left, right)


class NamesAgreeWordByWord(_ColumnsAgree):
    """`names_agree_word_by_word`."""

    name = "names_agree_word_by_word"
    columns = ("name_key", "name_words")

    def agree(self, left, right) -> np.ndarray:
        return names_agree_word_by_word(left["name_key"], right["name_key"], left["name_words"], right["name_words"])


class NikOneEdit(BaseCompareFeature):
    """1 where `nik_one_edit`."""

    name = "nik_one_edit"

    def _compute_vectorized(self, left: pd.Series, right: pd.Series) -> np.ndarray:
        return nik_one_edit(left, right).astype(np.int8)
