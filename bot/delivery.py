"""Deliver the outbox: Bot API calls for stored payloads, with retries as Telegram asks.

Sends happen outside any transaction; each result is recorded in its own short one, so a
crash can at worst repeat the one message that was in flight.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.messages.render import OutboxRenderer
from bot.sending import MESSAGES_PER_SECOND, Pace, Sent, send_payload
from bot.services.basics.clock import Clock
from bot.services.basics.env import ServiceEnv
from bot.services.cases import records as cases
from bot.services.messaging import outbox, outcome, unreachable
from bot.services.news import items as news_items
from bot.storage.db import SessionMaker, session_scope
from bot.storage.models import OutboxMessage

log = logging.getLogger(__name__)
BATCH = 50  # messages taken (and on PostgreSQL claimed) at a time
MAX_INLINE_WAIT = 30.0  # a flood wait up to this long is waited out at once, then resent
INLINE_RETRIES = 3


class OutboxSender:
    def __init__(
        self,
        session_maker: SessionMaker,
        clock: Clock,
        renderer: OutboxRenderer,
        env: ServiceEnv | None = None,
        per_second: float = MESSAGES_PER_SECOND,
    ) -> None:
        self._maker = session_maker
        self.pace = Pace(per_second)
        self._clock = clock
        self._renderer = renderer  # intents are rendered at delivery, in the reader's language
        self._env = env  # without it, a blocked chat is only marked failed
        self._lock = asyncio.Lock()  # one drain at a time in this process
        self._queued_more = False  # a delivery queued a follow-up (e.g. "rep unreachable")
        self._drain_task: asyncio.Task[None] | None = None
        self._again = False
        self._bulk_tried = False  # a news delivery was tried since the last report check

    def request(self, app: Any) -> None:
        """Deliver soon, without making the caller wait: a handler answers its own user first
        and does not queue behind other chats' deliveries. Requests while a drain runs are
        folded into one more pass."""
        self._again = True
        if self._drain_task is None or self._drain_task.done():
            self._drain_task = app.create_task(self._drain(app.bot), name="outbox-drain")

    async def wait_idle(self) -> None:
        """Let a background drain finish (when the application stops)."""
        task = self._drain_task
        if task is not None and not task.done():
            await asyncio.gather(task, return_exceptions=True)

    async def _drain(self, bot: Bot) -> None:
        while self._again:
            self._again = False
            await self.flush(bot)
            # Only a news delivery settles a news item (one without recipients is reported
            # when it is sent), so a drain of other messages skips the check: one SELECT
            # less after every new case. The periodic `flush_outbox` checks anyway.
            if self._bulk_tried:
                self._bulk_tried = False
                if await self.after_flush():
                    self._again = True

    async def after_flush(self) -> int:
        """Reports due once deliveries settle (a news item's counts to its sender)."""
        async with session_scope(self._maker) as session:
            return await news_items.report_finished(session, now=self._clock.now())

    async def flush(self, bot: Bot) -> int:
        """Send everything that is due; returns how many were sent."""
        sent = 0
        async with self._lock:
            while True:
                claimed_at = self._clock.now()
                async with session_scope(self._maker) as session:
                    batch, languages = await outbox.due_with_languages(
                        session, now=claimed_at, limit=BATCH
                    )
                if not batch:
                    return sent
                self._queued_more = False
                started, done = time.monotonic(), 0
                try:
                    for message in batch:
                        if time.monotonic() - started > outbox.CLAIM_SECONDS / 2:
                            break  # slow sending (flood waits): claim the rest afresh
                        sent += await self._deliver(bot, message, languages.get(message.chat_id))
                        done += 1
                finally:
                    if done < len(batch):  # an error or the time limit: give the rest back
                        await self._release(batch[done:], claimed_at)
                if len(batch) < BATCH and not self._queued_more and done == len(batch):
                    return sent

    async def _release(self, messages: list[OutboxMessage], claimed_at: datetime) -> None:
        """Unsent messages of a claimed batch are due again at once (PostgreSQL claims)."""
        with contextlib.suppress(Exception):  # else the claim simply runs out
            async with session_scope(self._maker) as session:
                await outbox.release(
                    session,
                    message_ids=[m.id for m in messages],
                    claimed_until=outbox.claim_until(claimed_at),
                    now=self._clock.now(),
                )

    async def deliver_now(
        self, bot: Bot, message: OutboxMessage, language: str | None = None, *, report: bool = True
    ) -> int:
        """Send one row at once, outside the queue (no lock: a row queued with `backup_for`
        is not due yet, so no flush takes it meanwhile); records sent, retry or failure.
        `report` False: the caller tells the sender the outcome itself (`observe`).

        It answers the person's own action, like any handler's reply: it does not wait for a
        place in the pace of the queue's sends (which made a resident wait up to a second
        for the number of their concern when notifications were being sent; webhook load
        test), but it is counted there."""
        if message.intent is not None and language is None:
            async with session_scope(self._maker) as session:
                language = (await outbox.languages_of(session, {message.chat_id})).get(
                    message.chat_id
                )
        return await self._deliver(bot, message, language, report=report, answer=True)

    async def send_now(
        self, bot: Bot, message: OutboxMessage, language: str | None
    ) -> Delivered | None:
        """As `deliver_now`, but a successful send is returned, for the caller to record
        (`record_delivered`) in a transaction it writes anyway; a failure is recorded here."""
        result = await self._send(bot, message, language, paced=False)
        return None if result is None else Delivered(message, result.message_id)

    async def observe(self, bot: Bot, messages: list[OutboxMessage]) -> list[outcome.Outcome]:
        """Send rows queued with `backup_for` at once and say what became of each: what the
        sender's confirmation tells (a later failure of a row still queued is reported to
        them by the delivery that gives it up)."""
        for message in messages:
            try:
                await self.deliver_now(bot, message, report=False)
            except Exception:  # the row stays queued: its backup time hands it to the sender
                log.exception("outbox %s: sending at once failed", message.id)
        async with session_scope(self._maker) as session:
            rows = [await session.get(OutboxMessage, message.id) for message in messages]
            return [outcome.outcome_of(row) for row in rows if row is not None]

    async def _deliver(
        self,
        bot: Bot,
        message: OutboxMessage,
        language: str | None,
        *,
        report: bool = True,
        answer: bool = False,
    ) -> int:
        result = await self._send(bot, message, language, paced=not answer, report=report)
        if result is None:
            return 0
        async with session_scope(self._maker) as session:
            await record_delivered(
                session, Delivered(message, result.message_id), self._clock.now()
            )
        return 1

    async def _send(
        self,
        bot: Bot,
        message: OutboxMessage,
        language: str | None,
        *,
        paced: bool = True,
        report: bool = True,
    ) -> Sent | None:
        """Render and send; a failure is recorded (retry, give up) and gives None."""
        self._bulk_tried = self._bulk_tried or message.kind in outbox.BULK_KINDS
        try:
            data = self._renderer.payload(
                message.intent, message.params, message.payload, language, message.language
            )
        except Exception as exc:  # a row that cannot be rendered is kept for a fix, not sent
            log.exception("outbox %s: cannot render %s", message.id, message.intent)
            await self._give_up(message, f"render: {type(exc).__name__}: {exc}", report)
            return None
        try:
            return await self._send_paced(bot, message.chat_id, data, paced=paced)
        except RetryAfter as exc:
            wait = _seconds(exc.retry_after)
            await self._retry(message, f"RetryAfter {exc.retry_after}", wait, report)
        except Forbidden as exc:
            await self._give_up(message, f"Forbidden: {exc.message}", report)
            await self._unreachable(message)
        except (TimedOut, NetworkError) as exc:  # NetworkError covers 5xx answers too
            await self._retry(message, f"{type(exc).__name__}: {exc.message}", None, report)
        except BadRequest as exc:
            await self._give_up(message, f"BadRequest: {exc.message}", report)
        return None

    async def _send_paced(
        self, bot: Bot, chat_id: int, data: dict[str, Any], *, paced: bool = True
    ) -> Sent:
        """Send within the pace; a short flood wait pauses every send, then this one is
        sent again (a long one goes back to the queue with its retry-after). Unpaced (an
        answer the user waits for, as every handler's reply) it only waits out a pause and
        counts in the pace, so the queue's sends leave room for it."""
        calls = 1 + sum(1 for key in ("photos", "location", "document") if data.get(key))
        for attempt in range(INLINE_RETRIES + 1):
            if paced:
                await self.pace.take(calls)
            else:
                await self.pace.paused()
                self.pace.note(calls)
            try:
                return await send_payload(bot, chat_id, data)
            except RetryAfter as exc:
                wait = _seconds(exc.retry_after)
                if wait > MAX_INLINE_WAIT or attempt == INLINE_RETRIES:
                    raise
                log.info("flood wait of %ss: pausing every send", wait)
                self.pace.pause(wait)
        raise AssertionError("unreachable")  # the loop returns or raises

    async def _retry(
        self, message: OutboxMessage, error: str, wait: float | None, report: bool
    ) -> None:
        log.warning("outbox %s: %s, will retry", message.id, error)
        async with session_scope(self._maker) as session:
            await outbox.mark_retry(
                session,
                message_id=message.id,
                now=self._clock.now(),
                error=error,
                wait_seconds=wait,
            )
            if report:  # the last attempt: its sender hears it
                await self._report(session, message)

    async def _unreachable(self, message: OutboxMessage) -> None:
        """The chat blocked the bot: whoever relies on it hears so, once."""
        if self._env is None:
            return
        async with session_scope(self._maker) as session:
            queued = await unreachable.handle_unreachable(
                session,
                self._env,
                chat_id=message.chat_id,
                message=message,
                now=self._clock.now(),
            )
        self._queued_more = self._queued_more or queued

    async def _give_up(self, message: OutboxMessage, error: str, report: bool = True) -> None:
        log.warning("outbox %s: %s, not retried", message.id, error)
        async with session_scope(self._maker) as session:
            await outbox.mark_failed(
                session, message_id=message.id, now=self._clock.now(), error=error
            )
            if report:
                await self._report(session, message)

    async def _report(self, session: Any, message: OutboxMessage) -> None:
        """A failed row someone sent through the bot: they are told, once."""
        if message.sender_id is None:
            return
        row = await session.get(OutboxMessage, message.id)
        if row is not None and row.failed_at is not None:
            queued = await outcome.report_failure(session, row, now=self._clock.now())
            self._queued_more = self._queued_more or queued


@dataclass(frozen=True)
class Delivered:
    """A message Telegram has accepted, not yet recorded as sent."""

    message: OutboxMessage
    telegram_message_id: int


async def record_delivered(session: AsyncSession, delivered: Delivered, now: datetime) -> None:
    """Mark the row sent and remember its Telegram message for the case (for replies)."""
    message = delivered.message
    await outbox.mark_sent(
        session, message_id=message.id, now=now, telegram_message_id=delivered.telegram_message_id
    )
    if message.case_id is not None:
        await cases.link_message(
            session,
            case_id=message.case_id,
            chat_id=message.chat_id,
            message_id=delivered.telegram_message_id,
        )


def _seconds(value: Any) -> float:
    return value.total_seconds() if hasattr(value, "total_seconds") else float(value)


async def deliver_now(app: Any, message: OutboxMessage, language: str | None = None) -> int:
    """Send a row queued with `outbox.enqueue(..., backup_for=…)` right after its commit
    (e.g. the resident's confirmation): at once, not behind the queue; if the process dies
    first, the sender delivers the row when its backup time is up."""
    sender: OutboxSender = app.bot_data.outbox
    return await sender.deliver_now(app.bot, message, language)


async def send_now(
    app: Any, message: OutboxMessage, language: str | None = None
) -> Delivered | None:
    """`deliver_now` for a caller that records the send itself (`record_delivered`), in a
    transaction after its answer: until then the row's backup time covers a crash."""
    sender: OutboxSender = app.bot_data.outbox
    return await sender.send_now(app.bot, message, language)


async def deliver_and_observe(app: Any, messages: list[OutboxMessage]) -> list[outcome.Outcome]:
    """Send rows queued with `backup_for` for the user in front of us right after the
    commit, and what became of each (sent, queued until when, or failed and why)."""
    sender: OutboxSender = app.bot_data.outbox
    outcomes = await sender.observe(app.bot, messages)
    request_delivery(app)  # e.g. who else hears that a chat blocked the bot
    return outcomes


def request_delivery(app: Any) -> None:
    """After a handler's commit: deliver its messages in the background."""
    sender: OutboxSender = app.bot_data.outbox
    sender.request(app)


async def flush_outbox(app: Any) -> int:
    """Deliver what is due now (after a handler's commit, and periodically)."""
    sender: OutboxSender = app.bot_data.outbox
    sent = await sender.flush(app.bot)
    if await sender.after_flush():  # reports written now go out with this call
        sent += await sender.flush(app.bot)
    return sent
