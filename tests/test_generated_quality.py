"""A clean generated semester passes every blocking check, and the generator's defects come out as the
quarantines, flags and repairs its truth says they should."""

import pandas as pd
import pytest

from expectations.checks import Outcome
from pemadanan.ingest import POPULATION, VOTERS, ingest

UNRELIABLE = "NIK unreliable: Excel scientific notation or zeroed serial"
NIK_DATE_DISAGREES = "birth date in NIK disagrees with the birth date column"


@pytest.fixture(scope="module")
def ingested(small_kabupaten):
    folder = small_kabupaten / "2024-S1"
    population = ingest(POPULATION, folder / "population.csv", "2024-S1", kabupaten="33.23")
    next_semester_rows = len(pd.read_csv(small_kabupaten / "2024-S2" / "voters.csv", dtype=str))
    voters = ingest(VOTERS, folder / "voters.csv", "2024-S1", kabupaten="33.23", previous_rows=next_semester_rows)
    truth = pd.read_csv(small_kabupaten / "truth" / "2024-S1" / "voters_truth.csv")
    flags = voters.accepted.set_index("source_row")["flags"].reindex(truth["source_row"]).fillna("").to_numpy()
    repairs = voters.accepted.set_index("source_row")["repairs"].reindex(truth["source_row"]).fillna("").to_numpy()
    delivered_nik = pd.read_csv(folder / "voters.csv", dtype=str, keep_default_na=False)["NIK"].to_numpy()
    return population, voters, truth.assign(flags=flags, repairs=repairs, delivered_nik=delivered_nik)


def has(column: pd.Series, text: str) -> pd.Series:
    return column.str.contains(text, regex=False)


def test_a_clean_semester_passes_every_blocking_check(ingested):
    population, voters, _ = ingested
    for result in (population, voters):
        blocking = [c for c in result.checks if c.outcome == Outcome.BLOCK]
        assert blocking and all(c.success for c in blocking)
    assert "volume_vs_previous_semester" in {c.check.name for c in voters.checks}
    # Only the rows the generator broke on purpose are quarantined, each for what was broken.
    assert set(population.quarantine["reasons"]) <= {"TGL_LHR after the semester's reference date"}
    assert set(voters.quarantine["reasons"]) <= {"KELURAHAN/KECAMATAN resolve to no desa of the kabupaten"}
    assert len(population.quarantine) <= 0.001 * population.rows_in and len(voters.quarantine) <= 0.001 * voters.rows_in
    # Dukcapil corrects birth dates but not the NIK issued with them: the only population flag.
    assert set(population.accepted["flags"].dropna()) <= {NIK_DATE_DISAGREES}


def test_excel_mangled_niks_are_flagged_unreliable_and_nothing_else_is(ingested):
    _, voters, truth = ingested
    flagged = has(truth["flags"], UNRELIABLE)
    zeroed_serial = truth["defect_nik_trailing_zero"] & truth["delivered_nik"].str.endswith("0000")
    assert flagged[truth["defect_nik_scientific"] & ~truth["defect_nik_missing"]].all()
    assert flagged[zeroed_serial].all() and zeroed_serial.sum() > 0
    assert not flagged[~(truth["defect_nik_scientific"] | truth["defect_nik_trailing_zero"])].any()


def test_missing_niks_are_flagged_and_apostrophes_repaired(ingested):
    _, _, truth = ingested
    assert (has(truth["flags"], "NIK missing") == truth["defect_nik_missing"]).all()
    apostrophe = truth["defect_nik_apostrophe"] & ~truth["defect_nik_missing"] & ~truth["defect_nik_scientific"]
    assert has(truth["repairs"], "NIK: leading apostrophe")[apostrophe].all()
    assert not has(truth["repairs"], "NIK: leading apostrophe")[~truth["defect_nik_apostrophe"]].any()


def test_swapped_day_and_month_disagree_with_the_nik(ingested):
    population, voters, truth = ingested
    nik_intact = ~truth[["defect_nik_missing", "defect_nik_scientific", "defect_nik_trailing_zero", "defect_nik_typo"]].any(axis=1)
    born = voters.accepted.set_index("source_row")["birth_date"].reindex(truth["source_row"]).to_numpy()
    resident_born = population.accepted.set_index("source_row")["birth_date"].reindex(truth["population_row"]).to_numpy()
    swapped = truth["defect_day_month_swap"] & nik_intact & (born != resident_born)
    flagged = has(truth["flags"], NIK_DATE_DISAGREES)
    assert swapped.sum() > 0 and flagged[swapped].all()
    # The realistic profile also has placeholder dates on the list, and lists that kept a date SIAK replaced by a
    # placeholder: the NIK follows SIAK.
    other_date = (born != resident_born) & pd.notna(resident_born)
    explained = (truth["defect_day_month_swap"] | truth["defect_nik_typo"] | truth["defect_nik_trailing_zero"]
                 | truth["defect_placeholder_birth_date"] | other_date)
    assert explained[flagged].mean() >= 0.9

