"""Invariants of the synthetic kabupaten the accuracy figures rest on."""

import filecmp

import pandas as pd
import pytest

from pemadanan import regions
from pemadanan.nik import clean_nik, nik_agrees_with
from pemadanan.synthetic import (
    BASIC_DEFECTS,
    REALISTIC_DEFECTS,
    GeneratorConfig,
    _unique_niks_nationally,
    generate,
    generate_national,
)

SEMESTERS = ("2024-S1", "2024-S2")


def read(folder, semester, name):
    return pd.read_csv(folder / semester / name, dtype=str, keep_default_na=False)


def truth(folder, semester, name):
    return pd.read_csv(folder / "truth" / semester / name)


def test_population_files_have_the_official_columns(small_kabupaten):
    population = read(small_kabupaten, "2024-S1", "population.csv")
    assert list(population.columns)[:3] == ["NIK", "NO_KK", "NAMA_LGKP"]
    assert list(read(small_kabupaten, "2024-S1", "voters.csv").columns)[:4] == ["TPS", "NKK", "NIK", "NAMA"]
    assert list(read(small_kabupaten, "2024-S1", "deaths.csv").columns) == ["NIK", "NAMA_LGKP", "TGL_KEMATIAN"]


@pytest.mark.parametrize("semester", SEMESTERS)
def test_nik_agrees_with_birth_date_and_sex_except_corrected_birth_dates(small_kabupaten, semester):
    population = read(small_kabupaten, semester, "population.csv")
    assert population["NIK"].str.fullmatch(r"\d{16}").all()
    assert not population["NIK"].duplicated().any()
    agrees = nik_agrees_with(population["NIK"], pd.to_datetime(population["TGL_LHR"]),
                             population["JENIS_KLMIN"].map({"1": "L", "2": "P"}))
    assert agrees["sex_agrees"].all()
    corrected = truth(small_kabupaten, semester, "population_truth.csv")["events"].fillna("").str.contains(
        "corrected_birth_date")
    # Corrections happen in every semester since the first; a person corrected earlier stays off too.
    events = pd.read_csv(small_kabupaten / "truth" / "events.csv")
    ever_corrected = truth(small_kabupaten, semester, "population_truth.csv")["person_id"].isin(
        events.loc[events["event"] == "corrected_birth_date", "person_id"])
    bad_row = truth(small_kabupaten, semester, "population_truth.csv")["defect_bad_row"]  # a future TGL_LHR, on purpose
    assert (agrees["birth_date_agrees"] | ever_corrected | corrected | bad_row).all() and bad_row.sum() <= 10


def test_region_codes_are_real_and_inside_the_kabupaten(small_kabupaten):
    population = read(small_kabupaten, "2024-S1", "population.csv")
    code = (population["NO_PROP"].str.zfill(2) + "." + population["NO_KAB"].str.zfill(2) + "."
            + population["NO_KEC"].str.zfill(2) + "." + population["NO_KEL"].str.zfill(4))
    assert code.isin(regions.kabupaten_regions("33.23")["desa_code"]).all()
    issued_elsewhere = ~population["NIK"].str.startswith("3323")
    assert 0.04 < issued_elsewhere.mean() < 0.15


def test_households_share_card_address_and_village(small_kabupaten):
    population = read(small_kabupaten, "2024-S1", "population.csv")
    per_card = population.groupby("NO_KK")[["ALAMAT", "NO_RT", "NO_RW", "NO_KEL"]].nunique()
    # Within-kabupaten movers keep their card number, so allow that small share.
    assert (per_card.max(axis=1) == 1).mean() > 0.98
    heads = population[population["STAT_HBKEL"] == "1"].groupby("NO_KK").size()
    assert (heads <= 1).all()


def test_age_structure_and_sex_ratio_are_plausible(small_kabupaten):
    population = read(small_kabupaten, "2024-S1", "population.csv")
    age = 2024 - pd.to_datetime(population["TGL_LHR"]).dt.year
    assert 0.25 < (age < 17).mean() < 0.40  # Indonesia: about 30% under 17
    assert 0.03 < (age >= 65).mean() < 0.12
    men = (population["JENIS_KLMIN"] == "1").mean()
    assert 0.48 < men < 0.53
    tni_polri = population["JENIS_PKRJN"].isin(["6", "7"]).mean()
    assert 0.0005 < tni_polri < 0.01


def test_voter_defects_occur_at_their_documented_rates(tmp_path):
    out = tmp_path / "k"
    config = GeneratorConfig(residents=30_000, semesters=("2024-S1",), seed=3)
    generate(config, out)
    voters = truth(out, "2024-S1", "voters_truth.csv")
    rates = config.defects
    assert rates == REALISTIC_DEFECTS  # the default profile
    for name in ("name_typo", "name_variant", "nik_scientific", "nik_trailing_zero", "name_title", "name_space",
                 "sex_wrong", "stale_address"):
        observed = voters[f"defect_{name}"].mean()
        expected = getattr(rates, name)
        assert abs(observed - expected) < max(0.25 * expected, 0.003), name
    # Copies get their own NIK typos on top of the rate.
    expected_typos = rates.nik_typo + rates.duplicate * rates.duplicate_nik_typo
    assert abs(voters["defect_nik_typo"].mean() - expected_typos) < 0.003
    # Word-level changes apply to names of several words only (three quarters of names).
    for name in ("name_one_word", "name_reordered", "name_abbreviated"):
        assert 0.4 * getattr(rates, name) < voters[f"defect_{name}"].mean() < 1.1 * getattr(rates, name), name
    copies = voters["is_duplicate_copy"].mean()
    assert abs(copies - rates.duplicate) < 0.004
    # Missing NIKs: the documented rate, plus 30% of the duplicate copies.
    assert abs(voters["defect_nik_missing"].mean() - (rates.nik_missing + 0.3 * rates.duplicate)) < 0.006
    population = read(out, "2024-S1", "population.csv")
    age = 2024 - pd.to_datetime(population["TGL_LHR"]).dt.year
    assert ((age < 17) & (population["STAT_KWN"] != "1")).sum() > 0  # some married before 17: they may vote
    file = read(out, "2024-S1", "voters.csv")
    cleaned = clean_nik(file["NIK"])
    zeroed_serial = voters["defect_nik_trailing_zero"] & file["NIK"].str.endswith("0000")
    assert ((cleaned["nik_status"] == "unreliable") == (voters["defect_nik_scientific"] | zeroed_serial)).all()
    assert file["NIK"].str.startswith("'").sum() == voters["defect_nik_apostrophe"].sum()


def test_truth_codes_follow_the_simulated_events(small_kabupaten):
    voters = truth(small_kabupaten, "2024-S2", "voters_truth.csv")
    codes = voters["tms_codes"].fillna("").astype(str)
    dead = codes.str.contains("1")
    assert voters.loc[dead, "population_row"].isna().all()  # the dead are gone from the population
    duplicates = codes.str.contains("2")
    assert (duplicates == voters["is_duplicate_copy"]).all()
    assert voters.loc[duplicates, "duplicate_of_row"].notna().all()
    population = truth(small_kabupaten, "2024-S2", "population_truth.csv")
    assert (population["eligible_unregistered"] == (population["eligible"] & ~population["registered"])).all()


def test_same_seed_same_files_and_other_seed_other_files(tmp_path):
    config = GeneratorConfig(residents=1_500, semesters=("2024-S1",), seed=5)
    generate(config, tmp_path / "a")
    generate(config, tmp_path / "b")
    generate(GeneratorConfig(residents=1_500, semesters=("2024-S1",), seed=6), tmp_path / "c")
    for name in ("population.csv", "voters.csv", "deaths.csv"):
        assert filecmp.cmp(tmp_path / "a/2024-S1" / name, tmp_path / "b/2024-S1" / name, shallow=False)
    assert not filecmp.cmp(tmp_path / "a/2024-S1/voters.csv", tmp_path / "c/2024-S1/voters.csv", shallow=False)


def test_the_realistic_profile_has_twins_placeholders_and_the_basic_one_none(tmp_path):
    generate(GeneratorConfig(residents=20_000, semesters=("2024-S1",), seed=4), tmp_path / "r")
    generate(GeneratorConfig(residents=20_000, semesters=("2024-S1",), seed=4, profile="basic"), tmp_path / "b")
    assert GeneratorConfig(profile="basic").defects == BASIC_DEFECTS
    for profile, expected in (("r", True), ("b", False)):
        population = read(tmp_path / profile, "2024-S1", "population.csv")
        born = pd.to_datetime(population["TGL_LHR"])
        old = born.dt.year < 1960
        placeholder_share = (old & born.dt.strftime("%m-%d").isin(["07-01", "12-31", "01-01"])).sum() / old.sum()
        # Same card, same birth date, both children: twins.
        children = population[population["STAT_HBKEL"] == "4"]
        twins = children.duplicated(["NO_KK", "TGL_LHR"], keep=False).sum()
        assert (placeholder_share > 0.08) == expected, profile
        assert (twins > 50) == expected, (profile, twins)
    with pytest.raises(ValueError, match="unknown generator profile"):
        GeneratorConfig(profile="clean")


REGIONS = ("33.23", "33.24", "34.02")


@pytest.fixture(scope="module")
def national(tmp_path_factory):
    out = tmp_path_factory.mktemp("national")
    generate_national(GeneratorConfig(semesters=SEMESTERS, seed=5), REGIONS, (6_000, 3_000, 3_000), out,
                      moves_between=0.6, still_listed_after_moving=0.5)
    return out


def people_of(out, semester, kabupaten):
    """Each resident of a kabupaten's population file with the person behind the row, from the truth."""
    population = read(out / semester, kabupaten, "population.csv")
    rows = truth(out, semester, f"{kabupaten}/population_truth.csv")
    return population.assign(person_id=rows["person_id"].to_numpy(), kabupaten=kabupaten)


def test_national_movers_keep_their_nik_and_get_a_card_and_address_where_they_went(national):
    before = pd.concat([people_of(national, "2024-S1", k) for k in REGIONS])
    after = pd.concat([people_of(national, "2024-S2", k) for k in REGIONS])
    moved = before.merge(after, on="person_id", suffixes=("_before", "_after"))
    moved = moved[moved["kabupaten_before"] != moved["kabupaten_after"]]
    assert len(moved) >= 20
    assert (moved["NIK_before"] == moved["NIK_after"]).all()
    assert (moved["NAMA_LGKP_before"] == moved["NAMA_LGKP_after"]).all()
    assert (moved["TGL_LHR_before"] == moved["TGL_LHR_after"]).mean() >= 0.95  # a few rows get a future date (bad rows)
    # The new family card is issued in the new kabupaten: its first four digits are the kabupaten's code.
    assert (moved["NO_KK_after"].str.slice(0, 4) == moved["kabupaten_after"].str.replace(".", "")).all()
    assert (moved["NO_PROP_after"] + "." + moved["NO_KAB_after"].str.zfill(2) == moved["kabupaten_after"]).all()
    # Nobody lives in two kabupaten at once, and no NIK belongs to two people.
    for people in (before, after):
        assert not people["person_id"].duplicated().any()
        assert not people["NIK"].duplicated().any()


def test_national_truth_says_where_each_listed_person_lives_and_who_else_lists_them(national):
    for semester in SEMESTERS:
        residents = {k: set(truth(national, semester, f"{k}/population_truth.csv")["person_id"]) for k in REGIONS}
        listed = {k: pd.read_csv(national / "truth" / semester / k / "voters_truth.csv", dtype={"lives_in": str,
                  "also_listed_in": str, "tms_codes": str}, keep_default_na=False) for k in REGIONS}
        listed_people = {k: set(rows["person_id"]) for k, rows in listed.items()}
        for kabupaten, rows in listed.items():
            for person, lives_in, also in zip(rows["person_id"], rows["lives_in"], rows["also_listed_in"], strict=True):
                assert lives_in == next((k for k in REGIONS if person in residents[k]), "")
                assert (also.split(";") if also else []) == [k for k in REGIONS if k != kabupaten
                                                             and person in listed_people[k]]
            moved_away = rows[(rows["lives_in"] != "") & (rows["lives_in"] != kabupaten)]
            assert moved_away["tms_codes"].str.split(";").map(lambda codes: "4" in codes).all()
    # People who left in 2024-S1 and are still on their old list are listed in two kabupaten in 2024-S2.
    assert sum((listed[k]["also_listed_in"] != "").sum() for k in REGIONS) >= 5


def test_niks_two_kabupaten_gave_two_people_are_told_apart():
    first = pd.DataFrame({"person_id": [1, 2], "nik": ["3323010101900001", "3323010101900002"]})
    second = pd.DataFrame({"person_id": [3, 4], "nik": ["3323010101900001", "3324010101900001"]})
    histories = {"33.23": {"s": first}, "33.24": {"s": second, "t": second.copy()}}
    _unique_niks_nationally(histories)
    assert histories["33.23"]["s"]["nik"].tolist() == ["3323010101900001", "3323010101900002"]
    for frame in histories["33.24"].values():
        assert frame["nik"].tolist() == ["3323010101909999", "3324010101900001"]


def test_the_command_writes_one_folder_per_kabupaten_and_says_what_is_wrong(tmp_path, capsys):
    from pipelines.cli import main

    assert main(["generate", "--regions", "33.23,33.24", "--residents", "1500,900", "--semesters", "2024-S1",
                 "--out", str(tmp_path / "out")]) == 0
    assert sorted(p.parent.name for p in (tmp_path / "out" / "2024-S1").glob("*/population.csv")) == ["33.23", "33.24"]
    assert "2024-S1 33.24: " in capsys.readouterr().out
    assert main(["generate", "--regions", "33.23,33.24", "--residents", "1,2,3", "--out", str(tmp_path / "x")]) == 2
    assert "2 kabupaten but 3 resident counts" in capsys.readouterr().err


def test_generate_names_the_mistake_in_its_regions(tmp_path):
    with pytest.raises(ValueError, match="two or more different"):
        generate_national(GeneratorConfig(), ("33.23", "33.23"), (100, 100), tmp_path)
    with pytest.raises(ValueError, match="2 kabupaten but 1 resident counts"):
        generate_national(GeneratorConfig(), ("33.23", "33.24"), (100,), tmp_path)
