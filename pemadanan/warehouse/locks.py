"""One `pemadanan run` of a kabupaten at a time, and one national step, per warehouse: PostgreSQL advisory locks,
held by a session of their own for as long as the command runs, and let go when it ends however it ends (a killed
process's session closes with it). The warehouse is what two runs would both replace, and it is shared by every
machine and DAGSTER_HOME that publishes to it; a lock file or the Dagster instance alone would be neither."""

from __future__ import annotations

from pemadanan.warehouse.connection import connect

# The first key of pemadanan's locks ("pema" in ASCII), so pg_locks tells them from any other program's.
LOCK_CLASS = 0x70656D61
NATIONAL_STEP = 0  # the second key of the national step's lock; a kabupaten's is its code's digits (33.23 -> 3323)


class Held(Exception):
    """Another session holds the lock: its holder, as it named itself (`hold`)."""


def hold(url: str, kabupaten: list[str], holder: str):
    """An open connection holding the lock of each kabupaten, for the caller to close when its runs are done; Held,
    naming the holder, when another session has one of them (none is kept then). `holder` is what another command
    refused here is told: the command, its process and machine."""
    conn = connect(url)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT set_config('application_name', %s, false)", (holder[:63],))  # PostgreSQL's limit
            for code in kabupaten:
                cur.execute("SELECT pg_try_advisory_lock(%s, %s)", (LOCK_CLASS, _key(code)))
                if not cur.fetchone()[0]:
                    raise Held(f"{code}: {_holder(cur, _key(code))}")
    except BaseException:
        conn.close()
        raise
    return conn


def wait_for_national_step(conn) -> str | None:
    """Takes the national step's lock on `conn` (a `hold` connection), waiting while another command runs one: the
    later step then reads the kabupaten both published. Returns who was waited for, or None."""
    with conn.cursor() as cur:
        cur.execute("SELECT pg_try_advisory_lock(%s, %s)", (LOCK_CLASS, NATIONAL_STEP))
        if cur.fetchone()[0]:
            return None
        other = _holder(cur, NATIONAL_STEP)
        cur.execute("SELECT pg_advisory_lock(%s, %s)", (LOCK_CLASS, NATIONAL_STEP))
        return other


def _key(kabupaten: str) -> int:
    return int(kabupaten.replace(".", ""))


def _holder(cur, key: int) -> str:
    cur.execute("SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a USING (pid) WHERE "
                "l.locktype = 'advisory' AND l.granted AND l.classid = %s::bigint::oid AND l.objid = %s::bigint::oid "
                "AND l.objsubid = 2", (LOCK_CLASS, key))
    row = cur.fetchone()
    return (row[0] or "a session that did not name itself") if row else "a session that has just ended"
