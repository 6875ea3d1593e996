"""Reminders: rows with a due moment and a unique key, sent once by a periodic sweep.

A renderer per kind turns a due reminder into outbox messages in the same transaction that
marks it sent, so a restart between sweeps neither loses nor repeats one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import func, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.messaging import catch_up
from bot.storage import postgresql
from bot.storage.models import Agreement, Case, Conference, Person, Reminder

# A renderer writes the outbox messages for one due reminder (it may write none, e.g. when
# the case moved on); it gets the session, the reminder and the sweep's moment.
Renderer = Callable[[AsyncSession, Reminder, datetime], Awaitable[None]]


async def schedule(
    session: AsyncSession,
    *,
    key: str,
    kind: str,
    due_at: datetime,
    now: datetime,
    case_id: int | None = None,
    person_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> bool:
    """Create a reminder unless one with this key exists; returns whether it was created."""
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    insert = postgresql.insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert(Reminder)
        .values(
            key=key,
            kind=kind,
            due_at=due_at,
            case_id=case_id,
            person_id=person_id,
            data=data,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["key"])
    )
    # an INSERT's result is a CursorResult, which the generic signature does not say
    result = cast("CursorResult[Any]", await session.execute(statement))
    return bool(result.rowcount)


async def cancel(session: AsyncSession, *, key_prefix: str, now: datetime) -> None:
    """Cancel pending reminders whose key starts with the prefix (e.g. a closed case)."""
    await session.execute(
        update(Reminder)
        .where(
            Reminder.key.startswith(key_prefix, autoescape=True),
            Reminder.sent_at.is_(None),
            Reminder.cancelled_at.is_(None),
        )
        .values(cancelled_at=now)
    )


def due_query(now: datetime, limit: int | None) -> Any:
    """Pending reminders due by `now`, oldest first (served by ix_reminders_pending_due)."""
    return (
        select(Reminder)
        .where(Reminder.sent_at.is_(None), Reminder.cancelled_at.is_(None), Reminder.due_at <= now)
        .order_by(Reminder.due_at)
        .limit(limit)
    )


async def sweep(
    session: AsyncSession,
    *,
    now: datetime,
    renderers: dict[str, Renderer],
    limit: int = 200,
    group_of: catch_up.GroupOf | None = None,
    tally: catch_up.Tally | None = None,
) -> int:
    """Render every due reminder into the outbox and mark it sent; returns how many.

    Of the reminders one group (`group_of`) has due now only the latest is written, the
    others are recorded as skipped (`catch_up`): after downtime one message tells the
    current state instead of a burst. `tally` counts what was written late, for the
    coordinators' summary.
    """
    query = due_query(now, limit)
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)  # two instances never take the same row
    due = list(await session.scalars(query))
    later: list[Reminder] = []
    if group_of is not None and len(due) == limit:
        # a backlog longer than a page (long downtime): a group's latest slot may lie beyond
        # it, and the page's older slots of that group must not be written meanwhile
        taken = [reminder.id for reminder in due]
        later = list(await session.scalars(due_query(now, None).where(Reminder.id.not_in(taken))))
    write = catch_up.latest_of_groups([*due, *later], group_of)
    for reminder in due:
        renderer = renderers.get(reminder.kind)
        if reminder.id not in write:
            catch_up.skip(reminder, now=now, reason=catch_up.SUPERSEDED)
        elif renderer is not None:
            await renderer(session, reminder, now)  # it may record a skip itself
        reminder.sent_at = now
        if tally is not None:
            tally.note(reminder, late_before=now - catch_up.LATE_AFTER)
    return len(due)


@dataclass(frozen=True)
class Upcoming:
    """A pending reminder as the listing shows it: what, for whom, when, about what."""

    kind: str
    due_at: datetime
    district: str | None
    case_reference: str | None = None
    agreement_id: int | None = None
    measure: str | None = None
    department: str | None = None
    rep_name: str | None = None
    conference_start: datetime | None = None
    skip_reason: str | None = None  # a slot a sweep skipped (see `catch_up`)


LISTED_KINDS = (
    "agr_nudge",
    "agr_overdue",
    "agr_escalate_manager",
    "agr_escalate_coordinators",
    "referral_followup",
    "conference_reminder",
)


# what a sweep may skip: the listed kinds and a council statement's nudges and escalations
SKIPPABLE_KINDS = (
    *LISTED_KINDS,
    "brt_nudge",
    "brt_escalate_manager",
    "brt_escalate_coordinators",
)


def _listing(districts: list[str] | None, kinds: tuple[str, ...] = LISTED_KINDS) -> Any:
    district = func.coalesce(
        Agreement.district_number, Case.district_number, Conference.district_number
    )
    query = (
        select(Reminder, Agreement, Case, Conference, Person.first_name, district)
        .outerjoin(Agreement, Agreement.id == Reminder.agreement_id)
        .outerjoin(Case, Case.id == Reminder.case_id)
        .outerjoin(Conference, Conference.id == Reminder.conference_id)
        .outerjoin(Person, Person.id == Agreement.rep_id)
        .where(Reminder.kind.in_(kinds))
        .order_by(Reminder.due_at, Reminder.id)
    )
    return query if districts is None else query.where(district.in_(districts))


async def _described(session: AsyncSession, query: Any) -> list[Upcoming]:
    found = []
    for reminder, agreement, case, conference, rep_name, number in (
        await session.execute(query)
    ).all():
        found.append(
            Upcoming(
                kind=reminder.kind,
                due_at=reminder.due_at,
                district=number,
                case_reference=case.reference if case is not None else None,
                agreement_id=agreement.id if agreement is not None else None,
                measure=agreement.measure if agreement is not None else None,
                department=agreement.department_number if agreement is not None else None,
                rep_name=rep_name,
                conference_start=conference.starts_at if conference is not None else None,
                skip_reason=reminder.skip_reason,
            )
        )
    return found


async def upcoming(
    session: AsyncSession, *, now: datetime, until: datetime, districts: list[str] | None
) -> list[Upcoming]:
    """The pending nudges, follow-ups and escalations due before `until`, soonest first;
    `districts` None means every district."""
    query = _listing(districts).where(
        Reminder.sent_at.is_(None), Reminder.cancelled_at.is_(None), Reminder.due_at < until
    )
    return await _described(session, query)


async def skipped(session: AsyncSession, *, at: datetime) -> list[Upcoming]:
    """The slots a sweep at `at` recorded as skipped (with `skip_reason`), oldest first."""
    query = _listing(None, SKIPPABLE_KINDS).where(Reminder.skipped_at == at)
    return await _described(session, query)
