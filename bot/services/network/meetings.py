"""Meetings of the district a manager attended (date, forum, people met, a note), the last
meeting per entry, and the count per district for the reports."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import NetworkEntry, NetworkMeeting, NetworkMeetingEntry, Person


async def record_meeting(
    session: AsyncSession,
    *,
    district: str,
    held_on: date,
    forum: str,
    met: Sequence[NetworkEntry],
    note: str | None,
    by: Person,
    now: datetime,
) -> NetworkMeeting:
    meeting = NetworkMeeting(
        district_number=district,
        held_on=held_on,
        forum=forum.strip()[:200],
        note=(note or "").strip() or None,
        recorded_by_id=by.id,
        created_at=now,
    )
    session.add(meeting)
    await session.flush()
    for entry in {e.id: e for e in met}.values():
        session.add(NetworkMeetingEntry(meeting_id=meeting.id, entry_id=entry.id))
    await session.flush()
    return meeting


async def last_meeting(session: AsyncSession, entry: NetworkEntry) -> NetworkMeeting | None:
    """The latest meeting at which the entry's people were met."""
    found: NetworkMeeting | None = await session.scalar(
        select(NetworkMeeting)
        .join(NetworkMeetingEntry, NetworkMeetingEntry.meeting_id == NetworkMeeting.id)
        .where(NetworkMeetingEntry.entry_id == entry.id)
        .order_by(NetworkMeeting.held_on.desc(), NetworkMeeting.id.desc())
        .limit(1)
    )
    return found


async def meetings_per_district(
    session: AsyncSession, start: date, end: date, districts: Collection[str] | None = None
) -> dict[str, int]:
    """District number -> meetings held from `start` up to and including `end`."""
    query = (
        select(NetworkMeeting.district_number, func.count())
        .where(NetworkMeeting.held_on >= start, NetworkMeeting.held_on <= end)
        .group_by(NetworkMeeting.district_number)
    )
    if districts is not None:
        query = query.where(NetworkMeeting.district_number.in_(list(districts)))
    return {number: int(count) for number, count in (await session.execute(query)).all()}
