"""The session pack for the council support: the session's inquiries in agenda order (on
time first, then the late ones, each by number) with the approved statements, as PDF
(matplotlib's PdfPages, as the reports) and DOCX. Headings come from the message layer
(`PackLabels`, the reader's language); the inquiries' texts are the members' own."""

from __future__ import annotations

import io
import textwrap
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import CouncilSession, Inquiry

WIDTH = 92  # characters per PDF line at 9 pt on A4
LINES_PER_PAGE = 64


@dataclass(frozen=True)
class PackLabels:
    title: str  # e.g. "Sitzung des Bezirksrats Linden-Limmer, 12.03.2026, 18:00"
    late: str
    statement: str
    no_statement: str
    empty: str


@dataclass(frozen=True)
class PackItem:
    position: int
    heading: str  # "Anfrage A10-7 (SPD): Ampel an der Limmerstraße"
    text: str
    late: bool
    answer: str | None
    file_name: str | None


async def agenda(session: AsyncSession, council_session: CouncilSession) -> list[Inquiry]:
    """The session's inquiries in agenda order: those on time by number, then the late ones."""
    rows = await session.scalars(
        select(Inquiry)
        .where(Inquiry.session_id == council_session.id, Inquiry.kind == "inquiry")
        .order_by(Inquiry.late, Inquiry.number)
    )
    return list(rows)


def _lines(labels: PackLabels, items: list[PackItem]) -> list[tuple[str, bool]]:
    """(line, bold) pairs of the whole pack."""
    out: list[tuple[str, bool]] = [(labels.title, True), ("", False)]
    if not items:
        out.append((labels.empty, False))
    for item in items:
        heading = f"{item.position}. {item.heading}" + (f" – {labels.late}" if item.late else "")
        out.extend((line, True) for line in textwrap.wrap(heading, WIDTH))
        for paragraph in item.text.splitlines() or [""]:
            out.extend((line, False) for line in textwrap.wrap(paragraph, WIDTH) or [""])
        if item.file_name:
            out.append((f"[{item.file_name}]", False))
        out.append((labels.statement if item.answer else labels.no_statement, True))
        for paragraph in (item.answer or "").splitlines():
            out.extend((line, False) for line in textwrap.wrap(paragraph, WIDTH) or [""])
        out.append(("", False))
    return out


def pdf(labels: PackLabels, items: list[PackItem], *, made: datetime) -> bytes:
    # matplotlib and python-docx are imported here, not at start (they weigh ~60 MiB)
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.figure import Figure

    lines = _lines(labels, items)
    buffer = io.BytesIO()
    with PdfPages(buffer, metadata={"Title": labels.title, "CreationDate": made}) as pages:
        for start in range(0, max(len(lines), 1), LINES_PER_PAGE):
            figure = Figure(figsize=(8.27, 11.69))
            for row, (line, bold) in enumerate(lines[start : start + LINES_PER_PAGE]):
                figure.text(
                    0.07,
                    0.95 - row * 0.0140,
                    line,
                    fontsize=9,
                    weight="bold" if bold else "normal",
                    family="DejaVu Sans",
                    usetex=False,
                    parse_math=False,
                )
            pages.savefig(figure)
    return buffer.getvalue()


def docx(labels: PackLabels, items: list[PackItem]) -> bytes:
    from docx import Document

    document = Document()
    document.add_heading(labels.title, level=1)
    if not items:
        document.add_paragraph(labels.empty)
    for item in items:
        heading = f"{item.position}. {item.heading}" + (f" – {labels.late}" if item.late else "")
        document.add_heading(heading, level=2)
        for paragraph in item.text.splitlines():
            document.add_paragraph(paragraph)
        if item.file_name:
            document.add_paragraph(f"[{item.file_name}]")
        document.add_heading(labels.statement if item.answer else labels.no_statement, level=3)
        for paragraph in (item.answer or "").splitlines():
            document.add_paragraph(paragraph)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
