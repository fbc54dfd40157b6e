"""The voter-list maintenance outputs on hand-made residents, voter rows and death records."""

import datetime as dt

import pandas as pd
import pytest

from pemadanan import maintenance, tms
from pemadanan.eligibility import judging_day
from pemadanan.linkage import LinkResult
from pemadanan.names import name_key, normalize_name
from pemadanan.nik import mask_nik
from pemadanan.semester import SemesterInputs

ON, BEFORE = dt.date(2024, 6, 30), dt.date(2023, 12, 31)
DESA, OTHER_DESA = "33.23.01.2001", "33.23.02.2001"


def residents(rows: list[dict], marital_type: str = "Int64") -> pd.DataFrame:
    base = {"nik_status": "valid", "sex": "L", "marital": 2, "occupation": 9, "desa_code": DESA, "rt": 1, "rw": 1,
            "address": "DUSUN KRAJAN", "birth_date": "1980-05-01", "no_kk": "3323010101200001",
            "birthplace": "TEMANGGUNG"}
    frame = pd.DataFrame([{**base, **row} for row in rows])
    frame.insert(0, "source_row", range(1, len(frame) + 1))
    frame["birth_date"] = pd.to_datetime(frame["birth_date"])
    frame["name_norm"] = normalize_name(frame["name"])
    frame["name_key"] = name_key(frame["name_norm"])
    # As ingest accepts them: an unreliable NIK's digits in `nik_digits` only.
    frame = frame.astype({"nik": "string", "marital": marital_type, "occupation": "Int64"})
    return frame.assign(nik_digits=frame["nik"], nik=frame["nik"].mask(frame["nik_status"] == "unreliable"))


def voters(rows: list[dict]) -> pd.DataFrame:
    return residents([{"marital": "S", **row} for row in rows], marital_type="string").assign(tps=1)


def link_result(pairs: list[tuple[int, int]], duplicates: list[tuple[int, int]] = ()) -> LinkResult:
    links = pd.DataFrame(pairs, columns=["voter_row", "population_row"])
    return LinkResult(links=links, unlinked=pd.DataFrame({"voter_row": [], "reason": []}),
                      review_queue=pd.DataFrame({"voter_row": [], "population_row": []}, dtype=int),
                      duplicates=pd.DataFrame([(v, k, 1.0, "same NIK") for v, k in duplicates],
                                              columns=["voter_row", "duplicate_of_voter_row", "score", "evidence"]),
                      model=pd.DataFrame(), candidate_pairs=pd.MultiIndex.from_tuples([], names=["a", "b"]))


def delivered_deaths(rows: list[tuple[str, str]]) -> pd.DataFrame:
    """A deaths file as ingest accepts it."""
    frame = pd.DataFrame(rows, columns=["nik", "name"]).assign(death_date=pd.Timestamp("2024-05-01"))
    frame.insert(0, "source_row", range(1, len(frame) + 1))
    frame["name_norm"] = normalize_name(frame["name"])
    return frame.assign(name_key=name_key(frame["name_norm"])).astype({"nik": "string"})


def deaths(rows: list[tuple[str, str]]) -> pd.DataFrame:
    """Every death record known in 2024-S1, all delivered then."""
    return maintenance.remembered_deaths(delivered_deaths(rows), "2024-S1", None)


NO_CHANGES = pd.DataFrame(columns=maintenance.CHANGE_COLUMNS)


@pytest.fixture
def semester():
    population = residents([
        {"name": "BUDI SANTOSO", "nik": "3323010105800001"},
        {"name": "ANI", "nik": "3323014101080002", "sex": "P", "birth_date": "2008-01-01", "marital": 1},
        {"name": "SLAMET", "nik": "3323010101850003", "occupation": 6},
        {"name": "SITI AMINAH", "nik": "3323014506900004", "sex": "P", "birth_date": "1990-06-05", "desa_code": OTHER_DESA},
        {"name": "JOKO", "nik": "3323013006070005", "birth_date": "2007-06-30", "marital": 1},
        {"name": "RINI", "nik": "3323014111070006", "sex": "P", "birth_date": "2007-11-01", "marital": 1},
    ])
    listed = voters([
        {"name": "BUDI SANTOSO", "nik": "3323010105800001"},
        {"name": "ANI", "nik": "3323014101080002", "sex": "P", "birth_date": "2008-01-01", "marital": "B"},
        {"name": "SLAMET", "nik": "3323010101850003"},
        {"name": "SITI AMINAH", "nik": "3323014506900004", "sex": "P", "birth_date": "1990-06-05"},
        {"name": "SUPARMAN", "nik": "3323010203450009", "birth_date": "1945-03-02"},  # died, recorded
        {"name": "SUPARMAN", "nik": None, "nik_status": "missing", "birth_date": "1945-03-02"},  # listed again
        {"name": "WAGIMAN", "nik": "3323010404500010", "birth_date": "1950-04-04"},  # gone, no record
        {"name": "BUDI SANTOSO", "nik": "3323010105800001"},  # the same person twice
    ])
    links = link_result([(1, 1), (2, 2), (3, 3), (4, 4)], duplicates=[(8, 1)])
    return SemesterInputs(ON, BEFORE, judging_day(ON), listed, population, links)


@pytest.fixture
def dead():
    return deaths([("3323010203450009", "SOEPARMAN")])


def codes(tms: pd.DataFrame) -> dict[int, set[str]]:
    return tms.groupby("voter_row")["tms_code"].agg(set).to_dict()


def test_each_voter_row_gets_the_codes_its_evidence_supports(semester, dead):
    flagged = tms.tms_candidates(semester, NO_CHANGES, dead)
    flags = codes(flagged)
    assert 1 not in flags  # of age, alive, in the right desa
    assert flags[2] == {"3"} and flags[3] == {"6"} and flags[4] == {"8"}
    assert flags[5] == {"1"}  # the death record's NIK and name (old spelling) agree
    assert flags[6] == {"1", "nik_invalid"}  # no NIK: by name, sex and the birth date in the record's NIK
    assert flags[7] == {"5"}  # nobody matches and nothing says why: not called dead
    assert flags[8] == {"2"}
    by_row = flagged.set_index(["voter_row", "tms_code"])
    assert by_row.loc[(5, "1"), "confidence"] == "high" and not by_row.loc[(5, "1"), "needs_coklit"]
    assert by_row.loc[(6, "1"), "confidence"] == "medium" and by_row.loc[(6, "1"), "needs_coklit"]
    assert by_row.loc[(7, "5"), "needs_coklit"]


def test_a_voter_gone_since_the_last_semester_is_moved_not_dead(semester, dead):
    changes = pd.DataFrame({"change": ["moved_out"], "population_row": [pd.NA], "previous_population_row": [7],
                            "nik": ["3323010404500010"], "desa_code": [DESA]})
    flags = codes(tms.tms_candidates(semester, changes, dead))
    assert flags[7] == {"4"}


def test_a_death_record_with_the_full_name_matches_a_row_carrying_one_word_of_it():
    dead = deaths([("3323014506850001", "LESTARI SIREGAR")])
    listed = voters([{"name": "LESTARI", "nik": "3323014506850001", "sex": "P", "birth_date": "1985-06-05"},
                     {"name": "SITI", "nik": "3323014506850002", "sex": "P", "birth_date": "1985-06-05"}])
    assert tms.match_deaths(listed, dead)["voter_row"].tolist() == [1]


def test_a_death_is_found_through_an_excel_zeroed_serial_or_a_typo_in_a_short_name_but_not_for_a_twin():
    dead = deaths([("3323012705280001", "MULYADI NUGROHO"), ("3323011204280001", "AGUS"),
                   ("3323014506900001", "AYU PERMATASARI")])
    listed = voters([
        # Excel zeroed the serial, and the list has a placeholder birth date.
        {"name": "MULYADI NUGROHO", "nik": "3323012705280000", "nik_status": "unreliable", "birth_date": "1928-12-31"},
        {"name": "AGMS", "nik": "3323011204280001", "birth_date": "1928-07-01"},  # the same NIK, a typo in the name
        # Her twin: the same 12 digits, a zeroed serial, another first name.
        {"name": "ZAHRA PERMATASARI", "nik": "3323014506900000", "nik_status": "unreliable", "sex": "P",
         "birth_date": "1990-06-05"},
        {"name": "BUDI", "nik": "3323011204280001", "birth_date": "1928-04-12"},  # the same NIK, another name
    ])
    found = tms.match_deaths(listed, dead).set_index("voter_row")["confidence"]
    assert found.to_dict() == {1: "medium", 2: "high"}


def test_a_namesake_with_another_nik_is_not_a_recorded_death():
    dead = deaths([("3323010203450009", "SUPARMAN")])
    namesake = voters([{"name": "SUPARMAN", "nik": "3323010203450777", "birth_date": "1945-03-02"}])
    assert tms.match_deaths(namesake, dead).empty


def test_a_death_recorded_last_semester_is_remembered_and_a_record_delivered_again_is_not_a_second_death(semester):
    first = maintenance.remembered_deaths(delivered_deaths([("3323010203450009", "SOEPARMAN")]), "2024-S1", None)
    kept = first[first["new"]].rename(columns={"delivered_in": "semester"})  # as restricted.death_records keeps it
    # 2024-S2 delivers the same record again, a new one, and the new one twice.
    again = delivered_deaths([("3323010203450009", "SOEPARMAN"), ("3323010404500010", "WAGIMAN"),
                              ("3323010404500010", "WAGIMAN")])
    known = maintenance.remembered_deaths(again, "2024-S2", kept)
    assert known[["nik", "delivered_in", "new"]].values.tolist() == [
        ["3323010203450009", "2024-S1", False], ["3323010404500010", "2024-S2", True]]
    flagged = tms.tms_candidates(semester, NO_CHANGES, known).set_index(["voter_row", "tms_code"])
    assert "delivered in 2024-S1" in flagged.loc[(5, "1"), "evidence"]  # Suparman, still listed: TMS 1 again
    assert flagged.loc[(7, "1"), "confidence"] == "high"  # Wagiman, gone without a record until now
    # Only this semester's new record is a death of this semester.
    changes = maintenance.population_changes(semester.residents, known[known["new"]], ON, BEFORE, None)
    assert changes.loc[changes["change"] == "died", "nik"].tolist() == ["3323010404500010"]


def test_eligible_residents_without_a_row_and_new_voters(semester):
    missing = maintenance.eligible_unregistered(semester)
    # Joko turned 17 on the reference date; Rini is 16 but 17 on the Pilkada's voting day, which Semester I 2024 is
    # judged on: both belong on the list.
    assert missing["population_row"].tolist() == [5, 6]
    newly = maintenance.new_voters(semester, NO_CHANGES).set_index("population_row")
    assert newly["reason"].to_dict() == {5: "turned 17 this semester", 6: "17 by 2024-11-27 (voting day of Pilkada 2024)"}


def test_a_resident_whose_voter_row_was_quarantined_is_listed_not_unregistered(semester):
    semester.quarantined_voter_niks = frozenset({"3323013006070005"})  # Joko's row: a desa name no table knows
    assert maintenance.eligible_unregistered(semester)["population_row"].tolist() == [6]


def test_a_listed_16_year_old_is_under_age_only_if_still_16_on_voting_day(semester, dead):
    semester.voters = voters([{"name": "RINI", "nik": "3323014111070006", "sex": "P", "birth_date": "2007-11-01",
                               "marital": "B"},
                              {"name": "ANI", "nik": "3323014101080002", "sex": "P", "birth_date": "2008-01-01",
                               "marital": "B"}])
    semester.links = link_result([(1, 6), (2, 2)])
    flagged = tms.tms_candidates(semester, NO_CHANGES, dead)
    under_age = flagged[flagged["tms_code"] == "3"]
    assert under_age["voter_row"].tolist() == [2]  # Rini turns 17 on 1 November, before the voting day
    assert "2024-11-27 (voting day of Pilkada 2024)" in under_age["evidence"].item()


def test_population_changes_against_the_previous_snapshot(semester, dead):
    before = maintenance.snapshot(residents([
        {"name": "BUDI SANTOSO", "nik": "3323010105800001", "desa_code": OTHER_DESA},
        {"name": "ANY", "nik": "3323014101080002", "sex": "P", "birth_date": "2008-01-01", "marital": 1},
        {"name": "SLAMET", "nik": "3323010101850003", "occupation": 9},
        {"name": "SUPARMAN", "nik": "3323010203450009"},
        {"name": "WAGIMAN", "nik": "3323010404500010"},
        {"name": "JOKO", "nik": "3323013006070005", "birth_date": "2007-06-30", "marital": 1},
    ]))
    changes = maintenance.population_changes(semester.residents, dead, ON, BEFORE, before)
    by_change = changes.groupby("change")["nik"].agg(set).to_dict()
    assert by_change == {
        "moved_within": {"3323010105800001"}, "name_corrected": {"3323014101080002"},
        "joined_tni_polri": {"3323010101850003"}, "died": {"3323010203450009"}, "moved_out": {"3323010404500010"},
        "moved_in": {"3323014506900004", "3323014111070006"}, "turned_17": {"3323013006070005"},
    }
    per_region = maintenance.changes_per_region(changes, "33.23")
    for change, people in changes.groupby("change").size().items():
        at = per_region[per_region["change"] == change].groupby("region_level")["people"].sum()
        assert (at == people).all()


def test_residents_without_a_nik_are_not_paired_with_each_other_across_snapshots():
    """With the population's NIK check set to flag, rows without a NIK are accepted: they cannot be followed."""
    without_nik = [{"name": "DEWI", "nik": None, "nik_status": "missing", "sex": "P"},
                    {"name": "AGUS", "nik": None, "nik_status": "missing", "desa_code": OTHER_DESA}]
    before = maintenance.snapshot(residents([{"name": "BUDI SANTOSO", "nik": "3323010105800001"}, *without_nik]))
    now = residents([{"name": "BUDI SANTOSO", "nik": "3323010105800001"}, *without_nik,
                     {"name": "BAYU", "nik": None, "nik_status": "missing", "birth_date": "2024-03-01"}])
    changes = maintenance.population_changes(now, deaths([]), ON, BEFORE, before)
    assert changes[["change", "population_row"]].values.tolist() == [["born", 4]]


def test_a_death_whose_nik_was_issued_in_another_kabupaten_counts_in_the_delivering_kabupaten_alone(semester):
    """Kab. Dairi (12.11) issued the NIK; Temanggung's Dukcapil recorded the death: a row under Dairi's name would
    be a count of one in a Temanggung delivery, outside any desa suppression."""
    dead = deaths([("1211010203450009", "PARDEDE"), ("9999010203450001", "NOBODY")])
    changes = maintenance.population_changes(semester.residents, dead, ON, BEFORE, None)
    died = maintenance.changes_per_region(changes, "33.23").query("change == 'died'")
    assert died[["region_level", "region_code", "people"]].values.tolist() == [["provinsi", "33", 2],
                                                                                ["kabupaten", "33.23", 2]]


def test_a_death_with_no_previous_snapshot_counts_in_the_kecamatan_of_its_nik(semester):
    dead = deaths([("3323010203450009", "SUPARMAN")])
    changes = maintenance.population_changes(semester.residents, dead, ON, BEFORE, None)
    died = maintenance.changes_per_region(changes, "33.23").query("change == 'died'").set_index("region_level")
    assert died.loc["kecamatan", "region_code"] == "33.23.01" and died.loc["kecamatan", "people"] == 1
    assert "desa" not in died.index  # the kecamatan is known, the desa is not
    assert died.loc["provinsi", "people"] == 1


def test_coverage_adds_up_from_desa_to_provinsi(semester, dead):
    flagged = tms.tms_candidates(semester, NO_CHANGES, dead)
    coverage = maintenance.coverage_by_region(semester, flagged, maintenance.eligible_unregistered(semester),
                                              maintenance.new_voters(semester, NO_CHANGES))
    totals = coverage.drop(columns=["region_code", "region_name", "coverage_pct"]).groupby("region_level").sum()
    assert (totals.nunique() == 1).all()
    provinsi = coverage[coverage["region_level"] == "provinsi"].iloc[0]
    # Rini (16, 17 by the Pilkada) is eligible on the day Semester I 2024 is judged on, and unregistered.
    assert (provinsi["residents"], provinsi["registered"], provinsi["tms_1"], provinsi["eligible_unregistered"]) == (6, 8, 2, 2)
    assert set(coverage.loc[coverage["region_level"] == "desa", "region_code"]) == {DESA, OTHER_DESA}


def test_the_coklit_list_has_whom_to_visit_by_rw_rt_and_address(semester, dead):
    flagged = tms.tms_candidates(semester, NO_CHANGES, dead)
    flagged.loc[flagged["voter_row"] == 7, "tms_code"] = "nik_invalid"  # as if its NIK were bad but the row linked
    flagged.loc[flagged["voter_row"] == 7, "needs_coklit"] = False
    listed = semester.voters.assign(rw=[3, 1, 1, 2, 1, 1, 1, 1], rt=[1, 2, 1, 1, 1, 1, 1, 1])
    visits = maintenance.coklit_list(flagged, maintenance.eligible_unregistered(semester), listed, semester.residents,
                                     ON)
    # RW 1 RT 1 (same address, so by name), RW 1 RT 2, RW 2; row 7 needs no visit
    assert visits["voter_row"].dropna().tolist() == [8, 3, 5, 6, 2, 4]
    assert visits["population_row"].dropna().tolist() == [5, 6]
    assert visits.set_index("voter_row").loc[6, "to_check"] == "TMS 1 meninggal; TMS nik_invalid NIK/KK invalid"
    # A row flagged twice is as certain as its weakest flag.
    confidences = flagged[flagged["voter_row"] == 6]["confidence"]
    weakest = next(level for level in ("low", "medium", "high") if (confidences == level).any())
    assert confidences.nunique() == 2 and visits.set_index("voter_row").loc[6, "confidence"] == weakest
    assert visits["nik"].dropna().str.fullmatch(r"[0-9]{16}").all()  # whole in restricted; the files mask it
    assert mask_nik(visits["nik"]).dropna().str.fullmatch(r"[0-9]{6}\*{6}[0-9]{4}").all()


def test_small_desa_counts_are_suppressed_with_a_second_cell_where_one_alone_would_be_given_back():
    from pemadanan.summary import suppress_small_counts

    table = pd.DataFrame({
        "region_level": ["kecamatan", "desa", "desa", "desa", "kecamatan", "desa", "desa", "desa"],
        "region_code": ["33.23.01", "33.23.01.2001", "33.23.01.2002", "33.23.01.2003",
                        "33.23.02", "33.23.02.2001", "33.23.02.2002", "33.23.02.2003"],
        "people": [20, 1, 7, 12, 13, 3, 2, 8], "rate": [0.5] * 8})
    out = suppress_small_counts(table, ["people"], 5, derived={"rate": ["people"]}).set_index("region_code")
    assert out.loc[["33.23.01", "33.23.02"], "people"].tolist() == [20, 13]  # kecamatan totals stay
    # Alone, the 1 would come back as 20 - 7 - 12: the 7 goes too. Two small cells cover each other.
    assert out.loc[["33.23.01.2001", "33.23.01.2002", "33.23.01.2003"], "people"].isna().tolist() == [True, True, False]
    assert out.loc[["33.23.02.2001", "33.23.02.2002", "33.23.02.2003"], "people"].isna().tolist() == [True, True, False]
    assert out.loc["33.23.01.2001", "rate"] != out.loc["33.23.01.2001", "rate"]  # NaN: its count is suppressed


def test_text_in_is_isin_for_text_except_that_missing_is_in_nothing():
    from pemadanan.frames import text_in

    values = pd.Series(["3323", None, "3324", "", "3325"], dtype="string", index=[10, 11, 12, 13, 14])
    allowed = pd.Series(["3325", None, "", "3323", "3323"], dtype="string")
    hit = text_in(values, allowed)
    assert hit.index.tolist() == [10, 11, 12, 13, 14] and hit.tolist() == [True, False, False, True, True]
    assert text_in(values, frozenset({"3324"})).tolist() == [False, False, True, False, False]
    assert text_in(values, []).tolist() == [False] * 5
    assert values.isin(allowed).tolist() == [True, True, False, True, True]  # pandas counts missing as in
