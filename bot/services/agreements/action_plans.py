"""Action plans: several agreements under one topic for a district."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import ActionPlan


async def create_action_plan(
    session: AsyncSession,
    *,
    district: str,
    title: str,
    topic: str | None,
    now: datetime,
    conference_id: int | None = None,
) -> ActionPlan:
    plan = ActionPlan(
        district_number=district,
        title=title.strip()[:200],
        topic=topic,
        conference_id=conference_id,
        created_at=now,
    )
    session.add(plan)
    await session.flush()
    return plan


async def action_plans_of(
    session: AsyncSession, *, district: str, limit: int = 6
) -> list[ActionPlan]:
    rows = await session.scalars(
        select(ActionPlan)
        .where(ActionPlan.district_number == district)
        .order_by(ActionPlan.created_at.desc())
        .limit(limit)
    )
    return list(rows)
