"""Prints precision and recall of the published voter->resident links against the generator's truth.

    .venv/bin/python benchmarks/exact_nik_accuracy.py --truth data/sample/truth [--semesters 2024-S1,2024-S2]

Reads the warehouse the pipeline published to ($PEMADANAN_WAREHOUSE_URL or the embedded server).
Recall is given twice: over every voter row whose person is in the population, and over those whose NIK
reached the list intact (what exact-NIK linkage can find at all; the rest is issue 4's work).
"""

import argparse
from pathlib import Path

import pandas as pd

from pemadanan import warehouse

parser = argparse.ArgumentParser()
parser.add_argument("--truth", required=True)
parser.add_argument("--semesters", default="2024-S1,2024-S2")
args = parser.parse_args()
url = warehouse.resolve_url()
for semester in args.semesters.split(","):
    truth = pd.read_csv(Path(args.truth) / semester / "voters_truth.csv")
    links = warehouse.read_table(url, warehouse.VOTER_LINKS, semester)
    checked = links.merge(truth, left_on="voter_row", right_on="source_row", suffixes=("", "_truth"))
    correct = int((checked["population_row"] == checked["population_row_truth"]).sum())
    linkable = truth[truth["population_row"].notna()]
    intact = linkable[~linkable[["defect_nik_missing", "defect_nik_scientific", "defect_nik_trailing_zero",
                                 "defect_nik_typo"]].any(axis=1)]
    right = checked.loc[checked["population_row"] == checked["population_row_truth"], "voter_row"]
    print(f"{semester}: links {len(links):,}  precision {correct / len(links):.5f}  "
          f"recall {right.isin(linkable['source_row']).sum() / len(linkable):.4f} of {len(linkable):,} linkable  "
          f"recall {right.isin(intact['source_row']).sum() / len(intact):.5f} of {len(intact):,} with intact NIK")
