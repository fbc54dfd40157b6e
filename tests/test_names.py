import pandas as pd
import pytest

from pemadanan.names import name_key, normalize_name


def norm(value):
    return normalize_name(pd.Series([value])).iloc[0]


def key(value):
    return name_key(normalize_name(pd.Series([value]))).iloc[0]


@pytest.mark.parametrize("raw, expected", [
    ("Hj. Siti Nurhaliza, S.Pd.", "SITI NURHALIZA"),
    ("Dr. Ir. H. Chairul Tanjung, S.E., M.M.", "CHAIRUL TANJUNG"),
    ("Moh. Djoko Susilo", "MUHAMMAD DJOKO SUSILO"),
    ("M. Yusuf", "MUHAMMAD YUSUF"),
    ("St. Aminah", "SITI AMINAH"),
    ("Abd. Rahman", "ABDUL RAHMAN"),
    ("Sutrisno", "SUTRISNO"),
    ("Muhamad Ali ST", "MUHAMMAD ALI"),
])
def test_normalize_name(raw, expected):
    assert norm(raw) == expected


@pytest.mark.parametrize("old, new", [
    ("Soeharto", "Suharto"), ("Djoko", "Joko"), ("Tjahjo Kumolo", "Cahyo Kumolo"), ("Jusuf Kalla", "Yusuf Kalla"),
    ("Chairul", "Khairul"), ("Nur Haliza", "Nurhaliza"), ("Sjahrir", "Syahrir"), ("Mohammad Hatta", "Muhammad Hatta"),
])
def test_old_and_new_spellings_share_a_key(old, new):
    assert key(old) == key(new)


def test_different_people_keep_different_keys():
    assert key("Budi Santoso") != key("Budi Susanto")
    assert key("Sutrisno") != key("Sutarno")


def test_empty_names_are_missing():
    assert pd.isna(norm("   ")) and pd.isna(norm(None))


@pytest.mark.parametrize("raw, expected", [
    ("H. Moh. Nur Hasan", "MUHAMMAD NUR HASAN"),
    ("Drs. Bambang S.Pd", "BAMBANG"),
    ("Andi M.", "ANDI M"),
    ("M", "M"),
    ("Ma'ruf  Amin", "MARUF AMIN"),
    ("Achmad Yani", "AHMAD YANI"),
    ("H", "H"),
])
def test_normalize_name_edge_cases(raw, expected):
    assert norm(raw) == expected


@pytest.mark.parametrize("one, other", [
    ("Muhamad Yusuf", "Moh. Jusuf"), ("Hj. Siti Aminah, S.Pd.", "St. Aminah"), ("Nurhaliza", "Nur Haliza"),
    ("Muhammad", "Muhammad"), ("Sukarno", "Soekarno"),
])
def test_variants_of_one_person_share_a_key(one, other):
    assert key(one) == key(other)


def test_normalisation_maps_every_row_including_repeats_and_missing():
    raw = pd.Series(["Budi", None, "budi", "  ", "Hj. Siti"] * 3)
    out = normalize_name(raw)
    assert out.tolist()[:5] == ["BUDI", pd.NA, "BUDI", pd.NA, "SITI"]
    assert len(out) == 15 and out.index.equals(raw.index)
