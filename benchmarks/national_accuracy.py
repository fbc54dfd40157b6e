"""Accuracy of the national step's rules (pemadanan/national.py) on the national generator's files.

    .venv/bin/python benchmarks/national_accuracy.py --regions 33.23,33.24,34.02,33.22,33.74 \\
        --residents 20000 --seeds 1,2,3 --work /tmp/national-accuracy [--profile realistic]

Per seed: `generate_national` writes the kabupaten; each kabupaten's semesters run through Dagster (run_semester)
from a landing folder of its own, publishing to a warehouse database of its own on the embedded server (the
warehouse is not partitioned by kabupaten yet; a second call with the same --work scores again without running);
then `national_findings` reads what they published (residents'
NIKs, voter links, unlinked rows with their NIKs, eligible unregistered) and is scored against the truth:
- moved: people listed in a kabupaten while living in another one of the run, found with the right destination;
- listed twice: people listed in another kabupaten too, found where they do not live;
- listed elsewhere: eligible residents without a row where they live but with one in another kabupaten.
Each is counted per kabupaten and person: the rows of one person in one kabupaten are one finding (of a row and
its copy, the kabupaten's own duplicate detection strikes one, whichever).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))


def score(predicted: set, truth: set) -> tuple[float, float, int, int]:
    hit = len(predicted & truth)
    return (hit / len(predicted) if predicted else 1.0, hit / len(truth) if truth else 1.0, len(predicted), len(truth))


def published(url: str, semester: str, kabupaten: str):
    import pandas as pd

    from pemadanan import warehouse

    snapshot = warehouse.read_table(url, warehouse.POPULATION_SNAPSHOT, semester)
    links = warehouse.read_table(url, warehouse.VOTER_LINKS, semester)
    unlinked = warehouse.read_table(url, warehouse.UNLINKED_VOTERS, semester)
    unregistered = warehouse.read_table(url, warehouse.ELIGIBLE_UNREGISTERED, semester)
    residents = snapshot[["population_row", "nik", "name_key", "birth_date", "desa_code"]].assign(kabupaten=kabupaten)
    linked = links[["voter_row", "population_row"]].merge(snapshot[["population_row", "nik"]], on="population_row")
    voters = pd.concat([linked[["voter_row", "nik"]].assign(linked=True),
                        unlinked[["voter_row", "nik", "name_key", "birth_date"]].assign(linked=False)]
                       ).assign(kabupaten=kabupaten)
    return residents, voters, unregistered[["population_row"]].assign(kabupaten=kabupaten)


def read_truth(out: Path, semester: str, regions: list[str]) -> tuple[dict, dict]:
    """Each kabupaten's voters_truth.csv and population_truth.csv."""
    import pandas as pd

    folder = out / "truth" / semester
    return ({k: pd.read_csv(folder / k / "voters_truth.csv", dtype=str, keep_default_na=False) for k in regions},
            {k: pd.read_csv(folder / k / "population_truth.csv") for k in regions})


def truth_sets(voters: dict, population: dict, regions: list[str]) -> dict[str, set]:
    """Per kabupaten and person (a person's rows in one kabupaten are one finding: a copy of a row is struck there
    as a duplicate already, whichever of the two the linkage keeps)."""
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
    return {"moved": moved, "listed twice": twice, "listed elsewhere": elsewhere}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--regions", default="33.23,33.24,34.02,33.22,33.74")
    parser.add_argument("--residents", default="20000", help="one number for all, or one per region")
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--semesters", default="2024-S1,2024-S2")
    parser.add_argument("--profile", default="realistic")
    parser.add_argument("--work", required=True)
    args = parser.parse_args()
    work = Path(args.work).resolve()
    os.environ["PEMADANAN_DATA_DIR"] = str(work / "data")
    os.environ.pop("PEMADANAN_WAREHOUSE_URL", None)

    import pandas as pd

    from pemadanan import warehouse
    from pemadanan.national import national_findings
    from pemadanan.synthetic import GeneratorConfig, generate_national
    from pipelines.cli import run_semester

    regions = [r.strip() for r in args.regions.split(",")]
    residents = [int(n) for n in args.residents.split(",")]
    residents = residents * len(regions) if len(residents) == 1 else residents
    semesters = [s.strip() for s in args.semesters.split(",")]
    lines = []
    for seed in (int(s) for s in args.seeds.split(",")):
        out = work / f"seed-{seed}"
        if not (out / "truth" / "config.json").exists():
            generate_national(GeneratorConfig(semesters=tuple(semesters), seed=seed, profile=args.profile), regions,
                              residents, out)
        urls = {}
        for kabupaten in regions:
            view = out / "views" / kabupaten
            for semester in semesters:
                (view / semester).mkdir(parents=True, exist_ok=True)
                for name in ("population.csv", "voters.csv", "deaths.csv"):
                    link = view / semester / name
                    if not link.exists():
                        link.symlink_to(out / semester / kabupaten / name)
            urls[kabupaten] = warehouse.embedded_url(work / "data" / "warehouse",
                                                     f"seed{seed}_k{kabupaten.replace('.', '')}")
        for semester in semesters:
            for kabupaten in regions:
                published_mark = out / "views" / kabupaten / f"{semester}.published"
                if published_mark.exists():  # an earlier call of this script ran it: the rules are scored again
                    continue
                ok, message = run_semester(semester, str(out / "views" / kabupaten), urls[kabupaten])
                if not ok:
                    raise SystemExit(f"{kabupaten} {semester}: {message}")
                published_mark.touch()
            parts = [published(urls[k], semester, k) for k in regions]
            found = national_findings(*(pd.concat([p[i] for p in parts], ignore_index=True) for i in range(3)))
            voters, population = read_truth(out, semester, regions)
            person_of_row = {k: dict(zip(t["source_row"].astype(int), t["person_id"].astype(int), strict=True))
                             for k, t in voters.items()}
            person_of_resident = {k: t.set_index("source_row")["person_id"].to_dict() for k, t in population.items()}
            predicted = {
                "moved": {(r.kabupaten, person_of_row[r.kabupaten][r.voter_row], r.lives_in)
                          for r in found.moved.itertuples()},
                "listed twice": {(r.kabupaten, person_of_row[r.kabupaten][r.voter_row])
                                 for r in found.listed_twice.itertuples()},
                "listed elsewhere": {(r.kabupaten, person_of_resident[r.kabupaten][r.population_row])
                                     for r in found.listed_elsewhere.itertuples()},
            }
            for what, truth in truth_sets(voters, population, regions).items():
                precision, recall, n_predicted, n_truth = score(predicted[what], truth)
                lines.append(f"{seed:>4} {semester:>8} {what:<17} {precision:>9.4f} {recall:>7.4f} "
                             f"{n_predicted:>9} {n_truth:>6}")
                print(lines[-1], flush=True)
    print(f"\nregions {','.join(regions)}; residents {','.join(map(str, residents))}; profile {args.profile}")
    print(f"{'seed':>4} {'semester':>8} {'finding':<17} {'precision':>9} {'recall':>7} {'predicted':>9} {'truth':>6}")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
