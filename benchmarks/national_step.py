"""Time and memory of the national step's rules (pemadanan/national.py) as the country grows: synthetic inputs of
N residents spread over 514 kabupaten, with Indonesian name frequencies (`synthetic_names.make_indonesian_names`), 0.7 N
voter rows of which 5% are unlinked (half of those people living in another kabupaten, a tenth without a usable NIK,
looked for by name and birth date), each size in a fresh process; prints seconds, peak RSS and the
growth per million residents, and extrapolates both to 285 million.

With --postgres, the national step as the asset runs it: the synthetic country is published into the warehouse's
tables (restricted.population_snapshot with its NIK and name-key indexes, voter_links, unlinked_voters,
eligible_unregistered) of a fresh database on the embedded PostgreSQL, a kabupaten at a time; then, in a fresh
process, `national.read_published` narrows them in PostgreSQL and the rules run on what it returns.

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
    sys.path.insert(0, str(PROJECT))
    from pemadanan import regions

    table = regions.region_table()
    codes = np.sort(table.loc[table["level"] == "kabupaten", "code"].to_numpy())  # the 514, as keys are checked
    nik = pd.Series(rng.choice(9 * 10 ** 15, n, replace=False) + 10 ** 15).astype(str)
    kabupaten = codes[rng.integers(0, len(codes), n)]
    born = pd.Timestamp("1940-01-01") + pd.to_timedelta(rng.integers(0, 25_000, n), unit="D")
    # Names with Indonesian frequencies (the hard profile's): common names have namesakes born every year, the
    # national step's costliest lookups.
    from pemadanan.names import name_key, normalize_name
    from pemadanan.synthetic_names import make_indonesian_names

    sex = np.where(rng.random(n) < 0.5, "L", "P")
    names = name_key(normalize_name(make_indonesian_names(rng, sex, born.year.to_numpy()))).astype(object)
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


def publish(n: int, url: str) -> None:
    """The synthetic country into the warehouse's tables, a kabupaten at a time, as the kabupaten's runs publish."""
    import pandas as pd

    sys.path.insert(0, str(PROJECT))
    from pemadanan import warehouse

    residents, voters, unregistered = inputs(n)
    residents = residents.assign(name_norm=residents["name_key"], marital=1, occupation=1)
    linked = voters[voters["linked"]].merge(residents[["kabupaten", "nik", "population_row"]], on=["kabupaten", "nik"])
    linked = linked.assign(link_method="exact_nik", match_score=1.0, explanation="{}", desa_code=None)
    unlinked = voters[~voters["linked"]].assign(reason="no resident with this NIK", desa_code=None)
    unregistered = unregistered.assign(desa_code=None, reason="eligible")
    frames = {warehouse.POPULATION_SNAPSHOT: residents, warehouse.VOTER_LINKS: linked,
              warehouse.UNLINKED_VOTERS: unlinked, warehouse.ELIGIBLE_UNREGISTERED: unregistered,
              warehouse.ROW_ISSUES: pd.DataFrame(columns=["kabupaten"])}
    parts = {table: dict(tuple(frame.groupby("kabupaten"))) for table, frame in frames.items()}
    for kabupaten in sorted(residents["kabupaten"].unique()):
        warehouse.replace_kabupaten(url, "2024-S2", kabupaten, {
            table: parts[table].get(kabupaten, frame.iloc[:0]).reindex(
                columns=[c.name for c in table.columns if c.name not in ("semester", "kabupaten")])
            for table, frame in frames.items()}, dashboard=None)
    # No ANALYZE of the whole database here: each publish analysed its tables before swapping them in, and a database
    # ANALYZE waited behind autovacuum's truncation of the partitions for over 8 minutes (2026-12-04).


def national_step(url: str) -> None:
    """The national step as the asset runs it: the PostgreSQL lookup, then the rules on what it returns."""
    sys.path.insert(0, str(PROJECT))
    from pemadanan.national import national_findings, read_published

    started = time.perf_counter()
    frames = read_published(url, "2024-S2")
    looked_up = time.perf_counter() - started
    found = national_findings(*frames)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": round(seconds, 2), "lookup_s": round(looked_up, 2),
                      "residents_returned": len(frames[0]), "voter_rows_returned": len(frames[1]),
                      "peak_rss_gb": round(peak / 1024 ** 2, 2), "moved": len(found.moved)}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--residents", default="1000000,3000000,10000000")
    parser.add_argument("--child", type=int)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--publish", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--step", help=argparse.SUPPRESS)
    parser.add_argument("--work", default="/tmp/national-step")
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    if args.publish:
        publish(args.publish, args.url)
        return
    if args.step:
        national_step(args.step)
        return
    sizes = [int(x) for x in args.residents.split(",")]
    if args.postgres:
        sys.path.insert(0, str(PROJECT))
        from pemadanan import warehouse

        measured = []
        for n in sizes:
            url = warehouse.embedded_url(Path(args.work), f"national_step_{n}")
            started = time.perf_counter()
            subprocess.run([sys.executable, __file__, "--publish", str(n), "--url", url], check=True)
            published = time.perf_counter() - started
            done = subprocess.run([sys.executable, __file__, "--step", url], capture_output=True, text=True, check=True)
            m = {"residents": n, "publish_s": round(published, 1), **json.loads(done.stdout.strip().splitlines()[-1])}
            measured.append(m)
            print(f"{n:>12,} residents (published in 514 kabupaten in {m['publish_s']:.0f} s): national step "
                  f"{m['seconds']:.2f} s, of which the lookup {m['lookup_s']:.2f} s returning {m['residents_returned']:,} "
                  f"residents and {m['voter_rows_returned']:,} voter rows; peak RSS {m['peak_rss_gb']:.2f} GB", flush=True)
        if len(measured) >= 2:
            first, last = measured[0], measured[-1]
            millions = (last["residents"] - first["residents"]) / 1e6
            extra = (NATIONAL - last["residents"]) / 1e6
            for key, unit in (("seconds", "s"), ("peak_rss_gb", "GB")):
                growth = (last[key] - first[key]) / millions
                print(f"{key}: {growth:.3f} {unit} per million residents; at 285 million about "
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
