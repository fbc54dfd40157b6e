"""Field comparisons shared by voter->resident linkage and duplicate detection.

String similarity comes from rapidfuzz (C++), plugged into recordlinkage through its `BaseCompareFeature`
extension point, so a `recordlinkage.Compare` holds every comparison the models use.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from rapidfuzz.distance import Hamming, Indel, JaroWinkler
from rapidfuzz.process import cpdist
from recordlinkage.base import BaseCompareFeature

# Indel similarity (1 - insertions and deletions / total length) on the spelling key: 0.8 keeps a typo or a
# variant of one name and rejects other names. Not Jaro-Winkler: its prefix bonus scores a father
# "Agus Santoso" and his son "Agus" 0.88.
NAMES_AGREE = 0.8
BIRTH_DATE_NEAR_DAYS = 3  # SIAK birth-date corrections move a date by a few days


def _pairwise(left: pd.Series, right: pd.Series, scorer, where_missing: float) -> np.ndarray:
    missing = (left.isna() | right.isna()).to_numpy()
    scores = cpdist(left.fillna("").astype(str).tolist(), right.fillna("").astype(str).tolist(), scorer=scorer, workers=1)
    return np.where(missing, where_missing, scores)


def string_similarity(left: pd.Series, right: pd.Series, scorer=JaroWinkler.normalized_similarity) -> np.ndarray:
    """Similarity of two aligned string columns, 0 where either is missing."""
    return _pairwise(left, right, scorer, 0.0)


def nik_distance(left: pd.Series, right: pd.Series) -> np.ndarray:
    """Digits that differ between two aligned 16-digit NIK columns (a swap of neighbours counts 2); 16 where
    either is missing."""
    return _pairwise(left, right, Hamming.distance, 16)


def birth_dates_near(left: pd.Series, right: pd.Series) -> np.ndarray:
    """Equal, day and month swapped, or a few days apart (a correction)."""
    days = (left - right).dt.days.abs()
    swapped = (left.dt.day == right.dt.month) & (left.dt.month == right.dt.day) & (left.dt.year == right.dt.year)
    return ((days <= BIRTH_DATE_NEAR_DAYS) | swapped).fillna(False).to_numpy(dtype=bool)


def names_agree(left: pd.Series, right: pd.Series) -> np.ndarray:
    """Aligned columns of name keys agree (NAMES_AGREE); missing names do not."""
    return name_similarity(left, right) >= NAMES_AGREE


def name_similarity(left: pd.Series, right: pd.Series) -> np.ndarray:
    return string_similarity(left, right, Indel.normalized_similarity)


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


class BirthDateNear(BaseCompareFeature):
    """1 where two birth dates are near (`birth_dates_near`)."""

    name = "birth_date_near"

    def __init__(self, left_on: str, right_on: str, label: str):
        super().__init__(left_on, right_on, label=label)

    def _compute_vectorized(self, left: pd.Series, right: pd.Series) -> np.ndarray:
        return birth_dates_near(left, right).astype(np.int8)
