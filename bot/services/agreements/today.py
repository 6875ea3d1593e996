"""The planning side of the day (/heute): agreements due today or overdue and this week's
conferences, for a manager's districts; for a department representative their department's
agreements (due, then the rest still open) and the conferences they are invited to."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.agreements.status import ACTIVE_STATUSES
from bot.services.agreements.workflow import open_agreements_for_rep
from bot.services.basics.day import Day, Listing
from bot.storage.models import Agreement, Conference, ConferenceInvite, Person

SHOWN = 8


@dataclass(frozen=True)
class PlanningToday:
    due: Listing[Agreement]  # active agreements due today or overdue
    conferences: Listing[Conference]  # this calendar week, not cancelled

    @property
    def empty(self) -> bool:
        return not (self.due.total or self.conferences.total)


@dataclass(frozen=True)
class DepartmentToday:
    due: Listing[Agreement]
    open: Listing[Agreement]  # active, due after today
    conferences: Listing[Conference]  # this week, the rep invited

    @property
    def empty(self) -> bool:
        return not (self.due.total or self.open.total or self.conferences.total)


def _this_week(day: Day) -> ColumnElement[bool]:
    return (
        (Conference.starts_at >= day.week_starts)
        & (Conference.starts_at < day.week_ends)
        & (Conference.status != "cancelled")
    )


async def planning_today(
    session: AsyncSession, *, districts: Collection[str] | None, day: Day, shown: int = SHOWN
) -> PlanningToday:
    """`districts` None: every district (coordination)."""
    due: ColumnElement[bool] = Agreement.status.in_([str(s) for s in ACTIVE_STATUSES]) & (
        Agreement.due_at < day.ends
    )
    week = _this_week(day)
    if districts is not None:
        due = due & Agreement.district_number.in_(sorted(districts))
        week = week & Conference.district_number.in_(sorted(districts))
    agreements = await session.scalars(
        select(Agreement).where(due).order_by(Agreement.due_at, Agreement.id).limit(shown)
    )
    agreements_total = await session.scalar(select(func.count(Agreement.id)).where(due))
    conferences = await session.scalars(
        select(Conference).where(week).order_by(Conference.starts_at, Conference.id).limit(shown)
    )
    conferences_total = await session.scalar(select(func.count(Conference.id)).where(week))
    return PlanningToday(
        Listing(tuple(agreements), int(agreements_total or 0)),
        Listing(tuple(conferences), int(conferences_total or 0)),
    )


async def department_today(
    session: AsyncSession, *, person: Person, day: Day, shown: int = SHOWN
) -> DepartmentToday:
    """The agreements a rep may act on (as `/vereinbarungen` lists them) and the conferences
    of this week that invite them."""
    active = await open_agreements_for_rep(session, person)  # by due date
    due = [a for a in active if a.due_at < day.ends]
    later = [a for a in active if a.due_at >= day.ends]
    invited = select(ConferenceInvite.conference_id).where(ConferenceInvite.person_id == person.id)
    week = _this_week(day) & Conference.id.in_(invited)
    conferences = list(
        await session.scalars(select(Conference).where(week).order_by(Conference.starts_at))
    )
    return DepartmentToday(
        Listing(tuple(due[:shown]), len(due)),
        Listing(tuple(later[:shown]), len(later)),
        Listing(tuple(conferences[:shown]), len(conferences)),
    )


async def invite_of(
    session: AsyncSession, *, conference_id: int, person_id: int
) -> ConferenceInvite | None:
    """The person's own invitation to the conference, if they were invited."""
    invite: ConferenceInvite | None = await session.scalar(
        select(ConferenceInvite)
        .where(
            ConferenceInvite.conference_id == conference_id,
            ConferenceInvite.person_id == person_id,
        )
        .order_by(ConferenceInvite.id)
        .limit(1)
    )
    return invite
