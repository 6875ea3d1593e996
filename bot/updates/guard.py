"""Before every other handler: each update once, sound updates only, a fair share per user,
no oversized files.

Group -1000 drops updates whose fields have the wrong types (only a broken or forged sender
produces them; see SoundUpdates), group -20 updates already processed (the same `update_id`
again, e.g. after a crash before Telegram saw the new offset), group -15 applies flood control
per user and the upload size limit. The group guard for non-private chats follows at -10
(fallback.py).

Processing is at most once: the id is recorded before the handlers run, so an update whose
handling failed half-way is not repeated when Telegram delivers it again.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError
from telegram import Message, Update
from telegram.ext import ApplicationHandlerStop, TypeHandler

from bot.context import BotApplication, BotContext
from bot.handlers.common import translator
from bot.services.access.roles import holds_a_role
from bot.services.basics.clock import Clock
from bot.storage.db import SessionMaker, session_scope
from bot.storage.models import ProcessedUpdate
from bot.updates.flood import FloodControl
from bot.updates.sound import SoundUpdates

log = logging.getLogger(__name__)

GROUP_SOUND, GROUP_ONCE, GROUP_LIMITS = -1000, -20, -15
GUARD_KEY = "guard"  # bot_data: the Guard, so tests and jobs reach its state
RECENT_IDS = 4096  # in-memory ids in front of the table: a redelivery is usually recent
KEEP_PROCESSED = timedelta(days=3)  # Telegram keeps undelivered updates for 24 hours
PRUNE_EVERY = timedelta(hours=6)
MEGABYTE = 1024 * 1024
ATTACHMENTS = ("document", "video", "audio", "voice", "video_note", "animation", "sticker")


# --- each update once -----------------------------------------------------------------------
class UpdateLedger:
    """Remember processed update ids: a small LRU in memory, the table behind it.

    Ids arriving while a write is under way are written together in the next transaction
    (one INSERT … ON CONFLICT DO NOTHING each, one commit), so a burst of updates does not
    queue up for SQLite's single writer one commit at a time.
    """

    def __init__(
        self, session_maker: SessionMaker, clock: Clock, *, recent: int = RECENT_IDS
    ) -> None:
        self._maker, self._clock, self._size = session_maker, clock, recent
        self._recent: OrderedDict[int, None] = OrderedDict()
        self._waiting: dict[int, asyncio.Future[bool]] = {}
        self._writer: asyncio.Task[None] | None = None
        # Ids above the highest one an earlier run recorded cannot be redeliveries from it:
        # they are recorded in the background instead of waiting for a commit each.
        self._high_water: int | None = None
        self._behind: set[int] = set()
        self._behind_writer: asyncio.Task[None] | None = None

    async def first_time(self, update_id: int) -> bool:
        """Record `update_id`; False if it was recorded before (by this or an earlier run)."""
        if update_id in self._recent:
            self._recent.move_to_end(update_id)
            return False
        # Claimed before the first await: a copy arriving meanwhile stops at the LRU.
        self._recent[update_id] = None
        if len(self._recent) > self._size:
            self._recent.popitem(last=False)
        if self._high_water is None:
            async with session_scope(self._maker) as session:
                self._high_water = int(
                    await session.scalar(select(func.max(ProcessedUpdate.update_id))) or 0
                )
        if update_id > self._high_water:
            self._behind.add(update_id)
            if self._behind_writer is None or self._behind_writer.done():
                self._behind_writer = asyncio.create_task(
                    self._write_behind(), name="update-ledger-behind"
                )
            return True
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._waiting[update_id] = future
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write(), name="update-ledger")
        # shield: a cancelled update must not cancel the write its neighbours wait for
        return await asyncio.shield(future)

    async def _write(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting, {}
            try:
                async with session_scope(self._maker) as session:
                    now = self._clock.now()
                    new = {uid: await _insert_once(session, uid, now) for uid in batch}
            except Exception as error:  # every update of the batch reports it
                for future in batch.values():
                    if not future.done():
                        future.set_exception(error)
            else:
                for update_id, future in batch.items():
                    if not future.done():
                        future.set_result(new[update_id])

    async def flush(self) -> None:
        """Record the ids still waiting for the background write (at a clean stop)."""
        if self._writer is not None and not self._writer.done():
            await asyncio.gather(self._writer, return_exceptions=True)
        if self._behind_writer is not None and not self._behind_writer.done():
            self._behind_writer.cancel()
        self._behind_writer = None
        if self._behind:
            async with session_scope(self._maker) as session:
                now = self._clock.now()
                for update_id in sorted(self._behind):
                    await _insert_once(session, update_id, now)
            self._behind = set()

    async def _write_behind(self) -> None:
        await asyncio.sleep(0.2)  # gather a burst into one commit
        while self._behind:
            batch, self._behind = self._behind, set()
            async with session_scope(self._maker) as session:
                now = self._clock.now()
                for update_id in sorted(batch):
                    await _insert_once(session, update_id, now)

    async def prune(self, *, older_than: timedelta = KEEP_PROCESSED) -> int:
        """Delete rows older than `older_than`; Telegram never redelivers that late."""
        cutoff = self._clock.now() - older_than
        async with session_scope(self._maker) as session:
            result = await session.execute(
                delete(ProcessedUpdate).where(ProcessedUpdate.processed_at < cutoff)
            )
        return int(cast("CursorResult[Any]", result).rowcount or 0)  # a DELETE's result


async def _insert_once(session: Any, update_id: int, now: datetime) -> bool:
    """One INSERT … ON CONFLICT DO NOTHING; True if the row is new."""
    values = {"update_id": update_id, "processed_at": now}
    dialect = session.bind.dialect.name if session.bind is not None else ""
    if dialect in ("sqlite", "postgresql"):
        insert = sqlite.insert if dialect == "sqlite" else postgresql.insert
        statement = (
            insert(ProcessedUpdate)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["update_id"])
        )
        result = await session.execute(statement)
        return int(result.rowcount or 0) == 1
    try:  # other databases: a savepoint keeps the transaction usable after a duplicate
        async with session.begin_nested():
            session.add(ProcessedUpdate(**values))
        return True
    except IntegrityError:
        return False


# --- upload size ----------------------------------------------------------------------------
def upload_size(message: Message) -> int:
    """The size Telegram reports for the message's file (the largest photo size), else 0."""
    sizes = [p.file_size for p in message.photo or () if p.file_size]
    for name in ATTACHMENTS:
        attachment = getattr(message, name, None)
        if attachment is not None and attachment.file_size:
            sizes.append(attachment.file_size)
    return max(sizes, default=0)


# --- the handlers ---------------------------------------------------------------------------
class Guard:
    """The guard's state (ledger, flood windows, upload limit) and its two callbacks."""

    def __init__(
        self, ledger: UpdateLedger, flood: FloodControl, *, max_upload_bytes: int
    ) -> None:
        self.ledger, self.flood, self.max_upload_bytes = ledger, flood, max_upload_bytes

    async def once(self, update: Update, context: BotContext) -> None:
        """Drop updates already processed."""
        if not await self.ledger.first_time(update.update_id):
            log.info("update %s was already processed; skipped", update.update_id)
            raise ApplicationHandlerStop

    async def limits(self, update: Update, context: BotContext) -> None:
        """Flood control per user, then the upload size limit (private chats)."""
        user, chat = update.effective_user, update.effective_chat
        if user is None:
            return
        verdict = await self.flood.check(user.id)
        if verdict != "ok":
            # Dropped before any handler: a form stays at its step and nothing typed is
            # taken, so the sender only has to send it again.
            log.info("update %s dropped: flood control (%s)", update.update_id, verdict)
            if verdict == "warn" and chat is not None and chat.type == "private":
                t = translator(update, context)
                seconds = self.flood.wait_seconds(user.id)
                await _tell(
                    update,
                    t.plural(  # also a button's alert: at most 200 characters
                        "You are writing very fast. Please slow down: I did not take that "
                        "in. Try again in {count} second; what you were filling in is kept.",
                        "You are writing very fast. Please slow down: I did not take that "
                        "in. Try again in {count} seconds; what you were filling in is kept.",
                        seconds,
                    ),
                )
            raise ApplicationHandlerStop
        message = update.effective_message
        if chat is None or chat.type != "private" or message is None:
            return
        size = upload_size(message)
        if size > self.max_upload_bytes > 0:
            t = translator(update, context)
            limit = max(1, self.max_upload_bytes // MEGABYTE)
            log.info("update %s dropped: upload of %s bytes too large", update.update_id, size)
            await _tell(
                update,
                t(
                    "This file is too large. Please send files of at most "
                    "{limit} MB, for example a photo instead of the original "
                    "file.",
                    limit=limit,
                ),
            )
            raise ApplicationHandlerStop

    async def prune_job(self, context: BotContext) -> None:
        removed = await self.ledger.prune()
        if removed:
            log.info("forgot %s processed update ids", removed)


async def _tell(update: Update, text: str) -> None:
    if update.callback_query is not None:
        await update.callback_query.answer(text, show_alert=True)
    elif update.effective_chat is not None:
        await update.effective_chat.send_message(text)


def guard_of(app: BotApplication) -> Guard:
    guard: Guard = app.bot_data[GUARD_KEY]
    return guard


def register(app: BotApplication) -> None:
    """First of all handlers: -1000 (malformed updates), then -20 and -15, before the group
    guard at -10."""
    services = app.bot_data.services
    assert services is not None, "build_application() sets the services first"
    settings = services.settings
    admins = frozenset(settings.admin_telegram_ids)

    async def is_staff(user_id: int) -> bool:
        if user_id in admins:
            return True
        async with session_scope(services.session_maker) as session:
            return await holds_a_role(session, telegram_id=user_id)

    guard = Guard(
        UpdateLedger(services.session_maker, services.clock),
        FloodControl(
            settings.flood_messages_per_minute,
            staff_limit=settings.flood_staff_messages_per_minute,
            is_staff=is_staff,
        ),
        max_upload_bytes=settings.max_upload_bytes,
    )
    app.bot_data[GUARD_KEY] = guard
    app.add_handler(SoundUpdates(), group=GROUP_SOUND)
    app.add_handler(TypeHandler(Update, guard.once), group=GROUP_ONCE)
    app.add_handler(TypeHandler(Update, guard.limits), group=GROUP_LIMITS)
