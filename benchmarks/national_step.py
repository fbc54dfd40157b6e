"""Time and memory of the national step's rules (pemadanan/national.py) as the country grows: synthetic inputs of
N residents spread over 514 kabupaten, 0.7 N voter rows of which 5% are unlinked (half of those people living in
another kabupaten, a tenth without a usable NIK), each size in a fresh process; prints seconds, peak RSS and the
growth per million residents, and extrapolates both to 285 million.

    .venv/bin/python benchmarks/national_step.py --residents 1000000,3000000,10000000
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
NATIONAL = 285_000_000


def inputs(n: int, seed: int = 7):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    codes = np.array([f"{p:02d}.{k:02d}" for p in range(11, 95) for k in range(1, 8)])[:514]
    nik = pd.Series(rng.choice(9 * 10 ** 15, n, replace=False) + 10 ** 15).astype(str)
    kabupaten = codes[rng.integers(0, len(codes), n)]
    born = pd.Timestamp("1940-01-01") + pd.to_timedelta(rng.integers(0, 25_000, n), unit="D")
    names = pd.Series(rng.integers(0, 5_000_000, n)).astype(str).radd("NAMA ")
    residents = pd.DataFrame({"kabupaten": kabupaten, "population_row": np.arange(1, n + 1), "nik": nik,
                              "name_norm": names, "birth_date": born,
                              "desa_code": pd.Series(kabupaten) + ".01.2001"})
    listed = rng.choice(n, int(0.7 * n), replace=False)
    unlinked = rng.random(len(listed)) < 0.05
    elsewhere = unlinked & (rng.random(len(listed)) < 0.5)
    voter_kabupaten = np.where(elsewhere, codes[rng.integers(0, len(codes), len(listed))], kabupaten[listed])
    voter_nik = nik.to_numpy()[listed].astype(object)
    voter_nik[unlinked & (rng.random(len(listed)) < 0.1)] = None
    voters = pd.DataFrame({"kabupaten": voter_kabupaten, "voter_row": np.arange(1, len(listed) + 1), "nik": voter_nik,
                           "linked": ~unlinked,
                           "name_norm": names.to_numpy()[listed].astype(object), "birth_date": born[listed]})
    voters.loc[~unlinked, ["name_norm", "birth_date"]] = None
    unregistered = residents.loc[rng.random(n) < 0.03, ["kabupaten", "population_row"]]
    return residents, voters, unregistered


def child(n: int) -> None:
    sys.path.insert(0, str(PROJECT))
    from pemadanan.national import national_findings

    frames = inputs(n)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    found = national_findings(*frames)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"residents": n, "seconds": round(seconds, 2), "peak_rss_gb": round(peak / 1024 ** 2, 2),
                      "inputs_gb": round(before / 1024 ** 2, 2), "moved": len(found.moved)}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--residents", default="1000000,3000000,10000000")
    parser.add_argument("--child", type=int)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    results = []
    for n in (int(x) for x in args.residents.split(",")):
        done = subprocess.run([sys.executable, __file__, "--child", str(n)], capture_output=True, text=True, check=True)
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
        r = results[-1]
        print(f"{r['residents']:>12,} residents: {r['seconds']:>7.2f} s, peak RSS {r['peak_rss_gb']:.2f} GB "
              f"(inputs alone {r['inputs_gb']:.2f} GB), {r['moved']:,} moved", flush=True)
    if len(results) >= 2:
        first, last = results[0], results[-1]
        millions = (last["residents"] - first["residents"]) / 1e6
        per_million_s = (last["seconds"] - first["seconds"]) / millions
        per_million_gb = (last["peak_rss_gb"] - first["peak_rss_gb"]) / millions
        extra = (NATIONAL - last["residents"]) / 1e6
        print(f"growth: {per_million_s:.2f} s and {per_million_gb:.2f} GB per million residents; at 285 million: "
              f"about {last['seconds'] + per_million_s * extra:,.0f} s and "
              f"{last['peak_rss_gb'] + per_million_gb * extra:,.0f} GB in one process")


if __name__ == "__main__":
    main()
