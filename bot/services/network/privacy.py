"""A listed person's share of the directory in their export (Art. 15) and erasure (Art. 17):
entries linked to the person, with the meetings they were met at."""

from __future__ import annotations

from datetime import tzinfo
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.network.files import export_rows
from bot.storage.models import (
    NetworkEntry,
    NetworkMeeting,
    NetworkMeetingEntry,
    NetworkReferral,
    Person,
)


async def entries_of(session: AsyncSession, person: Person) -> list[NetworkEntry]:
    rows = await session.scalars(
        select(NetworkEntry).where(NetworkEntry.person_id == person.id).order_by(NetworkEntry.id)
    )
    return list(rows)


async def export_entries(
    session: AsyncSession, person: Person, tz: tzinfo
) -> list[dict[str, Any]]:
    """Every directory entry about the person, all fields, and the meetings they were met at."""
    found = await entries_of(session, person)
    result: list[dict[str, Any]] = []
    for entry, row in zip(found, export_rows(found), strict=True):
        met = await session.scalars(
            select(NetworkMeeting)
            .join(NetworkMeetingEntry, NetworkMeetingEntry.meeting_id == NetworkMeeting.id)
            .where(NetworkMeetingEntry.entry_id == entry.id)
            .order_by(NetworkMeeting.held_on)
        )
        extra: dict[str, Any] = {
            "consent_at": entry.consent_at.astimezone(tz).isoformat()
            if entry.consent_at
            else None,
            "retired": entry.retired_at is not None,
            "meetings": [{"date": m.held_on.isoformat(), "forum": m.forum} for m in met],
        }
        result.append({**row, **extra})
    return result


async def erase_entries(session: AsyncSession, person: Person) -> int:
    """Remove the person's entries; the referrals to them stay as counts of a removed entry
    would be meaningless, so they go too. Cases keep their referral key only (no person)."""
    found = await entries_of(session, person)
    ids = [e.id for e in found]
    if not ids:
        return 0
    await session.execute(delete(NetworkMeetingEntry).where(NetworkMeetingEntry.entry_id.in_(ids)))
    await session.execute(delete(NetworkReferral).where(NetworkReferral.entry_id.in_(ids)))
    await session.execute(delete(NetworkEntry).where(NetworkEntry.id.in_(ids)))
    await session.execute(
        update(NetworkEntry)
        .where(NetworkEntry.confirmed_by_id == person.id)
        .values(confirmed_by_id=None)
    )
    return len(ids)
