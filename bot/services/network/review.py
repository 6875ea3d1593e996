"""Keeping the directory true: entries not confirmed for some months are offered for review,
one at a time, oldest confirmation first (never confirmed: first of all)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.network.entries import serves
from bot.storage.models import NetworkEntry

DEFAULT_MONTHS = 12


def stale_before(now: datetime, months: int) -> datetime:
    return now - timedelta(days=round(months * 30.44))


async def stale_entries(
    session: AsyncSession,
    districts: Collection[str] | None,
    now: datetime,
    *,
    months: int = DEFAULT_MONTHS,
    skip: Collection[int] = (),
) -> list[NetworkEntry]:
    """Active entries of the districts (None: all, for coordinators) not confirmed since
    `months`. A manager reviews the entries of their districts; city-wide entries are the
    coordinators'."""
    limit = stale_before(now, months)
    rows = await session.scalars(
        select(NetworkEntry)
        .where(
            NetworkEntry.retired_at.is_(None),
            NetworkEntry.confirmed_at.is_(None) | (NetworkEntry.confirmed_at < limit),
        )
        .order_by(
            NetworkEntry.confirmed_at.is_not(None), NetworkEntry.confirmed_at, NetworkEntry.id
        )
    )
    found = []
    for entry in rows:
        if entry.id in skip:
            continue
        if districts is None or (entry.districts and serves(entry, districts)):
            found.append(entry)
    return found


async def stale_entry_for_review(
    session: AsyncSession,
    districts: Collection[str] | None,
    now: datetime,
    *,
    months: int = DEFAULT_MONTHS,
    skip: Collection[int] = (),
) -> NetworkEntry | None:
    """The one entry to review next (for `/heute` and `/netzwerk pruefen`), or None."""
    found = await stale_entries(session, districts, now, months=months, skip=skip)
    return found[0] if found else None
