"""Accuracy of the national step's rules (pemadanan/national.py) on the national generator's files.

    .venv/bin/python benchmarks/national_accuracy.py --regions 33.23,33.24,34.02,33.22,33.74 \\
        --residents 20000 --seeds 1,2,3 --work /tmp/national-accuracy [--profile realistic]

--profile is the generator's (GeneratorConfig.profile): realistic (default), basic, harsh, or hard (realistic with
movers' NIKs spoiled, same-day namesakes across kabupaten and Indonesian name frequencies: as hard for the national
step as the independent data was).

Per seed: `generate_national` writes the kabupaten; each semester runs through Dagster (`run_semester`: a run per
kabupaten, then the national step) into a warehouse database of the seed's on the embedded server (a second call
with the same --work scores again without running); what the national step published
(restricted.national_findings) is scored against the truth:
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--regions", default="33.23,33.24,34.02,33.22,33.74")
    parser.add_argument("--residents", default="20000", help="one number for all, or one per region")
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--semesters", default="2024-S1,2024-S2")
    parser.add_argument("--profile", default="realistic", help="the generator's: realistic, basic, harsh or hard")
    parser.add_argument("--work", required=True)
    args = parser.parse_args()
    work = Path(args.work).resolve()
    os.environ["PEMADANAN_DATA_DIR"] = str(work / "data")
    os.environ.pop("PEMADANAN_WAREHOUSE_URL", None)

    from pemadanan import warehouse
    from pemadanan.evaluation import national_scores
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
        url = warehouse.embedded_url(work / "data" / "warehouse", f"seed{seed}")
        for semester in semesters:
            published_mark = out / f"{semester}.published"
            if not published_mark.exists():  # else an earlier call of this script ran it: scored again
                ok, message = run_semester(semester, str(out), url, regions)
                if not ok:
                    raise SystemExit(message)
                published_mark.touch()
            for what, found in national_scores(url, out / "truth", semester, regions):
                lines.append(f"{seed:>4} {semester:>8} {what:<17} {found.precision:>9.4f} {found.recall:>7.4f} "
                             f"{found.predicted:>9} {found.relevant:>6}")
                print(lines[-1], flush=True)
    print(f"\nregions {','.join(regions)}; residents {','.join(map(str, residents))}; profile {args.profile}")
    print(f"{'seed':>4} {'semester':>8} {'finding':<17} {'precision':>9} {'recall':>7} {'predicted':>9} {'truth':>6}")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
