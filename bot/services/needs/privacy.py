"""What a person's data export holds of needs and news: the needs they proposed, their
supports and ranks, and their news subscriptions (erasure is in `privacy.erasure`)."""

from __future__ import annotations

from datetime import tzinfo
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.privacy.stored import iso
from bot.storage.models import Need, NeedRank, NeedSupport, NewsSubscription, Person


async def export_needs_and_news(
    session: AsyncSession, person: Person, tz: tzinfo
) -> dict[str, Any]:
    proposed = await session.scalars(
        select(Need).where(Need.proposer_id == person.id).order_by(Need.id)
    )
    supports = await session.scalars(
        select(NeedSupport).where(NeedSupport.person_id == person.id).order_by(NeedSupport.id)
    )
    ranks = await session.scalars(
        select(NeedRank).where(NeedRank.person_id == person.id).order_by(NeedRank.id)
    )
    subscriptions = await session.scalars(
        select(NewsSubscription)
        .where(NewsSubscription.person_id == person.id)
        .order_by(NewsSubscription.id)
    )
    return {
        "needs_proposed": [
            {
                "need": need.id,
                "district_number": need.district_number,
                "topic": need.topic,
                "quarters": need.quarters,
                "missing": need.missing,
                "affected": need.affected,
                "status": need.status,
                "proposed_at": iso(need.created_at, tz),
            }
            for need in proposed
        ],
        "needs_supported": [{"need": s.need_id, "since": iso(s.created_at, tz)} for s in supports],
        "needs_ranked": [{"need": r.need_id, "place": r.place} for r in ranks],
        "news_subscriptions": [
            {
                "district_number": s.district_number,
                "topic": s.topic,
                "since": iso(s.created_at, tz),
            }
            for s in subscriptions
        ],
    }
