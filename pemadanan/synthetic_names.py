"""Name material for the synthetic generator and the spelling variants real lists carry.

Written in modern (EYD) spelling; `to_old_spelling` gives the pre-1972 form that older records keep.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

MALE_GIVEN = (
    "AGUS", "BUDI", "JOKO", "SUHARTO", "SUTRISNO", "MULYADI", "SUPRIYADI", "YUSUF", "CAHYO", "SUKARNO", "WAHYU",
    "BAMBANG", "HARYANTO", "SURYADI", "SUGENG", "SLAMET", "RUDI", "EKO", "DWI", "ANDI", "HENDRA", "YUDI", "ARIF",
    "RIZKI", "FAJAR", "DIMAS", "BAYU", "GILANG", "TEGUH", "SUYONO", "SUJARWO", "PURNOMO", "SUNARDI", "KUSNADI",
    "HADI", "IMAM", "KHOIRUL", "SYAIFUL", "NYOTO", "SUPARMAN", "SUMARNO", "TRI", "ADI", "DANANG", "RAHMAT",
    "ABDUL", "AHMAD", "MUHAMMAD", "MUHAMMAD", "MUHAMMAD", "RIDWAN", "ILHAM", "FIRMAN", "YOGA", "JUNAEDI", "CAHYONO",
    "SUDARSONO", "SUWARNO", "KARYONO", "PARJO", "WARSITO", "DARMAJI", "SUTOYO", "YANTO", "HERU", "IWAN", "ANTON",
)
FEMALE_GIVEN = (
    "SITI", "SRI", "DEWI", "NUR", "RINA", "WATI", "SUMIYATI", "SURYANI", "YULI", "ENDANG", "SUSILOWATI",
    "PUJI", "TITIK", "WAHYUNI", "RATNA", "DIAN", "FITRI", "INDAH", "AYU", "PUTRI", "ANISA", "NURHALIZA",
    "SUPARMI", "SUMARNI", "TUMINAH", "SUKINEM", "JUMINAH", "KASIYEM", "MARYAM", "AMINAH", "FATIMAH", "KHOTIMAH",
    "YULIANA", "NOVITA", "RAHAYU", "LESTARI", "WULANDARI", "HANDAYANI", "KURNIASIH", "SETYOWATI", "CAHYANINGSIH",
    "NINGSIH", "SULASTRI", "SUNARSIH", "TRI", "EKA", "DWI", "NYAI", "SYAFITRI", "ZAHRA", "NAILA", "AZZAHRA",
)
SECOND = (
    "SANTOSO", "WIDODO", "SETIAWAN", "PRASETYO", "NUGROHO", "SUSANTO", "HIDAYAT", "SAPUTRA", "KURNIAWAN",
    "WIBOWO", "PURWANTO", "HARTONO", "SUSILO", "RAHMAN", "HAKIM", "FIRMANSYAH", "RAMADHAN", "PRATAMA",
    "WIJAYA", "SUGIARTO", "YULIANTO", "JAYADI", "CAHYADI", "MUSTOFA", "HASAN", "HUSEIN", "SYAHPUTRA",
)
FEMALE_SECOND = (
    "RAHAYU", "LESTARI", "WULANDARI", "HANDAYANI", "PUSPITASARI", "SAFITRI", "RAHMAWATI", "NURJANAH",
    "ASTUTI", "KUSUMAWATI", "PERMATASARI", "YULIANTI", "HALIZA", "AMALIA", "CAHYANI", "SETYANINGSIH",
)
DEGREES = ("S.PD", "S.E", "S.KOM", "S.H", "S.AG", "A.MD", "S.KM", "S.IP", "M.PD", "S.SOS", "S.T")


def pick(rng: np.random.Generator, choices: tuple[str, ...], n: int) -> np.ndarray:
    return np.asarray(choices, dtype=object)[rng.integers(0, len(choices), n)]


def make_names(rng: np.random.Generator, sex: np.ndarray, born_year: np.ndarray) -> pd.Series:
    """Full names as SIAK holds them: single names, two or three parts, some titles and degrees,
    and the old spelling for a share of people born before 1972."""
    n = len(sex)
    female = sex == "P"
    first = np.where(female, pick(rng, FEMALE_GIVEN, n), pick(rng, MALE_GIVEN, n))
    second = np.where(female, pick(rng, FEMALE_SECOND, n), pick(rng, SECOND, n))
    third = pick(rng, SECOND, n)
    parts = rng.random(n)
    name = pd.Series(first, dtype="string")
    two = parts >= 0.25  # a quarter have a single name, as many Javanese do
    name[two] = name[two] + " " + pd.Series(second, dtype="string")[two]
    three = parts >= 0.85
    name[three] = name[three] + " " + pd.Series(third, dtype="string")[three]
    old = (born_year < 1972) & (rng.random(n) < 0.35)
    name[old] = to_old_spelling(name[old])
    adult = born_year < 1995
    hajj = adult & (rng.random(n) < 0.06)
    name[hajj] = np.where(female[hajj], "HJ. ", "H. ") + name[hajj]
    degree = adult & (rng.random(n) < 0.05)
    name[degree] = name[degree] + ", " + pd.Series(pick(rng, DEGREES, n), dtype="string")[degree]
    return name


def to_old_spelling(names: pd.Series) -> pd.Series:
    """Modern -> pre-1972 spelling: Suharto -> Soeharto, Joko -> Djoko, Yusuf -> Jusuf, Cahyo -> Tjahjo."""
    text = names.astype("string")
    text = text.str.replace(r"\bSU", "SOE", regex=True).str.replace("J", "DJ", regex=False)
    text = text.str.replace("NY", "NJ", regex=False).str.replace("SY", "SJ", regex=False)
    text = text.str.replace("Y", "J", regex=False).str.replace("C", "TJ", regex=False)
    return text.str.replace("KH", "CH", regex=False)


def to_modern_spelling(names: pd.Series) -> pd.Series:
    text = names.astype("string")
    text = text.str.replace("OE", "U", regex=False).str.replace("TJ", "C", regex=False)
    text = text.str.replace("DJ", "\0", regex=False).str.replace("J", "Y", regex=False).str.replace("\0", "J", regex=False)
    return text.str.replace(r"\bCH", "KH", regex=True)


def spelling_variant(rng: np.random.Generator, names: pd.Series) -> pd.Series:
    """One of the variants an office produces for the same person: the other EYD spelling, Muhammad written
    short, a title dropped or added, a space removed or added."""
    text = names.astype("string").reset_index(drop=True)
    kind = rng.integers(0, 5, len(text))
    out = text.copy()
    out[kind == 0] = to_modern_spelling(text[kind == 0]).where(
        to_modern_spelling(text[kind == 0]) != text[kind == 0], to_old_spelling(text[kind == 0]))
    out[kind == 1] = text[kind == 1].str.replace(r"\bMUHAMMAD\b", "MOH.", regex=True).str.replace(r"\bSITI\b", "ST.", regex=True)
    out[kind == 2] = text[kind == 2].str.replace(r"^(H|HJ)\. ", "", regex=True).str.replace(r", [A-Z.]+$", "", regex=True)
    out[kind == 3] = text[kind == 3].str.replace(" ", "", n=1, regex=False)
    out[kind == 4] = text[kind == 4].str.replace(r"^(\S{4,})(\S{4})$", r"\1 \2", regex=True)
    unchanged = out == text
    out[unchanged] = text[unchanged].str.replace(r"([AEIOU])", r"\1\1", n=1, regex=True)  # "Muhamad"-style doubling
    return out.set_axis(names.index)


def typo(rng: np.random.Generator, names: pd.Series) -> pd.Series:
    """One keying error per name: a letter replaced, dropped, doubled or swapped with its neighbour."""
    letters = np.array(list("ABCDEFGHIJKLMNOPRSTUWY"))
    out = []
    kinds = rng.integers(0, 4, len(names))
    positions = rng.random(len(names))
    replacements = letters[rng.integers(0, len(letters), len(names))]
    for name, kind, pos, replacement in zip(names.astype(str), kinds, positions, replacements, strict=True):
        # A loop over the few rows that get a typo (a few percent), not over the population.
        i = 1 + int(pos * max(len(name) - 2, 1))
        if len(name) < 3:
            out.append(name + replacement)
        elif kind == 0:
            out.append(name[:i] + replacement + name[i + 1:])
        elif kind == 1:
            out.append(name[:i] + name[i + 1:])
        elif kind == 2:
            out.append(name[:i] + name[i] + name[i:])
        else:
            out.append(name[:i - 1] + name[i] + name[i - 1] + name[i + 1:])
    return pd.Series(out, index=names.index, dtype="string")


# --- how the voter list carries a SIAK name (the realistic profile) ---------------------------------------
_TITLE_OR_DEGREE = r"^(?:(?:H|HJ|DRS|DR|IR)\. )+|, .*$"
_SHORT_FORMS = ((r"\bMUHAMMAD\b", ("M.", "MOH.", "MUH.", "MOCH.")), (r"\bSITI\b", ("ST.",)), (r"\bABDUL\b", ("ABD.",)))


def core_name(names: pd.Series) -> pd.Series:
    """The name without the pilgrim/academic titles before it and the degrees after it."""
    return names.astype("string").str.replace(_TITLE_OR_DEGREE, "", regex=True).str.strip()


def one_word(rng: np.random.Generator, names: pd.Series) -> pd.Series:
    """Only one word of a multi-word name: the first (as people are called) or, less often, the last."""
    words = core_name(names).str.split()
    first = rng.random(len(names)) < 0.65
    return pd.Series(np.where(first, words.str[0], words.str[-1]), index=names.index, dtype="string")


def words_reordered(names: pd.Series) -> pd.Series:
    """The first word moved to the end: 'SANTOSO AGUS' for 'AGUS SANTOSO'."""
    return core_name(names).str.replace(r"^(\S+) (.+)$", r"\2 \1", regex=True)


def abbreviated(rng: np.random.Generator, names: pd.Series) -> pd.Series:
    """Muhammad, Siti or Abdul written short (M., MOH., MUH., ST., ABD.); a name without them has its last word
    cut to an initial ('AGUS S.')."""
    text = names.astype("string")
    out = text.str.replace(r"^(.*\S) (\S)\S+$", r"\1 \2.", regex=True)
    for pattern, short in _SHORT_FORMS:
        has = text.str.contains(pattern, regex=True).fillna(False).to_numpy()
        chosen = pd.Series(np.asarray(short, dtype=object)[rng.integers(0, len(short), len(text))], index=text.index)
        for form in short:
            here = has & (chosen == form).to_numpy()
            out[here] = text[here].str.replace(pattern, form, n=1, regex=True)
    return out


def titled(rng: np.random.Generator, names: pd.Series, sex: np.ndarray) -> pd.Series:
    """A title or degree the other list lacks: stripped where the name has one, added where it has none."""
    text = names.astype("string")
    has_one = text.str.contains(_TITLE_OR_DEGREE, regex=True).fillna(False).to_numpy()
    prefix = np.where(sex == "P", pick(rng, ("HJ. ", "DRA. "), len(text)), pick(rng, ("H. ", "DRS. ", "IR. "), len(text)))
    suffix = ", " + pd.Series(pick(rng, DEGREES, len(text)), index=text.index, dtype="string")
    added = pd.Series(np.where(rng.random(len(text)) < 0.6, prefix + text, text + suffix), index=text.index, dtype="string")
    return core_name(text).where(has_one, added)


def space_moved(names: pd.Series) -> pd.Series:
    """The last two words written as one ('NURHALIZA'), or a long word split ('NUR HALIZA' for 'NURHALIZA')."""
    text = names.astype("string")
    joined = text.str.replace(r"^(.*\S) (\S+)$", r"\1\2", regex=True)
    split = text.str.replace(r"^(\S{3,})(\S{4,})\b", r"\1 \2", regex=True)
    return joined.where(text.str.contains(" ").fillna(False), split)
