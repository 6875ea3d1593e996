"""Many simulated residents doing complete intakes at once, beside a bare echo bot.

    .venv/bin/python bench/intake_bench.py [--quick] [--profile DIR] [--phases a,b]

Prints figures, asserts nothing. Every phase runs in a fresh child process (its own event
loop, temporary SQLite file and peak-RSS counter); the parent prints the tables. The bot is
the real one (build_application over SQLite, persistence, jobs, rate limiter off); the echo
is a bare python-telegram-bot Application with one MessageHandler (and one
CallbackQueryHandler) and the same ChatOrderedUpdateProcessor. Residents are English
("en") and consent before measuring.

What is measured
- "0 ms" phases: the offline stand-in (FakeBotAPI) answers every Bot API call at once, so
  the figures are the cost of handling an update. Residents are closed loop: each sends
  its next step as soon as the previous one has been processed (no think time). Both bots
  run in the same child and take turns (an intake, then as many echo updates), because this
  kind of VM drifts by ±30 % within seconds; warm-up rounds are not counted.
  * seq: one resident per bot, one update at a time; CPU (time.process_time, all threads,
    so the aiosqlite worker counts) and wall time of each update, grouped by step. The
    background work an update leaves (states and ledger ids in batches, the outbox) is
    waited for after it and shown apart ("after"); unsettled it ran inside the next
    measured update, often the echo bot's. A second baseline: the bare bot answering a
    pressed button and editing the question with its keyboard (the least a button step
    does: two calls, and the update carries the pressed message with its keyboard). Then,
    for comparison only, the steps that write nothing in bots with a guarantee switched off
    (the per-update write of states and ledger ids; the sound check; both), each beside
    echo updates of its own: what those guarantees cost, as a ratio to the echo.
  * load0: 50 residents per bot at once; total CPU (the round's background work waited for
    at its end and included) and wall time / updates.
  The fake API's own work (JSON round trip, storing messages) is inside the figures, for
  the echo as for the bot; it stands in for the HTTP client a real deployment pays for.
- "50 ms" phases: every call is answered after 50 ms, like a real round trip. 50 residents
  offer about 25 updates/s together for a fixed time, open loop: each resident's steps are
  scheduled in advance (think time uniform 1–3 s, mean 2 s) and sent whether or not the bot
  has answered the previous one; a button press carries the newest message with buttons the
  resident can see at that moment (with a slow bot that is an older one, which the bot must
  cope with).
- Latency of an update ("answer") = from just before it is put into app.update_queue
  (Update.de_json of the arriving JSON included) until the first message to the resident's
  chat (sendMessage/editMessageText) made while handling that update has been answered by the
  fake API, i.e. the moment Telegram holds the answer; an update that sends no message (a
  stale button's toast) counts its first call. "done" = until the update processor finished
  the update (all its calls; the work "Send" leaves to the ledger and the outbox comes
  after it). Calls are matched to updates by a context variable set around
  Application.process_update (patched here only).
- Lost = started but never answered, or never processed once the queue was drained; "still
  queued" = dropped from the queue at the end because the bot could not keep up (their
  latency counts as at least the time they had waited, percentiles then read "≥").
  Out of order = an update answered before an earlier step of the same chat.
  Wrong state = the bot answered "use the buttons"/"button no longer valid"/an error.
- Stalls: while offering, a 10 ms ticker measures event-loop lag, and gc.callbacks time the
  full (generation 2) collections. The load average before/after each phase is printed:
  other processes on the machine inflate tails, the echo's tail shows by how much.
- Flood control is off (as in tests/conftest.py): bench residents average 30 updates/min.
- Start (phase "start", table D): bench/start_bench.py starts `bezirksbot run` and a bare
  python-telegram-bot process, each as its own process against the offline Bot API over HTTP,
  and prints the time until the first getUpdates and the idle RSS one second later.
- Peak memory = the child's VmHWM (reset through /proc/self/clear_refs when the measurement
  starts) and its growth over the RSS at that moment. The fake API keeps only recent messages
  so that its own store does not count as the bot's memory.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import contextvars
import cProfile
import gc
import json
import logging
import math
import os
import platform
import pstats
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any
from unittest import mock

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseUpdateProcessor,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    SimpleUpdateProcessor,
    filters,
)
from telegram.request import RequestData

import bot.app as bot_app
from bot.app import build_application, make_services, open_storage
from bot.config import Settings
from bot.messages import callbacks
from bot.offline.fake_api import FakeBotAPI, JSONDict, SentMessage
from bot.offline.simulator import Simulator, SimUser, running
from bot.updates.guard import guard_of
from bot.updates.persistence import persist_after_each_update
from bot.updates.processor import ChatOrderedUpdateProcessor
from bot.updates.sound import SoundUpdates

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
RESIDENTS = 50
FIRST_USER_ID = 100_001
ADMIN_ID = 900_001  # the coordinator who receives every concern (no manager is bound)
THINK_MIN, THINK_MAX = 1.0, 3.0  # seconds between a resident's steps at 50 ms: mean 2 s
ROUND_TRIP = 0.050
TARGET_INTAKE_RATIO, TARGET_NO_WRITE_RATIO, TARGET_P99 = 5.0, 1.5, 0.070
TARGET_SEND_SQL, TARGET_SEND_CPU = 6, 0.008  # until the receipt; seconds
PERSIST_EACH_UPDATE = True  # --interval-persistence: only python-telegram-bot's 2 s timer

# What the intake's own handlers do with the database (the guard in front of every handler
# may write more: the "SQL/upd" column counts every statement).
NO_DB, READS, WRITES, ECHO = "writes nothing", "reads", "writes", "echo"
# Texts of the bot (English) that mean an update met the conversation in the wrong state.
WRONG_STATE_MARKERS = (
    "To stop, send /abbrechen",
    "To send a concern, press",
    "I do not know that command",
    "You are in the middle of a concern",
    "Something is still missing",
    "This button is no longer valid",
    "Sorry, something went wrong",
    "Please accept the privacy notice",
    "You are sending messages very quickly",
)
COMPLETED_MARKER = "Your concern has the number"
ANSWER_METHODS = frozenset({"sendMessage", "editMessageText"})


@dataclass(frozen=True, slots=True)
class Step:
    name: str
    kind: str
    text: str | None = None
    data: str | None = None  # callback data of the pressed button


INTAKE: tuple[Step, ...] = (  # the steps of tests/helpers.py::file_concern
    Step("/neu", READS, text="/neu"),
    Step("place (text)", NO_DB, text="linden sued"),
    Step("Yes", NO_DB, data="in:ok"),
    Step("topic", NO_DB, data="in:t:public_space"),
    Step(
        "description (text)",
        NO_DB,
        text="The square at the corner is full of rubbish every weekend.",
    ),
    Step("Continue (photos)", NO_DB, data="in:photos_done"),
    Step("Skip (contact)", NO_DB, data="in:skip_contact"),
    Step("No, privately", NO_DB, data="in:a:none"),
    Step("Send", WRITES, data="in:confirm"),
)
ECHO_STEP = Step("echo (text)", ECHO, text="Hello, is anybody there?")
# The least a bot does for a pressed button: answer it, edit the question with its keyboard.
BUTTON_STEP = Step("button (answer + edit)", ECHO, data="in:t:public_space")


# --- tracing: which update is being handled, when was it answered --------------------------
@dataclass(slots=True)
class Record:
    chat_id: int
    step: Step
    seq: int  # position among this chat's updates
    sent: float
    started: float | None = None
    first_call: float | None = None
    answered: float | None = None
    done: float | None = None
    calls: int = 0
    sql: int = 0  # SQL statements executed while handling it
    sql_answered: int | None = None  # of them, before the answer reached Telegram
    wrong_state: bool = False
    completed: bool = False  # the bot announced a reference number
    waiter: asyncio.Event | None = None

    @property
    def answer_time(self) -> float | None:
        return self.answered if self.answered is not None else self.first_call


CURRENT: contextvars.ContextVar[Record | None] = contextvars.ContextVar("bench", default=None)
RECORDS: dict[tuple[int, int], Record] = {}  # (id(application), update_id) -> record
_process_update = Application.process_update


async def traced_process_update(self: Application, update: object) -> None:  # type: ignore[type-arg]
    """Application.process_update, with the handled update visible to the fake API."""
    key = (id(self), update.update_id) if isinstance(update, Update) else None
    record = RECORDS.get(key) if key else None
    if record is None:
        await _process_update(self, update)
        return
    record.started = time.perf_counter()
    token = CURRENT.set(record)
    try:
        await _process_update(self, update)
    finally:
        CURRENT.reset(token)
        record.done = time.perf_counter()
        if record.waiter is not None:
            record.waiter.set()


def count_statement(*_args: Any) -> None:
    """SQLAlchemy hook; its greenlet inherits the context, so CURRENT is the update."""
    record = CURRENT.get()
    if record is not None:
        record.sql += 1


class TimedFakeBotAPI(FakeBotAPI):
    """FakeBotAPI that notes, per update, when its calls were answered; keeps little history."""

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
        result = await super().do_request(
            url, method, request_data, read_timeout, write_timeout, connect_timeout, pool_timeout
        )
        self.calls.clear()  # only used for album ids; would grow for the whole run
        if len(self.callback_answers) > 2000:
            self.callback_answers.clear()
        record = CURRENT.get()
        if record is None:
            return result
        now = time.perf_counter()
        record.calls += 1
        if record.first_call is None:
            record.first_call = now
        params: JSONDict = request_data.parameters if request_data else {}
        name = url.rsplit("/", 1)[-1]
        if (
            record.answered is None
            and name in ANSWER_METHODS
            and str(params.get("chat_id")) == str(record.chat_id)
        ):
            record.answered = now
            record.sql_answered = record.sql
        text = params.get("text")
        if isinstance(text, str):
            if any(marker in text for marker in WRONG_STATE_MARKERS):
                record.wrong_state = True
            if COMPLETED_MARKER in text:
                record.completed = True
        return result


class Resident:
    """A simulated resident who builds its steps as Telegram would deliver them."""

    def __init__(self, sim: Simulator, user: SimUser, bot: str) -> None:
        self.sim, self.user = sim, user
        self.steps = cycle_steps(bot)  # intake after intake, or echo after echo
        self.seq = 0
        self.own_ids: list[int] = []

    def send(self, *, wait: bool = False, step: Step | None = None) -> Record:
        """Hand this resident's next step (or `step`) to the application; nothing is awaited."""
        user, step = self.user, step or next(self.steps)
        if step.data is None:
            content: JSONDict = {"text": step.text}
            if step.text and step.text.startswith("/"):
                length = len(step.text.split()[0])
                content["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
            message = user.build_message(user.user, **content)
            self.own_ids.append(message["message_id"])
            payload: JSONDict = {"message": message}
        else:
            target = self._visible_button_message()
            query: JSONDict = {
                "id": self.sim.next_query_id(),
                "from": user.user,
                "chat_instance": str(user.chat_id),
                "data": step.data,
                "message": target.to_dict() if target else None,
            }
            payload = {"callback_query": {k: v for k, v in query.items() if v is not None}}
        self._trim()
        self.seq += 1
        sent = time.perf_counter()
        update = self.sim.enqueue(payload)
        record = Record(user.chat_id, step, self.seq, sent)
        if wait:
            record.waiter = asyncio.Event()
        RECORDS[(id(self.sim.app), update.update_id)] = record
        return record

    async def step(self, step: Step | None = None) -> Record:
        """Send the next step (or `step`) and wait until the bot has processed it."""
        record = self.send(wait=True, step=step)
        assert record.waiter is not None
        await record.waiter.wait()
        return record

    async def walk(self, steps: int) -> None:
        for _ in range(steps):
            await self.step()

    def _visible_button_message(self) -> SentMessage | None:
        sent = self.sim.api.sent.get(self.user.chat_id, [])
        for message in reversed(sent):
            if message.inline_buttons and not message.deleted:
                return message
        return sent[-1] if sent else None

    def _trim(self) -> None:
        """Forget old messages of this chat in the fake API (recent ones stay editable)."""
        sent = self.sim.api.sent.get(self.user.chat_id)
        if sent is not None and len(sent) > 40:
            del sent[:-20]
        if len(self.own_ids) > 20:
            for message_id in self.own_ids[:-10]:
                self.sim.api.user_messages.pop((self.user.chat_id, message_id), None)
            del self.own_ids[:-10]


# --- building the two bots ----------------------------------------------------------------
def bench_settings(folder: Path) -> Settings:
    """Like tests/conftest.py::make_settings; the outbox job never fires during a run."""
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=f"sqlite+aiosqlite:///{folder / 'bench.sqlite3'}",
        admin_telegram_ids=[ADMIN_ID],
        telegram_bot_token=None,
        outbox_interval_seconds=3600,
        # Off as in the tests: at 0 ms residents type at machine speed, and at 50 ms they
        # average 30 updates a minute, exactly the default limit, so it would drop steps.
        flood_messages_per_minute=0,
    )


def one_at_a_time(_max_concurrent_updates: int) -> BaseUpdateProcessor:
    """What ApplicationBuilder.concurrent_updates(False), PTB's default, builds."""
    return SimpleUpdateProcessor(1)


async def build_bot(
    folder: Path, api: FakeBotAPI, *, default_processing: bool
) -> tuple[Application, AsyncEngine]:  # type: ignore[type-arg]
    settings = bench_settings(folder)
    engine, maker = await open_storage(settings)
    event.listen(engine.sync_engine, "before_cursor_execute", count_statement)
    services = make_services(settings, maker)
    if default_processing:
        # build_application always wires ChatOrderedUpdateProcessor; for PTB's default
        # processing the name is swapped for this one build only (bench-only monkeypatch).
        with mock.patch.object(bot_app, "ChatOrderedUpdateProcessor", one_at_a_time):
            app = build_application(settings, services, request=api, rate_limit=False)
    else:
        app = build_application(settings, services, request=api, rate_limit=False)
    if PERSIST_EACH_UPDATE:
        persist_after_each_update(app)  # as bot/runner.py::serve does in production
    return app, engine


async def echo(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None
    await update.message.reply_text(update.message.text or "")


QUESTION = InlineKeyboardMarkup(
    [
        [InlineKeyboardButton(f"Topic {n}", callback_data=BUTTON_STEP.data) for n in (i, i + 1)]
        for i in range(1, 12, 2)
    ]
)


async def press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer()
    pressed = context.bot_data["pressed"] = context.bot_data.get("pressed", 0) + 1
    text = f"Step 2 of 6 ({pressed})\nWhat is it about?"  # changed: Telegram refuses same
    await query.edit_message_text(text, reply_markup=QUESTION)


def build_echo(api: FakeBotAPI) -> Application:  # type: ignore[type-arg]
    """A bare python-telegram-bot echo bot with the bot's update processor; it also answers a
    pressed button and edits the question (`BUTTON_STEP`)."""
    app = (
        ApplicationBuilder()
        .token("0:offline")
        .request(api)
        .get_updates_request(api)
        .concurrent_updates(ChatOrderedUpdateProcessor(64))
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    app.add_handler(CallbackQueryHandler(press))
    return app


# --- memory -------------------------------------------------------------------------------
def _status_kb(field_name: str) -> int | None:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field_name + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def reset_peak_rss() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")  # resets VmHWM to the current RSS (Linux >= 4.0)
    except OSError:
        return False
    return True


def rss_kb() -> int:
    return _status_kb("VmRSS") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def peak_rss_kb() -> int:
    return _status_kb("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


# --- the phases (each in its own child process) --------------------------------------------
@dataclass
class Scenario:
    bot: str  # "intake" | "echo"
    delay: float
    default_processing: bool = False


@dataclass
class Stand:
    bot: str
    app: Application  # type: ignore[type-arg]
    api: TimedFakeBotAPI
    sim: Simulator
    residents: list[Resident] = field(default_factory=list)


@contextlib.asynccontextmanager
async def open_stand(scenario: Scenario, count: int) -> AsyncIterator[Stand]:
    """A running bot with `count` consented residents (consent is outside the measurement)."""
    api = TimedFakeBotAPI(delay=0.0)
    with tempfile.TemporaryDirectory(prefix="intake-bench-") as folder:
        engine: AsyncEngine | None = None
        if scenario.bot == "intake":
            app, engine = await build_bot(
                Path(folder), api, default_processing=scenario.default_processing
            )
        else:
            app = build_echo(api)
        try:
            async with running(app):
                sim = Simulator(app, api, settle_timeout=120)
                stand = Stand(scenario.bot, app, api, sim)
                users = [
                    sim.user(FIRST_USER_ID + i, first_name=f"Resident {i}", language_code=LANGUAGE)
                    for i in range(count)
                ]
                if scenario.bot == "intake":
                    await asyncio.gather(*(consent(user) for user in users))
                stand.residents = [Resident(sim, user, scenario.bot) for user in users]
                await sim.settle()
                api.delay = scenario.delay
                yield stand
                await drain_queue(app)
        finally:
            if engine is not None:
                await engine.dispose()


async def consent(user: SimUser) -> None:
    await user.send("/start")
    await user.press_data(callbacks.CONSENT.data("yes"))  # the same in every language


async def drain_queue(app: Application) -> int:  # type: ignore[type-arg]
    """Drop updates still queued so that stopping does not process a long backlog."""
    dropped = 0
    while not app.update_queue.empty():
        app.update_queue.get_nowait()
        app.update_queue.task_done()
        dropped += 1
    return dropped


def cycle_steps(bot: str) -> Iterator[Step]:
    while True:
        yield from (INTAKE if bot == "intake" else (ECHO_STEP,))


async def sequential(rounds: int, budget: float) -> dict[str, Any]:
    """One resident per bot, one update at a time, the two bots taking turns.

    Both bots run in this process; a round is one complete intake, then as many echo
    updates, so that both see the same machine (this VM's speed drifts by ±30 % over
    seconds). The first two rounds warm caches up and are not counted; after `budget`
    seconds no further round starts (a busy machine would otherwise stretch the run).
    Then as many rounds of the bare bot's button step, each beside echo updates of its own:
    taking turns with the intake, its allocations made the intake's next steps dearer
    ("/neu" 1.4 -> 1.8 ms). Last, the weakened bots (`weaken`), each in rounds of its own.
    """
    samples: dict[str, list[dict[str, Any]]] = defaultdict(list)

    async def measure(stand: Stand, bot: str, step: Step | None, counted: bool) -> None:
        for _ in range(len(INTAKE)):
            cpu0 = time.process_time()
            record = await stand.residents[0].step(step)
            cpu = time.process_time() - cpu0
            # What the update left to background tasks (conversation states and ledger ids
            # batched, the outbox drained) is counted apart: unsettled, it ran inside the
            # next measured update, often the echo bot's.
            await stand.sim.settle()
            background = time.process_time() - cpu0 - cpu
            if not counted:
                continue
            samples[bot].append(
                {
                    "step": record.step.name,
                    "kind": record.step.kind,
                    "cpu": cpu,
                    "background": background,
                    "wall": (record.done or 0) - record.sent,
                    "calls": record.calls,
                    "sql": record.sql,
                    "sql_answered": record.sql_answered,
                    "wrong": record.wrong_state,
                }
            )

    async with (
        open_stand(Scenario("echo", 0.0), 1) as echo_stand,
        open_stand(Scenario("intake", 0.0), 1) as intake_stand,
    ):
        started, done = time.perf_counter(), 0
        for round_no in range(rounds + 2):
            if round_no > 2 and time.perf_counter() - started > budget:
                break
            await measure(intake_stand, "intake", None, round_no >= 2)
            await measure(echo_stand, "echo", None, round_no >= 2)
            done = round_no + 1
        # the echo bot's question whose button BUTTON_STEP presses
        await echo_stand.app.bot.send_message(
            echo_stand.residents[0].user.chat_id, "Step 1 of 6", reply_markup=QUESTION
        )
        for round_no in range(done):
            await measure(echo_stand, "button", BUTTON_STEP, round_no >= 2)
            await measure(echo_stand, "button_echo", None, round_no >= 2)
        for variant in WEAKENED:  # each in a bot of its own, beside echo updates of its own
            async with open_stand(Scenario("intake", 0.0), 1) as weak_stand:
                weaken(weak_stand.app, variant)
                for round_no in range(done):
                    await measure(weak_stand, f"intake {variant}", None, round_no >= 2)
                    await measure(echo_stand, f"echo {variant}", None, round_no >= 2)
    return dict(samples)


# Two guarantees, switched off to show what they cost: never how the bot runs.
NO_WRITE, NO_SOUND, NEITHER = "no durable write", "no sound check", "neither"
WEAKENED = (NO_WRITE, NO_SOUND, NEITHER)


def weaken(app: Application, variant: str) -> None:  # type: ignore[type-arg]
    """Leave out the per-update write of conversation states and ledger ids (what makes a
    step survive a kill) and/or the type check of every update (what keeps forged updates
    from the handlers)."""
    if variant in (NO_WRITE, NEITHER):

        async def write_nothing(_ids: set[int], _now: Any) -> None:
            return None

        guard_of(app).ledger.record_with_states = write_nothing
    if variant in (NO_SOUND, NEITHER):
        for group in app.handlers.values():
            for handler in [h for h in group if isinstance(h, SoundUpdates)]:
                group.remove(handler)


async def closed_loop(rounds: int, budget: float) -> dict[str, Any]:
    """All 50 residents at once, each sending its next step when the previous one is done.

    As in `sequential`, both bots run here and take turns: a round is one complete intake
    per resident, then as many echo updates per resident; one warm-up round is not counted,
    and after `budget` seconds no further round starts.
    """
    totals: dict[str, dict[str, Any]] = {
        bot: {
            "updates": 0,
            "cpu": 0.0,
            "wall": 0.0,
            "calls": 0,
            "sql": 0,
            "wrong": 0,
            "latency": [],
            "by_step": defaultdict(list),
        }
        for bot in ("echo", "intake")
    }
    async with (
        open_stand(Scenario("echo", 0.0), RESIDENTS) as echo_stand,
        open_stand(Scenario("intake", 0.0), RESIDENTS) as intake_stand,
    ):
        started = time.perf_counter()
        for round_no in range(rounds + 1):
            if round_no > 1 and time.perf_counter() - started > budget:
                break
            for stand in (intake_stand, echo_stand):
                RECORDS.clear()
                cpu0, wall0 = time.process_time(), time.perf_counter()
                await asyncio.gather(*(r.walk(len(INTAKE)) for r in stand.residents))
                wall = time.perf_counter() - wall0
                # the round's background work (batched states and ledger ids, the outbox) is
                # its own: without waiting for it here it ran in the other bot's round
                await stand.sim.settle()
                cpu = time.process_time() - cpu0
                if round_no == 0:
                    continue
                total = totals[stand.bot]
                total["cpu"] += cpu
                total["wall"] += wall
                for record in RECORDS.values():
                    total["updates"] += 1
                    total["calls"] += record.calls
                    total["sql"] += record.sql
                    total["wrong"] += record.wrong_state
                    if record.done is not None:
                        total["latency"].append(record.done - record.sent)
                        total["by_step"][record.step.name].append(record.done - record.sent)
    result: dict[str, Any] = {}
    for bot, total in totals.items():
        latency = total.pop("latency")
        by_step = total.pop("by_step")
        result[bot] = {
            **total,
            "p50": percentile(latency, 50),
            "p99": percentile(latency, 99),
            "by_step": {
                name: [percentile(values, 50), percentile(values, 99), max(values)]
                for name, values in by_step.items()
            },
        }
    return result


async def open_loop(stand: Stand, duration: float, drain: float, seed: int) -> dict[str, Any]:
    """Residents offer ~25 updates/s together for `duration` s, whatever the bot does."""
    rng = random.Random(seed)
    if stand.bot == "intake":
        # Outside the measurement and at 0 ms: each resident gets to a random point of an
        # intake, so that every step (the writing "Send" too) is in the mix from the start.
        delay, stand.api.delay = stand.api.delay, 0.0
        await asyncio.gather(
            *(resident.walk(rng.randrange(len(INTAKE))) for resident in stand.residents)
        )
        stand.api.delay = delay
    RECORDS.clear()
    reset_peak_rss()
    rss0 = rss_kb()
    stalls = StallWatch()
    stalls.start()
    cpu0 = time.process_time()
    start = time.perf_counter()
    end = start + duration

    async def resident_loop(resident: Resident, offset: float, thinks: list[float]) -> None:
        due = start + offset
        for think in thinks:
            if due >= end:
                return
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            resident.send()
            due += think

    plans = []
    for resident in stand.residents:
        offset = rng.uniform(0.0, (THINK_MIN + THINK_MAX) / 2)
        thinks = [rng.uniform(THINK_MIN, THINK_MAX) for _ in range(int(duration) + 2)]
        plans.append(resident_loop(resident, offset, thinks))
    await asyncio.gather(*plans)
    offered_until = time.perf_counter()
    await stalls.stop()
    processed_in_window = sum(
        1 for r in RECORDS.values() if r.done is not None and r.done <= offered_until
    )
    cpu_window = time.process_time() - cpu0
    # Let what is under way finish, but do not wait out a backlog of minutes: after `drain`
    # seconds drop what is still queued, then wait for the updates already started.
    queue = stand.app.update_queue
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(queue.join(), drain)
    dropped = await drain_queue(stand.app)
    await asyncio.wait_for(queue.join(), 60)
    stopped = time.perf_counter()
    result = summarise_open_loop(
        list(RECORDS.values()),
        duration=offered_until - start,
        stopped=stopped,
        processed_in_window=processed_in_window,
        dropped=dropped,
        cpu=cpu_window,
        rss0=rss0,
    )
    return {**result, **stalls.figures()}


class StallWatch:
    """Event-loop lag (a 10 ms ticker's overshoot) and full garbage collections meanwhile."""

    TICK = 0.010

    def __init__(self) -> None:
        self.lags: list[float] = []
        self.collections: list[float] = []
        self._gc_started = 0.0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        gc.callbacks.append(self._on_gc)
        self._task = asyncio.create_task(self._tick())

    async def stop(self) -> None:
        gc.callbacks.remove(self._on_gc)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _tick(self) -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(self.TICK)
            self.lags.append(time.perf_counter() - before - self.TICK)

    def _on_gc(self, phase: str, info: dict[str, int]) -> None:
        if info.get("generation") != 2:
            return
        if phase == "start":
            self._gc_started = time.perf_counter()
        else:
            self.collections.append(time.perf_counter() - self._gc_started)

    def figures(self) -> dict[str, float]:
        return {
            "lag_p99": percentile(self.lags, 99),
            "lag_max": max(self.lags, default=math.nan),
            "gc2_count": len(self.collections),
            "gc2_max": max(self.collections, default=0.0),
        }


def summarise_open_loop(
    records: list[Record],
    *,
    duration: float,
    stopped: float,
    processed_in_window: int,
    dropped: int,
    cpu: float,
    rss0: int,
) -> dict[str, Any]:
    peak = peak_rss_kb()
    answered = [r for r in records if r.answer_time is not None]
    never_started = [r for r in records if r.started is None]
    lost = [r for r in records if r.answer_time is None and r.started is not None]
    if dropped < len(never_started):  # not in the queue, never processed: lost as well
        lost += never_started[: len(never_started) - dropped]
    answer = [r.answer_time - r.sent for r in answered]  # type: ignore[operator]
    done = [r.done - r.sent for r in records if r.done is not None]
    # Updates still queued at the end waited at least until then: count them censored.
    censored = [stopped - r.sent for r in records if r.answer_time is None]
    by_chat: dict[int, list[Record]] = defaultdict(list)
    for record in records:
        by_chat[record.chat_id].append(record)
    out_of_order = 0
    for chat_records in by_chat.values():
        latest = -math.inf
        for record in sorted(chat_records, key=lambda r: r.seq):
            moment = record.answer_time
            if moment is None:
                continue
            if moment < latest:
                out_of_order += 1
            latest = max(latest, moment)
    sends = [r for r in records if r.step.name == "Send"]
    by_step: dict[str, list[float]] = defaultdict(list)
    for record in answered:
        by_step[record.step.name].append(record.answer_time - record.sent)  # type: ignore[operator]
    return {
        "by_step": {
            name: [percentile(values, 50), percentile(values, 99), max(values)]
            for name, values in by_step.items()
        },
        "updates": len(records),
        "duration": duration,
        "offered_per_s": len(records) / duration,
        "processed_per_s": processed_in_window / duration,
        "cpu": cpu,
        "answered": len(answered),
        "lost": len(lost),
        "still_queued": dropped,
        "out_of_order": out_of_order,
        "wrong": sum(r.wrong_state for r in records),
        "intakes_sent": len(sends),
        "intakes_done": sum(r.completed for r in records),
        "p50": percentile(answer + censored, 50),
        "p99": percentile(answer + censored, 99),
        "max": max(answer + censored, default=math.nan),
        "done_p99": percentile(done + censored, 99),
        "censored": bool(censored),
        "calls": sum(r.calls for r in records),
        "rss0_kb": rss0,
        "peak_kb": peak,
    }


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


@dataclass(frozen=True)
class Phase:
    name: str
    run: Callable[[argparse.Namespace], Awaitable[dict[str, Any]]]


def sizes(quick: bool) -> dict[str, float]:
    if quick:
        return {
            "seq_rounds": 20,
            "seq_budget": 4,
            "load0_rounds": 2,
            "load0_budget": 6,
            "duration": 15,
            "echo_duration": 8,
            "drain": 5,
        }
    return {
        "seq_rounds": 80,
        "seq_budget": 10,
        "load0_rounds": 5,
        "load0_budget": 20,
        "duration": 60,
        "echo_duration": 30,
        "drain": 10,
    }


async def start_light(_args: argparse.Namespace) -> dict[str, Any]:
    """bench/start_bench.py: start time and idle RSS of `bezirksbot run` and a bare PTB bot."""
    sys.path.insert(0, BENCH_DIR)
    import start_bench

    results = await start_bench.measure(3)
    return {name: [vars(start) for start in starts] for name, starts in results.items()}


async def load50(scenario: Scenario, duration: float, args: argparse.Namespace) -> dict[str, Any]:
    async with open_stand(scenario, RESIDENTS) as stand:
        return await open_loop(stand, duration, sizes(args.quick)["drain"], args.seed)


def phases() -> list[Phase]:
    def n(args: argparse.Namespace, key: str) -> float:
        return sizes(args.quick)[key]

    return [
        Phase("seq", lambda a: sequential(int(n(a, "seq_rounds")), n(a, "seq_budget"))),
        Phase("load0", lambda a: closed_loop(int(n(a, "load0_rounds")), n(a, "load0_budget"))),
        Phase(
            "load50-echo", lambda a: load50(Scenario("echo", ROUND_TRIP), n(a, "echo_duration"), a)
        ),
        Phase(
            "load50-ordered", lambda a: load50(Scenario("intake", ROUND_TRIP), n(a, "duration"), a)
        ),
        Phase(
            "load50-default",
            lambda a: load50(
                Scenario("intake", ROUND_TRIP, default_processing=True), n(a, "duration"), a
            ),
        ),
        Phase("start", start_light),
    ]


def run_child(args: argparse.Namespace) -> None:
    global PERSIST_EACH_UPDATE, LANGUAGE
    PERSIST_EACH_UPDATE = not args.interval_persistence
    LANGUAGE = args.language
    phase = next(p for p in phases() if p.name == args.phase)
    logging.basicConfig(level=logging.WARNING)
    warnings.filterwarnings("ignore")  # PTBUserWarning about per_message, deprecations
    profiler = cProfile.Profile() if args.profile else None
    with mock.patch.object(Application, "process_update", traced_process_update):
        if profiler is not None:
            profiler.enable()
        result = asyncio.run(phase.run(args))
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(Path(args.profile) / f"{phase.name}.prof")
            pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(25)
    print(json.dumps(result))


# --- the parent: run the phases, print the tables -----------------------------------------
LANGUAGE = "en"  # the residents' language_code (--language)
LOADS: dict[str, tuple[float, float]] = {}  # phase -> 1-minute load average before, after


def run_phase(name: str, args: argparse.Namespace) -> dict[str, Any]:
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--phase",
        name,
        "--seed",
        str(args.seed),
        "--language",
        args.language,
    ]
    if args.interval_persistence:
        command.append("--interval-persistence")
    if args.quick:
        command.append("--quick")
    if args.profile:
        command += ["--profile", str(args.profile)]
    started, load_before = time.perf_counter(), os.getloadavg()[0]
    print(f"  {name} …", end="", file=sys.stderr, flush=True)
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    print(f" {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    LOADS[name] = (load_before, os.getloadavg()[0])
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"phase {name} failed with exit code {done.returncode}")
    if args.profile:
        sys.stderr.write(done.stderr)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def ms(seconds: float, censored: bool = False) -> str:
    if math.isnan(seconds):
        return "–"
    prefix = "≥" if censored else ""
    if seconds >= 10:
        return f"{prefix}{seconds:.1f} s"
    if seconds >= 1:
        return f"{prefix}{seconds:.2f} s"
    digits = 0 if seconds >= 0.1 else 2
    return f"{prefix}{seconds * 1000:.{digits}f} ms"


def mb(result: dict[str, Any]) -> str:
    """Peak RSS of the phase and its growth since the measurement started."""
    growth = (result["peak_kb"] - result["rss0_kb"]) / 1024
    return f"{result['peak_kb'] / 1024:.0f} MB (+{growth:.0f})"


def verdict(value: float, limit: float) -> str:
    return "meets" if value <= limit else "MISSES"


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next(
                (line.split(":", 1)[1].strip() for line in info if line.startswith("model name")),
                cpu,
            )
    except OSError:
        pass
    versions = ", ".join(
        f"{name} {metadata.version(name)}"
        for name in ("python-telegram-bot", "SQLAlchemy", "aiosqlite")
    )
    return (
        f"nproc {len(os.sched_getaffinity(0))} ({cpu}), {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, {versions}"
    )


def print_report(results: dict[str, dict[str, Any]], args: argparse.Namespace) -> None:
    size = sizes(args.quick)
    print()
    print(
        f"Bezirksbot intake bench ({'quick' if args.quick else 'full'} run, seed {args.seed}, "
        f"residents' language {args.language})"
    )
    print(f"machine: {machine()}")
    print(
        "bot: build_application(rate_limit=False) over SQLite, flood control off, "
        + (
            "persistence every 2 s only (--interval-persistence)"
            if args.interval_persistence
            else "plus persist_after_each_update as bot/runner.py does"
        )
    )
    if args.profile:
        print("!! profiled run: every figure is inflated by cProfile")
    if "seq" in results:
        seq = results["seq"]
        print_sequential(
            seq["echo"], seq["intake"], seq.get("button", []), seq.get("button_echo", [])
        )
        print_weakened(seq)
    if "load0" in results:
        print_load0(results["load0"]["echo"], results["load0"]["intake"])
    loads = [
        (name, title)
        for name, title in (
            ("load50-echo", "echo, per-chat ordered"),
            ("load50-ordered", "intake, per-chat ordered (bot)"),
            ("load50-default", "intake, PTB default, 1 at a time"),
        )
        if name in results
    ]
    if loads:
        print_load50([(title, results[name]) for name, title in loads], size)
    if "start" in results:
        sys.path.insert(0, BENCH_DIR)
        import start_bench

        starts = {
            name: [start_bench.Start(**values) for values in runs]
            for name, runs in results["start"].items()
        }
        print()
        print("\n".join(start_bench.report(starts)))


def _group(samples: list[dict[str, Any]], key: str) -> dict[str, list[dict[str, Any]]]:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for sample in samples:
        groups[sample[key]].append(sample)
    return groups


def print_sequential(
    echo_samples: list[dict[str, Any]],
    samples: list[dict[str, Any]],
    button_samples: list[dict[str, Any]],
    button_echo_samples: list[dict[str, Any]],
) -> None:
    echo_cpu = mean_cpu(echo_samples)
    print()
    print(
        "A. Cost per update at 0 ms, one resident, one update at a time "
        "(CPU = process_time incl. threads,\n   from the update's arrival until its handling "
        'ended; "after" = CPU mean of the background work it left: conversation states and '
        "ledger ids\n   written in batches, the outbox drained; waited for after each update "
        "and not counted in CPU or × echo)"
    )
    header = (
        f"{'':40} {'updates':>7} {'calls/upd':>9} {'SQL/upd':>7} {'CPU mean':>9} "
        f"{'CPU p50':>9} {'wall p50':>9} {'wall p99':>9} {'× echo':>7} {'after':>8}  target"
    )
    print(header)
    print("-" * len(header))

    def row(
        label: str,
        group: list[dict[str, Any]],
        target: float | None = None,
        baseline: float | None = None,
    ) -> None:
        cpus = [s["cpu"] for s in group]
        walls = [s["wall"] for s in group]
        mean = statistics.fmean(cpus)
        ratio = mean / (baseline or echo_cpu)
        goal = f"≤{target:g}× {verdict(ratio, target)}" if target else ""
        calls = statistics.fmean(s["calls"] for s in group)
        sql = statistics.fmean(s.get("sql", 0) for s in group)
        after = statistics.fmean(s.get("background", 0.0) for s in group)
        print(
            f"{label:40} {len(group):>7} {calls:>9.1f} {sql:>7.1f} {ms(mean):>9} "
            f"{ms(percentile(cpus, 50)):>9} {ms(percentile(walls, 50)):>9} "
            f"{ms(percentile(walls, 99)):>9} {ratio:>6.1f}× {ms(after):>8}  {goal}"
        )

    row("echo (bare PTB)", echo_samples)
    bare_echo = mean_cpu(button_echo_samples or echo_samples)
    if button_samples:  # × its own echo, measured beside it after the intake's rounds
        row("button step (bare PTB: answer + edit)", button_samples, baseline=bare_echo)
    by_kind = _group(samples, "kind")
    row("intake, every step", samples, TARGET_INTAKE_RATIO)
    row("intake, steps that write nothing", by_kind[NO_DB], TARGET_NO_WRITE_RATIO)
    row("intake, steps that only read", by_kind[READS])
    row("intake, steps that write", by_kind[WRITES])
    print("  by step:")
    by_step = _group(samples, "step")
    for step in INTAKE:
        row(f"    {step.name} [{step.kind}]", by_step[step.name])
    sends = by_step["Send"]
    before = statistics.fmean(s.get("sql_answered") or 0 for s in sends)
    after = statistics.fmean(s.get("sql", 0) for s in sends) - before
    cpu_send = percentile([s["cpu"] for s in sends], 50)
    print(
        f"  Send: {before:.1f} SQL statements until the receipt reached the resident "
        f"(target ≤ {TARGET_SEND_SQL}: {verdict(before, TARGET_SEND_SQL)}), {after:.1f} after it "
        f"in the background (its record, the similar cases, the card's release and "
        f"delivery, the ledger); CPU p50 {ms(cpu_send)} (target ≤ {ms(TARGET_SEND_CPU)}: "
        f"{verdict(cpu_send, TARGET_SEND_CPU)})"
    )
    if button_samples:
        buttons = {step.name for step in INTAKE if step.data is not None}
        pressed = [s["cpu"] for s in by_kind[NO_DB] if s["step"] in buttons]
        ours = statistics.fmean(pressed) / echo_cpu
        bare = mean_cpu(button_samples) / bare_echo
        print(
            f"  Button steps that write nothing: {ours:.2f}× echo; the bare python-telegram-bot "
            f"button step {bare:.2f}× echo (two calls and a bigger update); ours "
            f"{ours / bare:.2f}× the bare one"
        )
    wrong = sum(s["wrong"] for s in samples)
    if wrong:
        print(f"  !! {wrong} intake steps met the wrong state")


def print_weakened(seq: dict[str, list[dict[str, Any]]]) -> None:
    """Steps that write nothing in bots without a guarantee, each × the echo beside it,
    after the bot as it runs (two decimals: the table rounds to one)."""
    running = [s["cpu"] for s in seq["intake"] if s["kind"] == NO_DB]
    ratios = [f"the bot as it runs: {statistics.fmean(running) / mean_cpu(seq['echo']):.2f}×"]
    for variant in WEAKENED:
        intake, echo = seq.get(f"intake {variant}"), seq.get(f"echo {variant}")
        if not intake or not echo:
            return
        steps = [s["cpu"] for s in intake if s["kind"] == NO_DB]
        ratios.append(f"{variant}: {statistics.fmean(steps) / mean_cpu(echo):.2f}×")
    print(
        "  What two guarantees cost the steps that write nothing (for comparison only, each "
        "in a bot of its own beside\n  its own echo updates; the bot always runs with both):\n  "
        + "; ".join(ratios)
    )


def mean_cpu(samples: list[dict[str, Any]]) -> float:
    return statistics.fmean(s["cpu"] for s in samples)


def print_load0(echo_result: dict[str, Any], intake_result: dict[str, Any]) -> None:
    print()
    print(
        f"B. Throughput at 0 ms, {RESIDENTS} residents at once, each sending its next step "
        "when the last is done"
    )
    print(
        "   (p50/p99 = arrival until done; CPU includes the background work each round left, "
        "waited for at its end;\n   the two bots take turns in one process, so peak memory "
        "is in C)"
    )
    header = (
        f"{'':22} {'updates':>7} {'updates/s':>9} {'calls/upd':>9} {'SQL/upd':>7} "
        f"{'CPU/upd':>9} {'wall/upd':>9} {'p50':>9} {'p99':>9} {'× echo':>7}  target"
    )
    print(header)
    print("-" * len(header))
    echo_cpu = echo_result["cpu"] / echo_result["updates"]
    for label, result, target in (
        ("echo (bare PTB)", echo_result, None),
        ("intake (bot)", intake_result, TARGET_INTAKE_RATIO),
    ):
        n = result["updates"]
        cpu = result["cpu"] / n
        ratio = cpu / echo_cpu
        goal = f"≤{target:g}× {verdict(ratio, target)}" if target else ""
        print(
            f"{label:22} {n:>7} {n / result['wall']:>9.0f} {result['calls'] / n:>9.1f} "
            f"{result.get('sql', 0) / n:>7.1f} {ms(cpu):>9} {ms(result['wall'] / n):>9} "
            f"{ms(result['p50']):>9} {ms(result['p99']):>9} {ratio:>6.1f}×  {goal}"
        )
    print_by_step("intake, from arrival until done, p50 / p99 by step:", intake_result["by_step"])
    if intake_result["wrong"]:
        print(f"  !! {intake_result['wrong']} intake steps met the wrong state")


def print_by_step(title: str, by_step: dict[str, list[float]]) -> None:
    print(f"  {title}")
    line = "   "
    for step in INTAKE:
        p50, p99, _ = by_step.get(step.name, [math.nan] * 3)
        item = f" {step.name} {ms(p50)} / {ms(p99)};"
        if len(line) + len(item) > 99:
            print(line)
            line = "   "
        line += item
    print(line.rstrip(";"))


def print_load50(rows: list[tuple[str, dict[str, Any]]], size: dict[str, float]) -> None:
    print()
    print(
        f"C. {ROUND_TRIP * 1000:.0f} ms per Bot API call, {RESIDENTS} residents offering "
        f"~{RESIDENTS / ((THINK_MIN + THINK_MAX) / 2):.0f} updates/s for "
        f"{size['duration']:g} s (echo: {size['echo_duration']:g} s), open loop"
    )
    header = (
        f"{'':32} {'offered':>7} {'answ./s':>7} {'p50':>8} {'p99':>8} {'max':>8} "
        f"{'p99 done':>8} {'lost':>5} {'queued':>6} {'order':>5} {'wrong':>5} "
        f"{'intakes':>9} {'peak RSS':>14}"
    )
    print(header)
    print(
        f"{'':32} {'upd/s':>7} {'':>7} {'answer':>8} {'answer':>8} {'answer':>8} {'':>8} "
        f"{'':>5} {'at end':>6} {'wrong':>5} {'state':>5} {'done/sent':>9}"
    )
    print("-" * len(header))
    for title, r in rows:
        c = r["censored"]
        intakes = f"{r['intakes_done']}/{r['intakes_sent']}" if r["intakes_sent"] else "–"
        memory = mb(r)
        print(
            f"{title:32} {r['offered_per_s']:>7.1f} {r['processed_per_s']:>7.1f} "
            f"{ms(r['p50'], c):>8} {ms(r['p99'], c):>8} {ms(r['max'], c):>8} "
            f"{ms(r['done_p99'], c):>8} {r['lost']:>5} {r['still_queued']:>6} "
            f"{r['out_of_order']:>5} {r['wrong']:>5} {intakes:>9} {memory:>14}"
        )
    for title, r in rows:
        if not title.startswith("intake, per-chat"):
            continue
        print_by_step(f"{title}, answer p50 / p99 by step:", r["by_step"])
        ok = r["p99"] <= TARGET_P99 and not (r["lost"] or r["out_of_order"] or r["still_queued"])
        print(
            f"  target for the bot: p99 ≤ {TARGET_P99 * 1000:.0f} ms, nothing lost or out of "
            f"order -> {'meets' if ok else 'MISSES'} (p99 {ms(r['p99'], r['censored'])}, "
            f"lost {r['lost']}, out of order {r['out_of_order']})"
        )
    print(
        "  answer = until the first message to the resident is answered by the fake API; "
        "done = until the processor finished the update (the Send's card and record come after)"
    )
    print("  event-loop stalls (10 ms ticker overshoot) and full GCs while offering:")
    for title, r in rows:
        print(
            f"    {title}: lag p99 {ms(r['lag_p99'])}, max {ms(r['lag_max'])}; "
            f"{r['gc2_count']} full GC"
            + (f", longest {ms(r['gc2_max'])}" if r["gc2_count"] else "")
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="shorter runs (~1 minute)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--language", default="en", help="the residents' Telegram language (de, tr, ar, …)"
    )
    parser.add_argument(
        "--interval-persistence",
        action="store_true",
        help="leave out persist_after_each_update (which bot/runner.py adds in production)",
    )
    parser.add_argument("--profile", metavar="DIR", help="cProfile every phase into DIR/*.prof")
    parser.add_argument(
        "--phases", help="comma-separated subset of " + ",".join(p.name for p in phases())
    )
    parser.add_argument("--phase", help=argparse.SUPPRESS)  # internal: run one phase here
    args = parser.parse_args()
    if args.phase:
        run_child(args)
        return
    if args.profile:
        Path(args.profile).mkdir(parents=True, exist_ok=True)
    wanted = [p.name for p in phases()]
    if args.phases:
        wanted = [name for name in wanted if name in args.phases.split(",")]
    print(f"running {len(wanted)} phases, each in a child process:", file=sys.stderr)
    started = time.perf_counter()
    results = {name: run_phase(name, args) for name in wanted}
    print_report(results, args)
    loads = ", ".join(f"{name} {a:.1f}→{b:.1f}" for name, (a, b) in LOADS.items())
    print(
        f"\nload average (1 min) before→after each phase, {len(os.sched_getaffinity(0))} CPUs: "
        f"{loads}; other processes on this machine compete for the CPUs"
    )
    print(f"(total {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
