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


# --- names with Indonesian frequencies (the hard profile) -------------------------------------------------
# Single-word (Javanese-style) names, most common first. The first ten of each sex are Dukcapil's most frequent
# full names on e-KTP in 2024 (thousands of holders, as reported in the press: SUTRISNO 144, SLAMET 115, MULYADI
# 112, HERMAN 102, SUPARDI 93, ISMAIL 90, SUPRIYANTO 88, WAHYUDI 86, JUNAIDI 85, SUPARMAN 85; NURHAYATI 255, then
# SULASTRI, SUMIATI, SUMARNI, SUNARTI, ERNAWATI, AMINAH, KARTINI); the rest are common ones of the same kind.
MALE_SINGLE = (
    ("SUTRISNO", 144), ("SLAMET", 115), ("MULYADI", 112), ("HERMAN", 102), ("SUPARDI", 93), ("ISMAIL", 90),
    ("SUPRIYANTO", 88), ("WAHYUDI", 86), ("JUNAIDI", 85), ("SUPARMAN", 85), ("SUPARNO", 70), ("SUGIYONO", 65),
    ("SUYANTO", 60), ("SUNARDI", 58), ("SUGENG", 55), ("PAIMAN", 50), ("SUKIRMAN", 48), ("SUWARNO", 46),
    ("SUMARNO", 45), ("KUSNADI", 44), ("SUPRIYADI", 42), ("MULYONO", 40), ("SUHARTO", 40), ("HARYANTO", 38),
    ("SUBAGYO", 36), ("SUDARSONO", 35), ("SUPRAPTO", 34), ("SUYONO", 33), ("SUTOYO", 32), ("PURNOMO", 31),
    ("PARJO", 30), ("WARSITO", 30), ("DARMAJI", 28), ("KARYONO", 28), ("RUSLAN", 27), ("SAMSUDIN", 26),
    ("NURDIN", 26), ("ABDULLAH", 25), ("HASANUDIN", 25), ("JUMADI", 24), ("SAIFUDIN", 24), ("TUKIMAN", 23),
)
FEMALE_SINGLE = (
    ("NURHAYATI", 255), ("SULASTRI", 150), ("SUMIATI", 140), ("SUMARNI", 120), ("SUNARTI", 115),
    ("ERNAWATI", 110), ("AMINAH", 105), ("KARTINI", 100), ("SUPARMI", 80), ("TUMINAH", 75), ("SUKINEM", 70),
    ("JUMINAH", 65), ("KASIYEM", 60), ("SUMIYATI", 58), ("SURYANI", 55), ("SUSILOWATI", 52), ("WAHYUNI", 50),
    ("RAHAYU", 48), ("LESTARI", 46), ("NINGSIH", 44), ("SUNARSIH", 42), ("MARYAM", 40), ("FATIMAH", 40),
    ("KHOTIMAH", 38), ("MASRIAH", 36), ("SUPINAH", 35), ("PONIYEM", 34), ("SARMI", 33), ("RUSMINI", 32),
    ("MURTINI", 31), ("ROHANI", 30), ("HASANAH", 30), ("NURJANAH", 29), ("MARYATI", 28), ("SUWARNI", 28),
    ("MUNAWAROH", 26), ("SAMINAH", 25), ("WAGINAH", 24), ("PAINEM", 24), ("SITI", 10),
)
# The first word of a name of several words, with weights (per mille, roughly) for people born before 1990 and
# from 1990: Muhammad in the spellings SIAK holds (MUHAMMAD, MOHAMAD, MOCH., ...), more among the young; Siti,
# Sri, Nur and Dewi for women, Sri and Endang more among the old.
MALE_FIRST = {
    "MUHAMMAD": (45, 100), "MUHAMAD": (12, 25), "MOHAMMAD": (10, 15), "MOHAMAD": (10, 15), "MOCHAMAD": (8, 5),
    "MOCH.": (10, 5), "MOH.": (10, 5), "MUH.": (8, 5), "M.": (5, 10), "AHMAD": (40, 40), "ACHMAD": (10, 3),
    "ABDUL": (30, 20), "AGUS": (40, 10), "EKO": (25, 10), "DWI": (20, 15), "TRI": (15, 10), "BUDI": (20, 5),
    "ANDI": (15, 15), "ADI": (10, 10), "RUDI": (10, 5), "HENDRA": (10, 10), "ARIF": (10, 10), "RIZKI": (5, 20),
    "FAJAR": (5, 15), "DIMAS": (3, 15), "BAYU": (5, 15), "BAMBANG": (20, 2), "JOKO": (15, 3), "HADI": (10, 3),
    "IMAM": (10, 8),
}
FEMALE_FIRST = {
    "SITI": (180, 120), "SRI": (100, 40), "NUR": (70, 60), "DEWI": (50, 40), "ENDANG": (20, 2), "PUJI": (10, 2),
    "RATNA": (10, 5), "EKA": (15, 15), "DWI": (15, 15), "TRI": (10, 10), "YULI": (10, 5), "NURUL": (10, 20),
    "FITRI": (5, 20), "PUTRI": (3, 25), "INDAH": (5, 15), "AYU": (5, 15), "ANISA": (2, 15), "DIAN": (8, 12),
}
# Words after the first, most common first (SITI AMINAH and SRI WAHYUNI are among the ten commonest full names).
MALE_LATER = (
    "SANTOSO", "HIDAYAT", "SETIAWAN", "PRASETYO", "NUGROHO", "SAPUTRA", "KURNIAWAN", "RIZKI", "WIBOWO", "SUSANTO",
    "RAHMAN", "ILHAM", "WIDODO", "FIRMANSYAH", "YUSUF", "RAMADHAN", "PRATAMA", "HAKIM", "FAJAR", "HASAN", "ARIF",
    "PURWANTO", "HARTONO", "SUSILO", "WIJAYA", "SUGIARTO", "YULIANTO", "JAYADI", "CAHYADI", "MUSTOFA", "HUSEIN",
    "SYAHPUTRA", "IQBAL", "ALI", "SOLEH", "ROHMAN", "MAULANA", "AKBAR",
)
FEMALE_LATER = (
    "AMINAH", "WAHYUNI", "RAHAYU", "LESTARI", "FATIMAH", "WULANDARI", "HANDAYANI", "KHOTIMAH", "MARYAM",
    "ROHMAH", "HIDAYAH", "PUSPITASARI", "SAFITRI", "RAHMAWATI", "NURJANAH", "ASTUTI", "KUSUMAWATI", "HALIMAH",
    "PERMATASARI", "YULIANTI", "HALIZA", "AMALIA", "CAHYANI", "SETYANINGSIH", "MUNAWAROH", "SUNDARI",
    "NURHASANAH", "ZAHRA", "AULIA", "HASANAH",
)


# Any other first word of MALE_GIVEN or FEMALE_GIVEN weighs this much; the words after the first weigh
# 1 / (rank + LATER_OFFSET) ** LATER_POWER; single names weigh their count ** SINGLE_POWER. Names are thus far more
# concentrated than the country's, in its order (SUTRISNO is 0.1% of men nationally, about 4% of adult men here;
# NURHAYATI 0.2% of women, about 8% of adult women here): a run of some ten thousand residents a kabupaten then has about as many
# namesakes born the same year per name as a national run of millions.
OTHER_FIRST_WEIGHT = 2
LATER_OFFSET, LATER_POWER = 2.0, 1.1
SINGLE_POWER = 1.5


def _weighted(rng: np.random.Generator, choices: tuple[str, ...], weights: np.ndarray, n: int) -> np.ndarray:
    return np.asarray(choices, dtype=object)[rng.choice(len(choices), n, p=weights / weights.sum())]


def _first_words(rng: np.random.Generator, named: dict[str, tuple[int, int]], others: tuple[str, ...],
                 young: np.ndarray) -> np.ndarray:
    rest = tuple(dict.fromkeys(w for w in others if w not in named))
    words = (*named, *rest)
    old_weights = np.array([w[0] for w in named.values()] + [OTHER_FIRST_WEIGHT] * len(rest), dtype=float)
    young_weights = np.array([w[1] for w in named.values()] + [OTHER_FIRST_WEIGHT] * len(rest), dtype=float)
    n = len(young)
    return np.where(young, _weighted(rng, words, young_weights, n), _weighted(rng, words, old_weights, n))


def _later_words(rng: np.random.Generator, words: tuple[str, ...], n: int) -> np.ndarray:
    return _weighted(rng, words, 1 / (np.arange(len(words)) + LATER_OFFSET) ** LATER_POWER, n)


def make_indonesian_names(rng: np.random.Generator, sex: np.ndarray, born_year: np.ndarray) -> pd.Series:
    """Full names as SIAK holds them, with Indonesian frequencies: single (Javanese-style) names for 75% of people
    born before 1960, 65% of 1960-1979, 45% of 1980-1994 and 15% after, drawn most often from the commonest
    (SUTRISNO, NURHAYATI); names of several words begin with MUHAMMAD (in its spellings), AHMAD, SITI, SRI, NUR,
    DEWI... far more often than with anything else. So common names have many namesakes born the same year,
    as in a real list of millions. Titles, degrees and old spellings as in `make_names`."""
    n = len(sex)
    female = sex == "P"
    young = born_year >= 1990
    single = rng.random(n) < np.select([born_year < 1960, born_year < 1980, born_year < 1995], [0.75, 0.65, 0.45], 0.15)
    mononym = np.where(
        female,
        _weighted(rng, tuple(w for w, _ in FEMALE_SINGLE), np.array([c for _, c in FEMALE_SINGLE], float) ** SINGLE_POWER, n),
        _weighted(rng, tuple(w for w, _ in MALE_SINGLE), np.array([c for _, c in MALE_SINGLE], float) ** SINGLE_POWER, n))
    first = np.where(female, _first_words(rng, FEMALE_FIRST, FEMALE_GIVEN, young),
                     _first_words(rng, MALE_FIRST, MALE_GIVEN, young))
    second = np.where(female, _later_words(rng, FEMALE_LATER, n), _later_words(rng, MALE_LATER, n))
    third = np.where(female, _later_words(rng, FEMALE_LATER, n), _later_words(rng, MALE_LATER, n))
    three = ~single & (rng.random(n) < 0.2) & (third != second)
    name = pd.Series(np.where(single, mononym, first + " " + second), dtype="string")
    name[three] = name[three] + " " + pd.Series(third, dtype="string")[three]
    old = (born_year < 1972) & (rng.random(n) < 0.35)
    # The old spelling of MOCH. is MOCH. (C -> TJ is for a C that is not part of CH).
    name[old] = to_old_spelling(name[old]).str.replace("MOTJH", "MOCH", regex=False)
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
