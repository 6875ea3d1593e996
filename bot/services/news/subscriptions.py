"""Subscriptions: a person reads a district's news per field of action ("*" = every field).
Every change is the person's own (the buttons carry no one's id)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.basics.env import ServiceEnv
from bot.storage.models import NewsSubscription, Person

ALL = "*"


class SubscriptionError(ValueError):
    """An unknown district or field of action."""


def _check(env: ServiceEnv, district: str, topic: str) -> None:
    if not env.reference.has_district(district):
        raise SubscriptionError("district")
    if topic != ALL and not (
        env.reference.has_topic(topic) and env.reference.topic(topic).field_of_action
    ):
        raise SubscriptionError("topic")


async def topics_of(session: AsyncSession, *, person: Person, district: str) -> set[str]:
    rows = await session.scalars(
        select(NewsSubscription.topic).where(
            NewsSubscription.person_id == person.id, NewsSubscription.district_number == district
        )
    )
    return set(rows)


async def toggle(
    session: AsyncSession,
    env: ServiceEnv,
    *,
    person: Person,
    district: str,
    topic: str,
    now: datetime,
) -> bool:
    """Subscribe to, or unsubscribe from, one field (or all) of a district; True if now on."""
    _check(env, district, topic)
    removed = await session.execute(
        delete(NewsSubscription).where(
            NewsSubscription.person_id == person.id,
            NewsSubscription.district_number == district,
            NewsSubscription.topic == topic,
        )
    )
    if getattr(removed, "rowcount", 0):
        return False
    try:
        async with session.begin_nested():
            session.add(
                NewsSubscription(
                    person_id=person.id, district_number=district, topic=topic, created_at=now
                )
            )
    except IntegrityError:
        pass
    return True


async def unsubscribe_district(session: AsyncSession, *, person: Person, district: str) -> int:
    """The one tap under a news message: no more news from that district."""
    result = await session.execute(
        delete(NewsSubscription).where(
            NewsSubscription.person_id == person.id, NewsSubscription.district_number == district
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def recipients(
    session: AsyncSession, *, district: str | None, topics: list[str]
) -> dict[int, tuple[Person, str]]:
    """Who receives an item: person id → (person, the district whose subscription matched).
    City-wide items (district None) reach every district's subscribers of the fields.
    Blocked people (unreachable) and erased ones are left out; each person once."""
    query = (
        select(Person, NewsSubscription.district_number)
        .join(NewsSubscription, NewsSubscription.person_id == Person.id)
        .where(
            NewsSubscription.topic.in_([*topics, ALL]),
            Person.telegram_id.is_not(None),
            Person.unreachable_since.is_(None),
            Person.erased_at.is_(None),
        )
        .order_by(Person.id, NewsSubscription.district_number)
    )
    if district is not None:
        query = query.where(NewsSubscription.district_number == district)
    found: dict[int, tuple[Person, str]] = {}
    for person, number in (await session.execute(query)).tuples():
        found.setdefault(person.id, (person, number))
    return found
