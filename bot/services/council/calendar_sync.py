"""The calendar file of the sessions and district conferences (chat and command line), and
the import of sessions from one: a known UID with a new start moves that session (its due
dates and nudges move, those concerned are told); past events are skipped."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.council import sessions
from bot.services.council.calendar import CalendarEntry, from_ics, to_ics
from bot.services.council.deadlines import CouncilPolicy
from bot.storage.models import Conference, CouncilSession, Person

# (kind "session" or "conference", district number) -> the event's summary
Titles = Callable[[str, str], str]


async def export(session: AsyncSession, *, districts: list[str] | None, titles: Titles) -> bytes:
    """Every planned or held session and every planned conference of the districts."""
    query = select(CouncilSession).order_by(CouncilSession.starts_at)
    conferences = select(Conference).where(Conference.status != "cancelled")
    if districts is not None:
        query = query.where(CouncilSession.district_number.in_(districts))
        conferences = conferences.where(Conference.district_number.in_(districts))
    entries = [
        CalendarEntry(
            uid=row.uid or f"bezirksrat-{row.id}@bezirksbot.hannover.de",
            starts_at=row.starts_at,
            summary=titles("session", row.district_number),
            location=row.location,
        )
        for row in await session.scalars(query)
    ]
    entries += [
        CalendarEntry(
            uid=f"konferenz-{row.id}@bezirksbot.hannover.de",
            starts_at=row.starts_at,
            summary=titles("conference", row.district_number),
            location=row.location,
            hours=2.0,
        )
        for row in await session.scalars(conferences)
    ]
    return to_ics(sorted(entries, key=lambda e: e.starts_at))


async def import_sessions(
    session: AsyncSession,
    *,
    district: str,
    content: bytes,
    now: datetime,
    tz: ZoneInfo,
    policy: CouncilPolicy,
    admin_ids: Iterable[int],
    created_by: Person | None,
) -> tuple[int, int]:
    """Create the file's future sessions for the district; returns (created, moved).
    Raises `calendar.CalendarError` for a file without readable events."""
    created = moved = 0
    for event in from_ics(content, tz=tz):
        if event.starts_at <= now:
            continue
        known = None
        if event.uid:
            known = await session.scalar(
                select(CouncilSession).where(
                    CouncilSession.district_number == district, CouncilSession.uid == event.uid
                )
            )
        if known is None:
            await sessions.create(
                session,
                district=district,
                starts_at=event.starts_at,
                location=event.location,
                now=now,
                created_by=created_by,
                uid=event.uid,
            )
            created += 1
        elif known.starts_at != event.starts_at and known.status == "planned":
            await sessions.move(
                session,
                council_session=known,
                starts_at=event.starts_at,
                location=event.location,
                now=now,
                tz=tz,
                policy=policy,
                admin_ids=admin_ids,
                moved_by=created_by,
            )
            moved += 1
    return created, moved
