"""Indonesian personal names, normalised for comparison.

`normalize_name` gives a readable canonical form: upper case ASCII, honorifics and degrees removed,
Muhammad/Siti/Abdul abbreviations expanded. `name_key` folds that further into a spelling key on which
pre-1972 (EYD) and modern spellings meet: Soeharto/Suharto, Djoko/Joko, Tjahjo/Cahyo, Jusuf/Yusuf,
Chairul/Khairul, and spacing (Nur Haliza/Nurhaliza).
"""

from __future__ import annotations

import pandas as pd

# Titles written before the name; pilgrim titles (H., Hj.) and academic/professional ones.
HONORIFICS = ("H", "HJ", "HAJI", "HAJJAH", "DR", "DRS", "DRA", "IR", "PROF", "KH", "TGH", "USTAD", "USTADZ", "NY", "TN")
# Degrees written after the name, usually after a comma, dots already removed: S.Pd. -> SPD.
DEGREES = (
    "SPD", "SPDI", "SKOM", "ST", "SE", "SH", "SAG", "SSOS", "SIP", "SKM", "SKEP", "SFARM", "SKED", "SPSI", "SP",
    "SS", "SSI", "STP", "SHI", "SSTP", "SIKOM", "SAK", "SM", "AMD", "AMK", "AMKEB", "AMA", "AMAPD", "MM", "MPD",
    "MSI", "MT", "MH", "MAG", "MKES", "MKOM", "MA", "MSC", "PHD", "BA", "BSC", "SPOG", "SPA", "SPB",
)
# Abbreviations, written with or without a dot, mapped to the full form.
ABBREVIATIONS = {
    "M": "MUHAMMAD", "MUH": "MUHAMMAD", "MUHD": "MUHAMMAD", "MOH": "MUHAMMAD", "MOCH": "MUHAMMAD",
    "MOHD": "MUHAMMAD", "MHD": "MUHAMMAD", "MUHAMAD": "MUHAMMAD", "MOHAMMAD": "MUHAMMAD", "MOHAMAD": "MUHAMMAD",
    "MOCHAMMAD": "MUHAMMAD", "MOCHAMAD": "MUHAMMAD", "MUCHAMMAD": "MUHAMMAD", "MUCHAMAD": "MUHAMMAD",
    "MOHAMED": "MUHAMMAD", "MUHAMMED": "MUHAMMAD",
    "ST": "SITI", "ABD": "ABDUL", "ABDL": "ABDUL", "ACHMAD": "AHMAD", "ACHMED": "AHMAD",
}


def _alternation(words) -> str:
    return "|".join(sorted(words, key=len, reverse=True))


_HONORIFIC_RE = rf"^(?:(?:{_alternation(HONORIFICS)})\.?\s+)+"
_DEGREE_RE = rf"(?:\s+(?:{_alternation(DEGREES)}))+$"
_ABBREVIATION_RE = rf"\b({_alternation(ABBREVIATIONS)})\b"


def normalize_name(raw: pd.Series) -> pd.Series:
    """Readable canonical name: `Hj. Siti Nurhaliza, S.Pd.` -> `SITI NURHALIZA`; `Moh. Djoko` -> `MUHAMMAD DJOKO`."""
    text = (
        raw.astype("string")
        .str.normalize("NFKD")
        .str.encode("ascii", errors="ignore")
        .str.decode("ascii")
        .astype("string")
        .str.upper()
    )
    text = text.str.split(",", n=1).str[0].astype("string")  # degrees follow a comma: "BUDI, S.PD"
    text = text.str.replace(r"[`'\"]", "", regex=True)
    text = text.str.replace(r"([A-Z])\.(?=[A-Z]\b|[A-Z]{1,3}\.)", r"\1", regex=True)  # S.PD -> SPD, A.MD -> AMD
    text = text.str.replace(r"[^A-Z ]+", " ", regex=True).str.replace(r"\s+", " ", regex=True).str.strip()
    text = text.str.replace(_HONORIFIC_RE, "", regex=True)
    text = text.str.replace(_DEGREE_RE, "", regex=True)
    only_initial = text.str.fullmatch(r"[A-Z]").fillna(False).astype(bool)
    text = text.mask(~only_initial, text.str.replace(
        _ABBREVIATION_RE, lambda m: ABBREVIATIONS[m.group(1)], regex=True
    ))
    return text.where(text.str.len() > 0).astype("string")


# Applied in order; each maps an old (pre-EYD) or variant spelling onto the one the key keeps.
_SPELLING_FOLDS = (
    ("OE", "U"),  # Soeharto -> Suharto
    ("DJ", "J"),  # Djoko -> Joko
    ("TJ", "C"),  # Tjahjo -> Cahjo (modern Cahyo folds to Cahjo below)
    ("CH", "KH"),  # Chairul -> Khairul
    ("Y", "J"),  # old J is modern Y (Jusuf/Yusuf): one letter for both; also SJ/SY and NJ/NY meet
    ("PH", "F"),
    ("Q", "K"),
    ("Z", "S"),
)


def name_key(normalized: pd.Series) -> pd.Series:
    """Spelling key of a normalised name: old and new spellings, doubled letters and spaces folded away."""
    key = normalized.astype("string")
    for old, new in _SPELLING_FOLDS:
        key = key.str.replace(old, new, regex=False)
    key = key.str.replace(" ", "", regex=False)
    return key.str.replace(r"([A-Z])\1+", r"\1", regex=True)
