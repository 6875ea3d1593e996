"""Load test of the webhook server: two instances on loopback, a steady stream of updates.

    .venv/bin/python bench/webhook_load.py [--rate 150] [--seconds 30] [--warmup 3]
                                           [--instances 2] [--api-delay 0] [--database-url URL]

Prints figures and checks them against the targets (at least 100 updates/s sustained, p99
under 100 ms server-side, no errors); the exit code is 1 when a target is missed.

Set-up
- Each instance is a child process running `bot.web.server.serve()`, the code behind
  `bezirksbot serve`: migrations, the real Application (handlers, persistence, guard, jobs,
  per-chat ordered update processor) and uvicorn on 127.0.0.1 at a free port. Only two
  things differ from production: the Bot API is the in-process stand-in (FakeBotAPI, passed
  as `request=`, answering at once or after --api-delay seconds), and the Bot API rate
  limiter is left out (`rate_limit=False`), since the stand-in is not Telegram.
- Database: by default one SQLite file per instance (two processes writing one SQLite file
  would mostly measure its write lock). With --database-url postgresql+asyncpg://..., or when
  TEST_DATABASE_URL names a PostgreSQL server (a fresh database is created and dropped),
  both instances share one PostgreSQL database.
- Users stick to one instance (user id modulo the number of instances): conversation state
  lives in the memory of the process that handles a chat (read from the database only at
  start), so several active instances behind one webhook URL need a balancer that routes by
  chat; otherwise only one instance may be active at a time.

The driver (this process) posts updates open loop at a steady rate over HTTP keep-alive
connections with the secret header, as Telegram would: each slot (1/rate apart) goes to the
simulated user whose next step is due, or to a new user. A user's steps are /start, "I agree",
the help menu, a whole intake (new concern, place, "Yes", topic, text, no photos, no contact,
privately, Send) and "My concerns"; each step is sent 1-3 s after the previous one was
accepted (as a person types). Button presses carry the message that holds the button: its id
and content are learnt once before the run from the same bot in-process (a calibration run),
since a fresh chat always gets the same messages in the same order. Each user names a quarter
of one of the 13 districts in turn, as a city's residents are spread; `--one-district` sends
everyone to Linden-Süd, the worst case: each district numbers its cases gaplessly on a counter
row of its own, which the intakes of one district take one after the other.

Figures (over the measured window, after --warmup seconds of the same load)
- throughput: updates accepted per second, and updates whose handling ended in the window
  per second; "drained" = how long after the last request the last update was done;
- server-side latency: from the webhook request's arrival at the server to the end of
  handling its update (all handler groups, the Bot API calls included), per update, recorded
  by the instance (the listener of `bezirksbot_update_latency_seconds`);
- client-side latency: the HTTP round trip of the POST (the webhook answers after queueing);
- errors: HTTP errors and timeouts, handler errors (`bezirksbot_errors_total`), error answers
  of the Bot API stand-in, replies meaning "wrong state" (e.g. "use the buttons"); and the
  concerns filed against the intakes that pressed Send.
- to explain the figures: server-side latency per step of the script, the instances' CPU
  time per update, how late a 10 ms timer fired in each instance's event loop (CPU starvation
  or blocking code) and the garbage collector's pauses. `--profile FILE` writes cProfile
  stats per instance; `--max-concurrent N` sets MAX_CONCURRENT_UPDATES.

The machine matters: all processes share its CPUs; the load average before and after is
printed. On a shared machine, run it when little else runs (or under `nice -n -10`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import contextvars
import gc
import heapq
import itertools
import json
import logging
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families
from telegram import Update
from telegram.request import RequestData

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.config import Settings  # noqa: E402

# per_message=False is deliberate (see pyproject.toml's pytest filter)
warnings.filterwarnings("ignore", message="If 'per_message=False'")
from bench.intake_bench import WRONG_STATE_MARKERS  # noqa: E402  (the same replies mean the same)
from bot.offline.fake_api import FakeBotAPI, JSONDict  # noqa: E402

SECRET = "bench-webhook-secret-0123456789"
WEBHOOK_PATH = "/telegram/bench"
TOKEN = "123456:BENCH"
ADMIN_ID = 900_001
FIRST_USER = 300_001
USER_MESSAGE_IDS = 1_000_000  # the users' own message ids: far from the bot's (1, 2, ...)
THINK_MIN, THINK_MAX = 1.0, 3.0
KEEP_MESSAGES = 6  # per chat, in the stand-in
KEEP_ALIVE = 3.0  # seconds a driver connection may idle (uvicorn's limit is 5)
TARGET_RATE, TARGET_P99_MS = 100.0, 100.0
COMPLETED_MARKER = "Your concern has the number"

# (kind, text or button label): the steps of one user, in English
SCRIPT: tuple[tuple[str, str], ...] = (
    ("text", "/start"),
    ("press", "I agree"),
    ("text", "❓ Help"),
    ("text", "📝 New concern"),
    ("text", "linden sued"),
    ("press", "Yes"),
    ("press", "Public space"),
    ("text", "The square at the corner is full of rubbish every weekend."),
    ("press", "Continue without more photos"),
    ("press", "Skip"),
    ("press", "No, privately"),
    ("press", "Send"),
    ("text", "📋 My concerns"),
)
SEND_STEP = 11  # the index of "Send" in SCRIPT
PLACE_STEP = 4  # the index of the place in SCRIPT: each user names a quarter of their own


def district_places() -> list[str]:
    """One quarter per district that the bot confirms at once ("Yes"), so the residents of a
    run spread over all 13 districts as a city's do (each district numbers its cases on a
    counter of its own, which concurrent intakes of one district take in turn)."""
    from bot.services.basics.reference import load_reference_data
    from bot.services.basics.routing import PlaceRouter

    reference = load_reference_data()
    router = PlaceRouter(reference)
    places = []
    for district in reference.districts:
        for quarter in reference.quarters_of(district.number):
            match = router.match_text(quarter.name)
            if match.kind == "quarter" and match.quarter == quarter:
                places.append(quarter.name)
                break
    return places


def bench_settings(database_url: str, port: int = 8080, concurrent: int | None = None) -> Settings:
    extra = {} if concurrent is None else {"max_concurrent_updates": concurrent}
    return Settings(
        _env_file=None,
        database_url=database_url,
        telegram_bot_token=TOKEN,
        **extra,
        admin_telegram_ids=[ADMIN_ID],
        flood_messages_per_minute=0,
        webhook_url=f"http://127.0.0.1:{port}",
        webhook_secret=SECRET,
        webhook_path=WEBHOOK_PATH,
        listen_host="127.0.0.1",
        listen_port=port,
    )


# --- the instance (child process) -----------------------------------------------------------
class CountingAPI(FakeBotAPI):
    """The stand-in, counting error answers, "wrong state" replies and filed concerns."""

    def __init__(self, delay: float) -> None:
        super().__init__(delay=delay)
        self.errors = self.wrong_state = self.completed = self.requests = 0

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
        self.requests += 1
        code, body = await super().do_request(
            url, method, request_data, read_timeout, write_timeout, connect_timeout, pool_timeout
        )
        # Keep only what the bot can still refer to (its latest messages per chat), so that the
        # stand-in's own store does not grow the instance's heap for the whole run.
        self.calls.clear()
        params = request_data.parameters if request_data else {}
        chat = params.get("chat_id")
        if isinstance(chat, int) and len(self.sent.get(chat, ())) > KEEP_MESSAGES:
            del self.sent[chat][:-KEEP_MESSAGES]
        if len(self.callback_answers) > 1000:
            self.callback_answers.clear()
        if code != 200:
            self.errors += 1
        text = params.get("text")
        if isinstance(text, str):
            self.wrong_state += any(marker in text for marker in WRONG_STATE_MARKERS)
            self.completed += COMPLETED_MARKER in text
        return code, body


SLOW_STATEMENT = 0.05  # seconds: statements slower than this are listed by their text
SLOW: dict[str, list[float]] = {}  # in the instance: statement -> [count, seconds]
HOLDERS: dict[str, list[float]] = {}  # in the instance: who holds pooled connections, how long
# Where an update's time goes, per update (see `Breakdown` and `report`): the phases' names
PHASES = ("store", "queue", "handlers", "db", "pool_wait", "api")
_phases: contextvars.ContextVar[dict[str, float] | None] = contextvars.ContextVar(
    "phases", default=None
)


def _add(phase: str, seconds: float) -> None:
    phases = _phases.get()
    if phases is not None:
        phases[phase] = phases.get(phase, 0.0) + seconds


def instrument_breakdown(api: CountingAPI) -> tuple[Any, dict[int, list[float]]]:
    """In the instance: time the inbox's store (per request), and per update the database
    statements, the wait for a pooled connection and the Bot API calls. Returns the metrics
    (a WebMetrics that opens each update's account) and the accounts by update id."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine
    from sqlalchemy.pool import QueuePool

    from bot.web.metrics import WebMetrics

    stored: dict[int, float] = {}
    accounts: dict[int, list[float]] = {}
    holders: dict[str, list[float]] = HOLDERS  # task name -> [checkouts, seconds, longest]

    @event.listens_for(Engine, "before_cursor_execute")
    def _before(conn: Any, *_args: Any) -> None:
        conn.info["bench_started"] = time.perf_counter()

    @event.listens_for(Engine, "after_cursor_execute")
    def _after(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        started = conn.info.pop("bench_started", None)
        if started is not None:
            seconds = time.perf_counter() - started
            _add("db", seconds)
            if seconds > SLOW_STATEMENT:
                slow = SLOW.setdefault(" ".join(statement.split())[:90], [0, 0.0])
                slow[0] += 1
                slow[1] += seconds

    from sqlalchemy.pool import Pool

    @event.listens_for(Pool, "checkout")
    def _out(_dbapi: Any, record: Any, _proxy: Any) -> None:
        task = asyncio.current_task()
        name = task.get_name() if task is not None else "?"
        name = name.rsplit(":", 1)[-1].rstrip("0123456789-")
        record.info["bench_out"] = (name, time.perf_counter())

    @event.listens_for(Pool, "connect")
    def _connect(*_args: Any) -> None:
        held = holders.setdefault("(new connections)", [0, 0.0, 0.0])
        held[0] += 1

    @event.listens_for(Pool, "checkin")
    def _in(_dbapi: Any, record: Any) -> None:
        taken = record.info.pop("bench_out", None) if record is not None else None
        if taken is not None:
            held = holders.setdefault(taken[0], [0, 0.0, 0.0])
            seconds = time.perf_counter() - taken[1]
            held[0] += 1
            held[1] += seconds
            held[2] = max(held[2], seconds)

    from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_connection as PgConn
    from sqlalchemy.dialects.sqlite.aiosqlite import AsyncAdapt_aiosqlite_connection as LiteConn

    def timed(method: Any) -> Any:
        def run(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                _add("db", time.perf_counter() - started)

        return run

    for connection_class in (PgConn, LiteConn):  # commits and rollbacks are round trips too
        for name in ("commit", "rollback"):
            setattr(connection_class, name, timed(getattr(connection_class, name)))
    do_get = QueuePool._do_get

    def timed_get(pool: QueuePool) -> Any:  # waits in the pool's queue when all are out
        started = time.perf_counter()
        try:
            return do_get(pool)
        finally:
            _add("pool_wait", time.perf_counter() - started)

    QueuePool._do_get = timed_get  # type: ignore[method-assign, assignment]
    try:
        from bot.updates.inbox import Inbox
    except ImportError:  # a version before the inbox, for comparison
        Inbox = None  # type: ignore[assignment, misc]
    keep = Inbox.keep if Inbox is not None else None

    async def timed_keep(inbox: Any, payload: JSONDict) -> None:
        started = time.perf_counter()
        try:
            await keep(inbox, payload)  # type: ignore[misc]
        finally:
            stored[int(payload["update_id"])] = time.perf_counter() - started

    if Inbox is not None:
        Inbox.keep = timed_keep  # type: ignore[method-assign, assignment]
    request = api.do_request

    async def timed_request(*args: Any, **kwargs: Any) -> tuple[int, bytes]:
        started = time.perf_counter()
        try:
            return await request(*args, **kwargs)
        finally:
            _add("api", time.perf_counter() - started)

    api.do_request = timed_request  # type: ignore[method-assign]

    class BreakdownMetrics(WebMetrics):
        async def _on_update(self, update: Update, context: object) -> None:
            arrival = self._received.get(update.update_id)
            started = time.perf_counter()
            phases: dict[str, float] = {}
            _phases.set(phases)  # the update's own task: its later handler groups see it
            await super()._on_update(update, context)
            task = asyncio.current_task()
            if task is None or arrival is None:
                return

            def done(_task: asyncio.Task[Any]) -> None:
                store = stored.pop(update.update_id, 0.0)
                accounts[update.update_id] = [
                    store,
                    started - arrival[0],  # the store runs beside it
                    time.perf_counter() - started,
                    *(phases.get(name, 0.0) for name in PHASES[3:]),
                ]

            task.add_done_callback(done)

    return BreakdownMetrics(), accounts


def run_instance(args: argparse.Namespace) -> int:
    from bot.logging_setup import configure_logging
    from bot.web.server import serve

    settings = bench_settings(args.database_url, args.port, args.max_concurrent)
    configure_logging(settings, level=logging.WARNING)
    api = CountingAPI(args.api_delay)
    metrics, accounts = instrument_breakdown(api)
    samples: list[tuple[int, float, float]] = []  # update_id, arrival (time.time()), seconds
    metrics.listeners.append(lambda *sample: samples.append(sample))
    cpu: list[float] = []  # CPU seconds at the first update, to leave out the start-up
    metrics.listeners.append(lambda *_: cpu or cpu.append(time.process_time()))
    lags: list[float] = []
    pauses: list[float] = []  # garbage collections after the first update
    gc_started = [0.0]

    def on_gc(phase: str, _info: dict[str, int]) -> None:
        if phase == "start":
            gc_started[0] = time.perf_counter()
        elif cpu:
            pauses.append(time.perf_counter() - gc_started[0])

    gc.callbacks.append(on_gc)

    async def probe() -> None:
        """How late the event loop wakes a 10 ms sleep: time it could not run anything."""
        while True:
            before = time.perf_counter()
            await asyncio.sleep(0.01)
            if cpu:  # from the first update on
                lags.append(time.perf_counter() - before - 0.01)

    async def main() -> None:
        task = asyncio.create_task(probe())
        try:
            await serve(settings, request=api, rate_limit=False, metrics=metrics)
        finally:
            task.cancel()

    if args.profile:
        import cProfile

        cProfile.runctx("asyncio.run(main())", globals(), locals(), args.profile)
    else:
        asyncio.run(main())
    Path(args.report).write_text(
        json.dumps(
            {
                "samples": samples,
                "breakdown": accounts,
                "holders": HOLDERS,
                "slow": SLOW,
                "api_errors": api.errors,
                "wrong_state": api.wrong_state,
                "completed": api.completed,
                "api_requests": api.requests,
                "cpu": time.process_time() - (cpu[0] if cpu else 0.0),
                "lag_p99": percentile(lags, 99),
                "lag_max": max(lags, default=0.0),
                "gc_count": len(pauses),
                "gc_max": max(pauses, default=0.0),
                "gc_total": sum(pauses),
                "gc_objects": len(gc.get_objects()),
                "gc_stats": gc.get_stats(),
            }
        )
    )
    return 0


# --- calibration: which message carries which button ------------------------------------------
@dataclass(frozen=True)
class Step:
    kind: str  # "text" or "press"
    text: str | None = None
    data: str | None = None  # callback data of the pressed button
    message: JSONDict | None = None  # the bot's message with the button, in a fresh chat


def _text_message(user: JSONDict, message_id: int, text: str) -> JSONDict:
    content: JSONDict = {"text": text}
    if text.startswith("/"):
        content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text)}]
    chat = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
    return {
        "message_id": message_id,
        "date": int(time.time()),
        "chat": chat,
        "from": user,
        **content,
    }


def payload(
    step: Step, user: JSONDict, position: int, update_id: int, text: str | None = None
) -> JSONDict:
    """The update a user's step arrives as, from Telegram (`text` instead of the step's)."""
    if step.kind == "text":
        assert step.text is not None
        message = _text_message(user, USER_MESSAGE_IDS + position, text or step.text)
        return {"update_id": update_id, "message": message}
    assert step.message is not None and step.data is not None
    chat = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
    message = {**step.message, "chat": chat, "date": int(time.time())}
    query = {
        "id": f"{user['id']}-{position}",
        "from": user,
        "chat_instance": str(user["id"]),
        "data": step.data,
        "message": message,
    }
    return {"update_id": update_id, "callback_query": query}


def make_user(user_id: int) -> JSONDict:
    return {"id": user_id, "is_bot": False, "first_name": "Bench", "language_code": "en"}


async def calibrate(folder: Path) -> list[Step]:
    """Walk one user through SCRIPT in-process; note the message behind every button."""
    from bot.app import build_application, make_services, open_storage
    from bot.offline.simulator import Simulator, running

    settings = bench_settings(f"sqlite+aiosqlite:///{folder / 'calibration.sqlite3'}")
    engine, maker = await open_storage(settings)
    api = CountingAPI(0.0)
    app = build_application(settings, make_services(settings, maker), request=api,
                            rate_limit=False)  # fmt: skip
    user = make_user(FIRST_USER - 1)
    steps: list[Step] = []
    try:
        async with running(app):
            sim = Simulator(app, api)
            for position, (kind, label) in enumerate(SCRIPT):
                if kind == "text":
                    step = Step("text", text=label)
                else:
                    step = _find_button(api, user["id"], label)
                update = Update.de_json(payload(step, user, position, position + 1), app.bot)
                await app.update_queue.put(update)
                await sim.settle()
                steps.append(step)
    finally:
        await engine.dispose()
    if api.errors or api.wrong_state or api.completed != 1:
        raise SystemExit(
            f"calibration failed: {api.errors} API errors, {api.wrong_state} "
            f"wrong-state replies, {api.completed} concerns filed (expected 1)"
        )
    return steps


def _find_button(api: FakeBotAPI, chat_id: int, label: str) -> Step:
    for message in reversed(api.messages(chat_id)):
        for button in message.inline_buttons:
            if label in button.get("text", "") and "callback_data" in button:
                return Step("press", data=button["callback_data"], message=message.to_dict())
    raise SystemExit(f"calibration: no button {label!r} in chat {chat_id}")


# --- the driver --------------------------------------------------------------------------------
class Connections:
    """Minimal HTTP/1.1 keep-alive POSTs to one instance: far cheaper per request than a full
    client library, so the driver leaves the CPU to the instances it measures."""

    def __init__(self, port: int) -> None:
        self.port = port
        # (reader, writer, last use): uvicorn closes connections idle for 5 s
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter, float]] = []
        self.head = (
            f"POST {WEBHOOK_PATH} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Content-Type: application/json\r\n"
            f"X-Telegram-Bot-Api-Secret-Token: {SECRET}\r\n"
        ).encode()

    async def post(self, body: bytes) -> int:
        """Send one request; returns the status code (raises OSError on a broken connection)."""
        now = time.monotonic()
        while self.idle and now - self.idle[-1][2] > KEEP_ALIVE:
            self.idle.pop()[1].close()
        if self.idle:
            reader, writer, _ = self.idle.pop()
        else:
            reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        try:
            writer.write(self.head + b"Content-Length: %d\r\n\r\n" % len(body) + body)
            status = int((await reader.readline()).split()[1])
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            if length:
                await reader.readexactly(length)
        except (OSError, ValueError, IndexError, asyncio.IncompleteReadError):
            writer.close()
            raise OSError("broken connection") from None
        self.idle.append((reader, writer, time.monotonic()))
        return status

    def close(self) -> None:
        for _, writer, _ in self.idle:
            writer.close()
        self.idle.clear()


@dataclass
class SimUser:
    user: JSONDict
    instance: int
    position: int = 0


@dataclass
class Sent:
    instance: int
    at: float  # time.time() when the request was sent
    seconds: float | None = None  # round trip; None on error
    error: str | None = None


@dataclass
class Run:
    sent: list[Sent] = field(default_factory=list)
    users: int = 0
    pressed_send: int = 0
    first: float = 0.0
    last: float = 0.0
    cpu: float = 0.0  # the driver's CPU seconds while posting
    steps: dict[int, int] = field(default_factory=dict)  # update_id -> position in SCRIPT


async def drive(
    ports: list[int],
    steps: list[Step],
    rate: float,
    seconds: float,
    places: list[str],
    seed: int = 7,
) -> Run:
    """Post updates open loop at `rate` per second for `seconds` to the instances; user n
    names places[n % len(places)] (none: the calibrated place, "linden sued", for all)."""
    rng = random.Random(seed)
    run = Run()
    clients = [Connections(port) for port in ports]
    ready: list[tuple[float, int, SimUser]] = []  # (due, order, user)
    counter = itertools.count()
    update_ids = itertools.count(1)
    user_ids = itertools.count(FIRST_USER)
    tasks: set[asyncio.Task[None]] = set()
    loop = asyncio.get_running_loop()

    async def send(user: SimUser, body: JSONDict, record: Sent) -> None:
        data = json.dumps(body).encode()
        started = time.perf_counter()
        try:
            async with asyncio.timeout(30):
                status = await clients[user.instance].post(data)
        except (OSError, TimeoutError) as error:
            record.error = type(error).__name__
            return
        record.seconds = time.perf_counter() - started
        if status != 200:
            record.error = f"HTTP {status}"
            return
        if user.position < len(steps):
            due = loop.time() + rng.uniform(THINK_MIN, THINK_MAX)
            heapq.heappush(ready, (due, next(counter), user))

    total = int(rate * seconds)
    cpu = time.process_time()
    start = loop.time() + 0.2
    run.first = time.time() + 0.2
    for k in range(total):
        slot = start + k / rate
        delay = slot - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        if ready and ready[0][0] <= loop.time():
            _, _, user = heapq.heappop(ready)
        else:
            user_id = next(user_ids)
            user = SimUser(make_user(user_id), user_id % len(ports))
            run.users += 1
        step = steps[user.position]
        update_id = next(update_ids)
        place = places[user.user["id"] % len(places)] if places else None
        body = payload(
            step,
            user.user,
            user.position,
            update_id,
            place if user.position == PLACE_STEP else None,
        )
        run.steps[update_id] = user.position
        if user.position == SEND_STEP:
            run.pressed_send += 1
        user.position += 1
        record = Sent(user.instance, time.time())
        run.sent.append(record)
        task = asyncio.create_task(send(user, body, record))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    run.last = time.time()
    if tasks:
        await asyncio.wait(tasks)
    for client in clients:
        client.close()
    run.cpu = time.process_time() - cpu
    return run


# --- instances -----------------------------------------------------------------------------------
def free_ports(count: int) -> list[int]:
    """Ports below Linux's ephemeral range (32768-60999): a port the kernel hands out for
    binding to 0 may be taken, before the instance binds it, as the local port of an outgoing
    connection (the driver's, PostgreSQL clients') — "Address already in use" in one run."""
    ports: list[int] = []
    while len(ports) < count:
        port = random.randrange(20000, 32000)
        if port in ports:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        ports.append(port)
    return ports


@dataclass
class Instance:
    port: int
    process: subprocess.Popen[bytes]
    report: Path
    log: Path


def start_instances(
    count: int,
    folder: Path,
    database_urls: list[str],
    api_delay: float,
    profile: str | None = None,
    concurrent: int | None = None,
) -> list[Instance]:
    environment = {k: v for k, v in os.environ.items() if k.lower() not in Settings.model_fields}
    environment["PYTHONPATH"] = str(ROOT)
    instances = []
    for index, port in enumerate(free_ports(count)):
        report, log = folder / f"instance{index}.json", folder / f"instance{index}.log"
        command = [sys.executable, __file__, "--instance", "--port", str(port),
                   "--database-url", database_urls[index], "--report", str(report),
                   "--api-delay", str(api_delay)]  # fmt: skip
        if profile:
            command += ["--profile", f"{profile}.{index}"]
        if concurrent is not None:
            command += ["--max-concurrent", str(concurrent)]
        with log.open("wb") as stderr:
            process = subprocess.Popen(command, cwd=folder, env=environment,
                                       stdout=subprocess.DEVNULL, stderr=stderr)  # fmt: skip
        instances.append(Instance(port, process, report, log))
    return instances


async def wait_healthy(instances: list[Instance], within: float = 60.0) -> None:
    deadline = time.monotonic() + within
    async with httpx.AsyncClient(timeout=2.0) as http:
        for instance in instances:
            while True:
                if instance.process.poll() is not None:
                    raise SystemExit(
                        f"instance on port {instance.port} ended:\n"
                        + instance.log.read_text()[-3000:]
                    )
                with contextlib.suppress(httpx.HTTPError):
                    response = await http.get(f"http://127.0.0.1:{instance.port}/healthz")
                    if response.status_code == 200:
                        break
                if time.monotonic() > deadline:
                    raise SystemExit(f"instance on port {instance.port} did not become healthy")
                await asyncio.sleep(0.1)


async def scrape(port: int) -> dict[str, float]:
    async with httpx.AsyncClient(timeout=10.0) as http:
        text = (await http.get(f"http://127.0.0.1:{port}/metrics")).text
    values: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            name = sample.name + "".join(f"|{v}" for v in sample.labels.values())
            values[name] = sample.value
    return values


async def wait_drained(
    instances: list[Instance], accepted: list[int], within: float = 60.0
) -> list[dict[str, float]]:
    deadline = time.monotonic() + within
    while True:
        figures = [await scrape(instance.port) for instance in instances]
        done = [f.get("bezirksbot_updates_processed_total", 0) for f in figures]
        if all(d >= a for d, a in zip(done, accepted, strict=True)):
            return figures
        if time.monotonic() > deadline:
            print(f"not drained within {within:.0f} s: processed {done} of {accepted}")
            return figures
        await asyncio.sleep(0.2)


def stop_instances(instances: list[Instance]) -> list[int]:
    for instance in instances:
        if instance.process.poll() is None:
            instance.process.send_signal(signal.SIGTERM)
    codes = []
    for instance in instances:
        try:
            codes.append(instance.process.wait(timeout=60))
        except subprocess.TimeoutExpired:
            instance.process.kill()
            codes.append(instance.process.wait())
    return codes


@contextlib.asynccontextmanager
async def databases(count: int, folder: Path, url: str | None) -> AsyncIterator[list[str]]:
    """One SQLite file per instance, or one PostgreSQL database shared by all."""
    test_url = os.environ.get("TEST_DATABASE_URL", "")
    if url:
        yield [url] * count
    elif test_url.startswith("postgresql"):
        from tests import pg

        async with pg.fresh_database() as fresh:
            yield [fresh] * count
    else:
        yield [f"sqlite+aiosqlite:///{folder / f'instance{i}.sqlite3'}" for i in range(count)]


# --- report ------------------------------------------------------------------------------------
def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def ms(value: float) -> str:
    return f"{value * 1000:.1f} ms"


async def main_async(args: argparse.Namespace) -> int:
    folder = Path(tempfile.mkdtemp(prefix="bezirksbot-webhook-load-"))
    args.load_before = os.getloadavg()[0]
    print("Calibrating the script (one user in-process) ...", flush=True)
    steps = await calibrate(folder)
    async with databases(args.instances, folder, args.database_url) as urls:
        backend = (
            "PostgreSQL, shared"
            if urls[0].startswith("postgresql")
            else ("SQLite, one file per instance")
        )
        instances = start_instances(
            args.instances, folder, urls, args.api_delay, args.profile, args.max_concurrent
        )
        try:
            await wait_healthy(instances)
            print(
                f"{args.instances} instances up on ports {[i.port for i in instances]} "
                f"({backend}); posting {args.rate:g} updates/s for {args.warmup:g} s warm-up "
                f"+ {args.seconds:g} s ...",
                flush=True,
            )
            places = [] if args.one_district else district_places()
            run = await drive([i.port for i in instances], steps, args.rate,
                              args.warmup + args.seconds, places)  # fmt: skip
            accepted = [sum(1 for s in run.sent if s.instance == i and s.error is None)
                        for i in range(len(instances))]  # fmt: skip
            figures = await wait_drained(instances, accepted)
            args.load_after = os.getloadavg()[0]
        finally:
            codes = stop_instances(instances)
    reports = []
    for instance, code in zip(instances, codes, strict=True):
        if code != 0 or not instance.report.exists():
            print(
                f"instance on port {instance.port} exited with {code}:\n"
                + instance.log.read_text()[-3000:]
            )
            reports.append({"samples": [], "api_errors": 0, "wrong_state": 0, "completed": 0})
        else:
            reports.append(json.loads(instance.report.read_text()))
    result = report(args, run, figures, reports, codes, backend)
    if any(codes):
        print(f"  logs of the instances kept in {folder}")
    else:
        shutil.rmtree(folder, ignore_errors=True)
    return result


def report(
    args: argparse.Namespace,
    run: Run,
    figures: list[dict[str, float]],
    reports: list[dict[str, Any]],
    codes: list[int],
    backend: str,
) -> int:
    window_start = run.first + args.warmup
    window_end = run.last
    window = max(window_end - window_start, 1e-9)
    measured = [s for s in run.sent if s.at >= window_start]
    http_errors = [s for s in run.sent if s.error is not None]
    client = [s.seconds for s in measured if s.seconds is not None]
    samples = [
        (update_id, received, seconds)
        for r in reports
        for update_id, received, seconds in r["samples"]
    ]
    server = [seconds for _, received, seconds in samples if received >= window_start]
    finished = [received + seconds for _, received, seconds in samples]
    by_step: dict[int, list[float]] = {}
    for update_id, received, seconds in samples:
        if received >= window_start and update_id in run.steps:
            by_step.setdefault(run.steps[update_id], []).append(seconds)
    done_in_window = sum(1 for end in finished if window_start <= end <= window_end)
    drained = (max(finished) - window_end) if finished else float("nan")
    handler_errors = sum(
        f.get("bezirksbot_errors_total|update", 0) + f.get("bezirksbot_errors_total|webhook", 0)
        for f in figures
    )
    processed = [int(f.get("bezirksbot_updates_processed_total", 0)) for f in figures]
    api_errors = sum(r["api_errors"] for r in reports)
    wrong_state = sum(r["wrong_state"] for r in reports)
    completed = sum(r["completed"] for r in reports)
    accepted_rate = len(measured) / window
    done_rate = done_in_window / window
    errors = len(http_errors) + int(handler_errors) + api_errors + wrong_state
    errors += abs(run.pressed_send - completed) + sum(1 for code in codes if code != 0)

    print()
    print(
        f"Webhook load test: {len(figures)} instances ({backend}), Bot API stand-in "
        f"answering after {args.api_delay * 1000:g} ms, rate limiter off"
    )
    print(
        f"  offered        {args.rate:g} updates/s for {args.seconds:g} s "
        f"(+{args.warmup:g} s warm-up, not counted); {len(run.sent)} updates from "
        f"{run.users} users, "
        f"{'all in one district' if args.one_district else 'spread over all 13 districts'}"
    )
    print(f"  accepted       {len(measured)} in {window:.2f} s = {accepted_rate:.1f} updates/s")
    print(
        f"  processed      {sum(processed)} in all (per instance {processed}); "
        f"{done_rate:.1f} updates/s finished in the window; drained "
        f"{drained * 1000:.0f} ms after the last request"
    )
    print(
        f"  server-side    p50 {ms(percentile(server, 50))}   p99 "
        f"{ms(percentile(server, 99))}   max {ms(max(server, default=float('nan')))}   "
        f"({len(server)} updates: webhook arrival -> handlers done)"
    )
    print(
        f"  client-side    p50 {ms(percentile(client, 50))}   p99 "
        f"{ms(percentile(client, 99))}   max {ms(max(client, default=float('nan')))}   "
        "(HTTP round trip of the POST)"
    )
    if server:
        print(f"  server mean    {ms(statistics.fmean(server))}; by step (p50 / p99 / max):")
        for position, (kind, label) in enumerate(SCRIPT):
            values = by_step.get(position, [])
            print(
                f"    {kind} {label[:30]:<30} {len(values):5d}  {ms(percentile(values, 50)):>10}"
                f" {ms(percentile(values, 99)):>10} {ms(max(values, default=float('nan'))):>10}"
            )
    print_breakdown(reports, samples, window_start)
    print_holders(reports)
    kinds = " " + str(sorted({str(s.error) for s in http_errors})) if http_errors else ""
    print(
        f"  errors         HTTP {len(http_errors)}{kinds}, handlers {int(handler_errors)}, "
        f"Bot API answers {api_errors}, wrong-state replies {wrong_state}; concerns filed "
        f"{completed} of {run.pressed_send} sent; instances exited with {codes}"
    )
    cpu = [float(r.get("cpu", 0.0)) for r in reports]
    per_update = sum(cpu) / max(sum(processed), 1)
    print(
        f"  CPU            instances {', '.join(f'{c:.1f} s' for c in cpu)} = "
        f"{per_update * 1000:.2f} ms per update; driver {run.cpu:.1f} s; "
        f"{os.cpu_count()} CPUs, load average {args.load_before:.1f} before, "
        f"{getattr(args, 'load_after', float('nan')):.1f} at the end"
    )
    # sustained: the offered rate was accepted and handled as it came (the window's edges
    # shift by one latency, hence 1 %), and nothing was left queued at the end
    print(
        "  loop lag       "
        + ", ".join(
            f"p99 {ms(r.get('lag_p99', 0.0))} max {ms(r.get('lag_max', 0.0))}" for r in reports
        )
        + "   (per instance: how late a 10 ms timer fired)"
    )
    print(
        "  GC pauses      "
        + ", ".join(
            f"{r.get('gc_count', 0)} taking {ms(r.get('gc_total', 0.0))}, longest "
            f"{ms(r.get('gc_max', 0.0))}"
            for r in reports
        )
        + "   (per instance)"
    )
    rate_ok = (
        args.rate >= TARGET_RATE
        and accepted_rate >= 0.99 * args.rate
        and done_rate >= 0.99 * accepted_rate
        and drained < 1.0
    )
    p99_ok = percentile(server, 99) * 1000 < TARGET_P99_MS
    print(
        f"  targets        >= {TARGET_RATE:g} updates/s sustained: "
        f"{'met' if rate_ok else 'MISSED'}; p99 < {TARGET_P99_MS:g} ms server-side: "
        f"{'met' if p99_ok else 'MISSED'}; no errors: {'met' if errors == 0 else 'MISSED'}"
    )
    return 0 if rate_ok and p99_ok and errors == 0 else 1


BREAKDOWN_LABELS = {
    "store": "inbox store (the request waits for it: one insert, commits shared)",
    "queue": "before the handlers (reading, queue, the chat's earlier updates, a slot)",
    "handlers": "handlers (first group to the end), of which:",
    "db": "  database round trips (statements, commits)",
    "pool_wait": "  waiting for a pooled connection",
    "api": "  Bot API calls (the stand-in)",
}


def print_holders(reports: list[dict[str, Any]]) -> None:
    """Who held the pooled database connections (by asyncio task), over the whole run."""
    for index, r in enumerate(reports):
        every = dict(r.get("holders") or {})
        opened = int(every.pop("(new connections)", [0])[0])
        holders = sorted(every.items(), key=lambda kv: -kv[1][1])[:6]
        if holders:
            print(
                f"  connections    instance {index}: {opened} opened; held by "
                + "; ".join(
                    f"{name} {int(n)}x {total:.1f} s (longest {ms(longest)})"
                    for name, (n, total, longest) in holders
                )
            )
    slow: dict[str, list[float]] = {}
    for r in reports:
        for statement, (n, seconds) in (r.get("slow") or {}).items():
            entry = slow.setdefault(statement, [0, 0.0])
            entry[0] += n
            entry[1] += seconds
    for statement, (n, seconds) in sorted(slow.items(), key=lambda kv: -kv[1][1])[:5]:
        print(f"  slow SQL       {int(n)}x > {ms(SLOW_STATEMENT)}, {seconds:.1f} s: {statement}")


def print_breakdown(
    reports: list[dict[str, Any]], samples: list[tuple[int, float, float]], window_start: float
) -> None:
    """Where the time goes: each phase's p50 and p99 over the window's updates, and its mean
    over the slowest 1 % of them (what makes the tail)."""
    totals = {update_id: seconds for update_id, received, seconds in samples
              if received >= window_start}  # fmt: skip
    accounts = {
        int(update_id): values
        for r in reports
        for update_id, values in (r.get("breakdown") or {}).items()
        if int(update_id) in totals
    }
    if not accounts:
        return
    slowest = sorted(accounts, key=lambda u: totals[u], reverse=True)
    tail = slowest[: max(1, len(slowest) // 100)]
    print(
        f"  breakdown      p50 / p99 over {len(accounts)} updates; mean of the slowest "
        f"{len(tail)} (their total: {ms(statistics.fmean(totals[u] for u in tail))})"
    )
    for index, phase in enumerate(PHASES):
        values = [account[index] for account in accounts.values()]
        in_tail = statistics.fmean(accounts[u][index] for u in tail)
        print(
            f"    {BREAKDOWN_LABELS[phase]:<72} {ms(percentile(values, 50)):>9} "
            f"{ms(percentile(values, 99)):>9} {ms(in_tail):>9}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=150.0, help="updates per second")
    parser.add_argument("--seconds", type=float, default=30.0, help="measured duration")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds not counted first")
    parser.add_argument("--instances", type=int, default=2)
    parser.add_argument(
        "--one-district",
        action="store_true",
        help="every resident names the same quarter (the worst case for the "
        "district's reference counter) instead of one per district",
    )
    parser.add_argument(
        "--api-delay", type=float, default=0.0, help="seconds the Bot API stand-in takes per call"
    )
    parser.add_argument(
        "--database-url",
        default=None,
        help="a PostgreSQL URL shared by the instances (default: SQLite each)",
    )
    parser.add_argument(
        "--max-concurrent",
        type=int,
        default=None,
        help="MAX_CONCURRENT_UPDATES of the instances (default: the setting's)",
    )
    parser.add_argument("--instance", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--report", help=argparse.SUPPRESS)
    parser.add_argument("--profile", help="instances write cProfile stats to PROFILE.<n>")
    args = parser.parse_args()
    if args.instance:
        return run_instance(args)
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    sys.exit(main())
