"""The semester report as the coordination meeting reads it, built from a copy of a published semester (no browser:
tests/test_ui.py looks at it in Chromium)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pandas as pd
import pytest
from conftest import new_database

from pemadanan import warehouse
from pemadanan.report import build_report

SEMESTER, KABUPATEN, KENDAL, BANTUL = "2024-S1", "33.23", "33.24", "34.02"


class Tables(HTMLParser):
    """Each table of a page under the heading (h2/h3) above it: {heading: [(headers, rows)]}, cells as text; and
    the text of the page by heading."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.heading, self.tables, self.text = "", {}, {}
        self._in, self._cell = None, None
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        if tag in ("h1", "h2", "h3"):
            self._in, self.heading = tag, ""
        elif tag == "table":
            self.tables.setdefault(self.heading, []).append(([], []))
        elif tag == "tr":
            self.tables[self.heading][-1][1].append([])
        elif tag in ("th", "td"):
            headers, rows = self.tables[self.heading][-1]
            self._cell = headers if tag == "th" else rows[-1]
            self._cell.append("")

    def handle_endtag(self, tag):
        if tag == self._in:
            self._in = None
        elif tag in ("th", "td"):
            self._cell = None

    def handle_data(self, data):
        if self._in:
            self.heading += data
        elif self._cell is not None:
            self._cell[-1] += data
        else:
            self.text[self.heading] = self.text.get(self.heading, "") + data

    def table(self, heading_starts: str, which: int = 0) -> pd.DataFrame:
        headers, rows = next(t for h, t in self.tables.items() if h.startswith(heading_starts))[which]
        return pd.DataFrame([r for r in rows if r], columns=headers)


@pytest.fixture(scope="module")
def published(published_once, pg_server_url) -> str:
    return new_database(pg_server_url, "report", copy_of=published_once)


@pytest.fixture(scope="module")
def page(published) -> Tables:
    return Tables(build_report(published, SEMESTER, KABUPATEN))


def kabupaten_row(url: str) -> pd.Series:
    coverage = warehouse.read_table(url, warehouse.COVERAGE_BY_REGION, SEMESTER, KABUPATEN)
    return coverage[coverage["region_level"] == "kabupaten"].iloc[0]


def test_every_header_is_indonesian_then_english_and_never_a_column_name(page):
    headers = [h for tables in page.tables.values() for headers, _ in tables for h in headers]
    raw = {c.name for t in (*warehouse.TABLES, *warehouse.NATIONAL_TABLES) for c in t.columns} | {"tms_1", "count"}
    assert len(headers) > 40
    assert [h for h in headers if h in raw or "_" in h] == []
    assert [h for h in headers if " / " not in h and h not in ("", "Kecamatan", "Desa")] == []
    assert "Berhak, belum terdaftar / Eligible, unregistered" in headers
    assert "TMS 1 meninggal / dead" in headers


def test_counts_have_thousands_separators_and_percentages_one_decimal(page, published):
    summary = page.table("Ringkasan").set_index("")
    residents = int(kabupaten_row(published)["residents"])
    assert residents >= 1000
    assert summary.loc["Penduduk / Residents", "Jumlah / Count"] == f"{residents:,}".replace(",", ".")
    kecamatan = page.table("Cakupan per kecamatan")
    assert kecamatan["Cakupan / Coverage"].str.fullmatch(r"\d{1,3},\d%").all(), kecamatan["Cakupan / Coverage"]
    assert kecamatan.iloc[-1]["Berhak pilih / Eligible"] == f"{int(kabupaten_row(published)['eligible']):,}".replace(
        ",", ".")  # the kabupaten's total under its kecamatan


def test_suppressed_desa_are_named_as_suppressed_and_never_ranked(page, published):
    coverage = warehouse.read_table(published, warehouse.COVERAGE_BY_REGION, SEMESTER, KABUPATEN)
    desa = coverage[coverage["region_level"] == "desa"]
    hidden = desa[desa["coverage_pct"].isna() & desa[["eligible", "eligible_unregistered"]].isna().any(axis=1)]
    assert len(hidden) >= 10  # a 6,000-resident kabupaten: many desa have small counts

    lowest = page.table("Desa dengan cakupan terendah")
    assert not lowest["Kode wilayah / Region code"].isin(hidden["region_code"]).any()
    shown = lowest["Cakupan / Coverage"].str.rstrip("%").str.replace(",", ".").astype(float)
    assert shown.is_monotonic_increasing and (shown < 100).all()
    text = page.text["Desa dengan cakupan terendah / Desa with the lowest coverage"]
    assert f"Cakupan {len(hidden)} desa disembunyikan" in text and f"coverage of {len(hidden)} desa is suppressed" in text

    suppressed = page.table("Desa dengan cakupan disembunyikan / Desa with suppressed coverage")
    named = suppressed["Nama desa / Desa names"].iloc[:-1].str.split(", ").explode()
    assert sorted(named) == sorted(hidden["region_name"])
    assert suppressed.iloc[-1]["Desa disembunyikan / Suppressed desa"] == str(len(hidden))


def national_section(page: str) -> str:
    return re.search(r"<h2>Temuan lintas kabupaten.*?(?=<h2>)", page, re.DOTALL).group(0)


def publish_national(url: str, findings: list[tuple], covered: list[str]) -> None:
    """The semester's national tables as the national step publishes them: findings (kabupaten, finding,
    other_kabupaten, confidence, found_by) with made-up rows, and the kabupaten covered."""
    frame = pd.DataFrame(findings, columns=["kabupaten", "finding", "other_kabupaten", "confidence", "found_by"])
    frame = frame.assign(tms_code=frame["finding"].map({"died": "1", "moved": "4", "listed_twice": "2"}),
                         voter_row=range(7001, 7001 + len(frame)), population_row=None, other_desa_code=None,
                         other_voter_row=None, other_tps=None)
    # When each kabupaten read was published, as the step records it (those not published here: now).
    published = warehouse.publications(url).xs(SEMESTER, level="semester")["published_at"]
    now = pd.Timestamp.now(tz="UTC")
    coverage = pd.DataFrame({"kabupaten": covered, "published_at": [published.get(k, now) for k in covered],
                             "kabupaten_covered": len(covered),
                             "moved_out": 0, "listed_twice": 0, "listed_elsewhere": 0, "computed_at": now,
                             "died_elsewhere": 0, "listed_elsewhere_high": 0})
    warehouse.replace_kabupaten(url, SEMESTER, None, {warehouse.NATIONAL_FINDINGS: frame,
                                                      warehouse.NATIONAL_COVERAGE: coverage}, dashboard=None)


def test_the_national_section_counts_this_kabupatens_findings_or_says_in_a_line_why_there_are_none(published,
                                                                                                 pg_server_url):
    assert not warehouse.table_exists(published, warehouse.NATIONAL_FINDINGS)
    section = national_section(build_report(published, SEMESTER, KABUPATEN))
    assert "The national step has not run for this semester" in section and "<table>" not in section

    url = new_database(pg_server_url, "report_national", copy_of=published)
    publish_national(url, [
        *[(KABUPATEN, "moved", KENDAL, "high", "NIK")] * 3, (KABUPATEN, "moved", BANTUL, "medium", "name and birth date"),
        (KABUPATEN, "listed_twice", KENDAL, "medium", "NIK"), *[(KABUPATEN, "listed_elsewhere", BANTUL, "high", "NIK")] * 2,
        (KABUPATEN, "died", KENDAL, "high", "NIK"),
        *[(KENDAL, "moved", KABUPATEN, "high", "NIK")] * 5,  # Kendal's: not this kabupaten's findings
    ], [KABUPATEN, KENDAL, BANTUL])
    page = build_report(url, SEMESTER, KABUPATEN)
    tables = Tables(page)
    by_finding = tables.table("Temuan lintas kabupaten").set_index("Temuan / Finding")
    moved = by_finding.loc["Tinggal di kabupaten lain (TMS 4) / Lives in another kabupaten"]
    assert moved.tolist() == ["3", "1", "4"]  # high, medium, total
    assert by_finding.loc["Jumlah / Total"].tolist() == ["6", "2", "8"]
    by_other = tables.table("Per kabupaten lain").set_index("Kabupaten lain / Other kabupaten")
    assert by_other["Jumlah / Total"].to_dict() == {"33.24 Kabupaten Kendal": "5", "34.02 Kabupaten Bantul": "3"}
    assert by_other.loc["34.02 Kabupaten Bantul", "Terdaftar di sana / Listed there"] == "2"
    assert "membandingkan 3 kabupaten dan menemukan 8 baris" in national_section(page)
    assert "7001" not in national_section(page)  # counts, never a row

    publish_national(url, [(KENDAL, "moved", BANTUL, "high", "NIK")], [KABUPATEN, KENDAL, BANTUL])
    section = national_section(build_report(url, SEMESTER, KABUPATEN))
    assert "The national step (3 kabupaten) found nothing for this kabupaten" in section and "<table>" not in section

    publish_national(url, [(KENDAL, "moved", BANTUL, "high", "NIK")], [KENDAL, BANTUL])
    section = national_section(build_report(url, SEMESTER, KABUPATEN))
    assert "ran before this kabupaten was published" in section and "<table>" not in section

    # Read this kabupaten, which has been published again since: its findings are of rows of another delivery.
    publish_national(url, [(KABUPATEN, "moved", KENDAL, "high", "NIK")], [KABUPATEN, KENDAL])
    with warehouse.connect(url) as conn, conn.cursor() as cur:
        cur.execute(f"UPDATE {warehouse.PUBLICATIONS.qualified} SET published_at = now() WHERE kabupaten = %s",
                    (KABUPATEN,))
    conn.close()
    section = national_section(build_report(url, SEMESTER, KABUPATEN))
    assert "(or published again)" in section and "<table>" not in section
