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
KPU_CODES = tuple(code for code in TMS_MEANINGS if code.isdigit())  # "1".."8", the codes KPU reports
