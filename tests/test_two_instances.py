"""Two bot instances, one PostgreSQL database: one polls, the other takes over when it dies.

The instances are the real `bot.runner.serve` (leader lock, Application, polling through the
Updater) in this process, each with its own engine and its own line to one shared Telegram
stand-in. Killing an instance cuts both lines as a SIGKILL would: its Bot API calls never
return, its database connections are terminated by the server (which releases its advisory
lock) and it cannot open new ones. Nothing it still holds in memory reaches the world.

Needs TEST_DATABASE_URL (scripts/test runs the suite once more on PostgreSQL); the file lock
that SQLite uses is tested without it.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

import asyncpg
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from telegram import Bot, Update
from telegram.error import NetworkError
from telegram.request import BaseRequest, RequestData

from bot import instance_lock
from bot.app import open_storage
from bot.config import Settings
from bot.context import BotApplication
from bot.delivery import OutboxSender
from bot.i18n import Translations
from bot.instance_lock import FileLock, PostgresLock
from bot.messages.render import OutboxRenderer
from bot.offline.fake_api import FakeBotAPI, JSONDict, SentMessage
from bot.offline.simulator import Simulator, SimUser
from bot.runner import Instance, serve
from bot.services.access import people
from bot.services.access.roles import Role, assign_role
from bot.services.basics.clock import FakeClock
from bot.services.basics.reference import load_reference_data
from bot.services.messaging import outbox, reminders
from bot.storage.db import SessionMaker, create_engine, create_session_maker, session_scope
from bot.storage.models import Case, OutboxMessage, ProcessedUpdate, Reminder
from tests import pg
from tests.conftest import START, make_settings
from tests.helpers import reference_in

needs_postgres = pytest.mark.skipif(
    not pg.enabled(), reason="two instances need PostgreSQL (TEST_DATABASE_URL)"
)
MANAGER = 700_010  # manager of district 10 (Linden-Limmer)
# Telegram ids beyond 32 bits, as recent accounts have: BIGINT columns all the way
RESIDENTS = [6_100_000_001 + n for n in range(6)]
TAKEOVER_LIMIT = 10.0  # seconds from the kill until the other instance polls


# --- one instance's line to "Telegram" ------------------------------------------------------
class Line(BaseRequest):
    """The transport of one instance to the shared stand-in; `cut()` is its process dying."""

    def __init__(self, api: FakeBotAPI) -> None:
        self.api = api
        self.cut_off = False
        self._buried = asyncio.Event()

    @property
    def read_timeout(self) -> float | None:
        return None

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        await self._dead_end()
        answer = await self.api.do_request(
            url, method, request_data, read_timeout, write_timeout, connect_timeout, pool_timeout
        )
        await self._dead_end()  # an answer arriving after the death is never read
        return answer

    async def _dead_end(self) -> None:
        if self.cut_off:
            await self._buried.wait()  # a dead process: no call ever returns
            raise NetworkError("the instance is dead")

    def cut(self) -> None:
        self.cut_off = True

    def bury(self) -> None:
        """After the test: let the hanging calls fail so the dead instance's tasks can end."""
        self._buried.set()


@dataclass
class Running:
    name: str
    instance: Instance
    line: Line
    task: asyncio.Task[int]
    database_alive: list[bool]

    @property
    def app(self) -> BotApplication:
        assert self.instance.app is not None, f"{self.name} does not lead"
        return self.instance.app


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def start_instance(name: str, settings: Settings, api: FakeBotAPI, clock: FakeClock) -> Running:
    """`serve` as `bezirksbot run` does it, tagged so the server can tell its connections."""
    application_name = f"bezirksbot-{name}"
    alive = [True]
    dsn = _dsn(settings.database_url)

    async def connect() -> asyncpg.Connection:
        if not alive[0]:
            raise ConnectionRefusedError(f"{name} is dead")
        return await asyncpg.connect(dsn, server_settings={"application_name": application_name})

    line = Line(api)
    lock = PostgresLock(
        settings.database_url,
        instance_lock.lock_key("polling:test"),
        application_name=application_name,
        check_seconds=0.5,
    )
    instance = Instance(
        settings,
        request=line,
        clock=clock,
        lock=lock,
        engine_options={"async_creator": connect},
    )
    task = asyncio.create_task(serve(instance), name=f"serve-{name}")
    return Running(name, instance, line, task, alive)


async def kill(running: Running, admin_url: str) -> None:
    """SIGKILL, as the world sees it: no more Bot API calls, every connection gone."""
    running.line.cut()
    running.database_alive[0] = False
    connection = await asyncpg.connect(_dsn(admin_url))
    try:
        await connection.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
            f"bezirksbot-{running.name}",
        )
    finally:
        await connection.close()


async def bury(running: Running) -> None:
    running.line.bury()
    running.instance.stop.set()
    running.task.cancel()
    with contextlib.suppress(BaseException):
        await asyncio.wait_for(running.task, 10)


# --- users talking to whichever instance polls -----------------------------------------------
class Telegram(Simulator):
    """The Simulator's users, but their updates wait at "Telegram" until the polling
    instance fetches them (as with getUpdates), instead of going into one app's queue."""

    def __init__(
        self, api: FakeBotAPI, leader: Callable[[], BotApplication], clock: FakeClock
    ) -> None:
        super().__init__(
            cast(Any, None), api, clock=lambda: clock.now().timestamp(), settle_timeout=30
        )
        self.leader = leader
        self.pushed: list[int] = []

    def enqueue(self, payload: JSONDict) -> Update:
        data = {"update_id": next(self._update_ids), **payload}
        self.api.push_update(data)
        self.pushed.append(data["update_id"])
        return Update.de_json(data, None)

    async def settle(self, within: float | None = None) -> None:
        limit = self.settle_timeout if within is None else within
        async with asyncio.timeout(limit):
            # confirmed by the next getUpdates: all fetched (a list, not an awaitable)
            while self.api.pending_updates:  # noqa: ASYNC110
                await asyncio.sleep(0.01)
        self.app = self.leader()
        await super().settle(within)


# --- fixtures --------------------------------------------------------------------------------
@pytest.fixture
async def shared(tmp_path: Path) -> AsyncIterator[tuple[Settings, SessionMaker, FakeClock]]:
    settings = make_settings(tmp_path)
    engine, maker = await open_storage(settings)
    clock = FakeClock(START)
    async with session_scope(maker) as session:
        person = await people.get_or_create_person(
            session, telegram_id=MANAGER, first_name="Mara", language="en", now=clock.now()
        )
        person.language = "en"
        await assign_role(
            session, person=person, role=Role.MANAGER, now=clock.now(), district_number="10"
        )
    try:
        yield settings, maker, clock
    finally:
        await engine.dispose()


async def begin_intake(user: SimUser, place: str) -> None:
    await user.send("/start")
    await user.press("I agree")
    await user.send("/neu")
    await user.send(place)
    await user.press("Yes")
    await user.press("Public space")
    await user.send(f"Broken bench near {place}, reported by {user.user_id}.")


async def finish_intake(user: SimUser) -> str:
    await user.press("Continue without more photos")
    await user.press("Skip")
    await user.press("No, privately")
    await user.press("Send")
    return reference_in(user.last.plain_text)


# --- the tests -------------------------------------------------------------------------------
@needs_postgres
async def test_the_other_instance_takes_over_and_nothing_is_lost_or_doubled(
    shared: tuple[Settings, SessionMaker, FakeClock],
) -> None:
    settings, maker, clock = shared
    api = FakeBotAPI(clock=lambda: clock.now().timestamp())
    a = start_instance("a", settings, api, clock)
    await asyncio.wait_for(a.instance.leading.wait(), 30)
    b = start_instance("b", settings, api, clock)
    leader = [a]
    tg = Telegram(api, lambda: leader[0].app, clock)
    try:
        await asyncio.sleep(1.0)
        assert not b.instance.leading.is_set() and b.instance.app is None  # b waits, unbuilt
        users = [
            tg.user(uid, first_name=f"R{n}", language_code="en") for n, uid in enumerate(RESIDENTS)
        ]
        places = ["Limmer"] * 3
        references = []
        for user, place in zip(users[:3], places, strict=False):  # half of the intakes, on a
            await begin_intake(user, place)
            references.append(await finish_intake(user))
        for user, place in zip(users[3:], places, strict=False):  # the others begin on a
            await begin_intake(user, place)
        assert await _count(maker, Case) == 3
        calls_of_a = len(api.calls)

        await kill(a, settings.database_url)
        killed, handled_by_a = time.monotonic(), len(tg.pushed)
        await users[3].press_nowait("Continue without more photos")  # waits at Telegram
        await asyncio.wait_for(b.instance.leading.wait(), 30)
        takeover = time.monotonic() - killed
        leader[0] = b
        assert takeover < TAKEOVER_LIMIT, f"b took over after {takeover:.1f}s"
        await tg.settle()

        # b goes on where a stopped: the pending step, then the rest of every intake
        await users[3].press("Skip")
        await users[3].press("No, privately")
        await users[3].press("Send")
        references.append(reference_in(users[3].last.plain_text))
        references += [await finish_intake(user) for user in users[4:]]
        # Telegram delivers an update again that a had handled (its offset confirmation was
        # lost): b ignores it
        seen = len(users[0].messages)
        api.push_update(
            {
                "update_id": tg.pushed[2],
                "message": {  # users[0]'s "/neu"
                    "message_id": 999,
                    "date": int(clock.now().timestamp()),
                    "chat": users[0].chat,
                    "from": users[0].user,
                    "text": "/neu",
                    "entities": [{"type": "bot_command", "offset": 0, "length": 4}],
                },
            }
        )
        await tg.settle()
        assert len(users[0].messages) == seen
    finally:
        await bury(a)
        b.instance.stop.set()
        assert await asyncio.wait_for(b.task, 30) == 0  # a graceful stop

    assert len(set(references)) == 6
    assert await _count(maker, Case) == 6
    # every update handled once: the six residents went through the same steps, so each got
    # the same number of answers (a step handled twice or lost would show). An answer is a
    # new message or a question edited in place of the pressed one (a process that does not
    # know the chat's newest message sends it anew instead): the texts shown are counted.
    answers = Counter(_texts_shown(api.sent[user.user_id]) for user in users)
    assert len(answers) == 1, answers
    async with session_scope(maker) as session:
        recorded = set(await session.scalars(select(ProcessedUpdate.update_id)))
    # b recorded every update it handled (a's ledger may lag behind its last updates)
    assert set(tg.pushed[handled_by_a:]) <= recorded <= set(tg.pushed)
    # every notification sent exactly once, across both instances
    manager = tg.user(MANAGER)
    notified = Counter(
        reference_in(m.plain_text)
        for m in manager.messages
        if "New concern" in (m.plain_text or "")
    )
    assert notified == Counter(references)
    async with session_scope(maker) as session:
        unsent = await session.scalar(
            select(func.count(OutboxMessage.id)).where(OutboxMessage.sent_at.is_(None))
        )
    assert unsent == 0
    # each resident got one confirmation, with their own reference
    for user, reference in zip(users, references, strict=True):
        confirmations = [m for m in user.messages if reference in (m.plain_text or "")]
        assert len(confirmations) == 1, (user.user_id, [m.plain_text for m in user.messages])
    assert len(api.calls) > calls_of_a  # b did the rest


async def _count(maker: SessionMaker, model: Any) -> int:
    async with session_scope(maker) as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


# --- claims: two instances sending and sweeping at the same time ------------------------------
@needs_postgres
async def test_concurrent_sweeps_and_senders_deliver_each_once(
    shared: tuple[Settings, SessionMaker, FakeClock],
) -> None:
    settings, maker, clock = shared
    count = 120
    async with session_scope(maker) as session:
        for n in range(count):
            await reminders.schedule(
                session,
                key=f"test:{n}",
                kind="test",
                due_at=clock.now() - timedelta(minutes=1),
                now=clock.now(),
                data={"chat": 5_000_000_000 + n % 7, "n": n},
            )

    async def render(session: Any, reminder: Reminder, now: Any) -> None:
        data = reminder.data or {}
        outbox.enqueue(
            session, chat_id=data["chat"], data=outbox.payload(f"reminder {data['n']}"), now=now
        )

    async def worker(api: FakeBotAPI) -> int:
        engine = create_engine(settings.database_url)
        own = create_session_maker(engine)
        sender = OutboxSender(
            own,
            clock,
            OutboxRenderer(Translations(), load_reference_data(), ZoneInfo("Europe/Berlin")),
        )
        swept = 0
        try:
            async with Bot("123456:TEST", request=api, get_updates_request=api) as bot:
                for _ in range(500):
                    async with session_scope(own) as session:
                        done = await reminders.sweep(
                            session, now=clock.now(), renderers={"test": render}, limit=7
                        )
                    swept += done
                    await sender.flush(bot)
                    async with session_scope(own) as session:
                        left = await outbox.pending_count(session)
                        due = len(list(await session.scalars(reminders.due_query(clock.now(), 1))))
                    if not left and not due:
                        break
                    await asyncio.sleep(0.01)
        finally:
            await engine.dispose()
        return swept

    apis = [FakeBotAPI(delay=0.001), FakeBotAPI(delay=0.001)]
    swept = await asyncio.gather(*(worker(api) for api in apis))

    assert sum(swept) == count  # each reminder rendered by exactly one instance
    texts = [m.text for api in apis for chat in api.sent.values() for m in chat]
    assert sorted(texts) == sorted(f"reminder {n}" for n in range(count))  # each sent once
    async with session_scope(maker) as session:
        assert (
            await session.scalar(select(func.count(Reminder.id)).where(Reminder.sent_at.is_(None)))
            == 0
        )
        assert await outbox.pending_count(session) == 0


@needs_postgres
async def test_a_claim_keeps_others_away_until_it_runs_out(
    shared: tuple[Settings, SessionMaker, FakeClock],
) -> None:
    _settings, maker, clock = shared
    async with session_scope(maker) as session:
        for n in range(3):
            outbox.enqueue(session, chat_id=42, data=outbox.payload(f"m{n}"), now=clock.now())
    async with session_scope(maker) as session:  # instance a takes them, then dies
        taken = await outbox.due_messages(session, now=clock.now())
    assert [m.payload["text"] for m in taken] == ["m0", "m1", "m2"]
    async with session_scope(maker) as session:  # b finds nothing: they are claimed
        assert await outbox.due_messages(session, now=clock.now()) == []
    later = clock.now() + timedelta(seconds=outbox.CLAIM_SECONDS + 1)
    async with session_scope(maker) as session:  # a's claim has run out: b sends them
        assert len(await outbox.due_messages(session, now=later)) == 3
    async with session_scope(maker) as session:  # now b's claim holds
        assert await outbox.due_messages(session, now=later) == []


@needs_postgres
async def test_rows_locked_by_one_sweep_are_skipped_by_the_other(
    shared: tuple[Settings, SessionMaker, FakeClock],
) -> None:
    _settings, maker, clock = shared
    async with session_scope(maker) as session:
        for n in range(4):
            await reminders.schedule(
                session, key=f"k{n}", kind="none", due_at=clock.now(), now=clock.now()
            )
    entered, release = asyncio.Event(), asyncio.Event()

    async def slow(session: Any, reminder: Reminder, now: Any) -> None:
        entered.set()
        await release.wait()  # holds the row locks of its whole batch

    async def first() -> int:
        async with session_scope(maker) as session:
            return await reminders.sweep(
                session, now=clock.now(), renderers={"none": slow}, limit=2
            )

    task = asyncio.create_task(first())
    await asyncio.wait_for(entered.wait(), 10)
    async with session_scope(maker) as session:  # the other instance, meanwhile
        second = await reminders.sweep(session, now=clock.now(), renderers={}, limit=10)
    release.set()
    assert await task == 2
    assert second == 2  # the two rows the first sweep had not locked


# --- the leader lock ---------------------------------------------------------------------------
@needs_postgres
async def test_advisory_lock_passes_when_its_holder_dies() -> None:
    async with pg.fresh_database() as url:
        key = instance_lock.lock_key("polling:lock-test")
        one = PostgresLock(url, key, check_seconds=0.2, application_name="lock-one")
        two = PostgresLock(url, key, check_seconds=0.2, application_name="lock-two")
        try:
            assert await one.try_acquire()
            assert not await two.try_acquire()
            lost = asyncio.create_task(one.wait_lost())
            await asyncio.sleep(0.3)
            assert not lost.done()
            connection = await asyncpg.connect(_dsn(url))
            try:
                await connection.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE application_name = 'lock-one'"
                )
            finally:
                await connection.close()
            await asyncio.wait_for(lost, 10)  # the holder notices its loss
            stop = asyncio.Event()
            assert await asyncio.wait_for(
                instance_lock.acquire(two, stop=stop, retry_seconds=0.1), 10
            )
        finally:
            await one.release()
            await two.release()


async def test_file_lock_keeps_a_second_process_on_one_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3.lock"
    one, two = FileLock(path), FileLock(path)
    assert await one.try_acquire()
    assert not await two.try_acquire()
    stop = asyncio.Event()
    waiting = asyncio.create_task(instance_lock.acquire(two, stop=stop, retry_seconds=0.05))
    await asyncio.sleep(0.2)
    assert not waiting.done()
    await one.release()
    assert await asyncio.wait_for(waiting, 5)
    await two.release()
    stop.set()
    assert not await instance_lock.acquire(one, stop=stop)  # stopped: gives up at once


def _texts_shown(messages: list[SentMessage]) -> int:
    """How many texts the chat showed one after the other: each message, and each edit
    that changed its text (removing a keyboard shows nothing new)."""
    shown = 0
    for message in messages:
        versions = [version["text"] for version in message.edited] + [message.text]
        shown += 1 + sum(1 for a, b in pairwise(versions) if a != b)
    return shown
