"""A durable inbox: updates are stored before Telegram learns that they arrived, and the ones
never finished are handled again at the next start.

Polling: `InboxRequest` is the transport of getUpdates; it stores each batch Telegram hands
out (one INSERT, one commit) before python-telegram-bot confirms the batch with the offset of
its next call. Webhook: the route stores the update (`Inbox.keep`, requests arriving together
share a commit), then answers 200. Both handle the update meanwhile: the store delays only
the confirmation. A killed process thus loses no update it had taken.

An update is processed once the ledger (`processed_updates`, bot.updates.guard) has its id,
which is written after its handlers ran and after the conversation states they changed
(bot.updates.persistence). At start, `replay()` puts the stored updates without a ledger row
back on the queue, oldest first (the update processor keeps each chat's order), limited to
the last `REPLAY_WITHIN`; an update of a chat that has since seen a later processed update is
left out, as it would answer a question no longer asked. The guard's ledger makes a replayed
update that Telegram also delivers again run once.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import delete, func, select
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import CursorResult
from telegram import Bot, Update
from telegram.ext import ExtBot
from telegram.request import BaseRequest, RequestData

from bot.context import BotApplication, BotContext
from bot.services.basics.clock import Clock
from bot.storage import postgresql  # its insert loads SQLAlchemy's dialect when first used
from bot.storage.db import SessionMaker, session_scope
from bot.storage.models import InboxUpdate, ProcessedUpdate

log = logging.getLogger(__name__)

INBOX_KEY = "inbox"  # bot_data: the Inbox, for the prune job
REPLAY_WITHIN = timedelta(hours=1)  # older unfinished updates are not answered any more
KEEP = timedelta(hours=2)  # rows older than this are pruned (the replay reads one hour)
PRUNE_EVERY = timedelta(minutes=10)
REPLAY_LIMIT = 10_000
# Webhook instances run side by side: one starting must not take the updates another has
# just stored and is handling. It replays only what stayed unprocessed this long.
WEBHOOK_GRACE = 5.0

JSONDict = dict[str, Any]


def chat_key_of(payload: JSONDict) -> int | None:
    """The chat of a raw update (of the message a button belongs to), else its user."""
    for name, value in payload.items():
        if name == "update_id" or not isinstance(value, dict):
            continue
        for holder in (value, value.get("message")):
            chat = holder.get("chat") if isinstance(holder, dict) else None
            if isinstance(chat, dict) and type(chat.get("id")) is int:
                return int(chat["id"])
        user = value.get("from") or value.get("user")
        if isinstance(user, dict) and type(user.get("id")) is int:
            return int(user["id"])
    return None


class Inbox:
    """The `update_inbox` table: store, read back the unfinished, prune."""

    def __init__(self, session_maker: SessionMaker, clock: Clock) -> None:
        self._maker, self._clock = session_maker, clock
        self._waiting: list[tuple[JSONDict, asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    def now(self) -> datetime:
        return self._clock.now()

    async def store(self, payloads: Sequence[JSONDict]) -> None:
        """Store raw updates in one INSERT … ON CONFLICT DO NOTHING (a copy Telegram sends
        again keeps the first row)."""
        rows = [
            {
                "update_id": int(p["update_id"]),
                "chat_key": chat_key_of(p),
                "payload": p,
                "received_at": self._clock.now(),
            }
            for p in payloads
            if type(p.get("update_id")) is int
        ]
        if not rows:
            return
        async with session_scope(self._maker) as session:
            dialect = session.bind.dialect.name if session.bind is not None else ""
            if dialect in ("sqlite", "postgresql"):
                insert = sqlite.insert if dialect == "sqlite" else postgresql.insert
                await session.execute(
                    insert(InboxUpdate)
                    .values(rows)
                    .on_conflict_do_nothing(index_elements=["update_id"])
                )
                return
            for row in rows:  # other databases: one merge each
                await session.merge(InboxUpdate(**row))

    async def keep(self, payload: JSONDict) -> None:
        """Store one update; updates arriving meanwhile are written in the same commit."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((payload, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write(), name="update-inbox")
        await asyncio.shield(future)  # a cancelled request must not cancel its neighbours

    async def _write(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting, []
            try:
                await self.store([payload for payload, _ in batch])
            except Exception as error:  # every request of the batch answers with it
                for _, future in batch:
                    if not future.done():
                        future.set_exception(error)
            else:
                for _, future in batch:
                    if not future.done():
                        future.set_result(None)

    async def unprocessed(self, *, received_before: datetime) -> list[JSONDict]:
        """Stored updates without a ledger row, oldest first, from the last REPLAY_WITHIN;
        without those whose chat has a later processed update."""
        since = self._clock.now() - REPLAY_WITHIN
        recent = (InboxUpdate.received_at >= since, InboxUpdate.received_at < received_before)
        async with session_scope(self._maker) as session:
            found = list(
                await session.execute(
                    select(InboxUpdate.update_id, InboxUpdate.chat_key, InboxUpdate.payload)
                    .outerjoin(ProcessedUpdate, ProcessedUpdate.update_id == InboxUpdate.update_id)
                    .where(*recent, ProcessedUpdate.update_id.is_(None))
                    .order_by(InboxUpdate.update_id)
                    .limit(REPLAY_LIMIT)
                )
            )
            chats = {chat for _, chat, _ in found if chat is not None}
            latest: dict[int, int] = {}
            if chats:
                latest = {
                    int(chat): int(update_id)
                    for chat, update_id in await session.execute(
                        select(InboxUpdate.chat_key, func.max(InboxUpdate.update_id))
                        .join(ProcessedUpdate, ProcessedUpdate.update_id == InboxUpdate.update_id)
                        .where(InboxUpdate.received_at >= since, InboxUpdate.chat_key.in_(chats))
                        .group_by(InboxUpdate.chat_key)
                    )
                }
        replay = []
        for update_id, chat, payload in found:
            if chat is not None and latest.get(chat, -1) > update_id:
                log.info("update %s not replayed: its chat has gone on since", update_id)
                continue
            replay.append(payload if isinstance(payload, dict) else json.loads(payload))
        return replay

    async def prune(self, *, older_than: timedelta = KEEP) -> int:
        cutoff = self._clock.now() - older_than
        async with session_scope(self._maker) as session:
            result = await session.execute(
                delete(InboxUpdate).where(InboxUpdate.received_at < cutoff)
            )
        return int(cast("CursorResult[Any]", result).rowcount or 0)  # a DELETE's result

    async def prune_job(self, context: BotContext) -> None:
        removed = await self.prune()
        if removed:
            log.info("forgot %s stored updates", removed)


class InboxRequest(BaseRequest):
    """The transport of getUpdates: what Telegram hands out is stored before the next
    getUpdates goes out, so before python-telegram-bot confirms it with that call's offset.

    The batch is handled meanwhile (its store does not delay the answers); the next call
    waits for the store, and retries it while the database fails: nothing is confirmed that
    a killed process could not replay."""

    def __init__(self, inner: BaseRequest, inbox: Inbox) -> None:
        self.inner, self.inbox = inner, inbox
        self._storing: asyncio.Task[None] | None = None

    @property
    def read_timeout(self) -> float | None:
        return self.inner.read_timeout

    async def initialize(self) -> None:
        await self.inner.initialize()

    async def shutdown(self) -> None:
        await self.stored()
        await self.inner.shutdown()

    async def stored(self) -> None:
        """Wait until the last batch is stored."""
        if self._storing is not None:
            await asyncio.shield(self._storing)
            self._storing = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        fetch = url.rsplit("/", 1)[-1].lower() == "getupdates"
        if fetch:
            await self.stored()  # this call's offset confirms the batch before
        code, body = await self.inner.do_request(
            url, method, request_data, read_timeout, write_timeout, connect_timeout, pool_timeout
        )
        if fetch and code == 200:
            result = json.loads(body).get("result")
            batch = [u for u in result if isinstance(u, dict)] if isinstance(result, list) else []
            if batch:
                self._storing = asyncio.create_task(self._store(batch), name="update-inbox")
        return code, body

    async def _store(self, batch: list[JSONDict]) -> None:
        delay = 0.5
        while True:
            try:
                await self.inbox.store(batch)
                return
            except Exception:
                log.exception("could not store %s fetched updates; trying again", len(batch))
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)


def install(app: BotApplication, inbox: Inbox) -> None:
    """Keep the inbox where the prune job finds it (bot.jobs)."""
    app.bot_data[INBOX_KEY] = inbox


def inbox_of(app: BotApplication) -> Inbox | None:
    inbox: Inbox | None = app.bot_data.get(INBOX_KEY)
    return inbox


class _AnsweredBefore:
    """The bot of a replayed button press. Telegram takes one answer per press, within
    seconds: the process that died gave it, or it is too late now, and Telegram would refuse
    it with an error that ends the handler. So the answer is left out; everything else goes
    to the bot."""

    def __init__(self, bot: Bot) -> None:
        self._bot = bot

    async def answer_callback_query(self, *_args: Any, **_kwargs: Any) -> bool:
        return True

    async def _post(self, endpoint: str, *args: Any, **kwargs: Any) -> Any:
        """The plain path of bot.sending.post: the same answer is left out there."""
        if endpoint == "answerCallbackQuery":
            return True
        return await self._bot._post(endpoint, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._bot, name)


async def replay(
    app: BotApplication, inbox: Inbox, *, received_before: datetime | None = None
) -> int:
    """Put the stored, unprocessed updates (received before `received_before`, by default
    now) on the queue, oldest first; returns how many."""
    payloads = await inbox.unprocessed(received_before=received_before or inbox.now())
    for payload in payloads:
        try:
            update = Update.de_json(payload, app.bot)
        except Exception as error:  # not an update any more (a library upgrade?): skipped
            log.warning("stored update not replayed (%s)", type(error).__name__)
            continue
        if isinstance(app.bot, ExtBot):  # as the Updater does
            app.bot.insert_callback_data(update)
        if update.callback_query is not None:
            update.callback_query.set_bot(cast("Bot", _AnsweredBefore(app.bot)))
        log.info("update %s replayed from the inbox", update.update_id)
        await app.update_queue.put(update)
    if payloads:
        log.info("replayed %s stored updates that were not processed", len(payloads))
    return len(payloads)


async def replay_later(
    app: BotApplication, inbox: Inbox, *, received_before: datetime, grace: float
) -> int:
    """Webhook mode: replay what is still unprocessed `grace` seconds after the start (the
    updates that another running instance handles are done by then)."""
    await asyncio.sleep(grace)
    return await replay(app, inbox, received_before=received_before)
