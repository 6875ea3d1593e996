"""The council's figures for the reports: inquiries per district and fraction, statements
delivered on time (by their due date before the session), per department. Two grouped
queries, whatever the number of inquiries."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, case, func, select
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
    scope = and_(Inquiry.created_at >= start, Inquiry.created_at < end)
    if districts is not None:
        scope = and_(scope, Inquiry.district_number.in_(districts))
    figures = CouncilFigures()
    late = func.coalesce(func.sum(case((Inquiry.late.is_(True), 1), else_=0)), 0)
    for district, fraction, kind, n, n_late in await session.execute(
        select(Inquiry.district_number, Inquiry.fraction, Inquiry.kind, func.count(), late)
        .where(scope)
        .group_by(Inquiry.district_number, Inquiry.fraction, Inquiry.kind)
    ):
        if kind == "info":
            figures.information_requests += n
            continue
        figures.inquiries += n
        figures.late_inquiries += int(n_late)
        figures.by_district[district] += n
        figures.by_fraction[(district, fraction or "–")] += n
    on_time = and_(Statement.submitted_at.is_not(None), Statement.submitted_at <= Statement.due_at)
    for department, n, n_on_time in await session.execute(
        select(
            Statement.department_number,
            func.count(),
            func.coalesce(func.sum(case((on_time, 1), else_=0)), 0),
        )
        .join(Inquiry, Inquiry.id == Statement.inquiry_id)
        .where(scope)
        .group_by(Statement.department_number)
        .order_by(Statement.department_number)
    ):
        figures.by_department[department] = (int(n_on_time), n)
        figures.statements += n
        figures.statements_on_time += int(n_on_time)
    return figures
