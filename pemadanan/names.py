"""Indonesian personal names, normalised for comparison.

`normalize_name` gives a readable canonical form: upper case ASCII, honorifics and degrees removed,
Muhammad/Siti/Abdul abbreviations expanded. `name_key` folds that further into a spelling key on which
pre-1972 (EYD) and modern spellings meet: Soeharto/Suharto, Djoko/Joko, Tjahjo/Cahyo, Jusuf/Yusuf,
Chairul/Khairul, and spacing (Nur Haliza/Nurhaliza).

Names repeat a lot (a kabupaten of a million people has a few hundred thousand distinct spellings), so
each distinct value is normalised once with plain string operations and the result mapped back.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache

import pandas as pd

from pemadanan.frames import per_distinct_value

# Titles written before the name; pilgrim titles (H., Hj.) and academic/professional ones.
HONORIFICS = frozenset({
    "H", "HJ", "HAJI", "HAJJAH", "HAJAH", "DR", "DRS", "DRA", "IR", "PROF", "KH", "TGH", "USTAD", "USTADZ",
    "USTADZAH", "NY", "TN", "SDR", "SDRI", "BPK", "IBU", "ALM", "ALMH",
})
# Degrees written after the name, dots removed: S.Pd. -> SPD. Often after a comma, which cuts them off first.
DEGREES = frozenset({
    "SPD", "SPDI", "SKOM", "ST", "SE", "SH", "SAG", "SSOS", "SIP", "SKM", "SKEP", "SFARM", "SKED", "SPSI", "SP",
    "SS", "SSI", "STP", "SHI", "SSTP", "SIKOM", "SAK", "SM", "AMD", "AMK", "AMKEB", "AMA", "AMAPD", "MM", "MPD",
    "MSI", "MT", "MH", "MAG", "MKES", "MKOM", "MA", "MSC", "PHD", "BA", "BSC", "SPOG", "SPA", "SPB", "SHUT", "SPT",
})
# Abbreviations and spelling variants, mapped to the full form.
ABBREVIATIONS = {
    "M": "MUHAMMAD", "MUH": "MUHAMMAD", "MUHD": "MUHAMMAD", "MOH": "MUHAMMAD", "MOCH": "MUHAMMAD",
    "MOHD": "MUHAMMAD", "MHD": "MUHAMMAD", "MUHAMAD": "MUHAMMAD", "MOHAMMAD": "MUHAMMAD", "MOHAMAD": "MUHAMMAD",
    "MOCHAMMAD": "MUHAMMAD", "MOCHAMAD": "MUHAMMAD", "MUCHAMMAD": "MUHAMMAD", "MUCHAMAD": "MUHAMMAD",
    "MOHAMED": "MUHAMMAD", "MUHAMMED": "MUHAMMAD", "MOHAMMED": "MUHAMMAD", "MUHAMMMAD": "MUHAMMAD",
    "ST": "SITI", "SITTI": "SITI", "ABD": "ABDUL", "ABDL": "ABDUL", "ACHMAD": "AHMAD", "ACHMED": "AHMAD", "AHMED": "AHMAD",
}

# "S.Pd", "A.Md", "S.Kom": a letter, a dot, then up to four letters ending the token: one degree, not two words.
_DOTTED_DEGREE = re.compile(r"\b([A-Z])\.([A-Z]{1,4})\b\.?")
_NOT_LETTER = re.compile(r"[^A-Z ]+")
_QUOTES = str.maketrans("", "", "`'\"\u2019\u2018")
# Each name's forms are kept for the rest of the process: the voter list carries mostly the population's
# spellings (73,401 of 117,178 distinct voter names at a million residents), so its ingest finds them here.
# A few hundred thousand names of a kabupaten fit; a longer run forgets the least recent.
_REMEMBERED_NAMES = 2**18


@lru_cache(maxsize=_REMEMBERED_NAMES)
def _normalize_one(raw: str) -> str:
    text = unicodedata.normalize("NFKD", raw).encode("ascii", "ignore").decode("ascii").upper()
    text = text.translate(_QUOTES).split(",", 1)[0]  # degrees follow a comma: "BUDI, S.PD"
    text = _DOTTED_DEGREE.sub(lambda m: m.group(1) + m.group(2) if m.group(1) + m.group(2) in DEGREES else m.group(0), text)
    tokens = _NOT_LETTER.sub(" ", text).split()
    while len(tokens) > 1 and tokens[0] in HONORIFICS:
        tokens.pop(0)
    while len(tokens) > 1 and tokens[-1] in DEGREES:
        tokens.pop()
    if len(tokens) > 1:  # a name that is a single "M" or "ST" is not an abbreviation of anything
        # A lone initial stands for Muhammad only in front ("M. Yusuf"); "Andi M." keeps its initial.
        tokens = [ABBREVIATIONS.get(t, t) if len(t) > 1 or i == 0 else t for i, t in enumerate(tokens)]
    return " ".join(tokens)


def _per_distinct(values: pd.Series, function: Callable[[str], str]) -> pd.Series:
    """`function` applied once per distinct non-missing value and spread back; empty results become missing."""
    def applied(distinct: pd.Series) -> dict[str, pd.Series]:
        out = pd.Series([None if value is None else function(value)
                         for value in distinct.to_numpy(dtype=object, na_value=None)], dtype="string")
        return {"out": out.where(out.str.len() > 0)}
    return per_distinct_value(values.astype("string"), applied)["out"]


def normalize_name(raw: pd.Series) -> pd.Series:
    """Readable canonical name: `Hj. Siti Nurhaliza, S.Pd.` -> `SITI NURHALIZA`; `Moh. Djoko` -> `MUHAMMAD DJOKO`."""
    return _per_distinct(raw, _normalize_one)


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
_DOUBLED = re.compile(r"([A-Z])\1+")


@lru_cache(maxsize=_REMEMBERED_NAMES)
def _words_one(normalized: str) -> str:
    for old, new in _SPELLING_FOLDS:
        normalized = normalized.replace(old, new)
    return _DOUBLED.sub(r"\1", normalized)


@lru_cache(maxsize=_REMEMBERED_NAMES)
def _key_of_words(words: str) -> str:
    return _DOUBLED.sub(r"\1", words.replace(" ", ""))


def name_key(normalized: pd.Series) -> pd.Series:
    """Spelling key of a normalised name: old and new spellings, doubled letters and spaces folded away."""
    return key_of_words(name_words(normalized))


def key_of_words(words: pd.Series) -> pd.Series:
    """`name_key` from `name_words` (which holds fewer distinct values than the names it came from)."""
    return _per_distinct(words, _key_of_words)


def name_words(normalized: pd.Series) -> pd.Series:
    """The spelling key word by word (`SOEHARTO DJOJO` -> `SUHARTO JOJO`): for comparing names whose lists carry
    other words, or the words in another order."""
    return _per_distinct(normalized, _words_one)


def name_initials(words: pd.Series) -> pd.Series:
    """The first word and the initials of the others (`AGUS SANTOSO` -> `AGUS S`), where the name has several words;
    a list that cuts a word to its initial ('AGUS S.') agrees with the full name on it."""
    return words.str.replace(r"(?<=\S) (\S)\S*", r" \1", regex=True).where(words.str.contains(" "))


def has_initial(words: pd.Series) -> pd.Series:
    """A word after the first is a single letter: an initial."""
    return words.str.contains(r" \S\b", regex=True).fillna(False)

