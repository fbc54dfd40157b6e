"""Region names as voter lists write them, resolved to Kemendagri codes."""

import pandas as pd

from pemadanan.regions import kabupaten_regions, resolve_desa


def test_a_desa_whose_official_name_starts_with_desa_resolves_with_a_prefix_added():
    adat = kabupaten_regions("91.03").query("desa_name.str.upper().str.startswith('DESA ADAT')").iloc[0]
    kecamatan = pd.Series([adat["kecamatan_name"].upper()] * 2)
    desa = pd.Series([adat["desa_name"].upper(), "DESA " + adat["desa_name"].upper()])  # "DESA DESA ADAT ..."
    assert resolve_desa(kecamatan, desa, "91.03").tolist() == [adat["desa_code"]] * 2
