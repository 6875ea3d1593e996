"""District news end to end: subscriptions in the chat (/abo), an item written, previewed
with its recipient count and sent through the outbox to subscribers while the offline Bot
API enforces Telegram's 30 messages per second (answering 429 above it); everyone once,
blocked subscribers marked, the sender told the counts; the one-tap unsubscribe."""

from __future__ import annotations

import time
from collections import Counter

import pytest
from sqlalchemy import func, select

from bot.delivery import flush_outbox
from bot.offline.simulator import SimUser
from bot.services.access import people
from bot.services.access.roles import Role
from bot.services.news import subscriptions
from bot.storage.db import session_scope
from bot.storage.models import NewsDelivery, NewsSubscription, Person
from tests.conftest import BotEnv
from tests.helpers import bind_role

MANAGER, COORDINATOR = 740_010, 740_099
FIRST_SUBSCRIBER = 741_000
TEXT_EN = "Playground Küchengarten opens again on Saturday."


async def _subscribe_in_chat(user: SimUser, district: str, field: str) -> None:
    await user.send("/abo")
    await user.press(district)
    await user.press(field)


async def _subscribe(env: BotEnv, telegram_id: int, district: str, topic: str) -> None:
    async with session_scope(env.services.session_maker) as session:
        person = await people.get_or_create_person(
            session, telegram_id=telegram_id, first_name="Sub", language="en", now=env.clock.now()
        )
        await subscriptions.toggle(
            session,
            env.services.env,
            person=person,
            district=district,
            topic=topic,
            now=env.clock.now(),
        )


def _news_count(env: BotEnv, chat_id: int, text: str) -> int:
    return sum(1 for m in env.api.messages(chat_id) if text in (m.text or ""))


@pytest.mark.filterwarnings("ignore:.*retry_after.*timedelta")  # raised inside PTB itself
async def test_en_fifty_subscribers_through_flood_waits(env: BotEnv) -> None:
    sim = env.sim
    assert sim is not None and env.app is not None
    manager = sim.user(MANAGER, language_code="en")
    await manager.send("/start")
    await bind_role(env, MANAGER, Role.MANAGER, district="10", first_name="Maria")
    ids = [FIRST_SUBSCRIBER + i for i in range(50)]
    for telegram_id in ids[:5]:  # five subscribe in the chat, the rest directly
        await _subscribe_in_chat(
            sim.user(telegram_id, language_code="en"), "Linden-Limmer", "Public space"
        )
        assert "✅ Public space" in sim.user(telegram_id).buttons()
    for telegram_id in ids[5:]:
        await _subscribe(env, telegram_id, "10", "public_space" if telegram_id % 2 else "*")
    await _subscribe(env, 741_900, "10", "family")  # another field: not a recipient
    blocked = set(ids[-3:])
    env.api.blocked |= blocked
    # stricter than Telegram, below our pace: the stand-in answers 429 with retry_after
    env.api.limit_rate(20)

    await manager.send("/news 10")
    await manager.press("Public space")
    await manager.press("Done")
    await manager.send(TEXT_EN)
    await manager.press("Continue without")
    assert "It goes to 50 subscribers." in manager.last.plain_text
    assert TEXT_EN in manager.texts()[-2]  # the preview, as subscribers will see it
    started = time.monotonic()
    await manager.press("Send")
    assert "Sending to 50 subscribers" in "\n".join(manager.texts()[-3:])
    await sim.settle(within=60)
    await flush_outbox(env.app)
    elapsed = time.monotonic() - started

    counts = Counter(_news_count(env, i, TEXT_EN) for i in ids if i not in blocked)
    assert counts == Counter({1: 47}), counts  # everyone once, nobody twice
    assert _news_count(env, 741_900, TEXT_EN) == 0
    assert env.api.throttled > 0  # flood waits happened, were waited out, none sent twice
    assert elapsed >= 50 / 20 - 1
    async with session_scope(env.services.session_maker) as session:
        marked = set(
            await session.scalars(
                select(Person.telegram_id).where(Person.unreachable_since.is_not(None))
            )
        )
        deliveries = await session.scalar(select(func.count(NewsDelivery.id)))
    assert marked == blocked and deliveries == 50
    report = manager.last.plain_text
    assert "Your news item was delivered to 47 subscribers." in report, report
    assert "3 deliveries failed (blocked the bot: 3)." in report
    # the one tap under the item
    reader = sim.user(ids[0])
    await reader.press("Unsubscribe from Linden-Limmer")
    assert "You receive no more news from Linden-Limmer." in reader.last.plain_text


async def test_de_city_wide_item_with_photo_and_link(env: BotEnv) -> None:
    sim = env.sim
    assert sim is not None and env.app is not None
    coordinator = sim.user(COORDINATOR)
    await coordinator.send("/start")
    await bind_role(env, COORDINATOR, Role.COORDINATOR, first_name="Carl")
    both, other, resident = sim.user(742_001), sim.user(742_002), sim.user(742_003)
    await _subscribe_in_chat(both, "Linden-Limmer", "Öffentlicher Raum")
    await _subscribe_in_chat(both, "Mitte", "Alle Handlungsfelder")
    await _subscribe_in_chat(other, "Mitte", "Familie")
    # a resident may not write news
    await resident.send("/nachricht")
    assert "Das dürfen Sie leider nicht." in resident.last.plain_text

    await coordinator.send("/nachricht")
    await coordinator.press("Alle Stadtbezirke")
    await coordinator.press("Öffentlicher Raum")
    await coordinator.press("Familie")
    await coordinator.press("Fertig")
    await coordinator.send_photo(caption="Programm „Hannover heißt Zuhause“: neue Förderrunde.")
    await coordinator.send("https://www.hannover.de/zuhause")
    assert "Es geht an 2 Abonnierende." in coordinator.last.plain_text
    preview = coordinator.texts()[-2]
    assert "Nachricht für alle Stadtbezirke" in preview and "Förderrunde" in preview
    await coordinator.press("Senden")
    await sim.settle()
    await flush_outbox(env.app)

    for reader in (both, other):
        received = [m for m in env.api.messages(reader.chat_id) if "Förderrunde" in (m.text or "")]
        assert len(received) == 1  # subscribed in two districts, told once
        assert "https://www.hannover.de/zuhause" in (received[0].text or "")
        photos = [m for m in env.api.messages(reader.chat_id) if m.method == "sendPhoto"]
        assert len(photos) == 1
    assert "Ihre Nachricht wurde an 2 Abonnierende zugestellt." in coordinator.last.plain_text

    await both.press("Abbestellen")
    assert "Sie erhalten keine Nachrichten mehr aus" in both.last.plain_text
    async with session_scope(env.services.session_maker) as session:
        left = await session.scalar(
            select(func.count(NewsSubscription.id)).where(
                NewsSubscription.person_id.in_(
                    select(Person.id).where(Person.telegram_id == both.chat_id)
                )
            )
        )
    assert left == 1  # the other district's subscription stays


async def test_en_news_goes_after_other_due_messages(env: BotEnv) -> None:
    """A big item must not hold up a case's message: bulk rows are taken last."""
    from bot.services.messaging import outbox

    now = env.clock.now()
    async with session_scope(env.services.session_maker) as session:
        for i in range(3):
            outbox.enqueue(
                session, chat_id=743_000 + i, data={"text": "news"}, now=now, kind="news"
            )
        outbox.enqueue(
            session, chat_id=743_100, data={"text": "case"}, now=now, kind="to_resident"
        )
    async with session_scope(env.services.session_maker) as session:
        due = await outbox.due_messages(session, now=now, limit=2)
    assert [m.kind for m in due] == ["to_resident", "news"]


async def test_en_item_with_a_file_and_a_cancelled_one(env: BotEnv) -> None:
    sim = env.sim
    assert sim is not None and env.app is not None
    manager = sim.user(MANAGER, language_code="en")
    await manager.send("/start")
    await bind_role(env, MANAGER, Role.MANAGER, district="10", first_name="Maria")
    reader = sim.user(744_001, language_code="en")
    await _subscribe_in_chat(reader, "Linden-Limmer", "All fields")
    # another district's manager cannot write for district 10
    other = sim.user(744_006, language_code="en")
    await other.send("/start")
    await bind_role(env, 744_006, Role.MANAGER, district="06", first_name="Olga")
    await other.send("/news 10")
    assert "not allowed" in other.last.plain_text

    await manager.send("/news")  # one district: no question which
    await manager.press("Education")
    await manager.press("Done")
    await manager.send_document(caption="Holiday programme for schoolchildren")
    await manager.press("Continue without")
    assert "It goes to 1 subscriber." in manager.last.plain_text
    await manager.press("Cancel")
    assert manager.last.plain_text == "Cancelled."
    await flush_outbox(env.app)
    assert not [m for m in env.api.messages(reader.chat_id) if m.method == "sendDocument"]

    await manager.send("/news")
    await manager.press("Education")
    await manager.press("Done")
    await manager.send_document(caption="Holiday programme for schoolchildren")
    await manager.press("Continue without")
    await manager.press("Send")
    await sim.settle()
    await flush_outbox(env.app)
    files = [m for m in env.api.messages(reader.chat_id) if m.method == "sendDocument"]
    assert len(files) == 1
    assert "Holiday programme for schoolchildren" in reader.last.plain_text
    assert "Your news item was delivered to 1 subscriber." in manager.last.plain_text
