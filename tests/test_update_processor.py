"""ChatOrderedUpdateProcessor: chats run concurrently, each chat strictly in arrival order."""

from __future__ import annotations

import asyncio
import random
import time
from collections import defaultdict
from typing import Any

import pytest
from telegram import Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseUpdateProcessor,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.offline.fake_api import FakeBotAPI
from bot.offline.simulator import Simulator, running
from bot.updates.processor import ChatOrderedUpdateProcessor, chat_key

Context = ContextTypes.DEFAULT_TYPE
WHERE, WHAT = range(2)


def build_app(api: FakeBotAPI, processor: BaseUpdateProcessor | bool) -> Application:
    return (
        ApplicationBuilder()
        .token("123456:TEST")
        .request(api)
        .get_updates_request(api)
        .concurrent_updates(processor)
        .build()
    )


async def test_each_chat_keeps_its_order_under_random_sleeps():
    api = FakeBotAPI()
    processor = ChatOrderedUpdateProcessor(16)
    app = build_app(api, processor)
    seen: dict[int, list[int]] = defaultdict(list)
    rng = random.Random(7)

    async def record(update: Update, context: Context) -> None:
        await asyncio.sleep(rng.uniform(0, 0.01))
        seen[update.effective_chat.id].append(int(update.message.text))

    app.add_handler(MessageHandler(filters.TEXT, record))
    async with running(app):
        sim = Simulator(app, api)
        users = [sim.user(100 + n) for n in range(6)]
        for number in range(25):
            for user in users:
                await user.send_nowait(str(number))
        await sim.settle()
        assert processor.in_flight == 0 and processor.active_chats == 0

    assert {chat: numbers for chat, numbers in seen.items()} == {
        user.chat_id: list(range(25)) for user in users
    }


async def test_plain_concurrency_breaks_the_same_order():
    """Control: the ordering test above would catch an unordered processor."""
    api = FakeBotAPI()
    app = build_app(api, 16)  # python-telegram-bot's SimpleUpdateProcessor
    seen: list[int] = []
    rng = random.Random(7)

    async def record(update: Update, context: Context) -> None:
        await asyncio.sleep(rng.uniform(0, 0.01))
        seen.append(int(update.message.text))

    app.add_handler(MessageHandler(filters.TEXT, record))
    async with running(app):
        sim = Simulator(app, api)
        user = sim.user(100)
        for number in range(25):
            await user.send_nowait(str(number))
        await sim.settle()
    assert sorted(seen) == list(range(25))
    assert seen != list(range(25))


async def test_other_chat_proceeds_while_a_chat_waits():
    api = FakeBotAPI()
    processor = ChatOrderedUpdateProcessor(16)
    app = build_app(api, processor)
    events: list[str] = []
    release = asyncio.Event()

    async def handle(update: Update, context: Context) -> None:
        label = f"{update.effective_chat.id}:{update.message.text}"
        events.append(f"start {label}")
        if update.message.text == "slow":
            await release.wait()
        events.append(f"end {label}")

    app.add_handler(MessageHandler(filters.TEXT, handle))
    async with running(app):
        sim = Simulator(app, api)
        anna, bert = sim.user(1), sim.user(2)
        await anna.send_nowait("slow")
        await anna.send_nowait("second")
        await bert.send_nowait("quick")
        try:
            for _ in range(200):
                if "end 2:quick" in events:
                    break
                await asyncio.sleep(0.005)
            # Bert finished while Anna's first update still runs and her second still waits.
            assert events == ["start 1:slow", "start 2:quick", "end 2:quick"]
            assert processor.in_flight == 2 and processor.active_chats == 1
            assert processor.current_concurrent_updates == 1  # the waiting one holds no slot
        finally:
            release.set()  # a failed assert must not leave app.stop() waiting forever
        await sim.settle()
        assert processor.in_flight == 0 and processor.active_chats == 0

    assert events[3:] == ["end 1:slow", "start 1:second", "end 1:second"]


async def test_flooding_chat_holds_one_slot_only():
    api = FakeBotAPI()
    processor = ChatOrderedUpdateProcessor(4)
    app = build_app(api, processor)
    finished: dict[str, float] = {}
    running_now, peak = 0, 0

    async def handle(update: Update, context: Context) -> None:
        nonlocal running_now, peak
        running_now += 1
        peak = max(peak, running_now)
        await asyncio.sleep(0.02)
        running_now -= 1
        finished[f"{update.effective_chat.id}:{update.message.text}"] = time.monotonic()

    app.add_handler(MessageHandler(filters.TEXT, handle))
    async with running(app):
        sim = Simulator(app, api)
        flood, others = sim.user(1), [sim.user(10 + n) for n in range(3)]
        started = time.monotonic()
        for number in range(40):
            await flood.send_nowait(str(number))
        for user in others:
            await user.send_nowait("hallo")
        await sim.settle()

    # Slot-first processing would make the others wait for most of the flood (~0.8 s).
    for user in others:
        assert finished[f"{user.chat_id}:hallo"] - started < 0.2
    assert finished["1:39"] - started >= 40 * 0.02
    assert peak == 4


async def test_raising_handler_releases_the_chat():
    api = FakeBotAPI()
    processor = ChatOrderedUpdateProcessor(16)
    app = build_app(api, processor)
    handled: list[str] = []
    errors: list[str] = []

    async def handle(update: Update, context: Context) -> None:
        if update.message.text == "boom":
            raise RuntimeError("handler failed")
        handled.append(update.message.text)

    async def on_error(update: object, context: Context) -> None:
        errors.append(str(context.error))

    app.add_handler(MessageHandler(filters.TEXT, handle))
    app.add_error_handler(on_error)
    async with running(app):
        sim = Simulator(app, api, settle_timeout=2)
        user = sim.user(5)
        await user.send_nowait("eins")
        await user.send_nowait("boom")
        await user.send_nowait("zwei")
        await sim.settle()
        assert processor.active_chats == 0
    assert handled == ["eins", "zwei"]
    assert errors == ["handler failed"]


def build_conversation(log: dict[int, list[str]], rng: random.Random) -> ConversationHandler:
    async def start(update: Update, context: Context) -> int:
        await asyncio.sleep(rng.uniform(0, 0.02))
        log[update.effective_chat.id].append("start")
        await update.message.reply_text("Wo ist es?")
        return WHERE

    async def where(update: Update, context: Context) -> int:
        await asyncio.sleep(rng.uniform(0, 0.02))
        context.user_data["where"] = update.message.text
        log[update.effective_chat.id].append(f"where={update.message.text}")
        await update.message.reply_text("Was ist los?")
        return WHAT

    async def what(update: Update, context: Context) -> int:
        await asyncio.sleep(rng.uniform(0, 0.02))
        log[update.effective_chat.id].append(f"what={update.message.text}")
        await update.message.reply_text(f"Danke: {context.user_data['where']}")
        return ConversationHandler.END

    async def cancel(update: Update, context: Context) -> int:
        return ConversationHandler.END

    text = filters.TEXT & ~filters.COMMAND
    return ConversationHandler(
        entry_points=[CommandHandler("melden", start)],
        states={WHERE: [MessageHandler(text, where)], WHAT: [MessageHandler(text, what)]},
        fallbacks=[CommandHandler("abbrechen", cancel)],
    )


@pytest.mark.parametrize("delay", [0, 0.05])
async def test_conversation_completes_for_30_chats_sent_without_waiting(delay: float):
    api = FakeBotAPI(delay=delay)
    processor = ChatOrderedUpdateProcessor(16)
    app = build_app(api, processor)
    log: dict[int, list[str]] = defaultdict(list)
    app.add_handler(build_conversation(log, random.Random(3)))
    async with running(app):
        sim = Simulator(app, api)
        users = [sim.user(2000 + n) for n in range(30)]
        for user in users:
            await user.send_nowait("/melden")
        for user in users:
            await user.send_nowait(f"Straße {user.user_id}")
        for user in users:
            await user.send_nowait("Laterne kaputt")
        await sim.settle()
        assert processor.active_chats == 0

    for user in users:
        street = f"Straße {user.user_id}"
        assert log[user.chat_id] == ["start", f"where={street}", "what=Laterne kaputt"]
        assert user.texts() == ["Wo ist es?", "Was ist los?", f"Danke: Straße {user.user_id}"]


def test_chat_key_falls_back_to_user_then_unordered():
    private = Update.de_json(
        {
            "update_id": 1,
            "message": {
                "message_id": 1,
                "date": 0,
                "chat": {"id": 42, "type": "private"},
                "from": {"id": 42, "is_bot": False, "first_name": "A"},
                "text": "x",
            },
        },
        None,
    )
    inline = Update.de_json(
        {
            "update_id": 2,
            "inline_query": {
                "id": "q",
                "query": "",
                "offset": "",
                "from": {"id": 42, "is_bot": False, "first_name": "A"},
            },
        },
        None,
    )
    empty = Update(update_id=3)  # e.g. a poll update: neither chat nor user
    assert chat_key(private) == chat_key(inline) == 42
    assert chat_key(empty) is None
    assert chat_key(object()) is None


async def test_idle_returns_at_once_without_work():
    processor = ChatOrderedUpdateProcessor(2)
    await asyncio.wait_for(processor.idle(), timeout=0.1)


async def test_cancelled_waiter_closes_its_coroutine():
    processor = ChatOrderedUpdateProcessor(2)
    update = Update.de_json(
        {
            "update_id": 1,
            "message": {
                "message_id": 1,
                "date": 0,
                "chat": {"id": 7, "type": "private"},
                "text": "x",
            },
        },
        None,
    )
    gate = asyncio.Event()
    ran: list[str] = []

    async def work(label: str) -> Any:
        if label == "first":
            await gate.wait()
        ran.append(label)

    first = asyncio.create_task(processor.process_update(update, work("first")))
    second_coroutine = work("second")
    second = asyncio.create_task(processor.process_update(update, second_coroutine))
    await asyncio.sleep(0.01)
    second.cancel()
    gate.set()
    await first
    with pytest.raises(asyncio.CancelledError):
        await second
    assert ran == ["first"]
    assert second_coroutine.cr_frame is None  # closed, so no "never awaited" warning
    assert processor.in_flight == 0 and processor.active_chats == 0
