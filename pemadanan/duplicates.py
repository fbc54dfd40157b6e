"""Duplicate rows inside the voter list (TMS 2, ganda): one person listed twice.

Precision first: a wrong "duplicate" takes a real voter off the list (the Kansas Crosscheck matched on name
and birth date only and was wrong over 99% of the time). Two rows are called the same person only when
the name, sex and birth date agree *and* something that names and birth dates do not share by chance also
agrees: the family card, the NIK, or the RT/RW; and never when both rows carry NIKs that differ by more than
a typo (twins share all the rest). Only a valid or repaired NIK counts: an unreliable one (Excel's scientific
notation) is one value for hundreds of people, and says nothing either way. A NIK one digit off is not evidence on its own: people born on one day
in neighbouring kecamatan get NIKs one digit apart. Rows that the cascade linked to the same resident
are duplicates on that evidence.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import recordlinkage
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from pemadanan.catalogue import VOTER_DUPLICATES
from pemadanan.nik import TRUSTED
from pemadanan.probabilistic import desa_rt_rw, first_rows, keys_of, second_rows
from pemadanan.similarity import birth_dates_near, name_similarity, names_agree, nik_distance

DUPLICATE_COLUMNS = VOTER_DUPLICATES.frame_columns


def _voter_view(voters: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "name_key": voters["name_key"], "birth_date": voters["birth_date"], "sex": voters["sex"].astype("string"),
        "no_kk": voters["no_kk"], "nik16": voters["nik"].astype("string").where(voters["nik_status"].isin(TRUSTED)),
        "desa_rt_rw": desa_rt_rw(voters),
    }).set_axis(voters["source_row"].to_numpy())


def candidate_duplicates(voters: pd.DataFrame) -> pd.DataFrame:
    """Pairs of voter rows (row_a < row_b) that are the same person by the rule above, with score and evidence."""
    view = _voter_view(voters)
    passes = []
    # Within sex: the rule needs it, and a family card's rows are half men, half women.
    for keys in (["no_kk"], ["nik16"], ["birth_date", "name_key"], ["birth_date", "desa_rt_rw"]):
        indexer = recordlinkage.Index()
        indexer.block([*keys, "sex"])
        passes.append(keys_of(indexer.index(view)))
    pairs = pd.unique(np.concatenate(passes))
    a = view.iloc[view.index.get_indexer(first_rows(pairs))].reset_index(drop=True)
    b = view.iloc[view.index.get_indexer(second_rows(pairs))].reset_index(drop=True)
    similarity = name_similarity(a["name_key"], b["name_key"])
    distance = nik_distance(a["nik16"], b["nik16"])
    same_card = (a["no_kk"] == b["no_kk"]).fillna(False).to_numpy(dtype=bool)
    nik_close = distance <= 2
    same_rt = (a["desa_rt_rw"] == b["desa_rt_rw"]).fillna(False).to_numpy(dtype=bool)
    both_niks_differ = a["nik16"].notna().to_numpy() & b["nik16"].notna().to_numpy() & ~nik_close
    same_person = (
        names_agree(a["name_key"], b["name_key"]) & (a["sex"] == b["sex"]).fillna(False).to_numpy(dtype=bool)
        & birth_dates_near(a["birth_date"], b["birth_date"]) & (same_card | (distance == 0) | same_rt) & ~both_niks_differ
    )
    evidence = np.full(same_person.sum(), "name, sex and birth date agree", dtype=object)
    for hit, text in ((distance == 0, "same NIK"), ((distance > 0) & nik_close, "NIK differs by a typo"),
                      (same_card, "same NKK"), (same_rt, "same RT/RW")):
        evidence = np.where(hit[same_person], evidence + "; " + text, evidence)
    first, second = first_rows(pairs[same_person]), second_rows(pairs[same_person])
    return pd.DataFrame({"row_a": np.minimum(first, second), "row_b": np.maximum(first, second),
                         "score": np.round(similarity[same_person], 4), "evidence": evidence})


def resolve_duplicates(pairs: pd.DataFrame, linked_rows: pd.Series, linked_to: pd.Series) -> pd.DataFrame:
    """Groups duplicate pairs (row_a, row_b, score, evidence) into people and names one row per person to keep:
    the row linked to a resident, else the first row. Pairs whose rows are linked to two different residents
    are dropped: the links say they are two people. Returns DUPLICATE_COLUMNS, one row per row to drop."""
    resident = pd.Series(linked_to.to_numpy(), index=linked_rows.to_numpy())
    res_a, res_b = pairs["row_a"].map(resident), pairs["row_b"].map(resident)
    pairs = pairs[~(res_a.notna() & res_b.notna() & (res_a != res_b))]
    if pairs.empty:
        return pd.DataFrame(columns=DUPLICATE_COLUMNS)
    rows = np.unique(np.concatenate([pairs["row_a"], pairs["row_b"]]))
    position = pd.Series(np.arange(len(rows)), index=rows)
    graph = coo_matrix((np.ones(len(pairs)), (position[pairs["row_a"]].to_numpy(), position[pairs["row_b"]].to_numpy())),
                       shape=(len(rows), len(rows)))
    _, person = connected_components(graph, directed=False)
    members = pd.DataFrame({"voter_row": rows, "person": person, "linked": pd.Series(rows).isin(resident.index).to_numpy()})
    keep = members.sort_values(["person", "linked", "voter_row"], ascending=[True, False, True]).drop_duplicates("person")
    members["duplicate_of_voter_row"] = members["person"].map(keep.set_index("person")["voter_row"])
    dropped = members[members["voter_row"] != members["duplicate_of_voter_row"]]
    # Score and evidence of the strongest pair that ties the row to its person.
    both_ways = pd.concat([pairs, pairs.rename(columns={"row_a": "row_b", "row_b": "row_a"})])
    best = both_ways.sort_values("score", ascending=False).drop_duplicates("row_b").set_index("row_b")
    return pd.DataFrame({
        "voter_row": dropped["voter_row"].to_numpy(),
        "duplicate_of_voter_row": dropped["duplicate_of_voter_row"].to_numpy(),
        "score": dropped["voter_row"].map(best["score"]).to_numpy(),
        "evidence": dropped["voter_row"].map(best["evidence"]).to_numpy(),
    }).sort_values("voter_row").reset_index(drop=True)
