"""Prometheus metrics of one bot instance, and the backlog figures /healthz checks.

Each web app gets its own CollectorRegistry (not the process-wide default), so tests and
benchmarks can build many. Updates are timed without touching the handlers: a TypeHandler in
group -100 (before the guards at -20) notes when handling starts and hooks the end of the
asyncio task that handles the update, which finishes after the last group ran, whether a
guard stopped it early or a handler failed. Errors are counted by an extra error handler.
Database figures (outbox and reminder backlog, reminders sent) are read at scrape time.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select, text
from telegram import Update
from telegram.ext import Application, TypeHandler

from bot.services.messaging import outbox
from bot.storage.db import SessionMaker, session_scope
from bot.storage.models import Reminder

GROUP_FIRST = -100  # before every handler group of the bot (the guards start at -20)
REMINDER_GRACE = timedelta(minutes=2)  # the sweep runs every 30 s: older due rows are a backlog
LATENCY_BUCKETS = (
    0.001,
    0.0025,
    0.005,
    0.0075,
    0.01,
    0.015,
    0.02,
    0.03,
    0.05,
    0.075,
    0.1,
    0.15,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
)
DB_TIMEOUT = 5.0  # seconds a scrape or health check waits for the database
MAX_PENDING = 50_000  # received-but-not-started updates remembered for the latency figure
INSTALLED_KEY = "web_metrics"  # bot_data: the WebMetrics instrumenting this application

# Called with (update_id, received, seconds) when an update that came through the webhook is
# done; `received` is time.time() when its request arrived. For benchmarks.
LatencyListener = Callable[[int, float, float], None]


@dataclass(frozen=True)
class Backlog:
    outbox: int  # messages neither sent nor given up
    reminders_due: int  # due for longer than REMINDER_GRACE and not yet swept
    reminders_sent: int


async def read_backlog(maker: SessionMaker, now: datetime) -> Backlog:
    """One short read-only transaction with the three figures."""
    async with session_scope(maker) as session:
        pending = await outbox.pending_count(session)
        due = await session.scalar(
            select(func.count(Reminder.id)).where(
                Reminder.sent_at.is_(None),
                Reminder.cancelled_at.is_(None),
                Reminder.due_at <= now - REMINDER_GRACE,
            )
        )
        sent = await session.scalar(
            # a slot the sweep skipped (caught up after downtime) was handled, not sent
            select(func.count(Reminder.id)).where(
                Reminder.sent_at.is_not(None), Reminder.skipped_at.is_(None)
            )
        )
    return Backlog(int(pending), int(due or 0), int(sent or 0))


async def database_reachable(maker: SessionMaker) -> None:
    async with session_scope(maker) as session:
        await session.execute(text("SELECT 1"))


class _RemindersSent(Collector):
    """The reminders sent so far, as the database counts them (shared by all instances)."""

    def __init__(self) -> None:
        self.value: float | None = None

    def collect(self) -> Any:
        if self.value is None:
            return
        family = CounterMetricFamily(
            "bezirksbot_reminders_sent", "Reminders sent (from the database, all instances)"
        )
        family.add_metric([], self.value)
        yield family


class WebMetrics:
    """The registry and metrics of one instance; `instrument()` hooks an Application."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.updates = Counter(
            "bezirksbot_updates_processed", "Updates handled to the end", registry=r
        )
        self.handler_latency = Histogram(
            "bezirksbot_handler_latency_seconds",
            "From the first handler group to the end of handling an update",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.update_latency = Histogram(
            "bezirksbot_update_latency_seconds",
            "From the webhook request's arrival to the end of handling its update",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.webhook_requests = Counter(
            "bezirksbot_webhook_requests", "Webhook requests by outcome", ["outcome"], registry=r
        )
        self.errors = Counter(
            "bezirksbot_errors",
            "Errors in handlers and jobs, and webhook bodies that could not be read",
            ["source"],
            registry=r,
        )
        self.outbox_backlog = Gauge(
            "bezirksbot_outbox_backlog", "Outbox messages waiting for delivery", registry=r
        )
        self.reminders_due = Gauge(
            "bezirksbot_reminders_overdue",
            "Reminders due for over two minutes and not yet sent",
            registry=r,
        )
        self.in_flight = Gauge(
            "bezirksbot_updates_in_flight",
            "Updates received and not yet handled to the end (queued, waiting for their chat's "
            "earlier updates, or running)",
            registry=r,
        )
        self.database_up = Gauge(
            "bezirksbot_database_up", "1 if the database answered the last scrape", registry=r
        )
        self._sent = _RemindersSent()
        r.register(self._sent)
        for outcome in ("accepted", "forbidden", "bad_request", "unavailable"):
            self.webhook_requests.labels(outcome)
        for source in ("update", "job", "webhook"):
            self.errors.labels(source)
        # update_id -> (time.perf_counter(), time.time()) when its request arrived
        self._received: OrderedDict[int, tuple[float, float]] = OrderedDict()
        self.listeners: list[LatencyListener] = []

    # --- the webhook side --------------------------------------------------------------------
    def received(self, update_id: int, started: float, wall: float) -> None:
        """Note when the request carrying `update_id` arrived (perf_counter and wall clock)."""
        self._received[update_id] = (started, wall)
        if len(self._received) > MAX_PENDING:  # updates that never reached the handlers
            self._received.popitem(last=False)

    # --- the application side ---------------------------------------------------------------
    def instrument(self, app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        """Add the timing handler and the error counter (once per application)."""
        if app.bot_data.get(INSTALLED_KEY) is self:
            return
        app.bot_data[INSTALLED_KEY] = self
        app.add_handler(TypeHandler(Update, self._on_update), group=GROUP_FIRST)
        app.add_error_handler(self._on_error)
        processor = app.update_processor
        self.in_flight.set_function(
            lambda: app.update_queue.qsize() + int(getattr(processor, "in_flight", 0))
        )

    async def _on_update(self, update: Update, _context: object) -> None:
        started = time.perf_counter()
        arrival = self._received.pop(update.update_id, None)
        task = asyncio.current_task()
        if task is None:  # not in a task (cannot happen with Application): count it now
            self.updates.inc()
            return

        def done(_task: asyncio.Task[Any]) -> None:
            end = time.perf_counter()
            self.updates.inc()
            self.handler_latency.observe(end - started)
            if arrival is not None:
                received, wall = arrival
                self.update_latency.observe(end - received)
                for listener in self.listeners:
                    listener(update.update_id, wall, end - received)

        task.add_done_callback(done)

    async def _on_error(self, update: object, _context: object) -> None:
        self.errors.labels("update" if isinstance(update, Update) else "job").inc()

    # --- scraping ----------------------------------------------------------------------------
    async def refresh(self, maker: SessionMaker, now: datetime) -> Backlog | None:
        """Read the database figures; on failure database_up is 0 and the gauges keep."""
        try:
            async with asyncio.timeout(DB_TIMEOUT):
                backlog = await read_backlog(maker, now)
        except Exception:
            self.database_up.set(0)
            return None
        self.database_up.set(1)
        self.outbox_backlog.set(backlog.outbox)
        self.reminders_due.set(backlog.reminders_due)
        self._sent.value = backlog.reminders_sent
        return backlog

    def render(self) -> bytes:
        return generate_latest(self.registry)
