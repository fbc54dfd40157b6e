"""Accuracy of linkage and duplicate detection against the generator's ground truth.

Links are judged per resident, as the cascade links a resident to one voter row: precision is the share of
links whose voter row is that resident's; recall the share of residents listed (in accepted rows) who got a
right link. A duplicate is right when both rows are one person; recall counts the extra rows of each person.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pemadanan.linkage import METHODS, PROBABILISTIC, LinkResult, nik_neighbour_pairs


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

    def report(self) -> str:
        header = f"{'':<28} {'predicted':>9} {'correct':>9} {'relevant':>9}  precision recall   F1"
        lines = [header, self.links.line("voter -> resident links")]
        lines += [score.line(f"  by {method}") for method, score in self.links_by_method.items()]
        lines += [self.duplicates.line("duplicates (ganda)"), "",
                  f"pair completeness, all stages: {self.pair_completeness:.5f}",
                  f"pair completeness of blocking (probabilistic stage): {self.blocking_completeness:.5f} "
                  f"(reduction ratio {self.blocking_reduction:.6f})",
                  f"review queue: {self.review_queue:,} pairs, {self.review_queue_true:,} of them true"]
        return "\n".join(lines)


def load_truth(truth_dir: Path, semester: str) -> pd.DataFrame:
    return pd.read_csv(truth_dir / semester / "voters_truth.csv",
                       usecols=["source_row", "person_id", "population_row", "duplicate_of_row"])


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
    return Evaluation(
        links=Score(len(links), int(links["correct"].sum()), relevant),
        links_by_method=by_method,
        duplicates=Score(len(dup), int(same_person.sum()), extra_rows),
        pair_completeness=float(reachable.mean()) if len(reachable) else 1.0,
        blocking_completeness=float(left_pairs.isin(result.candidate_pairs).mean()) if len(left_pairs) else 1.0,
        blocking_reduction=1 - len(result.candidate_pairs) / max(n_voters * n_residents, 1),
        review_queue=len(review),
        review_queue_true=int((review["voter_row"].map(true_resident) == review["population_row"]).sum()),
    )


def _reachable(result: LinkResult, voters: pd.DataFrame, residents: pd.DataFrame, true_pairs: pd.DataFrame) -> pd.Series:
    """Whether each true pair was considered by some stage: NIK within one edit, or a blocking pass."""
    by_nik = nik_neighbour_pairs(voters, residents)
    considered = pd.MultiIndex.from_frame(by_nik[["voter_row", "population_row"]]).append(result.candidate_pairs)
    return pd.Series(pd.MultiIndex.from_frame(true_pairs[["source_row", "population_row"]]).isin(considered))
