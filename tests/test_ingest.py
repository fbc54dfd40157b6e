import json

import pandas as pd
import pytest

from pemadanan.ingest import FileRejected, ingest_population, ingest_voters

HEADER = "NIK,NO_KK,NAMA_LGKP,JENIS_KLMIN,TMPT_LHR,TGL_LHR,AGAMA,STAT_KWN,STAT_HBKEL,JENIS_PKRJN,ALAMAT,NO_RT,NO_RW,DUSUN,KODE_POS,NO_PROP,NO_KAB,NO_KEC,NO_KEL"
GOOD = "3323015508950001,3323010106090001,SITI AMINAH,2,TEMANGGUNG,1995-08-15,1,2,3,2,DUSUN 3,9,4,DUSUN 3,56253,33,23,1,2001"


def write(tmp_path, text, name="population.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_text(text, encoding=encoding)
    return path


def test_a_good_row_is_typed(tmp_path):
    result = ingest_population(write(tmp_path, f"{HEADER}\n{GOOD}\n"))
    row = result.accepted.iloc[0]
    assert row["nik"] == "3323015508950001" and row["sex"] == "P" and row["desa_code"] == "33.23.01.2001"
    assert row["birth_date"] == pd.Timestamp("1995-08-15") and row["name_key"] == "SITIAMINAH"


def test_bad_rows_are_quarantined_with_every_reason_and_nothing_is_lost(tmp_path):
    bad_nik_and_date = GOOD.replace("3323015508950001", "33230155089500").replace("1995-08-15", "1995-02-30")
    unknown_region = GOOD.replace("3323015508950001", "3323015508950002").replace(",2001", ",9999")
    duplicate = GOOD
    result = ingest_population(write(tmp_path, "\n".join([HEADER, GOOD, bad_nik_and_date, unknown_region, duplicate]) + "\n"))
    assert result.rows_in == 4
    reasons = dict(zip(result.quarantine["source_row"], result.quarantine["reasons"]))
    assert reasons[2] == "NIK malformed; TGL_LHR not a date"
    assert reasons[3] == "region code not in the Kemendagri table"
    assert reasons[1] == reasons[4] == "NIK duplicated in the file"
    assert len(result.accepted) == 0
    assert json.loads(result.quarantine.set_index("source_row").loc[2, "original"])["TGL_LHR"] == "1995-02-30"
    result.reconcile()


def test_semicolons_bom_latin1_and_header_spellings_are_read(tmp_path):
    text = HEADER.replace("NAMA_LGKP", "Nama Lengkap").replace(",", ";") + "\n" + GOOD.replace(",", ";").replace("SITI AMINAH", "SITI AMÍNAH") + "\n"
    for encoding in ("utf-8-sig", "latin-1"):
        result = ingest_population(write(tmp_path, text, encoding=encoding))
        assert result.accepted.iloc[0]["name"] == "SITI AMÍNAH"
        assert result.accepted.iloc[0]["name_norm"] == "SITI AMINAH"


def test_a_file_without_a_required_column_is_rejected_with_its_name(tmp_path):
    with pytest.raises(FileRejected, match="population.csv: required column\\(s\\) missing: NIK"):
        ingest_population(write(tmp_path, HEADER.replace("NIK,", "") + "\n"))
    with pytest.raises(FileRejected, match="population.csv: the file is empty"):
        ingest_population(write(tmp_path, ""))
    with pytest.raises(FileRejected, match="population.xlsx: only CSV is read so far"):
        ingest_population(write(tmp_path, f"{HEADER}\n", name="population.xlsx"))


def test_voter_rows_with_unresolvable_regions_are_quarantined(tmp_path):
    header = "TPS,NKK,NIK,NAMA,TEMPAT_LAHIR,TANGGAL_LAHIR,USIA,JENIS_KELAMIN,STATUS_PERKAWINAN,ALAMAT,RT,RW,DISABILITAS,KETERANGAN,KELURAHAN,KECAMATAN,KABUPATEN"
    good = "1,3323010106090001,'3323015508950001,SITI AMINAH,TEMANGGUNG,15-08-1995,28,P,S,DUSUN 3,009,004,,,KEL. BULU,BULU,KAB. TEMANGGUNG"
    nowhere = good.replace("KEL. BULU", "ATLANTIS")
    result = ingest_voters(write(tmp_path, f"{header}\n{good}\n{nowhere}\n", "voters.csv"), ["33.23"])
    assert result.accepted.iloc[0]["desa_code"] == "33.23.01.2001"
    assert result.accepted.iloc[0]["nik_repair"] == "leading apostrophe"
    assert result.quarantine["reasons"].tolist() == ["KELURAHAN/KECAMATAN do not resolve to a desa"]
