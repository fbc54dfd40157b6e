"""The warehouse under stress: concurrent first publishes, and the dashboard password kept off the wire."""

import re
import threading
import time

import pandas as pd
import psycopg2
import pytest
from conftest import free_port

from pemadanan import warehouse
from pemadanan.warehouse import DashboardRole, publish


def deliveries(n: int) -> pd.DataFrame:
    return pd.DataFrame({"dataset": ["voters"], "file_name": ["voters.csv"], "rows_in": [n], "rows_accepted": [n],
                         "rows_quarantined": [0], "rows_flagged": [0], "rows_repaired": [0], "file_sha256": ["0" * 64]})


def test_two_semesters_first_published_at_once_both_land(fresh_database):
    url = fresh_database("warehouse")
    errors = []

    def publish(semester: str) -> None:
        try:
            warehouse.replace_kabupaten(url, semester, "33.23", {warehouse.DELIVERIES: deliveries(10),
                                                                  warehouse.LINK_SUMMARY: pd.DataFrame(columns=[
                                                                      c.name for c in warehouse.LINK_SUMMARY.columns])},
                                        dashboard=None)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
    threads = [threading.Thread(target=publish, args=(s,)) for s in ("2024-S1", "2024-S2", "2025-S1")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(warehouse.read_table(url, warehouse.DELIVERIES)["semester"]) == ["2024-S1", "2024-S2", "2025-S1"]


def test_every_value_lands_as_it_was_in_the_frame(fresh_database):
    """Text with the characters CSV quotes, an empty text apart from a missing one, whole numbers with gaps, floats,
    booleans with gaps, dates, times and JSON, through COPY and back."""
    url = fresh_database("warehouse")
    table = warehouse.Table("restricted", "types_probe", "every type the tables use", (
        warehouse.SEMESTER, warehouse.Column("note", "text", ""), warehouse.Column("n", "integer", ""),
        warehouse.Column("x", "double precision", ""), warehouse.Column("ok", "boolean", ""),
        warehouse.Column("born", "date", ""), warehouse.Column("at", "timestamptz", ""),
        warehouse.Column("why", "jsonb", "")))
    frame = pd.DataFrame({
        "note": pd.Series(['SITI, "ST" AMINAH\nRT 1', "", None, "Ñoño ’"], dtype="string"),
        "n": [1.0, None, 3.0, -4.0], "x": [0.1, None, 1e-9, 123456.789],
        "ok": pd.array([True, None, False, True], dtype="boolean"),
        "born": pd.to_datetime(["1990-02-28", None, "2007-11-30", "1950-01-01"]),
        "at": pd.to_datetime(["2024-06-30 10:00:00+07:00", None, "2024-12-31 23:59:59+00:00", "2025-01-01 00:00:00+00:00"],
                             utc=True),
        "why": ['{"nik": "equal", "w": 1.5}', "{}", None, '{"a": [1, 2]}']})
    warehouse.replace_kabupaten(url, "2024-S1", "33.23", {table: frame}, dashboard=None)
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT note, n, x, ok, born::text, extract(epoch FROM at), why::text FROM restricted.types_probe")
        rows = sorted(cur.fetchall(), key=lambda row: (row[1] is None, row[1] or 0))
    conn.close()
    assert rows == [
        ("Ñoño ’", -4, 123456.789, True, "1950-01-01", 1735689600, '{"a": [1, 2]}'),
        ('SITI, "ST" AMINAH\nRT 1', 1, 0.1, True, "1990-02-28", 1719716400, '{"w": 1.5, "nik": "equal"}'),
        (None, 3, 1e-9, False, "2007-11-30", 1735689599, None),
        ("", None, None, None, None, None, "{}"),
    ]
    # And back through `read_semester`, as the next semester reads its predecessor.
    back = warehouse.read_semester(url, table, "2024-S1")
    columns = ["note", "n", "x", "ok", "born"]
    expected = frame[columns].astype({"n": "Int64"})
    pd.testing.assert_frame_equal(back[columns].sort_values("x").reset_index(drop=True),
                                  expected.sort_values("x").reset_index(drop=True))


class RecordingCursor(psycopg2.extensions.cursor):
    statements: list[str] = []

    def execute(self, query, vars=None):  # noqa: A002 - psycopg2's name
        RecordingCursor.statements.append(self.mogrify(query, vars).decode())
        return super().execute(query, vars)


def test_the_dashboard_password_never_reaches_the_server_as_text(fresh_database):
    url = fresh_database("warehouse")
    password = "s3cret-for-dashboards"  # noqa: S105 - a throwaway server's role
    with psycopg2.connect(warehouse.libpq_url(url), cursor_factory=RecordingCursor) as conn, conn.cursor() as cur:
        cur.execute("CREATE SCHEMA IF NOT EXISTS published")
        cur.execute("CREATE SCHEMA IF NOT EXISTS restricted")
        publish._grant_dashboard(cur, warehouse.DashboardRole("dashboard_test", password))
    conn.close()
    sent = "\n".join(RecordingCursor.statements)
    assert "SCRAM-SHA-256$" in sent and password not in sent
    with psycopg2.connect(warehouse.libpq_url(url), user="dashboard_test", password=password) as conn:
        assert conn.status == psycopg2.extensions.STATUS_READY
    conn.close()


def test_a_server_gone_mid_publish_is_one_line_and_leaves_nothing_of_the_semester(fresh_database, monkeypatch):
    import pytest

    url = fresh_database("warehouse")
    warehouse.replace_kabupaten(url, "2024-S1", "33.23", {warehouse.DELIVERIES: deliveries(10)}, dashboard=None)
    ensure = publish._ensure_table

    def dies_at_the_second_table(cur, table):
        if table is warehouse.PUBLICATIONS:  # the connection is killed as a crashed server would drop it
            cur.execute("SELECT pg_terminate_backend(pg_backend_pid())")
        ensure(cur, table)
    monkeypatch.setattr(publish, "_ensure_table", dies_at_the_second_table)
    frames = {warehouse.DELIVERIES: deliveries(20), warehouse.PUBLICATIONS: pd.DataFrame({
        "published_at": [pd.Timestamp.now(tz="UTC")], "compared_with": [None], "landing": [None]})}
    with pytest.raises(warehouse.WarehouseUnavailable) as gone:
        warehouse.replace_kabupaten(url, "2024-S1", "33.23", frames, dashboard=None)
    assert "went away while 2024-S1 33.23 was published" in str(gone.value) and "\n" not in str(gone.value)
    monkeypatch.undo()
    assert warehouse.read_table(url, warehouse.DELIVERIES)["rows_in"].tolist() == [10]  # the old rows, whole


def test_an_unreachable_warehouse_is_one_line_naming_it_without_its_password():
    import pytest

    with pytest.raises(warehouse.WarehouseUnavailable) as unreachable:
        warehouse.connect("postgresql://pemadanan:hunter2@127.0.0.1:1/pemadanan")
    message = str(unreachable.value)
    assert "cannot reach the warehouse postgresql://pemadanan@127.0.0.1:1/pemadanan" in message
    assert "hunter2" not in message and "\n" not in message


def test_the_embedded_warehouse_served_on_tcp_takes_a_password_and_stops(tmp_path):
    import pytest

    port = free_port()
    folder = tmp_path / "warehouse"
    url = warehouse.serve(folder, port)
    try:
        assert url.startswith("postgresql://postgres:") and url.endswith(f"@127.0.0.1:{port}/pemadanan")
        assert warehouse.serving_url(folder) == url and warehouse.resolve_url() != url  # another data folder
        with psycopg2.connect(url) as conn, conn.cursor() as cur:
            cur.execute("SELECT current_database()")
            assert cur.fetchone() == ("pemadanan",)
        conn.close()
        with pytest.raises(psycopg2.OperationalError, match="password authentication failed"):
            psycopg2.connect(url.replace(url.split(":")[2].split("@")[0], "wrong"))
        assert oct((folder / "superuser-password").stat().st_mode & 0o777) == "0o600"
    finally:
        assert warehouse.stop_serving(folder)
    assert warehouse.serving_url(folder) is None


def test_a_table_from_before_partitioning_becomes_partitions_keeping_its_other_semesters(fresh_database):
    url = fresh_database("warehouse")
    columns = ", ".join(f"{c.name} {c.sql_type}" for c in warehouse.DELIVERIES.columns if c.name != "kabupaten")
    with psycopg2.connect(url) as conn, conn.cursor() as cur:  # as versions before partitioning made it
        cur.execute(f"CREATE SCHEMA published; CREATE TABLE {warehouse.DELIVERIES.qualified} ({columns})")
        cur.execute(f"CREATE INDEX deliveries_semester ON {warehouse.DELIVERIES.qualified} (semester)")
        for semester, rows in (("2024-S1", 10), ("2024-S2", 20)):
            cur.execute(f"INSERT INTO {warehouse.DELIVERIES.qualified} VALUES (%s, 'voters', 'voters.csv', %s, %s, 0, 0, 0)",
                        (semester, rows, rows))
    conn.close()
    warehouse.replace_kabupaten(url, "2024-S2", "33.23", {warehouse.DELIVERIES: deliveries(30)}, dashboard=None)
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT obj_description(%s::regclass)", (warehouse.DELIVERIES.qualified,))
        assert cur.fetchone()[0] == warehouse.DELIVERIES.description
    conn.close()
    # A re-run replaces it.
    warehouse.replace_kabupaten(url, "2024-S2", "33.23", {warehouse.DELIVERIES: deliveries(40)}, dashboard=None)
    published = warehouse.read_table(url, warehouse.DELIVERIES).sort_values("semester")
    assert published[["semester", "rows_in"]].values.tolist() == [["2024-S1", 10], ["2024-S2", 40]]
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT n.nspname, c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE n.nspname LIKE 'published%%' AND c.relname LIKE 'deliveries%%' AND c.relkind IN ('r', 'p') "
                    "ORDER BY 1, 2")
        assert cur.fetchall() == [("published", "deliveries", "p"),
                                  ("published_partitions", "deliveries_2024_s1", "p"),
                                  ("published_partitions", "deliveries_2024_s1_33_23", "r"),
                                  ("published_partitions", "deliveries_2024_s2", "p"),
                                  ("published_partitions", "deliveries_2024_s2_33_23", "r")]
    conn.close()
    # The rows of before were one kabupaten's: with no population snapshot to tell which, the first one published.
    assert set(warehouse.read_table(url, warehouse.DELIVERIES)["kabupaten"]) == {"33.23"}


def test_a_column_a_newer_version_appends_is_added_empty_to_the_published_table(fresh_database):
    url = fresh_database("warehouse")
    table = warehouse.UNLINKED_VOTERS
    added = ("nik", "birth_date", "name_key", "tps", "row_fingerprint", "no_kk", "birthplace")
    older = [c for c in table.columns if c.name not in (*added, "kabupaten")]
    assert [c.name for c in table.columns[-8:-1]] == list(added)
    with psycopg2.connect(url) as conn, conn.cursor() as cur:  # as the version before voter NIKs made it
        columns = ", ".join(f"{c.name} {c.sql_type}" for c in older)
        cur.execute(f"CREATE SCHEMA restricted; CREATE TABLE {table.qualified} ({columns}) PARTITION BY LIST (semester)")
        cur.execute(f"CREATE TABLE {table.qualified}_2024_s1 PARTITION OF {table.qualified} FOR VALUES IN ('2024-S1')")
        cur.execute(f"INSERT INTO {table.qualified} VALUES ('2024-S1', 7, 'NIK missing', '33.23.01.2001')")
    conn.close()
    unlinked = pd.DataFrame({"voter_row": [3], "reason": ["no resident with this NIK"], "desa_code": ["33.23.01.2002"],
                             "nik": ["3323010101900001"], "birth_date": [pd.Timestamp("1990-01-01")],
                             "name_key": ["ANI"], "tps": [4], "row_fingerprint": [-12345],
                             "no_kk": ["3323010101900001"], "birthplace": ["TEMANGGUNG"]})
    warehouse.replace_kabupaten(url, "2024-S2", "33.23", {table: unlinked}, dashboard=None)
    published = warehouse.read_table(url, table).sort_values("semester")
    assert published[["semester", "voter_row", "nik"]].astype(object).where(published.notna(), None).values.tolist() == [
        ["2024-S1", 7, None], ["2024-S2", 3, "3323010101900001"]]


def test_a_column_added_to_a_table_partitioned_by_kabupaten_goes_after_kabupaten_and_its_rows_stay(fresh_database):
    """published.deliveries as the version before file digests made it: `kabupaten` last, no file_sha256."""
    url = fresh_database("warehouse")
    older = warehouse.Table(warehouse.DELIVERIES.schema, warehouse.DELIVERIES.name, warehouse.DELIVERIES.description,
                            tuple(c for c in warehouse.DELIVERIES.columns if c.name not in ("file_sha256", "kabupaten")))
    warehouse.replace_kabupaten(url, "2024-S1", "33.23", {older: deliveries(10).drop(columns="file_sha256")},
                                dashboard=None)
    warehouse.replace_kabupaten(url, "2024-S2", "33.23", {warehouse.DELIVERIES: deliveries(20)}, dashboard=None)
    published = warehouse.read_table(url, warehouse.DELIVERIES).sort_values("semester")
    assert list(published.columns[-2:]) == ["kabupaten", "file_sha256"]
    assert published[["semester", "rows_in", "file_sha256"]].astype(object).where(published.notna(), None).values.tolist() == [
        ["2024-S1", 10, None], ["2024-S2", 20, "0" * 64]]


def test_a_semester_key_that_is_not_one_never_reaches_sql():
    import pytest

    with pytest.raises(ValueError, match="not a semester"):
        warehouse.DELIVERIES.partition("2024-S1; DROP TABLE x")
    with pytest.raises(ValueError, match="not a kabupaten/kota code"):
        warehouse.DELIVERIES.partition("2024-S1", "33.23'); DROP TABLE x; --")


def test_a_kabupaten_publishes_while_another_one_of_the_semester_is_mid_publish_and_replaces_only_its_rows(fresh_database):
    url = fresh_database("warehouse")
    for kabupaten, rows in (("33.23", 10), ("33.24", 20)):
        warehouse.replace_kabupaten(url, "2024-S1", kabupaten, {warehouse.DELIVERIES: deliveries(rows)}, dashboard=None)
    slow = psycopg2.connect(url)  # 33.23 publishing again, its transaction open: its partition emptied and locked
    with slow.cursor() as cur:
        cur.execute(f"TRUNCATE {warehouse.DELIVERIES.partition('2024-S1', '33.23')}")
    done, errors = threading.Event(), []

    def publish_other() -> None:  # as a run publishes: the dashboard role's grants included
        try:
            warehouse.replace_kabupaten(url, "2024-S1", "33.24", {warehouse.DELIVERIES: deliveries(21)},
                                        dashboard=warehouse.DashboardRole("dashboard_lock_test"))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        done.set()
    other = threading.Thread(target=publish_other, daemon=True)
    other.start()
    try:
        assert done.wait(30), "33.24's publish waited for 33.23's"
        assert errors == []
    finally:
        slow.rollback()
        slow.close()
        other.join(30)
    published = warehouse.read_table(url, warehouse.DELIVERIES).sort_values("kabupaten")
    assert published[["kabupaten", "rows_in"]].values.tolist() == [["33.23", 10], ["33.24", 21]]
    assert warehouse.read_table(url, warehouse.DELIVERIES, "2024-S1", "33.24")["rows_in"].tolist() == [21]


def test_rows_from_before_kabupaten_partitions_go_to_the_kabupaten_their_residents_live_in(fresh_database):
    url = fresh_database("warehouse")
    snapshot = warehouse.POPULATION_SNAPSHOT
    with psycopg2.connect(url) as conn, conn.cursor() as cur:  # as the version before kabupaten partitions made it
        columns = ", ".join(f"{c.name} {c.sql_type}" for c in snapshot.columns if c.name != "kabupaten")
        cur.execute(f"CREATE SCHEMA restricted; CREATE TABLE {snapshot.qualified} ({columns}) PARTITION BY LIST (semester)")
        cur.execute(f"CREATE TABLE {snapshot.qualified}_2024_s1 PARTITION OF {snapshot.qualified} FOR VALUES IN ('2024-S1')")
        cur.execute(f"INSERT INTO {snapshot.qualified} (semester, population_row, desa_code) VALUES "
                    "('2024-S1', 1, '33.24.01.2001'), ('2024-S1', 2, '33.24.02.2001')")
    conn.close()
    frame = pd.DataFrame({"population_row": [1], "desa_code": ["33.23.01.2001"]}).reindex(
        columns=[c.name for c in snapshot.columns if c.name not in ("semester", "kabupaten")])
    warehouse.replace_kabupaten(url, "2024-S2", "33.23", {snapshot: frame}, dashboard=None)
    published = warehouse.read_table(url, snapshot).sort_values(["semester", "population_row"])
    assert published[["semester", "population_row", "kabupaten"]].values.tolist() == [
        ["2024-S1", 1, "33.24"], ["2024-S1", 2, "33.24"], ["2024-S2", 1, "33.23"]]


def with_login(url: str, user: str, password: str) -> str:
    """`url` with another user and password, written raw (unencoded) as a person would paste them."""
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{user}:{password}@{rest.rpartition('@')[2]}"


def test_a_password_with_a_raw_at_sign_logs_in_through_libpq_and_sqlalchemy(fresh_database):
    import uuid

    import sqlalchemy

    url = fresh_database("warehouse")
    role, password = f"raw_at_{uuid.uuid4().hex[:8]}", "p@ss@w:rd/50%?#"  # noqa: S105 - a throwaway server's role
    conn = psycopg2.connect(warehouse.libpq_url(url))
    conn.autocommit = True
    with conn.cursor() as cur:
        verifier = psycopg2.extensions.encrypt_password(password, role, conn, "scram-sha-256")
        cur.execute(f'CREATE ROLE "{role}" LOGIN PASSWORD {warehouse.sql_literal(cur, verifier)}')
    conn.close()
    raw = with_login(url, role, password)
    conn = warehouse.connect(raw)
    try:  # the test server trusts local logins: what libpq would send is the proof
        assert (conn.info.user, conn.info.password) == (role, password)
        with conn.cursor() as cur:
            cur.execute("SELECT current_user")
            assert cur.fetchone() == (role,)
    finally:
        conn.close()
    engine = sqlalchemy.create_engine(warehouse.sqlalchemy_url(raw))
    try:
        assert (engine.url.username, engine.url.password) == (role, password)
        with engine.connect() as connection:
            assert connection.exec_driver_sql("SELECT current_user").scalar() == role
    finally:
        engine.dispose()
    assert warehouse.resolve_url(raw) == warehouse.encoded_url(raw) and "p@ss" not in warehouse.resolve_url(raw)
    assert warehouse.encoded_url(warehouse.encoded_url(raw)) == warehouse.encoded_url(raw)  # encoding twice: once
    assert password not in warehouse.describe(raw) and role in warehouse.describe(raw)


def password_fragments(password: str) -> list[str]:
    return [password[i:j] for i in range(len(password)) for j in range(i + 3, len(password) + 1)]


def test_no_part_of_a_password_with_a_raw_at_sign_reaches_an_unreachable_warehouse_message():
    import pytest

    password = "Xk@9qZ@t7w"  # noqa: S105 - nothing listens on the port
    url = f"postgresql://pemadanan:{password}@127.0.0.1:{free_port()}/pemadanan"
    with pytest.raises(warehouse.WarehouseUnavailable) as unreachable:
        warehouse.connect(url)
    message = str(unreachable.value)
    assert message.startswith("cannot reach the warehouse postgresql://pemadanan@127.0.0.1:")
    assert [part for part in password_fragments(password) if part in message] == []
    # And whatever a driver says, the message built from it carries no part of the password (libpq quotes the host
    # it was given, which a URL split at the wrong `@` makes part of the password).
    quoted = psycopg2.OperationalError('could not translate host name "9qZ@t7w@127.0.0.1" to address: Unknown host')
    said = warehouse.driver_error(quoted, url)
    assert said.startswith("could not translate host name") and "127.0.0.1" in said
    assert [part for part in password_fragments(password) if part in said] == []


class SwapMarking(psycopg2.extensions.cursor):
    def execute(self, query, *args, **kwargs):
        if "ATTACH PARTITION" in str(query):
            self.connection.swapped = True
        return super().execute(query, *args, **kwargs)


def commit_lost(outcome: str, server: dict):
    """A connection whose COMMIT of a publish (the transaction that swaps the new rows in) gets no answer: the server
    committed (`committed`), did not (`aborted`), or committed and cannot be reached afterwards (`unreachable`)."""
    class CommitLost(psycopg2.extensions.connection):
        def cursor(self, *args, **kwargs):
            return super().cursor(*args, cursor_factory=SwapMarking, **kwargs)

        def commit(self):
            if not getattr(self, "swapped", False):
                return super().commit()
            super().commit() if outcome != "aborted" else super().rollback()
            self.close()
            server["down"] = outcome == "unreachable"
            raise psycopg2.OperationalError("server closed the connection unexpectedly")
    return CommitLost


@pytest.mark.parametrize("outcome", ["committed", "aborted", "unreachable"])
def test_a_publish_whose_commit_gets_no_answer_says_what_the_server_kept(fresh_database, monkeypatch, outcome):
    url = fresh_database("warehouse")
    warehouse.replace_kabupaten(url, "2024-S1", "33.23", {warehouse.DELIVERIES: deliveries(10)}, dashboard=None)
    server, real_connect = {"down": False}, psycopg2.connect

    def connect(dsn, **kwargs):
        if server["down"]:
            raise psycopg2.OperationalError('connection to server at "127.0.0.1", port 5432 failed: Connection refused')
        return real_connect(dsn, connection_factory=commit_lost(outcome, server), **kwargs)
    monkeypatch.setattr(psycopg2, "connect", connect)
    if outcome == "committed":  # asked after reconnecting, the server says it committed: the publish is done
        counts = warehouse.replace_kabupaten(url, "2024-S1", "33.23", {warehouse.DELIVERIES: deliveries(20)},
                                             dashboard=None)
        assert counts == {warehouse.DELIVERIES.qualified: 1}
    else:
        with pytest.raises(warehouse.WarehouseUnavailable) as gone:
            warehouse.replace_kabupaten(url, "2024-S1", "33.23", {warehouse.DELIVERIES: deliveries(20)}, dashboard=None)
        message = str(gone.value)
        assert "\n" not in message and "went away while committing 2024-S1 33.23" in message
        if outcome == "aborted":
            assert "the server did not commit it: nothing of it was written" in message
        else:
            assert "it may or may not have been written" in message and "nothing of it was written" not in message
    monkeypatch.undo()
    rows_in = warehouse.read_table(url, warehouse.DELIVERIES)["rows_in"].tolist()
    assert rows_in == ([10] if outcome == "aborted" else [20])
    if outcome == "unreachable":  # what the message says to ask, once the server is back
        xid = int(re.search(r"txid_status\((\d+)\)", message).group(1))
        with psycopg2.connect(url) as conn, conn.cursor() as cur:
            cur.execute("SELECT txid_status(%s)", (xid,))
            assert cur.fetchone() == ("committed",)
        conn.close()


def log_in(url: str, role: DashboardRole):
    return psycopg2.connect(warehouse.libpq_url(url), user=role.name, password=role.password)


def readable(conn, table: warehouse.Table) -> bool:
    with conn.cursor() as cur:
        try:
            cur.execute(f"SELECT count(*) FROM {table.qualified}")
        except psycopg2.errors.InsufficientPrivilege:
            conn.rollback()
            return False
    conn.rollback()
    return True


def schema_of(url: str) -> dict[str, str]:
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT c.relname, n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE n.nspname LIKE 'published%%' AND c.relkind IN ('r', 'p')")
        found = dict(cur.fetchall())
    conn.close()
    return found


def test_a_dashboard_sees_the_tables_it_queries_and_no_partition_even_of_a_warehouse_from_before(fresh_database):
    """`\\dt published.*` listed every semester and kabupaten partition beside the tables: a dashboard tool's table
    picker showed them all. A warehouse a version before wrote has them there, and a killed publish's copy too."""
    import uuid

    url = fresh_database("warehouse")
    role = DashboardRole(f"dashboard_{uuid.uuid4().hex[:8]}", "partition-dashboard-pw")
    warehouse.replace_kabupaten(url, "2024-S1", "33.23", {warehouse.DELIVERIES: deliveries(10)}, dashboard=role)
    with psycopg2.connect(url) as conn, conn.cursor() as cur:  # as versions before laid it out
        for partition in ("deliveries_2024_s1", "deliveries_2024_s1_33_23"):
            cur.execute(f"ALTER TABLE published_partitions.{partition} SET SCHEMA published")
        cur.execute("CREATE TABLE published.deliveries_2024_s1_33_23_n0badc0de (LIKE published.deliveries)")
    conn.close()
    warehouse.replace_kabupaten(url, "2024-S1", "33.24", {warehouse.DELIVERIES: deliveries(20)}, dashboard=role)
    assert schema_of(url) == {"deliveries": "published", "deliveries_2024_s1": "published_partitions",
                              "deliveries_2024_s1_33_23": "published_partitions",
                              "deliveries_2024_s1_33_24": "published_partitions",
                              "deliveries_2024_s1_33_23_n0badc0de": "published_partitions"}
    warehouse.replace_kabupaten(url, "2024-S1", "33.23", {warehouse.DELIVERIES: deliveries(30)}, dashboard=role)
    assert "deliveries_2024_s1_33_23_n0badc0de" not in schema_of(url)  # the kabupaten's next publish drops it
    conn = log_in(url, role)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT table_schema, table_name FROM information_schema.tables "
                        "WHERE table_schema LIKE 'published%%'")
            assert cur.fetchall() == [("published", "deliveries")]
            cur.execute("SELECT kabupaten, rows_in FROM published.deliveries ORDER BY 1")
            assert cur.fetchall() == [("33.23", 30), ("33.24", 20)]
            with pytest.raises(psycopg2.errors.InsufficientPrivilege):
                cur.execute("SELECT * FROM published_partitions.deliveries_2024_s1_33_23")
    finally:
        conn.close()


def test_the_dashboard_reads_national_coverage_when_the_national_tables_are_the_first_published(fresh_database):
    import uuid

    url = fresh_database("warehouse")
    role = DashboardRole(f"dashboard_{uuid.uuid4().hex[:8]}", "national-dashboard-pw")
    coverage = pd.DataFrame({"kabupaten": ["33.23"], "published_at": [pd.Timestamp.now(tz="UTC")],
                             "kabupaten_covered": [1], "moved_out": [0], "listed_twice": [0], "listed_elsewhere": [0],
                             "computed_at": [pd.Timestamp.now(tz="UTC")], "died_elsewhere": [0], "listed_elsewhere_high": [0]})
    findings = pd.DataFrame(columns=[c.name for c in warehouse.NATIONAL_FINDINGS.columns if c.name != "semester"])
    warehouse.replace_kabupaten(url, "2024-S1", None, {warehouse.NATIONAL_FINDINGS: findings,
                                                        warehouse.NATIONAL_COVERAGE: coverage}, dashboard=role)
    conn = log_in(url, role)
    try:
        assert readable(conn, warehouse.NATIONAL_COVERAGE)
        assert not readable(conn, warehouse.NATIONAL_FINDINGS)
    finally:
        conn.close()


def test_the_national_step_grants_the_dashboard_its_coverage_table(fresh_database, monkeypatch):
    """The step as Dagster runs it, the first publish of the national tables after a kabupaten's."""
    import uuid

    import dagster as dg

    from assets.national import national_tables
    from resources import Warehouse

    url = fresh_database("warehouse")
    role = DashboardRole(f"dashboard_{uuid.uuid4().hex[:8]}", "national-dashboard-pw")
    read = (warehouse.POPULATION_SNAPSHOT, warehouse.VOTER_LINKS, warehouse.UNLINKED_VOTERS,
            warehouse.ELIGIBLE_UNREGISTERED, warehouse.ROW_ISSUES)
    warehouse.replace_kabupaten(url, "2024-S1", "33.23", {
        **{table: pd.DataFrame(columns=[c.name for c in table.columns]) for table in read},
        warehouse.PUBLICATIONS: pd.DataFrame({"published_at": [pd.Timestamp.now(tz="UTC")], "compared_with": [None],
                                              "landing": [None]})},
        dashboard=role)  # as the kabupaten's run publishes, with nobody to look up
    monkeypatch.setenv("PEMADANAN_DASHBOARD_PASSWORD", role.password)
    results = list(national_tables(dg.build_asset_context(partition_key="2024-S1"),
                                   warehouse_db=Warehouse(url=url, dashboard_role=role.name)))
    assert len(results) == 2
    conn = log_in(url, role)
    try:
        assert readable(conn, warehouse.NATIONAL_COVERAGE)
        assert not readable(conn, warehouse.NATIONAL_FINDINGS)
    finally:
        conn.close()


def relations(url: str, like: str) -> list[tuple[str, bool]]:
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT c.relname, c.relispartition FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE n.nspname IN ('published', 'restricted', 'published_partitions', 'restricted_partitions') "
                    "AND c.relkind IN ('r', 'p') AND c.relname LIKE %s "
                    "ORDER BY 1", (like,))
        found = cur.fetchall()
    conn.close()
    return found


def test_a_publish_swaps_the_new_rows_in_readers_see_the_old_ones_meanwhile_and_no_copy_is_left(fresh_database,
                                                                                                 monkeypatch):
    url = fresh_database("warehouse")
    warehouse.replace_kabupaten(url, "2024-S1", "33.23", {warehouse.DELIVERIES: deliveries(10)}, dashboard=None)
    seen = []
    copy_csv = publish._copy_csv

    def reading_meanwhile(frame, table):  # while the new rows are copied, a reader sees the old ones, whole
        seen.append(warehouse.read_table(url, warehouse.DELIVERIES, "2024-S1", "33.23")["rows_in"].tolist())
        return copy_csv(frame, table)
    monkeypatch.setattr(publish, "_copy_csv", reading_meanwhile)
    warehouse.replace_kabupaten(url, "2024-S1", "33.23", {warehouse.DELIVERIES: deliveries(20)}, dashboard=None)
    assert seen == [[10]]
    assert warehouse.read_table(url, warehouse.DELIVERIES, "2024-S1", "33.23")["rows_in"].tolist() == [20]
    assert relations(url, "deliveries%") == [("deliveries", False), ("deliveries_2024_s1", True),
                                             ("deliveries_2024_s1_33_23", True)]


def test_a_publish_that_fails_leaves_the_old_rows_and_no_copy_and_a_killed_ones_copies_go_with_the_next(
        fresh_database, monkeypatch):
    url = fresh_database("warehouse")
    warehouse.replace_kabupaten(url, "2024-S1", "33.23", {warehouse.DELIVERIES: deliveries(10)}, dashboard=None)
    frames = {warehouse.DELIVERIES: deliveries(20), warehouse.PUBLICATIONS: pd.DataFrame({"published_at": ["x"],
                                                                                           "compared_with": [None], "landing": [None]})}
    with pytest.raises(psycopg2.Error):  # the second table's rows are refused: the first's copy was made
        warehouse.replace_kabupaten(url, "2024-S1", "33.23", frames, dashboard=None)
    assert warehouse.read_table(url, warehouse.DELIVERIES)["rows_in"].tolist() == [10]
    assert [name for name, _ in relations(url, "%\\_n%")] == []
    # A publish killed between copying and swapping leaves its copies: the next publish of the kabupaten drops them.
    monkeypatch.setattr(publish, "_drop_shadows", lambda url, shadows: None)
    monkeypatch.setattr(publish, "_swap", lambda *args: (_ for _ in ()).throw(SystemExit("killed")))
    with pytest.raises(SystemExit):
        warehouse.replace_kabupaten(url, "2024-S1", "33.23", {warehouse.DELIVERIES: deliveries(30)}, dashboard=None)
    assert len(relations(url, "deliveries\\_2024\\_s1\\_33\\_23\\_n%")) == 1
    monkeypatch.undo()
    warehouse.replace_kabupaten(url, "2024-S1", "33.23", {warehouse.DELIVERIES: deliveries(40)}, dashboard=None)
    assert relations(url, "deliveries\\_2024\\_s1\\_33\\_23\\_n%") == []
    assert warehouse.read_table(url, warehouse.DELIVERIES)["rows_in"].tolist() == [40]


def test_the_swapped_in_leaf_has_its_indexes_and_a_reader_holding_the_semester_only_delays_the_swap(
        fresh_database, monkeypatch):
    url = fresh_database("warehouse")
    snapshot = warehouse.POPULATION_SNAPSHOT
    frame = pd.DataFrame({c.name: pd.Series([None], dtype=object) for c in snapshot.columns
                          if c.name not in ("semester", "kabupaten")}).assign(population_row=[1], nik=["3323015508950001"])
    warehouse.replace_kabupaten(url, "2024-S1", "33.23", {snapshot: frame}, dashboard=None)
    monkeypatch.setattr(publish, "SWAP_LOCK_TIMEOUT", "200ms")
    reader = psycopg2.connect(url)  # a long dashboard query on the semester
    with reader.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM {snapshot.qualified} WHERE semester = '2024-S1'")
    release = threading.Timer(1.5, reader.rollback)
    release.start()
    started = time.monotonic()
    warehouse.replace_kabupaten(url, "2024-S1", "33.23", {snapshot: frame.assign(population_row=[2])}, dashboard=None)
    assert time.monotonic() - started >= 1.0  # it waited for the reader, a little at a time
    release.join()
    reader.close()
    assert warehouse.read_table(url, snapshot, "2024-S1", "33.23")["population_row"].tolist() == [2]
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT indexdef FROM pg_indexes WHERE tablename = %s ORDER BY 1",
                    (snapshot.partition("2024-S1", "33.23").split(".")[1],))
        indexed = [row[0].split("(")[-1].rstrip(")") for row in cur.fetchall()]
    conn.close()
    assert sorted(indexed) == sorted(snapshot.indexes)


def test_a_table_dashboards_read_cannot_declare_a_personal_column():
    nik = warehouse.Column("nik", "text", "NIK.", personal=True)
    with pytest.raises(ValueError, match=r"published.counts is read by dashboards: no personal column \(nik\)"):
        warehouse.Table("published", "counts", "Counts.", (warehouse.SEMESTER, nik))
    assert warehouse.Table("restricted", "people", "People.", (warehouse.SEMESTER, nik)).columns[1].personal
    assert not [c.name for t in (*warehouse.TABLES, *warehouse.NATIONAL_TABLES) if t.schema == "published"
                for c in t.columns if c.personal]


def test_rows_that_do_not_have_their_tables_columns_are_refused_naming_them_not_dropped():
    links = pd.DataFrame({c: [] for c in warehouse.VOTER_LINKS.frame_columns})
    assert "desa_code" not in links  # joined in by voter row at publish
    with pytest.raises(ValueError, match="the rows for restricted.voter_links do not have its columns: missing desa_code, tps, "
                       "row_fingerprint$"):
        warehouse.VOTER_LINKS.rows_of(links, "2024-S1", "33.23")
    with pytest.raises(ValueError, match="missing desa_code, tps, row_fingerprint; not in the table name$"):
        warehouse.VOTER_LINKS.rows_of(links.assign(name=[]), "2024-S1", "33.23")  # a name would be dropped
    rows = warehouse.VOTER_LINKS.rows_of(links.assign(desa_code=[], tps=[], row_fingerprint=[]), "2024-S1", "33.23")
    assert list(rows.columns) == [c.name for c in warehouse.VOTER_LINKS.columns]


def test_a_leaf_is_swapped_in_with_statistics_and_an_index_no_longer_declared_goes_an_operators_stays(fresh_database):
    url = fresh_database("warehouse")
    snapshot = warehouse.POPULATION_SNAPSHOT
    frame = pd.DataFrame({c.name: pd.Series([None] * 3, dtype=object) for c in snapshot.columns
                          if c.name not in ("semester", "kabupaten")}).assign(population_row=[1, 2, 3])
    warehouse.replace_kabupaten(url, "2024-S1", "33.23", {snapshot: frame}, dashboard=None)
    with psycopg2.connect(url) as conn, conn.cursor() as cur:  # as a version that indexed name_key alone left it
        cur.execute(f"CREATE INDEX population_snapshot_name_key ON {snapshot.qualified} (name_key)")
        cur.execute(f"CREATE INDEX by_desa_for_a_dashboard ON {snapshot.qualified} (desa_code)")
    conn.close()
    warehouse.replace_kabupaten(url, "2024-S2", "33.23", {snapshot: frame}, dashboard=None)
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'population_snapshot' ORDER BY 1")
        indexes = [row[0] for row in cur.fetchall()]
        cur.execute("SELECT count(*) FROM pg_stats WHERE schemaname || '.' || tablename = %s",
                    (snapshot.partition("2024-S2", "33.23"),))
        columns_with_statistics = cur.fetchone()[0]
    conn.close()
    assert indexes == ["by_desa_for_a_dashboard", "population_snapshot_name_key_birth_date", "population_snapshot_nik",
                       "population_snapshot_population_row"]
    assert columns_with_statistics == len(snapshot.columns)  # none: the planner would guess
