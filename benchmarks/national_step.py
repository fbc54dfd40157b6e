"""Time and memory of the national step's rules (pemadanan/national.py) as the country grows: synthetic inputs of
N residents spread over 514 kabupaten, 0.7 N voter rows of which 5% are unlinked (half of those people living in
another kabupaten, a tenth without a usable NIK), each size in a fresh process; prints seconds, peak RSS and the
growth per million residents, and extrapolates both to 285 million.

With --postgres, the part that grows with the country is measured where it would run at national size: the NIK
index (NIK, kabupaten, desa of every resident, as restricted.population_snapshot holds them, with an index on
NIK) in the embedded PostgreSQL, and the lookup of the unlinked rows' NIKs in it (a temporary table joined to
it); only what that lookup returns goes through the rules in Python.

    .venv/bin/python benchmarks/national_step.py --residents 1000000,3000000,10000000 [--postgres --work DIR]
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
                              "name_key": names, "birth_date": born,
                              "desa_code": pd.Series(kabupaten) + ".01.2001"})
    listed = rng.choice(n, int(0.7 * n), replace=False)
    unlinked = rng.random(len(listed)) < 0.05
    elsewhere = unlinked & (rng.random(len(listed)) < 0.5)
    voter_kabupaten = np.where(elsewhere, codes[rng.integers(0, len(codes), len(listed))], kabupaten[listed])
    voter_nik = nik.to_numpy()[listed].astype(object)
    voter_nik[unlinked & (rng.random(len(listed)) < 0.1)] = None
    voters = pd.DataFrame({"kabupaten": voter_kabupaten, "voter_row": np.arange(1, len(listed) + 1), "nik": voter_nik,
                           "linked": ~unlinked,
                           "name_key": names.to_numpy()[listed].astype(object), "birth_date": born[listed]})
    voters.loc[~unlinked, ["name_key", "birth_date"]] = None
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


def in_postgres(n: int, work: Path) -> dict:
    """Seconds to build the NIK index of n residents (publish pays it, per kabupaten) and to look up the NIKs of
    the unlinked rows (5% of 0.7 n, half of them someone's) in it (the national step)."""
    sys.path.insert(0, str(PROJECT))
    from pemadanan import warehouse

    url = warehouse.embedded_url(work, "national_step")
    wanted = int(0.7 * n * 0.05)
    with warehouse.connect(url) as conn, conn.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS nik_index")
        started = time.perf_counter()
        # Distinct 16-digit NIKs: i * 7919 mod 9e15 never repeats (7919 is prime and does not divide 9e15).
        cur.execute("CREATE TABLE nik_index AS SELECT 1000000000000000 + (i * 7919) %% 9000000000000000 AS nik, "
                    "lpad((i %% 514)::text, 5, '0') AS kabupaten, lpad((i %% 83000)::text, 13, '0') AS desa_code "
                    "FROM generate_series(1, %s::bigint) AS i", (n,))
        cur.execute("CREATE INDEX ON nik_index (nik)")
        cur.execute("ANALYZE nik_index")
        build = time.perf_counter() - started
        cur.execute("CREATE TEMP TABLE wanted AS SELECT CASE WHEN i %% 2 = 0 "
                    "THEN 1000000000000000 + ((i * 37) %% %s + 1) * 7919 %% 9000000000000000 "
                    "ELSE 9999999999999999 - i END AS nik FROM generate_series(1, %s::bigint) AS i", (n, wanted))
        cur.execute("ANALYZE wanted")
        started = time.perf_counter()
        cur.execute("SELECT i.nik, i.kabupaten, i.desa_code FROM nik_index i JOIN wanted USING (nik)")
        found = len(cur.fetchall())
        lookup = time.perf_counter() - started
        cur.execute("SELECT pg_total_relation_size('nik_index')")
        size = cur.fetchone()[0]
        cur.execute("DROP TABLE nik_index")
    conn.close()
    return {"residents": n, "build_s": round(build, 2), "lookup_s": round(lookup, 3), "wanted": wanted,
            "found": found, "index_gb": round(size / 1024 ** 3, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--residents", default="1000000,3000000,10000000")
    parser.add_argument("--child", type=int)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--work", default="/tmp/national-step")
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    sizes = [int(x) for x in args.residents.split(",")]
    if args.postgres:
        measured = [in_postgres(n, Path(args.work)) for n in sizes]
        for m in measured:
            print(f"{m['residents']:>12,} residents: index built in {m['build_s']:.1f} s ({m['index_gb']:.2f} GB), "
                  f"{m['wanted']:,} unlinked NIKs looked up in {m['lookup_s']:.2f} s ({m['found']:,} found)", flush=True)
        first, last = measured[0], measured[-1]
        millions = (last["residents"] - first["residents"]) / 1e6
        extra = (NATIONAL - last["residents"]) / 1e6
        for key, label in (("build_s", "index build"), ("lookup_s", "lookup"), ("index_gb", "index size")):
            growth = (last[key] - first[key]) / millions
            unit = "GB" if key == "index_gb" else "s"
            print(f"{label}: {growth:.3f} {unit} per million residents; at 285 million about "
                  f"{last[key] + growth * extra:,.1f} {unit}")
        return
    results = []
    for n in sizes:
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
