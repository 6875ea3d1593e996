"""The council's figures for the reports: inquiries per district and fraction, statements
delivered on time (by their due date before the session), per department."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import Inquiry, Statement


@dataclass
class CouncilFigures:
    inquiries: int = 0
    late_inquiries: int = 0
    information_requests: int = 0
    by_district: Counter[str] = field(default_factory=Counter)
    by_fraction: Counter[tuple[str, str]] = field(default_factory=Counter)  # (district, group)
    statements: int = 0
    statements_on_time: int = 0
    by_department: dict[str, tuple[int, int]] = field(default_factory=dict)  # on time, all


async def council_figures(
    session: AsyncSession,
    *,
    start: datetime,
    end: datetime,
    districts: list[str] | None = None,
) -> CouncilFigures:
    """Inquiries submitted in [start, end) and their statements; `districts` None: all."""
    query = select(Inquiry).where(Inquiry.created_at >= start, Inquiry.created_at < end)
    if districts is not None:
        query = query.where(Inquiry.district_number.in_(districts))
    figures = CouncilFigures()
    ids = []
    for inquiry in await session.scalars(query):
        if inquiry.kind == "info":
            figures.information_requests += 1
            continue
        ids.append(inquiry.id)
        figures.inquiries += 1
        figures.late_inquiries += inquiry.late
        figures.by_district[inquiry.district_number] += 1
        figures.by_fraction[(inquiry.district_number, inquiry.fraction or "–")] += 1
    per_department: dict[str, list[int]] = {}
    for statement in await session.scalars(select(Statement).where(Statement.inquiry_id.in_(ids))):
        on_time = statement.submitted_at is not None and statement.submitted_at <= statement.due_at
        counts = per_department.setdefault(statement.department_number, [0, 0])
        counts[0] += on_time
        counts[1] += 1
        figures.statements += 1
        figures.statements_on_time += on_time
    figures.by_department = {k: (v[0], v[1]) for k, v in sorted(per_department.items())}
    return figures
