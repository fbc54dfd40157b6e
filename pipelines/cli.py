"""`pemadanan`: generate sample data, run a semester through Dagster, run the demo."""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
import warnings
from pathlib import Path

from pemadanan import settings


def _prepare_dagster_home() -> Path:
    """DAGSTER_HOME, created if need be, set in the environment with every other folder as an absolute path: the
    runs, and `dagster dev` (which starts in the project root), must read the folders meant here."""
    settings.pin_environment()
    home = settings.dagster_home()
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "dagster.yaml").exists():
        shutil.copy(settings.PROJECT_ROOT / "deploy" / "dagster.yaml", home / "dagster.yaml")
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def run_semester(semester: str, landing: str | None = None, warehouse_url: str | None = None,
                 kabupaten: list[str] | None = None, replace: bool = False) -> tuple[bool, str]:
    """Materialises the semester of each kabupaten (those given, else every one landed) through Dagster, one run
    each, then the semester's national step, recorded in the instance at DAGSTER_HOME. Returns (success, what
    happened: a line per run, with its steps)."""
    if landing:
        if not Path(landing).is_dir():
            return False, _no_landing_folder(landing)
        os.environ["PEMADANAN_LANDING_DIR"] = str(Path(landing).resolve())
    if warehouse_url:
        os.environ["PEMADANAN_WAREHOUSE_URL"] = warehouse_url
    _prepare_dagster_home()
    import dagster as dg  # noqa: PLC0415 - after the environment is set, which the definitions read

    from assets.partitions import closed_semester  # noqa: PLC0415
    from pemadanan.ingest import FileRejected  # noqa: PLC0415
    from pemadanan.keys import KeyRejected, kabupaten_key  # noqa: PLC0415
    from resources import LandingZone  # noqa: PLC0415

    try:  # keys from the command line name folders and tables: checked before anything is read
        closed_semester(semester)
        kabupaten = list(dict.fromkeys(kabupaten_key(code) for code in kabupaten or []))  # each once, in order
    except KeyRejected as rejected:
        return False, str(rejected)
    zone = LandingZone()
    found = zone.delivered_kabupaten(semester) if not kabupaten else None
    lines = [f"{semester}: {refused}" for refused in (found.refused if found else [])]
    runs = []
    for code in kabupaten or found.keys:
        try:
            runs.append((code, zone.semester_files(semester, code)))
        except (FileRejected, KeyRejected) as rejected:
            lines.append(f"{semester} {code}: {rejected}")
    if not runs and not lines:
        return False, (f"{semester}: no files in {zone.path / semester}: deliver them in <semester>/<kabupaten code>/, "
                       "or name the landing folder with --landing")
    lines += [f"{semester} {code}: no {' and no '.join(files.missing)} file in {files.folder}: deliver them there, "
              "or name the landing folder with --landing" for code, files in runs if not files.complete]
    runs = [(code, files) for code, files in runs if files.complete]
    if not runs:
        return False, "\n".join(lines)
    instance = dg.DagsterInstance.get()
    from pemadanan import warehouse  # noqa: PLC0415
    from pemadanan.warehouse import locks  # noqa: PLC0415

    url = warehouse.resolve_url()  # the embedded server, if it is the warehouse, stays up while this process runs
    ready = [code for code, _ in runs]
    try:
        lock = locks.hold(url, ready, f"pemadanan run {semester} {' '.join(ready)} (pid {os.getpid()} on "
                                      f"{socket.gethostname()})")
    except locks.Held as held:
        code, _, holder = str(held).partition(": ")
        return False, (f"{semester} {code}: not started: {_in_progress(instance, code) or holder} is running it (one "
                       "run of a kabupaten at a time): wait for it to end, then run again")
    try:
        refused = _refusals(instance, url, semester, dict(runs), zone.path, replace)
        if refused:
            return False, "\n".join(refused)
        return _run_kabupaten_then_national(instance, lock, url, semester, runs, lines)
    finally:
        lock.close()  # lets go of the locks


def _in_progress(instance, kabupaten: str) -> str | None:
    """The run of the kabupaten the instance has queued or running, as the queue sees it (deploy/dagster.yaml: one
    run of each wilayah at a time, whatever the semester), e.g. `run 1f0c... (2024-S2|33.24, STARTED)`."""
    import dagster as dg  # noqa: PLC0415

    from assets.partitions import IN_FLIGHT  # noqa: PLC0415

    runs = instance.get_runs(dg.RunsFilter(statuses=list(IN_FLIGHT), tags={"dagster/partition/wilayah": kabupaten}),
                             limit=1)
    return (f"run {runs[0].run_id} ({runs[0].tags.get('dagster/partition', kabupaten)}, {runs[0].status.value})"
            if runs else None)


def _refusals(instance, url: str, semester: str, files: dict, landing: Path, replace: bool) -> list[str]:
    """A line for each kabupaten (`files`: its SemesterFiles) that must not run now: a run of it queued or running in
    the Dagster instance (the UI, the sensor, a backfill), or its semester published from other files in another
    landing folder and --replace not given (a sample in another folder once replaced the demo's 50,000 residents
    with 5,017 rows). The same files copied to another folder publish the same tables: not refused."""
    from pemadanan import warehouse  # noqa: PLC0415

    lines = [f"{semester} {code}: not started: {running} is running it (one run of a kabupaten at a time): wait for "
             "it to end, or cancel it in the Dagster UI if its process is gone, then run again"
             for code in files if (running := _in_progress(instance, code))]
    published = warehouse.publications(url)
    if not replace and "landing" in published.columns:
        for code, delivered in files.items():
            other = published["landing"].get((semester, code))
            if (isinstance(other, str) and Path(other) != landing.resolve()
                    and not _published_from(url, semester, code, delivered)):
                lines.append(f"{semester} {code}: not started: published from {other}, not {landing.resolve()}: run "
                             "with --replace to replace it with this folder's files")
    return lines


def _published_from(url: str, semester: str, kabupaten: str, files) -> bool:
    """The kabupaten's semester was published from files with the bytes of these (population and voters)."""
    from pemadanan import warehouse  # noqa: PLC0415

    def digest(path: Path) -> str:
        with path.open("rb") as file:  # read in chunks: a national file is hundreds of megabytes
            return hashlib.file_digest(file, "sha256").hexdigest()

    return all((semester, kabupaten) in warehouse.published_with_digest(url, dataset, digest(path))
               for dataset, path in (("population", files.population), ("voters", files.voters)))


def _run_kabupaten_then_national(instance, lock, url: str, semester: str, runs: list,
                                 lines: list[str]) -> tuple[bool, str]:
    from assets.partitions import partition_key, register  # noqa: PLC0415
    from pemadanan.report import report_path  # noqa: PLC0415
    from pemadanan.sizing import run_tags  # noqa: PLC0415
    from pemadanan.warehouse import locks  # noqa: PLC0415
    from pipelines import definitions  # noqa: PLC0415

    succeeded = not lines
    for code, files in runs:
        register(instance, semester, code)
        result = _run(instance, definitions.semester_job, partition_key(semester, code), f"{semester} {code}",
                      run_tags(files.population))
        if result.success:
            report = report_path(settings.reports_dir(), semester, code).resolve()
            lines += [f"{semester} {code}: run {result.run_id} succeeded", _step_lines(result), f"report: {report}"]
        else:
            lines.append(f"{semester} {code}: run {result.run_id} failed: {_first_failure(result)}")
            succeeded = False
    if any(line.endswith("succeeded") for line in lines):
        waited_for = locks.wait_for_national_step(lock)
        if waited_for:
            lines.append(f"{semester} national step: waited for {waited_for}'s to end")
        result = _run(instance, definitions.national_job, semester, f"{semester} national")
        lines.append(f"{semester} national step: run {result.run_id} "
                     + ("succeeded" if result.success else f"failed: {_first_failure(result)}"))
        succeeded &= result.success
        # Its findings reach the officers of every kabupaten it read, as officer_files_sensor does in a deployment.
        from pemadanan import warehouse  # noqa: PLC0415

        for code in sorted(warehouse.publications(url).xs(semester, level="semester").index if result.success else []):
            files = _run(instance, definitions.officer_files_job, partition_key(semester, code),
                         f"{semester} {code} coklit lists and report")
            lines.append(f"{semester} {code} coklit lists and report with the national findings: run {files.run_id} "
                         + ("succeeded" if files.success else f"failed: {_first_failure(files)}"))
            succeeded &= files.success
    return succeeded, "\n".join(lines)


def _no_landing_folder(landing: str) -> str:
    return (f"landing folder {Path(landing).absolute()} does not exist (or is no folder): name the folder the semester "
            "folders are delivered in with --landing")


def _run(instance, job_fn, key: str, label: str, tags: dict[str, str] | None = None):
    """One run of the job `job_fn` returns, for the partition `key`, through Dagster's execute_job, with the config
    the job gives the partition (its executor: `jobs.execution_for`), as a run launched from the UI gets."""
    import dagster as dg  # noqa: PLC0415

    job = job_fn()
    # The console shows a line per run; every event, tracebacks included, is in the run (Dagster UI).
    run_config = {**job.get_run_config_for_partition_key(key),
                  "loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
    marker = {"pemadanan/launched_by": f"pemadanan run {uuid.uuid4()}"}  # finds the run while it runs
    tags = {**job.partitions_def.get_tags_for_partition_key(key), **(tags or {}), **marker}
    with _progress_bar(label) as progress, _watching_steps(instance, marker, len(job.graph.nodes), progress):
        return dg.execute_job(dg.reconstructable(job_fn), instance=instance, run_config=run_config, tags=tags)


@contextlib.contextmanager
def _watching_steps(instance, marker: dict[str, str], steps: int, progress):
    """Tells `progress` every second how many of the run's steps are done and which one runs, read from the
    run's events; only on a terminal, where the bar shows."""
    if not sys.stderr.isatty():
        yield
        return
    import dagster as dg  # noqa: PLC0415

    stop = threading.Event()

    def watch() -> None:
        while not stop.wait(1):
            runs = instance.get_runs(dg.RunsFilter(tags=marker), limit=1)
            if not runs:
                continue
            records = instance.all_logs(runs[0].run_id, of_type={dg.DagsterEventType.STEP_START,
                                                                 dg.DagsterEventType.STEP_SUCCESS})
            done = [r.step_key for r in records if r.dagster_event.event_type == dg.DagsterEventType.STEP_SUCCESS]
            running = [r.step_key for r in records if r.step_key not in done]
            progress(len(done), steps, running[-1] if running else "")

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        yield
    finally:
        stop.set()
        watcher.join()


def _step_lines(result) -> str:
    """One line per step: its time, and the rows it produced (the tables it published)."""
    seconds, rows, tables, notes = {}, {}, {}, []
    for event in result.all_events:
        if event.is_step_success:
            seconds[event.step_key] = event.event_specific_data.duration_ms / 1000
        elif event.is_step_materialization:
            metadata = event.step_materialization_data.materialization.metadata
            ignored = metadata.get("review_decisions_ignored")
            if ignored is not None and ignored.value:
                notes.append(f"  review decisions: {ignored.value} ignored (why: the run's log in the Dagster UI, and "
                             "restricted.review_decisions)")
            if "dagster/row_count" in metadata:
                rows[event.step_key] = rows.get(event.step_key, 0) + int(metadata["dagster/row_count"].value)
            tables[event.step_key] = tables.get(event.step_key, 0) + 1
    lines = []
    for step, took in seconds.items():
        made = f"{rows.get(step, 0):>10,} rows" if step in rows else ""
        if tables.get(step, 0) > 1:
            made += f" in {tables[step]} tables"
        lines.append(f"  {step:<26} {took:7.1f} s {made}".rstrip())
    return "\n".join(lines + notes)


def _first_failure(result) -> str:
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data.error:
            error = event.step_failure_data.error
            while error.cause is not None and "dagster" in error.cls_name.lower():
                error = error.cause
            message = error.message.strip().splitlines()[0] if error.message.strip() else error.cls_name
            message = re.sub(r"^[\w.]*\.?" + re.escape(error.cls_name) + r": ", "", message)  # the class says nothing
            return f"step {event.step_key}: {message} (details in the run, Dagster UI)"
    return "see the run in the Dagster UI"


@contextlib.contextmanager
def _progress_bar(what: str):
    """A bar on stderr for `progress(done, total, label)` callbacks; nothing when stderr is not a terminal."""
    from tqdm import tqdm  # noqa: PLC0415

    with tqdm(desc=what, unit="step", disable=None, leave=False, ncols=100, bar_format="{desc}{bar} {n}/{total} {elapsed}") as bar:
        def progress(done: int, total: int, label: str) -> None:
            bar.total = total
            bar.set_description(f"{what}: {label}" if label else what, refresh=False)
            bar.update(done - bar.n)
            bar.refresh()
        yield progress


def cmd_generate(args: argparse.Namespace) -> int:
    from pemadanan.keys import shown  # noqa: PLC0415
    from pemadanan.synthetic import GeneratorConfig, generate, generate_national  # noqa: PLC0415

    if not re.fullmatch(r"[0-9]+(,[0-9]+)*", args.residents):  # int() also takes " 5", "٥" and "5_000"
        print(f"pemadanan generate: --residents {shown(args.residents)}: a number of residents, or one per --regions "
              "code, e.g. 50000 or 20000,30000", file=sys.stderr)
        return 2
    residents = [int(n) for n in args.residents.split(",")]
    regions = [r.strip() for r in args.regions.split(",")] if args.regions else [args.region]
    if len(residents) == 1:
        residents *= len(regions)
    config = GeneratorConfig(kabupaten=regions[0], residents=residents[0],
                             semesters=tuple(s.strip() for s in args.semesters.split(",")), seed=args.seed,
                             profile=args.profile)
    started = time.perf_counter()
    try:
        with _progress_bar("generate") as progress:
            if args.regions:
                counts = generate_national(config, regions, residents, Path(args.out), progress=progress)
            else:
                counts = {s: {"": files} for s, files in generate(config, Path(args.out), progress).items()}
    except ValueError as error:
        print(f"pemadanan generate: {error}", file=sys.stderr)
        return 2
    for semester, by_kabupaten in counts.items():
        for kabupaten, files in by_kabupaten.items():
            print(f"{semester} {kabupaten}".rstrip() + ": " + ", ".join(f"{n:,} {name}" for name, n in files.items()))
    print(f"written to {args.out} in {time.perf_counter() - started:.1f} s (truth in {Path(args.out) / 'truth'})")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    ok, message = run_semester(args.semester, args.landing, args.warehouse, args.kabupaten, args.replace)
    print(message, file=sys.stdout if ok else sys.stderr)
    return 0 if ok else 1


def cmd_demo(args: argparse.Namespace) -> int:
    from pemadanan import file_server, warehouse  # noqa: PLC0415
    from pemadanan.report import report_path  # noqa: PLC0415
    from pemadanan.synthetic import GeneratorConfig, generate  # noqa: PLC0415

    sample = settings.data_dir() / "sample"
    semesters = ("2024-S1", "2024-S2")
    if not (sample / semesters[-1] / "voters.csv").exists():
        print(f"generating a sample kabupaten ({args.residents:,} residents of Kab. Temanggung, 33.23) in {sample}")
        with _progress_bar("generate") as progress:
            generate(GeneratorConfig(kabupaten="33.23", residents=args.residents, semesters=semesters, seed=7), sample,
                     progress)
    for semester in semesters:
        started = time.perf_counter()
        ok, message = run_semester(semester, str(sample))
        first, _, steps = message.partition("\n")
        print(f"{first} ({time.perf_counter() - started:.1f} s)" + (f"\n{steps}" if steps else ""))
        if not ok:
            return 1
    url = warehouse.resolve_url()
    summary = warehouse.read_table(url, warehouse.LINK_SUMMARY)
    quarantine = warehouse.read_table(url, warehouse.QUARANTINE)
    print("\nsemester   voters   linked  duplicates  unlinked  link rate  quarantined rows")
    for semester in semesters:
        row = summary[(summary["semester"] == semester) & (summary["region_level"] == "kabupaten")].iloc[0]
        quarantined = int((quarantine["semester"] == semester).sum())
        # Desa counts can be suppressed (NULL), so the columns read back as floats: the kabupaten row never is.
        voters, linked, duplicates, unlinked = (int(row[c]) for c in ("voters", "linked", "duplicates", "unlinked"))
        print(f"{semester}  {voters:>7,}  {linked:>7,}  {duplicates:>10,}  {unlinked:>8,}  {row.link_rate:>9.2%}  {quarantined:>16,}")
    print(f"\nreport: {file_server.url_for(report_path(settings.reports_dir(), semesters[-1], '33.23'))} "
          "(open while the UI runs)\n"
          f"open the Dagster UI on these runs: .venv/bin/pemadanan ui --landing {sample}\n"
          f"tables: {warehouse.describe(url)} (schemas restricted, published; see docs/TABLES.md)")
    if not os.environ.get("PEMADANAN_WAREHOUSE_URL"):  # the embedded warehouse: how psql and dashboards reach it
        folder = settings.data_dir() / "warehouse"
        served = warehouse.serving_url(folder)
        print(("" if served else "for psql and dashboards: .venv/bin/pemadanan warehouse start, then\n")
              + _logins(folder, served or f"postgresql://postgres@127.0.0.1:{WAREHOUSE_PORT}/pemadanan"))
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    """Scores each kabupaten of the semester (or the one given) against the generator's truth: its files ingested, the
    linkage cascade and the TMS/unregistered outputs run outside Dagster. Every kabupaten, not the first landed: a
    multi-kabupaten sample scored on one of them reads as the sample's score."""
    from pemadanan import ingest  # noqa: PLC0415
    from pemadanan.evaluation import semester_truth  # noqa: PLC0415
    from pemadanan.keys import KeyRejected, kabupaten_key, semester_key  # noqa: PLC0415
    from resources import LandingZone  # noqa: PLC0415

    truth = Path(args.truth)
    landing = LandingZone(root=str(Path(args.landing) if args.landing else truth.parent))
    try:
        semester_key(args.semester)
        codes = [kabupaten_key(args.kabupaten)] if args.kabupaten else landing.delivered_kabupaten(args.semester).keys
        if not codes:
            print(f"pemadanan evaluate: no kabupaten delivered in {landing.path / args.semester}: name the folder "
                  "with the semester's files with --landing", file=sys.stderr)
            return 1
        chosen = []
        for code in codes:
            files = landing.semester_files(args.semester, code)
            folder = semester_truth(truth, args.semester, code)
            if folder is None:
                print(f"pemadanan evaluate: no truth of {args.semester} {code} in {truth} (neither {args.semester}/{code}/"
                      f"voters_truth.csv nor {args.semester}/voters_truth.csv): name the generator's truth folder with "
                      "--truth", file=sys.stderr)
                return 1
            if not files.complete:
                print(f"pemadanan evaluate: no {' and no '.join(files.missing)} file in {files.folder}", file=sys.stderr)
                return 1
            chosen.append((code, files))
    except (ingest.FileRejected, KeyRejected) as rejected:
        print(f"pemadanan evaluate: {rejected}", file=sys.stderr)
        return 1
    for code, files in chosen:
        print(_evaluate_kabupaten(args.semester, code, files, truth), end="\n\n" if len(chosen) > 1 else "\n")
    return 0


def _evaluate_kabupaten(semester_key: str, code: str, files, truth: Path) -> str:
    from pemadanan import ingest, maintenance, tms  # noqa: PLC0415
    from pemadanan.evaluation import evaluate, evaluate_outputs, load_truth  # noqa: PLC0415
    from pemadanan.linkage import link  # noqa: PLC0415
    from pemadanan.semester import Semester, SemesterInputs  # noqa: PLC0415
    from resources import ElectionCalendar  # noqa: PLC0415

    population = ingest.ingest(ingest.POPULATION, files.population, semester_key, kabupaten=code)
    voters = ingest.ingest(ingest.VOTERS, files.voters, semester_key, kabupaten=code)
    started = time.perf_counter()
    result = link(voters.accepted, population.accepted)  # the cascade alone: review decisions need a publication
    seconds = time.perf_counter() - started
    lines = [f"{semester_key} {code}: {len(voters.accepted):,} voter rows, {len(population.accepted):,} residents; "
             f"linkage {seconds:.1f} s, {result.pairs_compared:,} pairs compared in the probabilistic stage\n",
             evaluate(result, voters.accepted, population.accepted, load_truth(truth, semester_key, code)).report()]

    # The outputs, as the run computes them without a previous semester, nor the other kabupaten (so no TMS 4 of
    # moves: see README).
    deaths = ingest.ingest(ingest.DEATHS, files.deaths, semester_key) if files.deaths else ingest.no_deaths_file()
    term = Semester.parse(semester_key)
    semester = SemesterInputs(term.reference_date, term.previous().reference_date,
                              ElectionCalendar().judging_day(term.reference_date), voters.accepted, population.accepted,
                              result, ingest.quarantined_niks(voters))
    known = maintenance.remembered_deaths(deaths.accepted, semester_key, None)
    changes = maintenance.population_changes(population.accepted, known, term.reference_date,
                                             term.previous().reference_date, None)
    lines.append("\n" + evaluate_outputs(tms.tms_candidates(semester, changes, known),
                                         maintenance.eligible_unregistered(semester), voters.accepted,
                                         population.accepted, truth, semester_key, code))
    return "\n".join(lines)


WAREHOUSE_PORT = 5433


def _logins(folder: Path, served_at: str) -> str:
    """How to log in to the embedded warehouse served at `served_at`, no password shown: the owner's is in a file
    only they read; the dashboard URL reads its password from a pgpass file, so that it works as printed."""
    from pemadanan import warehouse  # noqa: PLC0415

    dashboard = warehouse.dashboard_url(folder, served_at)
    return (f"  owner: {warehouse.describe(served_at)} (password "
            f"in {(folder / warehouse.SUPERUSER_PASSWORD).resolve()}, readable by you only)\n"
            + (f"  dashboards: {dashboard}\n  (psql and libpq read the password from that file, readable by you only; "
               "for Metabase or Superset it is the file's last field)" if dashboard else
               "  dashboards: none yet (a run's publish creates the role and keeps its password)"))


def cmd_warehouse(args: argparse.Namespace) -> int:
    """The embedded warehouse for psql and dashboards: start serves it on 127.0.0.1, stop ends that, status says."""
    from pemadanan import warehouse  # noqa: PLC0415

    folder = settings.data_dir() / "warehouse"
    if args.action == "start":
        try:
            url = warehouse.serve(folder, args.port)
        except (warehouse.WarehouseUnavailable, subprocess.CalledProcessError) as error:
            print(f"cannot serve the warehouse: {error} (log: {folder / 'pgdata' / 'serving.log'})", file=sys.stderr)
            return 1
        print(f"serving until `pemadanan warehouse stop`\n{_logins(folder, url)}")
    elif args.action == "stop":
        print("stopped" if warehouse.stop_serving(folder) else "was not serving")
    else:
        url = warehouse.serving_url(folder)
        if url is None:
            print("not serving (runs start and stop the embedded server themselves)", file=sys.stderr)
            return 1
        print(f"serving\n{_logins(folder, url)}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """Writes the semester's report from what it published; its path is the last line."""
    from pemadanan import report, warehouse  # noqa: PLC0415

    try:
        path = report.write_report(warehouse.resolve_url(), args.semester, args.kabupaten, settings.reports_dir())
    except (ValueError, warehouse.WarehouseUnavailable) as error:
        print(f"no report: {error}", file=sys.stderr)
        return 1
    print(path.resolve())
    return 0


def cmd_ui(args: argparse.Namespace) -> int:
    """The Dagster UI (`dagster dev`: webserver and daemon) on this project's instance, and beside it the file
    server that makes its report and Data Docs links open."""
    from pemadanan import file_server, warehouse  # noqa: PLC0415

    if args.landing and not Path(args.landing).is_dir():
        print(_no_landing_folder(args.landing), file=sys.stderr)
        return 1
    # Both ports before anything starts: with 3000 taken, dagster dev went on, printed the other UI's address as its
    # own and started a second daemon on this instance.
    for port, option in ((args.port, "--port"), (args.files_port, "--files-port")):
        if port and not _port_free(port):
            print(f"port {port} on 127.0.0.1 is taken (another `pemadanan ui`, or another program): stop it, or choose "
                  f"another port with {option}", file=sys.stderr)
            return 1
    if args.landing:
        os.environ["PEMADANAN_LANDING_DIR"] = str(Path(args.landing).resolve())
    home = _prepare_dagster_home()
    warehouse.resolve_url()  # the embedded server, if it is the warehouse, stays up while the UI runs its runs
    files = file_server.serve(args.files_port)
    os.environ["PEMADANAN_FILES_URL"] = f"http://127.0.0.1:{files.server_port}"  # runs launched here link to it
    print(f"Dagster UI: http://127.0.0.1:{args.port} (instance {home.resolve()}, landing {settings.landing_dir()})\n"
          f"reports and Data Docs: http://127.0.0.1:{files.server_port}/\nCtrl-C stops both", flush=True)
    # Ctrl-C or SIGTERM here becomes a SIGINT to dagster dev, which then stops its webserver, daemon and code
    # servers. Setting the handler also undoes an ignored SIGINT inherited from a background shell, which dagster
    # dev would inherit in turn and so never stop. Its own session keeps a terminal's Ctrl-C from reaching it twice.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    dagster = subprocess.Popen([str(Path(sys.executable).parent / "dagster"), "dev", "-w", "workspace.yaml",
                                "-h", "127.0.0.1", "-p", str(args.port)], cwd=settings.PROJECT_ROOT,
                               start_new_session=True)
    try:
        return dagster.wait()
    except KeyboardInterrupt:
        dagster.send_signal(signal.SIGINT)
        try:
            return dagster.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(dagster.pid, signal.SIGKILL)
            return 1
    finally:
        files.shutdown()


def _port_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers bind: a closed port in TIME_WAIT is free
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def cmd_docs(_: argparse.Namespace) -> int:
    from pemadanan.quality import checks_markdown  # noqa: PLC0415
    from pemadanan.warehouse import dashboards_markdown, tables_markdown  # noqa: PLC0415

    (settings.PROJECT_ROOT / "docs" / "TABLES.md").write_text(tables_markdown() + "\n")
    (settings.PROJECT_ROOT / "docs" / "DASHBOARDS.md").write_text(dashboards_markdown() + "\n")
    (settings.PROJECT_ROOT / "docs" / "VALIDATION.md").write_text(checks_markdown() + "\n")
    return 0


def main(argv: list[str] | None = None) -> int:
    # Headless servers have no XDG_RUNTIME_DIR; platformdirs' fallback to /tmp is fine and not worth a warning line.
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
    parser = argparse.ArgumentParser(prog="pemadanan", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    gen = sub.add_parser("generate", help="write a synthetic kabupaten with ground truth")
    gen.add_argument("--region", default="33.23", help="kabupaten/kota code, e.g. 33.23")
    gen.add_argument("--regions", help="several kabupaten, e.g. 33.23,33.24,34.02: files in <out>/<semester>/<code>/, "
                                       "with people moving between them and listed in two")
    gen.add_argument("--residents", default="50000",
                     help="residents, one number for every kabupaten or one per --regions code (default 50000)")
    gen.add_argument("--semesters", default="2024-S1,2024-S2")
    gen.add_argument("--seed", type=int, default=7)
    gen.add_argument("--profile", default="realistic", choices=("realistic", "basic", "harsh", "hard"),
                     help="defect rates: realistic (default; the phenomena of real DPT/DKB files), basic, harsh "
                          "(realistic, with the defects of names, birth dates and NIKs at 4x: for measuring linkage), "
                          "or hard (realistic, with movers' NIKs spoiled, same-day namesakes across kabupaten and "
                          "Indonesian name frequencies: for measuring the national step)")
    gen.add_argument("--out", required=True)
    gen.set_defaults(func=cmd_generate)

    run = sub.add_parser("run", help="materialise one semester through Dagster: each kabupaten, then the national step")
    run.add_argument("--semester", required=True, help="e.g. 2024-S1")
    run.add_argument("--kabupaten", nargs="+", metavar="CODE",
                     help="kabupaten codes to run, e.g. 33.23 33.24 (default: every one landed for the semester)")
    run.add_argument("--landing", help="landing folder (default $PEMADANAN_LANDING_DIR or data/landing)")
    run.add_argument("--warehouse", help="PostgreSQL URL (default $PEMADANAN_WAREHOUSE_URL or the embedded server)")
    run.add_argument("--replace", action="store_true",
                     help="replace a kabupaten's semester published from another landing folder")
    run.set_defaults(func=cmd_run)

    demo = sub.add_parser("demo", help="generate a sample kabupaten and run two semesters")
    demo.add_argument("--residents", type=int, default=50_000)
    demo.set_defaults(func=cmd_demo)

    evaluate = sub.add_parser("evaluate", help="score the linkage of a generated semester against its truth")
    evaluate.add_argument("--semester", required=True)
    evaluate.add_argument("--truth", required=True, help="the generator's truth folder, e.g. data/sample/truth")
    evaluate.add_argument("--landing", help="folder with the semester's files (default: the truth folder's parent)")
    evaluate.add_argument("--kabupaten", metavar="CODE", help="the kabupaten to score (default: each one landed)")
    evaluate.set_defaults(func=cmd_evaluate)

    rep = sub.add_parser("report", help="write a kabupaten's semester report (HTML) from what it published")
    rep.add_argument("--semester", required=True)
    rep.add_argument("--kabupaten", required=True, metavar="CODE", help="e.g. 33.23")
    rep.set_defaults(func=cmd_report)

    serve = sub.add_parser("warehouse", help="serve the embedded warehouse on 127.0.0.1 for psql and dashboards")
    serve.add_argument("action", choices=("start", "stop", "status"))
    serve.add_argument("--port", type=int, default=WAREHOUSE_PORT)
    serve.set_defaults(func=cmd_warehouse)

    ui = sub.add_parser("ui", help="the Dagster UI on this project's runs, with its report and Data Docs links served")
    ui.add_argument("--port", type=int, default=3000)
    ui.add_argument("--files-port", type=int, default=3031, help="where reports and Data Docs are served (0: any)")
    ui.add_argument("--landing", help="landing folder the sensor watches (default $PEMADANAN_LANDING_DIR or data/landing)")
    ui.set_defaults(func=cmd_ui)

    docs = sub.add_parser("docs", help="regenerate docs/TABLES.md, docs/DASHBOARDS.md and docs/VALIDATION.md")
    docs.set_defaults(func=cmd_docs)

    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
