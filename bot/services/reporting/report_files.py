"""The report as files: XLSX (a sheet per table), CSV (all tables, long format) and a
multi-page PDF (summary, charts, a page per district), in German for the city.

Pseudonymised by construction: every file is built from :class:`Figures`, which holds only
counts per district, topic, quarter (Stadtteil), month, department and year; no name,
contact, Telegram id, address or free text of a resident ever reaches this module.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from matplotlib import rc_context
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from bot.services.basics.reference import ReferenceData
from bot.services.reporting import charts
from bot.services.reporting.figures import (
    CONFERENCES_PER_YEAR,
    PROJECTS_PER_YEAR,
    DistrictFigures,
    Figures,
    conference_rule,
    median,
    p90,
    share,
)

RULE = {"met": "erfüllt", "open": "offen", "missed": "verfehlt"}
NOTE = ("Pseudonymisiert: ohne Namen, Kontaktdaten, Telegram-Kennungen und Freitexte von "
        "Einwohnerinnen und Einwohnern. Dauern in Arbeitstagen (Niedersachsen), der Tag des "
        "Eingangs zählt nicht. 90 %: Rang-Perzentil.")  # fmt: skip
Value = int | float | str | None
LINE_SPACING = 1.3


@dataclass(frozen=True)
class Table:
    name: str  # sheet name (at most 31 characters)
    headers: list[str]
    rows: list[list[Value]]
    keys: int = 1  # leading columns that name the row (district, topic, month, ...)
    percent: frozenset[str] = frozenset()  # columns holding shares (0..1)


def _kept(c: Any) -> float | None:
    return share(c["on_time"], c["on_time"] + c["late"] + c["overdue"])


# label, value, is a share
METRICS: list[tuple[str, Callable[[DistrictFigures], Value], bool]] = [
    ("Anliegen eingegangen", lambda f: f.received, False),
    ("von Einwohner/innen", lambda f: f.by_sender["resident"], False),
    ("von Akteuren", lambda f: f.by_sender["actor"], False),
    ("vom Bezirksrat", lambda f: f.by_sender["council"], False),
    ("Lotse", lambda f: f.lotse, False),
    ("Kümmerer", lambda f: f.kuemmerer, False),
    ("Anteil Lotse", lambda f: share(f.lotse, f.lotse + f.kuemmerer), True),
    ("Anteil Kümmerer", lambda f: share(f.kuemmerer, f.lotse + f.kuemmerer), True),
    ("Lotse: Kontakt hat geholfen", lambda f: share(f.helped_yes, f.lotse), True),
    ("Lotse: Kontakt half nicht", lambda f: f.helped_no, False),
    ("Erste Reaktion, Median (AT)", lambda f: median(f.first_response), False),
    ("Erste Reaktion, 90 % (AT)", lambda f: p90(f.first_response), False),
    ("Erledigung, Median (AT)", lambda f: median(f.resolution), False),
    ("Erledigung, 90 % (AT)", lambda f: p90(f.resolution), False),
    ("Offen (Stand Bericht)", lambda f: len(f.backlog_ages), False),
    ("Offen: Alter Median (AT)", lambda f: median(f.backlog_ages), False),
    ("Offen: ältestes (AT)", lambda f: max(f.backlog_ages, default=None), False),
    ("Wiedereröffnet", lambda f: f.reopened, False),
    ("Anteil wiedereröffnet", lambda f: share(f.reopened, f.received), True),
    ("„Erledigt?“ ja", lambda f: f.settled_yes, False),
    ("„Erledigt?“ nein", lambda f: f.settled_no, False),
    ("„Erledigt?“ ohne Antwort", lambda f: f.settled_unanswered, False),
    ("Vereinbarungen fällig", lambda f: f.agreement_totals()["due"], False),
    ("pünktlich erledigt", lambda f: f.agreement_totals()["on_time"], False),
    ("verspätet erledigt", lambda f: f.agreement_totals()["late"], False),
    ("offen", lambda f: f.agreement_totals()["open"], False),
    ("davon überfällig", lambda f: f.agreement_totals()["overdue"], False),
    ("eskaliert", lambda f: f.agreement_totals()["escalated"], False),
    ("Quote pünktlich", lambda f: _kept(f.agreement_totals()), True),
    ("Konferenzen durchgeführt", lambda f: sum(f.conferences.values()), False),
    ("Projekte", lambda f: sum(f.projects.values()), False),
]
AGREEMENT_COLUMNS = [("Fällig", "due"), ("Pünktlich erledigt", "on_time"),
                     ("Verspätet erledigt", "late"), ("Offen", "open"),
                     ("davon überfällig", "overdue"), ("Eskaliert", "escalated"),
                     ("Storniert", "cancelled")]  # fmt: skip


def tables(figures: Figures, reference: ReferenceData) -> list[Table]:
    """Every table of the report; the XLSX has one sheet each, the CSV all of them."""
    label = lambda d: charts.district_label(reference, d)  # noqa: E731
    topic = lambda c: reference.topic(c).label("de") if reference.has_topic(c) else c  # noqa: E731
    per, years, now, tz = figures.per_district, figures.period.years(), figures.now, \
        figures.period.tz  # fmt: skip
    overview = [[label(d), *(m(per[d]) for _, m, _ in METRICS)] for d in figures.districts]
    overview.append(["Gesamt", *(m(figures.total) for _, m, _ in METRICS)])
    agreements = []
    for d in figures.districts:
        for dep in sorted(per[d].agreements, key=lambda x: x.zfill(4)):
            c = per[d].agreements[dep]
            agreements.append(
                [
                    label(d),
                    charts.department_label(reference, dep),
                    *(c[key] for _, key in AGREEMENT_COLUMNS),
                    _kept(c),
                ]
            )
    return [
        Table("Übersicht", ["Stadtbezirk", *(name for name, _, _ in METRICS)], overview, 1,
              frozenset(name for name, _, is_share in METRICS if is_share)),
        Table("Handlungsfelder", ["Stadtbezirk", "Handlungsfeld", "Anliegen"],
              [[label(d), topic(t), n] for d in figures.districts
               for t, n in sorted(per[d].by_topic.items())], 2),
        Table("Monate", ["Stadtbezirk", "Monat", "Handlungsfeld", "Anliegen"],
              [[label(d), m, topic(t), n] for d in figures.districts
               for (m, t), n in sorted(per[d].by_month_topic.items())], 3),
        Table("Stadtteile", ["Stadtbezirk", "Stadtteil", "Anliegen"],
              [[label(d), q or "(ohne Angabe)", n] for d in figures.districts
               for q, n in sorted(per[d].by_quarter.items())], 2),
        Table("Vereinbarungen", ["Stadtbezirk", "Fachbereich",
                                 *(name for name, _ in AGREEMENT_COLUMNS), "Quote pünktlich"],
              agreements, 2, frozenset({"Quote pünktlich"})),
        Table("Konferenzen", ["Stadtbezirk", "Jahr", "Durchgeführt", "Soll", "Bewertung"],
              [[label(d), y, per[d].conferences[y], CONFERENCES_PER_YEAR,
                RULE[conference_rule(per[d].conferences[y], y, now, tz)]]
               for d in figures.districts for y in years], 2),
        Table("Projekte", ["Stadtbezirk", "Jahr", "Projekte", "Soll", "Bewertung"],
              [[label(d), y, per[d].projects[y], PROJECTS_PER_YEAR,
                "erfüllt" if per[d].projects[y] >= PROJECTS_PER_YEAR else "nicht erfüllt"]
               for d in figures.districts for y in years], 2),
    ]  # fmt: skip


def filename(figures: Figures, fmt: str) -> str:
    scope = f"bezirk-{figures.districts[0]}" if len(figures.districts) == 1 else "alle"
    return f"bezirksbericht_{figures.period.key}_{scope}.{fmt}"


def to_xlsx(figures: Figures, reference: ReferenceData) -> bytes:
    book = Workbook(write_only=True)
    bold = Font(bold=True)
    for table in tables(figures, reference):
        sheet = book.create_sheet(table.name[:31])
        sheet.freeze_panes = "B2"
        header = []
        for name in table.headers:
            cell = WriteOnlyCell(sheet, value=name)
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        shares = [name in table.percent for name in table.headers]
        for row in table.rows:
            cells = []
            for value, is_share in zip(row, shares, strict=True):
                cell = WriteOnlyCell(sheet, value=value)
                if is_share:
                    cell.number_format = "0.0%"
                cells.append(cell)
            sheet.append(cells)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def to_csv(figures: Figures, reference: ReferenceData) -> bytes:
    """Long format, one value per line: Tabelle;Stadtbezirk;Gruppe;Merkmal;Wert.

    Semicolons, decimal commas and a byte-order mark, so German Excel opens it as is.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(["Tabelle", "Stadtbezirk", "Gruppe", "Merkmal", "Wert"])
    for table in tables(figures, reference):
        k = table.keys
        for row in table.rows:
            group = " / ".join(str(v) for v in row[1:k])
            for name, value in zip(table.headers[k:], row[k:], strict=True):
                writer.writerow([table.name, row[0], group, name, _csv_value(value)])
    return buffer.getvalue().encode("utf-8-sig")


def _csv_value(value: Value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".").replace(".", ",")
    return str(value)


def _fmt(value: Value, is_share: bool = False) -> str:
    if value is None:
        return "–"
    if is_share and isinstance(value, float):
        return f"{value * 100:.1f} %".replace(".", ",")
    if isinstance(value, float):
        return f"{value:g}".replace(".", ",")
    return str(value)


def _page(title: str, subtitle: str) -> Figure:
    page = Figure(figsize=charts.A4_LANDSCAPE, dpi=charts.DPI)
    page.text(0.05, 0.93, title, fontsize=20, fontweight="bold")
    page.text(0.05, 0.895, subtitle, fontsize=11, color="#444444")
    page.text(0.05, 0.03, NOTE, fontsize=7.5, color="#666666", wrap=True)
    return page


def _columns(
    page: Figure,
    x: float,
    y: float,
    rows: list[list[str]],
    widths: list[float],
    *,
    size: float = 9.5,
) -> float:
    """A table: bold header row, then one multi-line text per column (numbers right-aligned).

    One text per column instead of one per cell: text layout is most of a PDF's drawing
    time. Equal font sizes keep the lines of all columns level. Returns the y below it.
    """
    pitch = size * LINE_SPACING * 1.17 / (page.get_figheight() * 72)  # DejaVu "lp" height
    left = x
    for col, width in enumerate(widths):
        right = col > 0
        anchor = {"x": left + width if right else left, "ha": "right" if right else "left",
                  "va": "top", "fontsize": size}  # fmt: skip
        page.text(s=rows[0][col], y=y, fontweight="bold", **anchor)
        if len(rows) > 1:
            page.text(
                s="\n".join(row[col] for row in rows[1:]),
                y=y - pitch,
                linespacing=LINE_SPACING,
                multialignment=anchor["ha"],
                **anchor,
            )
        left += width
    return y - pitch * len(rows)


def _metric_rows(f: DistrictFigures) -> list[list[str]]:
    return [["Kennzahl", "Wert"]] + [[name, _fmt(m(f), s)] for name, m, s in METRICS]


def pdf_pages(figures: Figures, reference: ReferenceData) -> list[Figure]:
    """Summary, the charts (A4 landscape), then one table page per district."""
    period = figures.period
    when = f"{period.label('de')} ({period.first:%d.%m.%Y}–{period.last:%d.%m.%Y})"
    stand = figures.now.astimezone(period.tz).strftime("%d.%m.%Y %H:%M")
    scope = ", ".join(charts.district_label(reference, d) for d in figures.districts) \
        if len(figures.districts) <= 2 else f"{len(figures.districts)} Stadtbezirke"  # fmt: skip
    title = _page("Bezirksbericht Stadtbezirksmanagement", f"{when} · {scope} · Stand {stand}")
    rows = _metric_rows(figures.total)
    half = (len(rows) + 1) // 2
    _columns(title, 0.05, 0.82, rows[:half], [0.3, 0.1])
    _columns(title, 0.52, 0.82, [rows[0], *rows[half:]], [0.3, 0.1])
    pages = [title]
    pages += [c.figure for c in charts.report_charts(figures, reference, charts.A4_LANDSCAPE)]
    for d in figures.districts:
        f, name = figures.per_district[d], charts.district_label(reference, d)
        page = _page(f"Stadtbezirk {name}", f"{when} · Stand {stand}")
        _columns(page, 0.05, 0.84, _metric_rows(f), [0.3, 0.1])
        head = [["Fachbereich", "Fällig", "Pünktl.", "Verspät.", "Offen", "Überf.", "Eskal."]]
        body = [[charts.department_label(reference, dep),
                 *(str(f.agreements[dep][k]) for k in ("due", "on_time", "late", "open",
                                                       "overdue", "escalated"))]
                for dep in sorted(f.agreements, key=lambda x: x.zfill(4))]  # fmt: skip
        y = _columns(page, 0.52, 0.84, head + body, [0.12] + [0.055] * 6, size=9)
        years = [["Jahr", "Konferenzen", "Soll", "Bewertung", "Projekte"]] + [
            [str(y_), str(f.conferences[y_]), str(CONFERENCES_PER_YEAR),
             RULE[conference_rule(f.conferences[y_], y_, figures.now, period.tz)],
             str(f.projects[y_])] for y_ in period.years()]  # fmt: skip
        y = _columns(page, 0.52, y - 0.03, years, [0.06, 0.1, 0.05, 0.1, 0.08], size=9)
        quarters = [["Stadtteil", "Anliegen"]] + [
            [q or "(ohne Angabe)", str(n)] for q, n in f.by_quarter.most_common(8)
        ]
        _columns(page, 0.52, y - 0.03, quarters, [0.3, 0.1], size=9)
        pages.append(page)
    return pages


# The PDF's 14 standard fonts: text is laid out from their metrics in a few microseconds a
# line, where FreeType needs about a millisecond, and Helvetica covers German (cp1252).
PDF_FONTS = {"pdf.use14corefonts": True, "font.family": "sans-serif",
             "font.sans-serif": ["Helvetica"]}  # fmt: skip


class _SameFontNotice(logging.Filter):
    """Helvetica's metrics file calls its regular weight "Medium"; matplotlib picks it for
    "normal" all the same but logs a warning each time, which would only be noise."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "Failed to find font weight normal for Helvetica" not in record.getMessage()


logging.getLogger("matplotlib.font_manager").addFilter(_SameFontNotice())


def to_pdf(figures: Figures, reference: ReferenceData) -> bytes:
    buffer = io.BytesIO()
    metadata = {"Title": "Bezirksbericht " + figures.period.label("de"),
                "Creator": "Bezirksbot", "Producer": "Bezirksbot (matplotlib)"}  # fmt: skip
    with charts.RENDER_LOCK, rc_context(PDF_FONTS):
        pages = pdf_pages(figures, reference)
        with PdfPages(buffer, metadata=metadata) as pdf:
            for page in pages:
                pdf.savefig(page)
    return buffer.getvalue()


def render(fmt: str, figures: Figures, reference: ReferenceData) -> tuple[str, bytes]:
    """(file name, content) of the report in ``fmt`` (pdf, xlsx or csv)."""
    make = {"pdf": to_pdf, "xlsx": to_xlsx, "csv": to_csv}.get(fmt)
    if make is None:
        raise ValueError(f"unknown format {fmt!r}")
    return filename(figures, fmt), make(figures, reference)
