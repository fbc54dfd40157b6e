"""What staging a step output in PostgreSQL costs: seconds to write and to read back each frame of the largest step
outputs (the population's and the voters' ingest, the linkage) at a size, in the embedded PostgreSQL, as
`pemadanan.warehouse.staging` stores them (each frame's Arrow IPC stream, zstd, through ADBC).

    .venv/bin/python benchmarks/staging.py --landing /tmp/semester-bench/1000000-33.23-7/landing --work /tmp/staging-bench

Each frame is timed three times; the figures are the medians. Every read is checked to give back the frame exactly.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--landing", required=True, type=Path)
    parser.add_argument("--semester", default="2024-S1")
    parser.add_argument("--kabupaten", default="33.23")
    parser.add_argument("--work", default="/tmp/staging-bench", type=Path)
    args = parser.parse_args()
    os.environ["PEMADANAN_DATA_DIR"] = str(args.work)
    import pandas as pd

    from pemadanan import warehouse
    from pemadanan.ingest import POPULATION, VOTERS, ingest
    from pemadanan.linkage import link
    from pemadanan.warehouse import staging

    url = warehouse.resolve_url()
    outputs = {}
    for dataset in (POPULATION, VOTERS):
        folder = args.landing / args.semester
        path = next(p for p in (folder / args.kabupaten / f"{dataset.name}.csv", folder / f"{dataset.name}.csv")
                    if p.exists())
        outputs[dataset.name] = ingest(dataset, path, args.semester, kabupaten=args.kabupaten)
    outputs["voter_resident_links"] = link(outputs["voters"].accepted, outputs["population"].accepted
                                           ).without_measurements()
    print(f"{'output':<22}{'frame':<18}{'rows':>10}{'columns':>9}{'write s':>9}{'read s':>8}{'MB stored':>11}")
    for output, result in outputs.items():
        frames, values = result.to_frames()
        for name, frame in frames.items():
            writes, reads = [], []
            for _ in range(3):
                started = time.perf_counter()
                staging.write(url, "bench", f"{output}.{name}", "bench", staging.Staged({name: frame}, values))
                writes.append(time.perf_counter() - started)
                started = time.perf_counter()
                back = staging.read(url, "bench", f"{output}.{name}").frames[name]
                reads.append(time.perf_counter() - started)
                pd.testing.assert_frame_equal(back, frame, check_exact=True)
            stored = staging.stored_bytes(url, "bench", f"{output}.{name}") / 1e6
            print(f"{output:<22}{name:<18}{len(frame):>10,}{frame.shape[1]:>9}{statistics.median(writes):>9.2f}"
                  f"{statistics.median(reads):>8.2f}{stored:>11.1f}", flush=True)
    staging.drop_partition(url, "bench")


if __name__ == "__main__":
    main()
