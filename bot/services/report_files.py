"""The report as files: XLSX (a sheet per table), CSV (all tables, long format) and a
multi-page PDF (summary, charts, a page per district), in German for the city.

Pseudonymised by construction: every file is built from :class:`Figures`, which holds only
counts per district, topic, quarter (Stadtteil), month, department and year; no name,
contact, Telegram id, address or free text of a resident ever reaches this module.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from bot.services import charts
from bot.services.figures import (
    CONFERENCES_PER_YEAR,
    PROJECTS_PER_YEAR,
    DistrictFigures,
    Figures,
    conference_rule,
    median,
    p90,
    share,
)
from bot.services.reference import ReferenceData

FORMATS = ("pdf", "xlsx", "csv")
MIME = {"pdf": "application/pdf", "csv": "text/csv",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}  # fmt: skip
RULE = {"met": "erfüllt", "open": "offen", "missed": "verfehlt"}
NOTE = ("Pseudonymisiert: ohne Namen, Kontaktdaten, Telegram-Kennungen und Freitexte von "
        "Einwohnerinnen und Einwohnern. Dauern in Arbeitstagen (Niedersachsen), der Tag des "
        "Eingangs zählt nicht. 90 %: Rang-Perzentil.")  # fmt: skip
Value = int | float | str | None


@dataclass(frozen=True)
class Table:
    name: str  # sheet name (at most 31 characters)
    headers: list[str]
    rows: list[list[Value]]
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
            agreements.append([label(d), charts.department_label(reference, dep),
                               *(c[key] for _, key in AGREEMENT_COLUMNS), _kept(c)])
    return [
        Table("Übersicht", ["Stadtbezirk", *(name for name, _, _ in METRICS)], overview,
              frozenset(name for name, _, is_share in METRICS if is_share)),
        Table("Handlungsfelder", ["Stadtbezirk", "Handlungsfeld", "Anliegen"],
              [[label(d), topic(t), n] for d in figures.districts
               for t, n in sorted(per[d].by_topic.items())]),
        Table("Monate", ["Stadtbezirk", "Monat", "Handlungsfeld", "Anliegen"],
              [[label(d), m, topic(t), n] for d in figures.districts
               for (m, t), n in sorted(per[d].by_month_topic.items())]),
        Table("Stadtteile", ["Stadtbezirk", "Stadtteil", "Anliegen"],
              [[label(d), q or "(ohne Angabe)", n] for d in figures.districts
               for q, n in sorted(per[d].by_quarter.items())]),
        Table("Vereinbarungen", ["Stadtbezirk", "Fachbereich",
                                 *(name for name, _ in AGREEMENT_COLUMNS), "Quote pünktlich"],
              agreements, frozenset({"Quote pünktlich"})),
        Table("Konferenzen", ["Stadtbezirk", "Jahr", "Durchgeführt", "Soll", "Bewertung"],
              [[label(d), y, per[d].conferences[y], CONFERENCES_PER_YEAR,
                RULE[conference_rule(per[d].conferences[y], y, now, tz)]]
               for d in figures.districts for y in years]),
        Table("Projekte", ["Stadtbezirk", "Jahr", "Projekte", "Soll", "Bewertung"],
              [[label(d), y, per[d].projects[y], PROJECTS_PER_YEAR,
                "erfüllt" if per[d].projects[y] >= PROJECTS_PER_YEAR else "nicht erfüllt"]
               for d in figures.districts for y in years]),
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
        keys = 1 if table.name == "Übersicht" else len(table.headers) - len(
            [h for h in table.headers if h not in ("Stadtbezirk", "Handlungsfeld", "Monat",
                                                   "Stadtteil", "Fachbereich", "Jahr")])
        for row in table.rows:
            group = " / ".join(str(v) for v in row[1:keys])
            for name, value in zip(table.headers[keys:], row[keys:], strict=True):
                writer.writerow([table.name, row[0], group, name, _csv_value(value)])
    return buffer.getvalue().encode("utf-8-sig")


def _csv_value(value: Value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".").replace(".", ",")
    return str(value)


def render(fmt: str, figures: Figures, reference: ReferenceData) -> tuple[str, bytes]:
    """(file name, content) of the report in ``fmt`` (pdf, xlsx or csv)."""
    if fmt == "xlsx":
        return filename(figures, fmt), to_xlsx(figures, reference)
    if fmt == "csv":
        return filename(figures, fmt), to_csv(figures, reference)
    if fmt == "pdf":
        from bot.services.report_pdf import to_pdf

        return filename(figures, fmt), to_pdf(figures, reference)
    raise ValueError(f"unknown format {fmt!r}")


def pdf_pages(figures: Figures, reference: ReferenceData) -> list[Figure]:
    raise NotImplementedError


__all__ = ["FORMATS", "MIME", "PdfPages", "Table", "filename", "render", "tables"]
