"""What people look at, in a real browser: headless Chromium (Debian's package, installed by scripts/bootstrap.sh)
driven by Playwright against `pemadanan ui` (dagster dev and the file server) on two published semesters, and the
semester report with every request off this machine refused. Screenshots are kept in test-artifacts/ui/."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pandas as pd
import pytest
from conftest import free_port, new_database, pemadanan_ui
from playwright.sync_api import Page

from pemadanan import settings
from pipelines.cli import run_semester

pytestmark = [pytest.mark.browser, pytest.mark.daemon]  # `pemadanan ui`: webserver and daemon
SEMESTERS = ("2024-S1", "2024-S2")
ARTIFACTS = Path(os.environ.get("PEMADANAN_TEST_ARTIFACTS", settings.PROJECT_ROOT / "test-artifacts")) / "ui"


@pytest.fixture(scope="module")
def ui(tmp_path_factory, pg_server_url, small_kabupaten):
    """Two semesters published as the demo publishes them (`pemadanan run`, the shipped SQLite instance), then
    `pemadanan ui` on them. Yields (Dagster UI URL, file server URL)."""
    work = tmp_path_factory.mktemp("ui")
    (work / "dagster_home").mkdir()
    shutil.copy(settings.PROJECT_ROOT / "deploy" / "dagster.yaml", work / "dagster_home" / "dagster.yaml")
    ui_port, files_port = free_port(), free_port()
    env = {"DAGSTER_HOME": str(work / "dagster_home"), "PEMADANAN_DATA_DIR": str(work / "data"),
           "PEMADANAN_LANDING_DIR": str(small_kabupaten),
           "PEMADANAN_WAREHOUSE_URL": new_database(pg_server_url, "ui"),
           "PEMADANAN_FILES_URL": f"http://127.0.0.1:{files_port}"}
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    try:
        for semester in SEMESTERS:
            ok, message = run_semester(semester)
            assert ok, message
        with pemadanan_ui(os.environ.copy(), ui_port, files_port) as dagster_url:
            yield dagster_url, env["PEMADANAN_FILES_URL"]
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def screenshot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)


def personal_data(page: Page, small_kabupaten: Path) -> list[str]:
    """The semester's NIKs and full names found in what the page shows."""
    population = pd.read_csv(small_kabupaten / "2024-S2" / "population.csv", dtype=str)
    text = page.content()
    names = [n for n in population["NAMA_LGKP"].dropna() if " " in n and len(n) >= 12]
    return [v for v in population["NIK"].dropna() if v in text] + [n for n in names if n in text]


def test_the_dagster_ui_shows_the_graph_a_semester_its_checks_and_a_data_docs_link_that_opens(ui, page,
                                                                                               small_kabupaten):
    dagster_url, files_url = ui
    page.goto(f"{dagster_url}/asset-groups")
    for group in ("ingest", "link", "outputs", "publish", "national"):
        page.get_by_text(group, exact=True).first.wait_for(timeout=60_000)
    screenshot(page, "asset-graph")

    page.goto(f"{dagster_url}/assets/population?view=partitions&partition=2024-S2%7C33.23")
    page.get_by_text("rows_quarantined", exact=True).wait_for(timeout=60_000)
    for key in ("rows_in", "rows_accepted", "quarantine_reasons", "data_docs"):
        assert page.get_by_text(key, exact=True).count() >= 1, key
    docs_link = page.locator(f"a[href^='{files_url}/data_docs/2024-S2/33.23/population/']").first
    docs_link.wait_for()
    docs_url = docs_link.get_attribute("href")
    screenshot(page, "population-2024-S2")
    assert personal_data(page, small_kabupaten) == []

    page.goto(f"{dagster_url}/assets/population?view=checks")
    page.get_by_text("nik_16_digits", exact=True).first.wait_for(timeout=60_000)
    page.get_by_text("age_at_most_120", exact=True).first.click()  # it quarantines rows: it must not block
    page.get_by_text("non-blocking").first.wait_for()
    screenshot(page, "population-checks")
    assert personal_data(page, small_kabupaten) == []

    page.goto(docs_url)  # a link a browser follows: http, not file://
    assert page.title(), "the Data Docs page has no title"
    page.get_by_text("Validation Results").first.wait_for(timeout=30_000)
    assert "population.rows" in page.inner_text("body")  # the suite on the staged rows, with its results
    screenshot(page, "population-data-docs")
    assert personal_data(page, small_kabupaten) == []


def test_the_semester_report_renders_its_charts_with_no_request_off_this_machine(ui, page, small_kabupaten):
    _, files_url = ui
    refused = []

    def only_the_file_server(route):
        if route.request.url.startswith(files_url) or route.request.url.startswith("data:"):
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    page.route("**/*", only_the_file_server)
    page.set_viewport_size({"width": 1280, "height": 800})  # the meeting's projector
    page.goto(f"{files_url}/")
    page.get_by_text("reports/pemadanan-2024-S2-33.23.html").click()
    page.get_by_text("TMS candidates", exact=False).first.wait_for()
    charts = page.locator("img")
    assert charts.count() >= 3
    widths = charts.evaluate_all("images => images.map(i => i.complete ? i.naturalWidth : 0)")
    assert min(widths) > 0, widths
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280  # nothing cut off, no sideways scrolling
    screenshot(page, "report-2024-S2")
    assert refused == []
    assert personal_data(page, small_kabupaten) == []
