"""The durable inbox: an update fetched (and so confirmed to Telegram) by a leader that died
before handling it is answered by the next one; what was handled is not handled again; a
webhook instance replays what it had accepted. The crash test (tests/test_crash.py) does the
same with real SIGKILLs."""

from __future__ import annotations

import asyncio
import json
import signal
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app import open_storage
from bot.config import Settings
from bot.offline.fake_api import FakeBotAPI, JSONDict
from bot.offline.records import CallbackAnswer
from bot.runner import Instance, serve
from bot.services.basics.clock import FakeClock, SystemClock
from bot.storage.db import SessionMaker, session_scope
from bot.storage.models import InboxUpdate, Person, ProcessedUpdate
from bot.updates.inbox import REPLAY_WITHIN, WEBHOOK_GRACE, Inbox, InboxRequest, chat_key_of
from tests import pg
from tests.conftest import START, make_settings

TOKEN = "123456:TEST"
GET_UPDATES = f"https://api.telegram.org/bot{TOKEN}/getUpdates"


def text_update(update_id: int, user_id: int, text: str, language: str = "de") -> JSONDict:
    user = {"id": user_id, "is_bot": False, "first_name": "Erika", "language_code": language}
    chat = {"id": user_id, "type": "private", "first_name": "Erika"}
    message: JSONDict = {
        "message_id": update_id,
        "date": int(time.time()),
        "chat": chat,
        "from": user,
        "text": text,
    }
    if text.startswith("/"):
        length = len(text.split()[0])
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
    return {"update_id": update_id, "message": message}


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[tuple[Settings, AsyncEngine, SessionMaker]]:
    settings = make_settings(tmp_path, telegram_bot_token=TOKEN)
    engine, maker = await open_storage(settings)
    try:
        yield settings, engine, maker
    finally:
        await engine.dispose()


async def fetch_and_die(api: FakeBotAPI, inbox: Inbox) -> list[int]:
    """What a leader killed right after a getUpdates leaves: the batch stored by the inbox's
    transport, and confirmed to Telegram (the offset of the next call), none of it handled."""
    fetch = InboxRequest(api, inbox)
    code, body = await fetch.do_request(GET_UPDATES, "POST")
    assert code == 200
    await fetch.stored()  # what the next getUpdates, which confirms the batch, waits for
    taken = [u["update_id"] for u in json.loads(body)["result"]]
    api.pending_updates = [u for u in api.pending_updates if u["update_id"] not in taken]
    return taken


async def lead_until(
    settings: Settings, api: FakeBotAPI, clock: FakeClock, done: Any, within: float = 20.0
) -> None:
    """Run the polling leader (bot.runner.serve) until `done()` holds, then stop it cleanly."""
    clock.advance(seconds=1)  # the restart comes after what was stored
    instance = Instance(settings, request=api, clock=clock, retry_seconds=0.05)
    task = asyncio.create_task(serve(instance))
    try:
        async with asyncio.timeout(within):
            await instance.leading.wait()
            while True:
                if done():
                    break
                await asyncio.sleep(0.05)
    finally:
        instance.stop.set()
        assert await asyncio.wait_for(task, 30) == 0


async def recorded(maker: SessionMaker) -> set[int]:
    async with session_scope(maker) as session:
        return set(await session.scalars(select(ProcessedUpdate.update_id)))


async def test_an_update_fetched_by_a_killed_leader_is_answered_by_the_next(
    storage: tuple[Settings, AsyncEngine, SessionMaker],
) -> None:
    settings, _, maker = storage
    clock = FakeClock(START)
    killed = FakeBotAPI()
    killed.push_update(text_update(41, 6101, "/start"))  # German
    assert await fetch_and_die(killed, Inbox(maker, clock)) == [41]
    assert killed.pending_updates == []  # Telegram will not deliver it again

    api = FakeBotAPI()
    await lead_until(settings, api, clock, lambda: api.messages(6101))
    answer = api.messages(6101)[0].plain_text
    assert "Datenschutz" in answer  # the German privacy notice of /start
    assert 41 in await recorded(maker)

    again = FakeBotAPI()  # a third start: it was processed, nothing is replayed
    again.push_update(text_update(42, 6102, "/hilfe", "en"))
    await lead_until(settings, again, clock, lambda: again.messages(6102))
    assert again.messages(6101) == []
    assert {41, 42} <= await recorded(maker)


async def test_a_replayed_button_press_works_though_its_query_was_answered_before(
    storage: tuple[Settings, AsyncEngine, SessionMaker],
) -> None:
    """Telegram takes one answer per press: the killed process gave it (or it is too late),
    so the replay leaves the answer out instead of failing on Telegram's refusal."""
    settings, _, maker = storage
    clock = FakeClock(START)
    first = FakeBotAPI()
    first.push_update(text_update(81, 6501, "/start"))  # German
    await lead_until(settings, first, clock, lambda: first.messages(6501))
    notice = first.messages(6501)[-1]
    agree = next(b for b in notice.inline_buttons if b["text"] == "✅ Ich stimme zu")
    user = {"id": 6501, "is_bot": False, "first_name": "Erika", "language_code": "de"}
    press = {
        "update_id": 82,
        "callback_query": {
            "id": "q-82",
            "from": user,
            "chat_instance": "1",
            "data": agree["callback_data"],
            "message": notice.to_dict(),
        },
    }
    killed = FakeBotAPI()
    killed.push_update(press)
    await fetch_and_die(killed, Inbox(maker, clock))
    api = FakeBotAPI()
    api.callback_answers["q-82"] = CallbackAnswer("q-82")  # answered by the killed process
    await lead_until(settings, api, clock, lambda: api.messages(6501))
    assert "q-82" not in [c.params.get("callback_query_id") for c in api.calls]
    async with session_scope(maker) as session:
        person = await session.scalar(select(Person).where(Person.telegram_id == 6501))
        assert person is not None and person.consent_at is not None
    assert 82 in await recorded(maker)


async def test_each_chat_is_replayed_in_order_and_before_new_updates(
    storage: tuple[Settings, AsyncEngine, SessionMaker],
) -> None:
    settings, _, maker = storage
    clock = FakeClock(START)
    killed = FakeBotAPI()
    killed.push_update(text_update(51, 6201, "/start", "en"))
    killed.push_update(text_update(52, 6201, "/hilfe", "en"))
    await fetch_and_die(killed, Inbox(maker, clock))
    api = FakeBotAPI()
    api.push_update(text_update(53, 6201, "/abbrechen", "en"))  # sent after the restart
    await lead_until(settings, api, clock, lambda: len(api.messages(6201)) >= 3)
    texts = [m.plain_text for m in api.messages(6201)]
    assert "Privacy:" in texts[0]  # /start's answer first, then the help, then the cancel
    assert not any("Privacy:" in t for t in texts[1:])
    assert texts[-1].startswith(("Cancelled", "There is nothing to cancel")), texts


async def test_only_recent_unprocessed_updates_are_replayed(
    storage: tuple[Settings, AsyncEngine, SessionMaker],
) -> None:
    _, _, maker = storage
    clock = FakeClock(START)
    inbox = Inbox(maker, clock)
    await inbox.store([text_update(61, 6301, "/start")])  # too old by the time of the start
    clock.advance(REPLAY_WITHIN + timedelta(minutes=1))
    await inbox.store(
        [
            text_update(62, 6302, "/start"),  # processed: not replayed
            text_update(63, 6303, "/start"),  # its chat went on (64 processed): not replayed
            text_update(64, 6303, "/hilfe"),
            text_update(65, 6304, "/start"),  # replayed
            text_update(66, 6304, "/hilfe"),  # replayed, after 65
        ]
    )
    await inbox.store([text_update(65, 6304, "a copy Telegram sent again")])  # first one stays
    async with session_scope(maker) as session:
        for update_id in (62, 64):
            session.add(ProcessedUpdate(update_id=update_id, processed_at=clock.now()))
    replay = await inbox.unprocessed(received_before=clock.now() + timedelta(seconds=1))
    assert [p["update_id"] for p in replay] == [65, 66]
    assert replay[0]["message"]["text"] == "/start"
    assert await inbox.unprocessed(received_before=clock.now()) == []  # stored "after" it
    clock.advance(hours=3)
    assert await inbox.prune() == 6
    async with session_scope(maker) as session:
        assert await session.scalar(select(func.count()).select_from(InboxUpdate)) == 0


async def test_the_next_get_updates_waits_until_the_batch_is_stored(
    storage: tuple[Settings, AsyncEngine, SessionMaker], caplog: pytest.LogCaptureFixture
) -> None:
    """The store runs beside the handling; the next call, whose offset confirms the batch,
    waits for it, and a failing store is tried again first."""
    _, _, maker = storage

    class Flaky(Inbox):
        failures = 1

        async def store(self, payloads: Any) -> None:
            if self.failures:
                self.failures -= 1
                raise OSError("the database is away")
            await super().store(payloads)

    api = FakeBotAPI()
    api.push_update(text_update(91, 6601, "/start"))
    fetch = InboxRequest(api, Flaky(maker, FakeClock(START)))
    await fetch.do_request(GET_UPDATES, "POST")
    async with session_scope(maker) as session:
        assert await session.scalar(select(func.count()).select_from(InboxUpdate)) == 0
    await fetch.do_request(GET_UPDATES, "POST")  # the confirming call
    async with session_scope(maker) as session:
        assert set(await session.scalars(select(InboxUpdate.update_id))) == {91}
    assert "could not store 1 fetched updates; trying again" in caplog.text


def test_the_chat_of_a_raw_update() -> None:
    assert chat_key_of(text_update(1, 77, "hi")) == 77
    press = {
        "update_id": 2,
        "callback_query": {
            "id": "q",
            "from": {"id": 78},
            "data": "x",
            "message": {"message_id": 5, "chat": {"id": 79}},
        },
    }
    assert chat_key_of(press) == 79  # the chat of the message with the button
    assert chat_key_of({"update_id": 3, "inline_query": {"id": "i", "from": {"id": 80}}}) == 80
    assert chat_key_of({"update_id": 4, "message": {"chat": {"id": "80"}}}) is None


@pytest.mark.skipif(pg.enabled(), reason="the webhook subprocess tests run on SQLite")
def test_a_webhook_instance_replays_what_it_accepted_and_did_not_finish(tmp_path: Path) -> None:
    from tests.test_webhook import SECRET, start_serve

    # the first start migrates the database; what it stores after a 200 is in the inbox
    process, base = start_serve(tmp_path, 6401)
    try:
        answer = httpx.post(
            base + "/tg",
            json=text_update(71, 6401, "/hilfe", "en"),
            headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
        )
        assert answer.status_code == 200
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=30)

    async def stored_and_processed() -> tuple[set[int], set[int]]:
        settings = make_settings(tmp_path)
        engine, maker = await open_storage(settings)
        try:
            # as if an instance had answered 200 to this one and was killed then
            await Inbox(maker, SystemClock()).store([text_update(72, 6401, "/start", "de")])
            async with session_scope(maker) as session:
                stored = set(await session.scalars(select(InboxUpdate.update_id)))
            return stored, await recorded(maker)
        finally:
            await engine.dispose()

    stored, processed = asyncio.run(stored_and_processed())
    assert stored == {71, 72} and 71 in processed and 72 not in processed
    process, _ = start_serve(tmp_path, 6401)
    time.sleep(WEBHOOK_GRACE + 2.0)  # another instance's updates are left alone this long
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err[-2000:]
    assert '"answers": 1' in out, err[-2000:]  # the German /start, replayed; not the help
    assert "update 72 replayed from the inbox" in err
