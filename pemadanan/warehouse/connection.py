"""Reaching the warehouse: its URL as libpq and SQLAlchemy read it, a connection, and messages that name the server
and never its password."""

from __future__ import annotations

import re
from urllib.parse import quote, unquote, urlsplit

import psycopg2

from pemadanan.catalogue import Table


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



def sql_literal(cur, value: str) -> str:
    return cur.mogrify("%s", (value,)).decode()



def _exists(cur, table: Table) -> bool:
    cur.execute("SELECT to_regclass(%s)", (table.qualified,))
    return cur.fetchone()[0] is not None


def table_exists(url: str, table: Table) -> bool:
    with connect(url) as conn, conn.cursor() as cur:
        found = _exists(cur, table)
    conn.close()
    return found

