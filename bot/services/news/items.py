"""News items: the preview's recipient count, sending (one outbox row per recipient, under a
unique (item, person) pair so nobody gets an item twice), and the sender's report once every
row is delivered or failed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.access.roles import Roles
from bot.services.basics.env import ServiceEnv
from bot.services.messaging import outbox
from bot.services.news.notices import NewsMessage, NewsReport
from bot.services.news.subscriptions import recipients
from bot.storage.models import NewsDelivery, NewsItem, OutboxMessage, Person

MAX_TEXT = 3500  # below Telegram's 4096 with room for the frame and link
KIND = "news"


class NewsError(ValueError):
    """Nothing to send, or an unknown district or field."""


class NotAllowed(PermissionError):
    """Only managers (for their districts) and coordinators (also city-wide) write news."""


@dataclass(frozen=True)
class Draft:
    district: str | None  # None: city-wide
    topics: tuple[str, ...]
    text: str
    link: str | None = None
    file_id: str | None = None
    file_kind: str | None = None


def check(env: ServiceEnv, roles: Roles, draft: Draft) -> None:
    if draft.district is None:
        if not roles.is_coordinator:
            raise NotAllowed
    elif not roles.can_manage_district(draft.district):
        raise NotAllowed
    if draft.district is not None and not env.reference.has_district(draft.district):
        raise NewsError("district")
    if not draft.topics or not all(env.reference.has_topic(t) for t in draft.topics):
        raise NewsError("topic")
    if not draft.text.strip() or len(draft.text) > MAX_TEXT:
        raise NewsError("text")


async def count_recipients(session: AsyncSession, *, draft: Draft) -> int:
    return len(await recipients(session, district=draft.district, topics=list(draft.topics)))


async def send(
    session: AsyncSession,
    env: ServiceEnv,
    *,
    draft: Draft,
    roles: Roles,
    sender: Person,
    now: datetime,
) -> NewsItem:
    """Store the item and queue it for every recipient, in one transaction."""
    check(env, roles, draft)
    item = NewsItem(
        sender_id=sender.id,
        sender_chat_id=sender.telegram_id,
        district_number=draft.district,
        topics={"topics": list(draft.topics)},
        text=draft.text.strip(),
        link=draft.link,
        file_id=draft.file_id,
        file_kind=draft.file_kind,
        created_at=now,
    )
    session.add(item)
    await session.flush()
    found = await recipients(session, district=draft.district, topics=list(draft.topics))
    for person, number in found.values():
        assert person.telegram_id is not None
        message = outbox.tell(
            session,
            chat_id=person.telegram_id,
            intent=NewsMessage(
                item.id,
                number,
                draft.district is None,
                tuple(draft.topics),
                item.text,
                item.link,
                item.file_id,
                item.file_kind,
            ),
            now=now,
            person_id=person.id,
            language=person.language,
            kind=KIND,
        )
        await session.flush()
        session.add(
            NewsDelivery(
                news_id=item.id, person_id=person.id, outbox_id=message.id, district_number=number
            )
        )
    item.recipients = len(found)
    if not found:  # nothing to wait for: the report follows at once
        await report_finished(session, now=now)
    return item


async def report_finished(session: AsyncSession, *, now: datetime) -> int:
    """Tell each sender whose item is fully settled how many received it; returns how many
    reports were queued (each item is reported once)."""
    reported = 0
    for item in list(
        await session.scalars(select(NewsItem).where(NewsItem.reported_at.is_(None)))
    ):
        rows = (
            await session.execute(
                select(
                    func.count(OutboxMessage.id).filter(OutboxMessage.sent_at.is_not(None)),
                    func.count(OutboxMessage.id).filter(OutboxMessage.failed_at.is_not(None)),
                    func.count(OutboxMessage.id).filter(
                        OutboxMessage.failed_at.is_not(None),
                        OutboxMessage.last_error.like("Forbidden%"),
                    ),
                    func.count(OutboxMessage.id),
                )
                .select_from(NewsDelivery)
                .join(OutboxMessage, OutboxMessage.id == NewsDelivery.outbox_id)
                .where(NewsDelivery.news_id == item.id)
            )
        ).one()
        delivered, failed, blocked, total = (int(v or 0) for v in rows)
        if delivered + failed < total:
            continue
        item.reported_at = now
        if item.sender_chat_id:
            outbox.tell(
                session,
                chat_id=item.sender_chat_id,
                intent=NewsReport(item.id, delivered, failed, blocked),
                now=now,
                person_id=item.sender_id,
                kind="news_report",
            )
            reported += 1
    return reported
