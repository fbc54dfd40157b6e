"""KPU's codes for a voter row that does not qualify (TMS, tidak memenuhi syarat), and what each means. The rules
that give them are in `pemadanan.tms`; the tables, reports and evaluation count by them."""

from __future__ import annotations

TMS_MEANINGS = {
    "1": "meninggal",
    "2": "ganda",
    "3": "di bawah umur",
    "4": "pindah domisili",
    "5": "tidak dikenal",
    "6": "TNI",
    "7": "Polri",
    "8": "salah penempatan TPS",
    "nik_invalid": "NIK/KK invalid",  # this project's: the row's NIK cannot be trusted
}
TMS_ENGLISH = {"1": "dead", "2": "duplicate", "3": "under age", "4": "moved out", "5": "unknown at the address",
               "6": "TNI", "7": "Polri", "8": "wrong polling station", "nik_invalid": "NIK/KK invalid"}
KPU_CODES = tuple(code for code in TMS_MEANINGS if code.isdigit())  # "1".."8", the codes KPU reports
