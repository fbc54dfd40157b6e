"""Accuracy of linkage and duplicate detection against the generator's ground truth.

Links are judged per resident, as the cascade links a resident to one voter row: precision is the share of
links whose voter row is that resident's; recall the share of residents listed (in accepted rows) who got a
right link. A duplicate is right when both rows are one person; recall counts the extra rows of each person.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pemadanan.kpu import KPU_CODES
from pemadanan.linkage import METHODS, PROBABILISTIC, LinkResult
from pemadanan.similarity import nik_one_edit
from pemadanan.tms import TMS_RULES


@dataclass(frozen=True)
class Score:
    predicted: int
    correct: int
    relevant: int

    @property
    def precision(self) -> float:
        return self.correct / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        return self.correct / self.relevant if self.relevant else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def line(self, label: str) -> str:
        return (f"{label:<28} {self.predicted:>9,} {self.correct:>9,} {self.relevant:>9,}  "
                f"{self.precision:.5f}  {self.recall:.5f}  {self.f1:.5f}")


@dataclass(frozen=True)
class Evaluation:
    links: Score
    links_by_method: dict[str, Score]
    duplicates: Score
    pair_completeness: float  # of true pairs, the share some stage could consider
    blocking_completeness: float  # of true pairs left to the probabilistic stage, the share blocking kept
    blocking_reduction: float
    review_queue: int
    review_queue_true: int
    voter_rows: int
    recall_by_nik_defect: dict[str, Score]  # links of listed residents, by the defect of their voter row's NIK

    @property
    def review_share(self) -> float:
        return self.review_queue / self.voter_rows if self.voter_rows else 0.0

    def report(self) -> str:
        header = f"{'':<28} {'predicted':>9} {'correct':>9} {'relevant':>9}  precision recall   F1"
        lines = [header, self.links.line("voter -> resident links")]
        lines += [score.line(f"  by {method}") for method, score in self.links_by_method.items()]
        lines += [self.duplicates.line("duplicates (ganda)"), "",
                  f"pair completeness, all stages: {self.pair_completeness:.5f}",
                  f"pair completeness of blocking (probabilistic stage): {self.blocking_completeness:.5f} "
                  f"(reduction ratio {self.blocking_reduction:.6f})",
                  f"review queue: {self.review_queue:,} pairs ({self.review_share:.3%} of voter rows), "
                  f"{self.review_queue_true:,} of them true", "", "recall by the NIK defect of the voter row:"]
        lines += [score.line(f"  {defect}") for defect, score in self.recall_by_nik_defect.items()]
        return "\n".join(lines)


NIK_DEFECTS = ("nik_missing", "nik_scientific", "nik_trailing_zero", "nik_apostrophe", "nik_typo")


def semester_truth(truth_dir: Path, semester: str, kabupaten: str | None = None) -> Path | None:
    """The folder of the semester's truth: `<truth>/<semester>/<kabupaten>/` as `generate --regions` writes it, else
    `<truth>/<semester>/` as `generate --region` does; None when neither has a voters_truth.csv."""
    for folder in ([truth_dir / semester / kabupaten] if kabupaten else []) + [truth_dir / semester]:
        if (folder / "voters_truth.csv").is_file():
            return folder
    return None


def load_truth(truth_dir: Path, semester: str, kabupaten: str | None = None) -> pd.DataFrame:
    truth = pd.read_csv(_truth_folder(truth_dir, semester, kabupaten) / "voters_truth.csv")
    defects = [d for d in NIK_DEFECTS if f"defect_{d}" in truth.columns]
    defect = pd.Series("none", index=truth.index)
    for name in reversed(defects):  # the first named wins where a row has several
        defect = defect.where(~truth[f"defect_{name}"].astype(bool), name)
    return truth[["source_row", "person_id", "population_row", "duplicate_of_row"]].assign(nik_defect=defect)


def evaluate(result: LinkResult, voters: pd.DataFrame, residents: pd.DataFrame, truth: pd.DataFrame) -> Evaluation:
    truth = truth[truth["source_row"].isin(voters["source_row"])].copy()
    truth["population_row"] = truth["population_row"].where(truth["population_row"].isin(residents["source_row"]))
    true_resident = truth.set_index("source_row")["population_row"]
    relevant = int(truth["population_row"].nunique())

    links = result.links.assign(correct=lambda f: f["voter_row"].map(true_resident) == f["population_row"])
    by_method = {method: Score(int((links["link_method"] == method).sum()),
                               int(links.loc[links["link_method"] == method, "correct"].sum()), relevant)
                 for method in METHODS if (links["link_method"] == method).any()}

    person = truth.set_index("source_row")["person_id"]
    dup = result.duplicates
    same_person = dup["voter_row"].map(person) == dup["duplicate_of_voter_row"].map(person)
    rows_per_person = truth.groupby("person_id").size()
    extra_rows = int((rows_per_person - 1).sum())

    # A row listed again is found as a duplicate, not as a pair of its own.
    true_pairs = truth[truth["duplicate_of_row"].isna()].dropna(subset=["population_row"]).astype({"population_row": "int64"})
    reachable = _reachable(result, voters, residents, true_pairs)
    earlier = result.links[result.links["link_method"] != PROBABILISTIC]
    left = true_pairs[true_pairs["source_row"].isin(result.stage_inputs.get(PROBABILISTIC, []))
                      & ~true_pairs["population_row"].isin(earlier["population_row"])]
    left_pairs = pd.MultiIndex.from_frame(left[["source_row", "population_row"]])
    n_voters = len(result.stage_inputs.get(PROBABILISTIC, []))
    n_residents = len(residents) - len(earlier)
    review = result.review_queue
    listed = truth[truth["duplicate_of_row"].isna()].dropna(subset=["population_row"])
    # A resident listed twice is found when either of its rows links to it right.
    found = listed["population_row"].isin(links.loc[links["correct"], "population_row"]).to_numpy()
    recall_by_defect = {defect: Score(0, int(found[(listed["nik_defect"] == defect).to_numpy()].sum()),
                                      int((listed["nik_defect"] == defect).sum()))
                        for defect in ("none", *NIK_DEFECTS) if (listed["nik_defect"] == defect).any()}
    return Evaluation(
        links=Score(len(links), int(links["correct"].sum()), relevant),
        links_by_method=by_method,
        duplicates=Score(len(dup), int(same_person.sum()), extra_rows),
        pair_completeness=float(reachable.mean()) if len(reachable) else 1.0,
        blocking_completeness=float(left_pairs.isin(result.candidate_pairs).mean()) if len(left_pairs) else 1.0,
        blocking_reduction=1 - len(result.candidate_pairs) / max(n_voters * n_residents, 1),
        review_queue=len(review),
        review_queue_true=int((review["voter_row"].map(true_resident) == review["population_row"]).sum()),
        voter_rows=len(voters), recall_by_nik_defect=recall_by_defect,
    )


def _reachable(result: LinkResult, voters: pd.DataFrame, residents: pd.DataFrame, true_pairs: pd.DataFrame) -> pd.Series:
    """Whether each true pair was considered by some stage: NIK equal or within one edit (the digits linkage searches
    around, an unreliable NIK's too), or a blocking pass."""
    voter_nik = voters.set_index("source_row")["nik_digits"].reindex(true_pairs["source_row"]).reset_index(drop=True)
    resident_nik = (residents.set_index("source_row")["nik_digits"].reindex(true_pairs["population_row"])
                    .reset_index(drop=True))
    by_nik = (voter_nik == resident_nik).fillna(False).to_numpy(dtype=bool) | nik_one_edit(voter_nik, resident_nik)
    by_blocking = pd.MultiIndex.from_frame(true_pairs[["source_row", "population_row"]]).isin(result.candidate_pairs)
    return pd.Series(by_nik | by_blocking)


def evaluate_outputs(tms: pd.DataFrame, unregistered: pd.DataFrame, voters: pd.DataFrame, residents: pd.DataFrame,
                     truth_dir: Path, semester: str, kabupaten: str | None = None) -> str:
    """Precision and recall of each TMS code the truth knows (every one but 5, tidak dikenal), the precision of each
    rule of `TMS_RULES`, and eligible-but-unregistered residents, as a printable table. A TMS 2 (ganda) flag is right
    when its row's person has another row not flagged 2: which of two identical rows is "the copy" is arbitrary,
    what matters is that the person stays listed exactly once."""
    folder = _truth_folder(truth_dir, semester, kabupaten)
    truth = pd.read_csv(folder / "voters_truth.csv", usecols=["source_row", "person_id", "tms_codes",
                                                                          "death_recorded_in"],
                        dtype={"tms_codes": str, "death_recorded_in": str})
    truth = truth[truth["source_row"].isin(voters["source_row"])]
    codes = truth.set_index("source_row")["tms_codes"].fillna("").str.split(";")
    person = truth.set_index("source_row")["person_id"]
    rows_per_person = person.groupby(person).size()

    def score(flagged: pd.Series, code: str) -> Score:
        if code == "2":
            kept = person.drop(tms.loc[tms["tms_code"] == "2", "voter_row"], errors="ignore")
            kept = kept.groupby(kept).size().reindex(rows_per_person.index, fill_value=0)
            return Score(len(flagged), int(flagged.map(person).map(kept).ge(1).sum()), int((rows_per_person - 1).sum()))
        relevant = codes[codes.map(lambda c: code in c)].index
        return Score(len(flagged), int(flagged.isin(relevant).sum()), len(relevant))

    lines = [f"{'':<28} {'predicted':>9} {'correct':>9} {'relevant':>9}  precision recall   F1"]
    for code in (c for c in KPU_CODES if c != "5"):
        lines.append(score(tms.loc[tms["tms_code"] == code, "voter_row"], code).line(f"TMS {code}"))
        for rule in TMS_RULES:
            if rule.code == code and sum(r.code == code for r in TMS_RULES) > 1:
                flagged = tms.loc[(tms["tms_code"] == code) & (tms["confidence"] == rule.confidence), "voter_row"]
                lines.append(score(flagged, code).line(f"  {rule.confidence} (precision)"))
    recorded = truth.set_index("source_row")["death_recorded_in"]
    dead = codes.map(lambda c: "1" in c)
    flagged_dead = tms.loc[tms["tms_code"] == "1", "voter_row"]
    for label, relevant in (("TMS 1, of recorded deaths", recorded.notna() & dead),
                            ("  recorded an earlier semester", recorded.notna() & (recorded != semester) & dead)):
        rows = relevant[relevant].index
        lines.append(Score(len(flagged_dead) if label.startswith("TMS") else int(flagged_dead.isin(rows).sum()),
                           int(flagged_dead.isin(rows).sum()), len(rows)).line(label))
    population = pd.read_csv(folder / "population_truth.csv", usecols=["source_row", "eligible_unregistered"])
    population = population[population["source_row"].isin(residents["source_row"])]
    relevant = population.loc[population["eligible_unregistered"], "source_row"]
    found = unregistered["population_row"]
    lines.append(Score(len(found), int(found.isin(relevant).sum()), len(relevant)).line("eligible, unregistered"))
    return "\n".join(lines)


def _truth_folder(truth_dir: Path, semester: str, kabupaten: str | None) -> Path:
    folder = semester_truth(truth_dir, semester, kabupaten)
    if folder is None:
        raise FileNotFoundError(f"no truth of {semester} {kabupaten or ''} in {truth_dir}".replace("  ", " "))
    return folder


def _national_truth(truth_dir: Path, semester: str, regions: list[str]) -> dict[str, set]:
    """What the national step should find, per kabupaten and person (a person's rows in one kabupaten are one
    finding: a copy of a row is struck there as a duplicate already, whichever of the two the linkage keeps):
    - moved: (kabupaten, person, where they live) for people listed in a kabupaten while living in another of the run;
    - listed twice: (kabupaten, person) for people listed in another kabupaten too, where they do not live;
    - listed elsewhere: (kabupaten, person) for eligible residents with no row where they live but one elsewhere."""
    folder = truth_dir / semester
    voters = {k: pd.read_csv(folder / k / "voters_truth.csv", dtype=str, keep_default_na=False) for k in regions}
    population = {k: pd.read_csv(folder / k / "population_truth.csv") for k in regions}
    moved, twice, elsewhere = set(), set(), set()
    for kabupaten, rows in voters.items():
        away = rows[(rows["lives_in"] != "") & (rows["lives_in"] != kabupaten)]
        moved |= {(kabupaten, int(p), k) for p, k in zip(away["person_id"], away["lives_in"], strict=True)}
        double = rows[(rows["also_listed_in"] != "") & (rows["lives_in"] != kabupaten)]
        twice |= {(kabupaten, int(p)) for p in double["person_id"]}
    listed_anywhere = {k: set(rows["person_id"].astype(int)) for k, rows in voters.items()}
    for kabupaten, rows in population.items():
        missing = rows[rows["eligible_unregistered"]]
        others = set().union(*(listed_anywhere[k] for k in regions if k != kabupaten))
        elsewhere |= {(kabupaten, int(p)) for p in missing["person_id"] if p in others}
    person_of_row = {k: dict(zip(t["source_row"].astype(int), t["person_id"].astype(int), strict=True))
                     for k, t in voters.items()}
    person_of_resident = {k: t.set_index("source_row")["person_id"].to_dict() for k, t in population.items()}
    return {"moved": moved, "listed twice": twice, "listed elsewhere": elsewhere,
            "rows": person_of_row, "residents": person_of_resident}


def national_scores(url: str, truth_dir: Path, semester: str, regions: list[str],
                    found: pd.DataFrame | None = None) -> list[tuple[str, Score]]:
    """Each national finding the step published for the semester (restricted.national_findings, or `found`: rows in
    its shape), scored against the national generator's truth of the kabupaten in `regions`; and each again for its
    high-confidence findings alone ("moved (high)": what may be acted on without a visit)."""
    truth = _national_truth(truth_dir, semester, regions)
    if found is None:
        found = _published_findings(url, semester)
    every, high = _national_predicted(found, truth), _national_predicted(found[found["confidence"] == "high"], truth)
    return [(what, Score(len(every[what]), len(every[what] & truth[what]), len(truth[what]))) for what in every] + [
        (f"{what} (high)", Score(len(high[what]), len(high[what] & truth[what]), len(truth[what]))) for what in high]


def national_errors(url: str, truth_dir: Path, semester: str, regions: list[str],
                    found: pd.DataFrame | None = None) -> pd.DataFrame:
    """The national step's misses and false findings, counted by kind (finding, error, kind, count):
    - a miss by the NIK its person's row carries where the person is listed (the row of `moved` and `listed twice`,
      the row elsewhere of `listed elsewhere`): intact, missing, in scientific notation, last digit zeroed, mistyped;
    - a false finding by the evidence it says it was found by and its confidence, or "wrong destination" for a
      mover found living elsewhere than they do."""
    truth = _national_truth(truth_dir, semester, regions)
    if found is None:
        found = _published_findings(url, semester)
    predicted = _national_predicted(found, truth, with_evidence=True)
    nik_kind = {}
    for kabupaten in regions:
        rows = pd.read_csv(truth_dir / semester / kabupaten / "voters_truth.csv", dtype=str, keep_default_na=False)
        rows = rows[rows["is_duplicate_copy"] != "True"]
        kind = pd.Series("NIK intact", index=rows.index)
        for defect, said in NIK_DEFECTS.items():
            kind = kind.mask(rows[f"defect_{defect}"] == "True", said)
        nik_kind[kabupaten] = dict(zip(rows["person_id"].astype(int), kind, strict=True))
    counted = []
    for what, found_items in predicted.items():
        # One evidence per finding as the scores count it (a person's two rows may have been found two ways).
        found_keys = dict(sorted((item[:-1], item[-1]) for item in found_items))
        for item in truth[what] - found_keys.keys():
            kabupaten, person = item[0], item[1]
            where = [kabupaten] if what != "listed elsewhere" else [k for k in regions if k != kabupaten]
            kinds = [nik_kind[k][person] for k in where if person in nik_kind[k]]
            counted.append((what, "missed", kinds[0] if kinds else "no row"))
        for key, evidence in found_keys.items():
            if key in truth[what]:
                continue
            mover_elsewhere = what == "moved" and any(t[:2] == key[:2] for t in truth[what])
            counted.append((what, "false", "wrong destination" if mover_elsewhere else evidence))
    errors = pd.DataFrame(counted, columns=["finding", "error", "kind"])
    return errors.value_counts().rename("count").reset_index().sort_values(
        ["finding", "error", "count"], ascending=[True, True, False], ignore_index=True)


NIK_DEFECTS = {"nik_missing": "NIK missing", "nik_scientific": "NIK in scientific notation",
               "nik_trailing_zero": "NIK's last digit zeroed", "nik_typo": "NIK mistyped"}


def _published_findings(url: str, semester: str) -> pd.DataFrame:
    from pemadanan import warehouse  # noqa: PLC0415 - the linkage scores above need no database

    return warehouse.read_table(url, warehouse.NATIONAL_FINDINGS, semester)


def _national_predicted(found: pd.DataFrame, truth: dict, with_evidence: bool = False) -> dict[str, set]:
    """The findings as the truth counts them (per kabupaten and person), with "found_by, confidence" last if asked."""
    person, resident = truth["rows"], truth["residents"]
    by = {what: found[found["finding"] == what] for what in ("moved", "listed_twice", "listed_elsewhere")}

    def evidence(r) -> tuple:
        return (f"{r.found_by}, {r.confidence}",) if with_evidence else ()

    return {
        "moved": {(r.kabupaten, person[r.kabupaten][r.voter_row], r.other_kabupaten, *evidence(r))
                  for r in by["moved"].itertuples()},
        "listed twice": {(r.kabupaten, person[r.kabupaten][r.voter_row], *evidence(r))
                         for r in by["listed_twice"].itertuples()},
        "listed elsewhere": {(r.kabupaten, resident[r.kabupaten][r.population_row], *evidence(r))
                             for r in by["listed_elsewhere"].itertuples()},
    }
