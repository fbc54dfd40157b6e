"""The PostgreSQL warehouse, by job: reaching it (`connection`), publishing one kabupaten's semester atomically
(`publish`), reading what was published (`readers`), staging step outputs (`staging`) and the embedded server
(`server`); its tables are those of `pemadanan.catalogue`, given here too. Import from here:
`from pemadanan import warehouse; warehouse.VOTER_LINKS`."""

from pemadanan.catalogue import (
                                           COKLIT_LIST,
                                           COVERAGE_BY_REGION,
                                           DASHBOARD_QUERIES,
                                           DATA_QUALITY,
                                           DEATH_RECORDS,
                                           DELIVERIES,
                                           ELIGIBLE_UNREGISTERED,
                                           LINK_SUMMARY,
                                           NATIONAL_COVERAGE,
                                           NATIONAL_FINDINGS,
                                           NATIONAL_TABLES,
                                           NEW_VOTERS,
                                           POPULATION_CHANGES,
                                           POPULATION_SNAPSHOT,
                                           PUBLICATIONS,
                                           QUARANTINE,
                                           REVIEW_DECISIONS,
                                           REVIEW_QUEUE,
                                           ROW_ISSUES,
                                           SEMESTER,
                                           SEMESTER_CHANGES,
                                           TABLES,
                                           TMS_CANDIDATES,
                                           UNLINKED_VOTERS,
                                           VOTER_DUPLICATES,
                                           VOTER_LINKS,
                                           Column,
                                           Table,
                                           dashboards_markdown,
                                           tables_markdown,
)
from pemadanan.warehouse.connection import (
                                           WarehouseUnavailable,
                                           connect,
                                           describe,
                                           driver_error,
                                           encoded_url,
                                           libpq_url,
                                           sql_literal,
                                           sqlalchemy_url,
                                           table_exists,
)
from pemadanan.warehouse.publish import DashboardRole, replace_kabupaten
from pemadanan.warehouse.readers import (
                                           copy_out,
                                           national_findings_of,
                                           national_step_read,
                                           previous_rows_in,
                                           publications,
                                           published_with_digest,
                                           read_semester,
                                           read_table,
                                           review_offered,
)
from pemadanan.warehouse.server import (
                                           DASHBOARD_PASSFILE,
                                           SUPERUSER_PASSWORD,
                                           dashboard_role,
                                           dashboard_url,
                                           embedded_url,
                                           ensure_database,
                                           resolve_url,
                                           serve,
                                           serving_url,
                                           stop_serving,
)

__all__ = [
    "COKLIT_LIST", "COVERAGE_BY_REGION", "DASHBOARD_PASSFILE", "DASHBOARD_QUERIES", "DATA_QUALITY", "DEATH_RECORDS", "DELIVERIES", "ELIGIBLE_UNREGISTERED",
    "LINK_SUMMARY", "NATIONAL_COVERAGE", "NATIONAL_FINDINGS", "NATIONAL_TABLES", "NEW_VOTERS", "POPULATION_CHANGES",
    "POPULATION_SNAPSHOT", "PUBLICATIONS", "QUARANTINE", "REVIEW_DECISIONS", "REVIEW_QUEUE", "ROW_ISSUES", "SEMESTER",
    "SEMESTER_CHANGES", "SUPERUSER_PASSWORD", "TABLES", "TMS_CANDIDATES", "UNLINKED_VOTERS", "VOTER_DUPLICATES", "VOTER_LINKS", "Column",
    "DashboardRole", "Table", "WarehouseUnavailable", "connect", "copy_out", "dashboard_role", "dashboard_url", "dashboards_markdown", "describe",
    "driver_error", "embedded_url", "encoded_url", "ensure_database", "libpq_url", "national_findings_of", "national_step_read", "previous_rows_in", "publications",
    "published_with_digest", "read_semester", "read_table", "replace_kabupaten", "resolve_url", "review_offered",
    "serve", "serving_url", "sql_literal", "sqlalchemy_url", "stop_serving", "table_exists", "tables_markdown",
]
