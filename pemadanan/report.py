"""The semester report for the coordination meeting (rapat koordinasi KPU-Dukcapil): one self-contained HTML file,
no CDN, no personal data.

It reads what the semester published: the `published` tables (desa counts already suppressed below the threshold)
and counts of the `restricted` ones (never a row). Charts start at zero, are sorted and say what they show in
Indonesian and English.
"""

from __future__ import annotations

import base64
import html
import io
import os
from pathlib import Path

import pandas as pd

from pemadanan import regions, warehouse
from pemadanan.keys import inside, kabupaten_key, semester_key
from pemadanan.kpu import KPU_CODES, TMS_MEANINGS

STYLE = """body{font-family:system-ui,sans-serif;margin:2em auto;max-width:60em;color:#222}
h1{font-size:1.6em}h2{font-size:1.2em;border-bottom:1px solid #ccc;margin-top:2em}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ddd;padding:.2em .6em;text-align:right}
th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}.note{color:#555;font-size:.9em}
img{max-width:100%}"""


def _counts(url: str, query: str, semester: str, kabupaten: str) -> pd.DataFrame:
    with warehouse.connect(url) as conn, conn.cursor() as cur:
        cur.execute(query, (semester, kabupaten))
        frame = pd.DataFrame(cur.fetchall(), columns=[d[0] for d in cur.description])
    conn.close()
    return frame


def bar_chart(labels: pd.Series, values: pd.Series, title: str, xlabel: str, *, fmt: str = "%g",
              x_max: float | None = None, smallest_on_top: bool = False) -> str:
    """Horizontal bars from zero, sorted (largest on top, or smallest), as a base64 PNG for a data: URI."""
    import matplotlib  # noqa: PLC0415 - only the charts need it

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    order = values.fillna(0).to_numpy().argsort()  # barh draws upwards: the last bar on top
    if smallest_on_top:
        order = order[::-1]
    figure, axes = plt.subplots(figsize=(8, max(2.2, 0.3 * len(values))))
    bars = axes.barh(labels.iloc[order].astype(str), values.iloc[order].fillna(0), color="#4a7ab5")
    axes.bar_label(bars, fmt=fmt, padding=2, fontsize=8)
    axes.set_xlim(0, x_max or max(1.0, float(values.max() or 0)) * 1.12)
    axes.set_title(title)
    axes.set_xlabel(xlabel)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=80)
    plt.close(figure)
    return base64.b64encode(buffer.getvalue()).decode()


def _chart(labels: pd.Series, values: pd.Series, title: str, xlabel: str) -> str:
    return f'<img alt="{html.escape(title)}" src="data:image/png;base64,{bar_chart(labels, values, title, xlabel)}">'


def _table(frame: pd.DataFrame) -> str:
    """Counts read back as floats when a suppressed (NULL) count shares their column: shown as whole numbers."""
    return frame.to_html(index=False, na_rep="–", border=0,
                         float_format=lambda v: f"{v:,.0f}" if float(v).is_integer() else f"{v:,.2f}")


def build_report(url: str, semester: str, kabupaten: str) -> str:
    coverage = warehouse.read_table(url, warehouse.COVERAGE_BY_REGION, semester, kabupaten)
    if coverage.empty:
        raise ValueError(f"{semester} {kabupaten} was not published: nothing to report")
    kabupaten_rows = coverage[coverage["region_level"] == "kabupaten"]
    kecamatan = coverage[coverage["region_level"] == "kecamatan"].copy()
    desa = coverage[coverage["region_level"] == "desa"]
    kecamatan["name"] = kecamatan["region_name"].fillna(kecamatan["region_code"])
    changes = warehouse.read_table(url, warehouse.SEMESTER_CHANGES, semester, kabupaten)
    deliveries = warehouse.read_table(url, warehouse.DELIVERIES, semester, kabupaten)
    quality = warehouse.read_table(url, warehouse.DATA_QUALITY, semester, kabupaten)
    published = warehouse.publications(url)
    methods = _counts(url, f"SELECT link_method AS method, count(*) AS links FROM {warehouse.VOTER_LINKS.qualified} "
                           "WHERE semester = %s AND kabupaten = %s GROUP BY 1 ORDER BY 2 DESC", semester, kabupaten)
    coklit = _counts(url, "SELECT left(desa_code, 8) AS kecamatan, count(DISTINCT voter_row) AS voter_rows "
                          f"FROM {warehouse.TMS_CANDIDATES.qualified} WHERE semester = %s AND kabupaten = %s AND needs_coklit "
                          "GROUP BY 1 ORDER BY 2 DESC", semester, kabupaten)
    coklit["kecamatan"] = coklit["kecamatan"].map(kecamatan.set_index("region_code")["name"]).fillna(coklit["kecamatan"])

    total = kabupaten_rows[["residents", "eligible", "registered", "linked", "eligible_unregistered", "new_voters"]].sum()
    tms_total = {f"TMS {c} {TMS_MEANINGS[c]}": int(kabupaten_rows[f"tms_{c}"].sum()) for c in KPU_CODES}
    compared = published["compared_with"].get((semester, kabupaten))
    kab_changes = (changes[changes["region_level"] == "kabupaten"].groupby("change")["people"].sum()
                   .rename_axis("perubahan / change").reset_index(name="orang / people"))
    lowest_desa = (desa.dropna(subset=["coverage_pct"]).sort_values("coverage_pct").head(15)
                   [["region_code", "region_name", "eligible", "eligible_unregistered", "coverage_pct"]])
    quarantine_reasons = (quality[(quality["outcome"] == "quarantine") & (quality["unexpected_count"] > 0)]
                          .sort_values("unexpected_count", ascending=False)
                          [["file_name", "reason", "unexpected_count"]].head(10))
    per_kecamatan = kecamatan[["name", "eligible", "registered", "eligible_unregistered", "new_voters",
                               *[f"tms_{c}" for c in KPU_CODES], "coverage_pct"]].sort_values("coverage_pct")

    sections = [
        f"<h1>Laporan pemadanan DPT – DKB / Voter list matching report: {html.escape(semester)}, {html.escape(kabupaten)} "
        f"{html.escape(regions.region_name(kabupaten) or '')}</h1>",
        "<p class=note>Tanpa data pribadi; jumlah desa di bawah ambang disembunyikan (–). No personal data; desa "
        "counts below the threshold are suppressed (–). " + (f"Dibandingkan dengan / compared with {compared}."
                                                             if compared else "Tidak ada semester sebelumnya / no "
                                                             "previous semester to compare with.") + "</p>",
        "<h2>Ringkasan / Summary</h2>", _table(pd.DataFrame({
            "": ["penduduk / residents", "berhak pilih / eligible", "baris DPT / voter rows",
                 "tertaut / linked", "berhak, belum terdaftar / eligible, unregistered", "pemilih baru / new voters"],
            "jumlah / count": [int(v) for v in total.to_numpy()]})),
        "<h2>Perubahan sejak semester lalu / Changes since the last semester</h2>", _table(kab_changes),
        "<h2>Calon TMS / TMS candidates</h2>",
        _chart(pd.Series(list(tms_total)), pd.Series(list(tms_total.values()), dtype=float),
               "Calon TMS per kode / TMS candidates per code", "baris DPT / voter rows"),
        "<h2>Cakupan per kecamatan / Coverage per kecamatan</h2>",
        _chart(kecamatan["name"], kecamatan["coverage_pct"], "Cakupan (terendah di bawah) / Coverage (lowest at the "
               "bottom)", "penduduk berhak pilih yang terdaftar / eligible residents on the list (%)"),
        _table(per_kecamatan.rename(columns={"name": "kecamatan"})),
        "<h3>Desa dengan cakupan terendah / Desa with the lowest coverage</h3>", _table(lowest_desa),
        "<h2>Belum terdaftar dan pemilih baru / Unregistered and new voters</h2>",
        _chart(kecamatan["name"], kecamatan["eligible_unregistered"].astype(float),
               "Berhak, belum terdaftar / Eligible, unregistered", "penduduk / residents"),
        _chart(kecamatan["name"], kecamatan["new_voters"].astype(float), "Pemilih baru / New voters",
               "penduduk / residents"),
        "<h2>Perlu coklit / Needs coklit</h2>",
        _table(coklit.rename(columns={"kecamatan": "kecamatan", "voter_rows": "baris DPT / voter rows"})),
        "<h2>Kualitas data / Data quality</h2>", _table(deliveries),
        "<h3>Alasan karantina teratas / Top quarantine reasons</h3>", _table(quarantine_reasons),
        "<h2>Penautan / Linkage</h2>", _table(methods),
    ]
    return (f"<!doctype html><html lang=id><head><meta charset=utf-8><title>pemadanan {html.escape(semester)} {html.escape(kabupaten)}</title>"
            f"<style>{STYLE}</style></head><body>{''.join(sections)}</body></html>")


def report_path(folder: Path, semester: str, kabupaten: str) -> Path:
    """The report's file: replaced by each run, so never one a symlink leads to outside `folder`."""
    return inside(folder, f"pemadanan-{semester_key(semester)}-{kabupaten_key(kabupaten)}.html")


def write_report(url: str, semester: str, kabupaten: str, folder: Path) -> Path:
    path = report_path(folder, semester, kabupaten)
    page = build_report(url, semester, kabupaten)
    folder.mkdir(parents=True, exist_ok=True)
    staging = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    staging.unlink(missing_ok=True)
    # A new file, never one a symlink planted under the staging name leads to.
    with os.fdopen(os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644), "w",
                   encoding="utf-8") as out:
        out.write(page)
    staging.replace(path)
    return path
