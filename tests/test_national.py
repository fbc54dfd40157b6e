"""The national step's rules on small hand-made kabupaten: who moved where, who is listed twice, who is registered
elsewhere."""

import pandas as pd

from pemadanan.names import name_key
from pemadanan.national import BY_BIRTHPLACE, BY_NAME_AND_BIRTH_DATE, national_findings

A, B, C = "33.23", "33.24", "34.02"
MOVER, DOUBLE, NOWHERE, HOME, NO_NIK, UNREGISTERED = (f"33230101019{n}0001" for n in range(1, 7))


def residents() -> pd.DataFrame:
    return pd.DataFrame([
        (B, 1, MOVER, "33.24.01.2001"),      # left A for B; A's list still has them
        (B, 2, DOUBLE, "33.24.02.2002"),     # lives in B, listed (and linked) in B and still listed in A
        (A, 1, HOME, "33.23.01.2001"),       # lives in A, unlinked there (a name A could not match), also listed in C
        (C, 1, UNREGISTERED, "34.02.01.2001"),  # lives in C with no voter row there, listed in A
    ], columns=["kabupaten", "population_row", "nik", "desa_code"])


def voters() -> pd.DataFrame:
    return pd.DataFrame([
        (A, 10, MOVER, False),
        (A, 11, DOUBLE, False), (B, 20, DOUBLE, True),
        (A, 12, NOWHERE, False), (B, 21, NOWHERE, False),  # listed in A and B, lives in neither
        (A, 13, HOME, False), (C, 30, HOME, False),
        (A, 14, None, False), (B, 22, None, False),          # no trustworthy NIK: left alone
        (A, 15, UNREGISTERED, False),
    ], columns=["kabupaten", "voter_row", "nik", "linked"])


def test_a_voter_living_in_another_kabupaten_moved_there():
    found = national_findings(residents(), voters(), pd.DataFrame(columns=["kabupaten", "population_row"]))
    moved = found.moved.set_index("voter_row")
    assert sorted(moved.index) == [10, 11, 15, 30]  # 13 lives in A, its own kabupaten; 12, 21 live nowhere in the run
    assert moved.loc[10, "lives_in"] == B and moved.loc[10, "lives_in_desa"] == "33.24.01.2001"
    assert moved.loc[30, "lives_in"] == A and (moved["kabupaten"] != moved["lives_in"]).all()


def test_the_row_where_the_person_does_not_live_is_the_one_listed_twice():
    twice = national_findings(residents(), voters(), pd.DataFrame(columns=["kabupaten", "population_row"])).listed_twice
    rows = {(r.kabupaten, r.voter_row): (r.also_listed_in, r.also_voter_row, r.confidence) for r in twice.itertuples()}
    assert rows == {
        (A, 11): (B, 20, "high"),    # lives in B and is listed there: strike A's row
        (A, 12): (B, 21, "medium"),  # lives in neither: both reported, a visit decides
        (B, 21): (A, 12, "medium"),
        (C, 30): (A, 13, "high"),    # lives in A: C's row goes, A's row (13) stays
    }


def test_an_eligible_resident_listed_in_another_kabupaten_is_not_unregistered():
    unregistered = pd.DataFrame({"kabupaten": [C, B], "population_row": [1, 1]})
    elsewhere = national_findings(residents(), voters(), unregistered).listed_elsewhere.drop(columns="listed_tps")
    assert elsewhere.to_dict("records") == [
        {"kabupaten": B, "population_row": 1, "listed_in": A, "listed_voter_row": 10, "found_by": "NIK",
         "confidence": "high"},
        {"kabupaten": C, "population_row": 1, "listed_in": A, "listed_voter_row": 15, "found_by": "NIK",
         "confidence": "high"}]


def test_a_namesake_born_the_same_day_is_never_listed_elsewhere_nor_found_moved_by_name_and_birth_date_alone():
    """A voter who died, still listed in A without a usable NIK, and an eligible resident of B with the same name and
    birth date and no voter row: nothing ties the row to B's resident but the name and day, which a namesake has."""
    residents = pd.DataFrame([(B, 1, "3324014503700001", "SITI AMINAH", "1970-03-05", "33.24.01.2001")],
                             columns=["kabupaten", "population_row", "nik", "name_norm", "birth_date", "desa_code"])
    voters = pd.DataFrame([(A, 1, None, False, "SITI AMINAH", "1970-03-05")],
                          columns=["kabupaten", "voter_row", "nik", "linked", "name_norm", "birth_date"])
    residents["name_key"] = name_key(residents["name_norm"])
    voters["name_key"] = name_key(voters["name_norm"])
    found = national_findings(residents, voters, pd.DataFrame({"kabupaten": [B], "population_row": [1]}))
    assert found.listed_elsewhere.empty and found.moved.empty and found.listed_twice.empty


def test_a_nik_that_is_another_persons_makes_no_finding_by_nik():
    """A's row carries a NIK one typo away from its own that is B's resident's, whose name is another: nobody moved;
    a row naming one person with two spellings of the name is still that person."""
    residents = pd.DataFrame([
        (B, 1, "3324014503700001", "SITI AMINAH", "1970-03-05"),
        (B, 2, "3324011208650002", "SOEHARTO", "1965-08-12"),
    ], columns=["kabupaten", "population_row", "nik", "name_norm", "birth_date"]).assign(desa_code="33.24.01.2001")
    voters = pd.DataFrame([
        (A, 1, "3324014503700001", False, "BAMBANG WIJAYA", "1981-01-09"),  # another person's NIK
        (A, 2, "3324011208650002", False, "SUHARTO", "1965-08-12"),          # the same person, another spelling
        (A, 3, "3323019999990003", False, "DEWI LESTARI", "1990-02-02"),     # listed in A and C, lives in neither...
        (C, 1, "3323019999990003", False, "AGUS SALIM", "1979-04-04"),       # ...but C's row is another person
    ], columns=["kabupaten", "voter_row", "nik", "linked", "name_norm", "birth_date"])
    residents["name_key"] = name_key(residents["name_norm"])
    voters["name_key"] = name_key(voters["name_norm"])
    found = national_findings(residents, voters, pd.DataFrame({"kabupaten": [B], "population_row": [1]}))
    assert found.moved[["voter_row", "lives_in", "found_by"]].values.tolist() == [[2, B, "NIK"]]
    assert found.listed_elsewhere.empty
    assert found.listed_twice.empty


def test_a_row_without_any_nik_digits_is_found_by_no_name_and_birth_date_however_rare_the_name():
    """On the hard profile (seeds 1-2) 15 of 110 "moved" by name and birth date were right: the person a stale row lists
    has often died or left the run, and a namesake born the same day lives elsewhere."""
    residents = pd.DataFrame([
        (B, 1, "3324010101900001", "ANI RAHAYU", "1990-03-04", "33.24.01.2001"),   # the only one born that year
        (C, 3, "3402010101900003", "SOEHARTO", "1951-03-03", "34.02.01.2001"),      # the only one of that name
    ], columns=["kabupaten", "population_row", "nik", "name_norm", "birth_date", "desa_code"])
    voters = pd.DataFrame([
        (A, 1, None, False, "ANI RAHAYU", "1990-03-04"),
        (A, 6, None, False, "SUHARTO", "1951-03-03"),     # the new spelling of SOEHARTO
    ], columns=["kabupaten", "voter_row", "nik", "linked", "name_norm", "birth_date"])
    residents["name_key"] = name_key(residents["name_norm"])  # as ingest publishes them
    voters["name_key"] = name_key(voters["name_norm"])
    assert national_findings(residents, voters, pd.DataFrame(columns=["kabupaten", "population_row"])).moved.empty


def test_a_nik_excel_or_a_typist_spoiled_finds_a_namesake_born_that_day_where_its_digits_agree():
    residents = pd.DataFrame([
        (B, 1, "3324015503700001", "SITI AMINAH", "1970-03-15"),  # namesakes born the same year: the name and
        (B, 2, "3324015807700002", "SITI AMINAH", "1970-07-18"),  # year alone could be either of them
        (C, 1, "3402014108660003", "SRI", "1966-08-01"),
        (C, 2, "3402016402660004", "SRI", "1966-02-24"),
    ], columns=["kabupaten", "population_row", "nik", "name_norm", "birth_date"]).assign(desa_code="34.02.01.2001")
    voters = pd.DataFrame([
        (A, 1, "3324015503700000", "SITI AMINAH", "1970-03-15"),   # last digit zeroed by Excel
        (A, 2, "'3324015807700012", "SITI AMINAH", "1970-07-18"),  # one digit mistyped, and Excel's apostrophe
        (A, 3, "3.40201E+15", "SRI", "1966-08-01"),                # Excel's scientific notation
        (A, 4, "3.32301E+15", "SRI", "1966-02-24"),                # born the day C's SRI was, another NIK
        (A, 5, "", "SITI AMINAH", "1970-07-18"),                    # no digits: the name and day are not enough
    ], columns=["kabupaten", "voter_row", "nik_delivered", "name_norm", "birth_date"]).assign(nik=None, linked=False)
    residents["name_key"] = name_key(residents["name_norm"])
    voters["name_key"] = name_key(voters["name_norm"])
    moved = national_findings(residents, voters, pd.DataFrame(columns=["kabupaten", "population_row"])).moved
    assert moved[["voter_row", "lives_in", "found_by"]].values.tolist() == [
        [1, B, BY_NAME_AND_BIRTH_DATE], [2, B, BY_NAME_AND_BIRTH_DATE], [3, C, BY_NAME_AND_BIRTH_DATE]]


def test_three_kabupaten_run_through_dagster_and_the_national_step_finds_who_moved_between_them(
        tmp_path, instance_env):
    """The national generator's files, each kabupaten a run of its own, then the national step (`run_semester`);
    scored against the truth on a small sample (3 x 3,000 residents, seed 3, the second semester: movers of the
    first are listed where they left; docs/NATIONAL.md has the figures of larger runs and more seeds). That a
    kabupaten's publish replaces its rows and no other's is tested in tests/test_warehouse.py."""
    from pemadanan import warehouse
    from pemadanan.evaluation import national_errors, national_scores
    from pemadanan.regions import region_name
    from pemadanan.synthetic import GeneratorConfig, generate_national
    from pipelines.cli import run_semester

    regions = [A, B, C]
    generate_national(GeneratorConfig(semesters=("2024-S1", "2024-S2"), seed=3), regions, [3000] * 3, tmp_path / "land")
    ok, message = run_semester("2024-S2", str(tmp_path / "land"))
    assert ok, message
    # A run per kabupaten, the national step, then each kabupaten's coklit lists and report again with its findings.
    assert message.count("succeeded") == 2 * len(regions) + 1, message
    coverage = warehouse.read_table(instance_env, warehouse.NATIONAL_COVERAGE, "2024-S2")
    assert sorted(coverage["kabupaten"]) == regions and set(coverage["kabupaten_covered"]) == {3}

    # The officers of each desa read the findings of their rows beside them.
    findings = warehouse.read_table(instance_env, warehouse.NATIONAL_FINDINGS, "2024-S2")
    moved = findings[(findings["finding"] == "moved") & (findings["kabupaten"] == A)]
    assert len(moved) >= 5
    lists = pd.concat([pd.read_csv(path, dtype=str) for path in (tmp_path / "data" / "coklit" / "2024-S2" / A).glob(
        "*.csv")])
    noted = lists.dropna(subset=["national_finding"]).set_index("voter_row")["national_finding"]
    for row in moved.itertuples():
        assert noted[str(int(row.voter_row))].startswith(f"pindah ke {region_name(row.other_kabupaten)}, desa "), row
    elsewhere = findings[(findings["finding"] == "listed_elsewhere") & (findings["kabupaten"] == A)]
    by_resident = lists.dropna(subset=["population_row"]).set_index("population_row")["national_finding"]
    for row in elsewhere.itertuples():
        assert by_resident[str(int(row.population_row))].startswith(
            f"terdaftar di {region_name(row.other_kabupaten)}, TPS {int(row.other_tps)}"), row
    assert len(noted) + by_resident.notna().sum() >= len(findings[findings["kabupaten"] == A].drop_duplicates(
        ["voter_row", "population_row"]))

    # Dashboards count them beside the kabupaten's own counts: residents listed elsewhere by their NIK are not
    # unregistered there.
    with warehouse.connect(instance_env) as conn, conn.cursor() as cur:
        cur.execute("SELECT kabupaten, eligible_unregistered, listed_elsewhere_high, unregistered_after_national, "
                    "moved_out, national_current FROM published.coverage_with_national WHERE semester = '2024-S2' "
                    "ORDER BY kabupaten")
        view = cur.fetchall()
    conn.close()
    high = findings[(findings["finding"] == "listed_elsewhere") & (findings["confidence"] == "high")]
    assert [k for k, *_ in view] == regions and high["kabupaten"].nunique() >= 2
    for kabupaten, unregistered, listed_elsewhere_high, after, moved_out, current in view:
        assert listed_elsewhere_high == (high["kabupaten"] == kabupaten).sum()
        assert after == unregistered - listed_elsewhere_high
        assert moved_out == ((findings["finding"] == "moved") & (findings["kabupaten"] == kabupaten)).sum()
        assert current is True
    scores = dict(national_scores(instance_env, tmp_path / "land" / "truth", "2024-S2", regions))
    errors = national_errors(instance_env, tmp_path / "land" / "truth", "2024-S2", regions).groupby(
        ["finding", "error"])["count"].sum()
    for what in ("moved", "listed twice", "listed elsewhere"):  # every miss and false finding has a kind
        assert errors.get((what, "missed"), 0) == scores[what].relevant - scores[what].correct
        assert errors.get((what, "false"), 0) == scores[what].predicted - scores[what].correct
    assert scores["moved"].relevant >= 20  # the sample has movers to find
    assert scores["moved"].precision >= 0.97 and scores["moved"].recall >= 0.9, scores["moved"]
    assert scores["listed elsewhere"].precision >= 0.97 and scores["listed elsewhere"].recall >= 0.9


def test_a_voter_whose_death_another_kabupaten_recorded_died():
    """A's row carries a NIK B's deaths file recorded: TMS 1 across kabupaten. Not where the record's name is another
    person's, nor for A's own records (A's run flags those), nor for a row without its own NIK."""
    voters = pd.DataFrame([
        (A, 1, "3323014503700001", False, "SITI AMINAH"),
        (A, 2, "3323011208650002", False, "SUHARTO"),      # the record says BAMBANG: a NIK mistyped somewhere
        (A, 3, "3323010101800003", False, "ANI"),          # recorded by A itself
        (A, 4, None, False, "DEWI"),
    ], columns=["kabupaten", "voter_row", "nik", "linked", "name_norm"]).assign(birth_date=None)
    deaths = pd.DataFrame([
        (B, "3323014503700001", "SITI AMINAH"), (C, "3323014503700001", "SITI AMINAH"),  # delivered twice
        (B, "3323011208650002", "BAMBANG WIJAYA"), (A, "3323010101800003", "ANI"), (B, None, "DEWI"),
    ], columns=["kabupaten", "nik", "name_norm"])
    voters["name_key"] = name_key(voters["name_norm"])
    deaths["name_key"] = name_key(deaths["name_norm"])
    no_one = pd.DataFrame(columns=["kabupaten", "population_row", "nik", "name_key", "birth_date", "desa_code"])
    found = national_findings(no_one, voters, pd.DataFrame(columns=["kabupaten", "population_row"]), deaths)
    assert found.died[["voter_row", "recorded_in", "found_by", "confidence"]].values.tolist() == [[1, B, "NIK", "high"]]


def test_a_row_with_a_nik_of_its_own_is_not_handed_to_a_namesake_unless_the_nik_is_the_namesakes_but_for_a_typo():
    """A row's intact NIK that is nobody's in the run: the person died or left it; their namesake born the same day in
    B is another person. A NIK one digit from the namesake's is theirs, mistyped."""
    residents = pd.DataFrame([(B, 1, "3324014503700001", "SITI AMINAH", "1970-03-05"),
                              (B, 2, "3324011208650002", "SOEHARTO", "1965-08-12")],
                             columns=["kabupaten", "population_row", "nik", "name_norm", "birth_date"]).assign(
        desa_code="33.24.01.2001")
    voters = pd.DataFrame([(A, 1, "3323016603700004", False, "SITI AMINAH", "1970-03-05"),
                           (A, 2, "3324011208650092", False, "SOEHARTO", "1965-08-12")],
                          columns=["kabupaten", "voter_row", "nik", "linked", "name_norm", "birth_date"])
    residents["name_key"] = name_key(residents["name_norm"])
    voters["name_key"] = name_key(voters["name_norm"])
    moved = national_findings(residents, voters, pd.DataFrame(columns=["kabupaten", "population_row"])).moved
    assert moved[["voter_row", "lives_in", "found_by"]].values.tolist() == [[2, B, BY_NAME_AND_BIRTH_DATE]]


def test_officers_read_each_finding_of_their_rows_in_indonesian_and_are_asked_to_make_sure_where_it_is_not_certain():
    from pemadanan.national import officer_notes

    findings = pd.DataFrame({
        "finding": ["died", "moved", "listed_twice", "listed_elsewhere", "listed_twice", "moved"],
        "voter_row": [1, 2, 2, None, 3, 5], "population_row": [None, None, None, 7, None, None],
        "other_kabupaten": ["32.05", B, C, "32.05", C, B],
        "other_desa_code": [None, "33.24.01.2001", None, None, None, "33.24.01.2001"],
        "other_tps": [None, None, 3, 12, None, None],
        "found_by": ["NIK", BY_NAME_AND_BIRTH_DATE, "NIK", "NIK", "NIK", BY_BIRTHPLACE],
        "confidence": ["high", "medium", "medium", "high", "high", "medium"]})
    people = pd.DataFrame({"voter_row": pd.array([1, 2, 3, None, 4, 5], dtype="Int64"),
                           "population_row": pd.array([None, None, None, 7, None, None], dtype="Int64")})
    assert officer_notes(people, findings).tolist() == [
        "meninggal, tercatat di Kabupaten Garut",
        "pindah ke Kabupaten Kendal, desa Blumah (perlu dipastikan: nama, tanggal lahir dan sebagian NIK sama); "
        "juga terdaftar di Kabupaten Bantul, TPS 3 (perlu dipastikan)",
        "juga terdaftar di Kabupaten Bantul",  # no TPS on a row published before TPS was kept
        "terdaftar di Kabupaten Garut, TPS 12",
        pd.NA,
        "pindah ke Kabupaten Kendal, desa Blumah (perlu dipastikan: nama, tanggal dan tempat lahir sama)"]
    assert officer_notes(people, findings.iloc[:0]).isna().all()


def test_a_finding_names_the_tps_of_the_row_in_the_other_kabupaten():
    unregistered = pd.DataFrame({"kabupaten": [C], "population_row": [1]})
    found = national_findings(residents(), voters().assign(tps=range(1, 11)), unregistered)
    assert found.listed_elsewhere[["listed_voter_row", "listed_tps"]].values.tolist() == [[15, 10]]
    assert found.listed_twice.set_index("voter_row").loc[11, "also_tps"] == 3  # B's row 20


def test_a_row_linked_a_semester_earlier_is_found_by_that_link_where_a_namesake_born_the_same_day_lives():
    """A's row has lost its NIK; a semester earlier the same row was linked to a resident of A, who now lives in B.
    A namesake born the same day lives in C: name and birth date cannot tell them apart, the earlier link can."""
    born, name = "1980-05-17", name_key(pd.Series(["BUDI SANTOSO"], dtype="string"))[0]
    residents = pd.DataFrame([(B, 1, MOVER, "33.24.01.2001", name, born),
                              (C, 1, HOME, "34.02.01.2001", name, born)],
                             columns=["kabupaten", "population_row", "nik", "desa_code", "name_key", "birth_date"])
    row = {"kabupaten": A, "voter_row": 10, "nik": None, "linked": False, "name_key": name, "birth_date": born}
    without_history = national_findings(residents, pd.DataFrame([row]), pd.DataFrame(columns=["kabupaten",
                                                                                               "population_row"]))
    assert without_history.moved.empty
    moved = national_findings(residents, pd.DataFrame([{**row, "previous_nik": MOVER}]),
                              pd.DataFrame(columns=["kabupaten", "population_row"])).moved
    assert moved[["voter_row", "lives_in", "found_by", "confidence"]].values.tolist() == [
        [10, B, "previous semester's link", "high"]]
    # An earlier link to someone no kabupaten of the run has now (died, left the run) finds nothing by it.
    gone = national_findings(residents, pd.DataFrame([{**row, "previous_nik": NOWHERE}]),
                             pd.DataFrame(columns=["kabupaten", "population_row"])).moved
    assert gone.empty


def test_a_row_carried_over_unchanged_has_the_same_fingerprint_and_any_change_gives_another():
    from pemadanan.national import row_fingerprints

    rows = pd.DataFrame({"nik": [None, MOVER, None, None], "nik_delivered": ["3.32301E+15", None, "3.32301E+15",
                                                                             "3.32301E+15"],
                         "name_key": ["BUDI", "BUDI", "BUDI", "BUDY"],
                         "birth_date": pd.to_datetime(["1980-05-17"] * 3 + ["1980-05-17"])})
    once, again = row_fingerprints(rows), row_fingerprints(rows.iloc[[2, 0, 1, 3]].reset_index(drop=True))
    assert once[0] == once[2] == again[0] == again[1]
    assert len({once[0], once[1], once[3]}) == 3


def test_digits_that_agree_count_only_under_the_same_issuing_kecamatan_a_nik_keeps_for_life():
    """A same-day namesake's NIK differs from the person's in little but the issuing region: 3322051108400001 (A's
    row: a man who died, his NIK nobody's now) and 3374051108400001 (a namesake in Semarang) differ in two digits.
    A typo in a mover's NIK leaves the region the NIK was issued in."""
    residents = pd.DataFrame([
        ("33.74", 1, "3374051108400001", "SLAMET", "1940-08-11"),
        (C, 1, "3323092905730001", "HERMAN", "1973-05-29"),  # moved from A to C: the NIK A issued, for life
    ], columns=["kabupaten", "population_row", "nik", "name_norm", "birth_date"]).assign(desa_code="34.02.01.2001")
    voters = pd.DataFrame([
        (A, 1, "3322051108400001", "SLAMET", "1940-08-11"),
        (A, 2, "3323092906730001", "HERMAN", "1973-05-29"),  # one digit mistyped
    ], columns=["kabupaten", "voter_row", "nik", "name_norm", "birth_date"]).assign(linked=False)
    residents["name_key"] = name_key(residents["name_norm"])
    voters["name_key"] = name_key(voters["name_norm"])
    moved = national_findings(residents, voters, pd.DataFrame(columns=["kabupaten", "population_row"])).moved
    assert moved[["voter_row", "lives_in", "found_by"]].values.tolist() == [[2, C, BY_NAME_AND_BIRTH_DATE]]


def test_a_row_without_a_usable_nik_is_found_in_the_new_household_of_the_family_that_moved_with_it():
    """A's list has a family (card 3323...0007): the father's NIK intact, found living in B in a new household; the
    daughter's NIK missing. B has two DEWI born that day, one in the father's new household; C has a third. The one in
    the household is she. A row of a family nobody was found of is found by nothing."""
    born = "2001-04-09"
    residents = pd.DataFrame([
        (B, 1, MOVER, "SUTRISNO", "1970-01-01", "3324000000000001"),
        (B, 2, "3323014904010001", "DEWI", born, "3324000000000001"),   # in the father's new household
        (B, 3, "3324024904010002", "DEWI", born, "3324000000000002"),   # a namesake in B
        (C, 1, "3402014904010003", "DEWI", born, "3402000000000003"),   # and one in C
    ], columns=["kabupaten", "population_row", "nik", "name_norm", "birth_date", "no_kk"]).assign(desa_code="x")
    voters = pd.DataFrame([
        (A, 1, MOVER, "SUTRISNO", "1970-01-01", "3323000000000007"),
        (A, 2, None, "DEWI", born, "3323000000000007"),
        (A, 3, None, "DEWI", born, "3323000000000009"),  # another family's daughter: nobody of hers was found
    ], columns=["kabupaten", "voter_row", "nik", "name_norm", "birth_date", "no_kk"]).assign(linked=False)
    residents["name_key"] = name_key(residents["name_norm"])
    voters["name_key"] = name_key(voters["name_norm"])
    moved = national_findings(residents, voters, pd.DataFrame(columns=["kabupaten", "population_row"])).moved
    assert moved[["voter_row", "lives_in", "found_by", "confidence"]].values.tolist() == [
        [1, B, "NIK", "high"], [2, B, "name, birth date and family card", "high"]]


def test_a_spoiled_nik_finds_the_one_namesake_whose_digits_agree_and_a_missing_one_the_one_born_where_the_row_says():
    """Namesakes born the same day in B and C: one is the person, who left A for B (a NIK A issued, born in
    Temanggung); the other was born and got a NIK in Bantul. The row's surviving digits, or its place of birth and a
    NIK not issued where the resident lives (they moved in), tell them apart; where they do not (no place of birth,
    a namesake living where their NIK was issued, digits of a third person, two NIKs the digits fit), nothing is
    found."""
    residents = pd.DataFrame([
        (B, 1, "3323015503700001", "SITI AMINAH", "1970-03-15", "TEMANGGUNG"),
        (C, 1, "3402015503700001", "SITI AMINAH", "1970-03-15", "BANTUL"),
        (B, 2, "3323011705800001", "BUDI SANTOSO", "1980-05-17", "TEMANGGUNG"),
        (C, 2, "3402011705800001", "BUDI SANTOSO", "1980-05-17", "BANTUL"),
        (B, 3, "3323014904010001", "DEWI", "2001-04-09", "TEMANGGUNG"),
        (C, 3, "3402014904010001", "DEWI", "2001-04-09", "TEMANGGUNG"),  # born in A too, her NIK Bantul's
        (B, 4, "3323014108660001", "SRI", "1966-08-01", "TEMANGGUNG"),
        (C, 4, "3323014108660002", "SRI", "1966-08-01", "TEMANGGUNG"),    # both NIKs issued where the row was
        (B, 5, "3315130211770001", "ISMAIL", "1977-11-02", "MAGELANG"),   # a NIK from Grobogan, before A
        (C, 5, "3402010211770001", "ISMAIL", "1977-11-02", "BANTUL"),
    ], columns=["kabupaten", "population_row", "nik", "name_norm", "birth_date", "birthplace"]).assign(desa_code="x")
    voters = pd.DataFrame([
        (A, 1, "3323015503700000", "SITI AMINAH", "1970-03-15", "TEMANGGUNG"),  # last digit zeroed by Excel
        (A, 2, "", "BUDI SANTOSO", "1980-05-17", "KAB. TEMANGGUNG"),             # no NIK; another way to write it
        (A, 3, "", "BUDI SANTOSO", "1980-05-17", "-"),                            # a clerk's dash is no place
        (A, 4, "", "DEWI", "2001-04-09", "TEMANGGUNG"),  # the DEWI of C lives where her NIK was issued
        (A, 7, "", "SITI AMINAH", "1970-03-15", "BANTUL"),  # born where C's namesake was, who got a NIK there
        (A, 8, "", "ISMAIL", "1977-11-02", "MAGELANG"),
        (A, 5, "3374011705800009", "BUDI SANTOSO", "1980-05-17", "TEMANGGUNG"),  # digits of another person's NIK
        (A, 6, "3.32301E+15", "SRI", "1966-08-01", "TEMANGGUNG"),
    ], columns=["kabupaten", "voter_row", "nik_delivered", "name_norm", "birth_date", "birthplace"]).assign(
        nik=None, linked=False)
    residents["name_key"] = name_key(residents["name_norm"])
    voters["name_key"] = name_key(voters["name_norm"])
    moved = national_findings(residents, voters, pd.DataFrame({"kabupaten": [C], "population_row": [2]})).moved
    assert moved[["voter_row", "lives_in", "found_by", "confidence"]].values.tolist() == [
        [1, B, BY_NAME_AND_BIRTH_DATE, "medium"], [2, B, BY_BIRTHPLACE, "medium"], [4, B, BY_BIRTHPLACE, "medium"],
        [8, B, BY_BIRTHPLACE, "medium"]]


def test_a_name_the_list_cut_to_one_word_or_initials_is_still_the_nik_owners_but_a_short_word_is_not_enough():
    """A's rows carry NIKs of residents who moved to B, under names the list shortened: still they. A three-letter
    word beginning another name says so only with the same birth date (TRI born the day TRI HIDAJAT was), not alone
    (SRI, another day, and SRI WAHYUNI): a NIK mistyped into a stranger's stays unused."""
    residents = pd.DataFrame([
        (B, 1, "3323014503700001", "SITI AMINAH", "1970-03-05"), (B, 2, "3323011208650002", "AGUS SANTOSO", None),
        (B, 3, "3323015505800003", "SRI WAHYUNI", "1980-05-15"), (B, 4, "3323016606900004", "PRATIWI", None),
        (B, 5, "3323112507040001", "TRI HIDAJAT", "2004-07-25"),
    ], columns=["kabupaten", "population_row", "nik", "name_norm", "birth_date"]).assign(desa_code="x")
    voters = pd.DataFrame([
        (A, 1, "3323014503700001", "SITI", None), (A, 2, "3323011208650002", "AGUS S", None),
        (A, 3, "3323015505800003", "SRI", "1980-05-16"),  # a typist's NIK: another day's SRI
        (A, 4, "3323016606900004", "DEWI PRATIWI", None),
        (A, 5, "3323112507040001", "TRI", "2004-07-25"),  # the first word, and born the day the NIK says
    ], columns=["kabupaten", "voter_row", "nik", "name_norm", "birth_date"]).assign(linked=False)
    residents["name_key"] = name_key(residents["name_norm"])
    voters["name_key"] = name_key(voters["name_norm"])
    moved = national_findings(residents, voters, pd.DataFrame(columns=["kabupaten", "population_row"])).moved
    assert moved["voter_row"].tolist() == [1, 2, 4, 5]


def test_digits_find_the_person_where_the_list_also_changed_the_name_or_holds_a_placeholder_birth_date():
    """The NIK's first twelve digits (issuing kecamatan, birth date, sex) survive a zeroed last digit or a serial typo:
    they find the one resident whose NIK they fit, under a name the list cut (SITI) or with a birth date it does not
    have (1 July, a placeholder). Not under another person's name, nor where two NIKs fit."""
    residents = pd.DataFrame([
        (B, 1, "3323014503700021", "SITI AMINAH", "1970-03-05"),
        (B, 2, "3323011208650002", "BAMBANG WIJAYA", "1965-08-12"),
        (B, 3, "3323015505800001", "DEWI", "1980-05-15"), (C, 3, "3323015505800002", "DEWI", "1980-05-15"),
        (B, 4, "3323012004900007", "AGUS SANTOSO", "1990-04-20"),
        (B, 5, "3323016606900005", "RINA", "1990-06-26"), (B, 6, "3323016606900006", "TUTI", "1990-06-26"),
    ], columns=["kabupaten", "population_row", "nik", "name_norm", "birth_date"]).assign(desa_code="x")
    voters = pd.DataFrame([
        (A, 1, "3323014503700020", "SITI", "1970-03-05"),            # zeroed, and one word of the name
        (A, 2, "3323011208650002", "SUTRISNO", "1965-08-12"),        # digits of someone of another name
        (A, 3, "3323015505800000", "DEWI", "1980-05-15"),            # two DEWI the digits fit
        (A, 4, "3323012004900077", "AGUS SANTOSO", "1990-07-01"),    # a typo, and a placeholder birth date
        (A, 5, " '3323016606900050 ", "RINA", None),                 # spaces and Excel's apostrophe around it
        (A, 6, "٣٣٢٣٠١٦٦٠٦٩٠٠٠٠٦", "TUTI", None),                   # digits of another script: none to judge
    ], columns=["kabupaten", "voter_row", "nik_delivered", "name_norm", "birth_date"]).assign(nik=None, linked=False)
    residents["name_key"] = name_key(residents["name_norm"])
    voters["name_key"] = name_key(voters["name_norm"])
    moved = national_findings(residents, voters, pd.DataFrame(columns=["kabupaten", "population_row"])).moved
    assert moved[["voter_row", "lives_in", "found_by"]].values.tolist() == [
        [1, B, BY_NAME_AND_BIRTH_DATE], [4, B, BY_NAME_AND_BIRTH_DATE], [5, B, BY_NAME_AND_BIRTH_DATE]]
