"""Linking voter rows to residents.

Stage 1, exact NIK: a voter's NIK equals a resident's, and the person agrees. A NIK alone is not proof:
Excel turns the last digit of a NIK into 0, and a mistyped digit can land on a neighbour's NIK, which then
has the same region, birth date and sex. So the name must agree too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from rapidfuzz.distance import JaroWinkler
from rapidfuzz.process import cpdist

from pemadanan.nik import NikStatus

EXACT_NIK = "exact_nik"
# Jaro-Winkler on the spelling key; 0.85 keeps typos and dropped second names, rejects other people.
NAME_AGREES = 0.85
NAME_AGREES_WITH_BIRTH_DATE = 0.60


@dataclass
class LinkResult:
    links: pd.DataFrame  # voter_row, population_row, link_method, match_score, name_similarity, birth_date_agrees, sex_agrees
    unlinked: pd.DataFrame  # voter_row, reason


def name_similarity(left: pd.Series, right: pd.Series) -> np.ndarray:
    """Jaro-Winkler similarity of two aligned columns of name keys, 0 where either is missing."""
    a = left.fillna("").astype(str).tolist()
    b = right.fillna("").astype(str).tolist()
    scores = cpdist(a, b, scorer=JaroWinkler.normalized_similarity, workers=1)
    return np.where((left.isna() | right.isna()).to_numpy(), 0.0, scores)


def link_exact_nik(voters: pd.DataFrame, population: pd.DataFrame) -> LinkResult:
    usable = voters["nik_status"].isin([NikStatus.VALID, NikStatus.REPAIRED]) & voters["nik"].notna()
    candidates = voters.loc[usable, ["source_row", "nik", "name_key", "birth_date", "sex"]].merge(
        population[["source_row", "nik", "name_key", "birth_date", "sex"]], on="nik", suffixes=("_v", "_p"))
    similarity = name_similarity(candidates["name_key_v"], candidates["name_key_p"])
    birth_agrees = (candidates["birth_date_v"] == candidates["birth_date_p"]).to_numpy()
    sex_agrees = (candidates["sex_v"] == candidates["sex_p"]).to_numpy()
    confirmed = sex_agrees & ((similarity >= NAME_AGREES) | (birth_agrees & (similarity >= NAME_AGREES_WITH_BIRTH_DATE)))
    links = pd.DataFrame({
        "voter_row": candidates["source_row_v"].to_numpy(),
        "population_row": candidates["source_row_p"].to_numpy(),
        "link_method": EXACT_NIK,
        "match_score": np.round(similarity, 4),
        "name_similarity": np.round(similarity, 4),
        "birth_date_agrees": birth_agrees,
        "sex_agrees": sex_agrees,
    })[confirmed].sort_values("voter_row").reset_index(drop=True)

    rejected = set(candidates["source_row_v"][~confirmed])
    matched_nik = set(candidates["source_row_v"])
    status = voters["nik_status"]
    reason = np.select(
        [status == NikStatus.MISSING, status == NikStatus.UNRELIABLE, status == NikStatus.MALFORMED,
         voters["source_row"].isin(rejected), ~voters["source_row"].isin(matched_nik)],
        ["NIK missing", "NIK unreliable (Excel scientific notation or zeroed serial)", "NIK malformed (not 16 digits, or no real birth date)",
         "NIK found but name/sex disagree", "NIK not in population"],
        default="",
    )
    unlinked_mask = ~voters["source_row"].isin(links["voter_row"])
    unlinked = pd.DataFrame({"voter_row": voters["source_row"][unlinked_mask].to_numpy(),
                             "reason": reason[unlinked_mask.to_numpy()]})
    return LinkResult(links, unlinked)
