"""The warehouse's tables, as one catalogue: every table's schema, name, columns (SQL type, description) and how it is
partitioned. Publishing, reading, the docs (docs/TABLES.md, docs/DASHBOARDS.md) and the dashboards' example queries
take their names from here.

`restricted` holds personal data for operators; `published` holds only aggregates and masked identifiers, for
dashboards. Each table carries `semester` and `kabupaten` columns and is partitioned by semester, each semester by
kabupaten (PostgreSQL declarative partitioning), the partitions in a schema of their own (`published_partitions`,
`restricted_partitions`), so that a schema lists the tables one queries and nothing else. The national step's tables
are per semester only.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from pemadanan.keys import kabupaten_key, semester_key
from pemadanan.kpu import KPU_CODES, TMS_MEANINGS


@dataclass(frozen=True)
class Column:
    name: str
    sql_type: str
    description: str
    personal: bool = False  # NIK, a name, a birth date or an address: restricted tables only, never in a file


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
    indexes: tuple[str, ...] = ()  # what is looked up by ("nik", "name_key, birth_date"): an index each, every partition
    joined_by_voter_row: tuple[str, ...] = ()  # joined in from the voter rows, not in the domain function's frame

    def __post_init__(self) -> None:
        if self.per_kabupaten:
            object.__setattr__(self, "columns", (*self.columns, KABUPATEN))
        personal = [c.name for c in self.columns if c.personal]
        if self.schema == "published" and personal:
            raise ValueError(f"{self.qualified} is read by dashboards: no personal column ({', '.join(personal)})")

    @property
    def frame_columns(self) -> list[str]:
        """The columns, in order, of the frame the domain function behind the table returns: without the semester
        and kabupaten publish gives every row, nor what is joined in by voter row."""
        return [c.name for c in self.columns
                if c.name != "semester" and c is not KABUPATEN and c.name not in self.joined_by_voter_row]

    def rows_of(self, frame: pd.DataFrame, semester: str, kabupaten: str | None) -> pd.DataFrame:
        """The frame as the table's rows: its columns exactly the frame's, the semester and kabupaten given to each
        row. A frame with a column missing, or one the table has not, is refused naming them: a step and the
        catalogue that disagree fail here, not by a column silently dropped."""
        given = [c for c in frame.columns if c != "semester" and not (self.per_kabupaten and c == "kabupaten")]
        expected = [c.name for c in self.columns if c.name != "semester" and c is not KABUPATEN]
        missing, unexpected = [c for c in expected if c not in given], [c for c in given if c not in expected]
        if missing or unexpected:
            raise ValueError(f"the rows for {self.qualified} do not have its columns: "
                             + "; ".join(f"{what} {', '.join(names)}" for what, names in
                                         (("missing", missing), ("not in the table", unexpected)) if names))
        return frame.assign(semester=semester, **({"kabupaten": kabupaten} if self.per_kabupaten else {}))[
            [c.name for c in self.columns]]

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"

    def ddl(self) -> str:
        cols = ",\n  ".join(f"{c.name} {c.sql_type}" for c in self.columns)
        return f"CREATE TABLE {self.qualified} (\n  {cols}\n) PARTITION BY LIST (semester)"

    @property
    def partition_schema(self) -> str:
        """Where the table's partitions are: beside it, a dashboard tool's table picker listed every semester and
        kabupaten. Dashboards need no USAGE on it: a query through the table checks privileges on the table alone."""
        return f"{self.schema}_partitions"

    def partition(self, semester: str, kabupaten: str | None = None) -> str:
        """`restricted_partitions.voter_links_2024_s1`: the table that holds one semester's rows; with a kabupaten,
        `restricted_partitions.voter_links_2024_s1_33_23`, the one that holds that kabupaten's rows of it."""
        semester_key(semester)  # the keys name a table: checked here too, whoever called
        if kabupaten is not None:
            kabupaten_key(kabupaten)
        name = f"{self.partition_schema}.{self.name}_{semester.lower().replace('-', '_')}"
        return name if kabupaten is None else f"{name}_{kabupaten.replace('.', '_')}"


SEMESTER = Column("semester", "text NOT NULL", "Semester of the population data, e.g. 2024-S1 (as at 30 June 2024).")

# Where the officers of another kabupaten find a row the national step names (empty in rows published before it).
VOTER_TPS = Column("tps", "integer", "TPS of the voter row.")
# How the national step finds a row again in the next semester's list, which carries it over as it was.
ROW_FINGERPRINT = Column("row_fingerprint", "bigint", "Hash of the row's NIK as delivered, name key and birth date: the "
                         "same row in the next semester's list has the same (national.row_fingerprints).", personal=True)
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
    VOTER_TPS, ROW_FINGERPRINT,
), joined_by_voter_row=("desa_code", "tps", "row_fingerprint"), indexes=("row_fingerprint",))
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
           "step looks for in the other kabupaten.", personal=True),
    Column("birth_date", "date", "Date of birth on the row.", personal=True),
    Column("name_key", "text", "Spelling key of the name on the row: with birth_date, how the "
           "national step finds a row whose NIK is missing or wrong.", personal=True),
    VOTER_TPS, ROW_FINGERPRINT,
    Column("no_kk", "text", "Family card (NKK) on the row, where whole: the household the person was listed with.",
           personal=True),
    Column("birthplace", "text", "Place of birth on the row (TEMPAT_LAHIR): with name and birth date, how the national "
           "step finds a row that carries no NIK digits.", personal=True),
), joined_by_voter_row=("desa_code", "tps", "row_fingerprint", "no_kk", "birthplace"))
QUARANTINE = Table("restricted", "quarantine", "Rows set aside at ingest, with every reason and the row as delivered.", (
    SEMESTER,
    Column("dataset", "text NOT NULL", "population, voters or deaths."),
    Column("source_row", "integer NOT NULL", "1-based data row of that file."),
    Column("reasons", "text NOT NULL", "Every reason that applies, separated by '; '."),
    Column("original", "jsonb NOT NULL", "The row's values as delivered.", personal=True),
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
    Column("nik_delivered", "text", "The NIK as delivered, where it was repaired or is not valid.", personal=True),
    Column("birth_date_delivered", "text", "The birth date as delivered, where it was not YYYY-MM-DD.", personal=True),
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
), joined_by_voter_row=("desa_code",))
ELIGIBLE_UNREGISTERED = Table("restricted", "eligible_unregistered", "Residents eligible on the semester's reference date with no voter row (nor one awaiting review).", (
    SEMESTER, POPULATION_ROW, DESA,
    Column("rt", "integer", "RT where the resident lives."),
    Column("rw", "integer", "RW where the resident lives."),
    Column("address", "text", "Address (ALAMAT) where the resident lives.", personal=True),
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
    Column("nik", "text", "NIK of the person.", personal=True),
    DESA,
))
DEATH_RECORDS = Table("restricted", "death_records", "Every death record delivered, one row per record, under the semester whose file delivered it first; a record delivered again later is not stored again. TMS 1 reads the records of all semesters up to its own.", (
    Column("semester", "text NOT NULL", "Semester whose deaths file delivered the record first."),
    Column("nik", "text", "NIK of the deceased.", personal=True),
    Column("name_norm", "text", "Normalised name.", personal=True),
    Column("death_date", "date", "TGL_KEMATIAN."),
    Column("source_row", "integer NOT NULL", "1-based data row of that semester's deaths file."),
))
COKLIT_LIST = Table("restricted", "coklit_list", "The people Pantarlih officers visit, by desa, RW, RT and address: voter rows that may not qualify (TMS) and eligible residents missing from the list. The coklit files for officers (data/coklit) are written from it, NIKs masked.", (
    SEMESTER, DESA,
    Column("rw", "integer", "RW (rukun warga)."),
    Column("rt", "integer", "RT (rukun tetangga)."),
    Column("address", "text", "Address.", personal=True),
    Column("tps", "integer", "TPS of the voter row (empty for a resident not on the list)."),
    Column("name", "text", "Name.", personal=True),
    Column("nik", "text", "NIK, whole: the files for officers mask it.", personal=True),
    Column("sex", "text", "L or P."),
    Column("age", "integer", "Age in whole years on the semester's reference date."),
    Column("to_check", "text NOT NULL", "What the officer checks: the TMS codes and their meanings, or 'eligible, not on the list'."),
    Column("reason", "text", "Why, per code."),
    Column("confidence", "text NOT NULL", "low, medium or high: a row flagged twice is as certain as its weakest flag."),
    Column("voter_row", "integer", "1-based data row of the voter file (TMS rows)."),
    Column("population_row", "integer", "1-based data row of the population file (residents not on the list)."),
))
POPULATION_SNAPSHOT = Table("restricted", "population_snapshot", "What the next semester compares with, and the national step looks people up in: the accepted residents, one row each.", (
    SEMESTER, POPULATION_ROW,
    Column("nik", "text", "NIK.", personal=True),
    Column("name_norm", "text", "Normalised name.", personal=True),
    Column("birth_date", "date", "Date of birth.", personal=True),
    Column("marital", "integer", "STAT_KWN code."),
    Column("occupation", "integer", "JENIS_PKRJN code."),
    DESA,
    Column("name_key", "text", "Spelling key of the name: what the national step finds people by "
           "where a NIK fails.", personal=True),
    Column("no_kk", "text", "Family card (NO_KK): the national step finds a household that moved together by it.",
           personal=True),
    Column("birthplace", "text", "Place of birth (TMPT_LHR): tells namesakes born the same day apart.", personal=True),
), indexes=("nik", "name_key, birth_date", "population_row"))
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
    Column("landing", "text", "The landing folder the kabupaten's files were read from (empty: published before it was recorded). `pemadanan run` from another folder refuses to replace them without --replace."),
))

NATIONAL_FINDINGS = Table("restricted", "national_findings", "What the national step found across the kabupaten published for the semester, one row per finding; replaced whole each time the step runs (a late kabupaten runs it again).", (
    SEMESTER,
    Column("kabupaten", "text NOT NULL", "Kabupaten of the voter row (died, moved, listed_twice) or of the resident (listed_elsewhere)."),
    Column("finding", "text NOT NULL", "died: the voter row's NIK is in other_kabupaten's death records, under a name close to the row's (TMS 1); "
           "moved: the voter row's person lives in another kabupaten (TMS 4, moved to other_kabupaten); "
           "listed_twice: the person is listed in other_kabupaten too (TMS 2 across kabupaten); listed_elsewhere: an "
           "eligible resident 'unregistered' here is listed in other_kabupaten (not unregistered: pindah memilih)."),
    Column("tms_code", "text", "1 (died), 4 (moved), 2 (listed twice); empty for listed_elsewhere."),
    Column("voter_row", "integer", "1-based data row of the kabupaten's voter file (died, moved, listed_twice)."),
    Column("population_row", "integer", "1-based data row of the kabupaten's population file (listed_elsewhere)."),
    Column("other_kabupaten", "text NOT NULL", "Whose death records have the person (died), where the person lives (moved) or is listed too."),
    Column("other_desa_code", "text", "Desa where the person lives (moved)."),
    Column("other_voter_row", "integer", "The voter row in other_kabupaten (listed_twice, listed_elsewhere)."),
    Column("found_by", "text NOT NULL", "NIK (the row's own); previous semester's link (the row, carried over "
           "unchanged, was linked a semester earlier to the resident with this NIK); or name, birth date and NIK "
           "digits (the row's NIK is nobody's or another person's, and the namesake born that day has a NIK it "
           "differs from by a typo or Excel's rounding). A name and birth date alone make no finding."),
    Column("confidence", "text NOT NULL", "high: found by NIK or the previous semester's link (and, listed twice, the person lives in other_kabupaten: strike this row; listed elsewhere: the other row was found so); "
           "medium: found by name, birth date and NIK digits, or listed twice and living in neither kabupaten (a visit decides)."),
    Column("other_tps", "integer", "TPS of the voter row in other_kabupaten (listed_twice, listed_elsewhere)."),
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
    Column("died_elsewhere", "integer", "Voter rows here whose NIK another kabupaten's death records have (empty: "
           "computed before this count was)."),
    Column("listed_elsewhere_high", "integer", "Of listed_elsewhere, those whose row elsewhere carries their NIK "
           "itself: registered, so no longer counted unregistered (empty: computed before this count was)."),
), per_kabupaten=False)
NATIONAL_TABLES = (NATIONAL_FINDINGS, NATIONAL_COVERAGE)


@dataclass(frozen=True)
class View:
    """A published view: read live from its tables, so never out of step with them. Created by the publish that
    makes the last of `reads`; a newer version may only append columns (CREATE OR REPLACE VIEW)."""

    schema: str
    name: str
    description: str
    columns: tuple[Column, ...]
    reads: tuple[Table, ...]
    query: str

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"


COVERAGE_WITH_NATIONAL = View(
    "published", "coverage_with_national", "Per kabupaten and semester, its own counts beside what the national step "
    "found across kabupaten: coverage once residents listed in another kabupaten (by their NIK) are no longer counted "
    "unregistered, and the TMS codes each finding adds to. No personal data.", (
        SEMESTER, KABUPATEN, Column("region_name", "text", "Name of the kabupaten."),
        Column("eligible", "integer", "As in published.coverage_by_region."),
        Column("registered", "integer", "As in published.coverage_by_region."),
        Column("eligible_unregistered", "integer", "As the kabupaten's own run counted them."),
        Column("listed_elsewhere", "integer", "Of those, listed in another kabupaten (any confidence)."),
        Column("listed_elsewhere_high", "integer", "Of those, listed in another kabupaten by their own NIK."),
        Column("unregistered_after_national", "integer", "eligible_unregistered - listed_elsewhere_high: those the "
               "whole country's lists do not have."),
        Column("coverage_pct_after_national", "double precision", "100 x (eligible - unregistered_after_national) / "
               "eligible."),
        Column("tms_1", "integer", "Died, by the kabupaten's own data."),
        Column("died_elsewhere", "integer", "Voter rows whose death another kabupaten recorded (TMS 1)."),
        Column("tms_2", "integer", "Listed twice within the kabupaten."),
        Column("listed_twice", "integer", "Voter rows whose person is listed in another kabupaten too (TMS 2)."),
        Column("tms_4", "integer", "Moved or gone, by the kabupaten's own data."),
        Column("moved_out", "integer", "Of the voter rows no resident here has, those whose person lives in "
               "another kabupaten (TMS 4, destination known)."),
        Column("national_current", "boolean", "The national step read the kabupaten's rows as published now; false: "
               "they were published again since (it runs again); empty: it has not run for the semester."),
    ), (COVERAGE_BY_REGION, PUBLICATIONS, NATIONAL_COVERAGE), f"""
    SELECT c.semester, c.kabupaten, c.region_name, c.eligible, c.registered, c.eligible_unregistered,
           n.listed_elsewhere, n.listed_elsewhere_high,
           c.eligible_unregistered - coalesce(n.listed_elsewhere_high, 0) AS unregistered_after_national,
           round(100.0 * (c.eligible - c.eligible_unregistered + coalesce(n.listed_elsewhere_high, 0))
                 / nullif(c.eligible, 0), 2)::double precision AS coverage_pct_after_national,
           c.tms_1, n.died_elsewhere, c.tms_2, n.listed_twice, c.tms_4, n.moved_out,
           n.published_at = p.published_at AS national_current
    FROM {COVERAGE_BY_REGION.qualified} c
    JOIN {PUBLICATIONS.qualified} p ON p.semester = c.semester AND p.kabupaten = c.kabupaten
    LEFT JOIN {NATIONAL_COVERAGE.qualified} n ON n.semester = c.semester AND n.kabupaten = c.kabupaten
    WHERE c.region_level = 'kabupaten'""")
VIEWS = (COVERAGE_WITH_NATIONAL,)

TABLES: tuple[Table, ...] = (VOTER_LINKS, REVIEW_QUEUE, REVIEW_DECISIONS, VOTER_DUPLICATES, UNLINKED_VOTERS, QUARANTINE, ROW_ISSUES,
                             TMS_CANDIDATES, ELIGIBLE_UNREGISTERED, NEW_VOTERS, POPULATION_CHANGES, DEATH_RECORDS,
                             COKLIT_LIST, POPULATION_SNAPSHOT,
                             LINK_SUMMARY, COVERAGE_BY_REGION, SEMESTER_CHANGES, DATA_QUALITY, DELIVERIES, PUBLICATIONS)


def tables_markdown() -> str:
    """docs/TABLES.md, generated from the definitions above (a test keeps the file in step)."""
    from pemadanan.tms import rules_markdown  # noqa: PLC0415 - the rules' module makes frames in these shapes
    lines = ["# Warehouse tables", "", "Generated from `pemadanan/catalogue.py` by "
             "`pemadanan docs`; do not edit by hand.", "",
             "`restricted` holds personal data for operators. `published` is for dashboards: aggregates and "
             "masked identifiers only.", ""]
    for table in (*TABLES, *NATIONAL_TABLES, *VIEWS):
        lines += _table_section(table)
    lines += ["## TMS rules", "", "Every rule that flags a row in `restricted.tms_candidates` (registry `TMS_RULES` in "
              "`pemadanan/tms.py`). A code may have rules of different confidence.", "", rules_markdown(), ""]
    return "\n".join(lines)


def _table_section(table: Table | View) -> list[str]:
    return [f"## `{table.qualified}`", "", table.description, "", "| column | type | meaning |", "|---|---|---|",
            *[f"| `{c.name}` | {c.sql_type.replace(' NOT NULL', '')} | {c.description}"
              f"{' **Personal data.**' if c.personal else ''} |" for c in table.columns], ""]


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
    lines = ["# Dashboards", "", "Generated from `pemadanan/catalogue.py` by `pemadanan docs`; do not edit by hand.", "",
             "Dashboards read the `published` schema of the warehouse and nothing else: counts per region, no personal "
             "data. Every publish creates (or updates) the PostgreSQL role `pemadanan_dashboard` (resource "
             "`warehouse_db.dashboard_role`) with `USAGE` on `published` and `SELECT` on its tables, and no access to "
             "`restricted`. A table's semester and kabupaten partitions are in `published_partitions`, which the role "
             "cannot read and a table picker does not list: query the tables. Its password is `$PEMADANAN_DASHBOARD_PASSWORD` where the pipeline runs; without it, on the "
             "embedded warehouse, one generated once and kept in `data/warehouse/dashboard.pgpass`, readable by its "
             "owner only; on another PostgreSQL a new role cannot log in and an existing role keeps its login. Every table has a `semester` column (`2024-S1` is the population as at 30 June "
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
             "`.venv/bin/pemadanan warehouse start` serves it on `127.0.0.1:5433` and prints the dashboards' URL, "
             "`postgresql://pemadanan_dashboard@127.0.0.1:5433/pemadanan?passfile=/.../data/warehouse/dashboard.pgpass`"
             ": psql and other libpq clients take it as it is and read the password from that file (`warehouse "
             "status` prints it again). Metabase: Admin > Databases > Add database > PostgreSQL, host `127.0.0.1`, "
             "port `5433`, database `pemadanan`, user `pemadanan_dashboard`, its password (the last field of "
             "`dashboard.pgpass`), and schemas `published` only. Superset: Settings > Database connections > + "
             "Database > PostgreSQL, SQLAlchemy URI `postgresql://pemadanan_dashboard:PASSWORD@127.0.0.1:5433/"
             "pemadanan`.", "",
             "A kabupaten's rows of `semester_changes` are of its own regions. A death counts where the person lived "
             "in the previous semester's snapshot, or, when the previous semester was not published, in the kecamatan "
             "its NIK was issued in if that is in the kabupaten (and the levels above, not in a desa), else in the "
             "kabupaten alone: its Dukcapil recorded the death, wherever the NIK was issued.", ""]
    for table in (*TABLES, *NATIONAL_TABLES):
        if table.schema == "published":
            lines += _table_section(table)
    lines += ["## Example queries", ""]
    for title, query in DASHBOARD_QUERIES:
        lines += [f"{title}:", "", "```sql", query, "```", ""]
    return "\n".join(lines)

