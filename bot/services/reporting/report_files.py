"""The report as files: XLSX (a sheet per table), CSV (all tables, long format) and a
multi-page PDF (summary, charts, a page per district). Every heading comes from the
`ReportLabels` the message layer chose (the reader's language); numbers in the PDF are written
by its number forms, while the XLSX keeps numbers and the CSV machine-readable values.

Pseudonymised by construction: every file is built from :class:`Figures`, which holds only
counts per district, topic, quarter (Stadtteil), month, department and year; no name,
contact, Telegram id, address or free text of a resident ever reaches this module.
"""

from __future__ import annotations

import csv
import io
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.services.basics.reference import ReferenceData
from bot.services.reporting import charts
from bot.services.reporting.figures import (
    CONFERENCES_PER_YEAR,
    PROJECTS_PER_YEAR,
    STATUSES,
    DistrictFigures,
    Figures,
    conference_rule,
    median,
    p90,
    share,
)
from bot.services.reporting.labels import ReportLabels

if TYPE_CHECKING:  # matplotlib and openpyxl are imported when a file is made, not at start
    from matplotlib.figure import Figure

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


# label key, value, kind: "n" a count, "share" a share (0..1), "days" working days
METRICS: list[tuple[str, Callable[[DistrictFigures], Value], str]] = [
    ("m.received", lambda f: f.received, "n"),
    ("m.residents", lambda f: f.by_sender["resident"], "n"),
    ("m.actors", lambda f: f.by_sender["actor"], "n"),
    ("m.council", lambda f: f.by_sender["council"], "n"),
    ("m.lotse", lambda f: f.lotse, "n"),
    ("m.kuemmerer", lambda f: f.kuemmerer, "n"),
    ("m.lotse_share", lambda f: share(f.lotse, f.lotse + f.kuemmerer), "share"),
    ("m.kuemmerer_share", lambda f: share(f.kuemmerer, f.lotse + f.kuemmerer), "share"),
    ("m.helped", lambda f: share(f.helped_yes, f.helped_yes + f.helped_no), "share"),
    ("m.not_helped", lambda f: f.helped_no, "n"),
    ("m.first_median", lambda f: median(f.first_response), "days"),
    ("m.first_p90", lambda f: p90(f.first_response), "days"),
    ("m.resolution_median", lambda f: median(f.resolution), "days"),
    ("m.resolution_p90", lambda f: p90(f.resolution), "days"),
    ("m.open", lambda f: len(f.backlog_ages), "n"),
    ("m.open_age", lambda f: median(f.backlog_ages), "days"),
    ("m.open_oldest", lambda f: max(f.backlog_ages, default=None), "days"),
    ("m.reopened", lambda f: f.reopened, "n"),
    ("m.reopened_share", lambda f: share(f.reopened, f.received), "share"),
    ("m.settled_yes", lambda f: f.settled_yes, "n"),
    ("m.settled_no", lambda f: f.settled_no, "n"),
    ("m.settled_none", lambda f: f.settled_unanswered, "n"),
    ("m.agreements_due", lambda f: f.agreement_totals()["due"], "n"),
    ("m.on_time", lambda f: f.agreement_totals()["on_time"], "n"),
    ("m.late", lambda f: f.agreement_totals()["late"], "n"),
    ("m.agreements_open", lambda f: f.agreement_totals()["open"], "n"),
    ("m.overdue", lambda f: f.agreement_totals()["overdue"], "n"),
    ("m.escalated", lambda f: f.agreement_totals()["escalated"], "n"),
    ("m.kept", lambda f: _kept(f.agreement_totals()), "share"),
    ("m.conferences", lambda f: sum(f.conferences.values()), "n"),
    ("m.planned", lambda f: sum(f.planned.values()), "n"),
    ("m.projects", lambda f: sum(f.projects.values()), "n"),
    ("m.meetings", lambda f: f.meetings, "n"),
]
AGREEMENT_COLUMNS = ["due", "on_time", "late", "open", "overdue", "escalated", "cancelled"]
PDF_AGREEMENT_COLUMNS = ["due", "on_time", "late", "open", "overdue", "escalated"]
# Keys of the files' own words (besides the metrics, the agreement columns and CHART_KEYS).
FILE_KEYS = (
    "sheet.overview", "sheet.topics", "sheet.months", "sheet.quarters", "sheet.agreements",
    "sheet.conferences", "sheet.projects", "h.district", "h.topic", "h.concerns", "h.month",
    "h.quarter", "h.department", "h.year", "h.held", "h.target", "h.assessment",
    "h.projects", "h.conferences", "h.kept", "h.indicator", "h.value", "total", "no_quarter",
    "rule.met", "rule.open", "rule.missed", "rule.not_met", "csv.table", "csv.group",
    "csv.measure", "pdf.title", "pdf.made", "pdf.document", "pdf.note", "sheet.status",
    "h.status", "h.planned", "no_answers", *(f"status.{s}" for s in STATUSES),
)  # fmt: skip


def _overview(figures: Figures, reference: ReferenceData, labels: ReportLabels) -> Table:
    rows: list[list[Value]] = [
        [charts.district_label(reference, d), *(m(figures.per_district[d]) for _, m, _ in METRICS)]
        for d in figures.districts
    ]
    rows.append([labels("total"), *(m(figures.total) for _, m, _ in METRICS)])
    return Table(labels("sheet.overview"), [labels("h.district"),
                 *(labels(key) for key, _, _ in METRICS)], rows, 1,
                 frozenset(labels(key) for key, _, k in METRICS if k == "share"))  # fmt: skip


def _agreements(figures: Figures, reference: ReferenceData, labels: ReportLabels) -> Table:
    rows: list[list[Value]] = []
    for d in figures.districts:
        per = figures.per_district[d]
        for dep in sorted(per.agreements, key=lambda x: x.zfill(4)):
            c = per.agreements[dep]
            rows.append([charts.district_label(reference, d),
                         charts.department_label(reference, dep, labels),
                         *(c[key] for key in AGREEMENT_COLUMNS), _kept(c)])  # fmt: skip
    headers = [labels("h.district"), labels("h.department"),
               *(labels(f"a.{key}") for key in AGREEMENT_COLUMNS), labels("h.kept")]  # fmt: skip
    return Table(labels("sheet.agreements"), headers, rows, 2, frozenset({labels("h.kept")}))


def tables(figures: Figures, reference: ReferenceData, labels: ReportLabels) -> list[Table]:
    """Every table of the report; the XLSX has one sheet each, the CSV all of them."""

    def label(d: str) -> str:
        return charts.district_label(reference, d)

    per, years, now, tz = figures.per_district, figures.period.years(), figures.now, \
        figures.period.tz  # fmt: skip
    h = labels
    return [
        _overview(figures, reference, labels),
        Table(h("sheet.topics"), [h("h.district"), h("h.topic"), h("h.concerns")],
              [[label(d), labels.topic(t), n] for d in figures.districts
               for t, n in sorted(per[d].by_topic.items())], 2),
        Table(h("sheet.months"), [h("h.district"), h("h.month"), h("h.topic"), h("h.concerns")],
              [[label(d), m, labels.topic(t), n] for d in figures.districts
               for (m, t), n in sorted(per[d].by_month_topic.items())], 3),
        Table(h("sheet.quarters"), [h("h.district"), h("h.quarter"), h("h.concerns")],
              [[label(d), q or h("no_quarter"), n] for d in figures.districts
               for q, n in sorted(per[d].by_quarter.items())], 2),
        Table(h("sheet.status"), [h("h.district"), h("h.status"), h("h.concerns")],
              [[label(d), h("status." + s), per[d].by_status[s]] for d in figures.districts
               for s in STATUSES], 2),
        _agreements(figures, reference, labels),
        Table(h("sheet.conferences"), [h("h.district"), h("h.year"), h("h.held"), h("h.planned"),
                                       h("h.target"), h("h.assessment")],
              [[label(d), y, per[d].conferences[y], per[d].planned[y], CONFERENCES_PER_YEAR,
                h("rule." + conference_rule(per[d].conferences[y], y, now, tz))]
               for d in figures.districts for y in years], 2),
        Table(h("sheet.projects"), [h("h.district"), h("h.year"), h("h.projects"),
                                    h("h.target"), h("h.assessment")],
              [[label(d), y, per[d].projects[y], PROJECTS_PER_YEAR,
                h("rule.met" if per[d].projects[y] >= PROJECTS_PER_YEAR else "rule.not_met")]
               for d in figures.districts for y in years], 2),
    ]  # fmt: skip


def filename(figures: Figures, fmt: str) -> str:
    scope = f"bezirk-{figures.districts[0]}" if len(figures.districts) == 1 else "alle"
    return f"bezirksbericht_{figures.period.key}_{scope}.{fmt}"


def to_xlsx(figures: Figures, reference: ReferenceData, labels: ReportLabels) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    bold = Font(bold=True)
    for table in tables(figures, reference, labels):
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


def to_csv(figures: Figures, reference: ReferenceData, labels: ReportLabels) -> bytes:
    """Long format, one value per line: table;district;group;measure;value.

    Semicolons, decimal commas and a byte-order mark, so German Excel opens it as is; the
    values stay machine-readable (no thousands separators, shares as fractions).
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([labels("csv.table"), labels("h.district"), labels("csv.group"),
                     labels("csv.measure"), labels("h.value")])  # fmt: skip
    for table in tables(figures, reference, labels):
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


def _fmt(labels: ReportLabels, value: Value, kind: str = "n") -> str:
    if value is None:
        return "–"
    if kind == "share" and isinstance(value, float):
        return labels.share(value)
    if kind == "days" and isinstance(value, int | float):
        return labels.days(value)
    if isinstance(value, int | float):
        return labels.number(value)
    return str(value)


NOTE_WIDTH = 190  # characters of 7.5 pt DejaVu Sans across 90 % of an A4 landscape page


def _page(title: str, subtitle: str, labels: ReportLabels) -> Figure:
    from matplotlib.figure import Figure

    page = Figure(figsize=charts.A4_LANDSCAPE, dpi=charts.DPI)
    page.text(0.05, 0.93, title, fontsize=20, fontweight="bold")
    page.text(0.05, 0.895, subtitle, fontsize=11, color="#444444")
    # wrapped here, not by matplotlib: its wrapping measures the text word by word on every
    # page, a tenth of the whole PDF's drawing time
    note = textwrap.fill(labels("pdf.note"), width=NOTE_WIDTH)
    page.text(0.05, 0.03, note, fontsize=7.5, color="#666666", va="bottom")
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
        at, ha = (left + width, "right") if right else (left, "left")
        page.text(at, y, rows[0][col], ha=ha, va="top", fontsize=size, fontweight="bold")
        if len(rows) > 1:
            page.text(at, y - pitch, "\n".join(row[col] for row in rows[1:]), ha=ha, va="top",
                      fontsize=size, linespacing=LINE_SPACING, multialignment=ha)  # fmt: skip
        left += width
    return y - pitch * len(rows)


def _metric_rows(f: DistrictFigures, labels: ReportLabels) -> list[list[str]]:
    def value(key: str, m: Callable[[DistrictFigures], Value], kind: str) -> str:
        found = m(f)
        if found is None and key == "m.helped":  # nobody was asked yet, or nobody answered
            return labels("no_answers")
        return _fmt(labels, found, kind)

    return [[labels("h.indicator"), labels("h.value")]] + [
        [labels(key), value(key, m, kind)] for key, m, kind in METRICS
    ]


def _status_rows(f: DistrictFigures, labels: ReportLabels) -> list[list[str]]:
    return [[labels("h.status"), labels("h.concerns")]] + [
        [labels("status." + s), labels.number(f.by_status[s])] for s in STATUSES
    ]


def _district_page(
    figures: Figures, reference: ReferenceData, labels: ReportLabels, d: str, heads: list[str]
) -> Figure:
    """A district's tables; ``heads``: the page's title and subtitle."""
    f, period, n = figures.per_district[d], figures.period, labels.number
    page = _page(heads[0], heads[1], labels)
    _columns(page, 0.05, 0.84, _metric_rows(f, labels), [0.3, 0.1], size=8.5)
    head = [[labels("h.department"), *(labels(f"pdf.{k}") for k in PDF_AGREEMENT_COLUMNS)]]
    body = [[charts.department_label(reference, dep, labels),
             *(n(f.agreements[dep][k]) for k in PDF_AGREEMENT_COLUMNS)]
            for dep in sorted(f.agreements, key=lambda x: x.zfill(4))]  # fmt: skip
    y = _columns(page, 0.52, 0.84, head + body, [0.12] + [0.055] * 6, size=9)
    years = [[labels("h.year"), labels("h.conferences"), labels("h.planned"), labels("h.target"),
              labels("h.assessment"), labels("h.projects")]] + [
        [str(y_), n(f.conferences[y_]), n(f.planned[y_]), n(CONFERENCES_PER_YEAR),
         labels("rule." + conference_rule(f.conferences[y_], y_, figures.now, period.tz)),
         n(f.projects[y_])] for y_ in period.years()]  # fmt: skip
    y = _columns(page, 0.52, y - 0.03, years, [0.05, 0.09, 0.07, 0.04, 0.1, 0.07], size=9)
    quarters = [[labels("h.quarter"), labels("h.concerns")]] + [
        [q or labels("no_quarter"), n(c)] for q, c in f.by_quarter.most_common(8)
    ]
    _columns(page, 0.52, y - 0.03, quarters, [0.2, 0.07], size=9)
    _columns(page, 0.81, y - 0.03, _status_rows(f, labels), [0.1, 0.06], size=9)
    return page


def pdf_pages(figures: Figures, reference: ReferenceData, labels: ReportLabels) -> list[Figure]:
    """Summary, the charts (A4 landscape), then one table page per district; a report of one
    district opens with its page (the summary would only repeat it)."""
    when = f"{labels.period} ({labels.period_range})"
    made = labels("pdf.made", moment=labels.made)
    districts = figures.districts
    scope = ", ".join(charts.district_label(reference, d) for d in districts)
    if len(districts) > 2:
        scope = labels("districts", count=len(districts))
    chart_pages = [c.figure for c in charts.report_charts(figures, reference, labels,
                                                          charts.A4_LANDSCAPE)]  # fmt: skip
    if len(districts) == 1:
        heads = [labels("pdf.title"), f"{when} · {scope} · {made}"]
        return [_district_page(figures, reference, labels, districts[0], heads), *chart_pages]
    title = _page(labels("pdf.title"), f"{when} · {scope} · {made}", labels)
    rows = _metric_rows(figures.total, labels)
    half = (len(rows) + 1) // 2
    _columns(title, 0.05, 0.82, rows[:half], [0.3, 0.1])
    y = _columns(title, 0.52, 0.82, [rows[0], *rows[half:]], [0.3, 0.1])
    _columns(title, 0.52, y - 0.03, _status_rows(figures.total, labels), [0.3, 0.1])
    pages = [title, *chart_pages]
    for d in districts:
        name = labels("district", name=charts.district_label(reference, d))
        pages.append(_district_page(figures, reference, labels, d, [name, f"{when} · {made}"]))
    return pages


# An embedded, subsetted TrueType font (Type 42): DejaVu Sans, shipped with matplotlib, covers
# every language of the bot and renders the same on every reader; only the glyphs used are
# embedded, so the file stays small and writing it fast.
# (typed Any: matplotlib types the keys as one long Literal)
PDF_FONTS: Any = {"pdf.fonttype": 42, "pdf.use14corefonts": False,
                  "font.family": "sans-serif", "font.sans-serif": ["DejaVu Sans"]}  # fmt: skip


def to_pdf(figures: Figures, reference: ReferenceData, labels: ReportLabels) -> bytes:
    from matplotlib import rc_context
    from matplotlib.backends.backend_pdf import PdfPages

    buffer = io.BytesIO()
    metadata = {"Title": labels("pdf.document", period=labels.period),
                "Creator": "Bezirksbot", "Producer": "Bezirksbot (matplotlib)"}  # fmt: skip
    with charts.RENDER_LOCK, rc_context(PDF_FONTS):
        pages = pdf_pages(figures, reference, labels)
        with PdfPages(buffer, metadata=metadata) as pdf:
            for page in pages:
                pdf.savefig(page)
    return buffer.getvalue()


def render(
    fmt: str, figures: Figures, reference: ReferenceData, labels: ReportLabels
) -> tuple[str, bytes]:
    """(file name, content) of the report in ``fmt`` (pdf, xlsx or csv)."""
    make = {"pdf": to_pdf, "xlsx": to_xlsx, "csv": to_csv}.get(fmt)
    if make is None:
        raise ValueError(f"unknown format {fmt!r}")
    return filename(figures, fmt), make(figures, reference, labels)
