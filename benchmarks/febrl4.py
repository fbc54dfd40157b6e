"""FEBRL4 through the project's probabilistic linker, at the link threshold and at the review threshold.

    .venv/bin/python -W ignore benchmarks/febrl4.py
"""

import time

from pemadanan.febrl import link_febrl4
from pemadanan.linkage import LinkagePolicy

policy = LinkagePolicy()
for label, threshold in (("link threshold", policy.link_probability), ("review threshold", policy.review_probability)):
    started = time.perf_counter()
    score = link_febrl4(threshold)
    print(f"FEBRL4 at the {label} ({threshold}): precision {score.precision:.5f} recall {score.recall:.5f} "
          f"F1 {score.f1:.5f} ({score.predicted:,} links, {time.perf_counter() - started:.1f} s)")
