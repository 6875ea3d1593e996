"""A news item to 5,000 subscribers with the offline Bot API enforcing Telegram's flood limit.

    .venv/bin/python bench/news_bench.py [--subscribers 5000] [--blocked 50] [--limit 30]

Builds a SQLite file with the real migrations and the given number of subscribers of
district 10 (persons and subscriptions inserted in bulk; `--blocked` of them have blocked
the bot), then runs the real application over the offline Bot API stand-in, which answers
sends above `--limit` per second with 429 and retry_after 1, as Telegram does. A manager's
item is queued through `bot.services.news.items.send` (as the confirm button does) and the
outbox is drained by the real sender (paced at 25 messages per second overall).

Prints: total time, messages per second, how many chats received the item (and whether any
twice), the stand-in's 429 answers, how many blocked subscribers were marked unreachable,
and the report the manager received. With `--subscribers` below 5,000 it also prints the
full run's time computed from the measured rate. Target: 5,000 in under 4 minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import func, insert, select

from bot.app import build_application, make_services, open_storage
from bot.config import Settings
from bot.delivery import flush_outbox
from bot.offline.fake_api import FakeBotAPI
from bot.offline.simulator import running
from bot.sending import MESSAGES_PER_SECOND
from bot.services.access import people
from bot.services.access.roles import Role, assign_role, load_roles
from bot.services.messaging import outbox
from bot.services.news import items
from bot.storage.db import session_scope
from bot.storage.models import NewsSubscription, Person

FIRST_ID, MANAGER_ID, FULL, TARGET_SECONDS = 5_000_000, 4_999_999, 5000, 240
TEXT = "Stadtteilfest am Samstag: Programm und Wegsperrungen im Überblick."


async def seed(services: object, maker: object, subscribers: int, now: object) -> None:
    async with session_scope(maker) as session:  # type: ignore[arg-type]
        await session.execute(
            insert(Person),
            [
                {
                    "telegram_id": FIRST_ID + i,
                    "first_name": "Abo",
                    "language": "de",
                    "created_at": now,
                }
                for i in range(subscribers)
            ],
        )
        ids = list(await session.scalars(select(Person.id).where(Person.telegram_id >= FIRST_ID)))
        await session.execute(
            insert(NewsSubscription),
            [
                {
                    "person_id": pid,
                    "district_number": "10",
                    "topic": "public_space",
                    "created_at": now,
                }
                for pid in ids
            ],
        )
        manager = await people.get_or_create_person(
            session,
            telegram_id=MANAGER_ID,
            first_name="Maria",
            language="de",
            now=now,  # type: ignore[arg-type]
        )
        await assign_role(
            session, person=manager, role=Role.MANAGER, now=now, district_number="10"
        )  # type: ignore[arg-type]


async def main(subscribers: int, blocked: int, limit: float, keep: Path | None) -> int:
    folder = Path(tempfile.mkdtemp(prefix="news-bench-"))
    path = keep or folder / "bench.sqlite3"
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=f"sqlite+aiosqlite:///{path}",
        telegram_bot_token=None,
        outbox_interval_seconds=3600,
        flood_messages_per_minute=0,
    )
    engine, maker = await open_storage(settings)
    services = make_services(settings, maker)
    now = services.clock.now()
    await seed(services, maker, subscribers, now)
    api = FakeBotAPI()
    api.blocked |= {
        FIRST_ID + i
        for i in range(0, subscribers, max(subscribers // max(blocked, 1), 1))[:blocked]
    }
    app = build_application(settings, services, request=api, rate_limit=False)
    async with running(app):
        api.limit_rate(limit)
        async with session_scope(maker) as session:
            manager = await people.get_person(session, telegram_id=MANAGER_ID)
            assert manager is not None
            roles = await load_roles(session, person=manager, admin_ids=())
            item = await items.send(
                session,
                services.env,
                draft=items.Draft("10", ("public_space",), TEXT),
                roles=roles,
                sender=manager,
                now=services.clock.now(),
            )
            queued = item.recipients
        started = time.monotonic()
        while True:
            await flush_outbox(app)
            async with session_scope(maker) as session:
                if await outbox.pending_count(session) == 0:
                    break
            await asyncio.sleep(0.2)  # retries waiting for their moment
        elapsed = time.monotonic() - started
        async with session_scope(maker) as session:
            marked = await session.scalar(
                select(func.count(Person.id)).where(Person.unreachable_since.is_not(None))
            )
    received = Counter(
        sum(1 for m in api.messages(FIRST_ID + i) if TEXT in (m.text or ""))
        for i in range(subscribers)
    )
    report = [m.text for m in api.messages(MANAGER_ID)][-1:]
    await engine.dispose()
    rate = (subscribers) / elapsed if elapsed else 0.0
    print(f"subscribers: {subscribers} (blocked: {len(api.blocked)}), queued: {queued}")
    print(f"stand-in limit: {limit:g}/s, sender pace: {MESSAGES_PER_SECOND}/s")
    print(f"total time: {elapsed:.1f} s ({rate:.1f} messages/s)")
    print(f"chats by number of copies received: {dict(sorted(received.items()))}")
    print(f"429 answers from the stand-in: {api.throttled}")
    print(f"blocked subscribers marked unreachable: {marked}")
    print(f"report to the manager: {report}")
    if subscribers < FULL:
        print(f"computed time for {FULL}: {FULL / rate:.0f} s (target < {TARGET_SECONDS} s)")
    twice = any(copies > 1 for copies in received)
    ok = (
        not twice
        and received.get(1, 0) == subscribers - len(api.blocked)
        and marked == len(api.blocked)
    )
    full_time = elapsed if subscribers >= FULL else FULL / rate
    print("OK" if ok and full_time < TARGET_SECONDS else "NOT OK")
    return 0 if ok else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--subscribers", type=int, default=FULL)
    parser.add_argument("--blocked", type=int, default=50)
    parser.add_argument("--limit", type=float, default=30)
    parser.add_argument("--keep", type=Path, default=None)
    args = parser.parse_args()
    sys.exit(asyncio.run(main(args.subscribers, args.blocked, args.limit, args.keep)))
