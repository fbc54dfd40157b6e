"""Reading what was published: a semester's rows of a table (through COPY and Arrow, fast for millions), the
publications, what a review queue offered, the row counts the volume checks compare with."""

from __future__ import annotations

import io

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

from pemadanan.catalogue import (
    DELIVERIES,
    NATIONAL_COVERAGE,
    NATIONAL_FINDINGS,
    PUBLICATIONS,
    REVIEW_DECISIONS,
    REVIEW_QUEUE,
    VOTER_LINKS,
    Table,
)
from pemadanan.review import FILES_CHANGED, FILES_UNKNOWN, NOT_PUBLISHED, Offered
from pemadanan.warehouse.connection import _exists, connect, table_exists


def read_semester(url: str, table: Table, semester: str, kabupaten: str | None = None,
                  before: bool = False) -> pd.DataFrame | None:
    """One semester of a table (`before`: every semester before it), one kabupaten's rows or all, through COPY and
    Arrow's CSV reader, fast for a million rows; None if the table or the rows are absent. Text and dates come back
    as ingest makes them."""
    with connect(url) as conn, conn.cursor() as cur:
        if not _exists(cur, table):
            return None
        arrow_types = {"text": pa.large_string(), "integer": pa.int64(), "date": pa.timestamp("ns"),
                       "boolean": pa.bool_(), "double": pa.float64()}
        base_types = {c.name: c.sql_type.split()[0] for c in table.columns}
        where, values = _where(semester, kabupaten, "<" if before else "=")
        arrow = copy_out(cur, f"SELECT * FROM {table.qualified} WHERE {where}", values,
                         {name: arrow_types[base] for name, base in base_types.items() if base in arrow_types})
    conn.close()
    if arrow.num_rows == 0:
        return None
    return arrow.to_pandas(types_mapper={pa.large_string(): pd.StringDtype("pyarrow"), pa.int64(): pd.Int64Dtype(),
                                          pa.bool_(): pd.BooleanDtype()}.get)


def copy_out(cur, query: str, values: tuple, types: dict[str, pa.DataType]) -> pa.Table:
    """A query's rows through COPY and Arrow's CSV reader (fast for millions; Python tuples are not), with the Arrow
    types of the columns named in `types`."""
    buffer = io.BytesIO()
    cur.copy_expert(cur.mogrify(f"COPY ({query}) TO STDOUT WITH (FORMAT csv, HEADER)", values).decode(), buffer)
    buffer.seek(0)
    # COPY writes NULL unquoted and an empty text quoted: only the first is missing.
    return pa_csv.read_csv(buffer, convert_options=pa_csv.ConvertOptions(
        column_types=types, strings_can_be_null=True, quoted_strings_can_be_null=False, true_values=["t"],
        false_values=["f"]))



def _where(semester: str, kabupaten: str | None, semester_is: str = "=") -> tuple[str, tuple[str, ...]]:
    if kabupaten is None:
        return f"semester {semester_is} %s", (semester,)
    return f"semester {semester_is} %s AND kabupaten = %s", (semester, kabupaten)


def read_table(url: str, table: Table, semester: str | None = None, kabupaten: str | None = None) -> pd.DataFrame:
    where, values = _where(semester, kabupaten) if semester else ("true", ())
    with connect(url) as conn, conn.cursor() as cur:
        cur.execute(f"SELECT * FROM {table.qualified} WHERE {where}", values)
        frame = pd.DataFrame(cur.fetchall(), columns=[d[0] for d in cur.description])
    conn.close()
    return frame


def national_step_read(url: str, semester: str, kabupaten: str) -> int | None:
    """How many kabupaten the semester's last national step read, where it read this kabupaten's rows as they are
    published now (it recorded their publication time); 0 where no national step has run for the semester; None
    where one ran but not on these rows (before they were published, or published again): its voter and
    population rows would be another delivery's."""
    with connect(url) as conn, conn.cursor() as cur:
        if not (_exists(cur, NATIONAL_FINDINGS) and _exists(cur, NATIONAL_COVERAGE)):
            return 0
        cur.execute(f"""SELECT n.kabupaten = %s AND n.published_at = p.published_at, n.kabupaten_covered
                        FROM {NATIONAL_COVERAGE.qualified} n LEFT JOIN {PUBLICATIONS.qualified} p
                        ON p.semester = n.semester AND p.kabupaten = n.kabupaten
                        WHERE n.semester = %s ORDER BY 1 DESC NULLS LAST LIMIT 1""", (kabupaten, semester))
        row = cur.fetchone()
    conn.close()
    if row is None:
        return 0
    return row[1] if row[0] else None


def national_findings_of(url: str, semester: str, kabupaten: str) -> pd.DataFrame | None:
    """The national step's findings of the kabupaten's rows, or None where it did not read them as they are
    published now (`national_step_read`)."""
    return read_table(url, NATIONAL_FINDINGS, semester, kabupaten) if national_step_read(url, semester, kabupaten) \
        else None


def previous_rows_in(url: str, semester: str, kabupaten: str, dataset: str) -> int | None:
    """Rows of the kabupaten's dataset file as published for `semester`, or None if it was never published."""
    with connect(url) as conn, conn.cursor() as cur:
        if not _exists(cur, DELIVERIES):
            return None
        cur.execute(f"SELECT rows_in FROM {DELIVERIES.qualified} WHERE semester = %s AND kabupaten = %s AND dataset = %s",
                    (semester, kabupaten, dataset))
        row = cur.fetchone()
    conn.close()
    return row[0] if row else None


def review_offered(url: str, semester: str, kabupaten: str, digests: dict[str, str]) -> Offered:
    """What the kabupaten's last publication of the semester offered a reviewer (`review.Offered`), and whether it was
    computed from files with these digests (`{"population": ..., "voters": ...}`)."""
    with connect(url) as conn, conn.cursor() as cur:
        if not _exists(cur, DELIVERIES):
            return Offered(*(pd.DataFrame(columns=["voter_row", "population_row"]),) * 3, not_same_files=NOT_PUBLISHED)
        cur.execute(f"SELECT dataset, file_sha256 FROM {DELIVERIES.qualified} WHERE semester = %s AND kabupaten = %s",
                    (semester, kabupaten))
        published = dict(cur.fetchall())

        def pairs(table: Table, where: str = "true") -> pd.DataFrame:
            if not _exists(cur, table):
                return pd.DataFrame(columns=["voter_row", "population_row"])
            cur.execute(f"SELECT voter_row, population_row FROM {table.qualified} WHERE semester = %s AND "
                        f"kabupaten = %s AND {where}", (semester, kabupaten))
            return pd.DataFrame(cur.fetchall(), columns=["voter_row", "population_row"])

        published_digests = [published.get(name) for name in digests]
        offered = Offered(pairs(REVIEW_QUEUE), pairs(REVIEW_DECISIONS, "applied"), pairs(VOTER_LINKS),
                          not_same_files=NOT_PUBLISHED if not published else
                          FILES_UNKNOWN if None in published_digests else
                          FILES_CHANGED if published_digests != list(digests.values()) else None)
    conn.close()
    return offered


def published_with_digest(url: str, dataset: str, sha256: str) -> list[tuple[str, str]]:
    """The semesters and kabupaten whose published delivery of `dataset` has these bytes."""
    with connect(url) as conn, conn.cursor() as cur:
        found = []
        if _exists(cur, DELIVERIES):
            cur.execute(f"SELECT semester, kabupaten FROM {DELIVERIES.qualified} WHERE dataset = %s AND file_sha256 = %s "
                        "ORDER BY 1, 2", (dataset, sha256))
            found = [tuple(row) for row in cur.fetchall()]
    conn.close()
    return found


def publications(url: str) -> pd.DataFrame:
    """published.publications indexed by semester and kabupaten (empty before the first publish)."""
    frame = (read_table(url, PUBLICATIONS) if table_exists(url, PUBLICATIONS)
             else pd.DataFrame(columns=[c.name for c in PUBLICATIONS.columns]))
    return frame.set_index(["semester", "kabupaten"]).sort_index()

