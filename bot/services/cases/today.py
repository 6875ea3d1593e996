"""The cases side of a manager's day (/heute): new cases nobody has triaged, next steps due
today or overdue, and cases waiting for the resident's answer, in the person's districts."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.basics.day import Day, Listing
from bot.services.cases.records import OPEN_STATUSES, CaseStatus
from bot.storage.models import Case

SHOWN = 8  # items per section; the rest is counted and left to /faelle


@dataclass(frozen=True)
class CasesToday:
    untriaged: Listing[Case]
    due: Listing[Case]  # next step due today or overdue
    waiting: Listing[Case]  # a question to the resident is open

    @property
    def empty(self) -> bool:
        return not (self.untriaged.total or self.due.total or self.waiting.total)


async def listing(
    session: AsyncSession, condition: ColumnElement[bool], *order: Any, shown: int = SHOWN
) -> Listing[Case]:
    total = int(await session.scalar(select(func.count(Case.id)).where(condition)) or 0)
    rows = await session.scalars(select(Case).where(condition).order_by(*order).limit(shown))
    return Listing(tuple(rows), total)


async def cases_today(
    session: AsyncSession, *, districts: Collection[str] | None, day: Day, shown: int = SHOWN
) -> CasesToday:
    """`districts` None: every district (coordination); empty: nothing."""
    scope: ColumnElement[bool] = (
        Case.id.is_not(None) if districts is None else Case.district_number.in_(sorted(districts))
    )
    open_ = Case.status.in_([str(s) for s in OPEN_STATUSES])
    untriaged = await listing(
        session,
        scope & (Case.status == CaseStatus.NEW),
        Case.priority.desc(),
        Case.created_at,
        Case.id,
        shown=shown,
    )
    due = await listing(
        session,
        scope & open_ & Case.next_step_due.is_not(None) & (Case.next_step_due < day.ends),
        Case.next_step_due,
        Case.id,
        shown=shown,
    )
    waiting = await listing(
        session,
        scope & (Case.status == CaseStatus.WAITING),
        Case.updated_at,
        Case.id,
        shown=shown,
    )
    return CasesToday(untriaged, due, waiting)
