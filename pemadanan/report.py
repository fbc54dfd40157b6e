"""The semester report for the coordination meeting (rapat koordinasi KPU-Dukcapil): one self-contained HTML file,
no CDN, no personal data, rendered from templates/report.html.j2.

It reads what the semester published: the `published` tables (desa counts already suppressed below the threshold)
and counts of the `restricted` ones (never a row). Every label and number is Indonesian first, English second:
numbers as Indonesians write them (1.234; 95,3%), charts from zero, sorted.
"""

from __future__ import annotations

import base64
import io
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import jinja2
import pandas as pd

from pemadanan import regions, warehouse
from pemadanan.keys import inside, kabupaten_key, semester_key
from pemadanan.kpu import KPU_CODES, TMS_ENGLISH, TMS_MEANINGS
from pemadanan.summary import SMALL_COUNT_THRESHOLD

TEMPLATES = jinja2.Environment(loader=jinja2.PackageLoader("pemadanan", "templates"), autoescape=True,
                               undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
LOWEST_DESA = 15
OTHER_KABUPATEN_ROWS = 15


def count(value: float | None) -> str:
    """A count as the meeting reads it: 1.234 (a suppressed one as a dash)."""
    return "–" if pd.isna(value) else f"{int(value):,}".replace(",", ".")


def percent(value: float | None) -> str:
    """Always one decimal, with a decimal comma: 95,3%."""
    return "–" if pd.isna(value) else f"{value:.1f}".replace(".", ",") + "%"


def text(value: object) -> str:
    return "–" if pd.isna(value) else str(value)


FORMATS: dict[str, Callable[[object], str]] = {"text": text, "count": count, "pct": percent}
TEMPLATES.filters["cell"] = lambda value, kind: FORMATS[kind](value)
TEMPLATES.filters["count"] = count

FINDINGS = ("died", "moved", "listed_twice", "listed_elsewhere")  # as the national step orders them
# Every column a table of the report shows, by the name its frame gives it: (header, how its cells are written).
COLUMNS: dict[str, tuple[str, str]] = {
    "what": ("", "text"),
    "count": ("Jumlah / Count", "count"),
    "kecamatan": ("Kecamatan", "text"),
    "desa": ("Desa", "text"),
    "region_code": ("Kode wilayah / Region code", "text"),
    "residents": ("Penduduk / Residents", "count"),
    "eligible": ("Berhak pilih / Eligible", "count"),
    "registered": ("Baris DPT / Voter rows", "count"),
    "linked": ("Tertaut / Linked", "count"),
    "eligible_unregistered": ("Berhak, belum terdaftar / Eligible, unregistered", "count"),
    "new_voters": ("Pemilih baru / New voters", "count"),
    **{f"tms_{code}": (f"TMS {code} {TMS_MEANINGS[code]} / {TMS_ENGLISH[code]}", "count") for code in KPU_CODES},
    "coverage_pct": ("Cakupan / Coverage", "pct"),
    "change": ("Perubahan / Change", "text"),
    "people": ("Orang / People", "count"),
    "voter_rows": ("Baris DPT / Voter rows", "count"),
    "dataset": ("Data / Dataset", "text"),
    "file_name": ("Berkas / File", "text"),
    "rows_in": ("Baris masuk / Rows in", "count"),
    "rows_accepted": ("Diterima / Accepted", "count"),
    "rows_quarantined": ("Dikarantina / Quarantined", "count"),
    "rows_flagged": ("Ditandai / Flagged", "count"),
    "rows_repaired": ("Diperbaiki / Repaired", "count"),
    "sha256": ("SHA-256 (awal / start)", "text"),
    "reason": ("Alasan / Reason", "text"),
    "rows": ("Baris / Rows", "count"),
    "method": ("Cara penautan / Link method", "text"),
    "links": ("Tautan / Links", "count"),
    "share_pct": ("Bagian baris DPT / Share of voter rows", "pct"),
    "suppressed": ("Desa disembunyikan / Suppressed desa", "count"),
    "names": ("Nama desa / Desa names", "text"),
    "finding": ("Temuan / Finding", "text"),
    "high": ("Keyakinan tinggi / High confidence", "count"),
    "medium": ("Keyakinan sedang / Medium confidence", "count"),
    "findings": ("Jumlah / Total", "count"),
    "other_kabupaten": ("Kabupaten lain / Other kabupaten", "text"),
    "died": ("Meninggal / Died", "count"),
    "moved": ("Pindah / Moved", "count"),
    "listed_twice": ("Terdaftar ganda / Listed twice", "count"),
    "listed_elsewhere": ("Terdaftar di sana / Listed there", "count"),
}
CHANGES = {"born": "lahir / born", "died": "meninggal / died", "moved_in": "pindah masuk / moved in",
           "moved_out": "pindah keluar / moved out", "moved_within": "pindah dalam kabupaten / moved within",
           "name_corrected": "nama dikoreksi / name corrected",
           "birth_date_corrected": "tanggal lahir dikoreksi / birth date corrected", "married": "menikah / married",
           "joined_tni_polri": "masuk TNI/Polri / joined TNI/Polri", "left_tni_polri": "keluar TNI/Polri / left TNI/Polri",
           "turned_17": "berumur 17 / turned 17"}
DATASETS = {"population": "penduduk (DKB) / population", "voters": "pemilih (DPT) / voters",
            "deaths": "kematian / deaths"}
LINK_METHODS = {"exact_nik": "NIK sama / same NIK", "nik_one_edit": "NIK beda satu angka / NIK one digit off",
                "probabilistic": "nama, tanggal lahir, alamat / name, birth date, address",
                "reviewer": "keputusan peninjau / reviewer's decision"}
FINDING_LABELS = {
    "died": "Meninggal, tercatat di kabupaten lain (TMS 1) / Died, recorded in another kabupaten",
    "moved": "Tinggal di kabupaten lain (TMS 4) / Lives in another kabupaten",
    "listed_twice": "Terdaftar juga di kabupaten lain (TMS 2) / Also listed in another kabupaten",
    "listed_elsewhere": "Berhak di sini, terdaftar di kabupaten lain / Eligible here, listed in another kabupaten",
}


@dataclass(frozen=True)
class Table:
    columns: list[tuple[str, str]]  # (header, kind) each
    rows: list[tuple]
    total: tuple | None = None


def table(frame: pd.DataFrame, columns: list[str], total: pd.Series | None = None) -> Table:
    """The frame's columns as the template shows them, under their bilingual headers (a column with none is an
    error, never a raw name on the projector)."""
    return Table([COLUMNS[c] for c in columns], list(frame[columns].itertuples(index=False, name=None)),
                 None if total is None else tuple(total[columns]))


def labelled(values: pd.Series, labels: dict[str, str]) -> pd.Series:
    """Codes in words; a code the labels do not know yet is shown as it is rather than dropped."""
    return values.map(labels).fillna(values)


def _counts(url: str, query: str, *values: str) -> pd.DataFrame:
    with warehouse.connect(url) as conn, conn.cursor() as cur:
        cur.execute(query, values)
        frame = pd.DataFrame(cur.fetchall(), columns=[d[0] for d in cur.description])
    conn.close()
    return frame


def bar_chart(labels: pd.Series, values: pd.Series, title: str, xlabel: str, *,
              fmt: str | Callable[[float], str] = "%g", x_max: float | None = None,
              smallest_on_top: bool = False) -> str:
    """Horizontal bars from zero, sorted (largest on top, or smallest), as a base64 PNG for a data: URI. With a
    `fmt` function the axis is in whole numbers, written as `count` writes them, to read like the report's tables."""
    import matplotlib  # noqa: PLC0415 - only the charts need it

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415
    from matplotlib.ticker import MaxNLocator  # noqa: PLC0415

    order = values.fillna(0).to_numpy().argsort()  # barh draws upwards: the last bar on top
    if smallest_on_top:
        order = order[::-1]
    figure, axes = plt.subplots(figsize=(8, max(2.2, 0.3 * len(values))))
    bars = axes.barh(labels.iloc[order].astype(str), values.iloc[order].fillna(0), color="#4a7ab5")
    axes.bar_label(bars, fmt=fmt, padding=2, fontsize=8)
    if callable(fmt):
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.xaxis.set_major_formatter(lambda value, _position: count(value))
    axes.set_xlim(0, x_max or max(1.0, float(values.max() or 0)) * 1.12)
    axes.set_title(title)
    axes.set_xlabel(xlabel)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=80)
    plt.close(figure)
    return base64.b64encode(buffer.getvalue()).decode()


@dataclass(frozen=True)
class Chart:
    title: str
    png: str  # base64


def chart(labels: pd.Series, values: pd.Series, title: str, xlabel: str, fmt: Callable[[float], str] = count,
          **options) -> Chart:
    return Chart(title, bar_chart(labels, values.astype(float), title, xlabel, fmt=fmt, **options))


@dataclass(frozen=True)
class DesaCoverage:
    desa: int
    shown: int
    at_full: int  # shown at 100%: not ranked among the lowest
    hidden: int
    lowest: Table  # ranked: shown, below 100%
    suppressed: Table  # per kecamatan, the desa whose coverage is not shown


def desa_coverage(desa: pd.DataFrame, kecamatan_names: pd.Series) -> DesaCoverage:
    """Only desa whose coverage can be shown are ranked; those whose coverage suppression hid (a small count of
    eligible or unregistered residents) are named per kecamatan instead, so that none passes for complete."""
    desa = desa.assign(desa=desa["region_name"].fillna(desa["region_code"]),
                       kecamatan=regions.code_at_level(desa["region_code"], "kecamatan").map(kecamatan_names))
    shown = desa[desa["coverage_pct"].notna()]
    # A desa with no eligible resident has no coverage either, suppressed or not: it is neither ranked nor named.
    hidden = desa[desa["coverage_pct"].isna() & desa[["eligible", "eligible_unregistered"]].isna().any(axis=1)]
    lowest = shown[shown["coverage_pct"] < 100].sort_values(["coverage_pct", "region_code"]).head(LOWEST_DESA)
    suppressed = (hidden.sort_values("desa").groupby("kecamatan", sort=True)
                  .agg(suppressed=("desa", "size"), names=("desa", ", ".join)).reset_index())
    return DesaCoverage(len(desa), len(shown), int((shown["coverage_pct"] >= 100).sum()), len(hidden),
                        table(lowest, ["desa", "kecamatan", "region_code", "eligible", "eligible_unregistered",
                                       "coverage_pct"]),
                        table(suppressed, ["kecamatan", "suppressed", "names"],
                              total_row("kecamatan", pd.Series({"suppressed": len(hidden), "names": ""}))))


@dataclass(frozen=True)
class National:
    """What the semester's national step found for the kabupaten, in counts. `compared` is the number of
    kabupaten it read: 0 when it has not run for the semester, and None when it ran before this kabupaten was
    published, or published again (so never looked at its rows as they are)."""

    compared: int | None
    findings: int = 0
    by_finding: Table | None = None
    by_other_kabupaten: Table | None = None


def national_counts(url: str, semester: str, kabupaten: str) -> National:
    compared = warehouse.national_step_read(url, semester, kabupaten)
    if not compared:
        return National(compared)
    found = _counts(url, "SELECT finding, confidence, other_kabupaten, count(*) AS findings FROM "
                         f"{warehouse.NATIONAL_FINDINGS.qualified} WHERE semester = %s AND kabupaten = %s "
                         "GROUP BY 1, 2, 3", semester, kabupaten)
    if found.empty:
        return National(compared)
    by_finding = (found.pivot_table(index="finding", columns="confidence", values="findings", aggfunc="sum",
                                    fill_value=0).reindex(index=list(FINDINGS), columns=["high", "medium"],
                                                          fill_value=0))
    by_finding = by_finding.assign(findings=by_finding.sum(axis=1)).rename_axis("finding").reset_index()
    by_finding["finding"] = labelled(by_finding["finding"], FINDING_LABELS)
    by_other = (found.pivot_table(index="other_kabupaten", columns="finding", values="findings", aggfunc="sum",
                                  fill_value=0).reindex(columns=list(FINDINGS), fill_value=0))
    by_other = by_other.assign(findings=by_other.sum(axis=1)).sort_values("findings", ascending=False)
    by_other.index = by_other.index.map(lambda code: f"{code} {regions.region_name(code) or ''}".strip())
    if len(by_other) > OTHER_KABUPATEN_ROWS:  # the long tail as one row: the meeting reads the largest
        rest = by_other.iloc[OTHER_KABUPATEN_ROWS - 1:]
        by_other = pd.concat([by_other.iloc[:OTHER_KABUPATEN_ROWS - 1],
                              rest.sum().to_frame(f"{len(rest)} kabupaten lain / {len(rest)} other kabupaten").T])
    total = by_finding[["high", "medium", "findings"]].sum()
    return National(compared, int(total["findings"]),
                    table(by_finding, ["finding", "high", "medium", "findings"], total_row("finding", total)),
                    table(by_other.rename_axis("other_kabupaten").reset_index(),
                          ["other_kabupaten", *FINDINGS, "findings"]))


def total_row(label_column: str, sums: pd.Series) -> pd.Series:
    return pd.concat([pd.Series({label_column: "Jumlah / Total"}), sums])


SUMMARY = ["residents", "eligible", "registered", "linked", "eligible_unregistered", "new_voters"]
TMS_COLUMNS = [f"tms_{code}" for code in KPU_CODES]


def build_report(url: str, semester: str, kabupaten: str) -> str:
    coverage = warehouse.read_table(url, warehouse.COVERAGE_BY_REGION, semester, kabupaten)
    if coverage.empty:
        raise ValueError(f"{semester} {kabupaten} was not published: nothing to report")
    whole = coverage[coverage["region_level"] == "kabupaten"].iloc[0]
    kecamatan = coverage[coverage["region_level"] == "kecamatan"]
    kecamatan = kecamatan.assign(kecamatan=kecamatan["region_name"].fillna(kecamatan["region_code"]))
    kecamatan_names = kecamatan.set_index("region_code")["kecamatan"]
    kabupaten_total = total_row("kecamatan", whole[["eligible", "registered", "eligible_unregistered", "new_voters",
                                                    *TMS_COLUMNS, "coverage_pct"]])
    changes = warehouse.read_table(url, warehouse.SEMESTER_CHANGES, semester, kabupaten)
    changes = (changes[changes["region_level"] == "kabupaten"].groupby("change", as_index=False)["people"].sum()
               .sort_values("people", ascending=False))
    deliveries = warehouse.read_table(url, warehouse.DELIVERIES, semester, kabupaten)
    quality = warehouse.read_table(url, warehouse.DATA_QUALITY, semester, kabupaten)
    reasons = (quality[(quality["outcome"] == "quarantine") & (quality["unexpected_count"] > 0)]
               .sort_values("unexpected_count", ascending=False).head(10).rename(columns={"unexpected_count": "rows"}))
    methods = _counts(url, f"SELECT link_method AS method, count(*) AS links FROM {warehouse.VOTER_LINKS.qualified} "
                           "WHERE semester = %s AND kabupaten = %s GROUP BY 1 ORDER BY 2 DESC", semester, kabupaten)
    coklit = _counts(url, "SELECT left(desa_code, 8) AS kecamatan, count(DISTINCT voter_row) AS voter_rows "
                          f"FROM {warehouse.TMS_CANDIDATES.qualified} WHERE semester = %s AND kabupaten = %s AND "
                          "needs_coklit GROUP BY 1 ORDER BY 2 DESC", semester, kabupaten)
    coklit["kecamatan"] = coklit["kecamatan"].map(kecamatan_names).fillna(coklit["kecamatan"])
    methods["share_pct"] = 100 * methods["links"] / whole["registered"]
    tms_labels = pd.Series([COLUMNS[c][0] for c in TMS_COLUMNS])
    return TEMPLATES.get_template("report.html.j2").render(
        semester=semester, kabupaten=kabupaten, kabupaten_name=regions.region_name(kabupaten) or "",
        compared_with=warehouse.publications(url)["compared_with"].get((semester, kabupaten)),
        threshold=SMALL_COUNT_THRESHOLD, coverage_pct=percent(whole["coverage_pct"]),
        summary=table(pd.DataFrame({"what": [COLUMNS[c][0] for c in SUMMARY], "count": whole[SUMMARY].to_numpy()}),
                      ["what", "count"]),
        changes=table(changes.assign(change=labelled(changes["change"], CHANGES)), ["change", "people"]),
        tms_chart=chart(tms_labels, whole[TMS_COLUMNS].reset_index(drop=True), "Calon TMS per kode / TMS candidates "
                        "per code", "baris DPT / voter rows"),
        coverage_chart=chart(kecamatan["kecamatan"], kecamatan["coverage_pct"], "Cakupan per kecamatan (terendah di "
                             "atas) / Coverage per kecamatan (lowest on top)", "penduduk berhak pilih yang terdaftar "
                             "/ eligible residents on the list (%)", percent, x_max=105, smallest_on_top=True),
        per_kecamatan=table(kecamatan.sort_values("coverage_pct"), ["kecamatan", "eligible", "registered",
                            "eligible_unregistered", "new_voters", "coverage_pct"], kabupaten_total),
        tms_per_kecamatan=table(kecamatan.sort_values("kecamatan"), ["kecamatan", *TMS_COLUMNS], kabupaten_total),
        desa=desa_coverage(coverage[coverage["region_level"] == "desa"], kecamatan_names),
        unregistered_chart=chart(kecamatan["kecamatan"], kecamatan["eligible_unregistered"],
                                 "Berhak, belum terdaftar / Eligible, unregistered", "penduduk / residents"),
        new_voters_chart=chart(kecamatan["kecamatan"], kecamatan["new_voters"], "Pemilih baru / New voters",
                               "penduduk / residents"),
        national=national_counts(url, semester, kabupaten),
        coklit=table(coklit, ["kecamatan", "voter_rows"], total_row("kecamatan", coklit[["voter_rows"]].sum())),
        deliveries=table(deliveries.assign(dataset=labelled(deliveries["dataset"], DATASETS),
                                           sha256=deliveries["file_sha256"].str.slice(0, 12)),
                         ["dataset", "file_name", "rows_in", "rows_accepted", "rows_quarantined", "rows_flagged",
                          "rows_repaired", "sha256"]),
        reasons=table(reasons.assign(dataset=labelled(reasons["dataset"], DATASETS)), ["dataset", "reason", "rows"]),
        methods=table(methods.assign(method=labelled(methods["method"], LINK_METHODS)), ["method", "links", "share_pct"],
                      total_row("method", methods[["links", "share_pct"]].sum())),
    )


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
