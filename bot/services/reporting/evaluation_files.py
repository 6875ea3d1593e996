"""The evaluation report as PDF (A4 landscape, matplotlib's PdfPages as the other reports) and
DOCX (python-docx, charts as pictures with their text alternatives).

Built only from an `Evaluation` (counts per district and month, quotes agreed by residents)
and the words of an `EvaluationText`: no name, contact, Telegram id, reference number or
unquoted sentence of a resident can reach a byte of either file. Heavy: imported lazily.
"""

from __future__ import annotations

import io
import logging
import textwrap

from matplotlib import rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from bot.services.reporting import charts
from bot.services.reporting.evaluation import Evaluation
from bot.services.reporting.evaluation_charts import (
    Box,
    overview_panels,
    scores_chart,
    trend_panels,
)
from bot.services.reporting.evaluation_text import EvaluationText
from bot.services.reporting.report_files import LINE_SPACING, PDF_FONTS

A4 = charts.A4_LANDSCAPE
# the font subsetter reports every glyph at INFO: noise in the bot's log and the demo
logging.getLogger("fontTools").setLevel(logging.WARNING)


def filename(ev: Evaluation, fmt: str) -> str:
    scope = f"bezirk-{ev.districts[0]}" if len(ev.districts) == 1 else "alle"
    return f"evaluation_{ev.period.key}_{scope}.{fmt}"


def _page(text: EvaluationText, title: str) -> Figure:
    page = Figure(figsize=A4, dpi=charts.DPI)
    page.text(0.05, 0.93, title, fontsize=18, fontweight="bold")
    page.text(0.05, 0.895, text("subtitle"), fontsize=10, color="#444444")
    page.text(0.05, 0.025, textwrap.fill(text("note"), width=190), fontsize=7, color="#666666",
              va="bottom")  # fmt: skip
    return page


def _grid(
    page: Figure, x: float, y: float, rows: list[list[str]], widths: list[float], *, size: float
) -> float:
    """A table: the header wrapped to its column (bold, up to three lines), then one
    multi-line text per column (numbers right-aligned). Returns the y below it."""
    inches = page.get_figwidth()
    pitch = size * LINE_SPACING * 1.17 / (page.get_figheight() * 72)
    heads = []
    for col, width in enumerate(widths):
        chars = max(6, int(width * inches * 72 / (size * 0.62)))
        heads.append(textwrap.wrap(rows[0][col], chars, break_long_words=False)[:3] or [""])
    depth = max(len(h) for h in heads)
    left = x
    for col, width in enumerate(widths):
        at, ha = (left + width - 0.004, "right") if col else (left, "left")
        head = "\n" * (depth - len(heads[col])) + "\n".join(heads[col])  # bottom-aligned
        page.text(at, y, head, ha=ha, va="top", fontsize=size, fontweight="bold",
                  linespacing=LINE_SPACING, multialignment=ha)  # fmt: skip
        if len(rows) > 1:
            page.text(at, y - pitch * depth - pitch * 0.3, "\n".join(r[col] for r in rows[1:]),
                      ha=ha, va="top", fontsize=size, linespacing=LINE_SPACING,
                      multialignment=ha)  # fmt: skip
        left += width
    return y - pitch * (depth + 0.3 + len(rows) - 1)


def _widths(first: float, others: int, total: float) -> list[float]:
    return [first] + [(total - first) / max(1, others)] * others


def _summary(ev: Evaluation, text: EvaluationText) -> Figure:
    page = _page(text, text("title"))
    page.text(0.05, 0.84, text("h.summary"), fontsize=13, fontweight="bold")
    y = 0.80
    for line in text.sentences:
        wrapped = textwrap.fill(line, width=125)
        page.text(0.06, y, "• " + wrapped.replace("\n", "\n   "), fontsize=10.5, va="top")
        y -= 0.042 * (wrapped.count("\n") + 1) + 0.012
    return page


def _key(ev: Evaluation, text: EvaluationText) -> Figure:
    page = _page(text, text("h.key"))
    rows = text.tables["key"]
    _grid(page, 0.05, 0.84, rows, _widths(0.22, len(rows[0]) - 1, 0.9), size=10.5)
    return page


def _overview(ev: Evaluation, text: EvaluationText) -> Figure:
    """One page: the 13 districts' table above, the small multiples below."""
    page = _page(text, text("h.overview"))
    rows = text.tables["overview"]
    y = _grid(page, 0.05, 0.865, rows, _widths(0.25, len(rows[0]) - 1, 0.88), size=8)
    page.text(0.05, y - 0.01, f"{text('h.overview_note')} · {text('outlier_note')}",
              fontsize=7.5, color="#444444", va="top")  # fmt: skip
    overview_panels(page, ev, text, (0.05, 0.1, 0.9, y - 0.16))
    return page


def _trends(ev: Evaluation, text: EvaluationText) -> Figure:
    page = _page(text, text("chart.trends"))
    trend_panels(page, ev, text, (0.03, 0.08, 0.94, 0.78))
    return page


def _outcomes(ev: Evaluation, text: EvaluationText) -> Figure:
    page = _page(text, text("h.lotse"))
    _grid(page, 0.05, 0.84, text.tables["lotse"], [0.24, 0.08], size=9)
    page.text(0.45, 0.86, text("h.conferences"), fontsize=12, fontweight="bold")
    conf = text.tables["conferences"]
    _grid(page, 0.45, 0.83, conf, _widths(0.2, len(conf[0]) - 1, 0.5), size=8)
    page.text(0.05, 0.5, text("h.agreements"), fontsize=12, fontweight="bold")
    deps = text.tables["departments"]
    _grid(page, 0.05, 0.47, deps, _widths(0.12, len(deps[0]) - 1, 0.6), size=8)
    return page


def _verdict(ev: Evaluation, text: EvaluationText) -> Figure:
    page = _page(text, text("h.verdict"))
    _grid(page, 0.05, 0.84, text.tables["verdict_scores"], [0.14, 0.09], size=9)
    scores_chart(page, ev, text, (0.07, 0.12, 0.22, 0.36))
    y = _grid(page, 0.34, 0.84, text.tables["verdict_topics"], [0.2, 0.08, 0.09], size=9)
    _grid(page, 0.34, y - 0.03, text.tables["verdict_modes"], [0.2, 0.08, 0.09], size=9)
    head = textwrap.fill(text("h.quotes"), width=40)
    page.text(0.74, 0.84, head, fontsize=10, fontweight="bold", va="top")
    quotes = ev.verdicts.quotes or [text("no_quotes")]
    body = "\n\n".join(textwrap.fill(f"„{q}“" if ev.verdicts.quotes else q, width=42)
                       for q in quotes)  # fmt: skip
    page.text(0.74, 0.84 - 0.03 * (head.count("\n") + 2), body, fontsize=8.5, va="top",
              style="italic")  # fmt: skip
    return page


def pages(ev: Evaluation, text: EvaluationText) -> list[Figure]:
    return [make(ev, text) for make in (_summary, _key, _overview, _trends, _outcomes, _verdict)]


def to_pdf(ev: Evaluation, text: EvaluationText) -> bytes:
    buffer = io.BytesIO()
    metadata = {"Title": text("document"), "Creator": "Bezirksbot",
                "Producer": "Bezirksbot (matplotlib)"}  # fmt: skip
    with charts.RENDER_LOCK, rc_context(PDF_FONTS):
        with PdfPages(buffer, metadata=metadata) as pdf:
            for page in pages(ev, text):
                pdf.savefig(page)
    return buffer.getvalue()


def _png(draw: object, ev: Evaluation, text: EvaluationText, size: tuple[float, float],
         box: Box) -> bytes:  # fmt: skip
    figure = Figure(figsize=size, dpi=120)
    draw(figure, ev, text, box)  # type: ignore[operator]
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    with charts.RENDER_LOCK, rc_context(PDF_FONTS):
        figure.savefig(buffer, format="png", pil_kwargs={"compress_level": 1})
    return buffer.getvalue()


def to_docx(ev: Evaluation, text: EvaluationText) -> bytes:
    from docx import Document
    from docx.shared import Cm

    document = Document()
    document.core_properties.title = text("document")
    document.core_properties.author = "Bezirksbot"
    document.add_heading(text("title"), level=0)
    document.add_paragraph(text("subtitle"))
    document.add_heading(text("h.summary"), level=1)
    for line in text.sentences:
        document.add_paragraph(line, style="List Bullet")
    sections = [("h.key", "key", None), ("h.overview", "overview", "overview"),
                ("h.trends", None, "trends"), ("h.lotse", "lotse", None),
                ("h.agreements", "departments", None), ("h.conferences", "conferences", None),
                ("h.verdict", "verdict_scores", "scores")]  # fmt: skip
    drawings = {"overview": (overview_panels, (11.0, 4.0), (0.04, 0.08, 0.94, 0.8)),
                "trends": (trend_panels, (11.0, 6.0), (0.02, 0.04, 0.96, 0.92)),
                "scores": (scores_chart, (5.0, 3.5), (0.12, 0.12, 0.8, 0.75))}  # fmt: skip
    for heading, table, chart in sections:
        document.add_heading(text(heading), level=1)
        if table is not None:
            _table(document, text.tables[table])
        if heading == "h.overview":
            document.add_paragraph(text("h.overview_note"))
        if chart is not None:
            draw, size, box = drawings[chart]
            picture = document.add_picture(io.BytesIO(_png(draw, ev, text, size, box)),
                                           width=Cm(24 if chart != "scores" else 12))  # fmt: skip
            picture._inline.docPr.set("descr", text.alt[chart])  # the picture's alt text
            picture._inline.docPr.set("title", text(f"chart.{chart}") if chart != "trends"
                                      else text("chart.trends"))  # fmt: skip
            document.add_paragraph(text.alt[chart], style="Caption")
    for name in ("verdict_topics", "verdict_modes"):
        _table(document, text.tables[name])
    document.add_heading(text("h.quotes"), level=2)
    for quote in ev.verdicts.quotes or [text("no_quotes")]:
        document.add_paragraph(f"„{quote}“" if ev.verdicts.quotes else quote, style="Quote")
    document.add_paragraph(text("note"))
    section = document.sections[0]
    from docx.enum.section import WD_ORIENT

    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = section.page_height, section.page_width
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _table(document: object, rows: list[list[str]]) -> None:
    table = document.add_table(rows=len(rows), cols=len(rows[0]))  # type: ignore[attr-defined]
    table.style = "Table Grid"
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            cell = table.cell(r, c)
            cell.text = value
            if r == 0:
                for run in cell.paragraphs[0].runs:
                    run.bold = True


def render(fmt: str, ev: Evaluation, text: EvaluationText) -> tuple[str, bytes]:
    make = {"pdf": to_pdf, "docx": to_docx}.get(fmt)
    if make is None:
        raise ValueError(f"unknown format {fmt!r}")
    return filename(ev, fmt), make(ev, text)
