"""Publishing: one kabupaten's rows of a semester (or a national table's semester) replaced in every table given, all
or nothing, locking no other kabupaten's rows. Each table's new rows are copied into a table of their own first (the
leaf partition to be, with its indexes and a constraint that proves its bounds), outside any lock; then one short
transaction swaps them in: the kabupaten's old leaf partitions detached and dropped, the new ones attached under
their names. Readers see the old rows or the new ones, never half. Tables are made or brought up to date before,
in a short transaction of their own, and the dashboard role granted what it may read."""

from __future__ import annotations

import io
import secrets
import time
from dataclasses import dataclass

import pandas as pd
import psycopg2
import pyarrow as pa
import pyarrow.csv as pa_csv

from pemadanan.catalogue import POPULATION_SNAPSHOT, VIEWS, Table
from pemadanan.warehouse.connection import WarehouseUnavailable, connect, describe, driver_error, libpq_url, sql_literal


@dataclass(frozen=True)
class DashboardRole:
    """The role dashboards log in as: it reads `published` and nothing else. Created without login when no password
    is given; an existing role keeps its login then."""

    name: str
    password: str | None = None


def replace_kabupaten(url: str, semester: str, kabupaten: str | None, frames: dict[Table, pd.DataFrame], *,
                      dashboard: DashboardRole | None) -> dict[str, int]:
    """Replaces the kabupaten's rows of the semester in every table given, in one transaction (`kabupaten` None: a
    national table's semester). Other kabupaten's rows are not touched, and their publishes go on meanwhile.

    `dashboard` is granted SELECT on the `published` tables, those this publish creates included; it has no default
    because a publish that forgot it left a new table unreadable to dashboards until another publish (None: no
    dashboard reads this warehouse)."""
    what = f"{semester} {kabupaten}" if kabupaten else f"{semester} (national tables)"
    shadows: dict[Table, str] = {}
    try:
        _ensure_partitions(url, semester, kabupaten, list(frames), dashboard)
        counts = _copy_shadows(url, semester, kabupaten, frames, shadows)
        _swap(url, semester, kabupaten, shadows, counts)
        return counts
    except _CommitInDoubt as doubt:
        status = _transaction_status(url, doubt.xid)
        if status == "committed":  # only the answer was lost: the publish is done
            return doubt.counts
        gone = f"the warehouse {describe(url)} went away while committing {what} ({driver_error(doubt.error, url)}): "
        if status == "aborted":
            raise WarehouseUnavailable(gone + "the server did not commit it: nothing of it was written (asked after "
                                       "reconnecting); run it again") from None
        raise WarehouseUnavailable(gone + "it may or may not have been written; once the server answers, SELECT "
                                   f"txid_status({doubt.xid}) there says which (committed: written whole; aborted: "
                                   "nothing), or run it again: a re-run replaces the same rows") from None
    except (psycopg2.OperationalError, psycopg2.InterfaceError) as error:  # before COMMIT: the server rolls it back
        raise WarehouseUnavailable(f"the warehouse {describe(url)} went away while {what} was published "
                                   f"({driver_error(error, url)}): nothing of it was written; run it again once the "
                                   "server is back") from None
    finally:
        _drop_shadows(url, shadows)  # what a failed publish copied: its rows never reached a reader


class _CommitInDoubt(Exception):
    """COMMIT was sent and no answer came: the server may have committed transaction `xid` before it went away."""

    def __init__(self, xid: int, error: Exception, counts: dict[str, int]) -> None:
        super().__init__(xid)
        self.xid, self.error, self.counts = xid, error, counts


def _transaction_status(url: str, xid: int) -> str | None:
    """What the server says became of transaction `xid` (committed, aborted, in progress), from a new connection;
    None if it cannot be asked."""
    try:  # a server gone from the network may not answer at all: seconds, not the system's TCP timeout
        conn = psycopg2.connect(libpq_url(url), connect_timeout=10)
    except psycopg2.Error:
        return None
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT txid_status(%s)", (xid,))
            return cur.fetchone()[0]
    except psycopg2.Error:
        return None
    finally:
        conn.close()


def _ensure_partitions(url: str, semester: str, kabupaten: str | None, tables: list[Table],
                       dashboard: DashboardRole | None) -> None:
    """Tables and partitions, created or migrated in a transaction of their own, committed before any row is
    written: DDL locks a whole table, so it must not be held while a kabupaten's rows are copied."""
    with connect(url) as conn, conn.cursor() as cur:
        # Two first publishes must not both create the schemas (CREATE SCHEMA IF NOT EXISTS races).
        cur.execute("SELECT pg_advisory_xact_lock(hashtext('pemadanan:ddl'))")
        legacy_kabupaten = None
        for table in tables:
            if _ensure_table(cur, table):  # its rows predate kabupaten partitions
                legacy_kabupaten = legacy_kabupaten or _kabupaten_before_partitions(cur) or kabupaten
                _rebuild_by_kabupaten(cur, table, legacy_kabupaten)
            _move_partitions(cur, table)
            if table.per_kabupaten:  # the semester's partition; the kabupaten's own is swapped in with its rows
                _partition(cur, table, semester, None)
            _drop_orphaned_shadows(cur, table, semester, kabupaten)
        if dashboard is not None:
            _grant_dashboard(cur, dashboard)
        _ensure_views(cur, dashboard)
    conn.close()


def _ensure_views(cur, dashboard: DashboardRole | None) -> None:
    """Each view whose tables all exist, as this version defines it, readable by the dashboard role. Replaced (and
    granted) only where it is not so already, as `_grant_dashboard` grants: replacing or granting takes a lock that
    would wait for every dashboard reading it, at every kabupaten's publish."""
    for view in VIEWS:
        cur.execute("SELECT count(to_regclass(t)) FROM unnest(%s::text[]) AS t", ([t.qualified for t in view.reads],))
        if cur.fetchone()[0] < len(view.reads):
            continue
        cur.execute("SELECT array_agg(attname::text ORDER BY attnum) FROM pg_attribute WHERE attrelid = "
                    "to_regclass(%s) AND attnum > 0 AND NOT attisdropped", (view.qualified,))
        if cur.fetchone()[0] != [c.name for c in view.columns]:
            cur.execute(f"CREATE OR REPLACE VIEW {view.qualified} AS {view.query}")
            cur.execute(f"COMMENT ON VIEW {view.qualified} IS %s", (view.description,))
        if dashboard is not None:
            cur.execute("SELECT has_table_privilege(%s, %s, 'SELECT')", (dashboard.name, view.qualified))
            if not cur.fetchone()[0]:
                cur.execute(f'GRANT SELECT ON {view.qualified} TO "{dashboard.name}"')


def _leaf(table: Table, semester: str, kabupaten: str | None) -> tuple[str, str, str, tuple[str, ...]]:
    """(the partition that holds the kabupaten's rows of the semester, its parent, its bound, the constraint that
    proves the rows are inside it): a national table's leaf is its semester's."""
    if table.per_kabupaten:
        return (table.partition(semester, kabupaten), table.partition(semester), kabupaten,
                ("semester IS NOT NULL AND semester = %s AND kabupaten IS NOT NULL AND kabupaten = %s",
                 semester, kabupaten))
    return table.partition(semester), table.qualified, semester, ("semester IS NOT NULL AND semester = %s", semester)


def _copy_shadows(url: str, semester: str, kabupaten: str | None, frames: dict[Table, pd.DataFrame],
                  shadows: dict[Table, str]) -> dict[str, int]:
    """Each table's new rows in a table of their own, shaped as its leaf partition (columns, indexes, and a CHECK of
    its bounds, so that attaching it scans nothing), committed, and recorded in `shadows` as they are made. No lock
    is taken on the published tables: readers and other kabupaten's publishes go on."""
    counts = {}
    token = secrets.token_hex(4)
    conn = connect(url)
    try:
        for table, frame in frames.items():
            leaf, parent, _, (check, *bounds) = _leaf(table, semester, kabupaten)
            schema, name = leaf.split(".")
            shadow = f"{schema}.{name[:50]}_n{token}"
            frame = table.rows_of(frame, semester, kabupaten)
            expected = list(frame.columns)
            with conn.cursor() as cur:
                # Created and filled in one transaction: with wal_level=minimal the copy writes no WAL.
                cur.execute(f"CREATE TABLE {shadow} (LIKE {parent} INCLUDING DEFAULTS)")
                shadows[table] = shadow
                cur.execute(f"ALTER TABLE {shadow} ADD CONSTRAINT {shadow.split('.')[1]}_bound CHECK ({check})", bounds)
                cur.copy_expert(f"COPY {shadow} ({', '.join(expected)}) FROM STDIN WITH (FORMAT csv)",
                                _copy_csv(frame, table))
                for place, columns in enumerate(table.indexes):  # the leaf's indexes, built here: attaching adopts them
                    cur.execute(f"CREATE INDEX {shadow.split('.')[1]}_i{place} ON {shadow} ({columns})")
                # Statistics from the first query on: a leaf swapped in without them is planned as if nearly empty
                # (the national step's lookups at 1M residents as nested loops, 134 s instead of 14).
                cur.execute(f"ANALYZE {shadow}")
            conn.commit()
            counts[table.qualified] = len(frame)
    finally:
        conn.close()
    return counts


SWAP_LOCK_TIMEOUT = "5s"
SWAP_ATTEMPTS = 60


def _swap(url: str, semester: str, kabupaten: str | None, shadows: dict[Table, str], counts: dict[str, int]) -> None:
    """The swap (`_swap_once`), tried again while readers hold the semester's partition: detaching a leaf waits for
    every query reading its parent, and queries that start meanwhile wait behind it, so it waits a few seconds at a
    time, never long, and lets them through in between."""
    for attempt in range(SWAP_ATTEMPTS):
        try:
            return _swap_once(url, semester, kabupaten, shadows, counts)
        except psycopg2.errors.LockNotAvailable:
            if attempt == SWAP_ATTEMPTS - 1:
                raise
            time.sleep(1)


def _swap_once(url: str, semester: str, kabupaten: str | None, shadows: dict[Table, str],
               counts: dict[str, int]) -> None:
    """One transaction: each table's old leaf detached and dropped, its shadow attached under the leaf's name.
    Raises _CommitInDoubt when the connection fails during COMMIT: the server may have committed then."""
    conn = connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute(f"SET LOCAL lock_timeout = '{SWAP_LOCK_TIMEOUT}'")
            # Two runs of one kabupaten's semester must not swap at once.
            cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"pemadanan:publish:{semester}|{kabupaten}",))
            for table, shadow in list(shadows.items()):
                leaf, parent, bound, _ = _leaf(table, semester, kabupaten)
                cur.execute("SELECT to_regclass(%s)", (leaf,))
                if cur.fetchone()[0] is not None:
                    cur.execute(f"ALTER TABLE {parent} DETACH PARTITION {leaf}")
                    cur.execute(f"DROP TABLE {leaf}")
                cur.execute(f"ALTER TABLE {parent} ATTACH PARTITION {shadow} FOR VALUES IN (%s)", (bound,))
                cur.execute(f"ALTER TABLE {shadow} RENAME TO {leaf.split('.')[1]}")
            # Its id, asked before COMMIT: should the answer to COMMIT be lost, a new connection can ask the server
            # whether it committed (txid_status), rather than guess.
            cur.execute("SELECT txid_current()")
            xid = cur.fetchone()[0]
        try:
            conn.commit()
        except (psycopg2.OperationalError, psycopg2.InterfaceError) as error:
            shadows.clear()  # attached, or not: the server knows, and a shadow left behind is dropped by the next run
            raise _CommitInDoubt(xid, error, counts) from None
        shadows.clear()  # in place: nothing of them to drop
    finally:
        conn.close()  # without COMMIT (an error before it), the server rolls the transaction back


def _drop_shadows(url: str, shadows: dict[Table, str]) -> None:
    if not shadows:
        return
    try:
        with connect(url) as conn, conn.cursor() as cur:
            for shadow in shadows.values():
                cur.execute(f"DROP TABLE IF EXISTS {shadow}")
        conn.close()
    except (psycopg2.Error, WarehouseUnavailable):
        pass  # the server is gone: `_ensure_partitions` of the next publish drops them


def _copy_csv(frame: pd.DataFrame, table: Table) -> io.BytesIO:
    """The rows as COPY's CSV, written by Arrow's C++ writer (pandas' `to_csv` took two thirds of the publish).
    Strings are always quoted, so an empty string stays one and only a missing value is NULL. An integer column
    with gaps is float in pandas ("5.0", which PostgreSQL refuses): it goes as Int64."""
    integers = [c.name for c in table.columns if c.sql_type.startswith("integer")]
    arrow = pa.Table.from_pandas(frame.astype({name: "Int64" for name in integers}), preserve_index=False)
    buffer = io.BytesIO()
    pa_csv.write_csv(arrow, buffer, pa_csv.WriteOptions(include_header=False))
    buffer.seek(0)
    return buffer


def _grant_dashboard(cur, role: DashboardRole) -> None:
    cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role.name,))
    exists = cur.fetchone() is not None
    if role.password:
        # The server gets a SCRAM verifier computed here, never the password: statement logging would keep it.
        verifier = psycopg2.extensions.encrypt_password(role.password, role.name, cur.connection, "scram-sha-256")
        cur.execute(f'{"ALTER" if exists else "CREATE"} ROLE "{role.name}" LOGIN PASSWORD {sql_literal(cur, verifier)}')
    elif not exists:  # an existing role's login, perhaps set by a DBA, is left alone
        cur.execute(f'CREATE ROLE "{role.name}" NOLOGIN')
    cur.execute("SELECT current_database()")
    cur.execute(f'GRANT CONNECT ON DATABASE "{cur.fetchone()[0]}" TO "{role.name}"')
    cur.execute(f'GRANT USAGE ON SCHEMA published TO "{role.name}"')
    cur.execute("SELECT to_regnamespace('restricted')")
    if cur.fetchone()[0] is not None:
        cur.execute(f'REVOKE ALL ON SCHEMA restricted FROM "{role.name}"')
        cur.execute("REVOKE ALL ON SCHEMA restricted FROM PUBLIC")
    # Table by table, and only where a grant is missing or too much: GRANT ... ON ALL TABLES would lock every
    # partition, and wait for the other kabupaten's publishes. Dashboards read the tables, not their partitions.
    cur.execute("SELECT c.oid::regclass::text, n.nspname, c.relispartition, has_table_privilege(%s, c.oid, 'SELECT'), "
                "has_table_privilege(%s, c.oid, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER') "
                "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname IN ('published', 'restricted') AND c.relkind IN ('r', 'p')", (role.name, role.name))
    for table, schema, partition, reads, any_privilege in cur.fetchall():
        if schema == "published" and not partition and not reads:
            cur.execute(f'GRANT SELECT ON {table} TO "{role.name}"')
        elif schema == "restricted" and any_privilege:
            cur.execute(f'REVOKE ALL ON {table} FROM "{role.name}"')



def _ensure_table(cur, table: Table) -> bool:
    """Creates the table, or brings one a version before wrote up to date (appended nullable columns, nullability,
    comments). True if its rows predate kabupaten partitions and it must be rebuilt: `_rebuild_by_kabupaten`."""
    cur.execute(f"CREATE SCHEMA IF NOT EXISTS {table.schema}")
    cur.execute(f"CREATE SCHEMA IF NOT EXISTS {table.partition_schema}")
    cur.execute("SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)", (table.qualified,))
    found = cur.fetchone()
    if found is None:
        cur.execute(table.ddl())
    cur.execute(
        "SELECT column_name, is_nullable = 'YES' FROM information_schema.columns WHERE table_schema = %s AND "
        "table_name = %s ORDER BY ordinal_position", (table.schema, table.name))
    existing = cur.fetchall()
    actual = [name for name, _ in existing]
    expected = [c.name for c in table.columns]
    if table.per_kabupaten and found is not None and (found[0] == "r" or "kabupaten" not in actual):
        if actual != expected[:len(actual)] or "kabupaten" in actual:
            raise RuntimeError(f"{table.qualified} has columns {actual}, this version writes {expected}: migrate it first")
        return True
    # Columns are written and read by name: one a newer version added sits after `kabupaten` in a table a version
    # before made, and that is fine.
    added = [c for c in table.columns if c.name not in actual]
    _ensure_indexes(cur, table)
    if found is not None and not added and sorted(actual) == sorted(expected):
        nullable = dict(existing)
        if all(nullable[c.name] == ("NOT NULL" not in c.sql_type) for c in table.columns):
            return False  # as this version writes it: no DDL, which would lock the whole table
    if set(actual) - set(expected) or any("NOT NULL" in c.sql_type for c in added):
        raise RuntimeError(f"{table.qualified} has columns {actual}, this version writes {expected}: migrate it first")
    for column in added:  # a column a newer version added: empty in the rows published before it
        cur.execute(f"ALTER TABLE {table.qualified} ADD COLUMN {column.name} {column.sql_type}")
    cur.execute(f"COMMENT ON TABLE {table.qualified} IS %s", (table.description,))
    for column in table.columns:
        cur.execute(f"COMMENT ON COLUMN {table.qualified}.{column.name} IS %s", (column.description,))
        if "NOT NULL" not in column.sql_type:  # a column that became nullable (suppressed counts) in a newer version
            cur.execute(f"ALTER TABLE {table.qualified} ALTER COLUMN {column.name} DROP NOT NULL")
    return False


def _ensure_indexes(cur, table: Table) -> None:
    """An index on the parent is built on every partition, and on each one created later. One of a column an earlier
    version declared and this one does not is dropped (a leaf swapped in without it would have it built during the
    swap); indexes an operator added under other names are left alone."""
    declared = {f"{table.name}_{columns.replace(', ', '_')}": columns for columns in table.indexes}
    cur.execute("SELECT indexname FROM pg_indexes WHERE schemaname = %s AND tablename = %s",
                (table.schema, table.name))
    earlier = {f"{table.name}_{column.name}" for column in table.columns}
    for (index,) in cur.fetchall():
        if index in earlier and index not in declared:
            cur.execute(f"DROP INDEX {table.schema}.{index}")
    for name, columns in declared.items():
        cur.execute("SELECT to_regclass(%s)", (f"{table.schema}.{name}",))
        if cur.fetchone()[0] is None:
            cur.execute(f"CREATE INDEX {name} ON {table.qualified} ({columns})")


def _kabupaten_before_partitions(cur) -> str | None:
    """The kabupaten a warehouse from before kabupaten partitions holds: the one most of its residents live in
    (a version before them ran one kabupaten), None without a population snapshot."""
    cur.execute(f"SELECT to_regclass('{POPULATION_SNAPSHOT.qualified}')")
    if cur.fetchone()[0] is None:
        return None
    cur.execute(f"SELECT left(desa_code, 5) FROM {POPULATION_SNAPSHOT.qualified} WHERE desa_code IS NOT NULL "
                "GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")
    found = cur.fetchone()
    return found[0] if found else None


def _rebuild_by_kabupaten(cur, table: Table, kabupaten: str) -> None:
    """A table written by a version before kabupaten partitions (or before partitions at all) rebuilt as semester
    and kabupaten partitions, its rows kept and given `kabupaten` (once)."""
    cur.execute("SELECT column_name FROM information_schema.columns WHERE table_schema = %s AND table_name = %s "
                "ORDER BY ordinal_position", (table.schema, table.name))
    old_columns = [r[0] for r in cur.fetchall()]
    old = f"{table.name}_before_kabupaten"
    cur.execute(f"ALTER TABLE {table.qualified} RENAME TO {old}")
    _ensure_table(cur, table)
    cur.execute(f"SELECT DISTINCT semester FROM {table.schema}.{old}")
    columns = ", ".join(old_columns)
    for (semester,) in cur.fetchall():
        partition = _partition(cur, table, semester, kabupaten)
        cur.execute(f"INSERT INTO {partition} ({columns}, kabupaten) SELECT {columns}, %s FROM {table.schema}.{old} "
                    "WHERE semester = %s", (kabupaten, semester))
    cur.execute(f"DROP TABLE {table.schema}.{old} CASCADE")


def _move_partitions(cur, table: Table) -> None:
    """Partitions a version before kept beside their table, and the copies a publish of it killed then left, moved
    to the partition schema (the catalogue changes, no row is copied): there a later publish swaps or drops them."""
    # pg_inherits, not pg_partition_tree: that locks every partition, and so waits for other kabupaten's publishes.
    cur.execute("WITH RECURSIVE tree AS (SELECT inhrelid FROM pg_inherits WHERE inhparent = %s::regclass UNION ALL "
                "SELECT i.inhrelid FROM pg_inherits i JOIN tree ON i.inhparent = tree.inhrelid) "
                "SELECT c.relname FROM pg_class c WHERE c.relnamespace = %s::regnamespace AND c.relkind IN ('r', 'p') "
                "AND (c.oid IN (SELECT inhrelid FROM tree) "
                "OR (c.relname LIKE %s AND c.relname ~ '_n[0-9a-f]{8}$' AND NOT c.relispartition))",
                (table.qualified, table.schema, f"{table.name}\\_%"))
    for (name,) in cur.fetchall():
        cur.execute(f"ALTER TABLE {table.schema}.{name} SET SCHEMA {table.partition_schema}")


def _drop_orphaned_shadows(cur, table: Table, semester: str, kabupaten: str | None) -> None:
    """Shadows a killed publish of this kabupaten left (a publish of it runs alone: none is in use)."""
    leaf = _leaf(table, semester, kabupaten)[0]
    schema, name = leaf.split(".")
    cur.execute("SELECT relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s "
                "AND c.relname LIKE %s AND NOT c.relispartition", (schema, f"{name[:50]}\\_n%"))
    for (orphan,) in cur.fetchall():
        cur.execute(f"DROP TABLE IF EXISTS {schema}.{orphan}")


def _partition(cur, table: Table, semester: str, kabupaten: str | None) -> str:
    """The partition that holds the semester's (and kabupaten's) rows, created if need be."""
    semester_partition = table.partition(semester)
    by_kabupaten = " PARTITION BY LIST (kabupaten)" if table.per_kabupaten else ""
    cur.execute(f"CREATE TABLE IF NOT EXISTS {semester_partition} PARTITION OF {table.qualified} FOR VALUES IN (%s)"
                + by_kabupaten, (semester,))
    if kabupaten is None:
        return semester_partition
    partition = table.partition(semester, kabupaten)
    cur.execute(f"CREATE TABLE IF NOT EXISTS {partition} PARTITION OF {semester_partition} FOR VALUES IN (%s)",
                (kabupaten,))
    return partition

