import pandas as pd
import pytest

from pemadanan.nik import NikStatus, clean_nik, make_nik, mask_nik, nik_agrees_with, nik_birth_parts


def cleaned(value):
    return clean_nik(pd.Series([value])).iloc[0]


def test_women_have_forty_added_to_the_day():
    parts = nik_birth_parts(pd.Series(["3323015508950001", "3323011508950001"]))
    assert parts["day"].tolist() == [15, 15]
    assert parts["sex"].tolist() == ["P", "L"]
    assert parts["month"].tolist() == [8, 8] and parts["yy"].tolist() == [95, 95]


def test_birth_parts_are_read_only_from_sixteen_digits_and_must_make_a_real_date():
    parts = nik_birth_parts(pd.Series(["3323012902960001", "3323013102960001", "332301550895000", None, "33230155089500A1"],
                                      index=[7, 3, 5, 1, 2]))
    assert parts.index.tolist() == [7, 3, 5, 1, 2]
    assert parts["valid_date"].tolist() == [True, False, False, False, False]  # 29 Feb 96 is real; 31 Feb is not
    assert parts["day"].isna().tolist() == [False, False, True, True, True]


def test_make_nik_round_trips_birth_date_and_sex():
    niks = make_nik(pd.Series(["332301", "332302"]), pd.Series(pd.to_datetime(["1995-08-15", "2001-01-02"])),
                    pd.Series(["P", "L"]), pd.Series([1, 27]))
    assert niks.tolist() == ["3323015508950001", "3323020201010027"]
    agrees = nik_agrees_with(niks, pd.Series(pd.to_datetime(["1995-08-15", "2001-01-02"])), pd.Series(["P", "L"]))
    assert agrees.all().all()


@pytest.mark.parametrize("value, status, repair", [
    ("3323015508950001", NikStatus.VALID, None),
    ("'3323015508950001", NikStatus.REPAIRED, "leading apostrophe"),
    ("3323015508950001.0", NikStatus.REPAIRED, "float suffix .0"),
    ("3323 0155 0895 0001", NikStatus.REPAIRED, "separators removed"),
    ("3.32301E+15", NikStatus.UNRELIABLE, None),
    ("", NikStatus.MISSING, None),
    ("332301550895001", NikStatus.MALFORMED, None),  # 15 digits
    ("33230155089500012", NikStatus.MALFORMED, None),  # 17 digits
    ("3323013002950001", NikStatus.MALFORMED, None),  # 30 February
    ("3323012902950001", NikStatus.MALFORMED, None),  # 29 February in neither 1995 nor 2095
    ("3323016902000001", NikStatus.VALID, None),  # a woman born 29 February 2000
    ("3323015508950000", NikStatus.UNRELIABLE, None),  # serial 0000: Excel zeroed the last digit of 0001
    ("3323011508950001", NikStatus.VALID, None),
    ("３３２３０１５５０８９５０００１", NikStatus.MALFORMED, None),  # full-width digits (an IME): Python's \d takes them
    ("٣٣٢٣٠١٥٥٠٨٩٥٠٠٠١", NikStatus.MALFORMED, None),  # Arabic-Indic digits
])
def test_clean_nik_statuses(value, status, repair):
    row = cleaned(value)
    assert row["nik_status"] == status
    assert (row["nik_repair"] if pd.notna(row["nik_repair"]) else None) == repair


def test_scientific_notation_keeps_only_what_survived():
    row = cleaned("3.32301E+15")
    assert row["nik"] == "3323010000000000"


def test_a_woman_whose_day_was_not_raised_by_forty_disagrees_on_sex():
    agrees = nik_agrees_with(pd.Series(["3323011508950001"]), pd.Series(pd.to_datetime(["1995-08-15"])), pd.Series(["P"]))
    assert not agrees["sex_agrees"].iloc[0]
    assert agrees["birth_date_agrees"].iloc[0]


def test_mask_hides_the_birth_date():
    assert mask_nik(pd.Series(["3323015508950001"])).iloc[0] == "332301******0001"
    assert pd.isna(mask_nik(pd.Series([None])).iloc[0])
